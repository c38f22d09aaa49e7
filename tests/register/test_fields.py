"""The register's fields and labels, declared once (register/fields.py): a request described in words, a register
value as office staff read it."""

from __future__ import annotations

from toolkit.definitions.forms import load_forms, shipped_dir
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


def test_a_field_is_labelled_by_the_title_of_the_form_column_that_shows_it(tmp_path):
    forms = load_forms()
    labels = fields.field_labels(forms)
    shown = {c.prefill: c.title for c in forms["progress"].main.columns if c.prefill}
    # as a progress report shows the register every round: "Mục tiêu", the word of "Điều chỉnh mục tiêu"
    assert {f: labels[f] for f in ("title", "indicator", "target", "deadline")} == {f: shown[f] for f in (
        "title", "indicator", "target", "deadline")} and labels["target"] == "Mục tiêu"
    # fields a progress report does not show: the registration's titles, else another form's
    assert (labels["baseline"], labels["leader_id"], labels["focal_point"]) == (
        "Giá trị hiện tại", "Mã lãnh đạo phụ trách", "Đầu mối theo dõi")
    assert fields.REGISTER_LABELS == fields.register_labels(forms) and fields.REGISTER_LABELS["dropped"] == \
        "Đưa ra khỏi danh mục"

    # an office that retitles the column in its own copy of the form renames the field wherever it is said
    own = tmp_path / "ws" / "forms"
    own.mkdir(parents=True)
    text = (shipped_dir() / "progress.yaml").read_text(encoding="utf-8")
    (own / "progress.yaml").write_text(text.replace("title: Mục tiêu,", "title: Chỉ tiêu phấn đấu,"), encoding="utf-8")
    mine = fields.request_field_labels(load_forms(tmp_path / "ws"))
    request = {"change": "modify", "field": "target", "old_value": "4", "new_value": "6", "decision": None}
    assert fields.change_label(request, mine) == "Điều chỉnh chỉ tiêu phấn đấu"
    assert fields.describe(request, labels=mine) == "đề nghị điều chỉnh chỉ tiêu phấn đấu từ 4 thành 6, chờ ý kiến"
