"""Issue 3: returned workbooks damaged the way units damage them; exact codes at exact cells."""

import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import make_return, require_realworld, task
from openpyxl.styles import Font

from toolkit.intake.collect import collect
from toolkit.round import open_round
from toolkit.samples import encode_tcvn3, encode_vni
from toolkit.store import Store

SOFFICE = shutil.which("soffice")


def issues_of(result, name):
    [f] = [f for f in result.files if f.file == name]
    return f, [(i.code, i.cell) for i in f.issues if i.code not in ("late-submission",)]


def test_clean_file_is_accepted_untouched(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Hoàn thành 12 km đường")])
    original = path.read_bytes()
    result = collect(open_round(ctx.ws, "2025"))
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
    result = collect(open_round(ctx.ws, "2025"))
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
    result = collect(open_round(ctx.ws, "2025"))
    f, codes = issues_of(result, path.name)
    assert f.status == "rejected"
    assert sorted(codes) == sorted([
        ("choice-error", "B7"), ("type-error", "K7"), ("date-invalid", "M7"), ("out-of-range", "N8"),
        ("pattern-error", "A9"), ("missing-value", "D9"), ("duplicate-key", "A8"), ("date-order", "M8"),
    ])  # no qualitative-task on K7: the target was given, it is only unreadable
    # a date written as dd/mm/yyyy that no calendar has is not called a format error: the unit is told what is wrong
    wrong_day = next(i for i in f.issues if i.code == "date-invalid")
    assert wrong_day.message == "Ngày '31/2/2025' ở cột 'Thời hạn hoàn thành' không hợp lệ: tháng 2/2025 chỉ có 28 ngày."


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
    result = collect(open_round(ctx.ws, "2025"))
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
    f, codes = issues_of(collect(open_round(ctx.ws, "2025-H1")), path.name)
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
    result = collect(open_round(ctx.ws, "2025"))
    assert issues_of(result, p1.name)[1] == [("legacy-encoding", "D7")]
    assert issues_of(result, p2.name)[1] == [("legacy-encoding", "D7")]
    with Store(ctx.ws.db_path) as store:
        titles = {r["_unit"]: r["title"] for r in store.rows("registration", "2025", "tasks")}
    assert titles == {"XLS": "Kết nạp đảng viên mới ở xã", "XCP": "Cộng hòa xã hội chủ nghĩa năm 2025"}


def test_legacy_text_without_font_is_a_warning_with_preview(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", title=encode_tcvn3("Kết nạp đảng viên mới"))])
    f, codes = issues_of(collect(open_round(ctx.ws, "2025")), path.name)
    assert codes == [("legacy-encoding-suspected", "D7")]
    assert "Kết nạp đảng viên mới" in f.issues[0].message


def test_merged_cells_in_data_area_are_filled_and_reported(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", area=None)])
    wb = openpyxl.load_workbook(path)
    wb["Nhiệm vụ"].merge_cells("B7:B8")
    wb.save(path)
    f, codes = issues_of(collect(open_round(ctx.ws, "2025")), path.name)
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
    enc = require_realworld() / "calamine__pass_protected.xlsx"
    assert enc.is_file(), f"the real-world corpus lacks {enc}"
    shutil.copyfile(enc, inbox / "mat_khau.xlsx")
    foreign = openpyxl.Workbook()
    foreign.active["A1"] = "Bảng lương tháng 6"
    foreign.save(inbox / "la.xlsx")
    result = collect(open_round(ctx.ws, "2025"))
    got = {f.file: (f.status, [i.code for i in f.issues]) for f in result.files}
    assert got["hong.xlsx"] == ("rejected", ["file-unreadable"])
    assert got["rong.xlsx"] == ("rejected", ["file-empty"])
    assert got["van_ban.xlsx"] == ("rejected", ["file-not-spreadsheet"])
    assert got["ghi_chu.txt"] == ("skipped", ["file-skipped"])
    assert got["~$XLS_registration.xlsx"] == ("skipped", ["file-skipped"])
    assert got["la.xlsx"] == ("rejected", ["form-unidentified"])
    assert got["mat_khau.xlsx"] == ("rejected", ["file-encrypted"])
    assert got[good.name] == ("accepted", [])
    assert result.has_errors


def test_metadata_removed_falls_back_to_unit_cells_and_filename(ctx):
    path = make_return(ctx, "registration", "XCP", "2025", [task("XCP-01")], name="bao cao xa cao phong.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["_meta"]
    wb["Nhiệm vụ"]["B3"] = None  # unit code cell cleared too: the unit name cell still identifies it
    wb.save(path)
    f, codes = issues_of(collect(open_round(ctx.ws, "2025")), path.name)
    assert (f.unit, codes) == ("XCP", [("metadata-missing", "")])


def test_unidentifiable_unit_is_reported_never_guessed(ctx):
    path = make_return(ctx, "registration", "XCP", "2025", [task("XCP-01")], name="tep.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["_meta"]
    for sheet in ("Nhiệm vụ", "Đầu việc"):
        wb[sheet]["B3"] = wb[sheet]["B2"] = None
    wb.save(path)
    f, codes = issues_of(collect(open_round(ctx.ws, "2025")), path.name)
    assert (f.status, codes) == ("rejected", [("unit-unidentified", "")])


def test_formula_injection_text_stays_text_in_feedback(ctx):
    path = make_return(ctx, "registration", "XLS", "2025",
                       [task("XLS-01", note="=HYPERLINK(\"http://x\",\"bấm\")", area="Sai")])
    f, _ = issues_of(collect(open_round(ctx.ws, "2025")), path.name)
    wb = openpyxl.load_workbook(f.feedback)
    assert wb.sheetnames[0] == "Lỗi cần sửa"
    cell = wb["Nhiệm vụ"]["O7"]
    assert cell.value == '=HYPERLINK("http://x","bấm")' and cell.data_type == "s"
    assert wb["Nhiệm vụ"]["B7"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "không có trong danh sách" in wb["Nhiệm vụ"]["B7"].comment.text
    rows = list(wb["Lỗi cần sửa"].iter_rows(min_row=5))
    assert all(len([c for c in r if c.value is not None]) <= 6 for r in rows)  # no English code column for units
    link = [r for r in rows if "không có trong danh sách" in (r[4].value or "")][0][3]
    assert (link.hyperlink.location, link.hyperlink.target) == ("'Nhiệm vụ'!B7", None)  # a link inside the workbook


def test_progress_against_register_missing_and_unknown_tasks(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Hoàn thành 10 km đường")])
    assert collect(open_round(ctx.ws, "2025")).files[0].status == "accepted"
    rows = [{"task_code": "XLS-01", "status": "Chưa triển khai", "percent": 0},
            {"task_code": "XLS-99", "status": "Chưa triển khai", "percent": 0}]
    path = make_return(ctx, "progress", "XLS", "2025-H1", rows, received=date(2025, 7, 2))
    f, codes = issues_of(collect(open_round(ctx.ws, "2025-H1")), path.name)
    assert sorted(codes) == [("task-missing", ""), ("task-unknown", "A8")]


def test_copied_titles_and_reports_name_the_source(ctx):
    same = "Nâng cao chất lượng hoạt động của Mặt trận và các đoàn thể chính trị – xã hội ở cơ sở"
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", title=same)])
    p2 = make_return(ctx, "registration", "XMC", "2025", [task("XMC-01", title=same)])
    f, codes = issues_of(collect(open_round(ctx.ws, "2025")), p2.name)
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
    f, codes = issues_of(collect(open_round(ctx.ws, "2025")), f"x.{ext}")
    assert (f.unit, codes) == ("XLS", [("choice-error", "B7")])
    assert Path(f.feedback).suffix == ".xlsx"
    assert openpyxl.load_workbook(f.feedback)["Nhiệm vụ"]["B7"].value == "Sai lĩnh vực"


def _uno_python() -> str | None:
    """A Python with LibreOffice's UNO bridge: the one inside LibreOffice (Windows, macOS) or python3-uno."""
    if not SOFFICE:
        return None
    program = Path(os.path.realpath(SOFFICE)).parent
    for cand in (program / "python", program / "python.exe", Path("/usr/bin/python3")):
        if cand.exists() and subprocess.run([str(cand), "-c", "import uno"], capture_output=True,
                                            check=False).returncode == 0:
            return str(cand)
    return None


def test_real_password_protected_workbooks_are_reported_never_read(ctx, tmp_path):
    """A returned template saved with a password: .xlsx encrypted by msoffcrypto-tool (what Excel writes: an
    OLE container holding the encrypted package); .xls and .ods saved with a password by LibreOffice."""
    import msoffcrypto
    from msoffcrypto.format.ooxml import OOXMLFile

    inbox = ctx.ws.round_dir("2025", "inbox")
    expected = {}
    src = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="x.xlsx")
    with open(src, "rb") as fh, open(inbox / "XLS_mat_khau.xlsx", "wb") as out:
        OOXMLFile(fh).encrypt("Tinhuy@2025", out)
    src.unlink()
    expected["XLS_mat_khau.xlsx"] = "XLS"
    with open(inbox / "XLS_mat_khau.xlsx", "rb") as fh:  # a real encryption: the password opens it again
        office = msoffcrypto.OfficeFile(fh)
        office.load_key(password="Tinhuy@2025")
        with open(tmp_path / "back.xlsx", "wb") as back:
            office.decrypt(back)
    assert openpyxl.load_workbook(tmp_path / "back.xlsx")["Nhiệm vụ"]["A7"].value == "XLS-01"
    uno = _uno_python()
    if uno:
        pairs = []
        for code, ext, filt in (("XCP", "xls", "MS Excel 97"), ("XMC", "ods", "calc8")):
            src = make_return(ctx, "registration", code, "2025", [task(f"{code}-01")], name=f"{code}_src.xlsx")
            pairs += [str(src), str(inbox / f"{code}_mat_khau.{ext}"), filt]
            expected[f"{code}_mat_khau.{ext}"] = code
        subprocess.run([uno, str(Path(__file__).with_name("lo_encrypt.py")), SOFFICE, "Tinhuy@2025", *pairs],
                       check=True, capture_output=True, timeout=240)
        for src in pairs[::3]:
            Path(src).unlink()
        with open(inbox / "XCP_mat_khau.xls", "rb") as fh:
            assert msoffcrypto.OfficeFile(fh).is_encrypted()
        with zipfile.ZipFile(inbox / "XMC_mat_khau.ods") as zf:
            assert "manifest:encryption-data" in zf.read("META-INF/manifest.xml").decode()
    good = make_return(ctx, "registration", "XTL", "2025", [task("XTL-01")])
    result = collect(open_round(ctx.ws, "2025"))
    got = {f.file: (f.status, f.unit, [(i.code, i.cell) for i in f.issues], f.feedback) for f in result.files}
    assert got == {good.name: ("accepted", "XTL", [], ""),
                   **{name: ("rejected", unit, [("file-encrypted", "")], "") for name, unit in expected.items()}}
    assert len(expected) == (3 if uno else 1)  # LibreOffice and its UNO bridge are here (CI installs python3-uno)
    assert next(f for f in result.files if f.unit == "XLS").issues[0].message == \
        "Tệp được đặt mật khẩu nên không thể đọc."


def test_formula_cells_are_found_from_their_formulas_as_a_scan_of_every_cell_finds_them():
    """read._formula_cells finds the cells holding "<f" from each "<f" back to its cell: the same cells as matching
    every cell of the sheet, around columns, self-closed and attribute-less cells, inline strings, cached values and a
    conditional format's <formula> outside any cell."""
    from toolkit.read import _CELL, _formula_cells

    xml = (b'<worksheet><cols><col min="1" max="3" width="9"/></cols><sheetData><row r="1">'
           b'<c r="A1" t="s"><v>0</v></c><c r="B1"/><c r="C1"><f>1+1</f></c><c r="D1"><f>A1</f><v>2</v></c></row>'
           b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c><f>SUM(A1:A2)</f></c>'
           b'<c r="B2" s="3"><f t="shared" ref="B2:B3" si="0">C1*2</f></c><c r="C2" t="str"><f>"a"</f><v>a</v></c>'
           b'</row></sheetData><conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
           b'<formula>A1&gt;0</formula></cfRule></conditionalFormatting></worksheet>')
    every = [m.group(0) for m in _CELL.finditer(xml) if m.group(2) and b"<f" in m.group(2)]
    assert [m.group(0) for m in _formula_cells(xml)] == every and len(every) == 5


def test_formula_cells_with_and_without_cached_values(ctx, tmp_path):
    """Formulas typed by a unit into data cells. Written by a library (openpyxl), the file holds no computed value:
    the cell is reported. Saved by a spreadsheet program (LibreOffice here, Excel at the office) the file holds the
    computed value, which is what is read and stored."""
    def with_formulas(path):
        wb = openpyxl.load_workbook(path)
        sh = wb["Nhiệm vụ"]
        sh["K7"] = "=40+10"  # target
        sh["D8"] = '="Hoàn thành "&"12 km đường"'  # title
        sh["K8"] = "=K7*2"
        wb.save(path)
        return path

    rows = [task("XLS-01"), task("XLS-02", title="x")]
    uncached = with_formulas(make_return(ctx, "registration", "XLS", "2025", rows, name="XLS_cong_thuc.xlsx",
                                         received=None))
    stamp = datetime(2025, 1, 20, 9).timestamp()
    os.utime(uncached, (stamp, stamp))
    assert openpyxl.load_workbook(uncached, data_only=True)["Nhiệm vụ"]["K7"].value is None
    expected = {"XLS_cong_thuc.xlsx": ("rejected", [("formula-no-value", "D8"), ("formula-no-value", "K7"),
                                                    ("formula-no-value", "K8")])}  # and no qualitative-task
    if SOFFICE:
        src = with_formulas(make_return(ctx, "registration", "XCP", "2025", [task("XCP-01"), task("XCP-02", title="x")],
                                        name="XCP_cong_thuc.xlsx", received=None))
        bad = with_formulas(make_return(ctx, "registration", "XMC", "2025", [task("XMC-01", area="Sai"),
                                                                             task("XMC-02", title="x")],
                                        name="XMC_cong_thuc.xlsx", received=None))
        out = tmp_path / "lo"
        subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src), str(bad)],
                       check=True, capture_output=True, timeout=180)
        for path in (src, bad):
            shutil.copyfile(out / path.name, path)
            os.utime(path, (stamp, stamp))
        expected["XMC_cong_thuc.xlsx"] = ("rejected", [("choice-error", "B7"), ("copied-task", "D8")])  # as XCP-02
        cached = openpyxl.load_workbook(src, data_only=True)["Nhiệm vụ"]
        assert (cached["K7"].value, cached["K8"].value) == (50, 100)
        assert openpyxl.load_workbook(src)["Nhiệm vụ"]["K8"].value == "=K7*2"  # still a formula
        expected["XCP_cong_thuc.xlsx"] = ("accepted", [])
    result = collect(open_round(ctx.ws, "2025"))
    got = {f.file: (f.status, sorted((i.code, i.cell) for i in f.issues)) for f in result.files}
    assert got == expected
    if SOFFICE:
        with Store(ctx.ws.db_path) as store:
            rows = store.rows("registration", "2025", "tasks")
        assert [(r["task_code"], r["title"], r["target"]) for r in rows] == [
            ("XCP-01", task("XCP-01")["title"], 50), ("XCP-02", "Hoàn thành 12 km đường", 100)]
        # the feedback copy of the file LibreOffice saved: the unit's computed values, no live formula (by design,
        # toolkit.intake.feedback), and the wrong cell marked
        fed = next(f for f in result.files if f.file == "XMC_cong_thuc.xlsx").feedback
        wb = openpyxl.load_workbook(fed)
        assert wb.sheetnames[0] == "Lỗi cần sửa"
        assert [wb["Nhiệm vụ"][c].value for c in ("K7", "K8", "D8")] == [50, 100, "Hoàn thành 12 km đường"]
        assert "không có trong danh sách" in wb["Nhiệm vụ"]["B7"].comment.text
