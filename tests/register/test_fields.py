"""The register's fields and labels, declared once (register/fields.py): a request described in words, a register
value as office staff read it."""

from __future__ import annotations

from toolkit.register import fields, requests
from toolkit.store import TASK_FIELDS


def test_a_request_in_words():
    extend = {"change": "modify", "field": "deadline", "old_value": "2026-06-30", "new_value": "2026-09-30",
              "decision": None, "decision_ref": None}
    assert fields.describe(extend) == "đề nghị điều chỉnh thời hạn từ 30/06/2026 thành 30/09/2026, chờ ý kiến"
    approved = extend | {"decision": "approved", "decision_ref": "Công văn số 125-CV/TU"}
    assert fields.describe(approved, with_ref=True) == "thời hạn từ 30/06/2026 thành 30/09/2026 (Công văn số 125-CV/TU)"
    assert fields.change_label(extend) == "Điều chỉnh thời hạn" and fields.change_label({"change": "drop"}) == \
        "Đưa ra khỏi danh mục"
    assert fields.value_text("target", 1234.5) == "1.234,5" and fields.value_text("title", None) == ""


def test_every_register_field_has_a_label_and_requests_change_only_register_fields():
    assert set(TASK_FIELDS) <= set(fields.REGISTER_LABELS)
    assert set(requests.NEW_VALUES.values()) == set(fields.REQUEST_FIELD_LABELS) <= set(TASK_FIELDS)
