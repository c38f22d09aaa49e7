"""One handle per session: the rounds of a context share its one store handle, a read never creates the store,
and stages leave the handle open for the next one."""

from __future__ import annotations

from datetime import date

from conftest import make_return, task

from toolkit.context import load_context
from toolkit.intake.collect import collect
from toolkit.outputs.merge import merge
from toolkit.outputs.status import round_statuses
from toolkit.round import open_round


def test_a_read_never_creates_the_store(ws):
    session = load_context(ws)
    rnd = open_round(session, "2025")
    assert not rnd.started and not session.has_store and not ws.db_path.exists()


def test_the_rounds_of_a_session_share_one_store_handle(ws):
    session = load_context(ws)
    make_return(session, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    rnd = open_round(session, "2025")
    assert collect(rnd).files[0].status in ("accepted", "warnings")
    handle = session.store
    again = open_round(session, "2025")  # after the collect: the returns tell which forms the round has
    assert again.store is handle and rnd.store is handle and [f.id for f in again.forms] == ["registration"]
    [status] = round_statuses(again)
    assert status.rates()["reported"] == 1 and merge(again).rows == 1
    assert session.store is handle and handle.query("SELECT COUNT(*) AS n FROM submissions")[0]["n"] == 1
    session.close()
    assert session._store is None and session.store is not handle  # reopened on the next use
