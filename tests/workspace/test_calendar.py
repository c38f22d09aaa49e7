"""The Calendar: the periods a workspace knows, which are terms, which registers a progress round follows."""

from __future__ import annotations

from datetime import date

from conftest import make_return, task

from toolkit.intake.collect import collect
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.workspace.calendar import Calendar, period_label, period_of


def test_codes_that_are_not_periods_are_simply_not_periods():
    assert period_of("2025-H1").kind == "half" and period_of("ghi chú") is None and period_of(None) is None
    assert period_label("2025-9M") == "9 tháng năm 2025" and period_label("khác") == "khác"
    cal = Calendar(["2025", "khác", "2021-2025", "2025-H1"])
    assert [p.code for p in cal.periods] == ["2025-H1", "2021-2025", "2025"]  # by end, the longer span first


def test_a_progress_round_follows_its_year_and_every_term_covering_it():
    cal = Calendar.of({"periods": {"2025": {}, "2021-2025": {}, "2026-2030": {}}}, stored=["2026"])
    assert [t.code for t in cal.terms] == ["2021-2025", "2026-2030"]
    assert cal.register_keys(period_of("2025-H1")) == ["2025", "2021-2025"]
    assert cal.register_keys(period_of("2026-Q1")) == ["2026", "2026-2030"]
    assert cal.register_keys(period_of("2021-2025")) == ["2021-2025"]


def test_what_came_earlier_in_the_year():
    cal = Calendar(["2025-Q1", "2025-H1", "2025-9M", "2024-Y"])
    assert [p.code for p in cal.earlier(period_of("2025-9M"), same_year=True)] == ["2025-Q1", "2025-H1"]
    assert [p.code for p in cal.earlier(period_of("2025-H1"))] == ["2024-Y", "2025-Q1"]


def test_the_sessions_calendar_follows_settings_and_the_register(ctx, ws):
    cal = ctx.calendar
    assert [p.code for p in cal.periods] == ["2025-H1", "2025"] and cal.terms == []
    assert ctx.calendar is cal  # built once while neither settings.yaml nor the store changed
    ws.set_period(parse_period("2021-2025"), date(2021, 3, 31))
    assert [t.code for t in ctx.calendar.terms] == ["2021-2025"]
    assert ctx.calendar.register_keys(period_of("2025-H1")) == ["2025", "2021-2025"]
    before = ctx.calendar
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    collect(open_round(ctx, "2025"))
    after = ctx.calendar  # the store changed: built again, with the register's keys
    assert after is not before and [p.code for p in after.periods] == [p.code for p in before.periods]
