"""Writing the office's workbooks (xlsxwriter): one look for every table the toolkit writes, text from units
always written as text (never a formula) and cleaned of characters XML forbids, Excel tables with filters."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import xlsxwriter

from .text import xml_safe

FONT = "Times New Roman"


def new_workbook(path, constant_memory: bool = False) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "constant_memory": constant_memory})


class Formats:
    def __init__(self, wb):
        base = {"font_name": FONT, "font_size": 11, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.note = wb.add_format({**base, "italic": True})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "align": "center", "valign": "vcenter"})
        self.text = wb.add_format({**base, "text_wrap": True})
        self.date = wb.add_format({**base, "num_format": "dd/mm/yyyy"})
        self.num = wb.add_format({**base, "num_format": "#,##0.##"})
        self.pct = wb.add_format({**base, "num_format": "0.0"})
        self.bold = wb.add_format({**base, "bold": True})
        self.input = wb.add_format({**base, "text_wrap": True, "bg_color": "#FFF2CC", "border": 1,
                                    "locked": False})
        self.warn = wb.add_format({**base, "text_wrap": True, "font_color": "#C00000"})


def fit_row(ws, r: int, cells, points: float = 12, least: float = 0) -> None:
    """Give a row of wrapped text the height its longest cell needs: a row left at the default height prints
    its text over the next rows (neither Excel nor LibreOffice grows it on open). ``cells`` are (text, column
    width) pairs; Times at ``points`` fits ~1.2 characters per unit of width at 12 pt."""
    per_unit = 1.2 * 12 / points
    lines = max((sum(max(1, -(-len(part) // max(int(width * per_unit), 1))) for part in text.split("\n"))
                 for text, width in cells if isinstance(text, str) and text), default=1)
    if lines > 1 or least:
        ws.set_row(r, max((points + 4) * lines, least))


def missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (v.__class__.__name__ in ("NaTType", "NAType"))


def cell(ws, r: int, c: int, v: Any, f: Formats, fmt=None) -> None:
    if missing(v):
        ws.write_blank(r, c, None, fmt or f.text)
    elif isinstance(v, bool):
        ws.write_string(r, c, "có" if v else "không", fmt or f.text)
    elif isinstance(v, (datetime, date)):
        ws.write_datetime(r, c, datetime(v.year, v.month, v.day), fmt or f.date)
    elif isinstance(v, (int, float)):
        ws.write_number(r, c, v, fmt or f.num)
    else:
        ws.write_string(r, c, xml_safe(str(v)), fmt or f.text)  # text from units is never a formula


def table(ws, top: int, headers: list[str], rows: list[list], f: Formats, widths: list[float],
          rows_count: int | None = None, landscape: bool = True, print_columns: int | None = None) -> None:
    """A header and rows: an Excel table (filters, banded rows), or filter buttons when streaming; each row as
    high as its wrapped text; printed readable on A4 (see print_setup), the first ``print_columns`` only when
    given."""
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    fit_row(ws, top, list(zip(headers, widths)), points=12, least=20)  # a wrapped header is never cut off
    n = len(rows) if rows_count is None else rows_count
    if ws.constant_memory:  # large rounds: rows streamed to disk, filter buttons instead of an Excel table
        for c, h in enumerate(headers):
            ws.write_string(top, c, h, f.head)
        ws.autofilter(top, 0, top + max(n, 1), len(headers) - 1)
    else:
        ws.add_table(top, 0, top + max(n, 1), len(headers) - 1, {
            "columns": [{"header": h, "header_format": f.head} for h in headers],
            "style": "Table Style Light 9", "autofilter": True})
    for r, row in enumerate(rows, start=top + 1):
        for c, v in enumerate(row):
            cell(ws, r, c, v, f)
        if not ws.constant_memory:
            fit_row(ws, r, [(v, w) for v, w in list(zip(row, widths))[:print_columns or None] if isinstance(v, str)],
                    points=11)
    ws.freeze_panes(top + 1, 0)
    print_setup(ws, widths[:print_columns] if print_columns else widths, top, landscape)
    if print_columns:
        ws.print_area(0, 0, top + max(n, 1), print_columns - 1)


PRINT_WIDTH = {True: 150, False: 100}  # column width units an A4 page holds at 100 % (landscape, portrait)
MIN_SCALE = 0.7  # below this Times 11 prints under 8 pt: print on more pages across instead


def print_setup(ws, widths: list[float], top: int = 0, landscape: bool = True) -> None:
    """A4, the header row repeated on every page, scaled to the page width when that keeps the text at 70 % or
    more; a wider sheet prints on several pages across (its first column repeated) rather than unreadably small.
    Comments are never printed (LibreOffice would print them over the data)."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    across = max(1, math.ceil(sum(widths) * MIN_SCALE / PRINT_WIDTH[landscape] - 1e-9))
    ws.fit_to_pages(across, 0)
    if across > 1:
        ws.repeat_columns(0, 0)
    ws.repeat_rows(top)
    ws.set_footer("&CTrang &P/&N")


def write_rows(ws, f: Formats, columns: list, first: int, last: int, widths: list[float] | None = None) -> None:
    """Column-wise typed writes (the large data sheet): ``columns`` is [(kind, values)]; with ``widths`` (and
    rows kept in memory) each row is as high as its longest wrapped text."""
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    heights = widths is not None and not ws.constant_memory
    for r in range(first, last):
        row = r - first + 1
        if heights:
            fit_row(ws, row, [(v, w) for (_, values), w in zip(columns, widths)
                              if isinstance(v := values[r], str) and len(v) > w], points=11)
        for c, (kind, values) in enumerate(columns):
            v = values[r]
            if v is None or v != v:
                continue
            if kind == "date" and isinstance(v, date):
                write_datetime(row, c, datetime(v.year, v.month, v.day), f.date)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                write_number(row, c, v, f.num)
            else:
                write_string(row, c, xml_safe(str(v)), f.text)


__all__ = ["Formats", "cell", "table", "write_rows", "new_workbook"]
