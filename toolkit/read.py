"""Untrusted workbooks: sniff and open any received workbook safely, with true Excel coordinates.

On the bottom floor, as every untrusted workbook is read with it: a unit's return (intake/), the office's registry
of units (workspace/units.py), an archived return read again (rebuild).

Nothing here evaluates formulas or runs macros: values come from python-calamine (cached values only);
fonts (for legacy Vietnamese encodings) from openpyxl (which uses defusedxml when it is installed) or
xlrd. Every problem with a file becomes an Issue, never an exception.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc

from .issues import Issue, make_issue
from .machine import describe_os_error
from .text import font_encoding

META_SHEET = "_meta"
# where a template keeps its lists and says whose it is (written by outputs/templates.py, read back here)
LISTS_SHEET = "_lists"
INFO_ROWS = {"unit_name": 2, "unit_code": 3, "period": 4, "deadline": 5}
INFO_LABELS = {"unit_name": "Đơn vị:", "unit_code": "Mã đơn vị:", "period": "Kỳ báo cáo:",
               "deadline": "Hạn nộp:"}
SPREADSHEET_EXTS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".xltx", ".xltm"}  # Excel templates too
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def col_letter(col: int) -> str:
    """1-based column number -> letters."""
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int) -> str:
    """1-based row and column -> A1 reference."""
    return f"{col_letter(col)}{row}"


@dataclass
class Limits:
    max_file_mb: float = 25
    max_uncompressed_mb: float = 300
    max_rows: int = 5000
    max_columns: int = 200
    timeout_s: float = 60
    whole: bool = False  # a sheet longer than max_rows is refused rather than cut (the office's own workbooks)

    @classmethod
    def from_settings(cls, intake: dict) -> Limits:
        return cls(**{k: intake[k] for k in cls.__dataclass_fields__ if k in intake and k != "whole"})  # (code's)


@dataclass
class SheetData:
    name: str
    rows: list[list[Any]]  # rows[0] is Excel row 1, rows[r][0] is column A
    visible: bool = True
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based r0, c0, r1, c1
    fonts: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)  # (row, col) -> (enc, font)
    total_rows: int = 0
    beyond: tuple[int, int, object] | None = None  # first non-empty cell right of the column limit
    uncached: set[tuple[int, int]] = field(default_factory=set)  # (row, col) of formulas with no cached value

    def value(self, row: int, col: int) -> Any:
        """1-based access; '' when outside."""
        if 1 <= row <= len(self.rows):
            r = self.rows[row - 1]
            if 1 <= col <= len(r):
                return r[col - 1]
        return ""


@dataclass
class Workbook:
    path: Path
    format: str
    sheets: dict[str, SheetData]
    meta: dict[str, str]
    issues: list[Issue] = field(default_factory=list)


def sniff(path: Path) -> tuple[str | None, Issue | None]:
    """Format from the bytes ('xlsx', 'xls', 'ods'), or a file-level issue."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        return None, make_issue("file-empty", file=name)
    with open(path, "rb") as fh:
        head = fh.read(8)
    ext = path.suffix.lower()
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = {n.replace("\\", "/").lstrip("/") for n in zf.namelist()}  # zips written on Windows
                if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                    return ("xlsb" if "xl/workbook.bin" in names else "xlsx"), None
                if "mimetype" not in names and "content.xml" in names and "META-INF/manifest.xml" in names:
                    manifest = zf.read(next(n for n in zf.namelist()
                                            if n.replace("\\", "/").lstrip("/") == "META-INF/manifest.xml"))
                    if b"opendocument.spreadsheet" in manifest[:4096]:
                        return "ods", None  # no mimetype entry: LibreOffice and Excel open it all the same
                if "mimetype" in names:
                    mime = zf.read("mimetype")[:100]
                    if b"opendocument.spreadsheet" in mime:
                        return "ods", None
                    return None, make_issue("file-not-spreadsheet", file=name, ext=ext,
                                            detail=f"tài liệu {mime.decode('ascii', 'replace')}")
                if "word/document.xml" in names:
                    return None, make_issue("file-not-spreadsheet", file=name, ext=ext, detail="tài liệu Word")
                if "ppt/presentation.xml" in names:
                    return None, make_issue("file-not-spreadsheet", file=name, ext=ext, detail="tài liệu PowerPoint")
                return None, make_issue("file-not-spreadsheet", file=name, ext=ext, detail="tệp nén ZIP")
        except Exception as exc:
            return None, make_issue("file-unreadable", file=name, detail=_short_error(exc))
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path)
    if head.startswith(b"%PDF"):
        return None, make_issue("file-not-spreadsheet", file=name, ext=ext, detail="tài liệu PDF")
    if head[:4] in (b"\x09\x04\x06\x00", b"\x09\x02\x06\x00", b"\x09\x00\x04\x00"):
        return "xls", None  # bare BIFF2-4 stream: calamine decides
    text = _looks_like_text(path)
    detail = f"văn bản thuần ({text})" if text else "định dạng không xác định"
    return None, make_issue("file-not-spreadsheet", file=name, ext=ext, detail=detail)


def _sniff_ole(path: Path) -> tuple[str | None, Issue | None]:
    with open(path, "rb") as fh:
        data = fh.read(min(path.stat().st_size, 4 << 20))
    encoded = [s.encode("utf-16-le") for s in ("EncryptionInfo", "EncryptedPackage")]
    if all(e in data for e in encoded):
        return None, make_issue("file-encrypted", file=path.name)
    if "WordDocument".encode("utf-16-le") in data:
        return None, make_issue("file-not-spreadsheet", file=path.name, ext=path.suffix, detail="tài liệu Word cũ (.doc)")
    return "xls", None


def _looks_like_text(path: Path) -> str:
    with open(path, "rb") as fh:
        chunk = fh.read(2048)
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if "\x00" in text:
        return ""
    return "CSV" if text.count(",") + text.count(";") > 2 else "text"


class Package:
    """The parts of an .xlsx package that the passes after calamine's read (the styles for legacy fonts; the workbook,
    its relationships and the sheets for formulas without a value), as :func:`check_zip` decompressed them while it
    checked every part: each read once rather than three times (`KEEP_MB` in all; a part beyond that, or a package
    not checked, is read from the file when asked for)."""

    KEEP_MB = 16  # (a unit's return: well under 1 MB of XML)

    def __init__(self, path: Path):
        self.path = path
        self.names: set[str] | None = None  # every part's name, once known
        self.kept: dict[str, bytes] = {}
        self._zf: zipfile.ZipFile | None = None

    @staticmethod
    def wanted(part: str) -> bool:
        return part in ("xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels") or (
            part.startswith("xl/worksheets/") and part.endswith(".xml"))

    def namelist(self) -> set[str]:
        if self.names is None:
            self.names = set(self._zip().namelist())
        return self.names

    def read(self, part: str) -> bytes:
        data = self.kept.get(part)
        return data if data is not None else self._zip().read(part)

    def _zip(self) -> zipfile.ZipFile:
        if self._zf is None:
            self._zf = zipfile.ZipFile(self.path)
        return self._zf

    def close(self) -> None:
        self.kept = {}
        if self._zf is not None:
            self._zf.close()
            self._zf = None


def check_zip(path: Path, limits: Limits, package: Package | None = None) -> list[Issue]:
    """Zip-bomb and dangerous-content checks done before any parser sees the file; the parts ``package`` wants are
    kept there as they are read (checked: a file that fails here keeps nothing)."""
    issues: list[Issue] = []
    name = path.name
    budget = Package.KEEP_MB << 20
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > 10_000:
                return [make_issue("file-too-large", file=name, detail=f"{len(infos)} phần tử trong tệp nén")]
            declared = sum(i.file_size for i in infos)
            if declared > limits.max_uncompressed_mb * 1024 * 1024:
                return [make_issue("file-too-large", file=name,
                                   detail=f"nội dung giải nén {declared / 1048576:,.0f} MB "
                                          f"(giới hạn {limits.max_uncompressed_mb:g} MB)")]
            for info in infos:
                if info.compress_size and info.file_size / info.compress_size > 2000 and info.file_size > 50 << 20:
                    return [make_issue("file-too-large", file=name,
                                       detail=f"phần '{info.filename}' nén bất thường (tỷ lệ "
                                              f"{info.file_size // max(info.compress_size, 1):,}:1)")]
            names = [i.filename for i in infos]
            kept: dict[str, bytes] = {}
            for part in names:  # one pass: DTD/entity declarations, and every CRC-32 checked by zipfile
                # (a part named twice is read by its name, as every reader reads it: the last one, each time)
                keep = package is not None and part not in kept and Package.wanted(part) \
                    and zf.getinfo(part).file_size <= budget
                chunks = []
                with zf.open(part) as fh:
                    head = fh.read(4096)
                    chunks.append(head)
                    while chunk := fh.read(1 << 20):
                        if keep:
                            chunks.append(chunk)
                if part.endswith((".xml", ".rels")) and (b"<!DOCTYPE" in head or b"<!ENTITY" in head):
                    return [make_issue("file-unreadable", file=name,
                                       detail=f"phần '{part}' chứa khai báo DTD/ENTITY không an toàn")]
                if keep:
                    kept[part] = b"".join(chunks)
                    budget -= len(kept[part])
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                issues.append(make_issue("macros-ignored", file=name))
            if any(n.startswith("xl/externalLinks/") for n in names):
                issues.append(make_issue("external-links", file=name))
            if "EncryptionInfo" in names:
                return [make_issue("file-encrypted", file=name)]
    except Exception as exc:  # BadZipFile, zlib.error, NotImplementedError (compression), ... on untrusted bytes
        return [make_issue("file-unreadable", file=name, detail=_short_error(exc))]
    if package is not None:
        package.names, package.kept = set(names), kept
    return issues


class _Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Hard time limit where the platform allows it (POSIX, main thread); otherwise a no-op."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or not seconds:
        yield
        return

    def _raise(signum, frame):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def open_workbook(path: str | os.PathLike, limits: Limits | None = None, want_fonts: bool = True) -> Workbook:
    """Open a received workbook. Problems are in ``Workbook.issues``; sheets is empty when unreadable."""
    path = Path(path)
    limits = limits or Limits()
    wb = Workbook(path=path, format="", sheets={}, meta={})
    try:
        size = path.stat().st_size
    except OSError as exc:
        wb.issues.append(make_issue("file-unreadable", file=path.name, detail=describe_os_error(exc).rstrip(".")))
        return wb
    if size > limits.max_file_mb * 1024 * 1024:
        wb.issues.append(make_issue("file-too-large", file=path.name,
                                    detail=f"{size / 1048576:,.1f} MB (giới hạn {limits.max_file_mb:g} MB)"))
        return wb
    fmt, problem = sniff(path)
    if problem:
        wb.issues.append(problem)
        return wb
    wb.format = fmt
    package = Package(path)
    try:
        return _open_checked(wb, limits, want_fonts, package)
    finally:
        package.close()


def _open_checked(wb: Workbook, limits: Limits, want_fonts: bool, package: Package) -> Workbook:
    path = wb.path
    if wb.format in ("xlsx", "xlsb", "ods"):
        zip_issues = check_zip(path, limits, package if wb.format == "xlsx" else None)
        wb.issues.extend(zip_issues)
        if any(i.is_error for i in zip_issues):
            return wb
    try:
        with time_limit(limits.timeout_s), _readable_copy(wb):
            _read_values(wb, limits)
            if want_fonts and wb.sheets:
                _read_fonts(wb, package)
            if wb.format == "xlsx" and wb.sheets:
                _read_uncached_formulas(wb, package)
    except _Timeout:
        wb.sheets = {}
        wb.issues.append(make_issue("file-timeout", file=path.name, seconds=limits.timeout_s))
    except pc.PasswordError:
        wb.sheets = {}
        wb.issues.append(make_issue("file-encrypted", file=path.name))
    except _TooBig as exc:
        wb.sheets = {}
        wb.issues.append(make_issue("file-too-large", file=path.name, detail=str(exc)))
    except MemoryError:
        wb.sheets = {}
        wb.issues.append(make_issue("file-too-large", file=path.name, detail="không đủ bộ nhớ để đọc"))
    except Exception as exc:  # any parser failure on untrusted bytes is a file-level issue
        wb.sheets = {}
        if "limit exceeded" in str(exc).lower():
            wb.issues.append(make_issue("file-too-large", file=path.name,
                                        detail="vượt giới hạn an toàn của chương trình đọc tệp"))
        else:
            wb.issues.append(make_issue("file-unreadable", file=path.name, detail=_short_error(exc)))
    return wb


_LIBRARY_ERRORS = [  # what the readers' English says, in the clerk's words (never the library's text itself)
    (("cfb", "sector", "fat", "ministream", "directory entry"), "cấu trúc tệp Excel cũ (.xls) bị hỏng hoặc bị cắt cụt"),
    (("password", "encrypt"), "tệp được đặt mật khẩu"),
    (("end of central directory", "badzip", "zip", "crc", "compress", "deflate", "zlib", "truncated", "eof",
      "unexpected end"), "tệp nén bên trong bị hỏng hoặc bị cắt cụt (thường do gửi, chép tệp chưa xong)"),
    (("mimetype", "manifest", "ods"), "cấu trúc tệp .ods bị hỏng"),
    (("xml", "tag", "attribute", "syntax", "parse"), "nội dung bên trong tệp (XML) bị hỏng"),
    (("utf", "encoding", "decode", "codec"), "mã ký tự bên trong tệp không hợp lệ"),
    (("biff", "record", "xls"), "cấu trúc tệp Excel cũ (.xls) không hợp lệ"),
    (("not found", "missing", "no such"), "tệp thiếu thành phần bắt buộc của bảng tính"),
    (("worksheet", "sheet", "range", "cell", "dimension"), "cấu trúc trang tính bên trong tệp không hợp lệ"),
]


def _short_error(exc: BaseException) -> str:
    """A reader's failure on untrusted bytes, in Vietnamese: no library English reaches the clerk or the unit."""
    text = f"{type(exc).__name__} {exc}".lower()
    for needles, said in _LIBRARY_ERRORS:
        if any(n in text for n in needles):
            return said
    return "nội dung tệp bị hỏng hoặc không đúng định dạng bảng tính"


@contextmanager
def _readable_copy(wb: Workbook):
    """Files Excel and LibreOffice open that the reader refuses as they are: an .ods without its 'mimetype' entry is
    read from a private copy that has it (the unit's file is never changed)."""
    original = wb.path
    folder = None
    try:
        if wb.format == "ods":
            with zipfile.ZipFile(original) as zf:
                names = zf.namelist()
                if "mimetype" not in names:
                    import tempfile

                    folder = Path(tempfile.mkdtemp(prefix="toolkit-doc-"))
                    copy = folder / original.name
                    with zipfile.ZipFile(copy, "w") as out:
                        out.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                                     compress_type=zipfile.ZIP_STORED)
                        for info in zf.infolist():
                            out.writestr(info.filename.replace("\\", "/"), zf.read(info.filename),
                                         compress_type=zipfile.ZIP_DEFLATED)
                    wb.path = copy
        yield
    finally:
        wb.path = original
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


def _read_values(wb: Workbook, limits: Limits) -> None:
    book = pc.CalamineWorkbook.from_path(str(wb.path))
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet") and "Work" not in str(meta.typ):
                continue
            sheet = book.get_sheet_by_name(meta.name)
            visible = "Visible" == str(meta.visible).split(".")[-1]
            end = sheet.end
            height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
            data = SheetData(name=meta.name, rows=[], visible=visible, total_rows=height)
            if width > limits.max_columns and height * width > 2_000_000:
                from .formatting import number  # (thousands as Vietnamese write them: 1.048.576)

                raise _TooBig(f"trang '{meta.name}' có {number(width, 0)} cột × {number(height, 0)} dòng")
            if limits.whole and height > limits.max_rows:
                from .formatting import number

                raise _TooBig(f"trang '{meta.name}' có dữ liệu đến dòng {number(height, 0)} (đọc tối đa "
                              f"{number(limits.max_rows, 0)} dòng); xoá các dòng thừa ở cuối trang (kể cả ô chỉ có "
                              "dấu cách) rồi chạy lại")
            nrows = min(height, limits.max_rows + 60)
            rows = sheet.to_python(skip_empty_area=False, nrows=nrows) if nrows else []
            if width > limits.max_columns:
                for r_i, r in enumerate(rows):
                    extra = next((c for c in range(limits.max_columns, len(r)) if r[c] not in ("", None)), None)
                    if extra is not None:
                        data.beyond = (r_i + 1, extra + 1, r[extra])
                        break
                rows = [r[: limits.max_columns] for r in rows]
            data.rows = [list(r) for r in rows]
            try:
                data.merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1)
                               for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            except Exception:
                data.merged = []
            wb.sheets[meta.name] = data
    finally:
        book.close()
    meta_sheet = next((s for n, s in wb.sheets.items() if n.strip().lower() == META_SHEET), None)
    if meta_sheet is not None:
        for row in meta_sheet.rows[:50]:
            if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
                wb.meta[row[0].strip()] = "" if row[1] is None else str(row[1]).strip()


class _TooBig(Exception):
    pass


_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.DOTALL)
_REF_ATTR = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_CACHED = re.compile(rb'<v>[^<]+</v>|<is>', re.DOTALL)


def _read_uncached_formulas(wb: Workbook, package: Package) -> None:
    """Cells of an .xlsx holding a formula but no cached result (files saved by scripts and some tools):
    calamine reads them as empty, and the unit must be told why rather than 'not filled'."""
    try:
        # the package's parts, as check_zip kept them, or read from the file now
        names = package.namelist()
        rels = package.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
        book = package.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        targets = {m.group(1): m.group(2) for m in re.finditer(
            rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
        targets.update({m.group(2): m.group(1) for m in re.finditer(
            rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
        for m in re.finditer(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', book):
            name = _xml_unescape(m.group(1).decode("utf-8", "replace"))
            target = targets.get(m.group(2), b"").decode("utf-8", "replace").lstrip("/")
            part = target if target.startswith("xl/") else f"xl/{target}"
            if name not in wb.sheets or part not in names:
                continue
            xml = package.read(part)
            if b"<f" not in xml:
                continue
            sheet = wb.sheets[name]
            for cell in _formula_cells(xml):
                body = cell.group(2)
                if not body or b"<f" not in body or _CACHED.search(body):
                    continue
                ref = _REF_ATTR.search(cell.group(1))
                if ref:
                    sheet.uncached.add((int(ref.group(2)), _col_number(ref.group(1).decode())))
    except Exception:
        return  # best effort: a file calamine read but whose package this cannot follow keeps plain values


def _formula_cells(xml: bytes):
    """The cells (``_CELL`` matches) of a sheet's XML that hold "<f": each found from a "<f" back to the start of
    its cell, rather than every cell of the sheet matched (a template has a few formula cells among thousands).
    In XML a "<" is always a tag, so the last "<c" tag before a "<f" starts the cell holding it, if any does."""
    done = -1
    at = xml.find(b"<f")
    while at != -1:
        start = at
        while True:
            start = xml.rfind(b"<c", 0, start)
            after = xml[start + 2:start + 3]
            if start == -1 or not (after.isalnum() or after == b"_"):  # (as the pattern's \b)
                break
        cell = _CELL.match(xml, start) if start > done else None
        if cell is not None and cell.end() > at:  # the "<f" is inside this cell (not a later <formula>)
            done = start
            yield cell
            at = xml.find(b"<f", cell.end())
        else:
            at = xml.find(b"<f", at + 2)


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _xml_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")


def _read_fonts(wb: Workbook, package: Package) -> None:
    """Cells whose font is a legacy Vietnamese font (.VnTime, VNI-Times...)."""
    if wb.format == "xlsx":
        try:
            styles = package.read("xl/styles.xml") if "xl/styles.xml" in package.namelist() else b""
        except Exception:
            return
        if not re.search(rb'name val="(\.vn|vni)', styles, re.IGNORECASE):
            return
        import openpyxl

        book = openpyxl.load_workbook(wb.path, read_only=True, data_only=True, keep_links=False)
        try:
            for ws in book.worksheets:
                if ws.title not in wb.sheets:
                    continue
                fonts = wb.sheets[ws.title].fonts
                for row in ws.iter_rows(max_row=len(wb.sheets[ws.title].rows)):
                    for cell in row:
                        if getattr(cell, "value", None) is None or not isinstance(cell.value, str):
                            continue
                        name = cell.font.name if cell.font is not None else None
                        enc = font_encoding(name)
                        if enc:
                            fonts[(cell.row, cell.column)] = (enc, name)
        finally:
            book.close()
    elif wb.format == "xls":
        try:
            import io

            import xlrd

            book = xlrd.open_workbook(str(wb.path), formatting_info=True, on_demand=True, logfile=io.StringIO(),
                                      verbosity=0)
        except Exception:
            return
        try:
            for sh in book.sheets():
                if sh.name not in wb.sheets:
                    continue
                fonts = wb.sheets[sh.name].fonts
                for r in range(min(sh.nrows, len(wb.sheets[sh.name].rows))):
                    for c in range(sh.ncols):
                        if sh.cell_type(r, c) != xlrd.XL_CELL_TEXT:
                            continue
                        font = book.font_list[book.xf_list[sh.cell_xf_index(r, c)].font_index]
                        enc = font_encoding(font.name)
                        if enc:
                            fonts[(r + 1, c + 1)] = (enc, font.name)
        except Exception:
            return
        finally:
            book.release_resources()


# The office's own workbooks (the registry, the general-criteria points) are read whole: a province's or a nation's
# registry holds many thousands of units, and the row limit meant for a unit's return (settings' intake.max_rows)
# would cut it short without a word. A sheet longer than a national registry is refused, naming its last row (a
# stray value at row 1,048,576 would otherwise be read as a million rows).
OFFICE_LIMITS = Limits(max_rows=200_000, whole=True)


def open_rows(path: str | os.PathLike) -> tuple[dict[str, list[list[Any]]], Issue | None]:
    """Plain rows of every sheet, every row (for office-kept workbooks such as the registry)."""
    wb = open_workbook(path, OFFICE_LIMITS, want_fonts=False)
    errors = [i for i in wb.issues if i.is_error]
    if errors:
        return {}, errors[0]
    return {name: s.rows for name, s in wb.sheets.items()}, None


