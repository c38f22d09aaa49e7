"""The toolkit's xlsxwriter worksheet (toolkit.sheets.Sheet): text from units written as the text it is, and the
data sheet's rows streamed as a block with the very XML xlsxwriter writes cell by cell."""

import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from conftest import make_return, task

from toolkit.intake.collect import collect
from toolkit.outputs.merge import merge
from toolkit.round import open_round
from toolkit.sheets import Formats, Workbook, _Serial, new_workbook

FIXED = {"created": datetime(2026, 1, 2, 3, 4, 5)}  # docProps/core.xml otherwise holds the time of writing

TEXTS = ["Mã đơn vị", "Kết nạp đảng viên mới", " khoảng trắng đầu", "khoảng trắng cuối ", "a & b < c > d \" e",
         "dòng 1\ndòng 2", "cột\tcột", "xuống dòng\r\nWindows", "_x0041_ giữ nguyên", "ký tự \ufffe lạ", "biểu tượng 😀",
         "Tỉnh ủy" * 3, "", "=SUM(A1:A2)", "  "]


def _columns(rows: int) -> list[list]:
    """Typed columns with gaps: an empty row every 97th, an always-empty column, numbers, dates and texts."""
    cols = [[TEXTS[(i * 7 + c) % len(TEXTS)] if i % 97 else None for i in range(rows)] for c in range(3)]
    cols.append([None] * rows)
    cols.append([i if i % 5 else (i * 0.1 + 0.2 if i % 3 else -1e20) for i in range(rows)])
    cols.append([_Serial(45000 + i % 400) if i % 11 else None for i in range(rows)])
    cols.append([float(i) / 3 if i % 13 else None for i in range(rows)])
    for col in cols:
        for i in range(0, rows, 97):
            col[i] = None
    cols[1][5] = "x" * 20000 + "😀" * 7000  # over Excel's 32,767 UTF-16 units: cut as xlsxwriter cuts
    return cols


def _write(path, stream: bool, columns: list[list]) -> None:
    """The same workbook twice: xlsxwriter's own worksheet cell by cell, or the toolkit's streamed block."""
    wb = Workbook(str(path), {"constant_memory": True}) if stream else \
        xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties(FIXED)
    f = Formats(wb)
    formats = {int: f.num, float: f.num, _Serial: f.date, str: f.text}
    ws = wb.add_worksheet("Dữ liệu")
    ws.set_row(0, 30)
    for c in range(len(columns)):
        ws.write_string(0, c, f"Cột {c}", f.head)
    if stream:
        ws.stream_columns(1, columns, formats)
    else:
        for i, row in enumerate(zip(*columns), start=1):
            for c, v in enumerate(row):
                if type(v) is str:
                    ws.write_string(i, c, v, f.text)
                elif v is not None:
                    ws.write_number(i, c, v, formats[type(v)])
    ws.autofilter(0, 0, len(columns[0]), len(columns) - 1)
    ws.freeze_panes(1, 0)
    wb.add_worksheet("Sau").write_string(0, 0, "trang sau")
    wb.close()


def test_streamed_columns_are_the_bytes_xlsxwriter_writes_cell_by_cell(tmp_path):
    columns = _columns(4500)  # over two blocks of 4,096 rows
    _write(tmp_path / "cells.xlsx", False, columns)
    _write(tmp_path / "stream.xlsx", True, columns)
    with zipfile.ZipFile(tmp_path / "cells.xlsx") as a, zipfile.ZipFile(tmp_path / "stream.xlsx") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
    ws = openpyxl.load_workbook(tmp_path / "stream.xlsx", read_only=True)["Dữ liệu"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Cột 0", "Cột 1", "Cột 2") and len(rows) == 4501
    assert rows[5][0] == TEXTS[28 % len(TEXTS)] == "=SUM(A1:A2)" and rows[2][4] == 1 and rows[2][5] == datetime(2023, 3, 16)  # serial 45001
    assert not any(rows[1]) and not any(rows[98]) and len(rows[6][1]) == 20000 + 6383


def test_a_streamed_sheet_has_its_dimensions_and_the_rows_written_after_it(tmp_path):
    wb = new_workbook(tmp_path / "a.xlsx", constant_memory=True)
    f = Formats(wb)
    ws = wb.add_worksheet("Dữ liệu")
    ws.write_string(0, 0, "Mã", f.head)
    ws.stream_columns(1, [[None, "B", None], [None, None, 3]], {str: f.text, int: f.num})
    ws.write_string(5, 0, "sau khối", f.text)  # xlsxwriter goes on below the block
    wb.close()
    sheet = zipfile.ZipFile(tmp_path / "a.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:B6"/>' in sheet
    got = list(openpyxl.load_workbook(tmp_path / "a.xlsx")["Dữ liệu"].values)
    assert got == [("Mã", None), (None, None), ("B", None), (None, 3), (None, None), ("sau khối", None)]


def test_a_block_on_a_sheet_it_cannot_stream_is_written_cell_by_cell_and_the_rows_it_wrote_are_closed(tmp_path):
    """A row with a height of its own among the block's rows: xlsxwriter writes it, row by row (column by column
    it would drop all but the last row of every column but the first). After a streamed block, its rows are
    closed: a write there is refused, as xlsxwriter refuses a write to a row already written."""
    wb = new_workbook(tmp_path / "a.xlsx", constant_memory=True)
    f = Formats(wb)
    formats = {str: f.text, int: f.num}
    odd = wb.add_worksheet("Cao")
    odd.set_row(2, 30)
    odd.stream_columns(1, [["a", "b", "c"], [1, 2, 3]], formats)
    plain = wb.add_worksheet("Thường")
    plain.stream_columns(0, [["a", "b", "c"], [1, 2, 3]], formats)
    assert plain.write_string(2, 1, "muộn", f.text) == -1 and plain.write_string(3, 0, "tiếp", f.text) == 0
    wb.close()
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert list(book["Cao"].values) == [(None, None), ("a", 1), ("b", 2), ("c", 3)]
    assert list(book["Thường"].values) == [("a", 1), ("b", 2), ("c", 3), ("tiếp", None)]
    with pytest.raises(ValueError):
        plain.stream_columns(10, [["a"], []], formats)


RICH_LOOKING = ["<r>a & b</r>", "<r><t>x</t></r>", "<r>" + "đ" * 33000 + "</r>", "<r></r>",
                "<r>a & b" + "x" * (32767 - 12) + "</r>tail", "<r>" + "&" * 7000 + "</r>"]


@pytest.mark.parametrize("mode", ["shared", "inline", "streamed"])
def test_text_that_looks_like_rich_text_is_written_as_the_text_it_is(tmp_path, mode):
    """xlsxwriter writes a string starting "<r>" and ending "</r>" raw into the XML as rich text: a unit typing
    that made the whole workbook unreadable."""
    path = tmp_path / f"{mode}.xlsx"
    wb = new_workbook(path, constant_memory=mode != "shared")
    f = Formats(wb)
    ws = wb.add_worksheet("Dữ liệu")
    if mode == "streamed":
        ws.stream_columns(0, [RICH_LOOKING], {str: f.text})
    else:
        for r, text in enumerate(RICH_LOOKING):
            ws.write_string(r, 0, text, f.text)
    wb.close()
    want = [t[:32767] for t in RICH_LOOKING]  # cut to what a cell holds, as any text is, then written as it is
    assert want[4].endswith("</r>") and not want[2].endswith("</r>") and want[5] == RICH_LOOKING[5]
    got = [r[0] for r in openpyxl.load_workbook(path, read_only=True)["Dữ liệu"].iter_rows(values_only=True)]
    assert got == want
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Dữ liệu").to_python()
    assert [r[0] for r in calamine] == want


@pytest.mark.parametrize("stream_rows", [30_000, 0], ids=["in-memory", "streamed"])
def test_a_title_that_looks_like_rich_text_reaches_the_consolidated_workbook(ctx, monkeypatch, stream_rows):
    import toolkit.outputs.merge as merge_module

    monkeypatch.setattr(merge_module, "STREAM_ROWS", stream_rows)  # a small round, written as a large one is
    title = "<r>Số hoá & chuyển đổi số 100% hồ sơ</r>"
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", title=title), task("XLS-02")])
    collect(open_round(ctx.ws, "2025"))
    m = merge(open_round(ctx.ws, "2025"))
    wb = openpyxl.load_workbook(m.path, read_only=True)
    rows = list(wb["Dữ liệu"].iter_rows(values_only=True))
    head = rows[0]
    titles = [r[head.index("Tên nhiệm vụ")] for r in rows[1:]] if "Tên nhiệm vụ" in head else \
        [v for r in rows[1:] for v in r if isinstance(v, str) and v.startswith("<r>")]
    assert title in titles
    dates = [r[head.index(h)] for r in rows[1:] for h in head if h and "hạn" in h.lower()]
    assert date(2025, 12, 15) in [d.date() if isinstance(d, datetime) else d for d in dates]


@pytest.mark.parametrize("stream_rows", [30_000, 0], ids=["in-memory", "streamed"])
def test_an_empty_text_is_an_empty_cell_in_the_consolidated_workbook(ctx, monkeypatch, stream_rows):
    """A note the round does not have (no adjustment agreed, none pending): no cell, not a cell holding an empty text,
    which Excel's COUNTA counts and ISBLANK does not take for blank."""
    import re
    import zipfile

    import toolkit.outputs.merge as merge_module

    monkeypatch.setattr(merge_module, "STREAM_ROWS", stream_rows)  # a small round, written as a large one is
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02")])
    collect(open_round(ctx.ws, "2025"))
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100,
                                                     "completed_on": date(2025, 3, 20)}], received=date(2025, 7, 5))
    collect(open_round(ctx.ws, "2025-H1"))
    path = merge(open_round(ctx.ws, "2025-H1")).path
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    with zipfile.ZipFile(path) as z:
        sheet = z.read(f"xl/worksheets/sheet{names.index('Dữ liệu') + 1}.xml").decode("utf-8")
        shared = z.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in z.namelist() else ""
    empty = {i for i, s in enumerate(re.findall(r"<si>(.*?)</si>", shared, re.S)) if s in ("<t/>", "<t></t>")}
    shared_cells = [int(v) for v in re.findall(r'<c [^>]*t="s"[^>]*><v>(\d+)</v>', sheet)]
    assert len(shared_cells) + sheet.count("<is>") > 20  # (the sheet's texts, one way or the other)
    assert not [v for v in shared_cells if v in empty] and not re.findall(r"<is><t(?: [^>]*)?(?:/>|></t>)", sheet)

