"""Issue 6: the generated .xlsm (VBA project, buttons, conf sheet) and every panel action through a fake book."""

import importlib.util
import re
import sys
import zipfile
from datetime import date

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from conftest import make_return, task
from toolkit import excel_panel
from toolkit.panel import ACTIONS, CELLS, CONTROL_SHEET, build_panel, xlwings_vba


class FakeRange:
    def __init__(self, ws, addr):
        self.ws, self.addr = ws, addr

    @property
    def value(self):
        c0, r0, c1, r1 = range_boundaries(self.addr if ":" in self.addr else f"{self.addr}:{self.addr}")
        rows = [[self.ws.cell(row=r, column=c).value for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
        return rows[0][0] if ":" not in self.addr else rows

    @value.setter
    def value(self, data):
        c0, r0, _, _ = range_boundaries(f"{self.addr}:{self.addr}")
        if not isinstance(data, list):
            data = [[data]]
        for i, row in enumerate(data):
            for j, v in enumerate(row if isinstance(row, list) else [row]):
                self.ws.cell(row=r0 + i, column=c0 + j, value=v)


class FakeSheet:
    def __init__(self, ws):
        self.ws = ws

    def range(self, addr):
        return FakeRange(self.ws, addr)

    def clear_contents(self):
        for row in self.ws.iter_rows():
            for cell in row:
                cell.value = None


class FakeApp:
    def __init__(self, caller=None):
        self.alerts = []
        self.api = type("Api", (), {"Caller": caller})()

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append(prompt)


class FakeBook:
    """The part of xlwings' Book the panel uses, over the real generated workbook (read with openpyxl)."""

    def __init__(self, path, caller=None):
        self.wb = openpyxl.load_workbook(path, keep_vba=True)
        self.app = FakeApp(caller)

    @property
    def sheets(self):
        return {ws.title: FakeSheet(ws) for ws in self.wb.worksheets}


@pytest.fixture
def panel(ws):
    return build_panel(ws)


def test_panel_workbook_has_vba_buttons_and_conf(panel, ws):
    with zipfile.ZipFile(panel) as zf:
        names = zf.namelist()
        assert zf.read("xl/vbaProject.bin") == xlwings_vba()
        vml = "".join(zf.read(n).decode("utf-8") for n in names if n.endswith(".vml"))
        content_types = zf.read("[Content_Types].xml").decode()
    assert "macroEnabled" in content_types
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert macros == ["SampleCall"] * (len(ACTIONS) + 1)
    captions = re.findall(r"<font[^>]*>([^<]+)</font>", vml)
    assert [a[1] for a in ACTIONS] == [c for c in captions if c in dict(ACTIONS).values()]
    if importlib.util.find_spec("oletools"):
        from oletools.olevba import VBA_Parser

        code = "".join(c for _, _, _, c in VBA_Parser(str(panel)).extract_macros())
        assert "Sub SampleCall()" in code and "Function RunPython" in code
    wb = openpyxl.load_workbook(panel, keep_vba=True)
    conf = {r[0].value: r[1].value for r in wb["xlwings.conf"].iter_rows()}
    assert conf["Interpreter_Win"] == sys.executable and conf["PYTHONPATH"] == str(panel.parent.resolve())
    assert wb[CONTROL_SHEET][CELLS["workspace"]].value == str(ws.root.resolve())
    shim = panel.with_suffix(".py")
    assert "from toolkit.excel_panel import main" in shim.read_text()
    assert "BSD" in (panel.parent / "xlwings-LICENSE.txt").read_text() or "Redistribution" in \
        (panel.parent / "xlwings-LICENSE.txt").read_text()


def _choose(book, action_label, period="2025", form="registration"):
    sh = book.sheets[CONTROL_SHEET]
    sh.range(CELLS["action"]).value = action_label
    sh.range(CELLS["period"]).value = period
    sh.range(CELLS["form"]).value = form


def test_every_action_writes_its_results(panel, ws, ctx, monkeypatch):
    opened = []
    monkeypatch.setattr(excel_panel, "open_folder", lambda folder: opened.append(folder))
    book = FakeBook(panel)
    _choose(book, "Tạo biểu mẫu")
    book.sheets[CONTROL_SHEET].range(CELLS["deadline"]).value = date(2025, 2, 15)
    assert "19 biểu mẫu" in excel_panel.run(book)
    assert ws.deadline(__import__("toolkit.periods", fromlist=["x"]).parse_period("2025")) == date(2025, 1, 31)
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")])
    _choose(book, "Tiếp nhận và kiểm tra")
    excel_panel.run(book)
    results = book.sheets["Kết quả tiếp nhận"].range("A1:H3").value
    assert results[0][:4] == ["Tệp", "Mã đơn vị", "Đơn vị", "Kết quả"]
    assert sorted((r[1], r[3]) for r in results[1:]) == [("XCP", "Không tiếp nhận"), ("XLS", "Tiếp nhận")]
    _choose(book, "Tình hình nộp")
    excel_panel.run(book)
    assert book.sheets["Chưa nộp"].range("A2").value == "BTC"
    for label in ("Tổng hợp", "Xuất văn bản", "Mở thư mục kết quả"):
        _choose(book, label)
        excel_panel.run(book)
    assert opened and opened[0].name == "output"
    log = [r for r in book.sheets["Nhật ký"].range("A1:D10").value if r[0]]
    assert log[0] == ["Thời điểm", "Việc", "Kết quả", "Chi tiết"]
    assert [r[1] for r in log[1:]] == ["Tạo biểu mẫu", "Tiếp nhận và kiểm tra", "Tình hình nộp", "Tổng hợp",
                                       "Xuất văn bản", "Mở thư mục kết quả"]
    assert all(r[2] == "Xong" for r in log[1:]) and book.app.alerts == []


def test_score_action_and_button_caller(panel, ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    excel_panel.run(FakeBook(panel, caller="Button 1"))  # ▶ Chạy: the action cell decides
    from toolkit.collect import collect

    collect(ctx.ws, "2025")
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100}],
                received=date(2025, 7, 1))
    book = FakeBook(panel, caller="Button 3")  # "Tiếp nhận và kiểm tra" (Button 1 is ▶ Chạy)
    _choose(book, "Tạo biểu mẫu", period="2025-H1", form="progress")
    excel_panel.run(book)
    assert book.sheets["Kết quả tiếp nhận"].range("B2").value == "XLS"
    book.app.api.Caller = "Button 6"  # "Chấm điểm, xếp loại"
    excel_panel.run(book)
    assert book.sheets["Xếp loại"].range("A1:E2").value[1][1:3] == ["XLS", "Đảng ủy xã Lương Sơn"]


def test_failures_become_vietnamese_alerts_not_tracebacks(panel, tmp_path):
    book = FakeBook(panel)
    _choose(book, "Tiếp nhận và kiểm tra", period="2025-Q9")
    line = excel_panel.run(book)
    assert "Lỗi" in line and "Kỳ báo cáo '2025-Q9' không hợp lệ" in book.app.alerts[-1]
    book.sheets[CONTROL_SHEET].range(CELLS["workspace"]).value = str(tmp_path / "khong_co")
    _choose(book, "Tổng hợp")
    excel_panel.run(book)
    assert "Không tìm thấy thư mục làm việc" in book.app.alerts[-1] and "OneDrive" in book.app.alerts[-1]
    book.sheets[CONTROL_SHEET].range(CELLS["action"]).value = "???"
    excel_panel.run(book)
    assert "Chưa chọn việc cần làm" in book.app.alerts[-1]
    assert all("Traceback" not in a for a in book.app.alerts)
