"""Issue 9: a hostile corpus generated here (nothing downloaded). Every case: a clear file-level issue or a
correct reading, no traceback, the rest of the round processed, nothing accepted altered, nothing live."""

import io
import os
import random
import time
import zipfile
from datetime import date
from pathlib import Path

import docx
import openpyxl
import xlsxwriter
from conftest import make_return, task
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.intake.collect import collect
from toolkit.outputs.merge import merge
from toolkit.outputs.report import write_reports
from toolkit.panel import xlwings_vba
from toolkit.read import Limits, open_workbook
from toolkit.round import open_round
from toolkit.store import Store

FUZZ = int(os.environ.get("TOOLKIT_FUZZ_EXAMPLES", "25"))
INJECTIONS = ['=HYPERLINK("http://evil.example","bấm")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "-2+3",
              "=1+1", "\t=cmd"]


def _rewrite_zip(src: Path, dst: Path, edit) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = edit(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item.filename, data)


def _by_file(result):
    return {f.file: f for f in result.files}


def test_hostile_corpus_is_reported_and_the_good_file_still_accepted(ctx, tmp_path):
    inbox = ctx.ws.round_dir("2025", "inbox")
    good = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="good.xlsx")
    base = make_return(ctx, "registration", "XCP", "2025", [task("XCP-01")], name="base.xlsx", received=None)
    raw = base.read_bytes()
    base.unlink()
    (inbox / "truncated.xlsx").write_bytes(raw[: len(raw) // 2])
    bad_crc = bytearray(raw)  # the data sheet's CRC-32 no longer matches its content
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    crc = info.CRC.to_bytes(4, "little")
    for pos in (info.header_offset + 14, bytes(bad_crc).rfind(crc)):
        bad_crc[pos:pos + 4] = (info.CRC ^ 0xFFFF).to_bytes(4, "little")
    (inbox / "bad_crc.xlsx").write_bytes(bytes(bad_crc))
    # zip bomb: a tiny file declaring a huge sheet
    with zipfile.ZipFile(inbox / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as zf:
        with zipfile.ZipFile(io.BytesIO(raw)) as src:
            for item in src.infolist():
                if item.filename != "xl/worksheets/sheet2.xml":
                    zf.writestr(item.filename, src.read(item.filename))
        with zf.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as fh:
            chunk = b"<row>" + b"<c><v>1</v></c>" * 4000 + b"</row>"
            for _ in range(6000):
                fh.write(chunk)
    assert (inbox / "bomb.xlsx").stat().st_size < 2_000_000
    # XML entity expansion ("billion laughs") and an external entity
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
           b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
    _rewrite_zip(good, inbox / "entities.xlsx", lambda n, d: lol if n == "xl/worksheets/sheet2.xml" else d)
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><sst><si><t>&e;</t></si></sst>'
    _rewrite_zip(good, inbox / "xxe.xlsx", lambda n, d: xxe if n == "xl/worksheets/sheet2.xml" else d)
    # an encrypted (password-protected) OOXML file is an OLE container with these streams
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1016)
    ole += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    (inbox / "mat_khau.xlsx").write_bytes(bytes(ole))
    # things pretending to be workbooks
    d = docx.Document()
    d.add_paragraph("không phải bảng tính")
    d.save(inbox / "word.xlsx")
    (inbox / "data.xlsx").write_text("ma,ten\nXLS,Lương Sơn\n", encoding="utf-8")
    (inbox / "scan.xlsx").write_bytes(b"%PDF-1.7\n%\xe2\xe3")
    (inbox / "empty.xlsx").write_bytes(b"")
    (inbox / "random.xls").write_bytes(random.Random(7).randbytes(4096))
    started = time.perf_counter()
    result = collect(open_round(ctx.ws, "2025"))
    assert time.perf_counter() - started < 60
    got = {name: [i.code for i in f.issues] for name, f in _by_file(result).items()}
    assert got["truncated.xlsx"] == ["file-unreadable"]
    assert got["bad_crc.xlsx"] == ["file-unreadable"]
    assert got["bomb.xlsx"] == ["file-too-large"]
    assert got["entities.xlsx"] == got["xxe.xlsx"] == ["file-unreadable"]
    assert "DTD/ENTITY" in _by_file(result)["xxe.xlsx"].issues[0].message
    assert got["mat_khau.xlsx"] == ["file-encrypted"]
    assert got["word.xlsx"] == got["data.xlsx"] == got["scan.xlsx"] == ["file-not-spreadsheet"]
    assert got["empty.xlsx"] == ["file-empty"]
    assert got["random.xls"] == ["file-not-spreadsheet"]  # no OLE, zip or BIFF signature
    assert _by_file(result)["good.xlsx"].status == "accepted"
    assert all(i.message and i.file for f in result.files for i in f.issues)


def test_macros_and_external_links_are_ignored_not_run(ctx):
    src = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="src.xlsx", received=None)
    inbox = src.parent
    wb = openpyxl.load_workbook(src)
    wb.save(inbox / "tmp.xlsx")
    src.unlink()

    def edit(name, data):
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", b'<Override PartName="/xl/externalLinks/externalLink1.xml" '
                                b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                b'externalLink+xml"/></Types>')
        return data

    _rewrite_zip(inbox / "tmp.xlsx", inbox / "macro.xlsm", edit)
    (inbox / "tmp.xlsx").unlink()
    with zipfile.ZipFile(inbox / "macro.xlsm", "a") as zf:
        zf.writestr("xl/vbaProject.bin", xlwings_vba())
        zf.writestr("xl/externalLinks/externalLink1.xml", b'<externalLink xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><externalBook/></externalLink>')
    os.utime(inbox / "macro.xlsm", (date(2025, 1, 10).toordinal(),) * 2)
    f = _by_file(collect(open_round(ctx.ws, "2025")))["macro.xlsm"]
    assert sorted(i.code for i in f.issues if i.code != "late-submission") == ["external-links", "macros-ignored"]
    assert (f.status, f.unit) == ("warnings", "XLS")
    fb = Path(f.feedback)
    assert fb.suffix == ".xlsx"
    with zipfile.ZipFile(fb) as zf:
        names = zf.namelist()
    assert not any("vbaProject" in n or "externalLink" in n for n in names)


def test_huge_sheets_long_cells_control_characters(ctx):
    path = make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="tall.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Nhiệm vụ"]["A1048576"] = "cuối"
    wb.save(path)
    wide = make_return(ctx, "registration", "XMC", "2025", [task("XMC-01")], name="wide.xlsx")
    wb = openpyxl.load_workbook(wide)
    wb["Nhiệm vụ"]["XFD7"] = "cột cuối"
    wb.save(wide)
    from toolkit.outputs.templates import build_template
    from toolkit.periods import parse_period

    ctrl = ctx.ws.round_dir("2025", "inbox") / "ctrl.xlsx"  # xlsxwriter stores control characters as _x0007_
    build_template(ctrl, ctx.form("registration"), ctx.registry.units["XCP"], parse_period("2025"),
                   date(2025, 1, 31), ctx.registry,
                   prefill={"tasks": [task("XCP-01", title="x" * 32767, note="Ghi chú\x07 có ký tự\x1f điều khiển")]})
    started = time.perf_counter()
    result = _by_file(collect(open_round(ctx.ws, "2025")))
    assert time.perf_counter() - started < 30
    assert [i.code for i in result["tall.xlsx"].issues if i.is_error] == ["rows-truncated"]
    assert [(i.code, i.cell) for i in result["wide.xlsx"].issues if i.code != "late-submission"] == \
        [("column-extra", "XFD7")]
    codes = sorted((i.code, i.cell) for i in result["ctrl.xlsx"].issues if i.code != "late-submission")
    assert codes == [("control-characters", "O7"), ("text-too-long", "D7")]
    with Store(ctx.ws.db_path) as store:
        [row] = [r for r in store.rows("registration", "2025", "tasks") if r["_unit"] == "XCP"]
    assert len(row["title"]) == 1000 and row["note"] == "Ghi chú có ký tự điều khiển"
    from toolkit.text import clean_text

    assert clean_text("a\ud800b\x00c") == ("abc", True)


def test_formula_injection_never_becomes_live(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task(f"XLS-0{i}", title=f"Nhiệm vụ {i}", note=s)
                                                      for i, s in enumerate(INJECTIONS, start=1)])
    collect(open_round(ctx.ws, "2025"))
    prefill = {"progress": [{"task_code": f"XLS-0{i}"} for i in range(1, len(INJECTIONS) + 1)]}
    rows = [{"status": "Đang thực hiện – đúng tiến độ", "percent": 50, "results": s, "proposals": s} for s in INJECTIONS]
    make_return(ctx, "progress", "XLS", "2025-H1", rows, prefill=prefill, received=date(2025, 7, 1))
    collect(open_round(ctx.ws, "2025-H1"))
    m = merge(open_round(ctx.ws, "2025-H1"))
    with zipfile.ZipFile(m.path) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml  # no formula anywhere in the consolidated workbook
    wb = openpyxl.load_workbook(m.path)
    values = {c.value for r in wb["Kiến nghị"].iter_rows(min_row=2) for c in r}
    assert set(s.strip() for s in INJECTIONS) <= values
    reg = merge(open_round(ctx.ws, "2025"))
    with zipfile.ZipFile(reg.path) as zf:
        assert b"<f>" not in b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    from toolkit.outputs.score import score

    score(open_round(ctx.ws, "2025-H1"))
    docs = write_reports(open_round(ctx.ws, "2025-H1")).documents
    text = "\n".join(p.text for p in docx.Document(next(d for d in docs if "bao_cao" in d)).paragraphs)
    assert '=HYPERLINK("http://evil.example","bấm")' in text
    with zipfile.ZipFile(next(d for d in docs if "bao_cao" in d)) as zf:
        assert b"evil.example" not in zf.read("word/_rels/document.xml.rels")


def test_odd_file_names_stay_inside_the_round(ctx):
    inbox = ctx.ws.round_dir("2025", "inbox")
    odd = ["..%2F..%2Fx.xlsx", "x..y.xlsx", "báo cáo\u202egpj.xlsx", "Ba\u0301o ca\u0301o NFD.xlsx", "a" * 200 + ".xlsx"]
    for i, name in enumerate(odd):
        make_return(ctx, "registration", ["XLS", "XCP", "XMC", "XTL", "XLT"][i], "2025",
                    [task(f"T{i}", area="Sai")], name=name)
    (inbox / "._x.xlsx").write_bytes(b"\x00\x05\x16\x07")  # macOS resource fork: skipped as a hidden file
    result = collect(open_round(ctx.ws, "2025"))
    feedback_dir = ctx.ws.round_dir("2025", "feedback").resolve()
    assert len(result.files) == len(odd) + 1
    assert _by_file(result)["._x.xlsx"].status == "skipped"
    for f in result.files:
        if f.status == "skipped":
            continue
        assert f.status == "rejected" and Path(f.feedback).resolve().parent == feedback_dir
    assert not (ctx.ws.root / "rounds" / "x.xlsx").exists()


def test_duplicates_other_period_other_form_old_version(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")], name="a.xlsx", received=date(2025, 1, 10))
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", target=60)], name="b.xlsx",
                received=date(2025, 1, 12))
    other = make_return(ctx, "progress", "XCP", "2025-H1", [{"task_code": "X", "status": "Chưa triển khai",
                                                               "percent": 0}], name="c.xlsx")
    os.replace(other, ctx.ws.round_dir("2025", "inbox") / "c.xlsx")
    old = make_return(ctx, "registration", "XMC", "2025", [task("XMC-01")], name="old.xlsx")
    wb = openpyxl.load_workbook(old)
    for row in wb["_meta"].iter_rows():
        if row[0].value == "form_version":
            row[1].value = "0"
    wb.save(old)
    os.utime(old, (date(2025, 1, 5).toordinal(),) * 2)
    files = _by_file(collect(open_round(ctx.ws, "2025")))
    assert [i.code for i in files["b.xlsx"].issues] == ["duplicate-submission", "resubmission"]
    assert [i.code for i in files["c.xlsx"].issues] == ["form-period-mismatch"]  # a 6-month report in a year
    assert "không dùng cho kỳ 2025" in files["c.xlsx"].issues[0].message
    assert "form-version-old" in [i.code for i in files["old.xlsx"].issues]
    assert files["old.xlsx"].status == "warnings"
    wrong_form = make_return(ctx, "breakthrough", "XTL", "2025", [], name="d.xlsx")
    assert [i.code for i in _by_file(collect(open_round(ctx.ws, "2025", "registration")))["d.xlsx"].issues] == \
        ["form-mismatch"]
    with Store(ctx.ws.db_path) as store:
        active = [s["file_name"] for s in store.submissions("registration", "2025") if s["active"]]
    assert sorted(active) == ["b.xlsx", "old.xlsx"]
    assert wrong_form.exists()


def test_archive_is_read_only_and_never_altered(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    collect(open_round(ctx.ws, "2025"))
    with Store(ctx.ws.db_path) as store:
        [sub] = store.submissions()
    archived = Path(sub["archived_path"])
    assert oct(archived.stat().st_mode & 0o777) == "0o444"
    before = archived.read_bytes()
    collect(open_round(ctx.ws, "2025"))
    assert archived.read_bytes() == before


# --- property-based fuzzing ------------------------------------------------------------------------

cell = st.one_of(st.none(), st.text(max_size=40), st.integers(-10**12, 10**12),
                 st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                 st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)))


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, max_size=18), max_size=25), header_at=st.integers(0, 12),
       sheet=st.sampled_from(["Nhiệm vụ", "Sheet1", "Tiến độ", "x"]))
def test_fuzz_generated_workbooks_never_raise(ctx, rows, header_at, sheet):
    from toolkit.intake.validate import parse_workbook
    from toolkit.periods import parse_period

    path = ctx.ws.root / "fuzz.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet)
    titles = [c.title for c in ctx.form("registration").main.columns]
    ws.write_row(header_at, 0, titles[: 5 + header_at])
    for r, row in enumerate(rows, start=header_at + 1):
        for c, v in enumerate(row):
            if isinstance(v, date):
                ws.write_datetime(r, c, __import__("datetime").datetime(v.year, v.month, v.day))
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    book = open_workbook(path, Limits())
    sub = parse_workbook(book, ctx, None, parse_period("2025"))
    assert all(i.code for i in sub.issues)


@settings(max_examples=FUZZ + 5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_byte_flips_in_a_real_template_never_raise(ctx, flips):
    src = ctx.ws.root / "tpl.xlsx"
    if not src.exists():
        from toolkit.outputs.templates import build_template
        from toolkit.periods import parse_period

        build_template(src, ctx.form("progress"), ctx.registry.units["XLS"], parse_period("2025-H1"),
                       date(2025, 7, 10), ctx.registry)
    data = bytearray(src.read_bytes())
    for pos, value in flips:
        data[pos % len(data)] = value
    path = ctx.ws.root / "flipped.xlsx"
    path.write_bytes(bytes(data))
    book = open_workbook(path, Limits(timeout_s=10))
    from toolkit.intake.validate import parse_workbook
    from toolkit.periods import parse_period

    parse_workbook(book, ctx, None, parse_period("2025-H1"))


def _formula_and_legacy_font_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws["A1"], ws["B1"] = "Mã", "Tên"
    ws["A2"], ws["B2"] = "NV-01", "=A2&\"x\""  # openpyxl keeps no computed value: calamine reads it empty
    ws["A3"] = "Hoµn thµnh"  # typed in a TCVN3 font
    ws["A3"].font = openpyxl.styles.Font(name=".VnTime")
    wb.save(path)
    return path


def test_the_package_s_parts_are_read_once_for_fonts_and_formulas(tmp_path, monkeypatch):
    """check_zip decompresses every part anyway: the styles, the workbook and the sheets are kept as it reads them, so
    the font and formula passes read them from there, not from the file again; a part beyond the budget is read from
    the file, with the same findings."""
    import toolkit.read as read_module

    path = _formula_and_legacy_font_book(tmp_path / "don_vi.xlsx")
    opened = []
    real = read_module.zipfile.ZipFile
    monkeypatch.setattr(read_module.zipfile, "ZipFile", lambda *a, **k: (opened.append(a[0]), real(*a, **k))[1])

    def findings():
        opened.clear()
        sheet = open_workbook(path, Limits()).sheets["Nhiệm vụ"]
        return sheet.uncached, sheet.fonts, len(opened)

    uncached, fonts, kept_opens = findings()
    assert uncached == {(2, 2)} and fonts == {(3, 1): ("tcvn3", ".VnTime")}
    monkeypatch.setattr(read_module.Package, "KEEP_MB", 0)  # nothing kept: read from the file as before
    assert findings() == (uncached, fonts, kept_opens + 1)


def test_a_part_named_twice_is_read_as_zipfile_reads_it(tmp_path, monkeypatch):
    """A crafted package with a part twice: what is read of it is the one zipfile (and so calamine) reads, the last,
    whether it is kept or, beyond what is kept, read from the file."""
    import warnings

    from toolkit.read import Package, check_zip

    path = _formula_and_legacy_font_book(tmp_path / "hai_lan.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    computed = sheet.replace(b"</f><v></v>", b"</f><v>NV-01x</v>").replace(  # the last copy: the value computed,
        b"<sheetData>", b"<!--" + b" " * (2 << 20) + b"--><sheetData>")       # and 2 MB long
    assert computed != sheet
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # (zipfile warns of the duplicate name)
        for name, data in parts.items():
            zf.writestr(name, data)
        zf.writestr("xl/styles.xml", parts["xl/styles.xml"].replace(b".VnTime", b"Arial"))
        zf.writestr("xl/worksheets/sheet1.xml", computed)
    package = Package(path)
    assert check_zip(path, Limits(), package) == []
    with zipfile.ZipFile(path) as zf:
        for part in ("xl/styles.xml", "xl/worksheets/sheet1.xml"):
            assert package.read(part) == zf.read(part) and part in package.kept
    read = open_workbook(path, Limits()).sheets["Nhiệm vụ"]
    assert read.fonts == {} and read.uncached == set()
    monkeypatch.setattr(Package, "KEEP_MB", 1)  # the last copy of the sheet beyond it: read from the file
    package = Package(path)
    check_zip(path, Limits(), package)
    assert "xl/worksheets/sheet1.xml" not in package.kept and "xl/styles.xml" in package.kept
    assert package.read("xl/worksheets/sheet1.xml") == computed
    read = open_workbook(path, Limits()).sheets["Nhiệm vụ"]
    assert read.fonts == {} and read.uncached == set()
