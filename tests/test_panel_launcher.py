"""The Excel panel on the office's PC: the interpreter is found when a button is pressed (the recorded one, the
py launcher, python on PATH; a plain Vietnamese message when none), nothing of the building machine is written
into the panel, Excel's status bar tells the progress of a long "Chạy cả đợt", which ends with a summary. Excel
and cmd.exe do not run here: the launcher's text is checked, and the buttons run through the stand-in book."""

from __future__ import annotations

import base64
import json
import re
import sys
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_return, task
from test_panel import FakeApp, FakeBook, _choose

from toolkit import excel_panel
from toolkit.cli import cli
from toolkit.panel import INTERPRETERS, NOT_FOUND, build_panel, launcher_script


class StatusApp(FakeApp):
    """Excel's Application as the panel uses it, recording what the status bar shows."""

    def __init__(self, caller=None):
        super().__init__(caller)
        self.shown = []
        self.modes = []

    @property
    def status_bar(self):
        return self.shown[-1] if self.shown else False

    @status_bar.setter
    def status_bar(self, value):
        self.shown.append(value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        super().alert(prompt, title, buttons, mode, callback)
        self.modes.append(mode)


class Book(FakeBook):
    def __init__(self, path, caller=None):
        super().__init__(path, caller)
        self.app = StatusApp(caller)
        self.fullname = str(path)


@pytest.fixture
def panel(ws):
    return build_panel(ws)


def test_no_path_of_the_building_machine_in_the_panel(panel, ws):
    wb = openpyxl.load_workbook(panel, keep_vba=True)
    conf = {r[0].value: r[1].value for r in wb["xlwings.conf"].iter_rows()}
    assert conf["Interpreter_Win"] == \
        '=LEFT(CELL("filename",A1),FIND("[",CELL("filename",A1))-1)&"BangDieuKhien_python.cmd"'
    assert not any(str(v).startswith(("/", sys.executable)) for v in conf.values() if v)
    assert (panel.parent / "BangDieuKhien_python.txt").read_bytes() == sys.executable.encode("utf-8")  # no BOM


def test_the_launcher_tries_recorded_then_py_then_path_and_says_so_in_vietnamese(panel):
    raw = (panel.parent / "BangDieuKhien_python.cmd").read_bytes()
    assert raw == launcher_script(panel).encode("ascii") and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("ascii")
    recorded = text.index('if exist "%~dpn0.txt" set /p PY=<"%~dpn0.txt"')  # <panel>_python.txt beside it
    probe = text.index('if defined PY "%PY%" -c "import toolkit" >nul 2>nul && goto run')
    py = text.index("('py -3 -c \"import sys, toolkit; print(sys.executable)\" 2^>nul')")
    path = text.index("('python -c \"import sys, toolkit; print(sys.executable)\" 2^>nul')")
    message = text.index("powershell -NoProfile -NonInteractive -EncodedCommand ")
    assert text.index("chcp 65001") < recorded < probe < py < path < message < text.index(':run\r\nset "PYTHONIOENCODING="')
    assert [label for label, _ in INTERPRETERS] == ["recorded", "py launcher", "PATH"]
    # python's arguments from xlwings passed on unchanged, never parsed again by cmd (an "&" in a folder name)
    assert text.rstrip().endswith('set "ARGS=%*"\r\nsetlocal EnableDelayedExpansion\r\n"!PY!" !ARGS!')
    encoded = re.search(r"-EncodedCommand (\S+)", text).group(1)
    script = base64.b64decode(encoded).decode("utf-16-le")
    assert NOT_FOUND.format(recorded="BangDieuKhien_python.txt").replace("'", "''") in script
    assert "Không tìm thấy Python có cài toolkit trên máy này" in script and "MessageBox]::Show(" in script
    assert "&& exit /b 0" in text  # the message shown: no second, English error box from xlwings


def test_a_panel_with_a_vietnamese_name_gets_an_ascii_launcher(ws):
    panel = build_panel(ws, ws.root / "Bảng điều khiển.xlsm")
    launcher = ws.root / "Bảng điều khiển_python.cmd"
    assert launcher.read_bytes().isascii() and (ws.root / "Bảng điều khiển_python.txt").is_file()
    assert launcher.stem + ".txt" == "Bảng điều khiển_python.txt" and panel.is_file()


def test_a_button_records_the_interpreter_that_ran_it(panel, ws):
    recorded = panel.parent / "BangDieuKhien_python.txt"
    other_pc = r"C:\Users\Nguyễn Văn Hùng\AppData\Local\Programs\Python\Python312\python.exe"
    recorded.write_text(other_pc, encoding="utf-8")
    book = Book(panel)
    _choose(book, "Tạo biểu mẫu")
    assert excel_panel.run(book).split(" | ")[1:3] == ["Tạo biểu mẫu", "Xong"]
    assert recorded.read_text(encoding="utf-8") == sys.executable
    assert book.app.shown[0] == "Tạo biểu mẫu..." and "Tạo biểu mẫu: 19/19" in book.app.shown
    assert book.app.shown[-1] is False  # the status bar handed back to Excel
    assert book.app.alerts == []  # short actions: the log line, no message box


def test_run_shows_each_step_in_the_status_bar_and_a_summary_at_the_end(panel, ws, ctx):
    book = Book(panel)
    _choose(book, "Tạo biểu mẫu")
    excel_panel.run(book)
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")])
    book = Book(panel)
    _choose(book, "Chạy cả đợt")
    line = excel_panel.run(book)
    assert line.split(" | ")[1:3] == ["Chạy cả đợt", "Xong"]
    shown = book.app.shown
    assert shown[0] == "Chạy cả đợt..." and shown[-1] is False
    assert "Chạy cả đợt, bước 1/4: Tiếp nhận: 2/2 — XLS_registration.xlsx" in shown or \
        "Chạy cả đợt, bước 1/4: Tiếp nhận: 2/2 — XCP_registration.xlsx" in shown
    for text in ("Chạy cả đợt, bước 2/4: Tình hình nộp...", "Chạy cả đợt, bước 3/4: Tổng hợp..."):
        assert text in shown
    assert any(str(s).startswith("Chạy cả đợt, bước 4/4: Xuất văn bản: ") for s in shown)
    [summary] = book.app.alerts
    assert book.app.modes == ["info"] and summary.startswith("Đã chạy xong cả đợt (")
    lines = summary.splitlines()  # the title, then one line per step
    assert lines[2].startswith("2 tệp: 1 tiếp nhận, 1 không tiếp nhận") and lines[3] == \
        "Đã nộp 1/19, chưa nộp 17, bị trả lại 1" and len(lines) == 6


def test_panel_command_says_where_python_is_looked_for(ws):
    r = CliRunner().invoke(cli, ["bang-dieu-khien", str(ws.root), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["launcher"] == str(ws.root / "BangDieuKhien_python.cmd") and data["launcher"] in data["written"]
    out = CliRunner().invoke(cli, ["panel", str(ws.root)]).output
    assert "BangDieuKhien_python.cmd" in out and "lệnh py, rồi python" in " ".join(out.split())
    if sys.platform != "win32":
        assert "tạo trên máy không chạy Windows" in " ".join(out.split())
