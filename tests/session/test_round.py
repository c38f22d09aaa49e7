"""The Round (round.py): what open_round gives for a period, a form, a workspace's state, and what its
properties answer: folders, time, the registers it reads, the units expected."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import make_return, task

from toolkit.errors import ToolkitError
from toolkit.intake.collect import collect
from toolkit.round import as_round, open_round


def test_a_round_of_a_period_nothing_was_issued_for(ctx, ws):
    rnd = open_round(ctx, "2025")
    assert (rnd.code, [f.id for f in rnd.forms], rnd.explicit) == ("2025", ["registration"], False)
    assert (rnd.deadline, rnd.as_of, rnd.preliminary, rnd.register_key) == (date(2025, 1, 31), date(2025, 12, 31),
                                                                           False, "2025")
    assert rnd.inbox == ws.root / "rounds" / "2025" / "inbox" and rnd.output == ws.round_dir(rnd.period, "output")
    assert not rnd.started
    with pytest.raises(ToolkitError, match="chưa phát hành biểu mẫu nào và chưa tiếp nhận tệp nào"):
        rnd.require_started("tổng hợp")
    half = open_round(ctx, "2025-H1")
    assert ([f.id for f in half.forms], half.preliminary, half.register_keys) == (["progress"], True, ["2025"])


def test_a_named_form_must_fit_the_period_and_may_be_named_in_vietnamese(ctx):
    assert open_round(ctx, "2025-H1", "tien-do").form.id == "progress"
    assert open_round(ctx, "2025-H1", "progress").explicit
    with pytest.raises(ToolkitError, match="không dùng cho kỳ 2025-H1"):
        open_round(ctx, "2025-H1", "registration")
    with pytest.raises(ToolkitError, match="Không có biểu mẫu 'bao-cao'"):
        open_round(ctx, "2025", "bao-cao")


def test_a_stage_takes_a_round_never_a_path_and_a_period(ws):
    with pytest.raises(TypeError, match="a stage takes a Round"):
        as_round(ws.root)
    with pytest.raises(TypeError):
        collect(ws.root, "2025")


def test_what_was_received_tells_the_rounds_forms_and_the_units_a_progress_round_expects(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01")])
    collect(open_round(ctx, "2025"))
    registration = open_round(ctx, "2025")
    assert registration.started and [f.id for f in registration.forms] == ["registration"]
    assert len(registration.expected()) > 2  # every unit below the office is asked to register
    half = open_round(ctx, "2025-H1")
    assert [u.code for u in half.expected()] == ["BTC", "XLS"]  # only those with tasks in the year's register
    assert half.store is registration.store is ctx.store  # one handle for the session
