"""The store's schema versions (Alembic): a new store is created at the latest version; an older one (a SQLite
store made before schema versions existed, or by an earlier version) is copied aside, then upgraded in place by
the migrations in ``migrations/versions``. A store newer than this program is refused, never rewritten.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect

from ..machine import StoreError
from . import engine
from . import schema as S
from .engine import shown

HEAD = "0002"
MIGRATIONS = Path(__file__).parent / "migrations"
# columns the SQLite store gained before schema versions existed (what toolkit 0.1 added on open)
LEGACY_COLUMNS = {"tasks": {"confirmation": "TEXT", "confirmation_note": "TEXT", "confirmed_version": "INTEGER",
                            "dropped": "INTEGER DEFAULT 0"},
                  "task_changes": {"adjustment_id": "INTEGER", "decision_ref": "TEXT"},
                  "submissions": {"collected_as": "TEXT"}}
ORDER = ["0001", "0002"]


class NewerStore(Exception):
    pass


def revision(store) -> str | None:
    if not inspect(store.conn).has_table("alembic_version"):
        return None
    row = store._x("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def check_server(conn, where: str) -> None:
    """Refuse a PostgreSQL server older than the toolkit supports."""

    number = int(conn.exec_driver_sql("SHOW server_version_num").scalar())
    if number // 10000 < engine.MIN_SERVER:
        raise StoreError(f"Máy chủ PostgreSQL {where} là phiên bản {number // 10000}, quá cũ: bộ công cụ cần "
                         f"PostgreSQL {engine.MIN_SERVER} trở lên. Nâng cấp máy chủ (hoặc dùng một máy chủ mới hơn) rồi chạy "
                         f"lại lệnh.")


def ensure_schema(store) -> None:
    """Create the schema of a new store, or upgrade an older one (after a backup copy). The cache tables
    (schema.CACHES) an older store lacks are made when first written (Store.save_text_links), not here: opening a
    store never waits for its write lock."""
    rev = revision(store)
    if rev == HEAD:
        return
    with store.transaction() as tx:
        rev = revision(store)  # again, under the write lock: another PC may have just created it
        if rev is None and not inspect(store.conn).has_table("submissions"):
            _create(store)
            return
        tx.commit = False
    if rev == HEAD:
        return
    if rev not in ORDER and rev is not None:
        raise StoreError(f"Kho dữ liệu {shown(store.target)} do một phiên bản mới hơn của bộ công cụ tạo (phiên bản "
                         f"lược đồ {rev}). Cài phiên bản mới của bộ công cụ trên máy này rồi chạy lại lệnh.")
    backup(store, rev)
    upgrade(store, rev)


def _create(store) -> None:
    S.metadata.create_all(store.conn)
    for sql in S.view_statements(store.dialect):
        store._x(sql)
    store._x("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    store._x("INSERT INTO alembic_version (version_num) VALUES (?)", (HEAD,))
    store._x("INSERT INTO meta (key, value) VALUES ('created_ns', ?)", (str(time.time_ns()),))


def backup(store, rev: str | None) -> Path | None:
    """A copy of a SQLite store before it is upgraded (``<name>.truoc_nang_cap_<time>.sqlite`` beside it)."""
    if store.server:
        return None  # PostgreSQL stores start at version 0002; the server's own backups (pg_dump) apply
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    target = store.path.with_name(f"{store.path.stem}.truoc_nang_cap_{stamp}{store.path.suffix}")
    raw = store.conn.connection.dbapi_connection
    copy = sqlite3.connect(str(target))
    try:
        raw.backup(copy)
    finally:
        copy.close()
    return target


def upgrade(store, rev: str | None) -> None:
    if rev is None:  # a SQLite store of toolkit 0.1: its late columns, then it is version 0001
        for table, columns in LEGACY_COLUMNS.items():
            have = {r[1] for r in store._x(f"PRAGMA table_info({table})")}
            for name, decl in columns.items():
                if name not in have:
                    store._x(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        store._x("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        store._x("INSERT INTO alembic_version (version_num) VALUES ('0001')")
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = store.conn
    command.upgrade(cfg, "head")
