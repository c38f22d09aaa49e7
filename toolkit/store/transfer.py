"""Moving an office's history between engines: ``toolkit store migrate DIR --to postgresql://…`` (or ``--to
sqlite``) copies every table of the store, checks the counts table by table, then points settings.yaml at the new
store. The old store is kept as it was (a SQLite file stays in the workspace; a server's database is not touched),
so going back is one more migrate. ``toolkit init --store URL`` points a workspace at a server from the start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Float, Integer, select

from ..errors import ToolkitError, WorkspaceError
from . import schema as S
from .engine import check_url, is_server, shown, store_target
from .sqlite import _number, open_store

CHUNK = 5000


@dataclass
class MigrateResult:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    kept: str = ""

    def lines(self) -> list[str]:
        total = sum(self.counts.values())
        out = [f"Đã chuyển kho dữ liệu: {self.source} → {self.target} ({total} dòng của {len(self.counts)} bảng; số "
               f"dòng từng bảng đã đối chiếu, khớp)."]
        out.extend(f"  {name}: {n}" for name, n in self.counts.items() if n)
        out.append(f"Kho cũ được giữ nguyên: {self.kept or self.source}. settings.yaml nay dùng kho mới.")
        return out

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def use_store(ws, url: str) -> None:
    """Point a new workspace at a PostgreSQL store (``init --store``): the server is reached and the schema created
    now, so a wrong password or a missing database is said at once."""
    url = check_url(url)
    if ws.db_path.exists() and ws.db_path.stat().st_size:
        with open_store(ws.db_path, guard=False, root=ws.root) as old:
            if old.table_counts()["seen_files"]:
                raise WorkspaceError(f"Thư mục làm việc {ws.root} đã có dữ liệu trong tệp {ws.db_path.name}: chuyển "
                                     f"sang máy chủ bằng 'toolkit store migrate {ws.root} --to {url}'.")
    with open_store(url, guard=False, root=ws.root):
        pass
    ws.settings["store"] = url
    ws.save()


def migrate_workspace(root: str | os.PathLike, to: str) -> MigrateResult:
    from ..context import load_context
    from .lock import round_lock

    ctx = load_context(root)
    ws = ctx.ws
    source = store_target(ws)
    target = ws.db_path if to.strip().lower() in ("sqlite", "") else check_url(to)
    if str(source) == str(target):
        raise ToolkitError(f"Thư mục làm việc đã dùng kho {shown(source)}: không có gì để chuyển.")
    result = MigrateResult(source=shown(source), target=shown(target))
    with ctx, round_lock(ctx, None, "chuyển kho dữ liệu"):
        src = ctx.store
        if not is_server(target) and Path(target).exists():  # an earlier SQLite store of this workspace: kept aside
            aside = _aside(Path(target))
            result.kept = f"{shown(source)}; tệp SQLite trước đó: {aside}"
        with open_store(target, guard=False, root=ws.root) as dst:
            if dst.table_counts()["seen_files"] or dst.table_counts()["tasks"]:
                raise WorkspaceError(f"Kho đích {shown(target)} đã có dữ liệu: chọn một cơ sở dữ liệu trống (bộ công cụ "
                                     f"không ghi đè dữ liệu đã có).")
            copy_store(src, dst)
            want, have = src.table_counts(), dst.table_counts()
            differ = [f"{t}: {want[t]} → {have[t]}" for t in want if want[t] != have[t]]
            if differ:
                raise ToolkitError("Số dòng sau khi chép không khớp (" + "; ".join(differ) + "): settings.yaml vẫn dùng "
                                   "kho cũ.")
            result.counts = have
    if is_server(target):
        ws.settings["store"] = target
    else:
        ws.settings.pop("store", None)
    ws.save()
    return result


def copy_store(src, dst) -> None:
    """Every table of ``src`` into the empty ``dst`` (one transaction), ids kept, the server's counters moved on."""
    dst._begin()
    try:
        dst._x("DELETE FROM meta")
        for table in S.metadata.sorted_tables:
            if table.name == "locks":
                continue
            casts = {c.name: (int if isinstance(c.type, Integer) else _number) for c in table.columns
                     if isinstance(c.type, (Integer, Float))}
            result = src.conn.execute(select(table))
            while True:
                chunk = result.fetchmany(CHUNK)
                if not chunk:
                    break
                rows = [{k: (casts[k](v) if k in casts and v is not None and not isinstance(v, (int, float)) else v)
                         for k, v in r._mapping.items()} for r in chunk]
                dst.conn.execute(table.insert(), rows)
            if dst.server and "id" in table.c and isinstance(table.c.id.type, Integer):
                dst._x(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                       f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")
        dst._end(True)
    except BaseException:
        dst._rollback()
        raise


def empty_store(store) -> None:
    """Every table of a server's store emptied (the rebuild of a PostgreSQL store, after a copy was kept)."""
    store._begin()
    try:
        for table in reversed(S.metadata.sorted_tables):
            if table.name != "meta":
                store._x(f"DELETE FROM {table.name}")
        store._end(True)
    except BaseException:
        store._rollback()
        raise


def _aside(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    target = path.with_name(f"{path.stem}.truoc_khi_chuyen_{stamp}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        s = Path(str(path) + suffix)
        if s.exists():
            os.replace(s, Path(str(target) + suffix))
    return target
