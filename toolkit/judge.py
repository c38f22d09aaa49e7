"""How a task stands at the end of a period: the one judgement the consolidated workbook shows and the scores,
the documents and the history are computed from.

A task whose deadline falls within the period (or that is already finished, or reported as not done) is
*judged*: done on time, done late, or not done. A task not yet due is followed by its progress: on schedule
or behind. A task the unit sent no report on counts as not done. A pending request to adjust a task already
past its deadline does not hide it: it is overdue until the office approves the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

COMPLETED = ("Hoàn thành", "Hoàn thành vượt mức")
NOT_DONE = "Không hoàn thành"
BEHIND = "Chậm tiến độ"
NOT_STARTED = "Chưa triển khai"
ADJUST = "Đề nghị điều chỉnh"

STATES = {
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
    "in_progress": "Đang thực hiện, đúng tiến độ",
    "behind": "Chậm tiến độ, còn hạn",
    "overdue": "Quá hạn, chưa hoàn thành",
    "not_done": "Không hoàn thành",
    "not_started": "Chưa triển khai",
    "adjust": "Đề nghị điều chỉnh (chờ ý kiến)",
    "dropped": "Đưa ra khỏi danh mục (đã được đồng ý)",
    "not_reported": "Chưa báo cáo",
}
DONE = {"done_on_time", "done_late"}
FAILED = {"overdue", "not_done"}
LATE = {"done_late", "overdue", "not_done", "behind", "not_reported"}


@dataclass(frozen=True)
class Verdict:
    state: str
    judged: bool  # counted among the tasks that had to be finished in the period
    on_track: bool  # finished on time, or not yet due and on schedule
    late: bool  # done late, overdue, not done, behind schedule, or not reported
    completed_on: date | None = None
    note: str = ""  # how the completion date was established, when the unit did not give it


_DATE_IN_TEXT = re.compile(r"(?<!\d)(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2,4}))?(?!\d)")


def date_in_text(text: Any, year: int, as_of: date) -> date | None:
    """The latest plausible date written in a result text ('hoàn thành ngày 15/5', '15/05/2025'), up to as_of."""
    if not isinstance(text, str) or not text:
        return None
    found = []
    for m in _DATE_IN_TEXT.finditer(text):
        d, mth = int(m.group(1)), int(m.group(2))
        y = int(m.group(3)) if m.group(3) else year
        y = y + 2000 if y < 100 else y
        try:
            day = date(y, mth, d)
        except ValueError:
            continue
        if day.year == year and day <= as_of:
            found.append(day)
    return max(found) if found else None


def judge(status: str | None, deadline: date | None, completed_on: date | None, as_of: date, *,
          start_date: date | None = None, results: Any = None, dropped: bool = False,
          reported: bool = True) -> Verdict:
    """The state of one task at ``as_of`` (the end of the period)."""
    due = deadline is not None and deadline <= as_of
    if dropped:
        return Verdict("dropped", False, True, False)
    if not reported:
        return Verdict("not_reported", due, False, True)
    if status in COMPLETED:
        note = ""
        if completed_on is None:
            completed_on = date_in_text(results, as_of.year, as_of)
            if completed_on is not None:
                note = f"ngày hoàn thành lấy theo nội dung báo cáo ({completed_on:%d/%m/%Y})"
            elif due:
                note = "không ghi ngày hoàn thành nên không xác định được là đúng hạn"
        late = bool(deadline and ((completed_on and completed_on > deadline) or (completed_on is None and due)))
        return Verdict("done_late" if late else "done_on_time", True, not late, late, completed_on, note)
    if due:  # not finished and past its deadline, whatever else was reported (a pending request included)
        return Verdict("overdue", True, False, True)
    if status == NOT_DONE:
        return Verdict("not_done", True, False, True)
    if status == ADJUST:
        return Verdict("adjust", False, True, False)
    if status == BEHIND:
        return Verdict("behind", False, False, True)
    if status == NOT_STARTED:
        on_schedule = start_date is not None and start_date > as_of
        return Verdict("not_started", False, on_schedule, not on_schedule)
    return Verdict("in_progress", False, True, False)


__all__ = ["judge", "Verdict", "STATES", "COMPLETED", "DONE", "FAILED", "LATE", "date_in_text"]
