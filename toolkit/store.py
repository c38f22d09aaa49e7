"""The history database (SQLite in the workspace): submissions, rows with provenance, the task register,
issues, scores and an audit log. Each received file is written in one transaction, so a crash leaves
the store as it was before that file; SQLite's locking (WAL, BEGIN IMMEDIATE) serialises concurrent
collects on the same workspace.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS forms (
  id TEXT, version INTEGER, definition TEXT, PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS units (
  period TEXT, code TEXT, name TEXT, kind TEXT, parent TEXT, head_name TEXT, head_title TEXT, email TEXT,
  PRIMARY KEY (period, code));
CREATE TABLE IF NOT EXISTS leaders (
  period TEXT, id TEXT, name TEXT, title TEXT, unit_code TEXT, btv_managed INTEGER, PRIMARY KEY (period, id));
CREATE TABLE IF NOT EXISTS submissions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256 TEXT NOT NULL, file_name TEXT, rel_path TEXT, archived_path TEXT, format TEXT,
  unit_code TEXT, form_id TEXT, form_version INTEGER, period TEXT,
  received_at TEXT, file_mtime TEXT, status TEXT, errors INTEGER, warnings INTEGER,
  active INTEGER DEFAULT 0, replaces INTEGER, replaced_by INTEGER, late_days INTEGER DEFAULT 0,
  identified_by TEXT,
  UNIQUE (sha256, form_id, period));
CREATE INDEX IF NOT EXISTS sub_round ON submissions (form_id, period, unit_code, active);
CREATE TABLE IF NOT EXISTS seen_files (
  sha256 TEXT PRIMARY KEY, submission_id INTEGER, first_seen TEXT, file_name TEXT);
CREATE TABLE IF NOT EXISTS rows (
  id INTEGER PRIMARY KEY AUTOINCREMENT, submission_id INTEGER NOT NULL, sheet_id TEXT, sheet TEXT,
  excel_row INTEGER, unit_code TEXT, task_code TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS rows_sub ON rows (submission_id);
CREATE TABLE IF NOT EXISTS issues (
  id INTEGER PRIMARY KEY AUTOINCREMENT, submission_id INTEGER, file_name TEXT, unit_code TEXT, code TEXT,
  severity TEXT, sheet TEXT, cell TEXT, excel_row INTEGER, message TEXT, hint TEXT, period TEXT, form_id TEXT);
CREATE INDEX IF NOT EXISTS issues_round ON issues (form_id, period);
CREATE TABLE IF NOT EXISTS tasks (
  register_key TEXT, unit_code TEXT, task_code TEXT, kind TEXT, area TEXT, title TEXT, parent_code TEXT,
  leader_id TEXT, indicator TEXT, unit_measure TEXT, baseline REAL, target REAL, start_date TEXT,
  deadline TEXT, weight REAL, focal_point TEXT, source_form TEXT, submission_id INTEGER,
  active INTEGER DEFAULT 1, version INTEGER DEFAULT 1,
  PRIMARY KEY (register_key, unit_code, task_code));
CREATE TABLE IF NOT EXISTS work_items (
  register_key TEXT, unit_code TEXT, item_code TEXT, task_code TEXT, description TEXT, roadmap TEXT,
  owner TEXT, deadline TEXT, submission_id INTEGER, PRIMARY KEY (register_key, unit_code, item_code));
CREATE TABLE IF NOT EXISTS task_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, register_key TEXT, unit_code TEXT, task_code TEXT, field TEXT,
  old_value TEXT, new_value TEXT, submission_id INTEGER, at TEXT);
CREATE TABLE IF NOT EXISTS scores (
  period TEXT, subject_kind TEXT, subject_id TEXT, score REAL, level TEXT, detail TEXT, at TEXT,
  PRIMARY KEY (period, subject_kind, subject_id));
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, action TEXT, detail TEXT, submission_id INTEGER,
  file_name TEXT);
"""

TASK_FIELDS = ("kind", "area", "title", "parent_code", "leader_id", "indicator", "unit_measure", "baseline",
               "target", "start_date", "deadline", "weight", "focal_point")


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=60000")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reads -----------------------------------------------------------------------------------
    def version(self) -> tuple:
        """Changes whenever accepted data or the register change (for in-process memoisation)."""
        a = self.db.execute("SELECT COALESCE(MAX(id), 0), COALESCE(SUM(active), 0) FROM submissions").fetchone()
        b = self.db.execute("SELECT COUNT(*), COALESCE(SUM(version), 0) FROM tasks").fetchone()
        return tuple(a) + tuple(b)

    def seen(self, sha256: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM seen_files WHERE sha256=?", (sha256,)).fetchone()

    def seen_hashes(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT sha256 FROM seen_files")}

    def _select(self, table: str, form_id: str | None, period: str | None) -> list[dict]:
        sql, args = f"SELECT * FROM {table} WHERE 1=1", []
        if form_id:
            sql += " AND form_id=?"
            args.append(form_id)
        if period:
            sql += " AND period=?"
            args.append(period)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def submissions(self, form_id: str | None = None, period: str | None = None) -> list[dict]:
        return self._select("submissions", form_id, period)

    def forms_with_returns(self, period: str) -> list[str]:
        """Forms with at least one identified return in a period (in the order first received)."""
        return [r[0] for r in self.db.execute(
            "SELECT form_id FROM submissions WHERE period=? AND form_id IS NOT NULL AND unit_code IS NOT NULL "
            "GROUP BY form_id ORDER BY MIN(id)", (period,))]

    def submission_by_sha(self, sha256: str) -> dict | None:
        r = self.db.execute("SELECT s.* FROM seen_files f JOIN submissions s ON s.id=f.submission_id "
                            "WHERE f.sha256=?", (sha256,)).fetchone()
        return dict(r) if r else None

    def issues_of(self, submission_id: int) -> list:
        from .issues import Issue, Severity

        return [Issue(code=r["code"], severity=Severity(r["severity"]), message=r["message"], hint=r["hint"] or "",
                      file=r["file_name"], sheet=r["sheet"] or "", cell=r["cell"] or "", row=r["excel_row"],
                      unit=r["unit_code"] or "")
                for r in self.db.execute("SELECT * FROM issues WHERE submission_id=? ORDER BY id", (submission_id,))]

    def unit_submissions(self, unit: str, form_id: str, period: str) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? ORDER BY id", (unit, form_id, period))]

    def active_submission(self, unit: str, form_id: str, period: str) -> dict | None:
        r = self.db.execute("SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND active=1",
                            (unit, form_id, period)).fetchone()
        return dict(r) if r else None

    def rows(self, form_id: str, period: str, sheet_id: str | None = None) -> list[dict]:
        """Rows of the active (latest accepted) submissions, with provenance."""
        sql = ("SELECT r.*, s.file_name, s.sha256, s.received_at FROM rows r JOIN submissions s "
               "ON s.id=r.submission_id WHERE s.active=1 AND s.form_id=? AND s.period=?")
        args: list[Any] = [form_id, period]
        if sheet_id:
            sql += " AND r.sheet_id=?"
            args.append(sheet_id)
        out = []
        for r in self.db.execute(sql + " ORDER BY s.unit_code, r.sheet_id, r.excel_row", args):
            d = json.loads(r["data"])
            d.update(_unit=r["unit_code"], _file=r["file_name"], _sha256=r["sha256"], _sheet=r["sheet"],
                     _row=r["excel_row"], _sheet_id=r["sheet_id"], _submission=r["submission_id"])
            out.append(d)
        return out

    def texts_for_copy_check(self, form_id: str, column: str, period: str | None = None,
                             exclude_unit: str | None = None, active_only: bool = True) -> list[tuple[str, str, str, str]]:
        """(period, unit, key, text) of rows of a form (active ones, or every accepted one), for copy checks."""
        sql = ("SELECT s.period, s.unit_code, r.task_code, json_extract(r.data, '$.' || ?) FROM rows r "
               "JOIN submissions s ON s.id=r.submission_id WHERE s.form_id=? AND "
               + ("s.active=1" if active_only else "s.status='accepted'"))
        args: list[Any] = [column, form_id]
        if period:
            sql += " AND s.period=?"
            args.append(period)
        return [tuple(r) for r in self.db.execute(sql, args) if r[3] and r[1] != exclude_unit]

    def register(self, key: str, unit: str | None = None, active_only: bool = True) -> list[dict]:
        sql, args = "SELECT * FROM tasks WHERE register_key=?", [key]
        if unit:
            sql += " AND unit_code=?"
            args.append(unit)
        if active_only:
            sql += " AND active=1"
        return [dict(r) for r in self.db.execute(sql + " ORDER BY unit_code, task_code", args)]

    def register_keys(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT register_key FROM tasks")}

    def work_items(self, key: str, unit: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM work_items WHERE register_key=?", [key]
        if unit:
            sql += " AND unit_code=?"
            args.append(unit)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY unit_code, task_code, item_code", args)]

    def task_changes(self, key: str) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM task_changes WHERE register_key=? ORDER BY id", (key,))]

    def issues(self, form_id: str | None = None, period: str | None = None) -> list[dict]:
        return self._select("issues", form_id, period)

    def audit(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM audit ORDER BY id")]

    def scores(self, period: str) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM scores WHERE period=? ORDER BY score DESC",
                                                 (period,))]

    # --- writes ----------------------------------------------------------------------------------
    def record(self, sub: dict, rows: Iterable[dict], issues: Iterable[dict], register: dict | None = None,
               hook=None) -> tuple[int | None, dict | None]:
        """Write one received file atomically. Returns (submission id, replaced submission) or
        (None, None) when the same content was stored meanwhile (by a concurrent collect)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM seen_files WHERE sha256=?", (sub["sha256"],)).fetchone():
                db.execute("ROLLBACK")
                return None, None
            previous, newer = None, None
            if sub["status"] == "accepted" and sub.get("unit_code"):
                r = db.execute("SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND active=1",
                               (sub["unit_code"], sub["form_id"], sub["period"])).fetchone()
                previous = dict(r) if r else None
                if previous and (previous["file_mtime"], previous["file_name"]) > (sub["file_mtime"], sub["file_name"]):
                    newer, previous = previous, None  # an older file arriving late: history only
            cols = ["sha256", "file_name", "rel_path", "archived_path", "format", "unit_code", "form_id",
                    "form_version", "period", "received_at", "file_mtime", "status", "errors", "warnings",
                    "late_days", "identified_by"]
            cur = db.execute(f"INSERT INTO submissions ({', '.join(cols)}, active, replaces) VALUES "
                             f"({', '.join('?' * len(cols))}, ?, ?)",
                             [sub.get(c) for c in cols] + [1 if sub["status"] == "accepted" and not newer else 0,
                                                           previous["id"] if previous else None])
            sid = cur.lastrowid
            if newer:
                db.execute("UPDATE submissions SET replaced_by=? WHERE id=?", (newer["id"], sid))
            if previous:
                db.execute("UPDATE submissions SET active=0, replaced_by=? WHERE id=?", (sid, previous["id"]))
            db.execute("INSERT INTO seen_files VALUES (?, ?, ?, ?)", (sub["sha256"], sid, _now(), sub["file_name"]))
            db.executemany(
                "INSERT INTO rows (submission_id, sheet_id, sheet, excel_row, unit_code, task_code, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(sid, r["sheet_id"], r["sheet"], r["excel_row"], sub.get("unit_code"), r.get("task_code"),
                  json.dumps({k: to_json_value(v) for k, v in r["values"].items()}, ensure_ascii=False))
                 for r in rows])
            db.executemany(
                "INSERT INTO issues (submission_id, file_name, unit_code, code, severity, sheet, cell, excel_row, "
                "message, hint, period, form_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, sub["file_name"], sub.get("unit_code"), i["code"], i["severity"], i["sheet"], i["cell"],
                  i["row"], i["message"], i["hint"], sub.get("period"), sub.get("form_id")) for i in issues])
            action = "accept" if sub["status"] == "accepted" else "reject"
            detail = f"{sub.get('unit_code')} {sub.get('form_id')} {sub.get('period')} ({sub['status']})"
            if previous:
                detail += f"; thay thế bản #{previous['id']} ({previous['file_name']})"
            db.execute("INSERT INTO audit (at, action, detail, submission_id, file_name) VALUES (?, ?, ?, ?, ?)",
                       (_now(), action, detail, sid, sub["file_name"]))
            if hook:
                hook("after-rows")
            if register and sub["status"] == "accepted" and not newer:
                self._update_register(sid, sub, register)
            db.execute("COMMIT")
            self.last_newer = newer
            return sid, previous
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _update_register(self, sid: int, sub: dict, register: dict) -> None:
        db, key, unit = self.db, register["key"], sub["unit_code"]
        tasks = register.get("tasks", [])
        existing = {r["task_code"]: dict(r) for r in db.execute(
            "SELECT * FROM tasks WHERE register_key=? AND unit_code=? AND source_form=?",
            (key, unit, sub["form_id"]))}
        at = _now()
        for t in tasks:
            values = {f: to_json_value(t.get(f)) for f in TASK_FIELDS}
            old = existing.pop(t["task_code"], None)
            if old is None:
                db.execute(f"INSERT OR REPLACE INTO tasks (register_key, unit_code, task_code, {', '.join(TASK_FIELDS)}, "
                           f"source_form, submission_id, active, version) VALUES (?, ?, ?, "
                           f"{', '.join('?' * len(TASK_FIELDS))}, ?, ?, 1, 1)",
                           [key, unit, t["task_code"], *values.values(), sub["form_id"], sid])
                if db.execute("SELECT COUNT(*) FROM submissions WHERE unit_code=? AND form_id=? AND period=?",
                              (unit, sub["form_id"], sub["period"])).fetchone()[0] > 1:
                    db.execute("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
                               "new_value, submission_id, at) VALUES (?, ?, ?, 'added', NULL, ?, ?, ?)",
                               (key, unit, t["task_code"], values.get("title"), sid, at))
                continue
            changed = {f: (old[f], values[f]) for f in TASK_FIELDS if _differs(old[f], values[f])}
            if not old["active"]:
                changed["active"] = ("0", "1")
            for f, (a, b) in changed.items():
                db.execute("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
                           "new_value, submission_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (key, unit, t["task_code"], f, _text(a), _text(b), sid, at))
            db.execute(f"UPDATE tasks SET {', '.join(f + '=?' for f in TASK_FIELDS)}, submission_id=?, active=1, "
                       f"version=version+? WHERE register_key=? AND unit_code=? AND task_code=?",
                       [*values.values(), sid, 1 if changed else 0, key, unit, t["task_code"]])
        for code, old in existing.items():
            if old["active"]:
                db.execute("UPDATE tasks SET active=0, version=version+1 WHERE register_key=? AND unit_code=? "
                           "AND task_code=?", (key, unit, code))
                db.execute("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
                           "new_value, submission_id, at) VALUES (?, ?, ?, 'withdrawn', ?, NULL, ?, ?)",
                           (key, unit, code, old["title"], sid, at))
        if "items" in register:
            db.execute("DELETE FROM work_items WHERE register_key=? AND unit_code=?", (key, unit))
            db.executemany(
                "INSERT OR REPLACE INTO work_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(key, unit, it["item_code"], it.get("task_code"), it.get("description"), it.get("roadmap"),
                  it.get("owner"), to_json_value(it.get("deadline")), sid) for it in register["items"]])

    def snapshot_registry(self, period: str, registry) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM units WHERE period=?", (period,))
            db.execute("DELETE FROM leaders WHERE period=?", (period,))
            db.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(period, u.code, u.name, u.kind, u.parent, u.head_name, u.head_title, u.email)
                            for u in registry.units.values()])
            db.executemany("INSERT INTO leaders VALUES (?, ?, ?, ?, ?, ?)",
                           [(period, ldr.id, ldr.name, ldr.title, ldr.unit, int(ldr.btv_managed))
                            for ldr in registry.leaders.values()])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def save_form(self, form_id: str, version: int, definition: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO forms VALUES (?, ?, ?)", (form_id, version, definition))

    def save_scores(self, period: str, records: list[dict]) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM scores WHERE period=?", (period,))
            db.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(period, r["subject_kind"], r["subject_id"], r["score"], r["level"],
                             json.dumps(r.get("detail", {}), ensure_ascii=False, default=str), _now())
                            for r in records])
            db.execute("INSERT INTO audit (at, action, detail) VALUES (?, 'score', ?)",
                       (_now(), f"{period}: {len(records)} kết quả xếp loại"))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def log(self, action: str, detail: str) -> None:
        self.db.execute("INSERT INTO audit (at, action, detail) VALUES (?, ?, ?)", (_now(), action, detail))


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _differs(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) > 1e-9
    return str(a) != str(b)
