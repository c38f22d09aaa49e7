"""The status vocabulary: every status of lists.yaml carries a meaning, and judging reads the meaning."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from toolkit import resources
from toolkit.definitions.forms import check_forms, load_forms
from toolkit.definitions.judge import judge
from toolkit.definitions.vocabulary import COMPLETED, STATUS_MEANINGS, shipped_lists, status_word
from toolkit.errors import FormDefinitionError


def test_every_shipped_status_has_a_meaning_of_the_vocabulary():
    statuses = shipped_lists()["statuses"]
    assert [m for _, m in statuses] == list(STATUS_MEANINGS)
    assert {w for w, m in statuses if m in COMPLETED} == {"Hoàn thành", "Hoàn thành vượt mức"}
    assert status_word("adjust") == "Đề nghị điều chỉnh"


def test_the_status_column_knows_what_each_word_means():
    status = load_forms()["progress"].main.column("status")
    assert status.meaning("Chậm tiến độ") == "behind" and status.meaning("Hoàn thành vượt mức") == "done_beyond"
    assert status.meaning("không có") is None and status.meaning(None) is None


def _workspace_lists(tmp_path, statuses) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    lists = yaml.safe_load((resources() / "forms" / "lists.yaml").read_text(encoding="utf-8"))
    lists["statuses"] = statuses
    (forms / "lists.yaml").write_text(yaml.safe_dump(lists, allow_unicode=True), encoding="utf-8")


def test_a_workspace_list_without_meanings_takes_the_shipped_ones(tmp_path):
    _workspace_lists(tmp_path, ["Chưa triển khai", "Chậm tiến độ", "HOÀN THÀNH", "Không hoàn thành"])
    status = load_forms(tmp_path)["progress"].main.column("status")
    assert status.choices == ("Chưa triển khai", "Chậm tiến độ", "HOÀN THÀNH", "Không hoàn thành")
    assert status.meaning("HOÀN THÀNH") == "done"  # matched by folded spelling


def test_a_renamed_status_is_judged_by_its_meaning(tmp_path):
    _workspace_lists(tmp_path, [{"value": "Đã xong", "meaning": "done"}, {"value": "Chưa làm", "meaning": "not_started"}])
    status = load_forms(tmp_path)["progress"].main.column("status")
    verdict = judge(status.meaning("Đã xong"), date(2025, 6, 30), date(2025, 5, 2), date(2025, 6, 30))
    assert (verdict.state, verdict.on_track) == ("done_on_time", True)


def test_an_unknown_meaning_is_refused_by_forms_check(tmp_path):
    _workspace_lists(tmp_path, [{"value": "Xong", "meaning": "finished"}])
    problems = check_forms(tmp_path)
    assert len(problems) == 1 and "'Xong'" in problems[0] and "finished" in problems[0]
    with pytest.raises(FormDefinitionError):
        load_forms(tmp_path)


def test_not_done_stays_not_done_past_its_deadline():
    """A unit's own "Không hoàn thành" on a task past its deadline (every task, at the year end) is shown as that,
    not as merely overdue (the summary's "Không hoàn thành" column stayed 0 at every year end); it counts as failed
    as an overdue task does. Any other unfinished status past the deadline, a pending request included, is overdue."""
    year_end, due = date(2026, 12, 31), date(2026, 6, 30)
    before, after = judge("not_done", date(2027, 3, 31), None, year_end), judge("not_done", due, None, year_end)
    assert before.state == after.state == "not_done"
    assert (after.judged, after.on_track, after.late) == (True, False, True)
    overdue = [judge(m, due, None, year_end) for m in ("behind", "on_schedule", "adjust", "not_started")]
    assert {v.state for v in overdue} == {"overdue"}
    assert {(v.judged, v.on_track, v.late) for v in overdue} == {(after.judged, after.on_track, after.late)}
