"""Issue 4: store (idempotent, atomic, concurrent), task register and adjustments, status, consolidated workbook."""

import multiprocessing
from datetime import date

import openpyxl
import pytest
from conftest import both_engines, make_return, task

from toolkit.intake.collect import collect
from toolkit.outputs.merge import merge, round_status
from toolkit.outputs.templates import build_templates
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.store import open_store


def _snapshot(ctx):
    with open_store(ctx.store_target, root=ctx.ws.root) as store:  # either engine
        counts = store.table_counts()
    return {t: counts[t] for t in ("submissions", "rows", "issues", "tasks", "seen_files", "audit", "task_changes")}


@both_engines
def test_same_file_twice_changes_nothing(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    collect(open_round(ctx.ws, "2025"))
    before = _snapshot(ctx)
    again = collect(open_round(ctx.ws, "2025"))
    assert [f.status for f in again.files] == ["duplicate"]
    assert _snapshot(ctx) == before


@both_engines
def test_resubmission_replaces_for_reporting_and_keeps_history(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Hoàn thành 5 km đường")],
                name="v1.xlsx")
    collect(open_round(ctx.ws, "2025"))
    make_return(ctx, "registration", "XLS", "2025",
                [task("XLS-01", target=80), task("XLS-03", title="Số hoá 100% hồ sơ một cửa")], name="v2.xlsx",
                received=date(2025, 3, 1))
    result = collect(open_round(ctx.ws, "2025"))
    [f] = [f for f in result.files if f.file == "v2.xlsx"]
    assert f.replaced == "v1.xlsx" and "resubmission" in [i.code for i in f.issues]
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        subs = store.submissions("registration", "2025")
        assert [(s["file_name"], s["active"], s["replaced_by"] is not None) for s in subs] == \
            [("v1.xlsx", 0, True), ("v2.xlsx", 1, False)]
        assert [r["task_code"] for r in store.rows("registration", "2025", "tasks")] == ["XLS-01", "XLS-03"]
        register = {t["task_code"]: t for t in store.register("2025", active_only=False)}
        assert (register["XLS-01"]["target"], register["XLS-01"]["version"]) == (80, 2)
        assert register["XLS-02"]["active"] == 0
        changes = [(c["task_code"], c["field"], c["old_value"], c["new_value"]) for c in store.task_changes("2025")]
        assert ("XLS-01", "target", "50", "80") in changes
        assert ("XLS-02", "withdrawn", "Hoàn thành 5 km đường", None) in changes
        assert ("XLS-03", "added", None, "Số hoá 100% hồ sơ một cửa") in changes
        assert [a["action"] for a in store.audit()] == ["accept", "accept"]


@pytest.mark.parametrize("stage", ["archived", "after-rows"])
@both_engines
def test_crash_at_any_point_leaves_store_as_before_that_file(ctx, stage):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="a.xlsx")
    collect(open_round(ctx.ws, "2025"))
    before = _snapshot(ctx)
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")], name="b.xlsx")

    def boom(where, name):
        if where == stage:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        collect(open_round(ctx.ws, "2025"), _hook=boom)
    assert _snapshot(ctx) == before
    result = collect(open_round(ctx.ws, "2025"))  # the re-run completes the work
    assert {f.file: f.status for f in result.files} == {"a.xlsx": "duplicate", "b.xlsx": "rejected"}


@both_engines
def test_crash_before_feedback_is_recovered_from_the_store(ctx):
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")], name="b.xlsx")

    def boom(where, name):
        if where == "feedback":
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        collect(open_round(ctx.ws, "2025"), _hook=boom)
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        assert [s["status"] for s in store.submissions()] == ["rejected"]  # stored whole, before the kill
    assert not list(ctx.ws.round_dir("2025", "feedback").iterdir())
    [f] = collect(open_round(ctx.ws, "2025")).files
    assert f.status == "duplicate_rejected" and f.feedback.endswith("b_phan_hoi.xlsx")
    wb = openpyxl.load_workbook(f.feedback)
    assert "không có trong danh sách" in wb["Nhiệm vụ"]["B7"].comment.text


def _collect_in_process(root, q):
    try:
        r = collect(open_round(root, "2025"), feedback=False)
        q.put(sorted((f.file, f.status) for f in r.files))
    except Exception as exc:  # pragma: no cover - reported to the parent
        q.put(repr(exc))


@both_engines
def test_two_collects_at_once_do_not_corrupt(ctx):
    for code in ("XLS", "XCP", "XMC", "XTL", "XLT", "XYT"):
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01", title=f"Nhiệm vụ riêng của {code} số 1")])
    q = multiprocessing.get_context("spawn").Queue()
    procs = [multiprocessing.get_context("spawn").Process(target=_collect_in_process, args=(str(ctx.ws.root), q))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = [q.get(timeout=5) for _ in procs]
    assert all(isinstance(r, list) for r in results), results
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        subs = store.submissions("registration", "2025")
        assert len(subs) == 6 and len({s["sha256"] for s in subs}) == 6
        assert len(store.rows("registration", "2025")) == 6
    statuses = sorted(s for r in results for _, s in r)
    assert statuses.count("duplicate") == 6 and statuses.count("accepted") == 6


def test_registration_then_prefilled_progress_then_merge_figures(ctx):
    make_return(ctx, "registration", "XLS", "2025", [
        task("XLS-01", deadline=date(2025, 3, 31), area="Xây dựng Đảng"),
        task("XLS-02", title="Hoàn thành 12 km đường liên thôn", deadline=date(2025, 5, 31), area="Kinh tế – xã hội"),
        task("XLS-03", title="Số hoá 90% hồ sơ một cửa & <liên thông>", deadline=date(2025, 12, 31),
             area="Cải cách hành chính")])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", title="Kết nạp 30 đảng viên ở xã Cao Phong",
                                                          parent_code="XLS-01", deadline=date(2025, 6, 30))])
    collect(open_round(ctx.ws, "2025"))
    [tpl] = build_templates(open_round(ctx.ws, parse_period("2025-H1"), "progress"), ["XLS"])
    sh = openpyxl.load_workbook(tpl)["Tiến độ"]
    assert [sh.cell(row=r, column=1).value for r in (7, 8, 9)] == ["XLS-01", "XLS-02", "XLS-03"]
    assert sh["B8"].value == "Hoàn thành 12 km đường liên thôn" and sh["A7"].protection.locked
    prefill = {"progress": [{"task_code": f"XLS-0{i}"} for i in (1, 2, 3)]}
    rows = [{"status": "Hoàn thành", "percent": 100, "actual": 50, "completed_on": date(2025, 3, 20)},
            {"status": "Chậm tiến độ", "percent": 60, "actual": 7, "delay_cause": "Phụ thuộc nhà đầu tư, doanh nghiệp",
             "proposals": "=cmd| đề nghị bố trí vốn"},
            {"status": "Đang thực hiện – đúng tiến độ", "percent": 40}]
    make_return(ctx, "progress", "XLS", "2025-H1", rows, prefill=prefill, received=date(2025, 7, 15))
    result = collect(open_round(ctx.ws, "2025-H1"))
    assert [(f.status, f.late_days) for f in result.files] == [("warnings", 5)]
    status = round_status(open_round(ctx.ws, "2025-H1", "progress"))
    states = {u.code: u.state for u in status.units}
    assert states["XLS"] == "late" and states["XCP"] == "missing"
    # a progress report is expected from the units that have registered tasks: XLS and XCP
    assert status.rates()["reported"] == 1 and status.rates()["expected"] == 2
    assert openpyxl.load_workbook(status.workbook)["Chưa nộp"].max_row == 4 + 1
    m = merge(open_round(ctx.ws, "2025-H1"))
    wb = openpyxl.load_workbook(m.path)
    summary = wb["Tổng hợp theo đơn vị"]
    header = [c.value for c in summary[4]]
    by_code = {r[0].value: {h: c.value for h, c in zip(header, r)} for r in summary.iter_rows(min_row=5) if r[0].value}
    row = by_code["XLS"]
    assert by_code["XCP"]["Chưa báo cáo"] == 1 and by_code["XCP"]["Đến hạn trong kỳ"] == 1  # XCP sent nothing
    assert (row["Mã đơn vị"], row["Số nhiệm vụ"], row["Hoàn thành đúng hạn"], row["Quá hạn chưa hoàn thành"],
            row["Đang thực hiện, đúng tiến độ"]) == ("XLS", 3, 1, 1, 1)
    assert row["Chậm tiến độ, còn hạn"] == 0 and row["Đến hạn trong kỳ"] == 2  # XLS-03 is due in December
    data = wb["Dữ liệu"]
    head = [c.value for c in data[1]]
    first = {h: c.value for h, c in zip(head, data[2])}
    assert (first["Tệp nguồn"], first["Dòng"], first["Mức đạt chỉ tiêu (%)"]) == ("XLS_progress.xlsx", 7, 100)
    proposals = wb["Kiến nghị"]
    assert proposals["D2"].value == "=cmd| đề nghị bố trí vốn" and proposals["D2"].data_type == "s"
    assert [c.value for c in wb["Nguyên nhân chậm"]["A2":"B2"][0]] == ["Phụ thuộc nhà đầu tư, doanh nghiệp", 1]
    cascade = wb["Phân cấp nhiệm vụ"]
    assert [c.value for c in cascade[2]][:4] == ["XLS-01", task("XLS-01")["title"], "XLS", "XCP-01"]
    assert {r[0].value for r in wb["Chưa báo cáo"].iter_rows(min_row=2)} >= {"XCP"}
    [table] = wb["Dữ liệu"].tables.values()
    # 3 rows of XLS and the not-reported task of XCP
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(head))}5" and wb["Dữ liệu"].freeze_panes == "A2"


def test_large_round_streams_the_consolidated_workbook(ctx, monkeypatch):
    import toolkit.outputs.merge as merge_module

    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Hoàn thành 2 km đường")])
    collect(open_round(ctx.ws, "2025"))
    monkeypatch.setattr(merge_module, "STREAM_ROWS", 0)
    monkeypatch.setattr(merge_module, "SHEET_ROWS", 1)  # also exercise the split over several sheets
    m = merge(open_round(ctx.ws, "2025"))
    wb = openpyxl.load_workbook(m.path)
    assert wb["Dữ liệu"].auto_filter.ref and not wb["Dữ liệu"].tables
    assert wb["Dữ liệu"]["A2"].value == "XLS" and wb["Dữ liệu (2)"]["A2"].value == "XLS"
    assert [wb[s]["C2"].value for s in ("Dữ liệu", "Dữ liệu (2)")] == ["XLS-01", "XLS-02"]
    # a streamed row of long text is as high as its lines, as in the workbook held in memory (it printed one line)
    streamed = [wb[s].row_dimensions[2].height for s in ("Dữ liệu", "Dữ liệu (2)")]
    monkeypatch.setattr(merge_module, "STREAM_ROWS", 30_000)
    monkeypatch.setattr(merge_module, "SHEET_ROWS", 1_000)
    held = openpyxl.load_workbook(merge(open_round(ctx.ws, "2025")).path)["Dữ liệu"]
    assert streamed == [held.row_dimensions[r].height for r in (2, 3)] and all(h and h >= 30 for h in streamed)


@both_engines
def test_a_handle_reads_the_register_again_after_writing_through_it(ctx):
    """The register is read once per handle (a command's stages ask for it several times); a write through the
    handle — a registration accepted, a confirmation — is seen by the next read, and a caller changing the tasks
    it was given changes nothing for the next caller."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="v1.xlsx")
    rnd = open_round(ctx.ws, "2025")
    store = rnd.store  # the session's one handle, as every stage of a command uses it
    before = store.register("2025")
    assert before == []
    collect(rnd)
    after = store.register("2025")
    assert [t["task_code"] for t in after] == ["XLS-01"]
    after[0]["title"] = "changed by a caller"
    assert store.register("2025")[0]["title"] != "changed by a caller"
    assert store.set_confirmation("2025", "XLS", "XLS-01", "refused", "Chưa rõ chỉ tiêu")
    assert store.register("2025")[0]["confirmation"] == "refused"
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Số hoá 100% hồ sơ")],
                name="v2.xlsx", received=date(2025, 3, 1))
    collect(rnd)
    assert [t["task_code"] for t in store.register("2025")] == ["XLS-01", "XLS-02"]


@both_engines
def test_the_units_of_a_register_are_read_from_its_index_and_are_those_with_an_active_task(ctx):
    """Who registered (a progress round's expected units, its unregistered ones) without reading the register:
    the same units as its active tasks'."""
    from toolkit.round import register_units

    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Số hoá 100% hồ sơ")],
                name="v1.xlsx")
    rnd = open_round(ctx.ws, "2025")
    store = rnd.store
    assert store.register_units("2025") == set()
    collect(rnd)
    assert store.register_units("2025") == {"XLS"} == {t["unit_code"] for t in store.register("2025")}
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-02", title="Số hoá 100% hồ sơ")], name="v2.xlsx",
                received=date(2025, 3, 1))
    collect(rnd)  # XLS-01 left the register (inactive); the unit still has XLS-02
    assert [t["task_code"] for t in store.register("2025")] == ["XLS-02"]
    assert store.register_units("2025") == {"XLS"}
    assert store.register_units("2026") == set()
    assert register_units(open_round(ctx.ws, "2025-H1")) == {"XLS"}


@both_engines
def test_the_first_collect_killed_after_archiving_leaves_a_workspace_that_collects_again(ctx):
    """The archived file is dated when it was archived, not when the unit saved it: a first collect killed after
    archiving, before the store's first write, is not taken for a lost store on the next command."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="a.xlsx")  # saved on 20/01/2025

    def boom(where, name):
        if where == "archived":
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        collect(open_round(ctx.ws, "2025"), _hook=boom)
    result = collect(open_round(ctx.ws, "2025"))
    assert {f.file: f.status for f in result.files} == {"a.xlsx": "accepted"}


@both_engines
def test_a_handle_reads_the_register_again_after_another_connection_wrote_it(ctx):
    """A clerk on another PC confirms a task while this command runs: the next read of the register sees it."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    collect(open_round(ctx.ws, "2025"))
    mine = open_round(ctx.ws, "2025").store
    assert mine.register("2025")[0]["confirmation"] is None
    with open_store(ctx.store_target, root=ctx.ws.root) as other:
        assert other.set_confirmation("2025", "XLS", "XLS-01", "refused", "Chưa rõ chỉ tiêu")
    assert mine.register("2025")[0]["confirmation"] == "refused"


def test_streamed_rows_are_given_the_heights_rows_held_in_memory_get():
    """sheets.column_heights (the streamed data sheet's rows, a block at a time, column by column) gives each row
    what sheets.row_height gives it from its cells (the rows held in memory, one at a time)."""
    import random

    from toolkit.sheets import column_heights, row_height

    rng = random.Random(7)
    words = ["Xây", "dựng", "Đảng", "chính quyền", "e\nf", "", "1.200 km"]
    columns = [[rng.choice([None, 3, 2.5, " ".join(rng.choices(words, k=rng.randint(0, 30)))]) for _ in range(400)]
               for _ in range(5)]
    widths = [5, 10, 20, 7.5, 40]
    expected = {}
    for i, row in enumerate(zip(*columns), start=12):
        height = row_height([(v, w) for v, w in zip(row, widths) if isinstance(v, str) and len(v) > w], points=11)
        if height is not None:
            expected[i] = height
    assert column_heights(columns, widths, 12, points=11) == expected and len(expected) > 100
