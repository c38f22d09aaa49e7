"""General-criteria points typed by the office are read the way unit workbooks are read ("24,5", "26.5", 27);
a cell that is not a number is named by its cell, with the fix. Through the CLI, for an invented commune committee
(Đảng ủy xã Tà Xùa)."""

import json
from datetime import date

import openpyxl
from clerk_helpers import fill, invoke, outbox, prog, reg
from conftest import rows_of

from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("TX", "Đảng ủy xã Tà Xùa", "Xã", "", "Giàng A Xùa", "Bí thư Đảng ủy", "vp@taxua.vn"),
    ("CB.01", "Chi bộ bản Háng Đồng", "Chi bộ", "TX", "Sùng A Đồng", "Bí thư Chi bộ", "hangdong@taxua.vn"),
    ("CB.02", "Chi bộ bản Bẹ", "Chi bộ", "TX", "Mùa A Bẹ", "Bí thư Chi bộ", "be@taxua.vn"),
    ("CB.03", "Chi bộ bản Mống", "Chi bộ", "TX", "Hờ A Mống", "Bí thư Chi bộ", "mong@taxua.vn"),
]
LEADERS = [("L1", "Sùng A Đồng", "Bí thư Chi bộ", "CB.01", "có")]


def points(path, rows):
    wb = openpyxl.Workbook()
    wb.active.title = "Điểm"
    wb.active.append(["BẢNG ĐIỂM TIÊU CHÍ CHUNG NĂM 2026"])  # a title above the header, as offices do
    wb.active.append(["Mã", "Tên", "Điểm"])
    for row in rows:
        wb.active.append(row)
        if isinstance(row[2], str):
            wb.active.cell(row=wb.active.max_row, column=3).data_type = "s"
    wb.save(path)


def test_general_points_typed_as_units_type_them(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Đảng ủy xã Tà Xùa"
    invoke("init", ws, "--office", "Đảng ủy xã Tà Xùa", "--units", registry, "--period", "2026", "--period",
           "2026-Q1", "--deadline", "2026=31/01/2026", "--deadline", "2026-Q1=10/04/2026")
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    codes = ["CB.01", "CB.02", "CB.03"]
    tpl = outbox(ws, "2026", codes)
    for code in codes:
        fill(tpl[code], ws / f"rounds/2026/inbox/{code}.xlsx", date(2026, 1, 20), [
            reg(f"{code}-1", f"Kết nạp 10 đảng viên mới ở {code}", date(2026, 3, 20))])
    invoke("collect", ws, "--period", "2026")
    invoke("templates", ws, "--form", "progress", "--period", "2026-Q1")
    tpl = outbox(ws, "2026-Q1", codes)
    for code in codes:
        fill(tpl[code], ws / f"rounds/2026-Q1/inbox/{code}.xlsx", date(2026, 4, 2), [
            prog(f"{code}-1", "Hoàn thành", 100, 10, date(2026, 3, 15))], by_code=True)
    invoke("collect", ws, "--period", "2026-Q1")

    book = ws / "diem_tieu_chi_chung.xlsx"
    points(book, [["CB.01", "Háng Đồng", "24,5"], ["CB.02", "Bẹ", "26.5"], ["CB.03", "Mống", 27]])
    result = json.loads(invoke("score", ws, "--period", "2026-Q1", "--json"))
    # by hand: every task done on time at 10/10 -> 70 task points; + the general points
    assert {s["subject_id"]: (s["detail"]["general_points"], s["score"]) for s in result["units"]} == {
        "CB.01": (24.5, 94.5), "CB.02": (26.5, 96.5), "CB.03": (27.0, 97.0)}
    rated = {r["Mã"]: r for r in rows_of(ws / "rounds/2026-Q1/output/xep_loai_2026-Q1.xlsx", "Xếp loại đơn vị", 4)}
    assert (rated["CB.01"]["Điểm tiêu chí chung"], rated["CB.01"]["Tổng điểm"]) == (24.5, 94.5)

    points(book, [["CB.01", "Háng Đồng", "hai mươi tư"], ["CB.02", "Bẹ", "26.5"], ["CB.03", "Mống", 32]])
    out = invoke("score", ws, "--period", "2026-Q1", code=2)
    text = " ".join(out.split())
    assert "Tệp điểm chấm tay diem_tieu_chi_chung.xlsx có 2 ô cần sửa (ghi số điểm từ 0 đến 30, ví dụ 24,5):" in text
    assert "ô Điểm!C3 (mã CB.01): 'hai mươi tư' không phải số" in text
    assert "ô Điểm!C5 (mã CB.03): 32 ngoài khoảng 0 – 30" in text
