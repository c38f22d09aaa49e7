"""Open untrusted archives (.zip, .7z, .rar) in memory, member by member, within limits.

Every refusal is an :class:`Entry` with a problem (an issue code and its parameters), never an exception, so
one bad member never hides the others: absolute names and names climbing out of the archive ("../"), members
larger than a workbook may be, members compressed suspiciously well (zip bombs), too many members, too much in
all, encrypted members. Nothing is written to disk here except 7z members, which py7zr extracts into a private
temporary folder after their names and declared sizes were checked.
"""

from __future__ import annotations

import io
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ARCHIVE_EXTS = {".zip", ".7z", ".rar"}
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class ArchiveLimits:
    """Bounds for one container and everything nested in it (settings: mail.archives)."""

    max_file_mb: float = 25  # one member
    max_total_mb: float = 300  # every member of a container, nested ones included
    max_members: int = 500
    max_ratio: float = 200  # uncompressed / compressed size of one member
    max_depth: int = 3  # archives inside archives (or messages)

    @classmethod
    def from_settings(cls, settings: dict) -> ArchiveLimits:
        mail = (settings.get("mail") or {}).get("archives") or {}
        intake = settings.get("intake") or {}
        values = {"max_file_mb": intake.get("max_file_mb", cls.max_file_mb),
                  "max_total_mb": intake.get("max_uncompressed_mb", cls.max_total_mb)}
        values.update({k: mail[k] for k in cls.__dataclass_fields__ if k in mail})
        return cls(**values)


@dataclass
class Budget:
    """What is left of a container's allowance, shared by its nested archives."""

    bytes_left: int
    members_left: int


@dataclass
class Entry:
    name: str  # the member's path inside its archive (decoded, '/' separated)
    data: bytes | None = None
    problem: tuple[str, dict] | None = None  # (issue code, params) when the member was refused
    params: dict = field(default_factory=dict)


def safe_name(name: str) -> str | None:
    """The member's relative path, or None when it is absolute or climbs out of the archive."""
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag were decoded as cp437; Vietnamese Windows tools wrote UTF-8 or cp1258."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for enc in ("utf-8", "cp1258"):
        try:
            return unicodedata.normalize("NFC", raw.decode(enc))  # cp1258 spells tones as combining marks
        except UnicodeDecodeError:
            continue
    return info.filename


def _check(name: str, size: int, csize: int, limits: ArchiveLimits, budget: Budget) -> tuple[str, dict] | None:
    mb = limits.max_file_mb * 1024 * 1024
    if size > mb:
        return "archive-member-refused", {"member": name, "reason": f"giải nén ra {size / 1048576:.0f} MB, "
                                                                     f"vượt giới hạn {limits.max_file_mb:g} MB"}
    if csize > 0 and size / csize > limits.max_ratio and size > 1024 * 1024:
        return "archive-member-refused", {"member": name, "reason": f"nén {size // csize} lần (dấu hiệu 'bom nén')"}
    if size > budget.bytes_left:
        return "archive-member-refused", {"member": name, "reason": "tổng dung lượng giải nén vượt giới hạn "
                                                                     f"{limits.max_total_mb:g} MB"}
    return None


def _bounded_read(fh, limit: int) -> bytes | None:
    """At most ``limit`` bytes; None when the member turns out larger than it declared."""
    data = fh.read(limit + 1)
    return None if len(data) > limit else data


def open_archive(kind: str, data: bytes, limits: ArchiveLimits, budget: Budget):
    """Yield an Entry for every file member of an archive (kind: .zip, .7z, .rar). A container that cannot
    be opened at all yields a single Entry named "" with its problem."""
    reader = {".zip": _zip_entries, ".7z": _7z_entries, ".rar": _rar_entries}[kind]
    try:
        yield from reader(data, limits, budget)
    except _Unreadable as exc:
        yield Entry("", problem=exc.args[0])


class _Unreadable(Exception):
    pass


def _refuse_path(raw: str) -> Entry:
    return Entry(raw, problem=("archive-member-refused", {"member": raw, "reason": "đường dẫn tuyệt đối hoặc "
                                                                                    "vượt ra ngoài tệp nén"}))


def _count(name: str, budget: Budget, limits: ArchiveLimits) -> Entry | None:
    budget.members_left -= 1
    if budget.members_left == -1:
        return Entry(name, problem=("archive-too-many", {"limit": limits.max_members}))
    return Entry(name) if budget.members_left < -1 else None


def _admit(raw: str, size: int, packed: int, limits: ArchiveLimits, budget: Budget) -> tuple[str | None, Entry | None]:
    """The checks every member passes before it is read, in one order for every kind of archive: the member count,
    the path, the declared size and ratio. (name, None): read it; (None, entry): report it; (None, None): pass over
    it silently (members past the count limit, reported once)."""
    over = _count(raw, budget, limits)
    if over is not None:
        return None, over if over.problem else None
    name = safe_name(raw)
    if name is None:
        return None, _refuse_path(raw)
    problem = _check(name, size, packed, limits, budget)
    return (None, Entry(name, problem=problem)) if problem else (name, None)


def _read_entry(name: str, content: bytes | None) -> Entry:
    """A member read with _bounded_read: its bytes, or refused when it held more than it declared."""
    if content is None:
        return Entry(name, problem=("archive-member-refused", {"member": name, "reason": "lớn hơn kích thước khai báo"}))
    return Entry(name, data=content)


def _zip_entries(data: bytes, limits: ArchiveLimits, budget: Budget):
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _Unreadable(("file-unreadable", {"detail": f"tệp nén .zip hỏng ({exc})"})) from None
    with zf:
        encrypted = [n for n in (_zip_name(i) for i in zf.infolist() if i.flag_bits & 0x1)]
        if encrypted:
            yield Entry("", problem=("archive-encrypted", {"members": ", ".join(encrypted[:5])}))
        for info in zf.infolist():
            if info.is_dir() or info.flag_bits & 0x1:
                continue
            name, report = _admit(_zip_name(info), info.file_size, info.compress_size, limits, budget)
            if name is None:
                if report:
                    yield report
                continue
            try:
                with zf.open(info) as fh:
                    content = _bounded_read(fh, int(limits.max_file_mb * 1048576))
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError) as exc:
                yield Entry(name, problem=("archive-member-unreadable", {"member": name, "detail": str(exc)[:120]}))
                continue
            budget.bytes_left -= len(content or b"")
            yield _read_entry(name, content)


def _7z_entries(data: bytes, limits: ArchiveLimits, budget: Budget):
    try:  # py7zr has no wheel for every Python on Windows (pyppmd): without it a .7z is reported, never a crash
        import py7zr
    except ImportError:
        raise _Unreadable(("archive-tool-missing", {"kind": "7z", "member": "(cả tệp)",
                                                     "fix": "py -m pip install py7zr"})) from None

    try:
        archive = py7zr.SevenZipFile(io.BytesIO(data))
    except py7zr.PasswordRequired:
        raise _Unreadable(("archive-encrypted", {"members": "(cả tệp)"})) from None
    except Exception as exc:  # py7zr raises many kinds for damaged archives
        raise _Unreadable(("file-unreadable", {"detail": f"tệp nén .7z hỏng ({type(exc).__name__})"})) from None
    with archive:
        if archive.needs_password():
            raise _Unreadable(("archive-encrypted", {"members": "(cả tệp)"}))
        wanted: dict[str, str] = {}
        for info in archive.list():
            if info.is_directory:
                continue
            name, report = _admit(info.filename, info.uncompressed or 0, info.compressed or 0, limits, budget)
            if name is None:
                if report:
                    yield report
                continue
            budget.bytes_left -= info.uncompressed or 0
            wanted[info.filename] = name
        if not wanted:
            return
        with tempfile.TemporaryDirectory(prefix="toolkit-7z-") as tmp:
            try:
                archive.extract(path=tmp, targets=list(wanted))
            except Exception as exc:
                raise _Unreadable(("file-unreadable", {"detail": f"không giải nén được .7z ({type(exc).__name__})"})) from None
            for raw, name in wanted.items():
                p = Path(tmp) / name
                if not p.is_file():
                    yield Entry(name, problem=("archive-member-unreadable", {"member": name, "detail": "không có"}))
                    continue
                with open(p, "rb") as fh:
                    yield _read_entry(name, _bounded_read(fh, int(limits.max_file_mb * 1048576)))


def _rar_entries(data: bytes, limits: ArchiveLimits, budget: Budget):
    """rarfile reads the listing itself; compressed members need an unrar-compatible program (unrar, unar,
    bsdtar or 7z). Without one, each such member is reported (archive-tool-missing), stored ones still read."""
    import rarfile

    try:
        rf = rarfile.RarFile(io.BytesIO(data))
    except rarfile.PasswordRequired:
        raise _Unreadable(("archive-encrypted", {"members": "(cả tệp)"})) from None
    except (rarfile.Error, OSError) as exc:
        raise _Unreadable(("file-unreadable", {"detail": f"tệp nén .rar hỏng ({type(exc).__name__})"})) from None
    with rf:
        if rf.needs_password():
            raise _Unreadable(("archive-encrypted", {"members": "(cả tệp)"}))
        for info in rf.infolist():
            if info.is_dir():
                continue
            name, report = _admit(info.filename, info.file_size or 0, info.compress_size or 0, limits, budget)
            if name is None:
                if report:
                    yield report
                continue
            try:
                with rf.open(info) as fh:
                    content = _bounded_read(fh, int(limits.max_file_mb * 1048576))
            except rarfile.RarCannotExec:
                yield Entry(name, problem=("archive-tool-missing", {"kind": "RAR", "member": name,
                                                                     "fix": "cài unrar (hoặc 7-Zip, bsdtar)"}))
                continue
            except (rarfile.Error, OSError) as exc:
                yield Entry(name, problem=("archive-member-unreadable", {"member": name, "detail": str(exc)[:120]}))
                continue
            budget.bytes_left -= len(content or b"")
            yield _read_entry(name, content)
