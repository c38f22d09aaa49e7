"""Issue 12: a corpus of what unit staff really do to a returned template (generated here, nothing downloaded), each
case with its expected verdict and cell, collected through the CLI with feedback on; and the real-world corpus of
195 workbooks written by other programs, through the CLI with feedback on: a report entry per file, no traceback."""

import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import REALWORLD, make_return, require_realworld, task

from toolkit.cli import cli
from toolkit.intake.collect import collect
from toolkit.round import open_round

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PROGRESS = [
    {"status": "Hoàn thành", "percent": 100, "actual": 50, "completed_on": date(2025, 3, 1)},
    {"status": "Đang thực hiện – đúng tiến độ", "percent": 40, "actual": 5},
]
UNITS = ["XLS", "XCP", "XMC", "XTL", "XLT", "XYT", "XDB", "XKB", "XLG", "XVN", "BTG"]


def _register(ctx):
    for unit in UNITS:
        make_return(ctx, "registration", unit, "2025", [
            task(f"{unit}-01", deadline=date(2025, 3, 31)),
            task(f"{unit}-02", title=f"Hoàn thành 12 km đường ở {unit}", target=12)])
    collect(open_round(ctx.ws, "2025"), feedback=False)


def _progress(ctx, unit, name, edit=None):
    prefill = {"progress": [{"task_code": f"{unit}-01"}, {"task_code": f"{unit}-02"}]}
    path = make_return(ctx, "progress", unit, "2025-H1", PROGRESS, name=name, prefill=prefill,
                       received=date(2025, 7, 5))
    if edit:
        stamp = path.stat().st_mtime
        wb = openpyxl.load_workbook(path)
        edit(wb["Tiến độ"])
        wb.save(path)
        os.utime(path, (stamp, stamp))
    return path


def _footer_under(ws):  # totals, note, place and date, signatures right under the last task (row 9)
    ws["B9"], ws["G9"], ws["H9"] = "Tổng cộng", 140, 55
    ws["A10"] = "Ghi chú: số liệu tính đến 20/6/2025"
    ws["J11"] = "Lương Sơn, ngày 20 tháng 6 năm 2025"
    ws["B12"], ws["J12"] = "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ"
    ws["B13"], ws["J13"] = "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên, đóng dấu)"
    ws["J16"] = "Quách Thị Nga"


def _footer_after_gap(ws):  # three blank rows, then a signature block with numbers in data columns
    ws["J13"] = "T/M BAN THƯỜNG VỤ"
    ws["J14"] = "BÍ THƯ"
    ws["G15"] = 2025  # a stray number where "% hoàn thành" is: not data
    ws["J17"] = "Quách Thị Nga"


def _footer_merged(ws):  # the place-and-date line and the signatures in merged cells spanning data columns
    ws["A10"] = "Cộng"
    ws.merge_cells("A10:E10")
    ws["F11"] = "Lương Sơn, ngày 20 tháng 6 năm 2025"
    ws.merge_cells("F11:N11")
    ws["F12"] = "T/M ĐẢNG ỦY\nBÍ THƯ"
    ws.merge_cells("F12:N14")


def _footer_in_code_column(ws):  # the signature block typed in column A, the task code's, as clerks often do
    ws["A10"] = "Người lập biểu"
    ws["A11"] = "(Ký, ghi rõ họ tên)"
    ws["A14"], ws["J14"] = "Quách Thị Nga", "Lương Văn Sơn"


def _formula_uncached(ws):  # a script wrote a formula into a required column: no computed value in the file
    ws["G8"] = "=F7*0+40"


def _nul_text(ws):  # control characters as other programs store them in the package (read back as NUL etc.)
    ws["J8"] = "Đã_x0000_ làm_x0001_ xong _x000B_ một phần"


CASES = {
    # name: (unit, edit, expected status, expected (code, cell) pairs that must be present)
    "footer_under.xlsx": ("XLS", _footer_under, "accepted", {("table-footer", "A9")}),
    "footer_gap.xlsx": ("XCP", _footer_after_gap, "accepted", {("table-footer", "A13")}),
    "footer_merged.xlsx": ("XMC", _footer_merged, "accepted", {("table-footer", "A10")}),
    "footer_code_column.xlsx": ("BTG", _footer_in_code_column, "accepted", {("table-footer", "A10")}),
    "formula.xlsx": ("XTL", _formula_uncached, "rejected", {("formula-no-value", "G8")}),
    "nul.xlsx": ("XLT", _nul_text, "warnings", {("control-characters", "J8")}),
}
# the same footers in files saved by LibreOffice as .xls and .ods
LO_CASES = {"footer_under_lo": ("XYT", "xls", _footer_under, "A9"), "footer_merged_lo": ("XDB", "xls", _footer_merged, "A10"),
            "footer_under_lo2": ("XKB", "ods", _footer_under, "A9"), "footer_merged_lo2": ("XLG", "ods", _footer_merged, "A10")}


def _libreoffice(paths: list[Path], ext: str, outdir: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as profile:
        filt = {"xls": "xls:MS Excel 97", "ods": "ods"}[ext]
        subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={Path(profile).as_uri()}",
                        "--convert-to", filt, "--outdir", str(outdir), *map(str, paths)], check=True,
                       capture_output=True, timeout=240)
    return [outdir / f"{p.stem}.{ext}" for p in paths]


def test_unit_behaviour_corpus_through_the_cli(ctx, tmp_path):
    _register(ctx)
    inbox = ctx.ws.round_dir("2025-H1", "inbox")
    expected = {}
    for name, (unit, edit, status, codes) in CASES.items():
        _progress(ctx, unit, name, edit)
        expected[name] = (status, codes)
    if SOFFICE:
        for stem, (unit, ext, edit, cell) in LO_CASES.items():
            src = _progress(ctx, unit, f"{stem}.xlsx", edit)
            stamp = src.stat().st_mtime
            [out] = _libreoffice([src], ext, inbox)
            src.unlink()
            os.utime(out, (stamp, stamp))
            expected[out.name] = ("accepted", {("table-footer", cell)})
    r = CliRunner().invoke(cli, ["collect", str(ctx.ws.root), "--period", "2025-H1", "--json"])
    assert r.exit_code == 1, r.output  # the formula case is rejected
    files = {f["file"]: f for f in json.loads(r.output)["files"]}
    for name, (status, codes) in expected.items():
        f = files[name]
        got = {(i["code"], i["cell"]) for i in f["issues"]}
        assert (f["status"], got) == (status, codes), name
        if status != "accepted":
            assert Path(f["feedback"]).is_file(), name  # the unit gets its annotated copy
    formula = next(i for i in files["formula.xlsx"]["issues"] if i["code"] == "formula-no-value")
    assert "có công thức nhưng chưa có giá trị đã tính" in formula["message"] and formula["sheet"] == "Tiến độ"
    assert "Mở tệp bằng Excel" in formula["hint"]
    assert not [i for i in files["formula.xlsx"]["issues"] if i["code"] == "missing-value"]
    # footers are not data: each accepted return holds exactly its two tasks, with their values
    merged = json.loads(CliRunner().invoke(cli, ["merge", str(ctx.ws.root), "--period", "2025-H1", "--json"]).output)
    wb = openpyxl.load_workbook(merged["path"])
    ws = wb["Dữ liệu"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=2) if r[0].value]
    unreported = {r["Mã đơn vị"] for r in rows if not r["Tệp nguồn"]}
    assert unreported == {"XTL", "XVN"}  # the rejected formula case and the unit that sent nothing
    assert {r["Đánh giá"] for r in rows if not r["Tệp nguồn"]} == {"Chưa báo cáo"}
    rows = [r for r in rows if r["Tệp nguồn"]]
    accepted = {f["unit"] for f in files.values() if f["status"] != "rejected"}
    assert {(r["Mã nhiệm vụ"], r["% hoàn thành"], r["Giá trị đạt được"]) for r in rows} == \
        {(f"{u}-0{i}", p, a) for u in accepted for i, p, a in ((1, 100, 50), (2, 40, 5))}
    assert len(rows) == 2 * len(accepted) == 2 * (len(expected) - 1)
    from toolkit.store import Store

    with Store(ctx.ws.db_path) as store:
        for sub in store.submissions("progress", "2025-H1"):
            if sub["status"] == "accepted":
                stored = store.query("SELECT COUNT(*) AS n FROM rows WHERE submission_id=?", (sub["id"],))[0]
                assert stored["n"] == 2, sub["file_name"]
        nul = next(s for s in store.submissions("progress", "2025-H1") if s["file_name"] == "nul.xlsx")
        data = store.query("SELECT data FROM rows WHERE submission_id=? AND excel_row=8", (nul["id"],))[0]
        assert json.loads(data["data"])["results"] == "Đã làm xong một phần"
        assert "\x00" in json.loads(data["data"])["_original"]["results"]  # what the unit typed is kept beside it


def test_realworld_corpus_through_the_cli_with_feedback(tmp_path):
    require_realworld()
    files = sorted(p for p in REALWORLD.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"))
    assert len(files) >= 190
    runner = CliRunner()
    ws = tmp_path / "w"
    assert runner.invoke(cli, ["init", str(ws), "--period", "2025"]).exit_code == 0
    inbox = ws / "rounds" / "2025" / "inbox"
    for p in files:
        shutil.copyfile(p, inbox / p.name)
    # three foreign files renamed with a unit code: they get a feedback copy through the same writer
    for p, code in zip([f for f in files if f.suffix == ".xlsx"][:3], ("XLS", "XCP", "XMC")):
        (inbox / p.name).rename(inbox / f"{code}_bao_cao.xlsx")
    started = time.perf_counter()
    r = runner.invoke(cli, ["collect", str(ws), "--period", "2025", "--json"])
    elapsed = time.perf_counter() - started
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 1
    data = json.loads(r.output)
    by_name = {f["file"]: f for f in data["files"]}
    assert len(by_name) == len(files)
    file_level = {"form-unidentified", "file-unreadable", "file-encrypted", "file-not-spreadsheet", "file-too-large",
                  "file-timeout", "file-empty", "file-failed", "unit-unidentified"}
    for name, f in by_name.items():
        assert f["status"] == "rejected", name
        verdict = [i for i in f["issues"] if i["code"] in file_level]
        assert len(verdict) == 1 and verdict[0]["message"] and verdict[0]["hint"], (name, f["issues"])
    fed = [f for f in by_name.values() if f["feedback"]]
    assert {"XLS_bao_cao.xlsx", "XCP_bao_cao.xlsx", "XMC_bao_cao.xlsx"} <= {f["file"] for f in fed}
    assert all(Path(f["feedback"]).is_file() and f["unit"] for f in fed)  # only files of a known unit get one
    for f in fed:
        wb = openpyxl.load_workbook(f["feedback"])
        assert wb.sheetnames[0] == "Lỗi cần sửa"
        assert "không khớp biểu mẫu" in wb["Lỗi cần sửa"]["E5"].value
    assert Path(data["issues_workbook"]).is_file()
    assert elapsed < 60, elapsed
