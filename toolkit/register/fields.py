"""The register's fields and their labels, declared once: what a change to the register is called in the history
and the consolidated workbook, what a unit's request is called in the adjustment review, and a register value as
office staff read it."""

from __future__ import annotations

from datetime import date

from .. import formatting as fmt

# a change recorded in the register (an event, or the field that changed) -> its label in the history
REGISTER_LABELS = {"added": "Bổ sung nhiệm vụ", "withdrawn": "Rút khỏi đăng ký", "active": "Đăng ký lại",
                 "title": "Tên nhiệm vụ", "target": "Giá trị mục tiêu", "deadline": "Thời hạn",
                 "indicator": "Chỉ tiêu", "dropped": "Đưa ra khỏi danh mục", "kind": "Loại nhiệm vụ",
                 "area": "Lĩnh vực", "weight": "Trọng số", "leader_id": "Lãnh đạo phụ trách",
                 "parent_code": "Nhiệm vụ cấp trên", "unit_measure": "Đơn vị tính", "baseline": "Giá trị hiện tại",
                 "start_date": "Ngày bắt đầu", "focal_point": "Đầu mối theo dõi"}
# a unit's request to change the register (register/requests.py) and the fields it may change
REQUEST_LABELS = {"modify": "Điều chỉnh", "drop": "Đưa ra khỏi danh mục", "add": "Bổ sung nhiệm vụ mới"}
REQUEST_FIELD_LABELS = {"deadline": "Thời hạn", "target": "Mục tiêu", "title": "Tên nhiệm vụ", "indicator": "Chỉ tiêu"}


def value_text(field_name: str | None, value) -> str:
    """A register value as office staff read it (dates dd/mm/yyyy, numbers the Vietnamese way)."""
    if value in (None, ""):
        return ""
    if field_name in ("deadline", "start_date"):
        try:
            return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if field_name in ("target", "baseline", "weight"):
        try:
            return fmt.number(float(value), 2)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def change_label(a: dict) -> str:
    if a["change"] == "modify":
        return f"Điều chỉnh {REQUEST_FIELD_LABELS.get(a['field'], a['field']).lower()}"
    return REQUEST_LABELS.get(a["change"], a["change"])


def describe(a: dict, with_ref: bool = False) -> str:
    """One request in words: "thời hạn từ 30/06/2026 thành 30/09/2026 (Công văn số …)"."""
    if a["change"] == "modify":
        label = REQUEST_FIELD_LABELS.get(a["field"], a["field"]).lower()
        text = f"{label} từ {value_text(a['field'], a['old_value']) or '(trống)'} thành " \
               f"{value_text(a['field'], a['new_value'])}"
        if a["decision"] is None:
            text = f"đề nghị điều chỉnh {text}, chờ ý kiến"
    elif a["change"] == "drop":
        text = "đưa ra khỏi danh mục" if a["decision"] else "đề nghị đưa ra khỏi danh mục, chờ ý kiến"
    else:
        text = "bổ sung nhiệm vụ" if a["decision"] else "đề nghị bổ sung nhiệm vụ, chờ ý kiến"
    if with_ref and a.get("decision_ref"):
        text += f" ({a['decision_ref']})"
    return text


__all__ = ["REGISTER_LABELS", "REQUEST_LABELS", "REQUEST_FIELD_LABELS", "value_text", "change_label", "describe"]
