"""How a task stands at the end of a period: the one judgement the consolidated workbook shows and the scores,
the documents and the history are computed from.

A task whose deadline falls within the period (or that is already finished, or reported as not done) is
*judged*: done on time, done late, or not done. A task not yet due is followed against its own timeline: the
share of its span (start date to deadline; a task without a start date starts with its register, the year or
the term) that has elapsed at the period's end. Reported "Chậm tiến độ", it is behind; reported "Chưa triển
khai", it is behind only once more than a set share of its span has elapsed (``interim_rule``), so a term-long
task is not behind for not having started in its first quarter. A task the unit sent no report on counts as not
done. A task reported "Không hoàn thành" is not done, before its deadline and after it (at the year end every
task is due: the unit's own word is kept, not shown as merely overdue). A pending request to adjust a task
already past its deadline does not hide it: it is overdue until the office approves the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .vocabulary import COMPLETED, status_word

STATES = {
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
    "in_progress": "Đang thực hiện, đúng tiến độ",
    "behind": "Chậm tiến độ, còn hạn",
    "overdue": "Quá hạn, chưa hoàn thành",
    "not_done": status_word("not_done"),
    "not_started": status_word("not_started"),
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
    elapsed: float | None = None  # share of the task's span elapsed at the period's end (not yet due)
    timeline: str = ""  # why a task not yet due is on schedule or behind, against its own timeline


# the share of a task's span that may elapse before a task reported "Chưa triển khai" is behind schedule
NOT_STARTED_SHARE = 0.25


def elapsed_share(start: date | None, deadline: date | None, as_of: date) -> float | None:
    """The share (0..1) of the span from ``start`` to ``deadline`` that has elapsed at ``as_of``."""
    if start is None or deadline is None:
        return None
    if as_of < start:
        return 0.0
    span = (deadline - start).days
    if span <= 0:
        return 1.0
    return max(0.0, min(1.0, (as_of - start).days / span))


def interim_rule(not_started_share: float = NOT_STARTED_SHARE) -> list[str]:
    """The rule for tasks not yet due, in sentences (the classification's rules sheet, the consolidated
    workbook, the report)."""
    pct = f"{100 * not_started_share:g}".replace(".", ",")
    return [
        ("Nhiệm vụ chưa đến hạn được đánh giá theo lộ trình của chính nhiệm vụ: phần thời gian đã qua tính đến "
         "ngày cuối kỳ = (ngày cuối kỳ − ngày bắt đầu) / (thời hạn hoàn thành − ngày bắt đầu); nhiệm vụ không ghi "
         "ngày bắt đầu thì tính từ đầu năm (nhiệm vụ của năm) hoặc đầu nhiệm kỳ (việc đột phá của nhiệm kỳ)."),
        (f"Nhiệm vụ báo \"Chưa triển khai\" là chậm tiến độ khi phần thời gian đã qua vượt quá {pct}% (chưa đến "
         f"ngày bắt đầu, hoặc chưa qua {pct}% thời gian, thì vẫn đúng tiến độ); báo \"Chậm tiến độ\" là chậm tiến "
         "độ; các tình trạng khác là đúng tiến độ. Nhiệm vụ chưa đến hạn đúng tiến độ được tính đủ điểm, chậm tiến "
         "độ không được tính điểm và tính là nhiệm vụ chậm.")]


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


def judge(meaning: str | None, deadline: date | None, completed_on: date | None, as_of: date, *,
          start_date: date | None = None, results: Any = None, dropped: bool = False,
          reported: bool = True, span_start: date | None = None,
          not_started_share: float = NOT_STARTED_SHARE) -> Verdict:
    """The state of one task at ``as_of``, by the meaning of its reported status (definitions/vocabulary.py) (the end of the period); ``span_start`` is where a task without a start
    date starts (its register's first day)."""
    due = deadline is not None and deadline <= as_of
    if dropped:
        return Verdict("dropped", False, True, False)
    if not reported:
        return Verdict("not_reported", due, False, True)
    if meaning in COMPLETED:
        note = ""
        if completed_on is None:
            completed_on = date_in_text(results, as_of.year, as_of)
            if completed_on is not None:
                note = f"ngày hoàn thành lấy theo nội dung báo cáo ({completed_on:%d/%m/%Y})"
            elif due:
                note = "không ghi ngày hoàn thành nên không xác định được là đúng hạn"
        late = bool(deadline and ((completed_on and completed_on > deadline) or (completed_on is None and due)))
        return Verdict("done_late" if late else "done_on_time", True, not late, late, completed_on, note)
    if meaning == "not_done":  # the unit's own word that it was not done, before or after its deadline
        return Verdict("not_done", True, False, True)
    if due:  # not finished and past its deadline, whatever else was reported (a pending request included)
        return Verdict("overdue", True, False, True)
    start = start_date or span_start
    share = elapsed_share(start, deadline, as_of)
    span = (f"đã qua {_pct(share)} thời gian thực hiện ({start:%d/%m/%Y} – {deadline:%d/%m/%Y})"
            if share is not None else "")
    if meaning == "adjust":
        return Verdict("adjust", False, True, False, elapsed=share)
    if meaning == "behind":
        return Verdict("behind", False, False, True, elapsed=share, timeline="đơn vị báo chậm tiến độ")
    if meaning == "not_started":
        if share is None:  # no timeline to judge against (no deadline, no start): not started counts as behind
            return Verdict("behind", False, False, True, timeline="chưa triển khai, không xác định được lộ trình")
        if share > not_started_share + 1e-9:
            return Verdict("behind", False, False, True, elapsed=share,
                           timeline=f"chưa triển khai khi {span}, quá {_pct(not_started_share)}: chậm tiến độ")
        return Verdict("not_started", False, True, False, elapsed=share,
                       timeline=f"chưa triển khai, {span}: còn trong lộ trình")
    return Verdict("in_progress", False, True, False, elapsed=share)


def _pct(share: float) -> str:
    return f"{round(100 * share, 1):g}%".replace(".", ",")


__all__ = ["judge", "Verdict", "STATES", "COMPLETED", "DONE", "FAILED", "LATE", "date_in_text", "elapsed_share",
           "interim_rule", "NOT_STARTED_SHARE"]
