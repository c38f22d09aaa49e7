"""Mid-year adjustments with the office's approval.

Units ask in their progress reports (sheet "Đề nghị điều chỉnh") or by sending their registration again once
it has been confirmed. Nothing changes the register until the office decides: `toolkit adjust` writes the
adjustments workbook (one row per requested change, old and new value side by side, the reason, a decision
dropdown and the reference of the decision, e.g. "Công văn số 125-CV/TU ngày 10/7/2026"), and when run again
reads the decisions and applies the approved ones. Every change is kept: who asked, when, old, new, decision,
reference (store tables adjustments and task_changes); templates, checks and scores read the register as
adjusted from then on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import formatting as fmt
from ..definitions.vocabulary import status_word
from ..paths import safe_filename
from ..periods import parse_period
from ..register.fields import change_label, describe, register_labels, value_text  # noqa: F401 (re-exported)
from ..round import as_round
from ..store import ADJUSTMENT_STATES, Store
from ..text import fold
from ..workspace.calendar import period_label
from .review import Column, choice, read_review, write_review

SHEET = status_word("adjust")  # the requests, as units mark a task whose adjustment they request
CHOICES = ["Đồng ý", "Không đồng ý"]
DECISIONS = dict(zip((fold(c) for c in CHOICES), ("approved", "refused")))
COLUMNS = [Column("Số đề nghị", 8), Column("Mã đơn vị", 10), Column("Tên đơn vị", 26), Column("Mã nhiệm vụ", 12),
           Column("Tên nhiệm vụ", 36), Column("Nội dung đề nghị", 22), Column("Giá trị hiện tại", 18),
           Column("Giá trị đề nghị", 18), Column("Lý do", 36), Column("Đề nghị trong", 16),
           Column("Ý kiến", 14, "choice"), Column("Số, ngày văn bản", 26, "input"), Column("Ghi chú", 24, "input"),
           Column("Tình trạng", 22)]
NEEDED = ["Số đề nghị", "Ý kiến", "Số, ngày văn bản", "Ghi chú"]


@dataclass
class AdjustResult:
    path: str
    applied: int = 0
    refused: int = 0
    pending: int = 0
    total: int = 0
    problems: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"Đề nghị điều chỉnh: {self.total} đề nghị; lần này áp dụng {self.applied} đề nghị được đồng ý, "
               f"ghi nhận {self.refused} đề nghị không đồng ý; còn {self.pending} đề nghị chờ ý kiến.",
               f"Bảng đề nghị điều chỉnh: {self.path}"]
        if self.pending:
            out.append("Mở bảng, chọn ý kiến ở cột 'Ý kiến', ghi số, ngày văn bản rồi chạy lại lệnh này để áp dụng.")
        return out + self.problems

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def adjustments_path(rnd) -> Path:
    key = rnd.register_key
    return rnd.ws.round_dir(parse_period(key), "output") / safe_filename(f"dieu_chinh_nhiem_vu_{key}.xlsx")


def adjust(rnd) -> AdjustResult:
    """Read the office's decisions from the adjustments workbook (if it exists), apply them, write it again."""
    rnd = as_round(rnd)
    path = adjustments_path(rnd)
    result = AdjustResult(path=str(path))
    with rnd.store_handle() as store:
        if path.exists():
            _apply_decisions(store, path, result)
        adjustments = [a for k in rnd.register_keys for a in store.adjustments(k)]
        tasks = {(t["register_key"], t["unit_code"], t["task_code"]): t
                 for k in rnd.register_keys for t in store.register(k, active_only=False)}
        changes = [c for k in rnd.register_keys for c in store.task_changes(k)]
        result.counts = store.adjustment_counts(rnd.register_keys)
    adjustments.sort(key=lambda a: (a["decision"] is not None, a["id"]))
    result.total = len(adjustments)
    result.pending = sum(a["decision"] is None for a in adjustments)
    names = {u.code: u.name for u in rnd.ctx.registry.units.values()}
    labels = register_labels(rnd.ctx.forms)
    rows = []
    for a in adjustments:
        task = tasks.get((a["register_key"], a["unit_code"], a["task_code"])) or {}
        title = task.get("title") or (json.loads(a["data"] or "{}").get("title") if a["change"] == "add" else "")
        new = value_text(a["field"], a["new_value"]) if a["change"] == "modify" else (a["new_value"] or "")
        old = value_text(a["field"], a["old_value"]) if a["change"] == "modify" else (a["old_value"] or "")
        asked = period_label(a["period"])
        state = ADJUSTMENT_STATES.get(a["decision"], a["decision"])
        if a["decision"] == "approved":
            state = f"Đã áp dụng ngày {a['applied_at'][8:10]}/{a['applied_at'][5:7]}/{a['applied_at'][:4]}"
        rows.append([a["id"], a["unit_code"], names.get(a["unit_code"], a["unit_code"]), a["task_code"], title,
                     change_label(a, labels), old, new, a["reason"] or "", asked,
                     {"approved": "Đồng ý", "refused": "Không đồng ý"}.get(a["decision"]),
                     a["decision_ref"], a["decision_note"], state])
    office = rnd.ws.office.get("name") or "Văn phòng"
    notes = [f"{office} — danh mục nhiệm vụ {', '.join(_key_label(k) for k in rnd.register_keys)}.",
             "Chọn ý kiến (Đồng ý / Không đồng ý) và ghi số, ngày văn bản cho mỗi đề nghị; lưu tệp rồi chạy lại lệnh "
             "'toolkit adjust' để áp dụng. Đề nghị đã có ý kiến không sửa lại được ở đây."]
    history = [[c["unit_code"], c["task_code"], labels.get(c["field"], c["field"]), value_text(c["field"], c["old_value"]),
                value_text(c["field"], c["new_value"]), fmt.moment(c["at"]), c.get("decision_ref") or "",
                "Điều chỉnh được đồng ý" if c.get("adjustment_id") else "Đơn vị gửi lại bản đăng ký"]
               for c in changes]
    write_review(path, SHEET, "BẢNG ĐỀ NGHỊ ĐIỀU CHỈNH NHIỆM VỤ", notes, COLUMNS, rows, CHOICES,
                 extra=[("Lịch sử thay đổi", ["Mã đơn vị", "Mã nhiệm vụ", "Nội dung thay đổi", "Giá trị cũ",
                                              "Giá trị mới", "Thời điểm", "Văn bản", "Nguồn"], history,
                         [10, 12, 22, 24, 24, 18, 26, 24])])
    return result


def _apply_decisions(store: Store, path: Path, result: AdjustResult) -> None:
    pending = {a["id"]: a for a in store.adjustments(pending_only=True)}
    for row in read_review(path, SHEET, NEEDED):
        raw_id = row.values.get("Số đề nghị")
        try:
            adj_id = int(raw_id)
        except (TypeError, ValueError):
            continue
        decision = choice(row.values.get("Ý kiến"), DECISIONS)
        if decision is None:
            result.problems.append(f"Tệp {path.name}, ô {row.cells['Ý kiến']}: ý kiến '{row.values.get('Ý kiến')}' "
                                   f"không hợp lệ; chọn Đồng ý hoặc Không đồng ý. Đề nghị số {adj_id} chưa được xử lý.")
            continue
        if not decision or adj_id not in pending:
            continue
        ref = _text(row.values.get("Số, ngày văn bản"))
        if decision == "approved" and not ref:
            result.problems.append(f"Tệp {path.name}, ô {row.cells['Số, ngày văn bản']}: đề nghị số {adj_id} được "
                                   f"đồng ý nhưng chưa ghi số, ngày văn bản; đã áp dụng, đề nghị bổ sung số văn bản.")
        if store.decide_adjustment(adj_id, decision, ref, _text(row.values.get("Ghi chú"))):
            if decision == "approved":
                result.applied += 1
            else:
                result.refused += 1


def _text(v) -> str | None:
    if v is None:
        return None
    if hasattr(v, "strftime"):
        return v.strftime("%d/%m/%Y")
    return str(v).strip() or None


_key_label = period_label


__all__ = ["adjust", "AdjustResult", "describe", "value_text", "adjustments_path"]
