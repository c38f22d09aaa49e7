"""The history database (SQLite in the workspace): submissions, rows with provenance, the task register,
issues, scores and an audit log. Each received file is written in one transaction, so a crash leaves
the store as it was before that file; SQLite's locking (WAL, BEGIN IMMEDIATE) serialises concurrent
collects on the same workspace.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..issues import Issue, Severity

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
CREATE TABLE IF NOT EXISTS adjustments (
  id INTEGER PRIMARY KEY AUTOINCREMENT, register_key TEXT, unit_code TEXT, task_code TEXT, change TEXT,
  field TEXT, old_value TEXT, new_value TEXT, reason TEXT, form_id TEXT, period TEXT, submission_id INTEGER,
  requested_at TEXT, decision TEXT, decision_ref TEXT, decision_note TEXT, decided_at TEXT, applied_at TEXT,
  data TEXT);
CREATE INDEX IF NOT EXISTS adj_key ON adjustments (register_key, unit_code, task_code);
CREATE TABLE IF NOT EXISTS scores (
  period TEXT, subject_kind TEXT, subject_id TEXT, score REAL, level TEXT, detail TEXT, at TEXT,
  PRIMARY KEY (period, subject_kind, subject_id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, action TEXT, detail TEXT, submission_id INTEGER,
  file_name TEXT);
"""

# columns added after the first release: existing workspaces get them on open
MIGRATIONS = {"tasks": {"confirmation": "TEXT", "confirmation_note": "TEXT", "confirmed_version": "INTEGER",
                        "dropped": "INTEGER DEFAULT 0"},
              "task_changes": {"adjustment_id": "INTEGER", "decision_ref": "TEXT"},
              "submissions": {"collected_as": "TEXT"}}  # the collect's context (form asked, round, unit list)
ADJUSTMENT_STATES = {None: "Chờ ý kiến", "approved": "Đồng ý", "refused": "Không đồng ý"}

TASK_FIELDS = ("kind", "area", "title", "parent_code", "leader_id", "indicator", "unit_measure", "baseline",
               "target", "start_date", "deadline", "weight", "focal_point")


def archived_returns(root: Path) -> list[Path]:
    """Files kept in the archive of every round of a workspace (the received returns; sidecars excluded)."""
    out = []
    for folder in sorted((Path(root) / "rounds").glob("*/archive/??")):
        out.extend(p for p in folder.iterdir() if p.suffix != ".json" and not p.name.startswith("."))
    return out


def guard_store(path: Path) -> None:
    """Refuse a store that is missing or empty while the archive holds returns, or that SQLite finds damaged."""
    if not path.exists():
        refuse_lost_store(path, "missing")
        return
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
        try:
            found = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return  # cannot be opened read-only here (a locked or new store): the command's own opening decides
    except sqlite3.DatabaseError as exc:
        found = str(exc)
    if found != "ok":
        from ..machine import StoreError, describe_db_error

        raise StoreError(describe_db_error(sqlite3.DatabaseError("malformed: " + found), str(path)))
    probe(path)  # an empty store is refused there



def probe(path: Path) -> None:
    """Open the store and close it again: raises StoreError when it cannot be opened (damaged, or missing or
    empty while the archive holds returns)."""
    Store(path).close()


def refuse_lost_store(path: Path, how: str, created_ns: int | None = None) -> None:
    """A store that is missing or empty while the archive holds received returns is never read as "0 units". An
    empty store younger than every archived file is a store whose first writes failed (a full disk): not refused."""
    kept = archived_returns(path.parent) if (path.parent / "rounds").is_dir() else []
    if created_ns is not None:
        kept = [p for p in kept if p.stat().st_mtime_ns < created_ns]
    if not kept:
        return
    from ..machine import StoreError

    what = {"missing": "không còn (đã bị xoá hoặc chuyển đi)", "empty": "trống"}[how]
    rounds = sorted({p.parent.parent.parent.name for p in kept})
    raise StoreError(f"Kho dữ liệu {path} {what}, trong khi thư mục lưu trữ (archive) còn {len(kept)} tệp đã nhận của "
                     f"các kỳ {', '.join(rounds)}. Không đọc kho như thể chưa có đơn vị nào nộp. Dựng lại kho từ thư mục "
                     f"lưu trữ: toolkit store rebuild {path.parent}")


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


JOURNAL = "y_kien.jsonl"  # the office's decisions on a register, kept in the archive of the register's round
GUARD = {"on": True}  # toolkit.rebuild turns the guard off while it builds a new store from the archive


class Recorded(NamedTuple):
    """What :meth:`Store.record` did with a file."""
    id: int | None
    previous: dict | None  # the submission this one replaced
    newer: dict | None  # a newer submission of the unit that stays active (this one is older)


class Store:
    def __init__(self, path: str | Path, guard: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        guard = guard and GUARD["on"]
        if guard and (not self.path.exists() or self.path.stat().st_size == 0):
            refuse_lost_store(self.path, "missing" if not self.path.exists() else "empty")
        try:
            self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=60000")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._ensure_schema()
            empty = guard and self.db.execute("SELECT 1 FROM seen_files LIMIT 1").fetchone() is None
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "db"):
                self.db.close()
            from ..machine import StoreError, describe_db_error

            raise StoreError(describe_db_error(exc, str(self.path))) from None
        if empty:
            created = int(self.db.execute("SELECT value FROM meta WHERE key='created_ns'").fetchone()[0])
            try:
                refuse_lost_store(self.path, "empty", created)
            except Exception:
                self.db.close()
                raise

    def _ensure_schema(self) -> None:
        self.db.executescript(SCHEMA)
        import time

        if self.db.execute("SELECT 1 FROM meta WHERE key='created_ns'").fetchone() is None:
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('created_ns', ?)", (str(time.time_ns()),))
        for table, columns in MIGRATIONS.items():
            have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns.items():
                if name not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
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

    def periods_with_returns(self, form_id: str) -> list[str]:
        """Periods in which a form has accepted returns."""
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT period FROM submissions WHERE form_id=? AND active=1 ORDER BY period", (form_id,))]

    def submission_by_sha(self, sha256: str) -> dict | None:
        r = self.db.execute("SELECT s.* FROM seen_files f JOIN submissions s ON s.id=f.submission_id "
                            "WHERE f.sha256=?", (sha256,)).fetchone()
        return dict(r) if r else None

    def forget_rejected(self, submission_id: int, why: str) -> bool:
        """Forget a rejected file (nothing of it was accepted) so that it is read again: its rejection depended on
        the round or the registry (another form or period, a unit not yet in the list), which may have changed.
        The audit keeps what was forgotten. Returns False for a submission that was not rejected. (collect does
        this inside :meth:`record`, in the same transaction as the new verdict.)"""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            done = self._forget(submission_id, why)
            db.execute("COMMIT" if done else "ROLLBACK")
            return done
        except BaseException:
            _rollback(db)
            raise

    def _forget(self, submission_id: int, why: str) -> bool:
        db = self.db
        sub = db.execute("SELECT * FROM submissions WHERE id=?", (submission_id,)).fetchone()
        if sub is None or sub["status"] != "rejected" or sub["active"]:
            return False
        for table, column in (("seen_files", "submission_id"), ("issues", "submission_id"),
                              ("rows", "submission_id"), ("submissions", "id")):
            db.execute(f"DELETE FROM {table} WHERE {column}=?", (submission_id,))
        db.execute("INSERT INTO audit (at, action, detail, file_name) VALUES (?, ?, ?, ?)",
                   (_now(), "reread", f"{sub['form_id'] or ''} {sub['period'] or ''}: {why}", sub["file_name"]))
        return True

    def error_codes(self, submission_id: int) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT code FROM issues WHERE submission_id=? AND severity='error'",
                                              (submission_id,))}

    def issues_of(self, submission_id: int) -> list:
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
                             exclude_unit: str | None = None, active_only: bool = True,
                             key: str | None = None) -> list[tuple[str, str, str, str]]:
        """(period, unit, key, text) of rows of a form (active ones, or every accepted one), for copy checks. The
        key is the row's task code, or the value of the column ``key`` (the cadre of a follow-up report)."""
        key_sql = "json_extract(r.data, '$.' || ?)" if key else "r.task_code"
        sql = (f"SELECT s.period, s.unit_code, {key_sql}, json_extract(r.data, '$.' || ?) FROM rows r "
               "JOIN submissions s ON s.id=r.submission_id WHERE s.form_id=? AND "
               + ("s.active=1" if active_only else "s.status='accepted'"))
        args: list[Any] = ([key] if key else []) + [column, form_id]
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
        """Changes to a register, oldest first. A task "added" by a unit's first accepted registration (one sent
        back for correction before) is no addition: such records, kept by earlier versions, are left out."""
        return [dict(r) for r in self.db.execute(
            "SELECT c.* FROM task_changes c WHERE c.register_key=? AND NOT (c.field='added' AND c.adjustment_id IS "
            "NULL AND NOT EXISTS (SELECT 1 FROM submissions s1 JOIN submissions s0 ON s0.unit_code=s1.unit_code AND "
            "s0.form_id=s1.form_id AND s0.period=s1.period AND s0.status='accepted' AND s0.id<s1.id "
            "WHERE s1.id=c.submission_id)) ORDER BY c.id", (key,))]

    def issues(self, form_id: str | None = None, period: str | None = None) -> list[dict]:
        return self._select("issues", form_id, period)

    def task(self, key: str, unit: str, code: str) -> dict | None:
        r = self.db.execute("SELECT * FROM tasks WHERE register_key=? AND unit_code=? AND task_code=?",
                            (key, unit, code)).fetchone()
        return dict(r) if r else None

    def adjustments(self, key: str | None = None, pending_only: bool = False) -> list[dict]:
        sql, args = "SELECT * FROM adjustments WHERE 1=1", []
        if key:
            sql += " AND register_key=?"
            args.append(key)
        if pending_only:
            sql += " AND decision IS NULL"
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def adjustment_counts(self, keys: Iterable[str]) -> dict[str, int]:
        """Approved changes to the registers: tasks adjusted (deadline, target, wording...), added, dropped;
        and requests still waiting for a decision."""
        out = {"adjusted": 0, "added": 0, "dropped": 0, "pending": 0, "refused": 0}
        for key in keys:
            adjusted: set = set()
            for a in self.adjustments(key):
                if a["decision"] is None:
                    out["pending"] += 1
                elif a["decision"] == "refused":
                    out["refused"] += 1
                elif a["change"] == "add":
                    out["added"] += 1
                elif a["change"] == "drop":
                    out["dropped"] += 1
                else:
                    adjusted.add((a["unit_code"], a["task_code"]))
            out["adjusted"] += len(adjusted)
        return out

    def request_adjustment(self, req: dict) -> int | None:
        """A unit's request to change its register (not applied until decided). The same pending request
        (same task, change and new value) made again is not duplicated. Returns the request id."""
        same = self.db.execute(
            "SELECT id FROM adjustments WHERE register_key=? AND unit_code=? AND task_code=? AND change=? AND "
            "COALESCE(field, '')=? AND COALESCE(new_value, '')=? AND decision IS NULL",
            (req["register_key"], req["unit_code"], req["task_code"], req["change"], req.get("field") or "",
             _text(req.get("new_value")) or "")).fetchone()
        if same:
            self.db.execute("UPDATE adjustments SET reason=COALESCE(?, reason), submission_id=?, period=?, "
                            "form_id=? WHERE id=?", (req.get("reason"), req.get("submission_id"), req.get("period"),
                                                     req.get("form_id"), same[0]))
            return same[0]
        cols = ["register_key", "unit_code", "task_code", "change", "field", "old_value", "new_value", "reason",
                "form_id", "period", "submission_id", "requested_at", "data"]
        values = {**req, "old_value": _text(req.get("old_value")), "new_value": _text(req.get("new_value")),
                  "requested_at": req.get("requested_at") or _now(),
                  "data": json.dumps(req.get("data"), ensure_ascii=False) if req.get("data") else None}
        cur = self.db.execute(f"INSERT INTO adjustments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                              [values.get(c) for c in cols])
        return cur.lastrowid

    def decide_adjustment(self, adj_id: int, decision: str, ref: str | None, note: str | None) -> bool:
        """Record the office's decision on a pending request and, when approved, apply it to the register (one
        transaction). Returns False when the request was already decided (deciding again changes nothing)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            a = db.execute("SELECT * FROM adjustments WHERE id=?", (adj_id,)).fetchone()
            if a is None or a["decision"] is not None:
                db.execute("ROLLBACK")
                return False
            a = dict(a)
            at = _now()
            self.journal(a["register_key"], {"kind": "adjust", "key": a["register_key"], "unit": a["unit_code"],
                                             "task": a["task_code"], "change": a["change"], "field": a["field"],
                                             "new_value": a["new_value"], "decision": decision, "ref": ref,
                                             "note": note})
            db.execute("UPDATE adjustments SET decision=?, decision_ref=?, decision_note=?, decided_at=? WHERE id=?",
                       (decision, ref, note, at, adj_id))
            if decision == "approved":
                self._apply_adjustment(a, ref, at)
                db.execute("UPDATE adjustments SET applied_at=? WHERE id=?", (at, adj_id))
            db.execute("INSERT INTO audit (at, action, detail) VALUES (?, ?, ?)",
                       (at, "adjust", f"{a['unit_code']} {a['task_code']} {a['change']} → {decision} ({ref or ''})"))
            db.execute("COMMIT")
            return True
        except BaseException:
            _rollback(db)
            raise

    def _apply_adjustment(self, a: dict, ref: str | None, at: str) -> None:
        db, key, unit, code = self.db, a["register_key"], a["unit_code"], a["task_code"]

        def change(field: str, old, new) -> None:
            db.execute("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, new_value, "
                       "submission_id, at, adjustment_id, decision_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (key, unit, code, field, _text(old), _text(new), a["submission_id"], at, a["id"], ref))

        if a["change"] == "add":
            task = json.loads(a["data"] or "{}")
            values = {f: to_json_value(task.get(f)) for f in TASK_FIELDS}
            db.execute(f"INSERT OR REPLACE INTO tasks (register_key, unit_code, task_code, {', '.join(TASK_FIELDS)}, "
                       f"source_form, submission_id, active, version, confirmation, confirmed_version) VALUES "
                       f"(?, ?, ?, {', '.join('?' * len(TASK_FIELDS))}, ?, ?, 1, 1, 'confirmed', 1)",
                       [key, unit, code, *values.values(), a["form_id"], a["submission_id"]])
            change("added", None, values.get("title"))
        elif a["change"] == "drop":
            db.execute("UPDATE tasks SET dropped=1, version=version+1 WHERE register_key=? AND unit_code=? AND "
                       "task_code=?", (key, unit, code))
            change("dropped", a["old_value"], a["new_value"])
        else:
            field = a["field"]
            if field not in TASK_FIELDS:
                raise ValueError(f"unknown field {field}")
            db.execute(f"UPDATE tasks SET {field}=?, version=version+1 WHERE register_key=? AND unit_code=? AND "
                       f"task_code=?", (a["new_value"], key, unit, code))
            change(field, a["old_value"], a["new_value"])

    def set_confirmation(self, key: str, unit: str, code: str, state: str | None, note: str | None) -> bool:
        """The office's opinion on a registered task (confirmed / revise / refused), tied to the version it saw.
        Returns True when something changed."""
        t = self.task(key, unit, code)
        if t is None:
            return False
        if (t.get("confirmation"), t.get("confirmation_note") or None, t.get("confirmed_version")) == \
                (state, note or None, t["version"] if state else None):
            return False
        self.journal(key, {"kind": "confirm", "key": key, "unit": unit, "task": code, "state": state,
                           "note": note or None})
        self.db.execute("UPDATE tasks SET confirmation=?, confirmation_note=?, confirmed_version=? WHERE "
                        "register_key=? AND unit_code=? AND task_code=?",
                        (state, note or None, t["version"] if state else None, key, unit, code))
        self.db.execute("INSERT INTO audit (at, action, detail) VALUES (?, ?, ?)",
                        (_now(), "confirm", f"{unit} {code} {key}: {state or '(chưa có ý kiến)'} {note or ''}"))
        return True

    def is_confirmed(self, key: str, unit: str) -> bool:
        """Whether the office has confirmed any of the unit's tasks in this register (from then on a changed
        registration is a request to adjust, not a new registration)."""
        return self.db.execute("SELECT 1 FROM tasks WHERE register_key=? AND unit_code=? AND confirmation="
                               "'confirmed' LIMIT 1", (key, unit)).fetchone() is not None

    def journal(self, key: str, event: dict) -> None:
        """Keep one decision of the office in the archive of the register's round (before the store records it),
        so that a store rebuilt from the archive has it too (toolkit.rebuild)."""
        root = self.path.parent
        if not (root / "settings.yaml").exists() or not GUARD["on"]:
            return  # a store outside a workspace, or one being rebuilt from this very journal
        import time

        folder = root / "rounds" / key / "archive"
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**event, "at": _now(), "seq": time.time_ns()}, ensure_ascii=False, default=str)
        with open(folder / JOURNAL, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()

    def audit(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM audit ORDER BY id")]

    def scores(self, period: str) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM scores WHERE period=? ORDER BY score DESC",
                                                 (period,))]

    # --- writes ----------------------------------------------------------------------------------
    def record(self, sub: dict, rows: Iterable[dict], issues: Iterable[dict], register: dict | None = None,
               hook=None, forget: tuple[int, str] | None = None) -> Recorded:
        """Write one received file atomically. Returns the submission id, the submission it replaced and the newer
        one that keeps its place (a file older than the unit's latest), or all None when the same content was
        stored meanwhile (by a concurrent collect). ``forget`` (an
        earlier rejection of the same file and why it is read again) is forgotten in the same transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if forget:
                self._forget(*forget)
            if db.execute("SELECT 1 FROM seen_files WHERE sha256=?", (sub["sha256"],)).fetchone():
                db.execute("ROLLBACK")
                return Recorded(None, None, None)
            previous, newer = None, None
            if sub["status"] == "accepted" and sub.get("unit_code"):
                r = db.execute("SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND active=1",
                               (sub["unit_code"], sub["form_id"], sub["period"])).fetchone()
                previous = dict(r) if r else None
                if previous and (previous["file_mtime"], previous["file_name"]) > (sub["file_mtime"], sub["file_name"]):
                    newer, previous = previous, None  # an older file arriving late: history only
            cols = ["sha256", "file_name", "rel_path", "archived_path", "format", "unit_code", "form_id",
                    "form_version", "period", "received_at", "file_mtime", "status", "errors", "warnings",
                    "late_days", "identified_by", "collected_as"]
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
                if "requests" in register:
                    self._record_requests(sid, sub, register)
                else:
                    self._update_register(sid, sub, register)
            db.execute("COMMIT")
            return Recorded(sid, previous, newer)
        except BaseException:
            _rollback(db)
            raise

    def _record_requests(self, sid: int, sub: dict, payload: dict) -> None:
        """A progress report's requests to change the register: kept pending for the office's decision. A later
        report of the same period replaces the requests of the earlier one that are still pending."""
        unit = sub["unit_code"]
        self.db.execute("DELETE FROM adjustments WHERE unit_code=? AND form_id=? AND period=? AND decision IS NULL",
                        (unit, sub["form_id"], sub["period"]))
        for req in payload["requests"]:
            key = payload["key"]
            old = None
            for k in payload["keys"]:
                old = self.task(k, unit, req["task_code"])
                if old is not None:
                    key = k
                    break
            if req["change"] != "add" and old is None:
                continue
            value = None
            if req["change"] == "modify":
                value = old.get(req["field"])
            elif req["change"] == "drop":
                value = old.get("title")
            self.request_adjustment({**req, "register_key": key, "unit_code": unit, "old_value": value,
                                     "form_id": sub["form_id"], "period": sub["period"], "submission_id": sid,
                                     "new_value": to_json_value(req.get("new_value")),
                                     "data": {k: to_json_value(v) for k, v in (req.get("data") or {}).items()}
                                     or None})

    def _update_register(self, sid: int, sub: dict, register: dict) -> None:
        db, key, unit = self.db, register["key"], sub["unit_code"]
        tasks = register.get("tasks", [])
        existing = {r["task_code"]: dict(r) for r in db.execute(
            "SELECT * FROM tasks WHERE register_key=? AND unit_code=? AND source_form=?",
            (key, unit, sub["form_id"]))}
        at = _now()
        locked = self.is_confirmed(key, unit)  # confirmed: changes are requests for the office to decide

        def request(code: str, change: str, field=None, old=None, new=None, reason=None, data=None) -> None:
            self.request_adjustment({"register_key": key, "unit_code": unit, "task_code": code, "change": change,
                                     "field": field, "old_value": old, "new_value": new,
                                     "reason": reason or "Đơn vị gửi lại bản đăng ký", "form_id": sub["form_id"],
                                     "period": sub["period"], "submission_id": sid, "data": data})

        for t in tasks:
            values = {f: to_json_value(t.get(f)) for f in TASK_FIELDS}
            old = existing.pop(t["task_code"], None)
            if old is None:
                if locked:
                    request(t["task_code"], "add", new=values.get("title"), reason=t.get("note"), data=values)
                    continue
                db.execute(f"INSERT OR REPLACE INTO tasks (register_key, unit_code, task_code, {', '.join(TASK_FIELDS)}, "
                           f"source_form, submission_id, active, version) VALUES (?, ?, ?, "
                           f"{', '.join('?' * len(TASK_FIELDS))}, ?, ?, 1, 1)",
                           [key, unit, t["task_code"], *values.values(), sub["form_id"], sid])
                # an addition only once a register of the unit was accepted: a first registration sent back for
                # correction, then accepted, adds nothing to a register
                if db.execute("SELECT COUNT(*) FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND "
                              "status='accepted' AND id<>?", (unit, sub["form_id"], sub["period"], sid)).fetchone()[0]:
                    db.execute("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
                               "new_value, submission_id, at) VALUES (?, ?, ?, 'added', NULL, ?, ?, ?)",
                               (key, unit, t["task_code"], values.get("title"), sid, at))
                continue
            changed = {f: (old[f], values[f]) for f in TASK_FIELDS if _differs(old[f], values[f])}
            if old.get("confirmation") == "confirmed" and old["active"]:
                for f, (a, b) in changed.items():
                    request(t["task_code"], "modify", f, a, b, t.get("note"))
                continue
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
            if old["active"] and old.get("confirmation") == "confirmed":
                if not old.get("dropped"):
                    request(code, "drop", old=old["title"], reason="Không còn trong bản đăng ký đơn vị gửi lại")
            elif old["active"]:
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
            _rollback(db)
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
            _rollback(db)
            raise

    def log(self, action: str, detail: str) -> None:
        self.db.execute("INSERT INTO audit (at, action, detail) VALUES (?, ?, ?)", (_now(), action, detail))

    # --- added by i33
    def iter_rows(self, form_id: str, period: str, sheet_id: str | None = None, chunk: int = 2000):
        """:meth:`rows`, streamed: the same rows in the same order, fetched ``chunk`` at a time, so that a
        caller building its own records never holds the round's rows twice (the round frame)."""
        sql = ("SELECT r.*, s.file_name, s.sha256, s.received_at FROM rows r JOIN submissions s "
               "ON s.id=r.submission_id WHERE s.active=1 AND s.form_id=? AND s.period=?")
        args: list[Any] = [form_id, period]
        if sheet_id:
            sql += " AND r.sheet_id=?"
            args.append(sheet_id)
        cursor = self.db.execute(sql + " ORDER BY s.unit_code, r.sheet_id, r.excel_row", args)
        while True:
            batch = cursor.fetchmany(chunk)
            if not batch:
                return
            for r in batch:
                d = json.loads(r["data"])
                d.update(_unit=r["unit_code"], _file=r["file_name"], _sha256=r["sha256"], _sheet=r["sheet"],
                         _row=r["excel_row"], _sheet_id=r["sheet_id"], _submission=r["submission_id"])
                yield d


def _rollback(db: sqlite3.Connection) -> None:
    """Undo the transaction in progress, if SQLite has not already (a failed COMMIT on a full disk ends it): the
    error the caller sees is the one that happened, never "cannot rollback - no transaction is active"."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass


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
