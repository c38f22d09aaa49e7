"""The merge in a process of its own, beside the run (`toolkit run`, the panel's "Chạy cả đợt", the demo).

This module is light on purpose (the pool, a thread; nothing of pandas or the writers): `toolkit run` starts the
merge's process before it imports the stages themselves, so that the new interpreter's start and imports (~0.8 s
here, more on Windows) run on the second core while this process imports and opens its round, which leave that core
idle. What the process runs, and what is merged here when it cannot, comes from :mod:`toolkit.outputs.merge`,
imported when needed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..intake import pool

if TYPE_CHECKING:
    from ..round import Round


class MergeBeside:
    """:func:`~toolkit.outputs.merge.merge` in a process of its own while the caller goes on (`toolkit run`: score
    and the Word documents).

    Merge is one core's work (the round frame, then writing the workbook: 7 s at 1,000 units) beside stages that
    leave a core idle part of the time and share this process's interpreter lock; in its own process it takes
    neither. The process reads the workspace and the store itself (its own connection; the settings are the
    caller's, as it holds them when the merge is started) and writes the workbooks as `toolkit merge` does; it is
    started the way collect's workers are (toolkit.intake.pool: ended with the caller, a fresh interpreter on every
    OS). The process starts at once and waits: its interpreter and imports overlap what the caller does before the
    merge, and ``start(rnd)`` hands it the round; ``abort()`` ends it at once, unused or merging (a run that failed
    before its merge, Ctrl+C). ``result()`` waits for it. When the process cannot start or does not finish (a machine that
    refuses processes, a merge that raised), the round is merged again here: the workbooks are made, or a real fault
    shows with its own error, as in `toolkit merge`."""

    BOUNDS = pool.Bounds(timeout_s=0, memory_mb=0, workers=1, start_method="spawn")  # no limit on a whole merge

    def __init__(self):
        self._rnd = None
        self._outcome = None
        self._later = pool.Later()
        self._thread = threading.Thread(target=self._run, name="toolkit-merge", daemon=True)
        self._thread.start()

    def _run(self) -> None:  # (this thread only waits on the process's pipe)
        try:
            for outcome in pool.run_bounded(_merge_in_process, self._later, self.BOUNDS, initializer=_load_merge):
                self._outcome = outcome
        except BaseException as exc:  # WorkerError (no process could start): merged in result()
            self._outcome = exc

    def start(self, rnd: Round) -> None:
        """Merge this round: once (a merge already started or aborted is not started again). Called again once
        the merge has started, it only keeps the round as the caller now holds it, for a merge made here
        (``result()``, when the process failed)."""
        rnd.require_started("tổng hợp")  # (a mistyped period: said before any process works on it)
        self._give(rnd)

    def start_early(self, rnd: Round) -> bool:
        """Start the merge as soon as the store holds everything it merges (`toolkit run` without a review step:
        from collect, once the returns are stored and before collect writes its own workbooks); False, and nothing
        started, when the round cannot be merged yet: ``start`` says why where the run merges."""
        try:
            self.start(rnd)
        except Exception:  # (a sooner start only: whatever stops it here is said where the run merges)
            return False
        return True

    def _give(self, rnd: Round) -> None:
        if self._rnd is not None:
            self._rnd = rnd
            return
        if self._later.given:  # aborted
            return
        job = (str(rnd.ws.root), rnd.period.code, rnd.forms[0].id if rnd.explicit else None, rnd.ws.settings)
        self._rnd = rnd  # (before the process can answer: result() merges this round here if it must)
        self._later.give([job])

    @property
    def started(self) -> bool:
        return self._rnd is not None

    def failed(self, exc: BaseException) -> None:
        """The run failed (``exc``): a merge started (from collect, or at its turn) finishes before the run says it
        failed, its workbook whole; one not started is ended unused, and Ctrl+C ends it at once."""
        if self.started and isinstance(exc, Exception):
            self.wait()
        else:
            self.abort()

    def abort(self) -> None:
        """End the process now, merging or not, and wait until it is ended (Ctrl+C: the run stops, and the process is
        not left to be ended, and taken for dead and started again, as the program exits)."""
        self._later.abort()
        self._thread.join(10)

    def wait(self) -> None:
        """Until the merge started is done (its outcome kept for ``result()``)."""
        self._thread.join()

    def result(self):
        """The :class:`~toolkit.outputs.merge.MergeResult`, from the process or, when it failed, merged here."""
        if self._rnd is None:
            raise RuntimeError("result() of a merge that was not started")
        self._thread.join()
        out = self._outcome
        merging = _merge_module()
        if getattr(out, "ok", False) and isinstance(out.value, merging.MergeResult):
            return out.value
        return merging.merge(self._rnd)


def prepare_merge() -> MergeBeside:
    """A merge process started ahead of its round (see MergeBeside): ``start(rnd)`` when the round is ready."""
    return MergeBeside()


def _merge_module():
    """:mod:`toolkit.outputs.merge`, imported where it is needed (it brings pandas, the writers and the store)."""
    from . import merge

    return merge


def _load_merge() -> None:
    """The merge process's initializer: the merge and what it uses imported as the process starts, while its caller
    works, rather than when its round comes."""
    _merge_module()


def _merge_in_process(job):
    return _merge_module().merge_in_process(job)

__all__ = ["MergeBeside", "prepare_merge"]
