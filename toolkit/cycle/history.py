"""The register across rounds: each task's trail (registration, confirmation, every progress report, every
change and decision), the latest state of a task, and the comparison of a period with the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import formatting as fmt
from ..definitions.judge import STATES
from ..definitions.vocabulary import status_word
from ..files import atomic_path
from ..paths import safe_filename
from ..periods import parse_period
from ..register.fields import change_label, register_labels, value_text
from ..register.history import _frame, compare_with_previous, latest_states, progress_rounds  # noqa: F401
from ..round import as_round
from ..sheets import Formats, new_workbook, table
from ..workspace.calendar import period_label, period_of

CONFIRMATION = {None: "", "confirmed": "Đã xác nhận", "revise": "Đề nghị sửa", "refused": "Không đồng ý"}


@dataclass
class HistoryResult:
    path: str
    tasks: int
    rows: int
    periods: list[str]

    def lines(self) -> list[str]:
        return [f"Lịch sử nhiệm vụ: {self.tasks} nhiệm vụ, {self.rows} dòng qua {len(self.periods)} kỳ báo cáo "
                f"({', '.join(self.periods) or 'chưa có báo cáo tiến độ'}) → {self.path}"]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def write_history(rnd) -> HistoryResult:
    """One workbook: every task's trail across the rounds (a row per task and period) and every change."""
    rnd = as_round(rnd)
    keys = rnd.register_keys
    names = {u.code: u.name for u in rnd.ctx.registry.units.values()}
    labels = register_labels(rnd.ctx.forms)
    trail: list[list] = []
    with rnd.store_handle() as store:
        tasks = [t for k in keys for t in store.register(k, active_only=False)]
        # the registers each round reports on, read once (each look-up opens the store)
        round_keys = {r.code: set(r.register_keys) for r in progress_rounds(rnd.ctx, store)}
        rounds = [r for r in progress_rounds(rnd.ctx, store) if round_keys[r.code] & set(keys)]
        frames = {r.code: _frame(r, store) for r in rounds}
        changes = [c for k in keys for c in store.task_changes(k)]
        adjustments = [a for k in keys for a in store.adjustments(k)]
    by_task, requests_by = _by_task(rounds, frames, adjustments)
    for t in sorted(tasks, key=lambda t: (t["unit_code"], t["register_key"], t["task_code"])):
        k = (t["register_key"], t["unit_code"], t["task_code"])
        base = [_key_label(t["register_key"]), t["unit_code"], names.get(t["unit_code"], t["unit_code"]),
                t["task_code"], t["title"], fmt.day(t.get("deadline")), t.get("target")]
        state = "Đưa ra khỏi danh mục" if t.get("dropped") else ("Đã rút" if not t["active"] else "")
        trail.append(base + ["Đăng ký", None, None, None, CONFIRMATION.get(t.get("confirmation")) or None,
                             t.get("confirmation_note") or state or None, None])
        reports = by_task.get(k, {})
        mine = [r for r in rounds if t["register_key"] in round_keys[r.code] and r.code in reports]
        for i, r in enumerate(mine):
            rec = reports[r.code]
            asked = [a for a in requests_by.get(k, []) if a["period"] == r.code]
            # a decision shows on the first report after the one that asked (the report it took effect in),
            # or on the asking report itself when none followed yet
            decided = [a for a in requests_by.get(k, []) if a["decided_at"] and (
                (i > 0 and a["period"] == mine[i - 1].code) or (i == len(mine) - 1 and a["period"] == r.code)
                or (a["period"] not in reports and _before(a["period"], r) and
                    (i == 0 or not _before(a["period"], mine[i - 1]))))]
            notes = "; ".join([f"Đề nghị: {change_label(a, labels)} {value_text(a['field'], a['new_value'])}".strip()
                               for a in asked] +
                              [f"{'Đồng ý' if a['decision'] == 'approved' else 'Không đồng ý'}: {change_label(a, labels)} "
                               f"{value_text(a['field'], a['new_value'])} ({a['decision_ref'] or 'chưa ghi văn bản'})"
                               for a in decided])
            trail.append(base + [r.period.label, fmt.text(rec.get("status")), _num(rec.get("percent")),
                                 _num(rec.get("actual")), STATES.get(rec.get("_state"), ""),
                                 fmt.text(rec.get("results"))[:500], notes])
    change_rows = [[_key_label(c["register_key"]), c["unit_code"], names.get(c["unit_code"], c["unit_code"]),
                    c["task_code"], labels.get(c["field"], c["field"]), value_text(c["field"], c["old_value"]),
                    value_text(c["field"], c["new_value"]), fmt.moment(c["at"]), c.get("decision_ref") or "",
                    "Điều chỉnh được đồng ý" if c.get("adjustment_id") else "Đơn vị gửi lại bản đăng ký"]
                   for c in changes]
    request_rows = [[a["id"], a["unit_code"], a["task_code"], change_label(a, labels), value_text(a["field"], a["old_value"]),
                     value_text(a["field"], a["new_value"]) if a["change"] == "modify" else (a["new_value"] or ""),
                     a["reason"] or "", _key_label(a["period"]) if a["period"] else "", fmt.moment(a["requested_at"]),
                     {"approved": "Đồng ý", "refused": "Không đồng ý"}.get(a["decision"], "Chờ ý kiến"),
                     a["decision_ref"] or "", fmt.moment(a["decided_at"])] for a in adjustments]
    label = "_".join(keys)
    path = rnd.ws.round_dir(parse_period(rnd.register_key), "output") / safe_filename(f"lich_su_nhiem_vu_{label}.xlsx")
    _write_book(path, keys, labels, trail, change_rows, request_rows)
    return HistoryResult(path=str(path), tasks=len(tasks), rows=len(trail), periods=[r.period.label for r in rounds])



def _by_task(rounds, frames: dict, adjustments: list[dict]) -> tuple[dict, dict]:
    """(register, unit, task) -> each round's row of the task; and -> the requests to adjust it."""
    by_task: dict[tuple[str, str, str], dict[str, dict]] = {}
    for r in rounds:
        df = frames[r.code]
        for rec in df.to_dict("records") if len(df) else []:
            by_task.setdefault((rec.get("_register"), rec["_unit"], rec["task_code"]), {})[r.code] = rec
    requests_by: dict[tuple[str, str, str], list[dict]] = {}
    for a in adjustments:
        requests_by.setdefault((a["register_key"], a["unit_code"], a["task_code"]), []).append(a)
    return by_task, requests_by

def _write_book(path: Path, keys: list[str], labels: dict[str, str], trail: list[list], change_rows: list[list],
                request_rows: list[list]) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        f = Formats(wb)
        ws = wb.add_worksheet("Diễn biến nhiệm vụ")
        ws.write_string(0, 0, f"DIỄN BIẾN THỰC HIỆN NHIỆM VỤ — {', '.join(_key_label(k).upper() for k in keys)}",
                        f.title)
        table(ws, 2, ["Danh mục", "Mã đơn vị", "Tên đơn vị", "Mã nhiệm vụ", labels["title"],
                      f"{labels['deadline']} (hiện hành)", f"{labels['target']} (hiện hành)", "Kỳ", "Tình trạng báo cáo", "% hoàn thành", "Giá trị đạt được",
                      "Đánh giá / xác nhận", "Kết quả, ghi chú", "Đề nghị, quyết định điều chỉnh"], trail, f,
              [14, 10, 24, 12, 40, 12, 10, 22, 22, 9, 10, 24, 40, 40])
        table(wb.add_worksheet("Thay đổi"), 0, ["Danh mục", "Mã đơn vị", "Tên đơn vị", "Mã nhiệm vụ", "Nội dung",
                                                "Giá trị cũ", "Giá trị mới", "Thời điểm", "Văn bản", "Nguồn"],
              change_rows, f, [14, 10, 24, 12, 22, 24, 24, 18, 26, 24])
        table(wb.add_worksheet(status_word("adjust")), 0, ["Số đề nghị", "Mã đơn vị", "Mã nhiệm vụ", "Nội dung đề nghị",
                                                         "Giá trị cũ", "Giá trị đề nghị", "Lý do", "Đề nghị trong",
                                                         "Thời điểm đề nghị", "Ý kiến", "Văn bản", "Thời điểm quyết định"],
              request_rows, f, [8, 10, 12, 22, 20, 20, 36, 18, 18, 12, 26, 18])
        wb.close()


def _before(code: str | None, rnd) -> bool:
    """Whether a request made in period ``code`` (a registration resubmission or a report) came before ``rnd``."""
    p = period_of(code)
    return p is not None and p.end <= rnd.period.end


_key_label = period_label



def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v else None


__all__ = ["write_history", "HistoryResult", "latest_states", "compare_with_previous", "progress_rounds"]

