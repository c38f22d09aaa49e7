"""Requests to change the register, as units write them: the sheet "Đề nghị điều chỉnh" of a progress report.

Each row names a task and a kind of change; every new value filled in becomes one request (a change of
deadline, target, wording or indicator), "Đưa ra khỏi danh mục" asks to drop the task and "Bổ sung nhiệm vụ
mới" to add one. Nothing here changes the register: the office decides (adjust.py).
"""

from __future__ import annotations

from typing import Any

EXTEND, TARGET, REWORD, DROP, ADD = ("Gia hạn thời hạn", "Điều chỉnh mục tiêu", "Điều chỉnh nội dung",
                                     "Đưa ra khỏi danh mục", "Bổ sung nhiệm vụ mới")
# new-value column -> register field
NEW_VALUES = {"new_deadline": "deadline", "new_target": "target", "new_title": "title", "new_indicator": "indicator"}
# what each kind needs at least
NEEDS = {EXTEND: ("new_deadline",), TARGET: ("new_target",), REWORD: ("new_title", "new_indicator"),
         ADD: ("new_title", "new_deadline"), DROP: ()}


def missing_values(row: dict[str, Any]) -> list[str]:
    """The new-value columns a request row of this kind still lacks (any one of them for a rewording)."""
    need = NEEDS.get(row.get("change"), ())
    if not need:
        return []
    if row.get("change") == REWORD:
        return [] if any(row.get(c) not in (None, "") for c in need) else [need[0]]
    return [c for c in need if row.get(c) in (None, "")]


def requests_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Requests (change, field, new value, reason, data) from the rows of the sheet, one per new value."""
    out = []
    for row in rows:
        code, kind = row.get("task_code"), row.get("change")
        if not code or not kind:
            continue
        base = {"task_code": str(code), "reason": row.get("reason")}
        if kind == DROP:
            out.append({**base, "change": "drop", "new_value": None})
        elif kind == ADD:
            data = {"title": row.get("new_title"), "indicator": row.get("new_indicator"),
                    "target": row.get("new_target"), "deadline": row.get("new_deadline"), "kind": "Bổ sung"}
            out.append({**base, "change": "add", "new_value": row.get("new_title"), "data": data})
        else:
            for column, field in NEW_VALUES.items():
                if row.get(column) not in (None, ""):
                    out.append({**base, "change": "modify", "field": field, "new_value": row.get(column)})
    return out
