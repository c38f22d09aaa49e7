"""Workspace: settings file, folders of each round, unit registry location."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..definitions.rules import deep_merge as _merge
from ..definitions.schema import check_settings
from ..definitions.workbook import (
    S_SETTINGS,
    WORKBOOK_FILE,
    settings_differences,
    settings_overlay,
    sync_settings,
    workbook_path,
)
from ..errors import ToolkitError, WorkspaceError
from ..files import FILE_MODE, atomic_path, atomic_write_bytes, sweep_temps, temp_prefix, workspace_lock  # noqa: F401 (re-exported)
from ..periods import Period, parse_period
from ..read import Limits
from .office import derive_identity
from .units import load_registry, problem_lines, write_sample_registry

SETTINGS_FILE = "settings.yaml"
REGISTRY_FILE = "don_vi.xlsx"
ROUND_FOLDERS = ("outbox", "inbox", "feedback", "archive", "output")

DEFAULT_SETTINGS: dict[str, Any] = {
    "office": {
        "name": "Tỉnh ủy Hòa An",
        "parent_body": "ĐẢNG BỘ TỈNH HÒA AN",
        "issuing_body": "TỈNH ỦY",
        "place": "Hòa An",
        "body_code": "TU",
        "doc_types": {"report": "BC", "not_reported": "TB"},
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
    # the office mailbox (toolkit.mail; docs/mail.md): security tls | starttls; the password is never kept here but
    # in the environment variable named by password_env or in the OS keyring (toolkit mail password)
    "mail": {
        "imap": {"host": "", "port": 993, "security": "tls", "user": "", "folder": "INBOX", "ca_file": ""},
        "smtp": {"host": "", "port": 465, "security": "tls", "user": "", "from": "", "ca_file": ""},
        "password_env": "TOOLKIT_MAIL_PASSWORD",
        "keyring_service": "toolkit-mail",
        "timeout_s": 30,
        "archives": {"max_members": 500, "max_ratio": 200, "max_depth": 3},
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


REPORT_DAYS_AFTER_END = 10  # progress and follow-up reports are due this many days after their period ends
NEW_DEADLINE_DAYS = 14  # a default deadline already past is moved to this many days from today


def nominal_deadline(period: Period) -> date:
    """The usual deadline of a round: registrations of a year by 31/01, of a term by 31/03 of its first year;
    reports 10 days after their period ends (Q1 10/04, 6 months 10/07, Q3 and 9 months 10/10, year 10/01)."""
    if period.kind == "year":
        return date(period.start.year, 1, 31)
    if period.kind == "term":
        return date(period.start.year, 3, 31)
    return date.fromordinal(period.end.toordinal() + REPORT_DAYS_AFTER_END)


def default_deadline(period: Period, today: date | None = None) -> date:
    """The nominal deadline, or — when that is already past — a deadline two weeks from today."""
    today = today or date.today()
    nominal = nominal_deadline(period)
    return nominal if nominal >= today else date.fromordinal(today.toordinal() + NEW_DEADLINE_DAYS)


def deadline_note(ws: Workspace, period: Period, today: date | None = None) -> str:
    """A Vietnamese warning when a round's deadline is already past or was moved from the usual one."""
    today = today or date.today()
    value, source = ws.deadline_info(period)
    entry = (ws.settings.get("periods") or {}).get(period.code) or {}
    moved_from = entry.get("moved_from") if isinstance(entry, dict) else None
    if source == "moved" or (moved_from and value >= today):
        return (f"Kỳ {period.code}: hạn nộp thông thường {moved_from or format(nominal_deadline(period), '%d/%m/%Y')} "
                f"đã qua nên đặt hạn {value:%d/%m/%Y}; đổi bằng --deadline.")
    if value < today:
        return (f"Kỳ {period.code}: hạn nộp {value:%d/%m/%Y} đã qua (hôm nay {today:%d/%m/%Y}); biểu mẫu gửi đi sẽ "
                f"ghi hạn đã qua và mọi bản nộp đều bị tính là muộn. Đổi bằng --deadline nếu cần.")
    return ""


def default_periods(today: date | None = None) -> list[str]:
    """The rounds a new workspace starts with: this year's; from October on, this year's year end and the
    next year's rounds (the office is preparing next year's registrations)."""
    today = today or date.today()
    y = today.year
    if today.month >= 10:
        return [f"{y}-Y", str(y + 1), f"{y + 1}-Q1", f"{y + 1}-H1", f"{y + 1}-9M", f"{y + 1}-Y"]
    return [str(y), f"{y}-Q1", f"{y}-H1", f"{y}-9M", f"{y}-Y"]


@dataclass
class Workspace:
    root: Path
    settings: dict[str, Any]

    @classmethod
    def open(cls, root: str | os.PathLike) -> Workspace:
        root = Path(root)
        path = root / SETTINGS_FILE
        if not path.is_file():
            raise WorkspaceError(f"'{root}' không phải thư mục làm việc (thiếu {SETTINGS_FILE}). "
                                 f"Tạo mới bằng: toolkit init {root}")

        data = check_settings(path)  # every mistake at once, with its line; never replaced by defaults

        return cls(root=root, settings=settings_overlay(root, _merge(DEFAULT_SETTINGS, data)))  # cau_hinh.xlsx

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

    @property
    def read_limits(self) -> Limits:
        """The bounds a unit's return is read within (settings' intake), wherever it is read: collect, the store's
        rebuild, the feedback copies."""
        return Limits.from_settings(self.settings["intake"])

    def deadline(self, period: Period) -> date:
        return self.deadline_info(period)[0]

    def deadline_info(self, period: Period) -> tuple[date, str]:
        """(deadline, source): source is 'settings', 'default' or 'moved' (the nominal one was past)."""
        entry = (self.settings.get("periods") or {}).get(period.code) or {}
        value = entry.get("deadline") if isinstance(entry, dict) else None
        if value:
            parsed = _parse_setting_date(value)
            if parsed is None:
                raise WorkspaceError(f"{SETTINGS_FILE}: hạn nộp của kỳ {period.code} '{value}' không hợp lệ "
                                     f"(dùng dạng {period.end:%d/%m/%Y}).")
            return parsed, "settings"
        value = default_deadline(period)
        return value, "default" if value == nominal_deadline(period) else "moved"

    def has_deadline(self, period: Period) -> bool:
        entry = (self.settings.get("periods") or {}).get(period.code) or {}
        return isinstance(entry, dict) and bool(entry.get("deadline"))

    def set_period(self, period: Period, deadline: date | None = None, forms: list[str] | None = None) -> None:
        periods = self.settings.setdefault("periods", {}) or {}
        entry = periods.get(period.code) or {}
        if deadline is None and not entry.get("deadline"):
            value, source = self.deadline_info(period)
            if source == "moved":  # remembered, so that every later step can say where the date came from
                entry["moved_from"] = nominal_deadline(period).strftime("%d/%m/%Y")
        elif deadline is not None:
            entry.pop("moved_from", None)
        entry["deadline"] = (deadline or self.deadline(period)).strftime("%d/%m/%Y")
        if forms:
            entry["forms"] = sorted(set(entry.get("forms", [])) | set(forms))
        periods[period.code] = entry
        self.settings["periods"] = periods
        self.save()

    def save(self) -> None:

        sync_settings(self.root, self.settings)  # the definitions workbook says the same (first: it may be open)
        text = yaml.safe_dump(self.settings, allow_unicode=True, sort_keys=False, width=100)
        atomic_write_bytes(self.root / SETTINGS_FILE, text.encode("utf-8"))


def align_settings(root: Path) -> str:
    """settings.yaml written again when its office identity or deadlines differ from the definitions workbook's
    (which the toolkit uses); the note saying so, or ""."""

    found = settings_differences(root) if workbook_path(root).is_file() else []
    if not found:
        return ""
    Workspace.open(root).save()
    return (f"Thông tin văn bản và hạn nộp lấy theo trang '{S_SETTINGS}' của {WORKBOOK_FILE}: đã ghi lại "
            f"{SETTINGS_FILE} cho khớp ({', '.join(found)}).")


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


def init_workspace(root: str | os.PathLike, office: str | None = None, units: str | os.PathLike | None = None,
                   periods: list[str] | None = None, parent_body: str | None = None,
                   signer_name: str | None = None, signer_title: str | None = None,
                   deadlines: dict[str, date] | None = None) -> Workspace:
    """Create (or complete) a workspace; an existing settings file and registry are kept.

    ``office`` (the committee's name) sets the whole identity of its documents (see office.derive_identity);
    ``deadlines`` maps period codes to deadlines (others get the usual one, moved forward when already past)."""

    root = Path(root)
    if units:  # checked before anything is made: a registry with errors leaves no folder behind
        src = Path(units)
        if not src.is_file():
            raise WorkspaceError(f"Không tìm thấy tệp danh sách đơn vị '{src}'.")
        _, report = load_registry(src)
        if not report.ok:
            done = "chưa thay danh sách đơn vị của thư mục làm việc" if (root / SETTINGS_FILE).exists() else \
                "chưa tạo thư mục làm việc"
            raise ToolkitError(f"Danh sách đơn vị '{src}' có lỗi, {done}:\n{problem_lines(report)}")
    root.mkdir(parents=True, exist_ok=True)
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    if (root / SETTINGS_FILE).exists():
        settings = Workspace.open(root).settings
    if office:
        identity = derive_identity(office, parent_body)
        keep = {k: v for k, v in settings["office"].items() if k in ("doc_types", "doc_number")}
        settings["office"] = {**copy.deepcopy(DEFAULT_SETTINGS["office"]), "place": "", "parent_body": "",
                              "signer_name": "", **identity, **keep}
        settings["office"].pop("doc_suffix", None)
    elif parent_body:
        settings["office"]["parent_body"] = parent_body.strip().upper()
    if signer_name:
        settings["office"]["signer_name"] = signer_name.strip()
    if signer_title:
        settings["office"]["signer_title"] = signer_title.strip().upper()
    ws = Workspace(root, settings)
    if units:
        atomic_write_bytes(ws.registry_path, Path(units).read_bytes())
    elif not ws.registry_path.exists():
        if office:  # the office's own registry to fill in: never another province's units
            write_sample_registry(ws.registry_path, [(settings["office"].get("body_code") or "CU", office.strip(),
                                                      "", "", "", "", "")], [])
        else:
            write_sample_registry(ws.registry_path)
    (root / "forms").mkdir(exist_ok=True)
    for code in periods or []:
        period = parse_period(code)
        for folder in ROUND_FOLDERS:
            ws.round_dir(period, folder)
        entry = (settings.setdefault("periods", {}) or {}).get(period.code) or {}
        if deadlines and period.code in deadlines:
            entry["deadline"] = deadlines[period.code].strftime("%d/%m/%Y")
            entry.pop("moved_from", None)
        if not entry.get("deadline") and ws.deadline_info(period)[1] == "moved":
            entry["moved_from"] = nominal_deadline(period).strftime("%d/%m/%Y")
        entry.setdefault("deadline", ws.deadline(period).strftime("%d/%m/%Y"))
        settings["periods"][period.code] = entry
    ws.save()
    return ws
