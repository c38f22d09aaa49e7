"""The register's fields and their labels, declared once: what a change to the register is called in the history
and the consolidated workbook, what a unit's request is called in the adjustment review, and a register value as
office staff read it.

A field's label is not spelled here: it is the title of the form column that shows the field (`field_labels`).
The events of the register (a task added, withdrawn, dropped) and the kinds of request are not columns, so their
labels are declared below."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from .. import formatting as fmt
from ..definitions.forms import Form, load_forms
from ..store import TASK_FIELDS
from .requests import NEW_VALUES

# an event of the register (not a field) -> its label in the history
EVENT_LABELS = {"added": "Bổ sung nhiệm vụ", "withdrawn": "Rút khỏi đăng ký", "active": "Đăng ký lại",
                "dropped": "Đưa ra khỏi danh mục"}
# a unit's request to change the register (register/requests.py)
REQUEST_LABELS = {"modify": "Điều chỉnh", "drop": "Đưa ra khỏi danh mục", "add": "Bổ sung nhiệm vụ mới"}
# the office's confirmation of a registered task, as the review workbook and the consolidated workbook say it
CONFIRMATION_LABELS = {None: "Chờ ý kiến", "confirmed": "Đã xác nhận", "revise": "Đã đề nghị đơn vị sửa",
                       "refused": "Không đưa vào danh mục"}


def confirmation_label(confirmation, confirmed_version, version) -> str:
    """Where a registered task stands with the office: an opinion given on an earlier version of the task (the unit
    has changed it since) waits again."""
    current = confirmation and confirmed_version == version
    if confirmation == "revise" and not current:
        return "Đơn vị đã sửa, chờ ý kiến lại"
    return CONFIRMATION_LABELS.get(confirmation if current else None)


# whose titles name the register's fields, in this order: a progress report shows the register as units read it
# every round (its columns prefilled from the register); a registration is where a unit first writes a task
_ROLE_ORDER = ("progress", "registration")


def field_labels(forms: dict[str, Form]) -> dict[str, str]:
    """Each register field (store.TASK_FIELDS) -> its label: the title of the progress report's column prefilled
    with it, else of the registration's (or another form's) column of that name."""
    ordered = sorted(forms.values(), key=lambda f: (_ROLE_ORDER.index(f.role) if f.role in _ROLE_ORDER
                                                      else len(_ROLE_ORDER)))
    labels: dict[str, str] = {}
    for form in ordered:
        for sheet in form.sheets:
            for col in sheet.columns:
                name = col.prefill if form.role == "progress" else col.name
                if name in TASK_FIELDS:
                    labels.setdefault(name, col.title)
    return {f: labels.get(f, f) for f in TASK_FIELDS}


@lru_cache(maxsize=1)
def _shipped() -> dict[str, str]:
    return field_labels(load_forms())


def register_labels(forms: dict[str, Form] | None = None) -> dict[str, str]:
    """A change of the register (an event, or the field that changed) -> its label; the shipped forms' titles
    unless a session's forms are given."""
    return {**EVENT_LABELS, **(field_labels(forms) if forms is not None else _shipped())}


def request_field_labels(forms: dict[str, Form] | None = None) -> dict[str, str]:
    """The fields a unit may ask to change (register/requests.py) -> their labels."""
    labels = field_labels(forms) if forms is not None else _shipped()
    return {f: labels[f] for f in NEW_VALUES.values()}


def __getattr__(name: str):  # the shipped forms' labels under their former names, built on first use
    if name == "REGISTER_LABELS":
        return register_labels()
    if name == "REQUEST_FIELD_LABELS":
        return request_field_labels()
    raise AttributeError(name)


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


def change_label(a: dict, labels: dict[str, str] | None = None) -> str:
    """What a request asks ("Điều chỉnh thời hạn"); ``labels``: the session's field labels (`field_labels`)."""
    if a["change"] == "modify":
        return f"Điều chỉnh {(labels or _shipped()).get(a['field'], a['field']).lower()}"
    return REQUEST_LABELS.get(a["change"], a["change"])


def describe(a: dict, with_ref: bool = False, labels: dict[str, str] | None = None) -> str:
    """One request in words: "thời hạn từ 30/06/2026 thành 30/09/2026 (Công văn số …)"."""
    if a["change"] == "modify":
        label = (labels or _shipped()).get(a["field"], a["field"]).lower()
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


__all__ = ["EVENT_LABELS", "REQUEST_LABELS", "field_labels", "register_labels", "request_field_labels", "value_text",
           "change_label", "describe"]
