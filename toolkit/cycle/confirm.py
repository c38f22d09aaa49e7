"""Confirmation of registrations: the office's opinion on every registered task.

`toolkit confirm --period 2026` writes the review workbook (one row per task: unit, code, title, indicator,
target, deadline, the quality warnings the collect found on that row, a column "Ý kiến" with the dropdown
Đồng ý / Đề nghị sửa / Không đồng ý and a comment). Run again, it reads the opinions back: agreed tasks are
confirmed (from then on a unit changes them only through an adjustment the office approves); "Đề nghị sửa"
and "Không đồng ý" go back to the unit in an annotated copy of its registration (folder feedback/xac_nhan);
refused tasks leave the register. A task the unit has changed since the opinion was given is listed again
for a new opinion. Then the workbook is written again, so reading it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import formatting as fmt
from ..errors import ToolkitError
from ..intake.feedback import write_feedback
from ..issues import make_issue
from ..paths import safe_filename
from ..read import Limits, col_letter
from ..register.fields import confirmation_label, register_labels
from ..round import as_round
from ..store import Store
from ..text import fold
from .review import Column, choice, read_review, write_review

SHEET = "Xác nhận đăng ký"
CHOICES = ["Đồng ý", "Đề nghị sửa", "Không đồng ý"]
DECISIONS = dict(zip((fold(c) for c in CHOICES), ("confirmed", "revise", "refused")))
LABELS = {"confirmed": "Đồng ý", "revise": "Đề nghị sửa", "refused": "Không đồng ý"}


def columns(labels: dict[str, str]) -> list[Column]:
    """The review's columns; the register's fields titled as the forms title them (register/fields.py)."""
    return [Column("Mã đơn vị", 10), Column("Tên đơn vị", 24), Column("Mã nhiệm vụ", 12), Column(labels["title"], 44),
            Column(labels["indicator"], 22), Column(labels["target"], 10), Column(labels["deadline"], 11),
            Column("Lãnh đạo phụ trách", 18), Column("Cảnh báo khi tiếp nhận", 40), Column("Ý kiến", 14, "choice"),
            Column("Nội dung đề nghị sửa, lý do", 36, "input"), Column("Tình trạng", 22),
            Column("Phiên bản", 6, "hidden")]


NEEDED = ["Mã đơn vị", "Mã nhiệm vụ", "Ý kiến", "Nội dung đề nghị sửa, lý do", "Phiên bản"]
WARNING_CODES = ("qualitative-task", "generic-wording", "copied-task", "outside-period", "parent-unknown",
                 "leader-other-unit", "leader-by-name")


@dataclass
class ConfirmResult:
    path: str
    tasks: int = 0
    confirmed: int = 0
    revise: int = 0
    refused: int = 0
    pending: int = 0
    changed: int = 0  # opinions recorded by this run
    feedback: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Xác nhận đăng ký: {self.tasks} nhiệm vụ; đã xác nhận {self.confirmed}, đề nghị sửa {self.revise}, "
               f"không đồng ý {self.refused}, chờ ý kiến {self.pending} (lần này ghi nhận {self.changed} ý kiến).",
               f"Bảng xác nhận: {self.path}"]
        if self.feedback:
            out.append(f"Đã ghi {len(self.feedback)} tệp gửi lại đơn vị (ý kiến đề nghị sửa, không đồng ý) trong "
                       f"{Path(self.feedback[0]).parent}.")
        if self.pending:
            out.append("Mở bảng, chọn ý kiến ở cột 'Ý kiến' rồi chạy lại lệnh này.")
        return out + self.problems

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def confirmation_path(rnd) -> Path:
    return rnd.output / safe_filename(f"xac_nhan_dang_ky_{rnd.register_key}.xlsx")


def confirm(rnd) -> ConfirmResult:
    rnd = as_round(rnd)
    if rnd.period.kind not in ("year", "term"):
        raise ToolkitError(f"Xác nhận đăng ký dùng cho kỳ đăng ký (năm hoặc nhiệm kỳ), không dùng cho "
                           f"{rnd.period.label}. Ví dụ: --period {rnd.period.start.year}.")
    key = rnd.register_key
    path = confirmation_path(rnd)
    result = ConfirmResult(path=str(path))
    touched: set[str] = set()
    with rnd.store_handle() as store:
        if path.exists():
            touched = _read_opinions(store, key, path, result)
        tasks = store.register(key)
        warnings = _row_warnings(store, rnd)
        if touched:
            result.feedback = _send_back(rnd, store, key, touched)
    names = {u.code: u.name for u in rnd.ctx.registry.units.values()}
    leaders = rnd.ctx.registry.leaders
    rows = []
    for t in tasks:
        state = t.get("confirmation")
        current = state and t.get("confirmed_version") == t["version"]
        label = confirmation_label(state, t.get("confirmed_version"), t["version"])
        result.tasks += 1
        if current:
            setattr(result, state, getattr(result, state) + 1)
        else:
            result.pending += 1
        ldr = leaders.get(t.get("leader_id") or "")
        rows.append([t["unit_code"], names.get(t["unit_code"], t["unit_code"]), t["task_code"], t["title"],
                     t.get("indicator") or "", t.get("target"), fmt.day(t.get("deadline")),
                     ldr.name if ldr else (t.get("leader_id") or ""),
                     "\n".join(warnings.get((t["unit_code"], t["task_code"]), [])),
                     LABELS.get(state) if current else None, (t.get("confirmation_note") or None) if current else None,
                     label, t["version"]])
    office = rnd.ws.office.get("name") or "Văn phòng"
    notes = [f"{office} — nhiệm vụ đăng ký {rnd.period.label}.",
             "Chọn ý kiến cho từng nhiệm vụ (Đồng ý / Đề nghị sửa / Không đồng ý), ghi nội dung đề nghị sửa hoặc lý do; "
             "lưu tệp rồi chạy lại lệnh 'toolkit confirm'. Không sửa các cột khác."]
    write_review(path, SHEET, f"XÁC NHẬN NHIỆM VỤ ĐĂNG KÝ {rnd.period.label.upper()}", notes,
                 columns(register_labels(rnd.ctx.forms)), rows,
                 CHOICES)
    return result


def _read_opinions(store: Store, key: str, path: Path, result: ConfirmResult) -> set[str]:
    """Apply the opinions of the workbook; returns the units whose tasks got "Đề nghị sửa"/"Không đồng ý"."""
    touched = set()
    for row in read_review(path, SHEET, NEEDED):
        unit, code = _s(row.values.get("Mã đơn vị")), _s(row.values.get("Mã nhiệm vụ"))
        if not unit or not code:
            continue
        decision = choice(row.values.get("Ý kiến"), DECISIONS)
        if decision is None:
            result.problems.append(f"Tệp {path.name}, ô {row.cells['Ý kiến']}: ý kiến '{row.values.get('Ý kiến')}' "
                                   f"không hợp lệ; chọn {', '.join(CHOICES)}. Nhiệm vụ {code} của {unit} chưa được xử lý.")
            continue
        task = store.task(key, unit, code)
        if task is None or not decision:
            continue
        try:
            seen_version = int(row.values.get("Phiên bản"))
        except (TypeError, ValueError):
            seen_version = None
        if seen_version != task["version"]:
            continue  # the unit changed the task after this row was written: it needs a new opinion
        note = _s(row.values.get("Nội dung đề nghị sửa, lý do"))
        if decision in ("revise", "refused") and not note:
            result.problems.append(f"Tệp {path.name}, ô {row.cells['Nội dung đề nghị sửa, lý do']}: ý kiến "
                                   f"'{LABELS[decision]}' cho nhiệm vụ {code} của {unit} chưa ghi nội dung, lý do; "
                                   f"đơn vị sẽ không biết cần sửa gì.")
        if store.set_confirmation(key, unit, code, decision, note):
            result.changed += 1
            if decision in ("revise", "refused"):
                touched.add(unit)
    return touched


def _row_warnings(store: Store, rnd) -> dict[tuple[str, str], list[str]]:
    """(unit, task) -> the quality warnings the collect found on the task's row of the active registration."""
    out: dict[tuple[str, str], list[str]] = {}
    for form in rnd.forms:
        if form.role not in ("registration", "breakthrough"):
            continue
        where = {}
        for r in store.rows(form.id, rnd.code, form.main.id):
            where[(r["_unit"], r["_row"])] = r.get("task_code")
        active = {s["id"] for s in store.submissions(form.id, rnd.code) if s["active"]}
        for i in store.issues(form.id, rnd.code):
            if i["submission_id"] in active and i["code"] in WARNING_CODES:
                code = where.get((i["unit_code"], i["excel_row"]))
                if code:
                    out.setdefault((i["unit_code"], code), []).append(i["message"])
    return out


def _send_back(rnd, store: Store, key: str, units: set[str]) -> list[str]:
    """An annotated copy of each unit's registration with the office's opinions on the tasks' cells."""
    folder = rnd.feedback_dir / "xac_nhan"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    limits = rnd.ws.read_limits  # an .xls/.ods read again as collect read it
    for form in rnd.forms:
        if form.role not in ("registration", "breakthrough"):
            continue
        title_col = next((i for i, c in enumerate(form.main.columns) if c.name == "title"), 0)

        for unit_code in sorted(units):
            sub = store.active_submission(unit_code, form.id, rnd.code)
            if not sub or not sub.get("archived_path") or not Path(sub["archived_path"]).exists():
                continue
            rows = {r.get("task_code"): r for r in store.rows(form.id, rnd.code, form.main.id) if r["_unit"] == unit_code}
            issues = []
            for t in store.register(key, unit_code):
                if t.get("confirmation") not in ("revise", "refused") or t.get("confirmed_version") != t["version"]:
                    continue
                r = rows.get(t["task_code"])
                if r is None:
                    continue
                code = "confirm-revise" if t["confirmation"] == "revise" else "confirm-refused"
                issues.append(make_issue(code, file=sub["file_name"], unit=unit_code, sheet=r["_sheet"],
                                         cell=f"{col_letter(title_col + 1)}{r['_row']}", row=r["_row"],
                                         task=t["task_code"], note=t.get("confirmation_note") or "(không ghi lý do)"))
            if not issues:
                continue
            unit = rnd.ctx.registry.units.get(unit_code)
            copy = _Returned(file_name=sub["file_name"], unit=unit, issues=issues, format=sub["format"] or "xlsx",
                             output_name=safe_filename(f"{unit_code}_y_kien_xac_nhan_{rnd.code}.xlsx"),
                             limits=limits)
            written.append(str(write_feedback(copy, Path(sub["archived_path"]), folder)))
    return written


@dataclass
class _Returned:
    """What the feedback writer needs to know of a received file."""
    file_name: str
    unit: object
    issues: list
    format: str
    output_name: str = ""
    limits: Limits | None = None  # the intake's (settings): an .xls/.ods is read again as collect read it



def _s(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


__all__ = ["confirm", "ConfirmResult", "confirmation_path"]
