"""One returned file as the intake reads it: its form, unit and period, its typed rows by sheet, and the issues
found in it (the per-file report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..definitions.forms import Form, Sheet
from ..issues import Issue, Severity, make_issue
from ..periods import Period
from ..read import cell_ref
from ..workspace.units import Unit


@dataclass
class ParsedRow:
    excel_row: int
    values: dict[str, Any]
    cells: dict[str, str]
    raw: dict[str, Any]
    original: dict[str, str] = field(default_factory=dict)  # text as typed, where the toolkit converted it
    formulas: set[str] = field(default_factory=set)  # columns holding a formula with no computed value


@dataclass
class ParsedSheet:
    spec: Sheet
    name: str
    rows: list[ParsedRow] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # column name -> 1-based Excel column
    header_row: int = 0

    def cell(self, row: ParsedRow, name: str) -> str:
        if name in row.cells:
            return row.cells[name]
        col = self.columns.get(name)
        return cell_ref(row.excel_row, col) if col else f"{row.excel_row}"


@dataclass
class Submission:
    path: Path
    file_name: str
    form: Form | None = None
    form_version: int | None = None
    unit: Unit | None = None
    period: Period | None = None
    identified_by: str = ""
    sheets: dict[str, ParsedSheet] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    format: str = ""
    folds: dict[str, str] = field(default_factory=dict)  # text -> text.fold(text), for the near-duplicate checks

    def add(self, code: str, **kw) -> Issue:
        issue = make_issue(code, file=self.file_name, unit=self.unit.code if self.unit else "", **kw)
        self.issues.append(issue)
        return issue

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


def first_return(submissions: list[dict]) -> dict | None:
    """The return a unit's timeliness is decided by: the first (by the file's date) that the office accepted or
    sent back for correction. A correction the office asked for, sent after the deadline, is never late."""
    returns = [s for s in submissions if s.get("status") in ("accepted", "rejected")]
    return min(returns, key=lambda s: (s.get("file_mtime") or "", s["id"])) if returns else None


def counted_text(sub: dict | None) -> str:
    """"30/01/2026 (tệp pt.xlsx)": the date that counted for timeliness and the file it is the date of."""
    if not sub or not sub.get("file_mtime"):
        return ""
    day = datetime.fromisoformat(sub["file_mtime"][:19])
    return f"{day:%d/%m/%Y} (tệp {sub['file_name']})"
