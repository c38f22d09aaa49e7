"""Moving an office's history between engines (toolkit.rebuild.migrate_store runs ``toolkit store migrate``):
every table of the store copied, in one transaction, into an empty store of the other engine. The old store is kept as it was (a SQLite file stays in the workspace; a server's database is not touched),
so going back is one more migrate. ``toolkit init --store URL`` points a workspace at a server from the start.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Float, Integer, select

from ..errors import WorkspaceError
from . import schema as S
from .core import _number, open_store
from .engine import check_url, shown

CHUNK = 5000


def use_store(ws, url: str) -> None:
    """Point a new workspace at a PostgreSQL store (``init --store``): the server is reached and the schema created
    now, so a wrong password or a missing database is said at once."""
    url = check_url(url)
    if ws.db_path.exists() and ws.db_path.stat().st_size:
        with open_store(ws.db_path, guard=False, root=ws.root) as old:
            if old.table_counts()["seen_files"]:
                raise WorkspaceError(f"Thư mục làm việc {ws.root} đã có dữ liệu trong tệp {ws.db_path.name}: chuyển "
                                     f"sang máy chủ bằng 'toolkit store migrate {ws.root} --to {url}'.")
    own = ws.settings.get("store")  # init run again on a workspace already on this server (a period added)
    with open_store(url, guard=False, root=ws.root) as store:
        counts = store.table_counts()
        if (counts["seen_files"] or counts["tasks"]) and not (own and check_url(str(own)) == url):  # another workspace's store: a second folder would rebuild it
            raise WorkspaceError(  # from its own archive and drop every return it does not hold
                f"Cơ sở dữ liệu {shown(url)} đã có dữ liệu của một thư mục làm việc khác ({counts['seen_files']} tệp "
                f"đã nhận). Mỗi kho trên máy chủ thuộc về một thư mục làm việc: mọi người cùng làm mở chung thư mục "
                f"làm việc đó (để trên ổ mạng), không tạo thư mục mới. Thư mục làm việc mới cần một cơ sở dữ liệu "
                f"trống (CREATE DATABASE …).")
    ws.settings["store"] = url
    ws.save()


def copy_store(src, dst) -> None:
    """Every table of ``src`` into the empty ``dst`` (one transaction), ids kept, the server's counters moved on."""
    with dst.transaction():
        dst._x("DELETE FROM meta")
        for table in S.metadata.sorted_tables:
            if table.name == "locks" or (table in S.CACHES and not src.has_table(table.name)):
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


def empty_store(store) -> None:
    """Every table of a server's store emptied (the rebuild of a PostgreSQL store, after a copy was kept)."""
    with store.transaction():
        for table in reversed(S.metadata.sorted_tables):
            if table.name != "meta" and (table not in S.CACHES or store.has_table(table.name)):
                store._x(f"DELETE FROM {table.name}")


def keep_aside(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    target = path.with_name(f"{path.stem}.truoc_khi_chuyen_{stamp}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        s = Path(str(path) + suffix)
        if s.exists():
            os.replace(s, Path(str(target) + suffix))
    return target
