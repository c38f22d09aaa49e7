"""The safe reader of untrusted workbooks, under the name the intake imported it by: the reader itself is on the
bottom floor (toolkit/read.py), since the workspace reads the registry of units with it too. New code imports
``toolkit.read``."""

from __future__ import annotations

from ..read import (
    INFO_LABELS,
    INFO_ROWS,
    LISTS_SHEET,
    META_SHEET,
    SPREADSHEET_EXTS,
    Limits,
    SheetData,
    Workbook,
    cell_ref,
    check_zip,
    col_letter,
    open_rows,
    open_workbook,
    sniff,
    time_limit,
)

__all__ = ["INFO_LABELS", "INFO_ROWS", "LISTS_SHEET", "META_SHEET", "SPREADSHEET_EXTS", "Limits", "SheetData",
           "Workbook", "cell_ref", "check_zip", "col_letter", "open_rows", "open_workbook", "sniff", "time_limit"]
