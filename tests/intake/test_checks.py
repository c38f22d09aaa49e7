"""intake/checks.py, rule by rule, on a real progress return (built with the template builder, read back by the
intake): what each rule finds, in which cell, given what the round knows (its Lookups)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import make_return

from toolkit.intake import checks
from toolkit.intake.checks import Lookups
from toolkit.intake.validate import parse_workbook
from toolkit.read import open_workbook

REGISTER = {"XLS": {"XLS-01": {"title": "Kết nạp đảng viên mới", "deadline": "2025-03-31", "baseline": 2,
                               "target": 10},
                    "XLS-02": {"title": "Giảm tỷ lệ hộ nghèo", "deadline": "2025-12-15", "baseline": 11.2,
                               "target": 8.5}}}


def _row(code, status, percent, **kw):
    return {"task_code": code, "status": status, "percent": percent, **kw}


def _run(ctx, rule_id: str, rows: list[dict], lookups: Lookups | None = None):
    sub = parse_workbook(open_workbook(make_return(ctx, "progress", "XLS", "2025-H1", rows)), ctx)
    ps = sub.sheets["progress"]
    [(_, rule)] = list(sub.form.rules(rule_id))
    issues = list(checks.RULES[rule_id](sub, ps, rule, ctx, lookups or Lookups()))
    return [(i.code, i.cell) for i in issues], issues, ps


def test_register_complete_names_the_tasks_unknown_and_missing_and_takes_the_register_spelling(ctx):
    found, issues, ps = _run(ctx, "register-complete", [_row("xls-01", "Đúng tiến độ", 50),
                                                        _row("XLS-09", "Đúng tiến độ", 50)], Lookups(register=REGISTER))
    assert found == [("task-unknown", "A8"), ("task-missing", "")] and issues[1].params["value"] == "XLS-02"
    assert ps.rows[0].values["task_code"] == "XLS-01"  # as the register spells it


def test_progress_trend_compares_with_the_units_own_latest_report(ctx):
    last = {("XLS", "XLS-01"): ("quý I năm 2025", "Đúng tiến độ", 60, 5),
            ("XLS", "XLS-02"): ("quý I năm 2025", "Hoàn thành", 100, 9.0)}
    rows = [_row("XLS-01", "Đúng tiến độ", 40, actual=3), _row("XLS-02", "Chậm tiến độ", 80, actual=9.5,
                                                                delay_cause="Nguyên nhân khách quan")]
    found, _, _ = _run(ctx, "progress-trend", rows, Lookups(register=REGISTER, last_values=last))
    # a poverty rate falls towards its target: its actual value going up is the warning, not going down
    assert found == [("progress-percent-down", "G7"), ("progress-actual-down", "H7"), ("progress-done-undone", "F8"),
                     ("progress-actual-up", "H8")]
    assert _run(ctx, "progress-trend", rows)[0] == []  # nothing earlier to compare with


def test_a_task_done_without_its_date_is_judged_by_the_date_in_its_result(ctx):
    rows = [_row("XLS-01", "Hoàn thành", 100, results="Đã kết nạp 10 đảng viên, hoàn thành ngày 15/03/2025."),
            _row("XLS-02", "Hoàn thành", 100, results="Đã hoàn thành."),
            _row("XLS-03", "Hoàn thành", 100, completed_on=date(2025, 3, 1))]
    found, issues, _ = _run(ctx, "completed-date", rows, Lookups(register=REGISTER))
    # XLS-02 is due in December: finished before a deadline to come is on time whatever the day
    assert found == [("completed-date-missing", "I7")]
    assert "trong thời hạn 31/03/2025" in issues[0].message


@pytest.mark.parametrize("status, cause, expected", [("Chậm tiến độ", None, [("delay-cause-missing", "L7")]),
                                                     ("Chậm tiến độ", "Nguyên nhân khách quan", []),
                                                     ("Đúng tiến độ", None, [])])
def test_a_task_behind_needs_its_cause(ctx, status, cause, expected):
    assert _run(ctx, "required-when", [_row("XLS-01", status, 40, delay_cause=cause)])[0] == expected


def test_lookups_keep_each_cascade_of_tasks():
    lk = Lookups()
    lk.add_parent("XLS", "xls-01", "tu-01")
    lk.add_parent("XCP", "xcp-01", "tu-01")
    lk.add_parent("BTC", "btc-01", "")
    assert lk.cascade == {"xls-01": {"XLS"}, "tu-01": {"XLS", "XCP"}, "xcp-01": {"XCP"}, "btc-01": {"BTC"}}
    assert lk.parents[("XCP", "xcp-01")] == "tu-01"


def test_the_lookups_hold_of_each_task_the_fields_the_checks_read(ctx):
    """Collect reads, of the tasks of the unit whose file it judges, only what the checks read (a dict of the 25
    fields of each of 180,000 tasks held ahead took 230 MB at 3,000 units); a check reading another field lists it."""
    import inspect
    import re

    from conftest import task

    from toolkit.intake.checks import CHECKED_TASK_FIELDS
    from toolkit.intake.collect import collect, prepare_lookups
    from toolkit.periods import parse_period
    from toolkit.round import open_round

    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31), target=12),
                                                     task("XLS-02", baseline=11.2, target=8.5)])
    collect(open_round(ctx, "2025"))
    lk = prepare_lookups(ctx, ctx.store, ctx.form("progress"), parse_period("2025-H1"))
    reads = []
    load = lk.register._load
    lk.register._load = lambda unit: reads.append(unit) or load(unit)
    assert lk.register.get("XLS")["XLS-01"] == {"title": task("XLS-01")["title"], "deadline": "2025-03-31",
                                                "baseline": None, "target": 12.0}
    assert lk.register.get("XLS")["XLS-02"]["baseline"] == 11.2 and lk.register_codes == {"XLS-01", "XLS-02"}
    assert lk.register.get("XCP") is None and lk.register.get("XCP", {}) == {}  # no task: as a dict without it
    assert reads == ["XLS", "XCP"]  # a unit's tasks read when its file is judged, not the whole register ahead
    source = inspect.getsource(checks)
    read = set(re.findall(r"task\.get\(\"(\w+)\"", source)) | set(re.findall(r"task\[\"(\w+)\"\]", source))
    assert read and read <= set(CHECKED_TASK_FIELDS), read - set(CHECKED_TASK_FIELDS)
