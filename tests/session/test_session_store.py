"""One handle per session: the rounds of a context share its one store handle, a read never creates the store,
and stages leave the handle open for the next one."""

from __future__ import annotations

from datetime import date

from conftest import both_engines, make_return, task

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


@both_engines  # (the store's version read from either engine)
def test_a_task_refused_in_a_session_leaves_the_frames_the_session_builds_next(ctx):
    """The round frame is kept in the session while the store does not change (Store.version); refusing a task at
    confirmation changes no task's version. A session (the library's user, a review step of `run_round`) that built
    the progress round's frame, then refused a task, went on reading the refused task: scored, merged, reported."""
    from clerk_helpers import set_opinions

    from toolkit.cycle.confirm import confirm
    from toolkit.register.frame import round_frame

    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31)), task("XLS-02")])
    collect(open_round(ctx, "2025"))
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100,
                                                     "completed_on": date(2025, 3, 20)}], received=date(2025, 7, 5))
    collect(open_round(ctx, "2025-H1"))

    def tasks() -> list[str]:
        rnd = open_round(ctx, "2025-H1")
        return sorted(round_frame(rnd, ctx.store, rnd.forms[0])["task_code"].dropna())

    assert tasks() == ["XLS-01", "XLS-02"]
    review = confirm(open_round(ctx, "2025")).path  # the office's sheet, then its opinion on XLS-02
    set_opinions(review, "Xác nhận đăng ký", {("XLS", "XLS-02"): {"Ý kiến": "Không đồng ý",
                                                                "Nội dung đề nghị sửa, lý do": "Trùng XLS-01."}})
    assert confirm(open_round(ctx, "2025")).refused == 1
    assert tasks() == ["XLS-01"]


@both_engines
def test_a_write_transaction_commits_at_its_end_and_rolls_back_a_failure(ctx, monkeypatch):
    """Store.transaction, the one way every write of the store is made: committed when the block ends; rolled back
    when the block raises, when it sets ``commit`` False, and when COMMIT itself fails (a full disk), the error
    raised being the one that happened and no transaction left open."""
    import pytest

    store = ctx.store

    def entries() -> list[str]:
        return [r["detail"] for r in store.query("SELECT detail FROM audit WHERE action='test' ORDER BY id")]

    with store.transaction():
        store.log("test", "kept")
    with pytest.raises(KeyError):
        with store.transaction():
            store.log("test", "raised")
            raise KeyError("x")
    with store.transaction() as tx:
        store.log("test", "not wanted")
        tx.commit = False
    real = store._end

    def full_disk(commit: bool) -> None:
        if commit:
            raise OSError(28, "No space left on device")
        real(commit)

    monkeypatch.setattr(store, "_end", full_disk)
    with pytest.raises(OSError, match="No space left"):
        with store.transaction():
            store.log("test", "commit failed")
    monkeypatch.undo()
    assert not store._in_transaction()
    assert entries() == ["kept"]
    with store.transaction():  # the store goes on after each
        store.log("test", "after")
    assert entries() == ["kept", "after"]
    with pytest.raises(KeyError):  # never nested (PostgreSQL took the inner COMMIT for the outer's): refused
        with store.transaction():
            store.log("test", "outer")
            with pytest.raises(RuntimeError, match="already open"):
                with store.transaction():
                    store.log("test", "inner")
            raise KeyError("x")
    assert entries() == ["kept", "after"] and not store._in_transaction()
