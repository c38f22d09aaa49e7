"""The office's review workbooks (confirmation of registrations, adjustment requests): a table written by the
toolkit with an opinion column the office fills from a dropdown, read back by the same command.

Reading then rewriting is idempotent: a decision already applied is written again as it stands and reading it
once more changes nothing. Columns are found by their titles, so a clerk may reorder, hide or widen them;
rows are matched by the identifiers the toolkit wrote (never by position).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ToolkitError
from ..files import atomic_path
from ..sheets import Formats, cell, fit_row, new_workbook, print_setup, table
from ..text import fold


@dataclass
class Column:
    title: str
    width: float
    kind: str = "data"  # data | input (the office fills it) | choice (dropdown) | hidden


def write_review(path: Path, sheet: str, title: str, notes: list[str], columns: list[Column], rows: list[list],
                 choices: list[str], extra: list[tuple[str, list[str], list[list], list[float]]] = ()) -> Path:
    """One review sheet (title, notes, a table whose input columns are unlocked and yellow, a dropdown on the
    choice column), then optional plain sheets (name, headers, rows, widths)."""
    top = 3 + len(notes)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        f = Formats(wb)
        ws = wb.add_worksheet(sheet)
        ws.write_string(0, 0, title, f.title)
        for i, note in enumerate(notes, start=1):
            ws.write_string(i, 0, note, f.note)
        fit_row(ws, top, [(col.title, col.width) for col in columns if col.kind != "hidden"], 12, least=20)
        for c, col in enumerate(columns):
            ws.set_column(c, c, col.width, None, {"hidden": col.kind == "hidden"})
            ws.write_string(top, c, col.title, f.head)
        for r, row in enumerate(rows, start=top + 1):
            for c, (col, v) in enumerate(zip(columns, row)):
                cell(ws, r, c, v, f, f.input if col.kind in ("input", "choice") else None)
            fit_row(ws, r, [(v, col.width) for col, v in zip(columns, row) if col.kind != "hidden"], 11)
        last = top + max(len(rows), 1)
        for c, col in enumerate(columns):
            if col.kind == "choice":
                ws.data_validation(top + 1, c, last + 200, c, {
                    "validate": "list", "source": choices, "error_type": "stop", "error_title": "Ý kiến",
                    "error_message": "Chọn một ý kiến trong danh sách: " + ", ".join(choices) + "."})
            if col.kind in ("input", "choice") and len(rows) < 1:
                ws.write_blank(top + 1, c, None, f.input)
        ws.autofilter(top, 0, last, len(columns) - 1)
        ws.freeze_panes(top + 1, 0)
        print_setup(ws, [col.width for col in columns if col.kind != "hidden"], top)
        for name, headers, extra_rows, widths in extra:
            table(wb.add_worksheet(name), 0, headers, extra_rows, f, widths)
        wb.close()
    return path


@dataclass
class ReviewRow:
    values: dict[str, Any]  # by column title
    row: int  # Excel row number
    cells: dict[str, str]  # column title -> cell reference


def read_review(path: Path, sheet: str, needed: list[str]) -> list[ReviewRow]:
    """Rows of the review sheet as the office left them. Raises ToolkitError (Vietnamese, naming the file and
    sheet) when the sheet or one of the needed columns is gone."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ToolkitError(f"Không mở được tệp {path.name} ({type(exc).__name__}). Đóng tệp trong Excel nếu đang "
                           f"mở, hoặc xoá tệp để chương trình tạo lại (các ý kiến đã ghi trong tệp sẽ mất).") from exc
    try:
        if sheet not in wb.sheetnames:
            raise ToolkitError(f"Tệp {path.name} không có trang '{sheet}'. Không đổi tên trang này; xoá tệp để "
                               f"chương trình tạo lại.")
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    wanted = {fold(t): t for t in needed}
    for top, values in enumerate(rows):
        found = {wanted[fold(str(v))]: c for c, v in enumerate(values) if v is not None and fold(str(v)) in wanted}
        if len(found) == len(wanted):
            break
    else:
        raise ToolkitError(f"Tệp {path.name}, trang '{sheet}': không tìm thấy dòng tiêu đề có các cột "
                           f"{', '.join(needed)}. Không đổi tên tiêu đề cột; xoá tệp để chương trình tạo lại.")
    header = rows[top]
    titles = {c: str(v).strip() for c, v in enumerate(header) if v is not None}
    out = []
    for r, values in enumerate(rows[top + 1:], start=top + 2):
        if not any(v not in (None, "") for v in values):
            continue
        out.append(ReviewRow({titles[c]: v for c, v in enumerate(values) if c in titles},
                             r, {titles[c]: f"{get_column_letter(c + 1)}{r}" for c in titles}))
    return out


def choice(value: Any, choices: dict[str, str]) -> str | None:
    """The decision an opinion cell holds (matched without case or diacritics), "" when blank, None when the
    text is not one of the choices."""
    if value is None or not str(value).strip():
        return ""
    return choices.get(fold(str(value)))


__all__ = ["Column", "write_review", "read_review", "ReviewRow", "choice"]
