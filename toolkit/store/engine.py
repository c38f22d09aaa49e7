"""Where the store lives and how it is reached: a SQLite file in the workspace (the default, nothing to install) or
a PostgreSQL database named by a URL (``store:`` in settings.yaml, or ``toolkit init --store``). The password is
never written by the toolkit: libpq's conventions apply (PGPASSWORD, the pgpass file, PGSSLMODE / ``?sslmode=``).
Also: who is working (the Windows user and PC) for the audit trail and the round's lock.
"""

from __future__ import annotations

import getpass
import os
import socket
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from ..errors import ToolkitError

MIN_SERVER = 12  # PostgreSQL versions still supported upstream when this was written (and tested: 15)


class StoreSettingError(ToolkitError):
    """The ``store`` setting cannot be used (a password written in it, an unknown kind of database)."""


def is_server(target) -> bool:
    return isinstance(target, str) and target.split(":", 1)[0].startswith("postgres")


def store_target(ws) -> str | Path:
    """The workspace's store: the URL of settings.yaml's ``store``, or the SQLite file in the workspace."""
    value = ws.settings.get("store")
    if value in (None, "", "sqlite"):
        return ws.db_path
    return check_url(str(value))


def check_url(value: str) -> str:
    """A PostgreSQL URL the toolkit may keep: no password in it (libpq finds it), ``postgresql://`` form."""
    value = value.strip()
    if not is_server(value):
        raise StoreSettingError(f"Địa chỉ kho dữ liệu '{value}' không dùng được: ghi dạng "
                                f"postgresql://người_dùng@máy_chủ:5432/tên_cơ_sở_dữ_liệu (hoặc bỏ trống để dùng tệp "
                                f"SQLite trong thư mục làm việc).")
    try:
        url = make_url(value)
    except Exception:
        raise StoreSettingError(f"Địa chỉ kho dữ liệu '{value}' không đúng dạng postgresql://người_dùng@máy_chủ:5432/"
                                f"tên_cơ_sở_dữ_liệu.") from None
    if url.password:
        raise StoreSettingError("Địa chỉ kho dữ liệu có ghi mật khẩu: bộ công cụ không lưu mật khẩu. Bỏ mật khẩu khỏi "
                                "địa chỉ và khai báo trong tệp pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf) "
                                "hoặc biến môi trường PGPASSWORD.")
    if not url.database:
        raise StoreSettingError(f"Địa chỉ kho dữ liệu '{value}' thiếu tên cơ sở dữ liệu (phần sau dấu '/').")
    return value


def shown(target) -> str:
    """The store's name for messages (a URL never shows a password)."""
    if is_server(target):
        return make_url(target).render_as_string(hide_password=True)
    return str(target)


def make_engine(target) -> Engine:
    """An engine without a pool (a session holds one connection; closing it closes the file or the socket), in
    autocommit: the store opens its write transactions itself (BEGIN IMMEDIATE on SQLite; BEGIN and a transaction
    advisory lock on PostgreSQL), so a read never holds a transaction open."""
    if is_server(target):
        url: URL = make_url(target).set(drivername="postgresql+psycopg")
        return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": int(os.environ.get("TOOLKIT_PG_TIMEOUT", "10")),
                                           "application_name": "toolkit"})
    import sqlite3

    path = str(Path(target))

    def connect():
        return sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi, _record) -> None:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=60000", "foreign_keys=ON"):
            dbapi.execute(f"PRAGMA {pragma}")

    return engine


# --- who is working -------------------------------------------------------------------------------------------

def actor() -> str:
    """The user's name: Windows' USERNAME, else the login name."""
    name = os.environ.get("USERNAME") or os.environ.get("USER")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:
            name = "?"
    return name


def machine() -> str:
    """The PC's name: Windows' COMPUTERNAME, else the host name."""
    return os.environ.get("COMPUTERNAME") or socket.gethostname() or "?"
