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


def is_storage_error(exc: BaseException) -> bool:
    """A fault of the disk or of the store (as opposed to a fault of one received file)."""
    if isinstance(exc, sqlite3.Error):
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


def describe_db_error(exc: sqlite3.Error, path: str = "") -> str:
    """A SQLite error in Vietnamese."""
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
    if isinstance(exc, sqlite3.Error):
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
    cls = StoreError if isinstance(exc, sqlite3.Error) else MachineFault
    return cls((before + " " if before else "") + describe(exc, path))
