"""The office's own workbooks are read whole, however long: a province's registry of 5,100 grassroots party cells
(more rows than a unit's return may have, intake.max_rows = 5,000) and the general-criteria points typed for each.
The row limit for returns once cut the registry at row 5,060 without a word: the units below it were unknown, and a
leader of one of them made `init` fail with "not in the list of units"."""

import os
import subprocess
import sys

import openpyxl
import xlsxwriter
from clerk_helpers import invoke

from toolkit.context import load_context
from toolkit.outputs.score import load_rules, manual_points
from toolkit.workspace.config import Workspace
from toolkit.workspace.units import write_sample_registry

N = 5100


def test_a_registry_longer_than_a_return_is_read_whole(tmp_path):
    units = [("TU", "Tỉnh ủy Lâm Hà", "Tỉnh", "", "Nguyễn Văn An", "Bí thư Tỉnh ủy", "vp@lamha.vn")]
    units += [(f"CB{i:05d}", f"Chi bộ thôn số {i}", "Chi bộ", "TU", f"Cán bộ {i}", "Bí thư Chi bộ",
               f"cb{i}@lamha.vn") for i in range(N)]
    leaders = [(f"LD{i:05d}", f"Lãnh đạo {i}", "Bí thư Chi bộ", f"CB{i:05d}", "có") for i in range(N)]
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, units, leaders)
    ws = tmp_path / "Tỉnh ủy Lâm Hà"
    invoke("init", ws, "--office", "Tỉnh ủy Lâm Hà", "--units", registry, "--period", "2026", "--deadline",
           "2026=31/01/2026")
    last = f"CB{N - 1:05d}"  # on the registry's row 5,102
    out = invoke("templates", ws, "--form", "registration", "--period", "2026", "--unit", last)
    assert "Đã tạo 1 biểu mẫu" in out
    assert (ws / f"rounds/2026/outbox/{last}_dang_ky_2026.xlsx").is_file()

    ctx = load_context(Workspace.open(ws))
    assert len(ctx.registry.units) == N + 1
    assert ctx.registry.units[last].name == f"Chi bộ thôn số {N - 1}"
    assert ctx.registry.leaders[f"LD{N - 1:05d}"].unit == last

    # the general-criteria points of every cell, one row each, below a title and a header
    rules = load_rules(ctx.ws.root)
    book = xlsxwriter.Workbook(str(ws / rules["manual_points_file"]))
    sheet = book.add_worksheet("Điểm")
    sheet.write_row(0, 0, ["BẢNG ĐIỂM TIÊU CHÍ CHUNG NĂM 2026"])
    sheet.write_row(1, 0, ["Mã", "Tên", "Điểm"])
    for i in range(N):
        sheet.write_row(2 + i, 0, [f"CB{i:05d}", f"Chi bộ thôn số {i}", 20 + (i % 11)])
    book.close()
    points = manual_points(ctx, rules)
    assert len(points) == N
    assert points[last] == 20 + ((N - 1) % 11)


def test_a_stray_value_at_the_last_row_of_the_registry_is_named_not_read_as_a_million_rows(tmp_path):
    """A space typed by mistake in A1048576 of the registry: `init`, run as the clerk runs it, refuses at once,
    naming the sheet and its last row and what to do, and makes no folder; it does not turn a million empty rows
    into Python lists (~450 MB more, on top of the ~230 MB the reader's own grid of the sheet takes)."""
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, [("TU", "Tỉnh ủy Lâm Hà", "Tỉnh", "", "Nguyễn Văn An", "Bí thư", "vp@lamha.vn"),
                                     ("CB01", "Chi bộ thôn 1", "Chi bộ", "TU", "Lò Văn Một", "Bí thư", "")], [])
    wb = openpyxl.load_workbook(registry)
    wb["Đơn vị"]["A1048576"] = " "
    wb.save(registry)
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "init", str(tmp_path / "ws"), "--office",
                             "Tỉnh ủy Lâm Hà", "--units", str(registry), "--period", "2026"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode("utf-8")
    if hasattr(os, "wait4"):  # the refusal's own peak (POSIX); elsewhere its words and what it leaves are checked
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
    else:
        code, usage = proc.wait(), None
    assert code == 2, out
    assert "don_vi.xlsx" in out and "trang 'Đơn vị' có dữ liệu đến dòng 1.048.576 (đọc tối đa 200.000 dòng)" in out
    assert "xoá các dòng thừa ở cuối trang" in out and "!:" not in out
    assert not (tmp_path / "ws").exists()
    if usage is not None:
        assert usage.ru_maxrss < 550_000, usage.ru_maxrss  # KB (Linux): the refusal's own peak
