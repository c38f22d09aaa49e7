"""The data open to analysts: a round's returns, rows, classifications, register and adjustments as pandas
DataFrames, read from the store's documented views (v_submissions, v_rows, v_tasks, v_scores, v_adjustments; see
docs/analysis.md), the same on SQLite and PostgreSQL.

    import toolkit
    ws = toolkit.open_workspace("D:/van_phong")
    rows = ws.round("2026-H1").rows()        # one line per row of an accepted return, with its provenance

Provenance columns start with ``_`` (as in the consolidated workbook): ``_period``, ``_form``, ``_unit``,
``_file``, ``_sha256``, ``_sheet``, ``_row`` (the Excel row), ``_submission``, ``_received_at``; the unit's own
columns keep the names of its form's definition.
"""

from __future__ import annotations

import json

import pandas as pd

VIEWS_VERSION = 1  # the views' names and columns are a contract (docs/analysis.md): a change is a new version
PROVENANCE = {"period": "_period", "form_id": "_form", "unit_code": "_unit", "file_name": "_file", "sha256": "_sha256",
              "sheet": "_sheet", "excel_row": "_row", "submission_id": "_submission", "received_at": "_received_at",
              "sheet_id": "_sheet_id", "task_code": "_task_code"}


class RoundData:
    """One round's data, read-only, from the workspace's store (whichever engine keeps it)."""

    def __init__(self, ctx, period):
        self.ctx = ctx
        self.period = period  # a Period (Context.round parses the code)
        self.code = period.code

    def _frame(self, sql: str, args: tuple = ()) -> pd.DataFrame:
        view = sql.split(" FROM ", 1)[1].split()[0]
        if not self.ctx.has_store:
            return pd.DataFrame()
        records = self.ctx.store.query(sql, args)
        return pd.DataFrame.from_records(records, columns=self.ctx.store.columns(view))

    def submissions(self, form: str | None = None) -> pd.DataFrame:
        """Every file received for the round (accepted, rejected, replaced), with its verdict."""
        sql, args = "SELECT * FROM v_submissions WHERE period=?", [self.code]
        if form:
            sql, args = sql + " AND form_id=?", args + [self.ctx.form(form).id]
        return self._frame(sql + " ORDER BY submission_id", tuple(args))

    def rows(self, form: str | None = None, sheet: str | None = None) -> pd.DataFrame:
        """The rows of the accepted (latest) returns: the unit's columns, then the provenance columns."""
        sql, args = "SELECT * FROM v_rows WHERE period=?", [self.code]
        if form:
            sql, args = sql + " AND form_id=?", args + [self.ctx.form(form).id]
        if sheet:
            sql, args = sql + " AND sheet_id=?", args + [sheet]
        if not self.ctx.has_store:
            return pd.DataFrame(columns=list(PROVENANCE.values()))
        out = []
        for r in self.ctx.store.query(sql + " ORDER BY unit_code, form_id, sheet_id, excel_row", tuple(args)):
            data = r["data"] if isinstance(r["data"], dict) else json.loads(r["data"] or "{}")
            out.append({**data, **{name: r[col] for col, name in PROVENANCE.items()}})
        return pd.DataFrame.from_records(out, columns=None if out else list(PROVENANCE.values()))

    def scores(self) -> pd.DataFrame:
        """The round's classification of units and leaders (score, level, rank and what they were made of)."""
        return self._frame("SELECT * FROM v_scores WHERE period=? ORDER BY subject_kind DESC, score IS NULL, "
                           "score DESC, subject_id", (self.code,))

    def tasks(self) -> pd.DataFrame:
        """The task register(s) the round reports on."""
        keys = self.ctx.calendar.register_keys(self.period)
        if not keys:
            return self._frame("SELECT * FROM v_tasks WHERE 1=0")
        marks = ", ".join("?" * len(keys))
        return self._frame(f"SELECT * FROM v_tasks WHERE register_key IN ({marks}) ORDER BY register_key, unit_code, "
                           f"task_code", tuple(keys))

    def adjustments(self) -> pd.DataFrame:
        """Requests to change the register made in the round, and the office's decisions."""
        return self._frame("SELECT * FROM v_adjustments WHERE period=? ORDER BY adjustment_id", (self.code,))
