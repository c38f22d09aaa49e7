"""Workspace: settings file, folders of each round, unit registry location."""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import WorkspaceError
from .periods import Period, parse_period

SETTINGS_FILE = "settings.yaml"
REGISTRY_FILE = "don_vi.xlsx"
ROUND_FOLDERS = ("outbox", "inbox", "feedback", "archive", "output")

DEFAULT_SETTINGS: dict[str, Any] = {
    "office": {
        "name": "Tỉnh ủy Hòa An",
        "parent_body": "ĐẢNG BỘ TỈNH HÒA AN",
        "issuing_body": "TỈNH ỦY",
        "place": "Hòa An",
        "doc_suffix": "-BC/TU",
        "doc_number": "",
        "signer_prefix": "T/M BAN THƯỜNG VỤ",
        "signer_title": "PHÓ BÍ THƯ THƯỜNG TRỰC",
        "signer_name": "",
        "recipients": ["Ban Thường vụ Tỉnh ủy", "Các đảng bộ trực thuộc Tỉnh ủy", "Lưu Văn phòng Tỉnh ủy"],
        "contact": "Văn phòng Tỉnh ủy",
    },
    # period code -> deadline (dd/mm/yyyy or ISO) and the forms collected in that round
    "periods": {},
    # which unit kinds must return each form (empty = every unit that has a parent)
    "expected_kinds": {"registration": [], "breakthrough": [], "progress": [], "followup": []},
    "intake": {
        "max_file_mb": 25,
        "max_uncompressed_mb": 300,
        "max_rows": 5000,
        "max_columns": 200,
        "max_issues_per_file": 300,
        "timeout_s": 60,
        "max_text_length": 4000,
        "guess_legacy_encoding": True,
        "worker_memory_mb": 3072,
        "worker_start": "",  # process start method of parsing workers: "" = the platform's (Windows: spawn)
    },
    # PDF of the Word outputs: engine auto | libreoffice | word; soffice: LibreOffice's program when not found
    "pdf": {"engine": "auto", "soffice": ""},
    "quality": {
        "similar_title_threshold": 0.88,
        "copied_report_threshold": 0.9,
        "copied_report_min_length": 40,
        "generic_phrases": [
            "tăng cường", "tiếp tục quán triệt", "nâng cao chất lượng", "nâng cao hiệu quả",
            "đẩy mạnh", "tiếp tục thực hiện", "quán triệt", "chú trọng", "quan tâm", "tập trung lãnh đạo",
            "thực hiện tốt", "nâng cao", "tiếp tục",
        ],
    },
}


def default_deadline(period: Period) -> date:
    """The usual deadline of a round: 20 days after the period ends (registrations: end of January)."""
    if period.kind in ("year", "term"):
        return date(period.start.year, 1, 31)
    end = period.end.toordinal() - 10
    return date.fromordinal(end)


@dataclass
class Workspace:
    root: Path
    settings: dict[str, Any]

    @classmethod
    def open(cls, root: str | os.PathLike) -> "Workspace":
        root = Path(root)
        path = root / SETTINGS_FILE
        if not path.is_file():
            raise WorkspaceError(f"'{root}' không phải thư mục làm việc (thiếu {SETTINGS_FILE}). "
                                 f"Tạo mới bằng: toolkit init {root}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise WorkspaceError(f"Tệp {path} không hợp lệ: {exc}") from None
        return cls(root=root, settings=_merge(DEFAULT_SETTINGS, data))

    # --- paths ----------------------------------------------------------------------------------
    @property
    def registry_path(self) -> Path:
        return self.root / REGISTRY_FILE

    @property
    def db_path(self) -> Path:
        return self.root / "kho_du_lieu.sqlite"

    def round_dir(self, period: Period | str, folder: str | None = None) -> Path:
        code = period.code if isinstance(period, Period) else parse_period(period).code
        path = self.root / "rounds" / code
        if folder:
            path = path / folder
        path.mkdir(parents=True, exist_ok=True)
        return path

    # --- settings -------------------------------------------------------------------------------
    @property
    def office(self) -> dict[str, Any]:
        return self.settings["office"]

    def intake(self, key: str):
        return self.settings["intake"][key]

    def deadline(self, period: Period) -> date:
        entry = (self.settings.get("periods") or {}).get(period.code) or {}
        value = entry.get("deadline") if isinstance(entry, dict) else None
        if value:
            parsed = _parse_setting_date(value)
            if parsed is None:
                raise WorkspaceError(f"{SETTINGS_FILE}: hạn nộp của kỳ {period.code} '{value}' không hợp lệ "
                                     f"(dùng dạng 20/06/2025).")
            return parsed
        return default_deadline(period)

    def set_period(self, period: Period, deadline: date | None = None, forms: list[str] | None = None) -> None:
        periods = self.settings.setdefault("periods", {}) or {}
        entry = periods.get(period.code) or {}
        entry["deadline"] = (deadline or self.deadline(period)).strftime("%d/%m/%Y")
        if forms:
            entry["forms"] = sorted(set(entry.get("forms", [])) | set(forms))
        periods[period.code] = entry
        self.settings["periods"] = periods
        self.save()

    def save(self) -> None:
        text = yaml.safe_dump(self.settings, allow_unicode=True, sort_keys=False, width=100)
        atomic_write_bytes(self.root / SETTINGS_FILE, text.encode("utf-8"))


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _parse_setting_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            pass
    return None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class atomic_path:
    """Context manager giving a temporary path that replaces ``path`` on success."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.tmp.exists():
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


class workspace_lock:
    """An exclusive lock on the workspace for one collect at a time (a second one waits, then sees the first's
    files as already collected), so the round's result does not depend on how two runs interleave."""

    def __init__(self, root: Path, timeout: float = 1800):
        self.path = Path(root) / ".toolkit.lock"
        self.timeout = timeout
        self.fd: int | None = None

    def __enter__(self) -> "workspace_lock":
        import time

        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _lock(self.fd)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise WorkspaceError(f"Một lượt tiếp nhận khác đang chạy trên thư mục {self.path.parent} "
                                         f"quá {self.timeout:.0f} giây; thử lại sau.") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            _unlock(self.fd)
            os.close(self.fd)
            self.fd = None


def _lock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # per process: not inherited by forked workers


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.lockf(fd, fcntl.LOCK_UN)


def init_workspace(root: str | os.PathLike, office: str | None = None, units: str | os.PathLike | None = None,
                   periods: list[str] | None = None) -> Workspace:
    """Create (or complete) a workspace; an existing settings file and registry are kept."""
    from .units import load_registry, write_sample_registry

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    if (root / SETTINGS_FILE).exists():
        settings = Workspace.open(root).settings
    if office:
        settings["office"]["name"] = office
        settings["office"]["place"] = office.split("Tỉnh ủy")[-1].strip() or settings["office"]["place"]
    ws = Workspace(root, settings)
    if units:
        src = Path(units)
        if not src.is_file():
            raise WorkspaceError(f"Không tìm thấy tệp danh sách đơn vị '{src}'.")
        registry, report = load_registry(src)
        if not report.ok:
            from .errors import ToolkitError
            lines = "\n".join(f"  - {i.sheet}!{i.cell}: {i.message}" for i in report.errors)
            raise ToolkitError(f"Danh sách đơn vị '{src}' có lỗi, chưa tạo thư mục làm việc:\n{lines}")
        atomic_write_bytes(ws.registry_path, src.read_bytes())
    elif not ws.registry_path.exists():
        write_sample_registry(ws.registry_path)
    (root / "forms").mkdir(exist_ok=True)
    for code in periods or []:
        period = parse_period(code)
        for folder in ROUND_FOLDERS:
            ws.round_dir(period, folder)
        entry = (settings.setdefault("periods", {}) or {}).get(period.code) or {}
        entry.setdefault("deadline", ws.deadline(period).strftime("%d/%m/%Y"))
        settings["periods"][period.code] = entry
    ws.save()
    return ws
