"""The store: every return received, every issue found, the task register across rounds. One interface; the
SQLite implementation is the default."""

from .sqlite import ADJUSTMENT_STATES, GUARD, JOURNAL, TASK_FIELDS, Recorded, Store, guard_store, probe, to_json_value

__all__ = ["ADJUSTMENT_STATES", "GUARD", "JOURNAL", "TASK_FIELDS", "Recorded", "Store", "guard_store", "probe",
           "to_json_value"]
