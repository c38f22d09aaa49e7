"""Issue 18 item 5: the folders of an office. Names Windows forbids or reserves are never produced, two returns
whose names differ only in case keep their own outputs, a workbook open in Excel is read where it is, and
workspaces and inboxes with Vietnamese (NFC and NFD), spaces and long names work end to end."""

from __future__ import annotations

import json
import os
import shutil
import unicodedata
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_return, task

from toolkit.cli import cli
from toolkit.context import load_context
from toolkit.intake.collect import collect
from toolkit.paths import RESERVED, distinct_names, name_key, safe_filename
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.workspace.config import init_workspace
from toolkit.workspace.units import SAMPLE_LEADERS, SAMPLE_UNITS, write_sample_registry


@pytest.mark.parametrize(("name", "safe"), [
    ("CON", "_CON"), ("aux.xlsx", "_aux.xlsx"), ("com1.docx", "_com1.docx"), ("LPT9.tar.gz", "_LPT9.tar.gz"),
    ("nul .txt", "_nul.txt"), ("COM¹.xlsx", "_COM¹.xlsx"), ("CONSOLE.xlsx", "CONSOLE.xlsx"),
    ("bao cao.", "bao cao"), ("bao cao . ", "bao cao"), ('a<b>c:d"e/f\\g|h?i*.xlsx', "a_b_c_d_e_f_g_h_i_.xlsx"),
    ("tab\tnul\x00.xlsx", "tab_nul_.xlsx"), ("...", "tep"), ("", "tep"), ("v1.2 bản mới", "v1.2 bản mới"),
    (unicodedata.normalize("NFD", "Đảng ủy.xlsx"), "Đảng ủy.xlsx"),
])
def test_safe_filename_follows_windows_rules(name, safe):
    assert safe_filename(name) == safe


def test_safe_filename_bounds_length_and_keeps_the_extension():
    name = safe_filename("Báo cáo kết quả thực hiện nhiệm vụ trọng tâm " * 10 + ".xlsx")
    assert len(name) == 120 and name.endswith(".xlsx") and not name[:-5].endswith((" ", "."))
    for reserved in RESERVED:
        assert safe_filename(reserved.lower() + ".xlsx").split(".")[0].upper() not in RESERVED


def test_distinct_names_ignore_case_and_normalisation_like_windows():
    nfd = unicodedata.normalize("NFD", "Hòa_phan_hoi.xlsx")
    names = distinct_names(["BTC.xlsx", "btc.xlsx", "Hòa_phan_hoi.xlsx", nfd, "x.xlsx"], existing=["X.xlsx", "BTC.xlsx"])
    assert names == ["BTC.xlsx", "btc_2.xlsx", "Hòa_phan_hoi.xlsx", nfd[:-5] + "_2.xlsx", "x_2.xlsx"]
    assert len({name_key(n) for n in names}) == len(names)


def test_case_twins_keep_their_own_feedback_copies(ctx):
    """Windows' file systems ignore case: BTC.xlsx and btc.xlsx must not share a feedback copy (here they can
    even sit in one folder; on Windows they come in different subfolders or different collects)."""
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01", area="Sai 1")], name="BTC.xlsx")
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-02", area="Sai 2")], name="btc.xlsx",
                received=date(2025, 1, 21))
    result = collect(open_round(ctx.ws, "2025"))
    copies = {f.file: Path(f.feedback) for f in result.files}
    assert len({name_key(p.name) for p in copies.values()}) == 2
    for source, copy in copies.items():
        listed = [c.value for c in openpyxl.load_workbook(copy)["Lỗi cần sửa"]["A"] if c.value]
        assert any(source in str(v) for v in listed) and copy.exists()
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-03", area="Sai 3")], name="Btc.xlsx",
                received=date(2025, 1, 22))
    later = collect(open_round(ctx.ws, "2025"))
    new = next(Path(f.feedback) for f in later.files if f.file == "Btc.xlsx")
    assert name_key(new.name) not in {name_key(p.name) for p in copies.values()}
    assert len(os.listdir(ctx.ws.round_dir("2025", "feedback"))) == 3


def test_two_returns_of_one_name_in_two_inbox_folders_are_each_judged_from_their_own_bytes(ctx):
    """Collect reads a private copy of each file, the copies side by side: a name met twice (here two districts'
    folders each holding "bao_cao.xlsx") gets a folder of its own, never the other file's copy."""
    inbox = ctx.ws.round_dir(parse_period("2025"), "inbox")
    for folder in ("huyen_a", "huyen_b"):
        (inbox / folder).mkdir()
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="huyen_a/bao_cao.xlsx")
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01"), task("BTC-02")], name="huyen_b/bao_cao.xlsx")
    result = collect(open_round(ctx.ws, "2025"))
    got = {f.file: (f.status, f.unit) for f in result.files}
    assert got == {os.path.join("huyen_a", "bao_cao.xlsx"): ("accepted", "XLS"),
                   os.path.join("huyen_b", "bao_cao.xlsx"): ("accepted", "BTC")}
    rows = ctx.store.rows("registration", "2025")
    assert sorted((r["_unit"], r["task_code"]) for r in rows) == [("BTC", "BTC-01"), ("BTC", "BTC-02"),
                                                                 ("XLS", "XLS-01")]
    archive = ctx.ws.round_dir(parse_period("2025"), "archive")
    assert not (archive / ".dang_doc").exists()  # the private copies are gone with their folders
    kept = sorted(p.name for p in archive.rglob("*.xlsx"))
    assert kept == sorted(f"{f.sha256}.xlsx" for f in result.files) and len(set(kept)) == 2


def test_unit_codes_windows_forbids_never_become_file_names(tmp_path):
    units = [*SAMPLE_UNITS[:2], ("AUX", "Đảng ủy Khối Cơ quan", "Đảng ủy trực thuộc", "TU", "Vũ Văn An", "Bí thư", ""),
             ("ĐU:KCQ", "Đảng ủy Khối Doanh nghiệp", "Đảng ủy trực thuộc", "TU", "Đỗ Thị Bình", "Bí thư", "")]
    write_sample_registry(tmp_path / "don_vi.xlsx", units, [SAMPLE_LEADERS[0]])
    ws = tmp_path / "ws"
    r = CliRunner().invoke(cli, ["init", str(ws), "--units", str(tmp_path / "don_vi.xlsx"), "--period", "2025"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["templates", str(ws), "--form", "registration", "--period", "2025"])
    assert r.exit_code == 0, r.output
    names = sorted(os.listdir(ws / "rounds" / "2025" / "outbox"))
    assert names == ["AUX_dang_ky_2025.xlsx", "BTC_dang_ky_2025.xlsx", "ĐU_KCQ_dang_ky_2025.xlsx"]


def test_a_workbook_open_in_excel_is_read_where_it_is(ctx):
    """Excel keeps ~$name.xlsx beside a workbook it has open and locks the workbook against renaming, moving
    and deleting; Linux cannot take that lock, so the test checks that the collect touches nothing in the
    inbox: same bytes, same inode, same times, same listing, and the owner file skipped."""
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="XLS.xlsx")
    owner = path.with_name("~$XLS.xlsx")
    owner.write_bytes(b"\x0bNguyen Van A" + b" " * 42 + b"\x00" * 108)
    inbox = path.parent
    before = {p.name: (p.read_bytes(), os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in inbox.iterdir()}
    result = collect(open_round(ctx.ws, "2025"))
    after = {p.name: (p.read_bytes(), os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in inbox.iterdir()}
    assert after == before
    got = {f.file: (f.status, [i.code for i in f.issues]) for f in result.files}
    assert got == {"XLS.xlsx": ("accepted", []), "~$XLS.xlsx": ("skipped", ["file-skipped"])}


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_spaces_and_long_names_end_to_end(tmp_path, form):
    """Workspace and inbox paths as offices name them, through the CLI: init, templates, collect (from an inbox
    outside the workspace), merge, report with PDF."""
    def viet(text):
        return unicodedata.normalize(form, text)

    ws = tmp_path / viet("Văn phòng Tỉnh ủy Hòa An") / viet("Đợt báo cáo sơ kết 6 tháng đầu năm 2025 (bản chính thức)")
    inbox = tmp_path / viet("Thư điện tử nhận về") / viet("Tệp các đơn vị gửi Ban Tổ chức, ngày 20 tháng 1")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(ws), "--period", "2025"]).exit_code == 0
    init_workspace(ws).set_period(parse_period("2025"), date(2025, 1, 31))
    ctx = load_context(ws)
    r = runner.invoke(cli, ["templates", str(ws), "--form", "registration", "--period", "2025", "--units", "XLS,XCP"])
    assert r.exit_code == 0, r.output
    for code in ("XLS", "XCP"):
        p = make_return(ctx, "registration", code, "2025", [task(f"{code}-01")],
                        name=viet(f"Báo cáo đăng ký nhiệm vụ {code} năm 2025 - bản cuối cùng đã ký.xlsx"))
        inbox.mkdir(parents=True, exist_ok=True)
        shutil.move(p, inbox / p.name)
    r = runner.invoke(cli, ["collect", str(ws), "--period", "2025", "--inbox", str(inbox), "--json"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(cli, ["merge", str(ws), "--period", "2025"]).exit_code == 0
    r = runner.invoke(cli, ["report", str(ws), "--period", "2025", "--pdf", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["documents"] and all(Path(d).exists() for d in data["documents"])
    if shutil.which("soffice"):
        assert len(data["pdfs"]) == len(data["documents"]), data["pdf_message"]
