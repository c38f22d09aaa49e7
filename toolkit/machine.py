"""Faults of the machine, never of a unit's file: a full or read-only disk, a file size limit, a damaged store,
a worker process killed from outside. They are said to the clerk in Vietnamese, with what to do, and nothing is
recorded against the unit (the file is read again next time).
"""

from __future__ import annotations

import errno
import os
import sqlite3

from .errors import ToolkitError


class MachineFault(ToolkitError):
    """A fault of the machine or the workspace's storage that stopped a command (exit code 2)."""


class StoreError(MachineFault):
    """The history store is missing, empty, damaged or cannot be written."""


DISK_ERRNOS = {
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EFBIG: "tệp vượt giới hạn kích thước mà máy cho phép (ulimit -f hoặc hạn mức ổ đĩa)",
    errno.EROFS: "thư mục làm việc chỉ cho đọc (read-only), không ghi được",
    errno.EACCES: "không có quyền ghi vào thư mục làm việc",
    errno.EPERM: "không có quyền ghi vào thư mục làm việc",
    errno.EIO: "lỗi đọc/ghi của ổ đĩa",
    getattr(errno, "EDQUOT", -1001): "đã hết hạn mức dung lượng (quota) của người dùng",
}
WHAT_TO_DO = {
    errno.ENOSPC: "Giải phóng chỗ trống trên ổ đĩa rồi chạy lại lệnh.",
    errno.EFBIG: "Nhờ người quản trị bỏ giới hạn kích thước tệp rồi chạy lại lệnh.",
    errno.EROFS: "Chép thư mục làm việc sang ổ ghi được (hoặc bỏ chế độ chỉ đọc) rồi chạy lại lệnh.",
    errno.EACCES: "Kiểm tra quyền ghi của tài khoản trên thư mục làm việc rồi chạy lại lệnh.",
    errno.EPERM: "Kiểm tra quyền ghi của tài khoản trên thư mục làm việc rồi chạy lại lệnh.",
    errno.EIO: "Kiểm tra ổ đĩa (hoặc chép thư mục làm việc sang ổ khác) rồi chạy lại lệnh.",
}
STORAGE_ERRNOS = set(DISK_ERRNOS)
AGAIN = "Không có tệp nào bị tính là lỗi của đơn vị; các tệp chưa xét sẽ được đọc lại ở lần chạy sau."


def is_db_error(exc: BaseException) -> bool:
    """An error of either store engine: SQLite's, PostgreSQL's driver (psycopg) or SQLAlchemy's."""
    if isinstance(exc, sqlite3.Error):
        return True
    module = type(exc).__module__ or ""
    return module.startswith("psycopg") or module.startswith("sqlalchemy")


def is_storage_error(exc: BaseException) -> bool:
    """A fault of the disk or of the store (as opposed to a fault of one received file)."""
    if is_db_error(exc):
        return True
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def describe_os_error(exc: OSError) -> str:
    """An OSError in Vietnamese: what happened, on which file, what to do (no English strerror)."""
    what = DISK_ERRNOS.get(exc.errno)
    where = exc.filename or ""
    if what is None:
        if isinstance(exc, FileNotFoundError):
            what = "không tìm thấy tệp hoặc thư mục"
        elif isinstance(exc, IsADirectoryError):
            what = "đây là thư mục, không phải tệp"
        elif isinstance(exc, NotADirectoryError):
            what = "không phải thư mục"
        else:
            what = f"lỗi hệ thống tệp (mã {exc.errno})" if exc.errno else "lỗi hệ thống tệp"
    text = f"{what[0].upper()}{what[1:]}" + (f": {where}" if where else "") + "."
    todo = WHAT_TO_DO.get(exc.errno)
    return f"{text} {todo}" if todo else text


def read_only_workspace(folder: str) -> str:
    """The workspace cannot be written (a read-only share, no write permission): the store, the lock and the
    outputs all live there, so every command that writes says this one sentence."""
    return (f"Thư mục làm việc {folder} chỉ cho đọc (read-only) hoặc tài khoản không có quyền ghi, nên không mở "
            f"được kho dữ liệu để ghi. Chép thư mục làm việc sang ổ ghi được (hoặc bỏ chế độ chỉ đọc, cấp quyền "
            f"ghi) rồi chạy lại lệnh.")


SERVER_TODO = ("Kiểm tra địa chỉ kho dữ liệu (mục store trong settings.yaml) hoặc hỏi người quản trị máy chủ, rồi chạy "
               "lại lệnh.")


def describe_server_error(exc: BaseException, where: str = "") -> str:
    """A PostgreSQL error (psycopg, or SQLAlchemy around it) in Vietnamese: what happened and what to do."""
    exc = getattr(exc, "orig", None) or exc
    text = str(exc).lower()
    state = getattr(exc, "sqlstate", None) or ""
    server = f"máy chủ PostgreSQL {where}" if where else "máy chủ PostgreSQL"
    if "password authentication failed" in text or state == "28P01":
        return (f"Sai mật khẩu khi kết nối {server}. Bộ công cụ không lưu mật khẩu: khai báo đúng mật khẩu trong tệp "
                f"pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf) hoặc biến môi trường PGPASSWORD rồi chạy lại.")
    if "no password supplied" in text:
        return (f"{server[0].upper()}{server[1:]} yêu cầu mật khẩu nhưng máy này chưa khai báo. Khai báo mật khẩu trong "
                f"tệp pgpass (Windows: %APPDATA%\\postgresql\\pgpass.conf) hoặc biến môi trường PGPASSWORD rồi chạy lại.")
    if "does not exist" in text and "database" in text or state == "3D000":
        return (f"Chưa có cơ sở dữ liệu trên {server}. Tạo cơ sở dữ liệu (pgAdmin, hoặc: createdb -U postgres "
                f"<tên>) rồi chạy lại lệnh.")
    if "role" in text and "does not exist" in text:
        return f"Máy chủ không có người dùng này ({server}). {SERVER_TODO}"
    if state.startswith("28"):
        return f"{server[0].upper()}{server[1:]} không cho máy này kết nối (pg_hba.conf). {SERVER_TODO}"
    if any(k in text for k in ("connection refused", "could not translate host", "timeout expired", "no route to host",
                               "could not connect", "connection timed out", "network is unreachable",
                               "name or service not known", "server closed the connection", "connection is lost",
                               "consuming input failed", "terminating connection")):
        return (f"Không kết nối được {server}: máy chủ không chạy, sai địa chỉ/cổng, hoặc mạng bị chặn (tường lửa). "
                f"Kiểm tra máy chủ đang chạy và mạng nội bộ rồi chạy lại lệnh. {AGAIN}")
    if "ssl" in text:
        return f"Lỗi mã hoá kết nối (SSL) với {server}: kiểm tra tham số sslmode trong địa chỉ kho. {SERVER_TODO}"
    if state == "53100" or "disk full" in text or "no space left" in text:
        return f"Ổ đĩa của {server} đã đầy, không ghi được kho dữ liệu. Báo người quản trị máy chủ. {AGAIN}"
    if state == "42501" or "permission denied" in text:
        return (f"Người dùng không có quyền ghi vào cơ sở dữ liệu trên {server}. Nhờ người quản trị cấp quyền "
                f"(GRANT) rồi chạy lại lệnh.")
    if state.startswith("53"):
        return f"{server[0].upper()}{server[1:]} đang quá tải (hết bộ nhớ hoặc số kết nối). Chờ một lúc rồi chạy lại."
    return f"Kho dữ liệu trên {server} gặp sự cố ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}). {SERVER_TODO}"


def describe_db_error(exc: BaseException, path: str = "") -> str:
    """A store error in Vietnamese (SQLite's, or the PostgreSQL server's)."""
    if not isinstance(exc, sqlite3.Error) and not isinstance(getattr(exc, "orig", None), sqlite3.Error) \
            and (path.startswith("postgres") or is_db_error(exc)):
        return describe_server_error(exc, path)
    exc = getattr(exc, "orig", None) or exc
    text = str(exc).lower()
    where = f" ({path})" if path else ""
    folder = os.path.dirname(path) if path else ""
    if ("unable to open" in text or "readonly" in text or "read-only" in text) and folder \
            and os.path.isdir(folder) and not os.access(folder, os.W_OK):
        return read_only_workspace(folder)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (f"Kho dữ liệu{where} bị hỏng. Dữ liệu vẫn còn trong thư mục lưu trữ (archive) của các kỳ: kiểm tra "
                f"bằng 'toolkit store check <thư mục>' rồi dựng lại bằng 'toolkit store rebuild <thư mục>'.")
    if "full" in text:
        return f"Ổ đĩa đã đầy, không ghi được kho dữ liệu{where}. {WHAT_TO_DO[errno.ENOSPC]} {AGAIN}"
    if "readonly" in text or "read-only" in text:
        return f"Kho dữ liệu{where} chỉ cho đọc, không ghi được. {WHAT_TO_DO[errno.EROFS]}"
    if "unable to open" in text:
        return (f"Không mở được kho dữ liệu{where}: thư mục không ghi được hoặc không tồn tại. "
                f"{WHAT_TO_DO[errno.EACCES]}")
    if "locked" in text or "busy" in text:
        return f"Kho dữ liệu{where} đang bị một lệnh khác giữ quá lâu. Chờ lệnh kia xong rồi chạy lại."
    if "disk i/o" in text or "i/o error" in text:
        return (f"Không ghi được kho dữ liệu{where}: ổ đĩa báo lỗi đọc/ghi (ổ đầy, giới hạn kích thước tệp hoặc ổ "
                f"hỏng). Giải phóng chỗ trống, kiểm tra ổ đĩa rồi chạy lại lệnh. {AGAIN}")
    return (f"Kho dữ liệu{where} gặp sự cố (SQLite: {type(exc).__name__}). Kiểm tra bằng "
            f"'toolkit store check <thư mục>'.")


def describe(exc: BaseException, path: str = "") -> str:
    if is_db_error(exc):
        return describe_db_error(exc, path)
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    return f"{type(exc).__name__}"


def storage_cause(exc: BaseException) -> BaseException | None:
    """The disk's or the store's error behind an exception a library raised in its place (xlsxwriter wraps an
    OSError in FileCreateError), or None."""
    seen = 0
    while exc is not None and seen < 10:
        if is_storage_error(exc):
            return exc
        inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)), None)
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None


def as_fault(exc: BaseException, path: str = "", before: str = "") -> MachineFault:
    """The MachineFault to raise for a storage error (message in Vietnamese)."""
    cls = StoreError if is_db_error(exc) else MachineFault
    return cls((before + " " if before else "") + describe(exc, path))
