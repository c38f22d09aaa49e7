"""The annotated copy keeps the unit's workbook, marks and comments cells, and survives hostile text."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import make_return, task

from toolkit.intake.collect import FeedbackJob, collect
from toolkit.intake.feedback import SHEET, annotate_package, write_feedback
from toolkit.intake.xlsxpackage import Unsupported
from toolkit.issues import make_issue
from toolkit.round import open_round


def _with_formula(path: Path) -> None:
    """Give K7 (target 50) a formula, as Excel would save it (formula and cached value)."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/") and b'r="K7"' in parts[n])
    parts[sheet] = re.sub(rb'(<c r="K7"[^>]*>)(<v>50</v>)', rb"\1<f>25*2</f>\2", parts[sheet])
    assert b"<f>25*2</f>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def _values(path) -> dict:
    wb = openpyxl.load_workbook(path, data_only=True)  # a formula's cached value
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for r in ws.iter_rows() for c in r
            if c.value is not None and ws.title != SHEET}


def test_feedback_keeps_the_unit_workbook_and_marks_its_cells(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", area="Sai"), task("XLS-02", weight=-1)])
    _with_formula(path)
    original = openpyxl.load_workbook(path)
    f = collect(open_round(ctx.ws, "2025")).files[0]
    fb = Path(f.feedback)
    wb = openpyxl.load_workbook(fb)
    assert wb.sheetnames == [SHEET] + original.sheetnames and wb.active.title == SHEET
    assert _values(fb) == _values(path)  # every value of the unit, the formula's as its cached value
    assert wb["_meta"].sheet_state == original["_meta"].sheet_state == "veryHidden"
    tasks = wb["Nhiệm vụ"]
    assert tasks["B7"].fill.fgColor.rgb.endswith("FFC7CE") and "không có trong danh sách" in tasks["B7"].comment.text
    assert tasks["B7"].font.name == original["Nhiệm vụ"]["B7"].font.name  # the unit's format, plus the fill
    assert tasks["N8"].fill.fgColor.rgb.endswith("FFC7CE")
    assert tasks["A6"].comment.text == original["Nhiệm vụ"]["A6"].comment.text  # the template's help stays
    summary = [[c.value for c in r] for r in wb[SHEET].iter_rows(min_row=5)]
    assert len(summary) == len(f.issues) and [r[:4] for r in summary if r[3]] == [
        [1, "Lỗi", "Nhiệm vụ", "B7"], [2, "Lỗi", "Nhiệm vụ", "N8"]]
    links = {r[3].value: r[3].hyperlink.location for r in wb[SHEET].iter_rows(min_row=5) if r[3].hyperlink}
    assert links == {"B7": "'Nhiệm vụ'!B7", "N8": "'Nhiệm vụ'!N8"}
    with zipfile.ZipFile(fb) as out, zipfile.ZipFile(path) as src:
        assert not any(b"<f>" in out.read(n) for n in out.namelist() if n.startswith("xl/worksheets/"))
        same = [n for n in src.namelist() if out.read(n) == src.read(n)]  # untouched parts: byte for byte
        assert {"xl/theme/theme1.xml", "docProps/core.xml", "xl/worksheets/sheet1.xml"} <= set(same)
    assert sum(1 for ws in wb.worksheets if ws.sheet_view.tabSelected) == 1


def test_feedback_text_is_stripped_of_characters_xml_forbids(ctx, tmp_path):
    """A NUL or other control character in a unit's value must not crash the writer (it did, in openpyxl)."""
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    bad = "Sai\x00lĩnh\x1f vực\ufffe"
    issues = [make_issue("choice-error", file=path.name, sheet="Nhiệm vụ", cell="B7", row=7, value=bad,
                         title="Lĩnh vực\x0b"),
              make_issue("duplicate-submission", file=path.name, other="tệp\x01 cũ.xlsx")]
    job = FeedbackJob(path, path.name + "\x00", "xlsx", "Đảng ủy\x02 xã", issues)
    first = write_feedback(job, path, tmp_path / "a")  # the package editor
    again = write_feedback(job, first, tmp_path / "b")  # a copy sent back: openpyxl's load and save
    for out in (first, again):
        wb = openpyxl.load_workbook(out)
        comment = wb["Nhiệm vụ"]["B7"].comment.text
        assert "Sailĩnh vực" in comment and "\x00" not in comment
        assert wb[SHEET]["A1"].value.startswith("Tệp: " + path.name) and "Đảng ủy xã" in wb[SHEET]["A1"].value
        assert wb.sheetnames.count(SHEET) == 1


def test_package_editor_hands_over_what_it_does_not_handle(ctx, tmp_path):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", area="Sai")])
    job = FeedbackJob(path, path.name, "xlsx", "", [make_issue("choice-error", sheet="Nhiệm vụ", cell="B7",
                                                               value="Sai", title="Lĩnh vực")])
    sent_back = write_feedback(job, path, tmp_path)
    with pytest.raises(Unsupported):  # a feedback sheet already there: openpyxl replaces it (tested above)
        annotate_package(job, sent_back)


def test_a_copy_made_from_values_is_read_within_the_office_s_limits(tmp_path):
    """A return openpyxl cannot edit in place (an .xls, an .ods) is copied from its values, read again with the
    limits collect read it with: when the office allows 8,000 rows, the copy of a 6,000-row return has them all (it
    was cut at the default 5,060 rows)."""
    import xlsxwriter

    from toolkit.read import Limits

    source = tmp_path / "XLS_dang_ky.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("Đăng ký")
    for r in range(6000):
        sheet.write_row(r, 0, [f"XLS-{r:04d}", f"Nhiệm vụ {r}"])
    book.close()
    issue = make_issue("missing-value", sheet="Đăng ký", cell="B2", row=2, title="Tên nhiệm vụ")
    for limits, rows in ((Limits(max_rows=8000), 6000), (None, 5060)):
        job = FeedbackJob(source, source.name, "xls", "Đảng ủy xã Lũng Sơn", [issue], limits=limits)
        copy = write_feedback(job, source, tmp_path / f"out{rows}")
        ws = openpyxl.load_workbook(copy)["Đăng ký"]
        assert ws.max_row == rows and ws.cell(row=rows, column=1).value == f"XLS-{rows - 1:04d}"
