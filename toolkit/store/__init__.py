"""The store: every return received, every issue found, the task register across rounds. One interface and one
schema over two engines: SQLite (the default, a file in the workspace) and PostgreSQL (``store:`` in settings)."""

from .core import (
                     ADJUSTMENT_STATES,
                     GUARD,
                     JOURNAL,
                     TASK_FIELDS,
                     Recorded,
                     Store,
                     guard_store,
                     integrity,
                     open_store,
                     probe,
                     read_submissions,
                     to_json_value,
)
from .engine import StoreSettingError, actor, is_server, machine, store_target

__all__ = ["ADJUSTMENT_STATES", "GUARD", "JOURNAL", "TASK_FIELDS", "Recorded", "Store", "StoreSettingError", "actor",
           "guard_store", "integrity", "is_server", "machine", "open_store", "probe", "read_submissions", "store_target", "to_json_value"]
