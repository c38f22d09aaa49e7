"""Issue 6: the generated .xlsm (VBA project, buttons, conf sheet) and every panel action through a fake book."""

import os
import re
import types
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from conftest import make_return, task
from openpyxl.utils import range_boundaries

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
                self.ws.cell(row=r0 + i, column=c0 + j).value = v  # cell(value=None) would keep the old value


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
        self.path = path
        self.wb = openpyxl.load_workbook(path, keep_vba=True)
        self.app = FakeApp(caller)

    def save(self):
        self.wb.save(self.path)

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
    from oletools.olevba import VBA_Parser  # in the test extra

    code = "".join(c for _, _, _, c in VBA_Parser(str(panel)).extract_macros())
    assert "Sub SampleCall()" in code and "Function RunPython" in code
    wb = openpyxl.load_workbook(panel, keep_vba=True)
    conf = {r[0].value: r[1].value for r in wb["xlwings.conf"].iter_rows()}
    # no path of the machine that built it: the launcher beside the panel, found by Excel (test_panel_launcher.py)
    assert conf["Interpreter_Win"].endswith('&"BangDieuKhien_python.cmd"') and "PYTHONPATH" not in conf
    assert wb[CONTROL_SHEET][CELLS["workspace"]].value == str(ws.root.resolve())
    # the ▶ Chạy dropdown as Excel reads it (a list split at its commas): one item per action, each one a button runs
    lists = {str(dv.sqref): dv.formula1 for dv in wb[CONTROL_SHEET].data_validations.dataValidation}
    assert lists[CELLS["action"]].strip('"').split(",") == [a[1] for a in ACTIONS]
    shim = panel.with_suffix(".py")
    assert "from toolkit.excel_panel import main" in shim.read_text(encoding="utf-8")
    from importlib.metadata import distribution

    [licence] = [f for f in distribution("xlwings").files if f.name == "LICENSE.txt"]  # BSD, not LICENSE_PRO
    assert (panel.parent / "xlwings-LICENSE.txt").read_text(encoding="utf-8") == licence.read_text(encoding="utf-8")


def _choose(book, action_label, period="2025", form="registration"):
    sh = book.sheets[CONTROL_SHEET]
    sh.range(CELLS["action"]).value = action_label
    sh.range(CELLS["period"]).value = period
    sh.range(CELLS["form"]).value = form


def _press(book, button: int) -> str:
    """Click a button of the panel (Button 1 is ▶ Chạy, then one per action in ACTIONS order), then save the
    panel as the clerk does; returns the log line."""
    book.app.api.Caller = f"Button {button}"
    line = excel_panel.run(book)
    book.save()
    return line


def _saved(panel, sheet) -> list[tuple]:
    """A result sheet of the panel as saved on disk."""
    wb = openpyxl.load_workbook(panel, keep_vba=True)
    return [r for r in wb[sheet].iter_rows(values_only=True) if any(v is not None for v in r)]


def _data_rows(path, sheet="Dữ liệu") -> list[dict]:
    ws_ = openpyxl.load_workbook(path)[sheet]
    head = [c.value for c in ws_[1]]
    return [dict(zip(head, (c.value for c in r))) for r in ws_.iter_rows(min_row=2) if r[0].value]


def test_the_deadline_typed_in_the_panel_is_saved_and_reaches_the_templates(panel, ws):
    book = FakeBook(panel)
    _choose(book, "Tình hình nộp")  # the button decides, not the action cell
    book.sheets[CONTROL_SHEET].range(CELLS["deadline"]).value = date(2025, 2, 15)
    assert "19 biểu mẫu" in _press(book, 2)
    from toolkit.periods import parse_period
    from toolkit.workspace.config import Workspace

    assert Workspace.open(ws.root).deadline(parse_period("2025")) == date(2025, 2, 15)  # reread from disk
    template = openpyxl.load_workbook(ws.root / "rounds/2025/outbox/XLS_dang_ky_2025.xlsx")
    meta = {r[0]: r[1] for r in template["_meta"].iter_rows(values_only=True)}
    assert meta["deadline"] == "2025-02-15" and template["Nhiệm vụ"]["B5"].value == "15/02/2025"
    assert len(list((ws.root / "rounds/2025/outbox").iterdir())) == 19
    assert _saved(panel, "Nhật ký")[1][1:3] == ("Tạo biểu mẫu", "Xong")


def test_every_button_changes_the_workspace_and_the_saved_panel(panel, ws, ctx, monkeypatch):
    launched = []
    # Linux has no Explorer: the folder is handed to xdg-open, recorded here instead of opening a window
    monkeypatch.setattr(excel_panel, "subprocess", types.SimpleNamespace(Popen=launched.append))
    book = FakeBook(panel)
    _choose(book, "Tình hình nộp")
    _press(book, 2)  # Tạo biểu mẫu
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")])
    _press(book, 3)  # Tiếp nhận và kiểm tra
    out = ws.root / "rounds/2025/output"
    assert [(r[0], r[1], r[3], r[4], r[7]) for r in _saved(panel, "Kết quả tiếp nhận")] == [
        ("Tệp", "Mã đơn vị", "Kết quả", "Lỗi", "Tệp phản hồi"),
        ("XCP_registration.xlsx", "XCP", "Không tiếp nhận", 1, "XCP_registration_phan_hoi.xlsx"),
        ("XLS_registration.xlsx", "XLS", "Tiếp nhận", 0, None)]
    assert (ws.root / "rounds/2025/feedback/XCP_registration_phan_hoi.xlsx").is_file()
    issues = openpyxl.load_workbook(out / "ket_qua_tiep_nhan_2025.xlsx")["Lỗi"]
    assert [(r[1], r[3], r[5]) for r in issues.iter_rows(min_row=2, values_only=True)] == [("XCP", "Giá trị ngoài danh sách", "B7")]
    _press(book, 4)  # Tình hình nộp
    missing = _saved(panel, "Chưa nộp")
    expected = sorted(u.code for u in ctx.registry.expected())
    assert sorted(r[0] for r in missing[1:]) == sorted(set(expected) - {"XLS"})
    assert next(r for r in missing if r[0] == "XCP")[3:5] == ("Bị trả lại", 1)
    listed = openpyxl.load_workbook(out / "danh_sach_chua_nop_dang_ky_2025.xlsx")["Chưa nộp"]
    assert sorted(r[0] for r in listed.iter_rows(min_row=5, values_only=True) if r[0]) == [r[0] for r in
                                                                                            sorted(missing[1:])]
    _press(book, 5)  # Tổng hợp
    assert [r["Mã nhiệm vụ"] for r in _data_rows(out / "tong_hop_dang_ky_2025.xlsx") if r["Tệp nguồn"]] == ["XLS-01"]
    _press(book, 7)  # Xuất văn bản (with PDF)
    docs = sorted(p.relative_to(out / "van_ban").as_posix() for p in (out / "van_ban").rglob("*.docx"))
    assert docs == ["ban_cam_ket/ban_cam_ket_XLS_2025.docx", "danh_sach_chua_nop_dang_ky_2025.docx"]
    assert len(list((out / "van_ban").rglob("*.pdf"))) == 2
    # XCP sends its corrected file; the whole round runs again
    fixed = openpyxl.load_workbook(ws.root / "rounds/2025/feedback/XCP_registration_phan_hoi.xlsx")
    fixed["Nhiệm vụ"]["B7"] = "Xây dựng Đảng"
    fixed.save(ws.root / "rounds/2025/inbox/XCP_sua.xlsx")
    stamp = datetime(2025, 1, 25, 9).timestamp()
    os.utime(ws.root / "rounds/2025/inbox/XCP_sua.xlsx", (stamp, stamp))
    _press(book, 8)  # Chạy cả đợt
    assert {r[0]: r[3] for r in _saved(panel, "Kết quả tiếp nhận")[1:]}["XCP_sua.xlsx"] == "Tiếp nhận"
    assert "XCP" not in [r[0] for r in _saved(panel, "Chưa nộp")]
    assert [r["Mã nhiệm vụ"] for r in _data_rows(out / "tong_hop_dang_ky_2025.xlsx") if r["Tệp nguồn"]] == \
        ["XCP-01", "XLS-01"]
    assert (out / "van_ban/ban_cam_ket/ban_cam_ket_XCP_2025.docx").is_file()
    _press(book, 9)  # Mở thư mục kết quả
    assert launched == [["xdg-open", str(out)]]
    # the 6-month round: templates prefilled from the register, a report, then Chấm điểm và xếp loại
    _choose(book, "Tình hình nộp", period="2025-H1", form="progress")
    _press(book, 2)
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100,
                                                     "completed_on": date(2025, 3, 20)}], received=date(2025, 7, 1))
    _press(book, 3)
    _press(book, 6)
    _choose(book, "Tình hình nộp", period="2025-H1", form="progress")
    _press(book, 1)  # ▶ Chạy: what the action cell says
    listed = [r[:4] for r in _saved(panel, "Chưa nộp")]
    assert listed[0] == ("Mã đơn vị", "Đơn vị", "Cấp trên", "Tình trạng")
    assert ("XCP", "Đảng ủy xã Cao Phong", "Tỉnh ủy Hòa An", "Chưa nộp") in listed
    # the 17 units sent a registration template that never registered stay in view
    assert sorted(r[3] for r in listed[1:]) == ["Chưa nộp"] + ["Chưa đăng ký nhiệm vụ"] * 17
    rated = _saved(panel, "Xếp loại")
    assert [r[:5] for r in rated] == [("Hạng", "Mã", "Đơn vị", "Điểm", "Xếp loại"),
                                      (1, "XLS", "Đảng ủy xã Lương Sơn", 100, "Hoàn thành tốt nhiệm vụ"),
                                      (2, "XCP", "Đảng ủy xã Cao Phong", 0, "Không hoàn thành nhiệm vụ")]
    classification = openpyxl.load_workbook(ws.root / "rounds/2025-H1/output/xep_loai_2025-H1.xlsx")
    assert [r[1:3] for r in classification["Xếp loại đơn vị"].iter_rows(min_row=5, values_only=True) if r[1]] == \
        [("XLS", "Đảng ủy xã Lương Sơn"), ("XCP", "Đảng ủy xã Cao Phong")]
    log = _saved(panel, "Nhật ký")
    assert log[0] == ("Thời điểm", "Việc", "Kết quả", "Chi tiết")
    assert [r[1] for r in log[1:]] == ["Tạo biểu mẫu", "Tiếp nhận và kiểm tra", "Tình hình nộp", "Tổng hợp",
                                       "Xuất văn bản", "Chạy cả đợt", "Mở thư mục kết quả", "Tạo biểu mẫu",
                                       "Tiếp nhận và kiểm tra", "Chấm điểm và xếp loại", "Tình hình nộp"]
    assert {r[2] for r in log[1:]} == {"Xong"}
    assert [a.split(" (")[0] for a in book.app.alerts] == ["Đã chạy xong cả đợt"]  # Chạy cả đợt's summary, no error
    wb = openpyxl.load_workbook(panel, keep_vba=True)
    assert wb.vba_archive is not None and wb[CONTROL_SHEET][CELLS["period"]].value == "2025-H1"


def test_failures_become_vietnamese_alerts_not_tracebacks(panel, tmp_path):
    book = FakeBook(panel)
    _choose(book, "Tiếp nhận và kiểm tra", period="2025-Q9")
    line = excel_panel.run(book)
    assert "Lỗi" in line and "Kỳ báo cáo '2025-Q9' không hợp lệ" in book.app.alerts[-1]
    _choose(book, "Tổng hợp", period="2025-Q3", form="progress")  # nothing issued for it: said with the cells
    excel_panel.run(book)
    said = book.app.alerts[-1]
    assert "(ô C6)" in said and "nút 'Tạo biểu mẫu'" in said and "--period" not in said, said
    book.sheets[CONTROL_SHEET].range(CELLS["workspace"]).value = str(tmp_path / "khong_co")
    _choose(book, "Tổng hợp")
    excel_panel.run(book)
    assert "Không tìm thấy thư mục làm việc" in book.app.alerts[-1] and "OneDrive" in book.app.alerts[-1]
    book.sheets[CONTROL_SHEET].range(CELLS["action"]).value = "???"
    excel_panel.run(book)
    assert "Chưa chọn việc cần làm" in book.app.alerts[-1]
    assert all("Traceback" not in a for a in book.app.alerts)


def test_what_excel_sends_and_what_the_clerk_leaves_blank(panel, ws, monkeypatch):
    """Excel hands over a year typed in a cell as 2025.0 and a date as a datetime; a blank or wrong cell, or a
    fault of the tool, is one Vietnamese alert and one log line."""
    from toolkit.periods import parse_period
    from toolkit.workspace.config import Workspace

    book = FakeBook(panel)
    book.app.api = object()  # no Caller (the macro run from the Macros dialog): the action cell decides
    sh = book.sheets[CONTROL_SHEET]
    _choose(book, "Tạo biểu mẫu", period=2025.0)
    sh.range(CELLS["deadline"]).value = datetime(2025, 2, 20)
    assert excel_panel.run(book).split(" | ")[1:3] == ["Tạo biểu mẫu", "Xong"]
    assert Workspace.open(ws.root).deadline(parse_period("2025")) == date(2025, 2, 20)
    failures = []
    for cell, value, action, message in (
            ("workspace", None, "Tổng hợp", "Chưa ghi thư mục làm việc ở ô C4."),
            ("period", None, "Tổng hợp", "Chưa chọn kỳ báo cáo ở ô C6."),
            ("deadline", "mai", "Tổng hợp", "Hạn nộp ở ô C7 không phải ngày (dd/mm/yyyy)."),
            ("form", None, "Tạo biểu mẫu", "Chưa chọn biểu mẫu ở ô C5.")):
        book = FakeBook(panel)
        _choose(book, action)
        book.sheets[CONTROL_SHEET].range(CELLS[cell]).value = value
        line = excel_panel.run(book)
        failures.append((line.split(" | ")[2:], book.app.alerts))
        assert failures[-1] == (["Lỗi", message], [message]), failures[-1]

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("toolkit.outputs.merge.merge", full_disk)
    book = FakeBook(panel)
    _choose(book, "Tổng hợp")
    line = excel_panel.run(book)
    assert line.split(" | ")[2:] == ["Lỗi", "Lỗi không mong đợi: OSError: [Errno 28] No space left on device"]
    assert book.app.alerts == [("Có lỗi không mong đợi khi chạy. Xem trang 'Nhật ký' và gửi cho người quản trị.\n"
                                "OSError: [Errno 28] No space left on device")]
    book.save()
    assert _saved(panel, "Nhật ký")[-1][2:] == ("Lỗi", "Lỗi không mong đợi: OSError: [Errno 28] No space left on device")
