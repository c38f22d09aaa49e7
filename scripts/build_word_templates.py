"""Build the shipped Word templates (templates/word/*.docx) in the Party document format.

Run once after changing the layout: python scripts/build_word_templates.py
The .docx files are committed; office staff may edit them in Word afterwards (keep the {{ }} tags).
Layout follows the Party Central Office's format guidance: borderless tables for the header and the
signature block so that Word keeps the two columns.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

OUT = Path(__file__).resolve().parent.parent / "templates" / "word"
FONT = "Times New Roman"


def new_document(landscape: bool = False, compact: bool = False) -> Document:
    """A4, Times New Roman 14; ``compact`` (scorecards, an attachment rather than a report): body 13 pt with single
    line spacing, so that a card of about ten tasks with its signature block fits one page."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_height, sec.page_width = Cm(21.0), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(2.0), Cm(2.0)
    sec.left_margin, sec.right_margin = Cm(3.0), Cm(1.5)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13 if compact else 14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(1 if compact else 3)
    style.paragraph_format.line_spacing = 1.0 if compact else 1.1
    page_numbers(sec)
    return doc


def page_numbers(sec) -> None:
    """The page number centred at the top from page 2 (the first page's header stays empty), as the Party's and
    the State's format rules ask of a document of several pages."""
    sec.different_first_page_header_footer = True
    p = sec.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), FONT)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "28")
    rpr.extend([fonts, size])
    text = OxmlElement("w:t")
    text.text = "2"
    run.extend([rpr, text])
    field.append(run)
    p._p.append(field)
    sec.first_page_header.paragraphs[0].text = ""


def para(container, text: str = "", bold=False, italic=False, size=None, align=None, underline=False,
         indent=False, space_after=None):
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.name = FONT
        if size:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.0)
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    return p


def borderless(table) -> None:
    tbl = table._tbl
    pr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    pr.append(borders)


def cell_para(cell, text, bold=False, italic=False, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, underline=False,
              first=False):
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.name, run.font.size = FONT, Pt(size)
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = 1.0
    return p


def keep_rows_whole(table) -> None:
    """No row of the table is cut in two by a page break (a task's name stays on one page)."""
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def no_wrap(table, col: int) -> None:
    """A column whose text (a code such as 'X.DMA/M-01.1') is never broken across lines."""
    for row in table.rows:
        tcpr = row.cells[col]._tc.get_or_add_tcPr()
        tcpr.append(OxmlElement("w:noWrap"))


def party_header(doc) -> None:
    """Top of a Party document: superior body / issuing body / * / number on the left; the Party's name and the
    place and date on the right. A document without a number (a scorecard) leaves the number line out."""
    t = doc.add_table(rows=1, cols=2)
    borderless(t)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(t, [7.4, 9.1])
    keep_rows_whole(t)
    left, right = t.rows[0].cells
    cell_para(left, "{{ head.parent_body }}", first=True)
    cell_para(left, "{{ head.issuing_body }}", bold=True)
    cell_para(left, "*")
    cell_para(left, "{%p if head.number %}", size=14)
    cell_para(left, "{{ head.number }}", size=14)
    cell_para(left, "{%p endif %}", size=14)
    cell_para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, size=15, underline=True, first=True)
    cell_para(right, "")
    cell_para(right, "{{ head.place_date }}", italic=True)
    spacer(doc)


def spacer(doc) -> None:
    """The paragraph that keeps two tables apart (Word would merge them), small in a compact document."""
    compact = doc.styles["Normal"].font.size < Pt(14)
    p = para(doc, "", space_after=0 if compact else None)
    if compact:
        p.paragraph_format.line_spacing = Pt(8)


def signature(doc, left_title="Nơi nhận:") -> None:
    t = doc.add_table(rows=1, cols=2)
    borderless(t)
    set_widths(t, [8.0, 8.5])
    t.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # the signer's name never alone on a page
    left, right = t.rows[0].cells
    cell_para(left, left_title, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, underline=True, first=True)
    cell_para(left, "{%p for r in sign.recipients %}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(left, "- {{ r }}{{ '.' if loop.last else ',' }}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(left, "{%p endfor %}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(right, "{{ sign.prefix }}", bold=True, first=True)
    cell_para(right, "{{ sign.title }}", bold=True)
    for _ in range(3):
        cell_para(right, "")
    cell_para(right, "{{ sign.name }}", bold=True)


def warnings_and_signature(doc) -> None:
    """The closing of the breakthrough and term reports: what to watch, then the signature block."""
    heading(doc, "III. NHỮNG VẤN ĐỀ CẦN LƯU Ý")
    optional(doc, "not warnings", "Không có.")
    bullets(doc, "warnings", "- {{ r }}")
    para(doc, "")
    signature(doc)


def loop_table(doc, headers: list[str], cells: list[str], var: str, widths: list[float], size=12,
               left: tuple[int, ...] = (1,)):
    if headers[0] == "TT" and widths[0] < 1.2:  # keep "TT" on one line
        widths = [1.2, widths[1] - (1.2 - widths[0]), *widths[2:]]
    t = doc.add_table(rows=4, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(headers):
        c = t.rows[0].cells[i]
        cell_para(c, h, bold=True, size=size, first=True)
    cell_para(t.rows[1].cells[0], f"{{%tr for r in {var} %}}", size=size, first=True)
    for i, expr in enumerate(cells):
        cell_para(t.rows[2].cells[i], expr, size=size, first=True,
                  align=WD_ALIGN_PARAGRAPH.LEFT if i in left else WD_ALIGN_PARAGRAPH.CENTER)
    cell_para(t.rows[3].cells[0], "{%tr endfor %}", size=size, first=True)
    set_widths(t, widths)
    keep_rows_whole(t)
    # repeat the header row on every page
    trPr = t.rows[0]._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trPr.append(el)
    return t


def set_widths(table, widths_cm: list[float]) -> None:
    """Column widths that both Word and LibreOffice honour (tblGrid and every cell)."""
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)


def heading(doc, text) -> None:
    para(doc, text, bold=True, space_after=3)


def body(doc, text) -> None:
    para(doc, text, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)


def title_block(doc, kind: str, line: str) -> None:
    para(doc, kind, bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, line, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "-----", align=WD_ALIGN_PARAGRAPH.CENTER)


def optional(doc, condition: str, text: str, **kw) -> None:
    """A paragraph printed only when ``condition`` holds (whole paragraph removed otherwise)."""
    para(doc, f"{{%p if {condition} %}}")
    if kw:
        para(doc, text, **kw)
    else:
        body(doc, text)
    para(doc, "{%p endif %}")


def bullets(doc, var: str, text: str) -> None:
    para(doc, f"{{%p for r in {var} %}}")
    body(doc, text)
    para(doc, "{%p endfor %}")


def consolidated_report() -> Document:
    doc = new_document()
    party_header(doc)
    title_block(doc, "BÁO CÁO", "{{ title_line }}")
    optional(doc, "preliminary", "{{ preliminary }}", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    body(doc, "{{ intro }}")
    heading(doc, "I. TÌNH HÌNH BÁO CÁO")
    body(doc, "{{ status_sentence }}")
    heading(doc, "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ")
    body(doc, "{{ totals_sentence }}")
    optional(doc, "changes_sentence", "{{ changes_sentence }}")
    para(doc, "{%p if comparison %}")
    para(doc, "So với kỳ trước", italic=True)
    bullets(doc, "comparison", "- {{ r }}")
    para(doc, "{%p endif %}")
    para(doc, "1. Kết quả theo đơn vị cấp trên", italic=True)
    loop_table(doc, ["TT", "Đơn vị cấp trên", "Số nhiệm vụ", "Đến hạn", "Hoàn thành đúng hạn", "Quá hạn, chưa hoàn thành",
                     "Tỷ lệ hoàn thành nhiệm vụ đến hạn"],
               ["{{ loop.index }}", "{{ r.key }}", "{{ r.tasks }}", "{{ r.due }}", "{{ r.done_on_time }}",
                "{{ r.failed }}", "{{ r.rate }}"], "by_parent", [1.0, 5.0, 1.9, 1.9, 2.3, 2.3, 2.1])
    para(doc, "2. Kết quả theo đơn vị", italic=True)
    loop_table(doc, ["TT", "Đơn vị", "Số nhiệm vụ", "Đến hạn", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
                     "Chưa hoàn thành", "Chậm tiến độ", "Tỷ lệ hoàn thành nhiệm vụ đến hạn"],
               ["{{ loop.index }}", "{{ r.name }}", "{{ r.tasks }}", "{{ r.due }}", "{{ r.done_on_time }}",
                "{{ r.done_late }}", "{{ r.failed }}", "{{ r.behind }}", "{{ r.rate }}"], "by_unit",
               [1.0, 4.4, 1.5, 1.5, 1.5, 1.5, 1.7, 1.5, 1.9], size=11)
    para(doc, "{{ chart_units }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "3. Nhiệm vụ quá hạn, chưa hoàn thành", italic=True)
    optional(doc, "not overdue", "Không có nhiệm vụ quá hạn.")
    para(doc, "{%p if overdue %}")
    loop_table(doc, ["TT", "Nhiệm vụ", "Đơn vị", "Thời hạn", "Tiến độ", "Nguyên nhân"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.unit }}", "{{ r.deadline }}", "{{ r.percent }}",
                "{{ r.cause }}"], "overdue", [0.9, 5.6, 3.0, 2.5, 1.5, 3.0])
    para(doc, "{%p endif %}")
    heading(doc, "III. NGUYÊN NHÂN CHẬM TIẾN ĐỘ")
    optional(doc, "not causes", "Các đơn vị không nêu nguyên nhân chậm tiến độ.")
    para(doc, "{%p if causes %}")
    loop_table(doc, ["TT", "Nguyên nhân", "Số nhiệm vụ"], ["{{ loop.index }}", "{{ r.cause }}", "{{ r.count }}"],
               "causes", [1.0, 12.0, 3.0])
    para(doc, "{%p endif %}")
    para(doc, "{{ chart_causes }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    heading(doc, "IV. KIẾN NGHỊ, ĐỀ XUẤT CỦA CÁC ĐƠN VỊ")
    optional(doc, "not proposals", "Các đơn vị không có kiến nghị, đề xuất.")
    bullets(doc, "proposals", "- {{ r.unit }}: {{ r.text }}")
    heading(doc, "V. KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI")
    body(doc, "{{ classification_summary }}")
    optional(doc, "pending", "{{ pending }}")
    para(doc, "{%p if classification %}")
    loop_table(doc, ["Hạng", "Đơn vị", "Điểm", "Xếp loại"],
               ["{{ r.rank }}", "{{ r.name }}", "{{ r.score }}", "{{ r.level }}"], "classification",
               [1.5, 7.5, 2.0, 5.5])
    para(doc, "{%p endif %}")
    para(doc, "")
    signature(doc)
    return doc


def scorecard() -> Document:
    doc = new_document(compact=True)
    party_header(doc)
    title_block(doc, "PHIẾU ĐÁNH GIÁ", "{{ title_line }}")
    body(doc, "{{ subject_label }}: {{ subject.name }} (mã {{ subject.id }}).")
    body(doc, "{{ subject.counts }}")  # the points are the last reason below ("Số lượng …: … = … điểm")
    para(doc, "Xếp loại: {{ subject.level }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "Căn cứ xếp loại:", bold=True)
    bullets(doc, "subject.why", "- {{ r }}")
    para(doc, "Chi tiết nhiệm vụ", bold=True)
    # the unit's own status word is left out ("Đánh giá" says it with the deadline): a task takes two lines, not
    # three, and a card of about ten tasks keeps to one page (r.status stays available to an edited template)
    loop_table(doc, ["TT", "Nhiệm vụ", "Thời hạn", "Tiến độ", "Đánh giá"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.deadline }}", "{{ r.percent }}", "{{ r.state }}"], "tasks",
               [0.9, 9.8, 2.2, 1.3, 2.6], size=11)
    spacer(doc)
    signature(doc)
    return doc


def commitment() -> Document:
    doc = new_document()
    party_header(doc)
    title_block(doc, "BẢN CAM KẾT", "{{ title_line }}")
    para(doc, "Kính gửi: {{ addressee }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    body(doc, "Tập thể lãnh đạo và người đứng đầu {{ unit.name }} cam kết với {{ addressee }} thực hiện các "
              "nhiệm vụ trọng tâm sau:")
    loop_table(doc, ["TT", "Nhiệm vụ", "Chỉ tiêu, mục tiêu", "Thời hạn", "Phụ trách"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.indicator }}", "{{ r.deadline }}", "{{ r.leader }}"],
               "tasks", [0.9, 6.4, 4.0, 2.5, 2.7])
    para(doc, "{%p if items %}")
    para(doc, "Các đầu việc cụ thể", bold=True)
    items = loop_table(doc, ["Mã", "Đầu việc", "Lộ trình", "Phụ trách", "Thời hạn"],
                       ["{{ r.code }}", "{{ r.description }}", "{{ r.roadmap }}", "{{ r.owner }}", "{{ r.deadline }}"],
                       "items", [3.0, 5.4, 3.4, 2.4, 2.3], size=11, left=(0, 1))
    no_wrap(items, 0)
    para(doc, "{%p endif %}")
    para(doc, "")
    # two rows: the titles (which may wrap) above, the names below, so both names stand on the same line
    t = doc.add_table(rows=2, cols=2)
    borderless(t)
    set_widths(t, [8.0, 8.5])
    keep_rows_whole(t)
    left, right = t.rows[0].cells
    cell_para(left, "{{ superior_signer }}", bold=True, first=True)
    cell_para(left, "{{ superior.title }}", bold=True)
    cell_para(right, "{{ unit.head_title_upper }}", bold=True, first=True)
    for cell_ in t.rows[0].cells:  # the titles never on a page without the names
        for p in cell_.paragraphs:
            p.paragraph_format.keep_with_next = True
    left, right = t.rows[1].cells
    for cell_ in (left, right):
        for i in range(3):
            cell_para(cell_, "", first=i == 0)
    cell_para(left, "{{ superior.name }}", bold=True)
    cell_para(right, "{{ unit.head_name }}", bold=True)
    return doc


def not_reported() -> Document:
    doc = new_document()
    party_header(doc)
    title_block(doc, "DANH SÁCH", "{{ title_line }}")
    para(doc, "(hạn nộp {{ deadline }}, tổng hợp đến {{ as_of }})", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    optional(doc, "not units", "Tất cả các đơn vị đã gửi.")
    para(doc, "{%p if units %}")
    loop_table(doc, ["TT", "Đơn vị", "Tình trạng", "Người đứng đầu, liên hệ"],
               ["{{ loop.index }}", "{{ r.name }}", "{{ r.state }}", "{{ r.contact }}"], "units",
               [1.0, 6.0, 2.8, 6.7])
    para(doc, "{%p endif %}")
    para(doc, "")
    signature(doc)
    return doc


def breakthrough_report() -> Document:
    doc = new_document()
    party_header(doc)
    title_block(doc, "BÁO CÁO", "{{ title_line }}")
    body(doc, "{{ intro }}")
    heading(doc, "I. TÌNH HÌNH ĐĂNG KÝ")
    body(doc, "{{ status_sentence }}")
    body(doc, "{{ totals_sentence }}")
    loop_table(doc, ["TT", "Lĩnh vực", "Số việc", "Số lãnh đạo được giao"],
               ["{{ loop.index }}", "{{ r.area }}", "{{ r.tasks }}", "{{ r.leaders }}"], "by_area",
               [1.0, 9.0, 3.0, 3.5])
    heading(doc, "II. VIỆC ĐỘT PHÁ, ĐỔI MỚI GIAO CHO TỪNG ĐỒNG CHÍ LÃNH ĐẠO")
    loop_table(doc, ["TT", "Đồng chí lãnh đạo", "Việc đột phá, đổi mới", "Chỉ tiêu", "Thời hạn", "Đầu mối",
                     "Tình hình"],
               ["{{ loop.index }}", "{{ r.leader }}", "{{ r.title }}", "{{ r.indicator }}", "{{ r.deadline }}",
                "{{ r.focal }}", "{{ r.state }}"], "tasks", [0.9, 2.9, 4.2, 2.0, 2.2, 1.8, 2.5], size=11)
    warnings_and_signature(doc)
    return doc


def followup_report() -> Document:
    doc = new_document()
    party_header(doc)
    title_block(doc, "BÁO CÁO", "{{ title_line }}")
    body(doc, "{{ intro }}")
    heading(doc, "I. TÌNH HÌNH BÁO CÁO")
    body(doc, "{{ status_sentence }}")
    body(doc, "{{ totals_sentence }}")
    loop_table(doc, ["TT", "Cơ sở", "Cán bộ theo dõi", "Số lần dự họp, làm việc", "Số kiến nghị"],
               ["{{ loop.index }}", "{{ r.commune }}", "{{ r.cadres }}", "{{ r.visits }}", "{{ r.recommendations }}"],
               "by_commune", [1.0, 5.0, 5.5, 2.5, 2.5])
    heading(doc, "II. TÌNH HÌNH NẮM ĐƯỢC (NẮM)")
    optional(doc, "not grasped", "Không có nội dung.")
    bullets(doc, "grasped", "- {{ r.commune }} ({{ r.cadre }}, {{ r.date }}): {{ r.text }}")
    heading(doc, "III. Ý KIẾN ĐÃ GÓP (GÓP)")
    optional(doc, "not contributed", "Không có nội dung.")
    bullets(doc, "contributed", "- {{ r.commune }} ({{ r.cadre }}): {{ r.text }}")
    heading(doc, "IV. NỘI DUNG ĐÃ KIỂM TRA (KIỂM)")
    optional(doc, "not checked", "Không có nội dung.")
    bullets(doc, "checked", "- {{ r.commune }} ({{ r.cadre }}): {{ r.text }}")
    heading(doc, "V. KIẾN NGHỊ VỚI CẤP TRÊN")
    optional(doc, "not recommendations", "Không có kiến nghị.")
    bullets(doc, "recommendations", "- {{ r.commune }} ({{ r.cadre }}): {{ r.text }}")
    heading(doc, "VI. BÁO CÁO CÓ NỘI DUNG SAO CHÉP")
    optional(doc, "not copies", "Không phát hiện báo cáo sao chép.")
    bullets(doc, "copies", "- {{ r }}")
    para(doc, "")
    signature(doc)
    return doc


def term_report() -> Document:
    doc = new_document()
    party_header(doc)
    title_block(doc, "BÁO CÁO", "{{ title_line }}")
    body(doc, "{{ intro }}")
    heading(doc, "I. KẾT QUẢ CHUNG")
    body(doc, "{{ totals_sentence }}")
    loop_table(doc, ["TT", "Đồng chí lãnh đạo", "Số việc", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
                     "Chưa hoàn thành", "Đang thực hiện"],
               ["{{ loop.index }}", "{{ r.leader }}", "{{ r.tasks }}", "{{ r.on_time }}", "{{ r.late }}",
                "{{ r.failed }}", "{{ r.open }}"], "by_leader", [0.9, 5.1, 1.6, 2.3, 2.3, 2.2, 2.1])
    heading(doc, "II. DIỄN BIẾN TỪNG VIỆC QUA CÁC NĂM")
    loop_table(doc, ["TT", "Đồng chí lãnh đạo", "Việc đột phá, đổi mới", "Thời hạn", "Diễn biến qua các năm",
                     "Kết quả"],
               ["{{ loop.index }}", "{{ r.leader }}", "{{ r.title }}", "{{ r.deadline }}", "{{ r.trail }}",
                "{{ r.result }}"], "tasks", [0.9, 3.0, 4.3, 2.3, 4.0, 2.0], size=11)
    warnings_and_signature(doc)
    return doc


def term_scorecard() -> Document:
    doc = new_document(compact=True)
    party_header(doc)
    title_block(doc, "PHIẾU THEO DÕI", "{{ title_line }}")
    body(doc, "Đồng chí: {{ subject.name }}{{ subject.title }} (mã {{ subject.id }}).")
    body(doc, "{{ subject.counts }}")
    para(doc, "Kết quả nhiệm kỳ: {{ subject.verdict }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    loop_table(doc, ["TT", "Việc đột phá, đổi mới", "Thời hạn", "Diễn biến qua các năm", "Kết quả"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.deadline }}", "{{ r.trail }}", "{{ r.result }}"], "tasks",
               [0.9, 5.6, 2.4, 5.2, 2.4])
    spacer(doc)
    signature(doc)
    return doc


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, builder in (("bao_cao_tong_hop.docx", consolidated_report), ("phieu_danh_gia.docx", scorecard),
                          ("ban_cam_ket.docx", commitment), ("danh_sach_chua_nop.docx", not_reported),
                          ("bao_cao_dot_pha.docx", breakthrough_report),
                          ("bao_cao_nam_gop_kiem.docx", followup_report),
                          ("bao_cao_nhiem_ky.docx", term_report), ("phieu_nhiem_ky.docx", term_scorecard)):
        builder().save(OUT / name)
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
