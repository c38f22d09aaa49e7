"""Issue 3: returned workbooks damaged the way units damage them; exact codes at exact cells."""

import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from conftest import REALWORLD, make_return, task
from toolkit.collect import collect
from toolkit.samples import encode_tcvn3, encode_vni
from toolkit.store import Store

SOFFICE = shutil.which("soffice")


def issues_of(result, name):
    [f] = [f for f in result.files if f.file == name]
    return f, [(i.code, i.cell) for i in f.issues if i.code not in ("late-submission",)]


def test_clean_file_is_accepted_untouched(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Hoàn thành 12 km đường")])
    original = path.read_bytes()
    result = collect(ctx.ws, "2025")
    f, codes = issues_of(result, path.name)
    assert (f.status, codes) == ("accepted", [])
    assert path.read_bytes() == original
    with Store(ctx.ws.db_path) as store:
        [sub] = store.submissions("registration", "2025")
        assert Path(sub["archived_path"]).read_bytes() == original
        rows = store.rows("registration", "2025", "tasks")
    assert [(r["task_code"], r["_row"], r["target"]) for r in rows] == [("XLS-01", 7, 50), ("XLS-02", 8, 50)]
    assert rows[1]["title"] == "Hoàn thành 12 km đường" and rows[0]["deadline"] == "2025-12-15"


def test_text_dates_vietnamese_numbers_nfd_are_coerced(ctx):
    row = task("XLS-01", deadline="15/6/2025", start_date="ngày 1 tháng 1 năm 2025", target="1.234,5",
               title="Ke\u0302\u0301t na\u0323p đảng viên mới ở cơ sở năm 2025")
    path = make_return(ctx, "registration", "XLS", "2025", [row, task("XLS-02", deadline="15-12-25", target="80")])
    result = collect(ctx.ws, "2025")
    assert issues_of(result, path.name) [1] == []
    with Store(ctx.ws.db_path) as store:
        rows = store.rows("registration", "2025", "tasks")
    assert (rows[0]["deadline"], rows[0]["start_date"], rows[0]["target"]) == ("2025-06-15", "2025-01-01", 1234.5)
    assert rows[0]["title"] == "Kết nạp đảng viên mới ở cơ sở năm 2025"
    assert rows[1]["deadline"] == "2025-12-15"


def test_bad_values_exact_cells(ctx):
    rows = [task("XLS-01", area="Kinh tế", target="nhiều", deadline="31/2/2025"),
            task("XLS-01", start_date=date(2025, 12, 20), deadline=date(2025, 12, 1), weight=500),
            task("bad code!", title=None)]
    path = make_return(ctx, "registration", "XLS", "2025", rows)
    result = collect(ctx.ws, "2025")
    f, codes = issues_of(result, path.name)
    assert f.status == "rejected"
    assert sorted(codes) == sorted([
        ("choice-error", "B7"), ("type-error", "K7"), ("type-error", "M7"), ("out-of-range", "N8"),
        ("pattern-error", "A9"), ("missing-value", "D9"), ("duplicate-key", "A8"), ("date-order", "M8"),
    ])  # no qualitative-task on K7: the target was given, it is only unreadable


def test_moved_renamed_extra_missing_columns(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    wb = openpyxl.load_workbook(path)
    sh = wb["Nhiệm vụ"]
    sh["H6"] = "Chỉ tiêu đo lường được"  # renamed
    sh.insert_rows(2, 2)  # rows inserted above the header
    sh.insert_cols(1)
    for r in range(2, sh.max_row + 1):  # move 'Ghi chú' (O, now P) to the front
        sh.cell(row=r, column=1).value = sh.cell(row=r, column=16).value
        sh.cell(row=r, column=16).value = None
    sh["R8"] = "Cột thêm của đơn vị"
    sh["G8"] = None  # delete the optional column 'Mã lãnh đạo phụ trách' header
    wb.save(path)
    result = collect(ctx.ws, "2025")
    f, codes = issues_of(result, path.name)
    assert sorted(codes) == sorted([("column-renamed", "I8"), ("column-moved", "A8"), ("column-extra", "R8"),
                                    ("column-missing-optional", "F8")])
    with Store(ctx.ws.db_path) as store:
        [row] = store.rows("registration", "2025", "tasks")
    assert (row["_row"], row["indicator"], row["target"]) == (9, "Số đảng viên mới", 50)


def test_progress_cross_field_rules(ctx):
    rows = [{"task_code": "T1", "status": "Hoàn thành", "percent": 70},
            {"task_code": "T2", "status": "Chậm tiến độ", "percent": "40%"},
            {"task_code": "T3", "status": "Đang thực hiện – đúng tiến độ", "percent": 1.0 * 100},
            {"task_code": "T4", "status": "Hoàn thành", "percent": 0.999999, "completed_on": "1/7/2025"}]
    path = make_return(ctx, "progress", "XLS", "2025-H1", rows, received=date(2025, 7, 1))
    f, codes = issues_of(collect(ctx.ws, "2025-H1"), path.name)
    assert sorted(codes) == sorted([("status-percent", "G7"), ("delay-cause-missing", "L8"),
                                    ("status-percent", "F9"), ("status-percent", "G10")])


def _legacy(path, sheet, cols, encoder, font):
    wb = openpyxl.load_workbook(path)
    for ref in cols:
        cell = wb[sheet][ref]
        cell.value = encoder(cell.value)
        cell.font = Font(name=font)
    wb.save(path)


def test_tcvn3_and_vni_fonts_are_converted(ctx):
    p1 = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", title="Kết nạp đảng viên mới ở xã")])
    _legacy(p1, "Nhiệm vụ", ["D7"], encode_tcvn3, ".VnTime")
    p2 = make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", title="Cộng hòa xã hội chủ nghĩa năm 2025")])
    _legacy(p2, "Nhiệm vụ", ["D7"], encode_vni, "VNI-Times")
    result = collect(ctx.ws, "2025")
    assert issues_of(result, p1.name)[1] == [("legacy-encoding", "D7")]
    assert issues_of(result, p2.name)[1] == [("legacy-encoding", "D7")]
    with Store(ctx.ws.db_path) as store:
        titles = {r["_unit"]: r["title"] for r in store.rows("registration", "2025", "tasks")}
    assert titles == {"XLS": "Kết nạp đảng viên mới ở xã", "XCP": "Cộng hòa xã hội chủ nghĩa năm 2025"}


def test_legacy_text_without_font_is_a_warning_with_preview(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", title=encode_tcvn3("Kết nạp đảng viên mới"))])
    f, codes = issues_of(collect(ctx.ws, "2025"), path.name)
    assert codes == [("legacy-encoding-suspected", "D7")]
    assert "Kết nạp đảng viên mới" in f.issues[0].message


def test_merged_cells_in_data_area_are_filled_and_reported(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", area=None)])
    wb = openpyxl.load_workbook(path)
    wb["Nhiệm vụ"].merge_cells("B7:B8")
    wb.save(path)
    f, codes = issues_of(collect(ctx.ws, "2025"), path.name)
    assert codes == [("merged-cells", "B7")]
    with Store(ctx.ws.db_path) as store:
        assert [r["area"] for r in store.rows("registration", "2025", "tasks")] == ["Xây dựng Đảng"] * 2


def test_corrupt_encrypted_and_foreign_files_are_reported_not_raised(ctx):
    inbox = ctx.ws.round_dir("2025", "inbox")
    good = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    (inbox / "hong.xlsx").write_bytes(good.read_bytes()[:2000])
    (inbox / "rong.xlsx").write_bytes(b"")
    (inbox / "van_ban.xlsx").write_bytes(b"%PDF-1.4 fake")
    (inbox / "ghi_chu.txt").write_text("xin chào")
    (inbox / "~$XLS_registration.xlsx").write_bytes(b"lock")
    enc = REALWORLD / "calamine__pass_protected.xlsx"
    if enc.exists():
        shutil.copyfile(enc, inbox / "mat_khau.xlsx")
    foreign = openpyxl.Workbook()
    foreign.active["A1"] = "Bảng lương tháng 6"
    foreign.save(inbox / "la.xlsx")
    result = collect(ctx.ws, "2025")
    got = {f.file: (f.status, [i.code for i in f.issues]) for f in result.files}
    assert got["hong.xlsx"] == ("rejected", ["file-unreadable"])
    assert got["rong.xlsx"] == ("rejected", ["file-empty"])
    assert got["van_ban.xlsx"] == ("rejected", ["file-not-spreadsheet"])
    assert got["ghi_chu.txt"] == ("skipped", ["file-skipped"])
    assert got["~$XLS_registration.xlsx"] == ("skipped", ["file-skipped"])
    assert got["la.xlsx"] == ("rejected", ["form-unidentified"])
    if enc.exists():
        assert got["mat_khau.xlsx"] == ("rejected", ["file-encrypted"])
    assert got[good.name][0] == "accepted"
    assert result.has_errors


def test_metadata_removed_falls_back_to_unit_cells_and_filename(ctx):
    path = make_return(ctx, "registration", "XCP", "2025", [task("XCP-01")], name="bao cao xa cao phong.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["_meta"]
    wb["Nhiệm vụ"]["B3"] = None  # unit code cell cleared too: the unit name cell still identifies it
    wb.save(path)
    f, codes = issues_of(collect(ctx.ws, "2025"), path.name)
    assert (f.unit, codes) == ("XCP", [("metadata-missing", "")])


def test_unidentifiable_unit_is_reported_never_guessed(ctx):
    path = make_return(ctx, "registration", "XCP", "2025", [task("XCP-01")], name="tep.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["_meta"]
    for sheet in ("Nhiệm vụ", "Đầu việc"):
        wb[sheet]["B3"] = wb[sheet]["B2"] = None
    wb.save(path)
    f, codes = issues_of(collect(ctx.ws, "2025"), path.name)
    assert (f.status, codes) == ("rejected", [("unit-unidentified", "")])


def test_formula_injection_text_stays_text_in_feedback(ctx):
    path = make_return(ctx, "registration", "XLS", "2025",
                       [task("XLS-01", note="=HYPERLINK(\"http://x\",\"bấm\")", area="Sai")])
    f, _ = issues_of(collect(ctx.ws, "2025"), path.name)
    wb = openpyxl.load_workbook(f.feedback)
    assert wb.sheetnames[0] == "Lỗi cần sửa"
    cell = wb["Nhiệm vụ"]["O7"]
    assert cell.value == '=HYPERLINK("http://x","bấm")' and cell.data_type == "s"
    assert wb["Nhiệm vụ"]["B7"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "không có trong danh sách" in wb["Nhiệm vụ"]["B7"].comment.text
    rows = list(wb["Lỗi cần sửa"].iter_rows(min_row=5))
    assert all(len([c for c in r if c.value is not None]) <= 6 for r in rows)  # no English code column for units
    link = [r for r in rows if "không có trong danh sách" in (r[4].value or "")][0][3]
    assert link.hyperlink.location == "'Nhiệm vụ'!B7" or link.hyperlink.target == "#'Nhiệm vụ'!B7"


def test_progress_against_register_missing_and_unknown_tasks(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Hoàn thành 10 km đường")])
    assert collect(ctx.ws, "2025").files[0].status == "accepted"
    rows = [{"task_code": "XLS-01", "status": "Chưa triển khai", "percent": 0},
            {"task_code": "XLS-99", "status": "Chưa triển khai", "percent": 0}]
    path = make_return(ctx, "progress", "XLS", "2025-H1", rows, received=date(2025, 7, 2))
    f, codes = issues_of(collect(ctx.ws, "2025-H1"), path.name)
    assert sorted(codes) == [("task-missing", ""), ("task-unknown", "A8")]


def test_copied_titles_and_reports_name_the_source(ctx):
    same = "Nâng cao chất lượng hoạt động của Mặt trận và các đoàn thể chính trị – xã hội ở cơ sở"
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", title=same)])
    p2 = make_return(ctx, "registration", "XMC", "2025", [task("XMC-01", title=same)])
    f, codes = issues_of(collect(ctx.ws, "2025"), p2.name)
    assert codes == [("copied-task", "D7")] and "Đảng ủy xã Cao Phong" in f.issues[0].message


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice not installed")
@pytest.mark.parametrize("ext", ["xls", "ods"])
def test_xls_and_ods_saved_by_libreoffice(ctx, tmp_path, ext):
    src = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", area="Sai lĩnh vực")], name="x.xlsx")
    out = tmp_path / "conv"
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/prof",
                    "--convert-to", ext, "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=180)
    src.unlink()
    shutil.copyfile(out / f"x.{ext}", src.parent / f"x.{ext}")
    f, codes = issues_of(collect(ctx.ws, "2025"), f"x.{ext}")
    assert (f.unit, codes) == ("XLS", [("choice-error", "B7")])
    assert Path(f.feedback).suffix == ".xlsx"
    assert openpyxl.load_workbook(f.feedback)["Nhiệm vụ"]["B7"].value == "Sai lĩnh vực"
