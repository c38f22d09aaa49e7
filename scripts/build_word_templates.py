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


def new_document(landscape: bool = False) -> Document:
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
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(3)
    style.paragraph_format.line_spacing = 1.1
    return doc


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
    return p


def party_header(doc, number_suffix="{{ doc_suffix }}") -> None:
    t = doc.add_table(rows=1, cols=2)
    borderless(t)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(t, [7.0, 9.5])
    left, right = t.rows[0].cells
    cell_para(left, "{{ office.parent_body }}", first=True)
    cell_para(left, "{{ office.issuing_body }}", bold=True)
    cell_para(left, "*")
    cell_para(left, "Số {{ doc_number }}" + number_suffix, size=14)
    cell_para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, size=15, underline=True, first=True)
    cell_para(right, "")
    cell_para(right, "{{ office.place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}", italic=True)
    para(doc, "")


def signature(doc, left_title="Nơi nhận:") -> None:
    t = doc.add_table(rows=1, cols=2)
    borderless(t)
    set_widths(t, [8.0, 8.5])
    left, right = t.rows[0].cells
    cell_para(left, left_title, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, underline=True, first=True)
    cell_para(left, "{%p for r in office.recipients %}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(left, "- {{ r }},", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(left, "{%p endfor %}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    cell_para(right, "{{ office.signer_prefix }}", bold=True, first=True)
    cell_para(right, "{{ office.signer_title }}", bold=True)
    for _ in range(3):
        cell_para(right, "")
    cell_para(right, "{{ office.signer_name }}", bold=True)


def loop_table(doc, headers: list[str], cells: list[str], var: str, widths: list[float], size=12) -> None:
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
                  align=WD_ALIGN_PARAGRAPH.LEFT if i in (1,) else WD_ALIGN_PARAGRAPH.CENTER)
    cell_para(t.rows[3].cells[0], "{%tr endfor %}", size=size, first=True)
    set_widths(t, widths)
    # repeat the header row on every page
    trPr = t.rows[0]._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trPr.append(el)


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


def consolidated_report() -> Document:
    doc = new_document()
    party_header(doc)
    para(doc, "BÁO CÁO", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "kết quả thực hiện nhiệm vụ trọng tâm, cam kết trách nhiệm {{ period_label }}", bold=True,
         align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "-----", align=WD_ALIGN_PARAGRAPH.CENTER)
    body(doc, "Thực hiện chế độ báo cáo định kỳ, {{ office.issuing_body_title }} tổng hợp kết quả thực hiện "
              "nhiệm vụ trọng tâm, cam kết trách nhiệm {{ period_label }} của các cơ quan, đơn vị như sau:")
    heading(doc, "I. TÌNH HÌNH BÁO CÁO")
    body(doc, "Có {{ status.reported }}/{{ status.expected }} đơn vị gửi báo cáo (đạt {{ status.reporting_rate }}%), "
              "trong đó {{ status.on_time }} đơn vị đúng hạn (đạt {{ status.on_time_rate }}%), {{ status.late }} đơn vị "
              "nộp muộn; {{ status.rejected }} đơn vị có báo cáo bị trả lại và {{ status.missing }} đơn vị chưa gửi "
              "báo cáo (danh sách kèm theo).")
    heading(doc, "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ")
    body(doc, "Tổng số {{ totals.tasks }} nhiệm vụ: hoàn thành đúng hạn {{ totals.done_on_time }}; hoàn thành quá hạn "
              "{{ totals.done_late }}; đang thực hiện trong hạn {{ totals.in_progress }}; chậm tiến độ nhưng còn hạn {{ totals.behind }}; quá hạn chưa hoàn thành "
              "{{ totals.overdue }}; chưa triển khai {{ totals.not_started }}; đề nghị điều chỉnh {{ totals.adjust }}. "
              "Tỷ lệ hoàn thành {{ totals.done_rate }}%, tỷ lệ hoàn thành đúng hạn {{ totals.on_time_rate }}%.")
    para(doc, "1. Kết quả theo khối, đơn vị cấp trên", italic=True)
    loop_table(doc, ["TT", "Khối / đơn vị cấp trên", "Số nhiệm vụ", "Đúng hạn", "Quá hạn", "Đang thực hiện",
                     "Tỷ lệ hoàn thành (%)"],
               ["{{ loop.index }}", "{{ r.key }}", "{{ r.tasks }}", "{{ r.done_on_time }}", "{{ r.overdue }}",
                "{{ r.in_progress }}", "{{ r.done_rate }}"], "by_parent", [1.0, 6.0, 2.0, 2.0, 2.0, 2.2, 2.3])
    para(doc, "2. Kết quả theo đơn vị", italic=True)
    loop_table(doc, ["TT", "Đơn vị", "Số nhiệm vụ", "Đúng hạn", "Quá hạn", "Đang thực hiện", "Tỷ lệ hoàn thành (%)"],
               ["{{ loop.index }}", "{{ r.name }}", "{{ r.tasks }}", "{{ r.done_on_time }}", "{{ r.overdue }}",
                "{{ r.in_progress }}", "{{ r.done_rate }}"], "by_unit", [1.0, 6.0, 2.0, 2.0, 2.0, 2.2, 2.3])
    para(doc, "{{ chart_units }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "3. Nhiệm vụ quá hạn, chưa hoàn thành", italic=True)
    loop_table(doc, ["TT", "Nhiệm vụ", "Đơn vị", "Thời hạn", "Tiến độ (%)", "Nguyên nhân"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.unit }}", "{{ r.deadline }}", "{{ r.percent }}",
                "{{ r.cause }}"], "overdue", [0.9, 5.6, 3.0, 2.5, 1.5, 3.0])
    heading(doc, "III. NGUYÊN NHÂN CHẬM TIẾN ĐỘ")
    loop_table(doc, ["TT", "Nguyên nhân", "Số nhiệm vụ"], ["{{ loop.index }}", "{{ r.cause }}", "{{ r.count }}"],
               "causes", [1.0, 12.0, 3.0])
    para(doc, "{{ chart_causes }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    heading(doc, "IV. KIẾN NGHỊ, ĐỀ XUẤT CỦA CÁC ĐƠN VỊ")
    para(doc, "{%p for r in proposals %}")
    body(doc, "- {{ r.unit }}: {{ r.text }}")
    para(doc, "{%p endfor %}")
    heading(doc, "V. KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI")
    body(doc, "{{ classification_summary }}")
    loop_table(doc, ["Hạng", "Đơn vị", "Điểm", "Xếp loại"],
               ["{{ r.rank }}", "{{ r.name }}", "{{ r.score }}", "{{ r.level }}"], "classification",
               [1.5, 7.5, 2.0, 5.5])
    para(doc, "")
    signature(doc)
    return doc


def scorecard() -> Document:
    doc = new_document()
    party_header(doc, number_suffix="{{ doc_suffix }}")
    para(doc, "PHIẾU ĐÁNH GIÁ", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "kết quả thực hiện nhiệm vụ {{ period_label }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
         space_after=0)
    para(doc, "-----", align=WD_ALIGN_PARAGRAPH.CENTER)
    body(doc, "{{ subject_label }}: {{ subject.name }} (mã {{ subject.id }}).")
    body(doc, "Số nhiệm vụ: {{ subject.tasks }}; phải hoàn thành trong kỳ: {{ subject.assigned }}; đã hoàn thành: "
              "{{ subject.done }}, trong đó đúng hạn {{ subject.on_time }}; chậm/quá hạn: {{ subject.late }}.")
    body(doc, "Điểm số lượng {{ subject.quantity }}%, tiến độ {{ subject.schedule }}%, chất lượng "
              "{{ subject.quality }}%; điểm nhiệm vụ {{ subject.task_points }}; tổng điểm {{ subject.score }}.")
    para(doc, "Xếp loại: {{ subject.level }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    body(doc, "Căn cứ xếp loại: {{ subject.why }}")
    para(doc, "Chi tiết nhiệm vụ", bold=True)
    loop_table(doc, ["TT", "Nhiệm vụ", "Thời hạn", "Tình trạng", "%", "Đánh giá"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.deadline }}", "{{ r.status }}", "{{ r.percent }}",
                "{{ r.state }}"], "tasks", [0.9, 5.8, 2.5, 3.0, 1.1, 3.2])
    para(doc, "")
    signature(doc)
    return doc


def commitment() -> Document:
    doc = new_document()
    t = doc.add_table(rows=1, cols=2)
    borderless(t)
    set_widths(t, [7.0, 9.5])
    left, right = t.rows[0].cells
    cell_para(left, "{{ office.parent_body }}", first=True)
    cell_para(left, "{{ unit.name_upper }}", bold=True)
    cell_para(left, "*")
    cell_para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, size=15, underline=True, first=True)
    cell_para(right, "")
    cell_para(right, "{{ office.place }}, ngày      tháng      năm {{ year }}", italic=True)
    para(doc, "")
    para(doc, "BẢN CAM KẾT", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "thực hiện nhiệm vụ trọng tâm {{ period_label }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
         space_after=0)
    para(doc, "-----", align=WD_ALIGN_PARAGRAPH.CENTER)
    body(doc, "Tập thể lãnh đạo và người đứng đầu {{ unit.name }} cam kết với Ban Thường vụ {{ office.name }} "
              "thực hiện các nhiệm vụ trọng tâm sau:")
    loop_table(doc, ["TT", "Nhiệm vụ", "Chỉ tiêu, mục tiêu", "Thời hạn", "Phụ trách"],
               ["{{ loop.index }}", "{{ r.title }}", "{{ r.indicator }}", "{{ r.deadline }}", "{{ r.leader }}"],
               "tasks", [0.9, 6.4, 4.0, 2.5, 2.7])
    para(doc, "Các đầu việc cụ thể", bold=True)
    loop_table(doc, ["Mã", "Đầu việc", "Lộ trình", "Phụ trách", "Thời hạn"],
               ["{{ r.code }}", "{{ r.description }}", "{{ r.roadmap }}", "{{ r.owner }}", "{{ r.deadline }}"],
               "items", [1.8, 5.7, 3.9, 2.6, 2.5])
    para(doc, "")
    t = doc.add_table(rows=1, cols=2)
    borderless(t)
    left, right = t.rows[0].cells
    cell_para(left, "T/M BAN THƯỜNG VỤ {{ office.issuing_body }}", bold=True, first=True)
    cell_para(left, "(ký, ghi rõ họ tên)", italic=True, size=12)
    cell_para(right, "{{ unit.head_title_upper }}", bold=True, first=True)
    cell_para(right, "(ký, ghi rõ họ tên)", italic=True, size=12)
    for _ in range(3):
        cell_para(right, "")
    cell_para(right, "{{ unit.head_name }}", bold=True)
    return doc


def not_reported() -> Document:
    doc = new_document()
    party_header(doc)
    para(doc, "DANH SÁCH", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(doc, "đơn vị chưa gửi báo cáo {{ period_label }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
         space_after=0)
    para(doc, "(hạn nộp {{ deadline }}, tổng hợp đến {{ as_of }})", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    loop_table(doc, ["TT", "Đơn vị", "Tình trạng", "Người đứng đầu", "Liên hệ"],
               ["{{ loop.index }}", "{{ r.name }}", "{{ r.state }}", "{{ r.head }}", "{{ r.email }}"], "units",
               [1.0, 6.0, 3.0, 4.0, 3.0])
    para(doc, "")
    signature(doc)
    return doc


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, builder in (("bao_cao_tong_hop.docx", consolidated_report), ("phieu_danh_gia.docx", scorecard),
                          ("ban_cam_ket.docx", commitment), ("danh_sach_chua_nop.docx", not_reported)):
        builder().save(OUT / name)
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
