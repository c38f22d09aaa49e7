"""Annotated copy of a unit's own workbook: cells marked by severity, a comment on each saying what is
wrong and what to do, and a first sheet "Lỗi cần sửa" listing every issue with a link to its cell.

The unit's values are never changed: formulas are replaced by their cached values (nothing from a
received file becomes live), text starting with "=" stays text. .xls/.ods become an .xlsx copy.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .config import atomic_path
from .issues import Severity
from .paths import safe_filename
from .read import open_workbook

SHEET = "Lỗi cần sửa"
FILLS = {
    Severity.ERROR: PatternFill("solid", fgColor="FFC7CE"),
    Severity.WARNING: PatternFill("solid", fgColor="FFEB9C"),
}
FONT = "Times New Roman"


def feedback_path(folder: Path, sub) -> Path:
    if getattr(sub, "output_name", ""):  # chosen by the collect so that no two copies share a name
        return folder / sub.output_name
    stem = re.sub(r"[^\w.-]+", "_", Path(sub.file_name).stem, flags=re.UNICODE).strip("._") or "tep"
    return folder / safe_filename(f"{stem[:80]}_phan_hoi.xlsx")


def write_feedback(sub, source: Path, folder: Path) -> Path:
    target = feedback_path(folder, sub)
    if sub.format in ("xlsx",) and source.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            wb = openpyxl.load_workbook(source, data_only=True, keep_links=False, keep_vba=False, rich_text=False)
        except Exception:
            wb = _from_values(source)
    else:
        wb = _from_values(source)
    _neutralise(wb)
    _mark(wb, sub)
    _summary(wb, sub)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def _from_values(source: Path) -> openpyxl.Workbook:
    """A new .xlsx holding the values of an .xls/.ods (or an .xlsx openpyxl cannot load)."""
    data = open_workbook(source, want_fonts=False)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, sheet in data.sheets.items():
        ws = wb.create_sheet(title=_safe_title(name))
        if not sheet.visible:
            ws.sheet_state = "hidden"
        for r, row in enumerate(sheet.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v == "" or v is None:
                    continue
                cell = ws.cell(row=r, column=c, value=v)
                if isinstance(v, str):
                    cell.data_type = "s"
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    return wb


def _safe_title(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"


def _neutralise(wb: openpyxl.Workbook) -> None:
    """Text that looks like a formula stays text; no external links or defined names survive."""
    for ws in wb.worksheets:
        for cell in list(getattr(ws, "_cells", {}).values()):  # existing cells only (sheets can be sparse)
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                cell.data_type = "s"
    try:
        wb._external_links = []
    except AttributeError:
        pass
    for name in list(getattr(wb, "defined_names", {}) or {}):
        try:
            del wb.defined_names[name]
        except Exception:
            pass


def _mark(wb: openpyxl.Workbook, sub) -> None:
    by_cell: dict[tuple[str, str], list] = {}
    for issue in sub.issues:
        if issue.sheet and issue.cell and issue.severity in FILLS:
            by_cell.setdefault((issue.sheet, issue.cell), []).append(issue)
    for (sheet, ref), issues in by_cell.items():
        title = sheet if sheet in wb.sheetnames else _safe_title(sheet)
        if title not in wb.sheetnames:
            continue
        ws = wb[title]
        try:
            cell = ws[ref]
        except (ValueError, KeyError):
            continue
        worst = Severity.ERROR if any(i.is_error for i in issues) else Severity.WARNING
        if hasattr(cell, "fill"):
            cell.fill = FILLS[worst]
        text = "\n".join(f"[{i.severity.label}] {i.message}" + (f"\n→ {i.hint}" if i.hint else "") for i in issues)
        old = cell.comment.text + "\n" if getattr(cell, "comment", None) else ""
        comment = Comment((old + text)[:2000], "Văn phòng")
        comment.width, comment.height = 360, 40 + 18 * text.count("\n") + 18 * (len(text) // 60)
        try:
            cell.comment = comment
        except AttributeError:  # merged cell
            pass


def _summary(wb: openpyxl.Workbook, sub) -> None:
    if SHEET in wb.sheetnames:
        del wb[SHEET]
    ws = wb.create_sheet(SHEET, 0)
    bold = Font(name=FONT, bold=True)
    ws["A1"] = f"Tệp: {sub.file_name} — Đơn vị: {sub.unit.name if sub.unit else '(chưa xác định)'}"
    ws["A1"].font = Font(name=FONT, bold=True, size=13)
    errors = sum(1 for i in sub.issues if i.is_error)
    verdict = "KHÔNG TIẾP NHẬN — đề nghị sửa các lỗi và gửi lại." if errors else \
        "ĐÃ TIẾP NHẬN — đề nghị xem các cảnh báo."
    ws["A2"] = f"{verdict} ({errors} lỗi, {len(sub.issues) - errors} cảnh báo/ghi chú)"
    ws["A2"].font = Font(name=FONT, bold=True, color="C00000" if errors else "1F4E78")
    headers = ["STT", "Mức độ", "Trang", "Ô", "Nội dung", "Cách sửa", "Mã lỗi"]
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=4, column=c, value=h)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    issues = sorted(sub.issues, key=lambda i: (order[i.severity], i.sheet, i.row or 0))
    for n, issue in enumerate(issues, start=1):
        r = 4 + n
        values = [n, issue.severity.label, issue.sheet, issue.cell or (str(issue.row) if issue.row else ""),
                  issue.message, issue.hint, issue.code]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = Font(name=FONT)
        if issue.severity in FILLS:
            ws.cell(row=r, column=2).fill = FILLS[issue.severity]
        lines = max(len(issue.message) / 65, len(issue.hint) / 55, 1)
        ws.row_dimensions[r].height = 15 * (int(lines) + (lines > int(lines)))
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            link = ws.cell(row=r, column=4)
            link.hyperlink = f"#'{issue.sheet}'!{issue.cell}"
            link.font = Font(name=FONT, color="0563C1", underline="single")
    for c, w in enumerate([5, 10, 16, 8, 60, 50, 22], start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
