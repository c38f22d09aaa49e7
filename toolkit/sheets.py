"""Writing the office's workbooks (xlsxwriter): one look for every table the toolkit writes, text from units
always written as text (never a formula) and cleaned of characters XML forbids, Excel tables with filters."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .text import xml_safe

FONT = "Times New Roman"


def _plain_run(text: str) -> str:
    """Text as one rich-text run of itself, escaped (see Sheet)."""
    return f'<r><t xml:space="preserve">{escape(text)}</t></r>'


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_cut(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` UTF-16 units, a character above U+FFFF never split
    (Excel counts a cell's 32,767 characters in UTF-16 units; xlsxwriter cuts the same way)."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:i]
    return text


_LEADING, _TRAILING = re.compile(r"^\s"), re.compile(r"\s$")


class _Serial(float):
    """An Excel date serial among a column's numbers (written with the date format)."""


class Sheet(Worksheet):
    """xlsxwriter's worksheet, with two differences.

    Text that starts with "<r>" and ends with "</r>" is written as the text it is. xlsxwriter takes such a string
    for rich-text XML and writes it unescaped, so a unit's "<r>a & b</r>" made the whole workbook unreadable
    (Excel, LibreOffice, openpyxl and calamine all refuse it).

    ``stream_columns`` writes a block of typed columns at once. In constant_memory mode the rows go straight to
    the sheet's rows file as the very XML xlsxwriter writes cell by cell (a test compares the bytes); its
    per-cell writer took 60 % of merging a 1,000-unit round."""

    def _write_string(self, row, col, string, cell_format=None):
        if not string.startswith("<r>"):
            return super()._write_string(row, col, string, cell_format)
        text = self._cut(string)  # first cut to what a cell holds, as xlsxwriter does: then is it "<r>…</r>"?
        if not text.endswith("</r>"):
            return super()._write_string(row, col, text, cell_format)
        limit = self.xls_strmax
        self.xls_strmax = 2 ** 31  # the run's markup and escapes are not the cell's text: nothing more is cut
        try:
            return super()._write_string(row, col, _plain_run(text), cell_format)
        finally:
            self.xls_strmax = limit

    def _cut(self, text: str) -> str:
        if len(text) > self.xls_strmax // 2 and _utf16_len(text) > self.xls_strmax:
            return _utf16_cut(text, self.xls_strmax)
        return text

    def stream_columns(self, first_row: int, columns: list[list], formats: dict,
                       heights: dict[int, float] | None = None) -> None:
        """Rows from ``first_row`` on, given column by column: each value None (no cell), an int or float, a
        `_Serial` (a date) or a str (already cleaned of what XML forbids); ``formats`` maps each of those types
        to its cell format; ``heights``: row -> its height (points), for rows of wrapped text (see
        :func:`row_height`). The rows written are closed: xlsxwriter refuses a later write to them."""
        rows = max((len(v) for v in columns), default=0)
        if any(len(v) != rows for v in columns):
            raise ValueError("stream_columns: columns of different lengths")
        if first_row + rows > self.xls_rowmax:
            raise ValueError(f"stream_columns: {first_row + rows} rows, over the sheet's {self.xls_rowmax}")
        heights = heights or {}
        if not (self.constant_memory and self.excel_version == 2007 and not self.table.get(first_row)
                and self.previous_row <= first_row and self.default_row_height == self.original_row_height
                and not any(first_row <= r < first_row + rows for r in self.row_info)):
            for r, height in heights.items():  # (xlsxwriter writes them with the rows)
                self.set_row(r, height)
            self._write_columns(first_row, columns, formats)  # rows in memory (or an unusual sheet)
            return
        if self.previous_row < first_row:
            self._write_single_row(first_row)  # the rows above (the header) are written first, as xlsxwriter would
        letters = [xlsxwriter.utility.xl_col_to_name(c) for c in range(len(columns))]
        xf: dict = {}
        memo: dict = {}
        used_rows, used_cols = [], set()
        for start in range(0, rows, 4096):
            end = min(start + 4096, rows)
            self._number_formats(columns, start, end, formats, xf)
            frags = [self._fragments(values[start:end], xf, memo) for values in columns]
            chunk = []
            for i, cells in enumerate(zip(*frags), start=first_row + start):
                r = str(i + 1)
                row = [f'<c r="{letters[c]}{r}"{frag}' for c, frag in enumerate(cells) if frag is not None]
                if row:
                    height = heights.get(i)
                    tall = f' ht="{height:g}" customHeight="1"' if height else ""  # (as xlsxwriter writes set_row's)
                    chunk.append(f'<row r="{r}"{tall}>{"".join(row)}</row>')
                    used_rows.append(i)
            used_cols.update(c for c, col in enumerate(frags) if c not in used_cols and any(col))
            self.row_data_fh.write("".join(chunk))
        if used_rows:  # the sheet's dimensions, as the cells would have set them
            self._check_dimensions(used_rows[0], min(used_cols))
            self._check_dimensions(used_rows[-1], max(used_cols))
            self.previous_row = used_rows[-1] + 1  # (the last row is written: a row past it is the next one)

    def _write_columns(self, first_row: int, columns: list[list], formats: dict) -> None:
        """Cell by cell, row by row (streaming, xlsxwriter drops a write to a row above the last one written)."""
        for i, row in enumerate(zip(*columns), start=first_row):
            for c, v in enumerate(row):
                if type(v) is str:
                    self._write_string(i, c, v, formats[str])
                elif v is not None:
                    self._write_number(i, c, v, formats[type(v)])

    def _fragments(self, values: list, xf: dict, memo: dict) -> list[str | None]:
        """Each value's cell XML after its reference (None: no cell); short texts memoised, as they repeat."""
        out = []
        for v in values:
            kind = type(v)
            if v is None:
                out.append(None)
            elif kind is str:
                frag = memo.get(v) if len(v) <= 100 else None
                if frag is None:
                    frag = xf[str] + self._inline(v)
                    if len(v) <= 100:
                        memo[v] = frag
                out.append(frag)
            elif kind is int or kind is float or kind is _Serial:
                if not math.isfinite(v):
                    raise ValueError(f"not a number Excel can hold: {v!r}")
                out.append(f"{xf[kind]}><v>{v:.16G}</v></c>")
            else:
                raise TypeError(f"stream_columns takes None, int, float, dates and str, not {kind.__name__}")
        return out

    @staticmethod
    def _number_formats(columns: list[list], start: int, end: int, formats: dict, xf: dict) -> None:
        """The `s` attribute of each kind of value in rows start..end. A format gets its number when first
        written and xlsxwriter writes row by row, so formats still without one are numbered in the order their
        first cells come row by row: the styles part is the same as cell by cell (unless a format is first used
        in the block's very last row, which xlsxwriter would number only when the workbook closes)."""
        for kind, fmt in formats.items():
            if kind not in xf and fmt.xf_index is not None:
                xf[kind] = f' s="{fmt.xf_index}"'
        wanted = {kind for kind in formats if kind not in xf}
        first: dict = {}
        for c, values in enumerate(columns):
            found = set()
            for i in range(start, min(end, len(values))):
                kind = type(values[i])
                if kind in wanted and kind not in found:
                    found.add(kind)
                    if kind not in first or (i, c) < first[kind]:
                        first[kind] = (i, c)
                    if len(found) == len(wanted):
                        break
        for kind in sorted(first, key=first.get):
            xf[kind] = f' s="{formats[kind]._get_xf_index()}"'

    def _inline(self, text: str) -> str:
        """The rest of an inline-string cell after its reference, as xlsxwriter writes it in constant_memory."""
        text = self._cut(text)
        if text.startswith("<r>") and text.endswith("</r>"):
            text = _plain_run(text)
        text = self._escape_control_characters(text)
        if text.startswith("<r>") and text.endswith("</r>"):
            return f' t="inlineStr"><is>{text}</is></c>'
        space = ' xml:space="preserve"' if _LEADING.search(text) or _TRAILING.search(text) else ""
        return f' t="inlineStr"><is><t{space}>{self._escape_data(text)}</t></is></c>'


class Workbook(xlsxwriter.Workbook):
    worksheet_class = Sheet


def new_workbook(path, constant_memory: bool = False) -> Workbook:
    return Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "constant_memory": constant_memory})


class Formats:
    def __init__(self, wb):
        base = {"font_name": FONT, "font_size": 11, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.note = wb.add_format({**base, "italic": True})
        self.note_wrapped = wb.add_format({**base, "italic": True, "text_wrap": True})
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
    height = row_height(cells, points, least)
    if height is not None:
        ws.set_row(r, height)


def row_height(cells, points: float = 12, least: float = 0) -> float | None:
    """The height :func:`fit_row` gives a row (None: the default height will do)."""
    lines = max((_lines(text, width, points) for text, width in cells if isinstance(text, str) and text), default=1)
    return max((points + 4) * lines, least) if lines > 1 or least else None


def _lines(text: str, width: float, points: float) -> int:
    """The lines a wrapped text takes in a column ``width`` wide: Times at ``points`` fits ~1.2 characters per unit
    of width at 12 pt."""
    chars = max(int(width * 1.2 * 12 / points), 1)
    if "\n" not in text:  # (most texts: one paragraph)
        return max(1, -(-len(text) // chars))
    return sum(max(1, -(-len(part) // chars)) for part in text.split("\n"))


def column_heights(columns: list[list], widths: list[float], first: int, points: float = 12) -> dict[int, float]:
    """Row (from ``first``) -> height, for the rows of columns of values (a block of a sheet) holding a text longer
    than its column is wide: what :func:`row_height` gives each row for those texts, column by column (rows of a
    large sheet: most values are short, and one test a cell is all they cost)."""
    need: dict[int, int] = {}
    for values, width in zip(columns, widths):
        for i in [i for i, v in enumerate(values) if isinstance(v, str) and len(v) > width]:
            n = _lines(values[i], width, points)
            if n > need.get(i, 1):
                need[i] = n
    return {first + i: (points + 4) * n for i, n in need.items()}


def note_across(ws, r: int, text: str, f: Formats, widths: list[float], landscape: bool = True) -> None:
    """A note above a table, wrapped within the columns of the first printed page (``widths``: the table's printed
    columns, see :func:`print_setup`) and as high as its text. Left in one cell, a long note runs on over the empty
    cells on screen, but the printed page cuts it at its right edge (the classification's notes, the rule for tasks
    not yet due)."""
    n = first_page_columns(widths, landscape)
    if n > 1:
        ws.merge_range(r, 0, r, n - 1, text, f.note_wrapped)
    else:
        ws.write_string(r, 0, text, f.note_wrapped)
    fit_row(ws, r, [(text, sum(widths[:n]))], points=11)


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


def pages_across(widths: list[float], landscape: bool = True) -> int:
    """How many A4 pages across :func:`print_setup` prints columns of these widths on."""
    return max(1, math.ceil(sum(widths) * MIN_SCALE / PRINT_WIDTH[landscape] - 1e-9))


def first_page_columns(widths: list[float], landscape: bool = True) -> int:
    """How many of these columns print on the first page: all when the sheet is fitted to one page's width; else those
    within 85 % of a page at the scale printed (Excel and LibreOffice do not measure a width alike: LibreOffice put 8
    columns of 121 units on a landscape page said to hold 150)."""
    across = pages_across(widths, landscape)
    if across == 1:
        return len(widths)
    room = 0.85 * PRINT_WIDTH[landscape] / min(1.0, across * PRINT_WIDTH[landscape] / sum(widths))
    n, used = 0, 0.0
    for w in widths:
        used += w
        if used > room:
            break
        n += 1
    return max(n, 1)


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
    across = pages_across(widths, landscape)
    ws.fit_to_pages(across, 0)
    if across > 1:
        ws.repeat_columns(0, 0)
    ws.repeat_rows(top)
    ws.set_footer("&CTrang &P/&N")


__all__ = ["Formats", "cell", "table", "new_workbook", "Workbook", "Sheet"]
