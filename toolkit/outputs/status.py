"""Completeness and timeliness of a round: who has sent each form on time, late, was sent back, or not at all,
and the list the office uses to remind the units."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..intake.submission import counted_text, first_return  # noqa: F401 (re-exported)
from ..paths import safe_filename
from ..round import as_round, unregistered_units
from ..sheets import Formats, new_workbook, table

SUBMISSION_STATES = {"on_time": "Đúng hạn", "late": "Nộp muộn", "rejected": "Bị trả lại", "missing": "Chưa nộp",
                     "not_registered": "Chưa đăng ký nhiệm vụ"}
NOT_REPORTED = ("missing", "rejected", "not_registered")


def not_registered_clause(rates: dict) -> str:
    """', chưa đăng ký nhiệm vụ N' for the one-line summaries (CLI, run, panel, demo), '' when there are none."""
    return f", chưa đăng ký nhiệm vụ {rates['not_registered']}" if rates.get("not_registered") else ""


@dataclass
class UnitStatus:
    code: str
    name: str
    parent: str
    state: str
    late_days: int = 0
    errors: int = 0
    file: str = ""
    received: str = ""
    email: str = ""
    head: str = ""
    counted: str = ""  # the date that counted for timeliness, and its file (the first return, see first_return)


@dataclass(frozen=True)
class Rates:
    """How many units of a round reported: the one set of counts every skin states (the CLI, the run, the panel,
    the demo, the Word report), with its sentences composed here."""
    expected: int
    reported: int
    on_time: int
    late: int
    rejected: int
    missing: int
    not_registered: int
    reporting_rate: float
    on_time_rate: float

    @classmethod
    def of(cls, units: list[UnitStatus]) -> Rates:
        n = len(units) or 1
        count = Counter(u.state for u in units)
        reported = count["on_time"] + count["late"]
        return cls(expected=len(units), reported=reported, on_time=count["on_time"], late=count["late"],
                   rejected=count["rejected"], missing=count["missing"], not_registered=count["not_registered"],
                   reporting_rate=round(100 * reported / n, 1), on_time_rate=round(100 * count["on_time"] / n, 1))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __getitem__(self, key: str):  # r["reported"], as the JSON has it
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key, default)

    @property
    def not_registered_clause(self) -> str:
        """', chưa đăng ký nhiệm vụ N', '' when there are none."""
        return not_registered_clause(self)

    def line(self, form_name: str) -> str:
        """The run's line: "Tình hình nộp <form>: 2/4 đơn vị đã nộp, 1 chưa nộp, 1 bị trả lại"."""
        return (f"Tình hình nộp {form_name}: {self.reported}/{self.expected} đơn vị đã nộp, {self.missing} chưa nộp"
                f"{self.not_registered_clause}, {self.rejected} bị trả lại")

    def brief(self) -> str:
        """The panel's: "Đã nộp 1/19, chưa nộp 17, bị trả lại 1"."""
        return (f"Đã nộp {self.reported}/{self.expected}, chưa nộp {self.missing}{self.not_registered_clause}, "
                f"bị trả lại {self.rejected}")

    def detail(self, percent: Callable[[float], str]) -> str:
        """The status command's, with the rates: "Đã nộp 4/7 (57,1%), đúng hạn 3 (42,9%), muộn 1, …"."""
        return (f"Đã nộp {self.reported}/{self.expected} ({percent(self.reporting_rate)}), đúng hạn {self.on_time} "
                f"({percent(self.on_time_rate)}), muộn {self.late}, bị trả lại {self.rejected}, chưa nộp "
                f"{self.missing}{self.not_registered_clause}.")

    def timeliness(self) -> str:
        """The demo's: "4/7 đã nộp (3 đúng hạn, 1 muộn), 0 bị trả lại, 3 chưa nộp"."""
        return (f"{self.reported}/{self.expected} đã nộp ({self.on_time} đúng hạn, {self.late} muộn), "
                f"{self.rejected} bị trả lại, {self.missing} chưa nộp{self.not_registered_clause}")


@dataclass
class StatusResult:
    period: str
    form: str
    deadline: str
    form_name: str = ""
    units: list[UnitStatus] = field(default_factory=list)
    workbook: str = ""

    def rates(self, units: list[UnitStatus] | None = None) -> Rates:
        return Rates.of(self.units if units is None else units)

    def by_parent(self) -> dict[str, Rates]:
        groups: dict[str, list[UnitStatus]] = {}
        for u in self.units:
            groups.setdefault(u.parent or "(cấp cao nhất)", []).append(u)
        return {k: self.rates(v) for k, v in sorted(groups.items())}

    @property
    def not_reported(self) -> list[UnitStatus]:
        return [u for u in self.units if u.state in NOT_REPORTED]

    def to_dict(self) -> dict:
        return {"period": self.period, "form": self.form, "form_name": self.form_name, "deadline": self.deadline,
                "rates": self.rates().to_dict(), "by_parent": {k: r.to_dict() for k, r in self.by_parent().items()},
                "workbook": self.workbook,
                "units": [u.__dict__ | {"state_label": SUBMISSION_STATES[u.state]} for u in self.units]}


def round_status(rnd, write: bool = True) -> StatusResult:
    """Status of one form of a round (the round's main form unless one is named)."""
    rnd = as_round(rnd)
    rnd.require_started("xem tình hình nộp")
    return form_status(rnd, rnd.form, write)


def round_statuses(rnd, write: bool = True) -> list[StatusResult]:
    """Status of every form of a round."""
    rnd = as_round(rnd)
    rnd.require_started("xem tình hình nộp")
    return [form_status(rnd, form, write) for form in rnd.forms]


def form_status(rnd, form, write: bool = True) -> StatusResult:
    ctx = rnd.ctx
    result = StatusResult(period=rnd.code, form=form.id, form_name=form.name,
                          deadline=rnd.deadline.strftime("%d/%m/%Y"))
    subs: list[dict] = []
    if ctx.has_store:
        subs = ctx.store.submissions(form.id, rnd.code)
    by_unit: dict[str, list[dict]] = {}
    for s in subs:
        by_unit.setdefault(s["unit_code"], []).append(s)
    for unit in rnd.expected(form):
        mine = by_unit.get(unit.code, [])
        active = next((s for s in mine if s["active"]), None)
        us = UnitStatus(code=unit.code, name=unit.name, parent=ctx.registry.parent_name(unit.code), state="missing",
                        email=unit.email, head=f"{unit.head_name} ({unit.head_title})" if unit.head_name else "")
        if active:
            first = first_return(mine) or active
            us.state = "late" if first["late_days"] else "on_time"
            us.late_days, us.file, us.received = first["late_days"] or 0, active["file_name"], active["file_mtime"]
            us.counted = counted_text(first)
        elif mine:
            last = mine[-1]
            us.state, us.errors, us.file, us.received = "rejected", last["errors"], last["file_name"], last["file_mtime"]
        result.units.append(us)
    for unit in unregistered_units(rnd, form):  # no template could be made for them: they stay in view
        result.units.append(UnitStatus(code=unit.code, name=unit.name, parent=ctx.registry.parent_name(unit.code),
                                       state="not_registered", email=unit.email,
                                       head=f"{unit.head_name} ({unit.head_title})" if unit.head_name else ""))
    result.units.sort(key=lambda u: u.code)
    if write:
        result.workbook = str(write_not_reported(rnd, form, result))
    return result


def write_not_reported(rnd, form, status: StatusResult) -> Path:
    path = rnd.output / safe_filename(f"danh_sach_chua_nop_{form.slug}_{rnd.code}.xlsx")
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        f = Formats(wb)
        ws = wb.add_worksheet("Chưa nộp")
        ws.merge_range(0, 0, 0, 6, f"DANH SÁCH ĐƠN VỊ CHƯA NỘP {form.name.upper()} — {rnd.period.label.upper()}",
                       f.title)
        ws.write_string(1, 0, f"Hạn nộp: {status.deadline}. Lập lúc {datetime.now():%H:%M ngày %d/%m/%Y}.", f.note)
        rows = [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.errors or "", u.head, u.email]
                for u in status.not_reported]
        table(ws, 3, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Tình trạng", "Số lỗi", "Người đứng đầu",
                      "Email liên hệ"], rows, f, [10, 34, 26, 14, 8, 34, 28])
        ws2 = wb.add_worksheet("Tình hình nộp")
        rows = [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.late_days or "", u.counted, u.file,
                 u.received] for u in status.units]
        table(ws2, 0, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Tình trạng", "Muộn (ngày)",
                       "Ngày nộp được tính (bản đầu tiên được tiếp nhận hoặc trả lại để sửa)", "Tệp",
                       "Thời điểm nhận"], rows, f, [10, 34, 26, 14, 10, 30, 30, 19])
        wb.close()
    return path


__all__ = ["first_return", "counted_text", "round_status", "round_statuses", "form_status", "StatusResult", "UnitStatus", "SUBMISSION_STATES",
           "NOT_REPORTED", "not_registered_clause"]
