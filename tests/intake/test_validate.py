"""intake/validate.py on real returns built with the template builder: which form, unit and period a file is (its
hidden metadata, else its cells and name), its rows typed with their Excel coordinates, and what stops a file."""

from __future__ import annotations

from datetime import date

import openpyxl
from conftest import make_return, task

from toolkit.intake.checks import Lookups
from toolkit.intake.validate import parse_workbook, validate
from toolkit.periods import parse_period
from toolkit.read import META_SHEET, open_workbook


def _parsed(ctx, path, **kw):
    return parse_workbook(open_workbook(path), ctx, **kw)


def test_a_return_is_identified_by_its_metadata_and_its_rows_are_typed_with_their_cells(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", target="12", deadline=date(2025, 9, 30))])
    sub = _parsed(ctx, path)
    assert (sub.form.id, sub.unit.code, sub.period.code, sub.identified_by) == ("registration", "XLS", "2025",
                                                                                 "metadata")
    [row] = sub.sheets["tasks"].rows
    assert (row.excel_row, row.values["target"], row.values["deadline"]) == (7, 12, date(2025, 9, 30))
    assert sub.sheets["tasks"].cell(row, "deadline") == "M7" and sub.issues == []


def test_without_its_metadata_a_return_is_known_by_its_sheets_cells_and_name_and_says_so(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    wb = openpyxl.load_workbook(path)
    del wb[META_SHEET]
    wb.save(path)
    sub = _parsed(ctx, path, period=parse_period("2025"))
    assert (sub.form.id, sub.unit.code, sub.period.code) == ("registration", "XLS", "2025")
    assert [i.code for i in sub.issues] == ["metadata-missing"] and "tên trang và tiêu đề cột" in sub.identified_by


def test_what_stops_a_file_before_its_rows_are_read(ctx, tmp_path):
    progress = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    assert [i.code for i in _parsed(ctx, progress, form_id="progress").issues] == ["form-mismatch"]
    assert [i.code for i in _parsed(ctx, progress, period=parse_period("2025-H1")).issues] == ["form-period-mismatch"]
    other = tmp_path / "bang_luong.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Họ tên", "Lương"])
    wb.save(other)
    sub = _parsed(ctx, other)
    assert [i.code for i in sub.issues] == ["form-unidentified"] and sub.form is None and sub.sheets == {}


def test_validate_runs_the_form_rules_on_the_parsed_rows(ctx):
    rows = [task("XLS-01", deadline=date(2026, 3, 31)), task("XLS-01", title="Một việc khác hẳn, có chỉ tiêu rõ"),
            task("XLS-03", indicator=None, target=None, title="Tăng cường công tác lãnh đạo, chỉ đạo")]
    sub = _parsed(ctx, make_return(ctx, "registration", "XLS", "2025", rows))
    validate(sub, ctx, part="local")  # the rules a parsing worker runs: the file alone
    local = sorted((i.code, i.cell) for i in sub.issues)
    validate(sub, ctx, Lookups(), part="global")  # then those comparing with the round (nothing collected yet)
    found = sorted((i.code, i.cell) for i in sub.issues)
    assert ("outside-period", "M7") in found and ("duplicate-key", "A8") in found
    assert any(code == "qualitative-task" and cell.endswith("9") for code, cell in found) and found == local
