"""The cyclic garbage collector while a stage runs: less often.

A stage builds hundreds of thousands of container objects that live until it ends (a round's rows, the near-duplicate
index of its texts, the round frame's records, the documents' data). Python's collector is triggered by every 700
containers made and, each time the heap has grown by a quarter, walks all of it: at 1,000 units that walk took 1.2 s
of a collect, 0.6 s of a merge and 0.55 s of a score (benchmarks: docs/performance.md). While a stage runs, the
youngest generation is collected every 50,000 containers instead; what is unreachable is still collected (a stage
leaves few cycles), and the threshold the process had is restored when the outermost stage ends, also on error."""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import TypeVar

YOUNG = 50_000  # containers made between two collections of the youngest generation while a stage runs (700 before)

F = TypeVar("F", bound=Callable)
_lock = threading.Lock()
_state = {"depth": 0, "saved": (700, 10, 10)}


def fewer_collections(func: F) -> F:
    """Run ``func`` (a stage: collect, merge, score, report) with the youngest generation collected less often."""

    @functools.wraps(func)
    def stage(*args, **kwargs):
        with _lock:
            _state["depth"] += 1
            if _state["depth"] == 1:
                _state["saved"] = gc.get_threshold()
                first, *older = _state["saved"]
                if first:  # (0: the process switched collection off; left so)
                    gc.set_threshold(max(first, YOUNG), *older)
        try:
            return func(*args, **kwargs)
        finally:
            with _lock:
                _state["depth"] -= 1
                if _state["depth"] == 0:
                    gc.set_threshold(*_state["saved"])

    return stage  # type: ignore[return-value]


__all__ = ["fewer_collections", "YOUNG"]
