"""pipeline.run_round, the whole round every skin runs (CLI `run`, the panel's "Chạy cả đợt", the demo): the
office's review step sees what was collected and who reported, before anything is merged or written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import both_engines, make_return, task

from toolkit.cycle.confirm import confirm
from toolkit.pipeline import run_round
from toolkit.round import open_round


def test_the_review_step_comes_after_collect_and_status_and_before_the_outputs(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01")])
    seen = {}

    def review(rnd, run):
        seen["forms"] = [f.id for f in rnd.forms]
        seen["collected"] = [f.unit for f in run.collect.files]
        seen["reported"] = [st.rates()["reported"] for st in run.statuses]
        seen["outputs"] = (run.merge, run.report, sorted(p.name for p in rnd.output.glob("tong_hop_*")))
        seen["confirmation"] = confirm(rnd).tasks  # a decision of the office, in the round's own session

    run = run_round(open_round(ctx, "2025"), review=review)
    assert seen == {"forms": ["registration"], "collected": ["BTC", "XLS"], "reported": [2], "outputs": (None, None, []),
                    "confirmation": 2}
    assert Path(run.merge.path).name == "tong_hop_dang_ky_2025.xlsx" and run.score is None
    assert run.to_dict()["merge"]["outputs"][0]["rows"] == 2


def test_each_stage_runs_with_the_collector_less_often_and_gives_the_threshold_back(ctx, monkeypatch):
    """toolkit.memory: inside collect, merge, score and report the youngest generation is collected every YOUNG
    containers; outside (and after a stage that failed) the process has its own threshold again."""
    import gc

    import toolkit.outputs.merge as merge_module
    import toolkit.outputs.score as score_module
    from toolkit.errors import ToolkitError
    from toolkit.intake.collect import collect
    from toolkit.memory import YOUNG

    before = gc.get_threshold()
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    run_round(open_round(ctx, "2025"))
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100,
                                                     "completed_on": date(2025, 3, 20)}], received=date(2025, 7, 5))
    inside: dict[str, set] = {}

    def spy(stage, real):
        def wrapper(*args, **kwargs):
            inside.setdefault(stage, set()).add(gc.get_threshold()[0])
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(merge_module, "round_frame", spy("merge", merge_module.round_frame))
    monkeypatch.setattr(score_module, "round_frame", spy("score", score_module.round_frame))

    def step(label, i, n):
        return lambda *a: inside.setdefault(label, set()).add(gc.get_threshold()[0])

    between = []
    run = run_round(open_round(ctx, "2025-H1"), step=lambda label, i, n: (between.append(gc.get_threshold()),
                                                                         step(label, i, n))[1])
    assert run.score is not None and run.report.documents
    assert inside == {"Tiếp nhận": {YOUNG}, "score": {YOUNG}, "Xuất văn bản": {YOUNG}}  # (merge: its own process)
    assert set(between) == {before} and gc.get_threshold() == before
    merge_module.merge(open_round(ctx, "2025-H1"))  # merge as `toolkit merge` (and that process) runs it
    assert inside["merge"] == {YOUNG} and gc.get_threshold() == before
    with pytest.raises(ToolkitError):  # a period nobody opened: collect refuses, and the threshold is given back
        collect(open_round(ctx, "2031-H1"))
    assert gc.get_threshold() == before


def _progress_round(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31)),
                                                     task("XLS-02", deadline=date(2025, 12, 31))])
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01", deadline=date(2025, 5, 31))])
    run_round(open_round(ctx, "2025"))
    make_return(ctx, "progress", "XLS", "2025-H1", [
        {"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100, "completed_on": date(2025, 3, 20)},
        {"task_code": "XLS-02", "status": "Đang thực hiện – đúng tiến độ", "percent": 40}],
                received=date(2025, 7, 5))


@both_engines  # the merge's process opens the store itself: the workspace's SQLite file, or the server
def test_the_round_is_merged_in_a_process_of_its_own_beside_score_and_report(ctx, monkeypatch):
    """`toolkit run` merges in another process while score and the Word documents are made here: this process does
    not merge, and the workbook is the one `toolkit merge` writes."""
    import openpyxl

    import toolkit.outputs.merge as merge_module

    _progress_round(ctx)
    here: list[str] = []
    real_merge = merge_module.merge
    monkeypatch.setattr(merge_module, "merge", lambda rnd: (here.append(rnd.code), real_merge(rnd))[1])
    said: list[str] = []
    run = run_round(open_round(ctx, "2025-H1"), log=said.append)
    assert here == []  # merged by the other process
    assert run.score is not None and run.report.documents and (run.merge.rows, run.merge.units) == (2, 1)
    firsts = [next(i for i, line in enumerate(said) if line.startswith(w)) for w in ("Tổng hợp", "Xếp loại", "Văn bản")]
    assert firsts == sorted(firsts)  # said in the usual order

    def sheets(path):
        wb = openpyxl.load_workbook(path)
        return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}

    beside = sheets(run.merge.path)
    again = real_merge(open_round(ctx, "2025-H1"))  # the same round merged on its own, in this process
    assert sheets(again.path) == beside and again.lines() == run.merge.lines()
    data = beside["Dữ liệu"]
    assert sorted((r[0], r[2]) for r in data[1:] if r[0]) == [("BTC", "BTC-01"), ("XLS", "XLS-01"), ("XLS", "XLS-02")]


def test_the_merge_process_starts_before_collect_and_ends_when_the_run_fails_before_merging(ctx, monkeypatch):
    """Its interpreter's start and imports overlap collect (the merge is the run's last stage to end); a run that
    fails before the merge (here collect, e.g. a store that cannot be opened) ends it: no process is left behind."""
    import multiprocessing
    import time

    import toolkit.pipeline as pipeline_module

    _progress_round(ctx)

    def merge_processes():
        return [p for p in multiprocessing.active_children() if p.name == "toolkit-worker"]

    def started(within: float = 20) -> int:  # (started by the merge's own thread: on a busy machine, a moment later)
        until = time.monotonic() + within
        while not merge_processes() and time.monotonic() < until:
            time.sleep(0.02)
        return len(merge_processes())

    during = []
    real = pipeline_module.collect

    def collect(*args, **kwargs):
        during.append(started())
        return real(*args, **kwargs)
    monkeypatch.setattr(pipeline_module, "collect", collect)
    run = run_round(open_round(ctx, "2025-H1"))
    assert during == [1] and (run.merge.rows, run.merge.units) == (2, 1)
    assert not merge_processes()

    def failing(*args, **kwargs):
        during.append(started())
        raise OSError("ổ đĩa không đọc được")
    monkeypatch.setattr(pipeline_module, "collect", failing)
    with pytest.raises(OSError):
        run_round(open_round(ctx, "2025-H1"))
    assert during == [1, 1] and not merge_processes()


def test_the_word_documents_give_way_to_the_merge_process(ctx, monkeypatch):
    """The merge, one process from start to end, is the run's longest job: the render processes run at a lower
    priority beside it (see test_pool for what that is on each OS); `toolkit report` alone renders as before."""
    import os

    import toolkit.outputs.render as render_module
    import toolkit.outputs.report as report_module
    from toolkit.outputs.report import write_reports

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one processor: the documents are rendered in this process, no pool")
    _progress_round(ctx)
    monkeypatch.setattr(report_module, "AHEAD_UNITS", 1)  # the render processes of a large round, for a small one
    asked = []
    real = render_module.process_pool
    monkeypatch.setattr(render_module, "process_pool", lambda workers, give_way=False: (
        asked.append(give_way), real(workers, give_way))[1])
    run = run_round(open_round(ctx, "2025-H1"))
    assert asked == [True] and len(run.report.documents) >= 3 and (run.merge.rows, run.merge.units) == (2, 1)
    write_reports(open_round(ctx, "2025-H1"))
    assert asked == [True, False]


def test_a_merge_process_that_cannot_start_is_replaced_by_a_merge_here(ctx, monkeypatch):
    """A machine that refuses another process (a policy, a broken install) still gets its workbook: merged here."""
    import toolkit.intake.pool as pool
    from toolkit.intake.pool import WorkerError

    _progress_round(ctx)

    real = pool.run_bounded

    def refuse(fn, *args, **kwargs):  # (collect's workers start as usual)
        if fn.__name__ == "_merge_in_process":
            raise WorkerError("Không khởi động được tiến trình")
        return real(fn, *args, **kwargs)
    monkeypatch.setattr(pool, "run_bounded", refuse)
    run = run_round(open_round(ctx, "2025-H1"))
    assert Path(run.merge.path).is_file() and (run.merge.rows, run.merge.units) == (2, 1)


def test_a_merged_workbook_that_cannot_be_written_fails_the_run_after_score_and_report(ctx):
    """The merge's error is the run's, raised with its own type once the other stages are done (their outputs
    stand); nothing is said of a run that failed."""
    _progress_round(ctx)
    out = open_round(ctx, "2025-H1").output
    (out / "tong_hop_tien_do_2025-H1.xlsx").mkdir(parents=True)  # where the workbook goes: a folder in the way
    said: list[str] = []
    with pytest.raises(OSError):
        run_round(open_round(ctx, "2025-H1"), log=said.append)
    assert (out / "xep_loai_2025-H1.xlsx").is_file() and list((out / "van_ban").rglob("*.docx"))
    assert (out / "tong_hop_tien_do_2025-H1.xlsx").is_dir() and not any(line.startswith("Tổng hợp") for line in said)


def test_the_merge_process_uses_the_settings_the_caller_holds(ctx):
    """A script that changes a setting without saving it gets one round: the merge's process, which loads the
    workspace from disk, takes the caller's settings (here the threshold of copied reports, printed on its sheet)."""
    import openpyxl

    _progress_round(ctx)
    rnd = open_round(ctx, "2025-H1")
    rnd.ws.settings["quality"]["copied_report_threshold"] = 0.55  # in memory only
    run = run_round(rnd)
    note = openpyxl.load_workbook(run.merge.path)["Báo cáo giống nhau"]["A2"].value
    assert "từ 55% trở lên" in note


def test_collect_s_result_is_kept_as_a_copy_equal_to_what_collect_returned(ctx, monkeypatch):
    """run_round keeps collect's result as a compact copy (pipeline.compacted): the same files, statuses, issues and
    feedback copies as collect returned, in objects of their own."""
    import toolkit.pipeline as pipeline_module

    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01", deadline="31/02/2025")])  # an error: sent back
    returned = []
    real = pipeline_module.collect
    monkeypatch.setattr(pipeline_module, "collect", lambda *a, **k: returned.append(real(*a, **k)) or returned[-1])
    run = run_round(open_round(ctx, "2025"))
    kept = run.collect
    assert kept is not returned[0] and kept.files[0] is not returned[0].files[0]
    assert kept.to_dict() == returned[0].to_dict()
    assert {f.unit: f.status for f in kept.files} == {"BTC": "rejected", "XLS": "accepted"}
    btc = next(f for f in kept.files if f.unit == "BTC")
    assert btc.issues and btc.issues[0].severity.value == "error" and Path(btc.feedback).is_file()
    assert btc.path == next(f for f in returned[0].files if f.unit == "BTC").path


class _NoReadBack(Exception):
    def __init__(self, a, b):  # (pickled with one argument, read back with one: TypeError)
        super().__init__(f"{a} {b}")


def test_a_result_that_cannot_be_copied_is_kept_as_it_is():
    from toolkit.pipeline import compacted

    odd = {"callback": lambda: None}  # (pickle cannot take a lambda)
    assert compacted(lambda: odd) is odd
    saved = {"error": _NoReadBack(1, 2)}  # saved, but cannot be read back: kept as it is, not lost
    assert compacted(lambda: saved) is saved
    plain = {"files": [("a.xlsx", "accepted")] * 3}
    copy = compacted(lambda: plain)
    assert copy == plain and copy is not plain


def _pymalloc() -> bool:
    import os
    import sysconfig

    return not os.environ.get("PYTHONMALLOC") and not sysconfig.get_config_var("Py_GIL_DISABLED")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident set from /proc (Linux)")
@pytest.mark.skipif(not _pymalloc(), reason="measures CPython's own small-object allocator (pymalloc)")
def test_a_compacted_result_gives_back_the_pages_its_stage_left_it_in():
    """The mechanism, in a fresh interpreter: a stage that makes a few small result objects a file amid objects it
    holds to its end (collect: the index of the round's texts, ~30 KB a file) leaves them pinning those pages once
    the stage is over; compacted, the pages go back to the system."""
    import subprocess
    import sys

    code = r'''
import re, sys
from pathlib import Path
from toolkit.intake.collect import FileResult
from toolkit.issues import make_issue
from toolkit.pipeline import compacted, release_memory

def rss():
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024

def stage():
    files, index = [], []
    for n in range(4000):
        index.append([(f"nhiem vu {n} {i} " * 4, i, str(i) * 20) for i in range(60)])
        fr = FileResult(file=f"X{n:05d}.xlsx", status="accepted", unit=f"X{n:05d}", unit_name=f"Đơn vị {n}")
        fr.issues = [make_issue("late-submission", file=fr.file, unit=fr.unit, days=3, deadline="10/07/2025")]
        files.append(fr)
    return files

release_memory()
before = rss()
kept = compacted(stage) if sys.argv[1] == "compacted" else stage()
release_memory()
print(rss() - before, len(kept))
'''
    grown = {}
    for how in ("plain", "compacted"):
        out = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[2])
        assert out.returncode == 0, out.stderr
        grown[how], n = out.stdout.split()
        assert n == "4000"
    plain, compact = float(grown["plain"]), float(grown["compacted"])
    assert plain > 40 and compact < plain / 4, grown


@pytest.mark.parametrize("with_review", [False, True])
def test_without_a_review_the_merge_starts_once_collect_has_stored_the_returns(ctx, monkeypatch, with_review):
    """No decision of the office comes between collect and the merge: the merge's process gets the round as soon as
    the returns are stored, and works while collect writes its workbook and the status workbooks are made. With a
    review step, it gets the round after the office's decisions. The merged workbook is the same either way."""
    import openpyxl

    import toolkit.intake.collect as collect_module
    import toolkit.pipeline as pipeline_module
    from toolkit.outputs.beside import MergeBeside

    _progress_round(ctx)
    order: list[str] = []
    real_give, real_book, real_statuses = MergeBeside._give, collect_module.write_issues_workbook, \
        pipeline_module.round_statuses
    monkeypatch.setattr(MergeBeside, "_give", lambda self, rnd: (order.append("merge" if not self.started else
                                                                              "merge again"), real_give(self, rnd))[1])
    monkeypatch.setattr(collect_module, "write_issues_workbook",
                        lambda *a: (order.append("collect's workbook"), real_book(*a))[1])
    monkeypatch.setattr(pipeline_module, "round_statuses", lambda rnd: (order.append("status"), real_statuses(rnd))[1])
    review = (lambda rnd, run: order.append("review")) if with_review else None
    run = run_round(open_round(ctx, "2025-H1"), review=review)
    if with_review:
        assert order == ["collect's workbook", "status", "review", "merge"]
    else:
        assert order == ["merge", "collect's workbook", "status", "merge again"]
    rows = [r for r in openpyxl.load_workbook(run.merge.path)["Dữ liệu"].iter_rows(values_only=True)][1:]
    assert sorted((r[0], r[2]) for r in rows if r[0]) == [("BTC", "BTC-01"), ("XLS", "XLS-01"), ("XLS", "XLS-02")]
    assert (run.merge.rows, run.merge.units) == (2, 1)


def test_a_run_on_a_round_with_nothing_to_merge_stops_where_it_did(ctx):
    """The merge started early does not start on a round nothing was issued for nor received in: the run stops
    where it did, at the status workbooks, with the same sentence; no process is left behind."""
    import multiprocessing

    from toolkit.errors import ToolkitError

    with pytest.raises(ToolkitError, match="chưa phát hành biểu mẫu nào và chưa tiếp nhận tệp nào, nên chưa có gì để "
                                           "xem tình hình nộp"):
        run_round(open_round(ctx, "2025-H1"))
    assert not [p for p in multiprocessing.active_children() if p.name == "toolkit-worker"]


def test_the_round_report_is_rendered_among_the_scorecards_not_after_them(ctx, monkeypatch):
    """The round report is the longest document to render: handed to the render processes between the first half of
    the scorecards and the second, never last in line (rendered alone at the end of the run, a core idle); the
    not-reported list first. The documents come back in the usual order."""
    import os

    import toolkit.outputs.report as report_module
    from toolkit.outputs.render import RenderPool

    if (os.cpu_count() or 1) < 2:  # (what the run does there: no order to keep)
        pytest.skip("one processor: `toolkit run` renders the documents in its own process, one after the other")
    _progress_round(ctx)
    first = run_round(open_round(ctx, "2025-H1")).report.documents
    monkeypatch.setattr(report_module, "AHEAD_UNITS", 1)  # the render processes of a large round, for a small one
    handed: list[str] = []
    real = RenderPool.submit
    monkeypatch.setattr(RenderPool, "submit", lambda self, jobs: (handed.extend(Path(j[1]).name for j in jobs),
                                                                  real(self, jobs))[1])
    docs = run_round(open_round(ctx, "2025-H1")).report.documents  # the same returns again, as `toolkit run`
    cards = [n for n in handed if not n.startswith(("danh_sach_chua_nop", "bao_cao_tong_hop"))]
    assert handed[0].startswith("danh_sach_chua_nop") and len(cards) >= 2 and sorted(handed) == sorted(
        Path(d).name for d in docs)
    report = handed.index("bao_cao_tong_hop_2025-H1.docx")
    assert 1 < report < len(handed) - 1 and handed[report + 1:] == cards[len(cards) // 2:]
    assert [Path(d).name for d in docs] == [Path(d).name for d in first]


def test_a_run_that_fails_after_its_merge_started_early_lets_it_finish_and_ctrl_c_ends_it(ctx, monkeypatch):
    """The merge started from collect: a run failing later (a status workbook open in Excel) says so once the merge
    has finished, its workbook whole, no process left behind; Ctrl+C there ends the merge at once, and it is not taken
    for a process that died and started again."""
    import multiprocessing

    import toolkit.pipeline as pipeline_module

    _progress_round(ctx)

    def failing(rnd):
        raise PermissionError(13, "Tệp đang mở trong Excel", "danh_sach_chua_nop_tien_do_2025-H1.xlsx")
    monkeypatch.setattr(pipeline_module, "round_statuses", failing)
    out = open_round(ctx, "2025-H1").output
    with pytest.raises(PermissionError):
        run_round(open_round(ctx, "2025-H1"))
    merged = out / "tong_hop_tien_do_2025-H1.xlsx"
    import openpyxl

    assert merged.is_file() and openpyxl.load_workbook(merged)["Dữ liệu"].max_row >= 3
    assert not [p for p in multiprocessing.active_children() if p.name == "toolkit-worker"]

    def interrupted(rnd):
        raise KeyboardInterrupt
    monkeypatch.setattr(pipeline_module, "round_statuses", interrupted)
    started = []
    real_spawn = multiprocessing.get_context("spawn").Process.start
    monkeypatch.setattr(multiprocessing.get_context("spawn").Process, "start",
                        lambda self: (started.append(self.name), real_spawn(self))[1])
    with pytest.raises(KeyboardInterrupt):
        run_round(open_round(ctx, "2025-H1"))
    assert not [p for p in multiprocessing.active_children() if p.name == "toolkit-worker"]
    assert started.count("toolkit-worker") == 1  # the merge's process, ended, not started again
