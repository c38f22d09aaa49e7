"""Completeness and timeliness of a round: who has sent each form on time, late, was sent back, or not at all,
and the list the office uses to remind the units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..intake.submission import counted_text, first_return  # noqa: F401 (re-exported)
from ..paths import safe_filename
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


@dataclass
class StatusResult:
    period: str
    form: str
    deadline: str
    form_name: str = ""
    units: list[UnitStatus] = field(default_factory=list)
    workbook: str = ""

    def rates(self, units: list[UnitStatus] | None = None) -> dict[str, Any]:
        units = self.units if units is None else units
        n = len(units) or 1
        reported = sum(u.state in ("on_time", "late") for u in units)
        on_time = sum(u.state == "on_time" for u in units)
        return {"expected": len(units), "reported": reported, "on_time": on_time,
                "late": sum(u.state == "late" for u in units), "rejected": sum(u.state == "rejected" for u in units),
                "missing": sum(u.state == "missing" for u in units),
                "not_registered": sum(u.state == "not_registered" for u in units),
                "reporting_rate": round(100 * reported / n, 1), "on_time_rate": round(100 * on_time / n, 1)}

    def by_parent(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[UnitStatus]] = {}
        for u in self.units:
            groups.setdefault(u.parent or "(cấp cao nhất)", []).append(u)
        return {k: self.rates(v) for k, v in sorted(groups.items())}

    @property
    def not_reported(self) -> list[UnitStatus]:
        return [u for u in self.units if u.state in NOT_REPORTED]

    def to_dict(self) -> dict:
        return {"period": self.period, "form": self.form, "form_name": self.form_name, "deadline": self.deadline,
                "rates": self.rates(), "by_parent": self.by_parent(), "workbook": self.workbook,
                "units": [u.__dict__ | {"state_label": SUBMISSION_STATES[u.state]} for u in self.units]}


def round_status(target, period=None, form_id: str | None = None, write: bool = True) -> StatusResult:
    """Status of one form of a round (the round's main form unless one is named)."""
    from ..round import as_round

    rnd = as_round(target, period, form_id)
    rnd.require_started("xem tình hình nộp")
    return form_status(rnd, rnd.form, write)


def round_statuses(target, period=None, form_id: str | None = None, write: bool = True) -> list[StatusResult]:
    """Status of every form of a round."""
    from ..round import as_round

    rnd = as_round(target, period, form_id)
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
    from ..round import unregistered_units

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
