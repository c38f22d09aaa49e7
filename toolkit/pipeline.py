"""The whole round in one call: (fetch,) collect, status, merge, score (progress rounds), report.

Every skin runs a round through :func:`run_round`: the CLI's ``run``, the Excel panel's "Chạy cả đợt", the demo.
It hands back the stages' own result objects (:class:`RoundRun`); ``to_dict()`` is what ``toolkit run --json``
prints. Between what was collected and what is produced, the office may decide on it (confirm registrations,
adjust tasks): the ``review`` callback is called there with the round and the stages' results so far (the demo
plays the clerk in it).

Merge runs in a process of its own while score and the Word documents are made here (outputs.beside.MergeBeside):
one core's work beside stages that leave a core idle and share this process's interpreter; the process is started
before collect (`toolkit run` starts it before it even imports the stages), so that its interpreter's start and
imports overlap this process's own. Without a review step the merge starts as soon as collect has stored the returns,
beside collect's own workbooks and the status workbooks; with one, after the office's decisions. The stages' lines
are said in the usual order once all are done; a merge that fails fails the run after the other stages' outputs are
written.
"""

from __future__ import annotations

import functools
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import formatting, text
from .intake import similarity
from .intake.collect import CollectResult, collect
from .mail.fetch import fetch_round
from .outputs.beside import MergeBeside, prepare_merge
from .outputs.merge import MergeResult
from .outputs.report import ReportResult, write_reports
from .outputs.score import ScoreResult, score
from .outputs.status import StatusResult, round_statuses
from .round import Round, as_round, open_round

T = TypeVar("T")
Progress = Callable[..., None]
# called before each stage with its label, its number and the number of stages; may return the stage's progress
# callback (i of n done, the item's name)
Step = Callable[[str, int, int], Progress | None]
# called after collect and status, before merge, with the round and the run so far
Review = Callable[[Round, "RoundRun"], None]


@dataclass
class RoundRun:
    collect: CollectResult
    statuses: list[StatusResult] = field(default_factory=list)
    merge: MergeResult | None = None
    score: ScoreResult | None = None
    report: ReportResult | None = None
    fetch: Any = None

    def to_dict(self) -> dict:
        out: dict = {}
        if self.fetch is not None:
            out["fetch"] = self.fetch.to_dict()
        out["collect"] = self.collect.to_dict()
        out["status"] = [st.to_dict() for st in self.statuses]
        out["merge"] = self.merge.to_dict()
        if self.score is not None:
            s = self.score
            out["score"] = {"path": s.path, "units": len(s.units), "leaders": len(s.leaders), "notes": s.notes}
        out["report"] = self.report.to_dict()
        return out


def run_round(rnd: Round, pdf: bool = False, log: Callable[[str], None] = lambda s: None, fetch: bool = False,
              step: Step | None = None, review: Review | None = None, merging: MergeBeside | None = None) -> RoundRun:
    """The whole round (see the module's note). ``merging``: the merge's process, when the caller started it
    already (:func:`~toolkit.outputs.beside.prepare_merge`); it is ended if the run fails before its merge."""
    rnd = as_round(rnd)
    scored = rnd.has("progress")
    total = 4 + scored
    stage = _stages(step, total)
    fetched = None
    if merging is None:
        merging = prepare_merge()  # the merge's process starts now: its interpreter and imports while collect reads
    try:
        if fetch:  # the mailbox first (toolkit.mail.fetch): its attachments land in the round's inbox
            fetched = fetch_round(rnd)
            log(f"Tải thư: {fetched.summary()}.")
        # no decision of the office comes between collect and the merge: the merge starts once the returns are stored
        early = functools.partial(merging.start_early, rnd) if review is None else None
        c = compacted(lambda: collect(rnd, progress=stage("Tiếp nhận"), stored=early))
        run = RoundRun(collect=c, fetch=fetched)
        log(f"Tiếp nhận: {c.summary()}. Bảng kết quả tiếp nhận: {c.issues_workbook}")
        if not rnd.explicit:  # the returns just collected tell which forms the round has
            rnd = open_round(rnd.ctx, rnd.period)
        stage("Tình hình nộp")
        for st in round_statuses(rnd):
            run.statuses.append(st)
            log(f"{st.rates().line(st.form_name)}. {st.workbook}")
        if review is not None:  # the office's decisions on the returns (confirmations, adjustments) come before outputs
            review(rnd, run)
        stage("Tổng hợp")
        merging.start(rnd)  # in its process (started already without a review), while score and the documents are made here
    except BaseException as exc:
        merging.failed(exc)  # (not started: ended unused; started from collect: finished; Ctrl+C: ended)
        raise
    later: list[str] = []  # their lines, said after the merge's as before
    try:
        if rnd.has("progress"):
            stage("Chấm điểm, xếp loại")
            s = run.score = score(rnd)
            label = " sơ bộ" if s.preliminary else ""
            later.append(f"Xếp loại{label}: {len(s.units)} đơn vị, {len(s.leaders)} lãnh đạo → {s.path}")
            later += [f"  Lưu ý: {note}" for note in s.notes]
        # the merge, one process from start to end, is the run's longest job: the documents give way to it
        rep = run.report = write_reports(rnd, pdf=pdf, progress=stage("Xuất văn bản"), give_way=True)
    except BaseException as exc:
        merging.failed(exc)  # it finishes before the run says it failed; Ctrl+C does not wait: it ends with the run
        raise
    run.merge = merging.result()
    for line in run.merge.lines():
        log(f"Tổng hợp — {line}")
    for line in later:
        log(line)
    log(f"Văn bản: {len(rep.documents)} tệp trong {rep.folder}" + (f"; {rep.pdf_message}" if pdf else ""))
    for note in rep.notes:
        log(f"  Lưu ý: {note}")
    return run


def _stages(step: Step | None, total: int) -> Callable[[str], Progress | None]:
    numbers = iter(range(1, 10))

    def stage(label: str) -> Progress | None:
        release_memory()  # what the stage before left: the next one's peak does not stand on it
        return step(label, next(numbers), total) if step else None

    return stage


def compacted(make: Callable[[], T]) -> T:
    """What ``make`` returns (a stage's result, kept to the run's end), copied once the stage's passing objects are
    freed. Collect makes its result a file at a time amid that file's rows and the round's index of texts, so each
    file's few small objects (its line, its issues) end up scattered over the allocator's arenas; once the rest is
    freed, any object still in an arena keeps that whole arena (1 MiB) from the system. At 3,000 units the result,
    2 MB of objects, held ~200 MB that way: the run's resident set after collect fell from 406 to 203 MB with the
    copy, and the report's peak in `toolkit run` from 647 to 566 MB. The value is serialised, the original freed
    (CPython gives back every arena left empty, on every OS), and the copy read back into the arenas still in use.
    A value that does not serialise, or would not read back, is kept as it is."""
    value = make()
    try:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob)  # (read back once while the original is still there: a value that cannot be is kept)
    except Exception:  # (e.g. a parameter of an issue that some caller filled with an object pickle cannot take)
        return value
    del value  # the only reference: its arenas are freed below
    release_memory()
    return pickle.loads(blob)


def release_memory() -> None:
    """Between two stages of one process: empty the text caches (their entries, made all through a stage, pin
    the memory pages of everything freed around them), collect what is unreachable, and on Linux hand the
    allocator's free pages back to the system (glibc's malloc_trim; elsewhere the allocator does so itself).
    A 3,000-unit round kept ~500 MB after collect without it (benchmarks/run.py: peak_own_rss_mb)."""
    import ctypes
    import gc

    for module in (text, similarity, formatting):
        module.clear_caches()
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to hand back this way
            pass


__all__ = ["run_round", "RoundRun", "Round", "release_memory", "compacted"]
