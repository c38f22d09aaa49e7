"""Shared fixtures: a real workspace in tmp_path and a helper that fills a template as a unit would."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from needs import missing

from toolkit.context import load_context
from toolkit.outputs.templates import build_template
from toolkit.periods import parse_period
from toolkit.workspace.config import init_workspace

ROOT = Path(__file__).resolve().parent.parent
REALWORLD = ROOT.parent / "shared" / "realworld"


def require_realworld(path: Path | None = None, env=None) -> Path:
    """The real-world corpus (outside the repository, at ../shared/realworld). On a fresh clone without it the test
    is skipped with the reason; in CI (env ``CI`` set) its absence fails the test instead."""
    path = path or REALWORLD
    env = os.environ if env is None else env
    if path.is_dir():
        return path
    missing(f"the real-world corpus is missing: expected it at {path} (../shared/realworld, outside the repository); "
            "set it up beside the clone to run this test", env)


# --- the two store engines -------------------------------------------------------------------------------------
# A test that touches the store meaningfully runs on both: decorate it with @both_engines and take `store_url`
# (None for SQLite, a fresh PostgreSQL database's URL otherwise), or the `ws` / `ctx` fixtures, which use it.
both_engines = pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server on 127.0.0.1 for the session (one per xdist worker), stopped at the end."""
    from pgserver import MISSING, PgServer, pg_bin

    folder = pg_bin()
    if folder is None:
        missing(MISSING)
    server = PgServer(folder).start()
    yield server
    server.stop()


@pytest.fixture
def store_url(request):
    """None (the SQLite file in the workspace), or the URL of a new empty PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    return request.getfixturevalue("pg_server").new_database()


@pytest.fixture
def ws(tmp_path, store_url):
    w = init_workspace(tmp_path / "ws", periods=["2025", "2025-H1"])
    if store_url:
        w.settings["store"] = store_url
        w.save()
    w.set_period(parse_period("2025"), date(2025, 1, 31))
    w.set_period(parse_period("2025-H1"), date(2025, 7, 10))
    return w


@pytest.fixture
def ctx(ws):
    return load_context(ws)


def make_return(ctx, form_id: str, unit_code: str, period: str, rows: list[dict], name: str | None = None,
                sheet_id: str | None = None, received: date | None = date(2025, 1, 20), prefill=None,
                extra_sheets: dict | None = None) -> Path:
    """Build the unit's template with the real builder, fill it with openpyxl, drop it in the inbox."""
    form = ctx.form(form_id)
    p = parse_period(period)
    unit = ctx.registry.units[unit_code]
    inbox = ctx.ws.round_dir(p, "inbox")
    path = inbox / (name or f"{unit_code}_{form_id}.xlsx")
    build_template(path, form, unit, p, ctx.ws.deadline(p), registry=ctx.registry, prefill=prefill)
    wb = openpyxl.load_workbook(path)
    sheets = {sheet_id or form.main.id: rows, **(extra_sheets or {})}
    for sid, data in sheets.items():
        spec = form.sheet(sid)
        sh = wb[spec.name]
        names = [c.name for c in spec.columns]
        for i, row in enumerate(data):
            for name_, value in row.items():
                cell = sh.cell(row=spec.first_data_row + i, column=names.index(name_) + 1, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
    wb.save(path)
    if received:
        ts = datetime(received.year, received.month, received.day, 9).timestamp()
        os.utime(path, (ts, ts))
    return path


def task(code: str, **kw) -> dict:
    row = {"task_code": code, "area": "Xây dựng Đảng", "kind": "Trọng tâm",
           "title": f"Kết nạp đảng viên mới, phấn đấu đạt chỉ tiêu giao năm 2025 ({code})",
           "indicator": "Số đảng viên mới", "unit_measure": "đảng viên", "target": 50, "start_date": date(2025, 1, 1),
           "deadline": date(2025, 12, 15), "weight": 1}
    row.update(kw)
    return row


def docx_text(path) -> str:
    """A Word document's paragraphs, then its tables' rows as "a | b | c"."""
    import docx

    d = docx.Document(path)
    return "\n".join([p.text for p in d.paragraphs] +
                     [" | ".join(c.text for c in row.cells) for t in d.tables for row in t.rows])


def workbook_text(path) -> str:
    """Every cell of every sheet, a line per row."""
    wb = openpyxl.load_workbook(path)
    return "\n".join(" | ".join("" if v is None else str(v) for v in row) for ws in wb.worksheets
                     for row in ws.iter_rows(values_only=True))


def rows_of(path, sheet, header_row=1) -> list[dict]:
    """The rows below a header row as dicts keyed by the header's titles (rows with a first cell)."""
    ws = openpyxl.load_workbook(path)[sheet]
    head = [c.value for c in ws[header_row]]
    return [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=header_row + 1) if r[0].value]
