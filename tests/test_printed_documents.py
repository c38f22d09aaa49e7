"""What goes in front of the Standing Committee, as printed: charts, Word documents and workbooks of a year run
through the CLI by the office of an invented district (Huyện ủy Trà Bồng Hạ, tỉnh Quảng Sơn), whose unit codes
carry dots and dashes. Each test reopens an output: the chart's data and font, the documents' page numbering,
rows that may not split, signature blocks, the term report's watch list, and the workbooks' print set-up."""

from __future__ import annotations

import json
import warnings
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import docx_text
from test_district_year import bt, fill, invoke, outbox, prog, reg

from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("TBH", "Huyện ủy Trà Bồng Hạ", "Huyện", "", "Hồ Văn Trà", "Bí thư Huyện ủy", "vp@trabongha.dcs.vn"),
    ("X.DMA", "Đảng ủy xã Đăk Mỹ An", "Xã", "TBH", "Đinh Văn Mỹ", "Bí thư Đảng ủy", "dma@trabongha.dcs.vn"),
    ("X.SLU", "Đảng ủy xã Sơn Lữ", "Xã", "TBH", "Hồ Thị Lữ", "Bí thư Đảng ủy", "slu@trabongha.dcs.vn"),
    ("B-TC", "Ban Tổ chức Huyện ủy", "Ban đảng", "TBH", "Phạm Ngọc Ứng", "Trưởng ban", "btc@trabongha.dcs.vn"),
    ("DU-QS", "Đảng ủy Quân sự huyện", "Đảng ủy", "TBH", "Nguyễn Hữu Dũng", "Bí thư Đảng ủy", "qs@trabongha.dcs.vn"),
]
LEADERS = [
    ("LD-01", "Đinh Văn Mỹ", "Bí thư Đảng ủy xã Đăk Mỹ An", "X.DMA", "có"),
    ("LD-02", "Hồ Thị Lữ", "Bí thư Đảng ủy xã Sơn Lữ", "X.SLU", "có"),
    ("LD-03", "Phạm Ngọc Ứng", "Trưởng Ban Tổ chức Huyện ủy", "B-TC", "có"),
    ("LD-04", "Nguyễn Hữu Dũng", "Bí thư Đảng ủy Quân sự huyện", "DU-QS", "có"),
]
ON = "Đang thực hiện – đúng tiến độ"
CAUSE = "Thiếu nguồn lực (kinh phí, nhân lực)"
LONG = ("Rà soát, sắp xếp, kiện toàn tổ chức bộ máy các chi bộ thôn, tổ dân phố gắn với nâng cao chất lượng sinh "
        "hoạt chi bộ theo hướng dẫn của Ban Tổ chức Trung ương, bảo đảm mỗi chi bộ có ít nhất 10 đảng viên chính thức, "
        "hoàn thành việc kiện toàn cấp ủy chi bộ trước đại hội nhiệm kỳ mới ({n})")


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The district's term round, its registration (with work items) and its year end, all through the CLI."""
    tmp = tmp_path_factory.mktemp("tra_bong_ha")
    registry = tmp / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp / "Huyện ủy Trà Bồng Hạ"
    invoke("init", ws, "--office", "Huyện ủy Trà Bồng Hạ", "--parent-body", "Đảng bộ tỉnh Quảng Sơn", "--units",
           registry, "--signer", "Hồ Văn Trà", "--signer-title", "Bí thư", "--period", "2026-2030", "--period",
           "2026", "--period", "2026-Y", "--deadline", "2026-2030=31/03/2026", "--deadline", "2026=31/01/2026",
           "--deadline", "2026-Y=10/01/2027")
    # the term: breakthrough tasks, one due in mid-2026 and reported behind at the year end
    invoke("templates", ws, "--form", "breakthrough", "--period", "2026-2030")
    tpl, inbox = outbox(ws, "2026-2030"), ws / "rounds/2026-2030/inbox"
    fill(tpl["X.DMA"], inbox / "X.DMA.xlsx", date(2026, 3, 10), [
        bt("DP-DMA-01", "LD-01", "Hoàn thành 8 km đường giao thông nông thôn xã Đăk Mỹ An", 8, "km", date(2026, 6, 30))])
    fill(tpl["B-TC"], inbox / "B-TC.xlsx", date(2026, 3, 12), [
        bt("DP-TC-01", "LD-03", "Sắp xếp 20 chi bộ thôn có dưới 10 đảng viên", 20, "chi bộ", date(2028, 12, 31))])
    invoke("collect", ws, "--period", "2026-2030")
    # the registration of 2026, with work items coded by the unit's code
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    tpl, inbox = outbox(ws, "2026"), ws / "rounds/2026/inbox"
    fill(tpl["X.DMA"], inbox / "X.DMA.xlsx", date(2026, 1, 20), [
        reg("DMA-01", "Kết nạp 12 đảng viên mới ở xã Đăk Mỹ An", date(2026, 6, 30), "LD-01", target=12,
            measure="đảng viên"),
        reg("DMA-02", "Xây dựng 2 mô hình dân vận khéo ở xã Đăk Mỹ An", date(2026, 11, 30), "LD-01", target=2,
            measure="mô hình"),
        reg("DMA-03", "Hòa giải thành 6 vụ việc tranh chấp đất đai kéo dài", date(2026, 9, 30), "LD-01", target=6,
            measure="vụ việc")],
        extra=("Đầu việc", [{"Mã đầu việc": "X.DMA/M-01.1", "Mã nhiệm vụ": "DMA-01",
                             "Nội dung đầu việc": "Rà soát quần chúng ưu tú, lập danh sách cảm tình đảng",
                             "Lộ trình": "Quý I rà soát, quý II kết nạp", "Người/bộ phận phụ trách": "Chi bộ các thôn",
                             "Thời hạn": date(2026, 6, 30)}]))
    fill(tpl["X.SLU"], inbox / "X.SLU.xlsx", date(2026, 1, 22), [
        reg(f"SLU-{i:02d}", LONG.format(n=i), date(2026, 10, 31), "LD-02", target=i + 1, measure="chi bộ")
        for i in range(1, 13)])
    fill(tpl["B-TC"], inbox / "B-TC.xlsx", date(2026, 1, 25), [
        reg("TC-01", "Thẩm định 30 hồ sơ nhân sự cấp ủy cơ sở", date(2026, 8, 31), "LD-03", target=30, measure="hồ sơ")])
    invoke("collect", ws, "--period", "2026")  # DU-QS never registers
    invoke("report", ws, "--period", "2026")
    # the year end
    invoke("templates", ws, "--form", "progress", "--period", "2026-Y")
    tpl, inbox = outbox(ws, "2026-Y"), ws / "rounds/2026-Y/inbox"
    fill(tpl["X.DMA"], inbox / "X.DMA.xlsx", date(2027, 1, 5), [
        prog("DMA-01", "Hoàn thành", 100, 12, completed=date(2026, 8, 20)),  # done, but late (due 30/06)
        prog("DMA-02", "Hoàn thành", 100, 2, completed=date(2026, 11, 15)),
        dict(prog("DMA-03", "Chậm tiến độ", 50, 3), **{"Nguyên nhân chậm": CAUSE}),  # overdue
        dict(prog("DP-DMA-01", "Chậm tiến độ", 60, 5), **{"Nguyên nhân chậm": CAUSE})], by_code=True)
    fill(tpl["X.SLU"], inbox / "X.SLU.xlsx", date(2027, 1, 6), [
        prog(f"SLU-{i:02d}", "Hoàn thành", 100, i + 1, completed=date(2026, 10, 1)) for i in range(1, 13)],
        by_code=True)
    fill(tpl["B-TC"], inbox / "B-TC.xlsx", date(2027, 1, 7), [
        prog("TC-01", "Hoàn thành", 100, 30, completed=date(2026, 9, 15)),
        prog("DP-TC-01", ON, 40, 8)], by_code=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = invoke("run", ws, "--period", "2026-Y")
        invoke("term", ws, "--period", "2026-2030")
        invoke("report", ws, "--period", "2026-2030")  # the breakthrough report, with the latest states
    return {"ws": ws, "warnings": [str(w.message) for w in caught], "run": run}



# --- item 7: Vietnamese letters in charts ------------------------------------------------------------------

def test_charts_draw_every_vietnamese_letter_without_warning(year):
    from toolkit.charts import VIETNAMESE, missing_letters

    assert not [w for w in year["warnings"] if "Glyph" in w or "missing from" in w]
    data = json.loads((year["ws"] / "rounds/2026-Y/output/van_ban/_bieu_do/tinh_hinh_thuc_hien.json").read_text("utf-8"))
    drawn = "".join(d["unit"] for d in data["units"]) + "".join(data["categories"].values())
    assert "Đăk Mỹ An" in drawn
    assert missing_letters(data["font"], drawn + VIETNAMESE) == ""  # the font drawn in has every letter


def test_a_font_without_vietnamese_is_passed_over(monkeypatch, tmp_path):
    """A preferred family that resolves to a file lacking Vietnamese (as Debian's Liberation 1.07 does) is skipped;
    drawing the chart then raises no glyph warning (turned into an error here)."""
    import pandas as pd

    from toolkit.charts import missing_letters
    from toolkit.outputs import report

    assert missing_letters("cmr10", "Tình hình thực hiện") != ""  # shipped with matplotlib, Latin only
    monkeypatch.setattr(report, "CHART_FONTS", ["cmr10", "DejaVu Serif"])
    df = pd.DataFrame({"_unit_name": ["Đảng ủy xã Ỹ Lữ", "Ban Tổ chức"], "_state": ["done_late", "overdue"],
                       "_on_track": [False, False], "_judged": [True, True], "_late": [True, True]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images = report._draw_charts(tmp_path, report.unit_chart_data(df), [("Thiếu nguồn lực (kinh phí, nhân lực)", 1)],
                                     df.empty)
    assert Path(images["chart_units"]).stat().st_size > 5000
    assert json.loads((tmp_path / "tinh_hinh_thuc_hien.json").read_text("utf-8"))["font"] == "DejaVu Serif"


def test_chart_labels_keep_whole_words_and_every_unit_its_bar(monkeypatch, tmp_path):
    """A cause longer than a line is drawn on two lines of whole words (it was cut at 45 characters mid-word: "… ý
    kiến của trung ương, bộ ngàn"); a unit's name too long for its label ends with "…" after a whole word (a code
    with a hyphen is a word); two units whose names would read alike once shortened keep their last words, and a bar
    each (bars placed by name drew them as one)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from toolkit.outputs import report

    drawn = []
    real = plt.subplots
    monkeypatch.setattr(plt, "subplots", lambda *a, **k: drawn.append(real(*a, **k)) or drawn[-1])
    long_a = "Ban Tuyên giáo và Dân vận Huyện ủy huyện Krông Pắc (cơ quan A)"
    long_b = "Ban Tuyên giáo và Dân vận Huyện ủy huyện Krông Pắc (cơ quan B)"
    hyphen = "Đảng ủy Khối cơ quan tỉnh Bà Rịa-Vũng Tàu (mới)"
    df = pd.DataFrame({"_unit_name": [long_a, long_b, "Đảng ủy xã Ea Tân", hyphen],
                       "_state": ["done_late", "overdue", "overdue", "overdue"], "_on_track": [False] * 4})
    cause = "Chưa nhận được hướng dẫn, ý kiến của trung ương, bộ ngành liên quan"
    report._draw_charts(tmp_path, report.unit_chart_data(df), [(cause, 2), ("Thiếu kinh phí", 1)], df.empty)
    (_, units), (_, causes) = drawn
    names = [t.get_text() for t in units.get_yticklabels()]
    assert sorted(names) == ["Ban Tuyên giáo và … Pắc (cơ quan A)", "Ban Tuyên giáo và … Pắc (cơ quan B)",
                             "Đảng ủy Khối cơ quan tỉnh Bà …", "Đảng ủy xã Ea Tân"]
    assert len({round(p.get_y(), 3) for p in units.patches}) == 4  # a bar for each of the four units
    labels = [t.get_text() for t in causes.get_yticklabels()]
    assert labels == ["Thiếu kinh phí", "Chưa nhận được hướng dẫn, ý kiến của trung\nương, bộ ngành liên quan"]
    assert [p.get_width() for p in causes.patches] == [1, 2]


def test_a_dollar_sign_in_a_name_or_a_cause_is_drawn_as_typed(monkeypatch, tmp_path):
    """matplotlib reads text between two "$" as maths notation: a unit's name or a cause holding "$b_$" stopped the
    report with a parse error, and "$100$" was drawn in italics without its "$". Both are drawn as typed."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from toolkit.outputs import report

    drawn = []
    real = plt.subplots
    monkeypatch.setattr(plt, "subplots", lambda *a, **k: drawn.append(real(*a, **k)) or drawn[-1])
    df = pd.DataFrame({"_unit_name": ["Chi bộ $b_$ c", "Đảng ủy xã Ea Tân"], "_state": ["overdue", "done_late"],
                       "_on_track": [False, False]})
    images = report._draw_charts(tmp_path, report.unit_chart_data(df),
                                 [("Thiếu kinh phí (dưới $100$ đồng)", 2), ("Chờ $\\frac$ ý kiến", 1)], df.empty)
    (_, units), (_, causes) = drawn
    assert sorted(t.get_text() for t in units.get_yticklabels()) == ["Chi bộ $b_$ c", "Đảng ủy xã Ea Tân"]
    assert [t.get_text() for t in causes.get_yticklabels()] == ["Chờ $\\frac$ ý kiến", "Thiếu kinh phí (dưới $100$ đồng)"]
    assert not any(t.get_parse_math() for ax in (units, causes) for t in ax.get_yticklabels())
    assert all(Path(images[k]).stat().st_size > 5000 for k in ("chart_units", "chart_causes"))


# --- item 8: one task, one category in the per-unit chart --------------------------------------------------

def test_unit_chart_counts_each_task_once(year):
    ws = year["ws"]
    data = json.loads((ws / "rounds/2026-Y/output/van_ban/_bieu_do/tinh_hinh_thuc_hien.json").read_text("utf-8"))
    units = {d["unit"]: d for d in data["units"]}
    cats = list(data["categories"])
    # Đăk Mỹ An: DMA-01 done late, DMA-02 on time, DMA-03 and DP-DMA-01 overdue (due 30/09 and 30/06)
    assert {k: units["Đảng ủy xã Đăk Mỹ An"][k] for k in cats} == {
        "done_on_time": 1, "done_late": 1, "on_track": 0, "late": 2, "not_reported": 0}
    # Ban Tổ chức: TC-01 due 31/08, done 15/09 (late); DP-TC-01 (due 2028) on track
    assert {k: units["Ban Tổ chức Huyện ủy"][k] for k in cats} == {
        "done_on_time": 0, "done_late": 1, "on_track": 1, "late": 0, "not_reported": 0}
    report = docx_text(ws / "rounds/2026-Y/output/van_ban/bao_cao_tong_hop_2026-Y.docx")
    for d in data["units"]:
        assert sum(d[k] for k in cats) == d["tasks"]  # bars end at the unit's task count
        assert f"| {d['unit']} | {d['tasks']} |" in report  # the count of the table under the chart



# --- item 9: the term report names what needs the committee's attention -------------------------------------

def test_term_report_names_overdue_tasks_in_section_three(year):
    text = docx_text(year["ws"] / "rounds/2026-2030/output/van_ban/bao_cao_nhiem_ky_2026-2030.docx")
    lines = text[text.index("III. NHỮNG VẤN ĐỀ CẦN LƯU Ý"):].splitlines()[1:]
    section = "\n".join(lines[:next(i for i, line in enumerate(lines) if not line.startswith(("- ", "Không có")))])
    assert "Không có." not in section
    # DP-DMA-01 was due 30/06/2026 and reported behind at the year end: overdue
    assert ('Đinh Văn Mỹ – Bí thư Đảng ủy xã Đăk Mỹ An: việc "Hoàn thành 8 km đường giao thông nông thôn xã Đăk Mỹ '
            'An" (thời hạn 30/06/2026) — quá hạn, chưa hoàn thành.') in section
    assert "| 30/06/2026 | 2026: Quá hạn, chưa hoàn thành | Quá hạn, chưa hoàn thành" in text  # section II
    assert "Sắp xếp 20 chi bộ" not in section  # on track: nothing to watch
    text = docx_text(year["ws"] / "rounds/2026-2030/output/van_ban/bao_cao_viec_dot_pha_2026-2030.docx")
    lines = text[text.index("III. NHỮNG VẤN ĐỀ CẦN LƯU Ý"):].splitlines()[1:]
    assert lines[0] == ('- Đinh Văn Mỹ – Bí thư Đảng ủy xã Đăk Mỹ An: việc "Hoàn thành 8 km đường giao thông nông thôn '
                        'xã Đăk Mỹ An" (thời hạn 30/06/2026) — quá hạn, chưa hoàn thành (tổng kết năm 2026).')



# --- item 10: the Party's document format ---------------------------------------------------------------------

def test_every_document_numbers_its_pages_from_page_two(year):
    docs = sorted(year["ws"].rglob("van_ban/**/*.docx"))
    kinds = {p.name.split("_20")[0].rstrip("_").split("_X")[0] for p in docs}
    assert len(docs) >= 14 and {"bao_cao_tong_hop", "bao_cao_nhiem_ky", "ban_cam_ket"} <= kinds
    for path in docs:
        body = _xml(path)
        assert "<w:titlePg/>" in body, path.name  # a first page of its own: no number on it
        with zipfile.ZipFile(path) as zf:
            headers = {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("word/header")}
        numbered = [n for n, x in headers.items() if 'w:instr="PAGE"' in x]
        assert len(numbered) == 1, path.name
        first = [n for n in headers if n not in numbered]
        assert first and all("PAGE" not in headers[n] for n in first)


def test_table_rows_are_never_split_across_pages(year):
    import re

    for path in sorted(year["ws"].rglob("van_ban/**/*.docx")):
        rows = re.findall(r"<w:tr[ >].*?</w:tr>", _xml(path), flags=re.DOTALL)
        assert rows and all("<w:cantSplit/>" in r for r in rows), path.name


def test_commitment_signed_by_the_configured_signer_and_codes_kept_whole(year):
    import docx

    path = year["ws"] / "rounds/2026/output/van_ban/ban_cam_ket/ban_cam_ket_X.DMA_2026.docx"
    d = docx.Document(path)
    rows = d.tables[-1].rows
    left = [p.text for row in rows for p in row.cells[0].paragraphs if p.text]
    right = [p.text for row in rows for p in row.cells[1].paragraphs if p.text]
    assert [p.text for p in rows[1].cells[0].paragraphs].index("Hồ Văn Trà") == \
        [p.text for p in rows[1].cells[1].paragraphs].index("Đinh Văn Mỹ")  # the two names on one line
    assert left == ["T/M BAN THƯỜNG VỤ HUYỆN ỦY TRÀ BỒNG HẠ", "BÍ THƯ", "Hồ Văn Trà"]  # init --signer(-title)
    assert right == ["BÍ THƯ ĐẢNG ỦY", "Đinh Văn Mỹ"]
    items = d.tables[-2]
    assert items.rows[1].cells[0].text == "X.DMA/M-01.1"
    assert "<w:noWrap/>" in items.rows[1].cells[0]._tc.xml  # the code column never breaks a code
    assert items.columns[0].width >= 2.5 * 360000  # room for a code of 12 characters at 11 pt


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice not installed")
def test_a_scorecard_of_a_few_tasks_prints_on_one_page(year, tmp_path):
    import re

    from toolkit.outputs.pdf import to_pdf

    cards = sorted((year["ws"] / "rounds/2026-Y/output/van_ban").glob("phieu_danh_gia_*/*.docx"))
    pdfs, _ = to_pdf(cards, tmp_path)
    pages = {p.stem: max(int(n) for n in re.findall(rb"/Count (\d+)", p.read_bytes())) for p in pdfs}
    # X.SLU has 12 tasks of ~50 words each: it may run on; every other scorecard fits its page
    assert {k: v for k, v in pages.items() if not k.startswith(("X.SLU", "LD-02"))} == {
        "B-TC_2026-Y": 1, "X.DMA_2026-Y": 1, "LD-01_2026-Y": 1, "LD-03_2026-Y": 1}, pages



# --- item 11: workbooks readable on A4 as printed -----------------------------------------------------------------

def _printed_width(sheet) -> float:
    from openpyxl.utils import column_index_from_string

    area = sheet.print_area
    last = column_index_from_string(area.split(":")[-1].replace("$", "").rstrip("0123456789")) if area \
        else sheet.max_column
    widths = {}
    for dim in sheet.column_dimensions.values():  # xlsxwriter groups equal columns: <col min="4" max="8" ...>
        for c in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
            widths[c] = (dim.width or 8.43) - 0.71  # the padding Excel adds to a width in characters
    return sum(widths.get(c, 8.43) for c in range(1, last + 1))


def _assert_readable(path):
    """Every sheet prints on A4 at 70 % or more of its size: the pages across it is fitted to hold its width; and
    its notes are not cut at the page's edge (_assert_notes_fit)."""
    wb = openpyxl.load_workbook(path)
    for sheet in wb.worksheets:
        setup = sheet.page_setup
        assert setup.paperSize in (9, "9"), (path.name, sheet.title)
        across = int(setup.fitToWidth or 1) if sheet.sheet_properties.pageSetUpPr.fitToPage else 1
        per_page = 150 if setup.orientation == "landscape" else 100
        assert _printed_width(sheet) <= across * per_page / 0.7 + 1, (path.name, sheet.title, across)
        _assert_notes_fit(path.name, sheet)
    return wb


def _assert_notes_fit(name: str, sheet) -> int:
    """A note above a table (italic, in its first rows) longer than its cell is wrapped within the printed columns, in
    a row as high as its lines: left in one cell, it runs on over the empty cells on screen and the printed page cuts
    it at its right edge. Returns how many such notes the sheet has."""
    from openpyxl.utils import column_index_from_string

    from toolkit.sheets import first_page_columns

    area = sheet.print_area
    printed = column_index_from_string(area.split(":")[-1].replace("$", "").rstrip("0123456789")) if area \
        else sheet.max_column
    spans = {(m.min_row, m.min_col): m for m in sheet.merged_cells.ranges}
    widths = {}
    for dim in sheet.column_dimensions.values():
        for c in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
            widths[c] = (dim.width or 8.43) - 0.71  # the padding Excel adds to a width in characters
    # a sheet printed on several pages across: its notes within the columns of the first page
    printed = first_page_columns([widths.get(c, 8.43) for c in range(1, printed + 1)],
                                 sheet.page_setup.orientation == "landscape")
    long_notes = 0
    for row in sheet.iter_rows(min_row=1, max_row=4):
        for c in row:
            if not (isinstance(c.value, str) and c.font and c.font.i):
                continue
            where = (name, sheet.title, c.coordinate, c.value[:60])
            if not c.alignment.wrap_text:  # it runs on over the cells to its right, up to the page's edge only
                room = sum(widths.get(k, 8.43) for k in range(c.column, printed + 1))
                assert len(c.value) <= 1.2 * room, where  # (11 pt Times: ~1.2 characters a unit of width)
                continue
            span = spans.get((c.row, c.column))
            last = span.max_col if span else c.column
            width = sum(widths.get(k, 8.43) for k in range(c.column, last + 1))
            lines = -(-len(c.value) // (1.2 * width))
            long_notes += lines > 1
            assert last <= printed and (sheet.row_dimensions[c.row].height or 15) >= 14 * lines, where
    return long_notes


def test_workbooks_print_readably(year):
    ws = year["ws"]
    term = _assert_readable(ws / "rounds/2026-2030/output/theo_doi_nhiem_ky_2026-2030.xlsx")["Theo việc"]
    # the leader's name and title wraps in its 24-wide column: the row is as high as its lines
    assert term["A4"].value == "Đinh Văn Mỹ – Bí thư Đảng ủy xã Đăk Mỹ An"
    assert term.row_dimensions[4].height >= 30
    classification = _assert_readable(ws / "rounds/2026-Y/output/xep_loai_2026-Y.xlsx")
    ranking = classification["Xếp loại đơn vị"]
    assert ranking.print_area.endswith("$R$7")  # "Giải thích" (column S) is not squeezed onto the page
    explained = {r[1]: r[4] for r in classification["Giải thích đơn vị"].iter_rows(min_row=2, values_only=True)}
    assert explained["X.DMA"].startswith("- Có 4 nhiệm vụ; 4 nhiệm vụ đến hạn")
    assert classification["Giải thích đơn vị"].column_dimensions["E"].width >= 80
    # the classification's notes (here: no general-criteria points yet) and the rule for tasks not yet due
    assert _assert_notes_fit("xep_loai", ranking) == 1 and [m.coord for m in ranking.merged_cells.ranges] == ["A2:R2"]
    consolidated = _assert_readable(ws / "rounds/2026-Y/output/tong_hop_tien_do_2026-Y.xlsx")
    sheet = consolidated["Tổng hợp theo đơn vị"]
    assert _assert_notes_fit("tong_hop", sheet) == 1 and sheet["A2"].value.startswith("Tính đến ngày 31/12/2026.")
    assert [m.coord for m in sheet.merged_cells.ranges] == ["A2:H2"]  # 2 pages across: the first page's 8 columns
    # "Tỷ lệ hoàn thành đúng hạn trên tổng số nhiệm vụ (%)" in an 11-wide column needs 4 lines, not 30 pt
    assert sheet.row_dimensions[4].height >= 60
    for path in (ws / "rounds/2026-Y/output").glob("*.xlsx"):
        _assert_readable(path)



def _copy(year, tmp_path) -> Path:
    """A copy of the district's workspace, for tests that go on from the year end."""
    import shutil

    target = tmp_path / "ws"
    shutil.copytree(year["ws"], target)
    return target


def _intake_rows(ws: Path, period: str, sheet: str = "Tệp") -> list[dict]:
    from conftest import rows_of

    return rows_of(ws / f"rounds/{period}/output/ket_qua_tiep_nhan_{period}.xlsx", sheet)


# --- item 12: messages that agree with themselves -------------------------------------------------------------

def test_confirmation_feedback_says_refused_when_it_only_refuses(year, tmp_path):
    from test_year_cycle import set_opinions

    ws = _copy(year, tmp_path)
    invoke("merge", ws, "--period", "2026")  # before the office's review: no column of "Chờ ý kiến"
    assert not any(c.value == "Ý kiến của Văn phòng" for c in openpyxl.load_workbook(
        ws / "rounds/2026/output/tong_hop_dang_ky_2026.xlsx")["Dữ liệu"][1])
    invoke("confirm", ws, "--period", "2026")
    review = ws / "rounds/2026/output/xac_nhan_dang_ky_2026.xlsx"
    set_opinions(review, "Xác nhận đăng ký", {
        ("X.DMA", "DMA-03"): {"Ý kiến": "Không đồng ý", "Nội dung đề nghị sửa, lý do": "Không thuộc thẩm quyền xã."},
        ("B-TC", "TC-01"): {"Ý kiến": "Đồng ý"}})
    invoke("confirm", ws, "--period", "2026")
    sent = openpyxl.load_workbook(next((ws / "rounds/2026/feedback/xac_nhan").glob("X.DMA_*.xlsx")))
    heading = sent["Lỗi cần sửa"]["A2"].value
    assert heading.startswith("VĂN PHÒNG KHÔNG ĐỒNG Ý 1 NHIỆM VỤ — "), heading
    assert "ĐỀ NGHỊ SỬA" not in heading and "sửa và gửi lại" not in heading
    # the registration's consolidated workbook says where each registered task stands with the office: a refused
    # one was listed as any other (and says nothing of it before the office has given any opinion)
    from conftest import rows_of

    invoke("merge", ws, "--period", "2026")
    rows = rows_of(ws / "rounds/2026/output/tong_hop_dang_ky_2026.xlsx", "Dữ liệu")
    said = {(r["Mã đơn vị"], r["Mã nhiệm vụ"]): r["Ý kiến của Văn phòng"] for r in rows}
    assert said[("X.DMA", "DMA-03")] == "Không đưa vào danh mục" and said[("B-TC", "TC-01")] == "Đã xác nhận"
    assert said[("X.DMA", "DMA-01")] == "Chờ ý kiến"


def test_intake_rows_of_files_seen_before_agree(year, tmp_path):
    ws = _copy(year, tmp_path)
    tpl, inbox = outbox(ws, "2026-Y"), ws / "rounds/2026-Y/inbox"
    # a file with errors, older than the unit's accepted one; and an older valid copy of another unit's return
    fill(tpl["X.DMA"], inbox / "X.DMA_nhap.xlsx", date(2027, 1, 3), [
        prog("DMA-01", "Hoàn thành", 100, 12, completed=date(2026, 8, 20)), prog("DMA-03", "Chậm tiến độ", 40, 2)],
        by_code=True)
    fill(tpl["X.SLU"], inbox / "X.SLU_ban_cu.xlsx", date(2027, 1, 2), [
        prog(f"SLU-{i:02d}", "Hoàn thành", 100, i + 1, completed=date(2026, 9, 30)) for i in range(1, 13)],
        by_code=True)
    out = json.loads(invoke("collect", ws, "--period", "2026-Y", "--json", code=1))
    files = {f["file"]: f for f in out["files"]}
    assert files["X.DMA_nhap.xlsx"]["status"] == "rejected"
    # the older copy is kept as history: not also told that it is the copy used
    assert [i["code"] for i in files["X.SLU_ban_cu.xlsx"]["issues"]] == ["older-submission"]
    assert files["X.SLU_ban_cu.xlsx"]["status"] == "accepted"
    invoke("collect", ws, "--period", "2026-Y", code=0)  # again: every file seen before
    rows = {r["Tệp"]: r for r in _intake_rows(ws, "2026-Y")}
    again = rows["B-TC.xlsx"]
    assert (again["Kết quả"], again["Mã đơn vị"], again["Đơn vị"], again["Biểu mẫu"], again["Kỳ"]) == (
        "Đã tiếp nhận trước đó", "B-TC", "Ban Tổ chức Huyện ủy", "báo cáo tiến độ", "2026-Y")
    nhap = rows["X.DMA_nhap.xlsx"]
    assert nhap["Thay thế bản"] == "X.DMA.xlsx"  # the accepted return of the unit...
    assert nhap["Kết quả"] == "Đã xét trước đó: không tiếp nhận; đã có bản sửa được tiếp nhận"  # ...not "chờ bản sửa"
    assert nhap["Đơn vị"] == "Đảng ủy xã Đăk Mỹ An"


# --- item 13: a file of another period -------------------------------------------------------------------------

def test_a_wrong_period_file_is_answered_with_the_right_template(year, tmp_path):
    ws = _copy(year, tmp_path)
    invoke("templates", ws, "--form", "progress", "--period", "2026-9M", "--units", "B-TC")
    nine = outbox(ws, "2026-9M")["B-TC"]
    inbox = ws / "rounds/2026-Y/inbox"
    fill(nine, inbox / "B-TC_bao_cao.xlsx", date(2027, 1, 8), [
        prog("TC-01", "Hoàn thành", 100, 30, completed=date(2026, 9, 15)), prog("DP-TC-01", ON, 40, 8)], by_code=True)
    out = json.loads(invoke("collect", ws, "--period", "2026-Y", "--json", code=1))
    wrong = next(f for f in out["files"] if f["file"] == "B-TC_bao_cao.xlsx")
    assert [i["code"] for i in wrong["issues"] if i["severity"] == "error"] == ["period-mismatch"]
    copy = Path(wrong["feedback"])
    wb = openpyxl.load_workbook(copy)
    heading = wb["Lỗi cần sửa"]["A2"].value
    assert "B-TC_tien_do_2026-Y.xlsx" in heading and "điền vào tệp này" in heading
    sheet = wb["Tiến độ"]
    assert "TỔNG KẾT NĂM 2026" in str(sheet["A1"].value)  # the copy is this round's template, not the 9-month one
    # filled and sent back, the copy is accepted
    fill(copy, inbox / "B-TC_bao_cao_gui_lai.xlsx", date(2027, 1, 9), [
        prog("TC-01", "Hoàn thành", 100, 30, completed=date(2026, 9, 15)), prog("DP-TC-01", ON, 45, 9)],
        sheet="Tiến độ", by_code=True)
    out = json.loads(invoke("collect", ws, "--period", "2026-Y", "--json", code=0))  # the wrong file is replaced
    again = next(f for f in out["files"] if f["file"] == "B-TC_bao_cao_gui_lai.xlsx")
    assert again["status"] in ("accepted", "warnings"), again["issues"]


# --- item 14: what users read ----------------------------------------------------------------------------------

def test_issue_kinds_are_named_in_vietnamese(year, tmp_path):
    import re

    from toolkit.issue_labels import LABELS
    from toolkit.issues import CATALOGUE

    assert set(CATALOGUE) <= set(LABELS)
    ws = _copy(year, tmp_path)
    tpl, inbox = outbox(ws, "2026-Y"), ws / "rounds/2026-Y/inbox"
    fill(tpl["X.DMA"], inbox / "X.DMA_phan_hoi.xlsx", date(2027, 1, 12), [  # a cause missing
        prog("DMA-03", "Chậm tiến độ", 40, 2)], by_code=True)
    invoke("collect", ws, "--period", "2026-Y", code=1)
    issues = _intake_rows(ws, "2026-Y", "Lỗi")
    kinds = {r["Loại lỗi"] for r in issues}
    # a second return after an accepted one: its timeliness is the first return's, so no 'Nộp muộn' here
    assert "Thiếu nguyên nhân chậm" in kinds and "Nộp muộn" not in kinds, kinds
    assert not [k for k in kinds if re.fullmatch(r"[a-z]+(-[a-z]+)+", k)]
    # a feedback copy sent back under its own name: one suffix, not "_phan_hoi_phan_hoi"
    names = sorted(p.name for p in (ws / "rounds/2026-Y/feedback").iterdir())
    assert "X.DMA_phan_hoi.xlsx" in names and not [n for n in names if "phan_hoi_phan_hoi" in n]
    invoke("merge", ws, "--period", "2026-Y")
    from conftest import rows_of

    merged = rows_of(ws / "rounds/2026-Y/output/tong_hop_tien_do_2026-Y.xlsx", "Lỗi tiếp nhận")
    assert merged and not [r for r in merged if re.fullmatch(r"[a-z]+(-[a-z]+)+", str(r["Loại lỗi"]))]


def test_messages_read_as_vietnamese(year):
    import re

    ws = year["ws"]
    run = " ".join(year["run"].split())
    assert re.search(r"\(\d+(,\d)? giây\)", run) and not re.search(r"\d\.\d giây", run)
    assert " :" not in run and "Xếp loại: 3 đơn vị" in run
    out = invoke("status", ws, "--period", "2026-H3", code=2)
    assert "'2026-Q1'" in out and "2025" not in out  # examples in the year typed
    messages = [dv.error for dv in openpyxl.load_workbook(outbox(ws, "2026-Y")["X.DMA"])["Tiến độ"]
                .data_validations.dataValidation if dv.error]
    assert messages and not [m for m in messages if "e+" in m or "e-" in m]
    assert "Nhập số từ 0 đến 100." in messages
    report = docx_text(ws / "rounds/2026-Y/output/van_ban/bao_cao_tong_hop_2026-Y.docx")
    assert "Chưa xếp loại 1 đơn vị chưa đăng ký nhiệm vụ: Đảng ủy Quân sự huyện (DU-QS)" in report
    out = invoke("history", ws, "--period", "2026")
    written = Path(out.split("→")[-1].strip()).name
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert written in readme, written


def test_progress_counter_never_shows_none():
    from rich.progress import Progress

    from toolkit.cli import _Counter
    from toolkit.outputs.render import render_many

    with Progress(_Counter(), disable=True) as bar:
        task = bar.add_task("", total=None)
        assert str(_Counter().render(bar.tasks[task])) == ""
        bar.update(task, completed=2, total=9)
        assert str(_Counter().render(bar.tasks[task])) == "2/9"
    calls = []
    render_many([], progress=lambda i, n: calls.append((i, n)))
    assert calls == [(0, 0)]  # the count is given before the first document


def _xml(path: Path, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part).decode("utf-8")
