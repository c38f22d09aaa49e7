"""The rules of a progress sheet read what a status means, not how it is spelled: an office that renames its
statuses in lists.yaml (keeping their meanings) gets the same checks."""

from __future__ import annotations

from pathlib import Path

import yaml

from toolkit import resources
from toolkit.definitions.forms import load_forms
from toolkit.intake import checks
from toolkit.intake.checks import Lookups
from toolkit.intake.submission import ParsedRow, ParsedSheet, Submission

RENAMED = [{"value": "Chưa bắt đầu", "meaning": "not_started"}, {"value": "Đúng tiến độ", "meaning": "on_schedule"},
           {"value": "Chậm", "meaning": "behind"}, {"value": "Đã xong", "meaning": "done"},
           {"value": "Vượt", "meaning": "done_beyond"}, {"value": "Không xong", "meaning": "not_done"},
           {"value": "Xin điều chỉnh", "meaning": "adjust"}]


def _progress_form(tmp_path: Path | None = None):
    if tmp_path is not None:
        lists = yaml.safe_load((resources() / "forms" / "lists.yaml").read_text(encoding="utf-8"))
        lists["statuses"] = RENAMED
        (tmp_path / "forms").mkdir()
        (tmp_path / "forms" / "lists.yaml").write_text(yaml.safe_dump(lists, allow_unicode=True), encoding="utf-8")
    return load_forms(tmp_path)["progress"]


def _issues(form, rule_id: str, rows: list[dict]) -> list:
    spec = form.main
    columns = {c.name: i for i, c in enumerate(spec.columns, 1)}
    ps = ParsedSheet(spec=spec, name=spec.name, columns=columns, header_row=6,
                     rows=[ParsedRow(excel_row=7 + i, values=v, cells={}, raw={}) for i, v in enumerate(rows)])
    sub = Submission(path=Path("x.xlsx"), file_name="x.xlsx", form=form, sheets={spec.id: ps})
    [(_, rule)] = list(form.rules(rule_id))
    return list(checks.RULES[rule_id](sub, ps, rule, None, Lookups()))


def _findings(form, rule_id: str, rows: list[dict]) -> list[tuple[str, str]]:
    return [(i.code, i.cell) for i in _issues(form, rule_id, rows)]


def test_status_and_percent_are_checked_by_meaning_shipped_and_renamed(tmp_path):
    shipped, renamed = _progress_form(), _progress_form(tmp_path)
    rows = lambda done, adjust, behind: [  # noqa: E731
        {"task_code": "A", "status": done, "percent": 60}, {"task_code": "B", "status": adjust, "percent": 100},
        {"task_code": "C", "status": behind, "percent": 100}]
    expected = [("status-percent", "G7"), ("status-percent", "F9")]
    assert _findings(shipped, "status-percent", rows("Hoàn thành", "Đề nghị điều chỉnh", "Chậm tiến độ")) == expected
    assert _findings(renamed, "status-percent", rows("Đã xong", "Xin điều chỉnh", "Chậm")) == expected
    # what to choose is said in the office's own words, not the shipped ones it renamed
    hints = {i.hint for i in _issues(renamed, "status-percent", rows("Đã xong", "Xin điều chỉnh", "Chậm"))}
    assert hints == {"Tình trạng 'Đã xong' phải đi với 100%; đạt 100% thì chọn 'Đã xong' hoặc 'Vượt'."}
    hints = {i.hint for i in _issues(shipped, "status-percent", rows("Hoàn thành", "Đề nghị điều chỉnh", "Chậm tiến độ"))}
    assert hints == {"Tình trạng 'Hoàn thành' phải đi với 100%; đạt 100% thì chọn 'Hoàn thành' hoặc "
                     "'Hoàn thành vượt mức'."}


def test_a_task_marked_for_adjustment_needs_a_request_whatever_the_word(tmp_path):
    renamed = _progress_form(tmp_path)
    assert _findings(renamed, "adjust-request", [{"task_code": "A", "status": "Xin điều chỉnh"},
                                                 {"task_code": "B", "status": "Chậm"}]) == [("adjust-no-request", "F7")]
