"""The round's lock: one collect (or rebuild) at a time per store, saying who holds it.

On PostgreSQL the lock lives in the database: a session advisory lock, which the server releases by itself when
the holder's connection ends (a PC switched off, a process killed), so several PCs sharing the workspace and the
server never collect at once. On SQLite it is the workspace's lock file, as before. Either way the holder is
written in the store's ``locks`` table (the Windows user, the PC, since when) and a clerk who waits too long is
told: "nguyenvana đang tiếp nhận kỳ 2026-H1 trên máy VP-02 từ 09:14".
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime

from ..errors import WorkspaceError
from ..files import workspace_lock
from ..machine import read_only_workspace
from .engine import is_server

ROUND_LOCK = 7_366_002  # the advisory lock's key (the write transactions use 7_366_001)
POLL_S = 0.2
# passing notices for whoever drives the toolkit (the CLI prints them on stderr as they come)
NOTICE = logging.getLogger("toolkit.notice")


def timeout_s(default: float = 1800) -> float:
    return float(os.environ.get("TOOLKIT_LOCK_TIMEOUT", default))


def holder_sentence(holder: dict | None) -> str:
    if not holder:
        return "Một người khác đang dùng kho dữ liệu"
    since = datetime.fromisoformat(holder["since"])
    when = f"{since:%H:%M}" if since.date() == datetime.now().date() else f"{since:%H:%M} ngày {since:%d/%m/%Y}"
    what = holder.get("action") or "tiếp nhận"
    period = f" kỳ {holder['period']}" if holder.get("period") else ""
    return f"{holder['actor']} đang {what}{period} trên máy {holder['machine']} từ {when}"


class round_lock:
    """``with round_lock(ctx, "2026-H1"):`` — wait for the lock (up to ``timeout`` seconds), hold it for the block."""

    def __init__(self, ctx, period: str | None, action: str = "tiếp nhận", timeout: float | None = None):
        self.ctx, self.period, self.action = ctx, period, action
        self.timeout = timeout_s() if timeout is None else timeout
        self.file = None

    def __enter__(self) -> round_lock:
        deadline = time.monotonic() + self.timeout
        if not is_server(self.ctx.store_target):
            lock = workspace_lock(self.ctx.ws.root, timeout=self.timeout, on_wait=lambda: self._waiting(self.ctx.store))
            try:
                lock.__enter__()
            except WorkspaceError as exc:
                if str(exc) == read_only_workspace(str(self.ctx.ws.root)):
                    raise
                raise WorkspaceError(self._busy(self.ctx.store)) from None
            self.file = lock
            store = self.ctx.store
        else:
            store = self.ctx.store
            told = False
            while not store.try_advisory_lock(ROUND_LOCK):
                if time.monotonic() > deadline:
                    raise WorkspaceError(self._busy(store))
                if not told:
                    self._waiting(store)
                    told = True
                time.sleep(POLL_S)
        try:
            store.set_lock_holder("round", self.period, self.action)
        except BaseException:
            self._release()
            raise
        return self

    def _waiting(self, store) -> None:
        """Said at once when the wait begins (not only once it has lasted the whole timeout)."""
        limit = f"{self.timeout / 60:.0f} phút" if self.timeout >= 120 else f"{self.timeout:.0f} giây"
        try:
            holder = store.lock_holder("round")
        except Exception:  # (a label only: the wait goes on without it)
            holder = None
        NOTICE.warning(f"{holder_sentence(holder)}: đang chờ người đó làm xong (tối đa {limit}); bấm Ctrl+C để dừng "
                       f"chờ.")

    def _busy(self, store) -> str:
        return (f"{holder_sentence(store.lock_holder('round'))}; đã chờ {self.timeout:.0f} giây. Chờ người đó làm xong "
                f"rồi chạy lại lệnh.")

    def _release(self) -> None:
        if self.file is not None:
            self.file.__exit__(None, None, None)
            self.file = None
        elif self.ctx._store is not None and self.ctx._store.conn is not None:
            self.ctx._store.advisory_unlock(ROUND_LOCK)

    def __exit__(self, *exc) -> None:
        try:
            if self.ctx._store is not None and self.ctx._store.conn is not None:
                self.ctx._store.clear_lock_holder("round")
        except Exception:
            pass  # the holder's row is only a label: the next holder overwrites it
        self._release()
