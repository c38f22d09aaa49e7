"""The history store: submissions, rows with provenance, the task register, issues, scores, the mail ledger and an
audit trail naming the person and the PC. One interface and one schema (toolkit.store.schema) over two engines:
a SQLite file in the workspace (the default) or a PostgreSQL database (``store:`` in settings.yaml). Each received
file is written in one transaction, so a crash leaves the store as it was before that file. Writers are serialised
as SQLite serialises them (BEGIN IMMEDIATE; WAL): on PostgreSQL by a transaction advisory lock taken at BEGIN, so
concurrent collects on several PCs record every return once.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..issues import Issue, Severity
from ..machine import StoreError, describe_db_error
from . import schema as S
from .engine import actor, is_server, machine, make_engine, shown
from .versions import check_server, ensure_schema

ADJUSTMENT_STATES = {None: "Chờ ý kiến", "approved": "Đồng ý", "refused": "Không đồng ý"}

TASK_FIELDS = ("kind", "area", "title", "parent_code", "leader_id", "indicator", "unit_measure", "baseline",
               "target", "start_date", "deadline", "weight", "focal_point")
NUMERIC_TASK_FIELDS = {"baseline", "target", "weight"}  # typed as numbers by every form (definitions/forms.py)
WRITE_LOCK = 7_366_001  # the PostgreSQL advisory lock every write transaction takes (SQLite's BEGIN IMMEDIATE)


def archived_returns(root: Path) -> list[Path]:
    """Files kept in the archive of every round of a workspace (the received returns; sidecars excluded)."""
    out = []
    for folder in sorted((Path(root) / "rounds").glob("*/archive/??")):
        out.extend(p for p in folder.iterdir() if p.suffix != ".json" and not p.name.startswith("."))
    return out


def guard_store(path, root: Path | None = None) -> None:
    """Refuse a store that is missing or empty while the archive holds returns, or that SQLite finds damaged."""
    if is_server(path):
        probe(path, root)
        return
    path = Path(path)
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
        raise StoreError(describe_db_error(sqlite3.DatabaseError("malformed: " + found), str(path)))
    probe(path)  # an empty store is refused there


def probe(path, root: Path | None = None) -> None:
    """Open the store and close it again: raises StoreError when it cannot be opened (damaged, unreachable, or
    missing or empty while the archive holds returns)."""
    open_store(path, root=root).close()


def open_store(target, guard: bool = True, root: Path | None = None) -> Store:
    """The one place outside the session (toolkit.context) where a store is opened: the probe, the check of a
    store against its archive, a migration's source and target."""
    return Store(target, guard=guard, root=root)


def refuse_lost_store(path: Path, how: str, created_ns: int | None = None, root: Path | None = None) -> None:
    """A store that is missing or empty while the archive holds received returns is never read as "0 units". An
    empty store younger than every archived file is a store whose first writes failed (a full disk): not refused."""
    root = Path(root) if root is not None else Path(path).parent
    kept = archived_returns(root) if (root / "rounds").is_dir() else []
    if created_ns is not None:
        kept = [p for p in kept if p.stat().st_mtime_ns < created_ns]
    if not kept:
        return

    what = {"missing": "không còn (đã bị xoá hoặc chuyển đi)", "empty": "trống"}[how]
    rounds = sorted({p.parent.parent.parent.name for p in kept})
    raise StoreError(f"Kho dữ liệu {shown(path)} {what}, trong khi thư mục lưu trữ (archive) còn {len(kept)} tệp đã "
                     f"nhận của các kỳ {', '.join(rounds)}. Không đọc kho như thể chưa có đơn vị nào nộp. Dựng lại kho "
                     f"từ thư mục lưu trữ: toolkit store rebuild {root}")


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, date):  # (a datetime too)
        return to_json_value(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: a row's values as the store keeps them: json.dumps of their to_json_value, with the encoder made once
row_json = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode


JOURNAL = "y_kien.jsonl"  # the office's decisions on a register, kept in the archive of the register's round
GUARD = {"on": True}  # toolkit.rebuild turns the guard off while it builds a new store from the archive


class Recorded(NamedTuple):
    """What :meth:`Store.record` did with a file."""
    id: int | None
    previous: dict | None  # the submission this one replaced
    newer: dict | None  # a newer submission of the unit that stays active (this one is older)


class _Row(dict):
    """A result row read by name (``r["unit_code"]``, ``dict(r)``) or by position (``r[0]``, ``tuple(r)``)."""
    __slots__ = ()

    def __getitem__(self, key):
        return tuple(self.values())[key] if isinstance(key, int) else dict.__getitem__(self, key)

    def __iter__(self):
        return iter(self.values())


_STREAMS = itertools.count(1)  # names of PostgreSQL's server-side cursors, one per stream


class _Result:
    def __init__(self, cursor):
        self.cursor = cursor

    def _keys(self) -> list[str]:
        if self.cursor.description is None:  # a statement that returns no rows
            return []
        keys, seen = [], set()
        for i, k in enumerate(d[0] for d in self.cursor.description):  # PostgreSQL: every COALESCE is "coalesce"
            keys.append(k if k not in seen else f"{k}_{i}")
            seen.add(k)
        return keys

    def fetchone(self) -> _Row | None:
        r = self.cursor.fetchone()
        return None if r is None else _Row(zip(self._keys(), r))

    def __iter__(self):
        keys = self._keys()
        return (_Row(zip(keys, r)) for r in self.cursor)

    def dicts(self) -> list[dict]:
        """The rows as plain dicts (``dict(r)`` of a _Row takes its Python ``__getitem__`` for every field)."""
        keys = self._keys()
        return [dict(zip(keys, r)) for r in self.cursor]

    def tuples(self) -> Iterator[tuple]:
        """The rows as the driver's own tuples (a _Row read by position builds a tuple of its values each time)."""
        return iter(self.cursor)

    def table(self) -> tuple[tuple[str, ...], list[tuple]]:
        """The column names and the rows as the driver's tuples (a fifth of the memory of dicts)."""
        return tuple(self._keys()), [tuple(r) for r in self.cursor]


def _upsert(table, cols: list[str], replace: bool) -> str:
    """INSERT … ON CONFLICT (both engines): ``replace`` behaves as SQLite's INSERT OR REPLACE (the columns not
    given go back to their defaults), else as INSERT OR IGNORE."""
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) ON CONFLICT "
    if not replace:
        return sql + "DO NOTHING"
    keys = [c.name for c in table.primary_key.columns]
    sets = [f"{c}=excluded.{c}" for c in cols if c not in keys]
    sets += [f"{c.name}={c.server_default.arg if c.server_default is not None else 'NULL'}" for c in table.columns
             if c.name not in cols and c.name not in keys]
    return sql + f"({', '.join(keys)}) DO UPDATE SET {', '.join(sets)}"


def _number(value: Any) -> Any:
    """A register's numeric field for a typed column (SQLite kept text it could not read as a number)."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class Transaction:
    """A write transaction in progress (Store.transaction): ``commit`` False rolls it back when its block ends."""

    commit = True


class Store:
    def __init__(self, path: str | Path, guard: bool = True, root: Path | None = None):
        self.server = is_server(path)
        self.target = path if self.server else Path(path)
        self.path = None if self.server else self.target  # the SQLite file (None on a server)
        self.root = Path(root) if root is not None else (None if self.server else self.target.parent)
        self.dialect = "postgresql" if self.server else "sqlite"
        self.who = (actor(), machine())
        # reads a command repeats (the register: the round frame, the units that registered, the cascades of the
        # copy check): emptied by a write through this handle, and taken again once another connection committed
        self._reads: dict[tuple, tuple[Any, list[dict]]] = {}
        if not self.server:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        guard = guard and GUARD["on"]
        if guard and not self.server and (not self.path.exists() or self.path.stat().st_size == 0):
            refuse_lost_store(self.path, "missing" if not self.path.exists() else "empty", root=self.root)
        self.conn = None
        try:
            self.engine = make_engine(self.target)
            self.conn = self.engine.connect()
            if self.server:
                check_server(self.conn, shown(self.target))

            ensure_schema(self)
            empty = guard and self._x("SELECT 1 FROM seen_files LIMIT 1").fetchone() is None
        except (sqlite3.DatabaseError, SQLAlchemyError) as exc:
            self._close_quietly()

            raise StoreError(describe_db_error(exc, shown(self.target))) from None
        except BaseException:
            self._close_quietly()
            raise
        if empty:
            created = int(self._x("SELECT value FROM meta WHERE key='created_ns'").fetchone()[0])
            try:
                refuse_lost_store(self.target, "empty", created, root=self.root)
            except Exception:
                self.close()
                raise

    def _close_quietly(self) -> None:
        try:
            if self.conn is not None:
                self.conn.close()
            if hasattr(self, "engine"):
                self.engine.dispose()
        except Exception:
            pass
        self.conn = None

    # --- the engine underneath ---------------------------------------------------------------------
    def _x(self, sql: str, args: Iterable | None = None) -> _Result:
        """One statement with ``?`` placeholders, run on either engine."""
        if self._reads and not sql.startswith(("SELECT", "BEGIN", "COMMIT")):
            self._reads.clear()  # a write, or a rollback of writes, may change what was read
        if self.server:
            sql = sql.replace("?", "%s")
        cursor = self._driver().cursor()  # the driver's own error (sqlite3.Error, psycopg.Error) is raised as it is
        cursor.execute(sql, tuple(args) if args is not None else ())  # (an empty tuple, as SQLAlchemy passed it)
        return _Result(cursor)

    def _driver(self):
        """The driver's connection under the session's one (sqlite3, psycopg): statements run on it directly, as
        SQLAlchemy runs them, without its result machinery (~35 µs a statement; a received file takes ~13). The store
        is in autocommit and opens its transactions itself, so both see the same transaction."""
        return self.conn.connection.dbapi_connection

    def _many(self, sql: str, rows: list) -> None:
        """One statement for many rows: SQLite's executemany; on PostgreSQL an INSERT becomes one multi-row
        INSERT per 1,000 rows (a network round trip per row would be the cost otherwise)."""
        if not rows:
            return
        self._reads.clear()
        cursor = self._driver().cursor()
        if self.server and sql.startswith("INSERT INTO") and "ON CONFLICT" not in sql:
            head, values = sql.split(" VALUES ", 1)
            for start in range(0, len(rows), 1000):
                chunk = rows[start:start + 1000]
                cursor.execute(f"{head} VALUES " + ", ".join([values.replace("?", "%s")] * len(chunk)),
                               tuple(v for r in chunk for v in r))
            return
        if self.server:
            sql = sql.replace("?", "%s")
        cursor.executemany(sql, [tuple(r) for r in rows])

    def _begin(self) -> None:
        """A write transaction: one writer at a time (SQLite's BEGIN IMMEDIATE; on PostgreSQL a transaction
        advisory lock, released at COMMIT or ROLLBACK and when a killed process's connection drops)."""
        if self.server:
            self._x("BEGIN")
            self._x(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        else:
            self._x("BEGIN IMMEDIATE")

    def _end(self, commit: bool) -> None:
        self._x("COMMIT" if commit else "ROLLBACK")

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction (see _begin): committed when the block ends, unless it set ``commit`` False (then
        rolled back); rolled back when the block raises, or when COMMIT fails (a full disk), and the error raised is
        the one that happened. Never nested: SQLite refuses a second BEGIN, and PostgreSQL would take the inner
        COMMIT for the outer transaction's (or end a stream's transaction under its cursor), so both refuse it here."""
        if self._in_transaction():
            raise RuntimeError("Store.transaction: a write transaction is already open on this connection")
        tx = Transaction()
        self._begin()
        try:
            yield tx
            self._end(tx.commit)
        except BaseException:
            self._rollback()
            raise

    def _in_transaction(self) -> bool:
        raw = self.conn.connection.dbapi_connection
        if self.server:
            return raw.info.transaction_status != 0  # IDLE
        return raw.in_transaction

    def _rollback(self) -> None:
        """Undo the transaction in progress, if the engine has not already (a failed COMMIT on a full disk ends it):
        the error the caller sees is the one that happened, never "cannot rollback - no transaction is active"."""
        try:
            if self.conn is not None and self._in_transaction():
                self._x("ROLLBACK")
        except Exception:
            pass

    def _audit(self, action: str, detail: str, submission_id: int | None = None, file_name: str | None = None,
               at: str | None = None) -> None:
        self._x("INSERT INTO audit (at, action, detail, submission_id, file_name, actor, machine) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (at or _now(), action, detail, submission_id, file_name, *self.who))

    def _typed(self, values: dict) -> dict:
        """A task's fields for their columns: PostgreSQL's numeric columns take numbers only (SQLite kept text)."""
        if not self.server:
            return values
        return {k: _number(v) if k in NUMERIC_TASK_FIELDS else v for k, v in values.items()}

    def _json_field(self, column: str) -> str:
        """SQL reading one key (a bound parameter) of a row's JSON ``data``."""
        return f"({column}::jsonb ->> ?)" if self.server else f"json_extract({column}, '$.' || ?)"

    def close(self) -> None:
        if self.conn is not None:
            self._rollback()
        self._close_quietly()
        if hasattr(self, "engine"):
            self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reads -----------------------------------------------------------------------------------
    def version(self) -> tuple:
        """Changes whenever accepted data, the register or the office's decisions on it change (for in-process
        memoisation: the round frame, the calendar). A decision changes no task's version when it refuses (a task
        refused at confirmation, a request to adjust refused): each is audited, and the last such entry counts too;
        a session that kept the round frame built before a refusal went on reading the refused task."""
        a = self._x("SELECT COALESCE(MAX(id), 0), COALESCE(SUM(active), 0) FROM submissions").fetchone()
        b = self._x("SELECT COUNT(*), COALESCE(SUM(version), 0) FROM tasks").fetchone()
        c = self._x("SELECT COALESCE(MAX(id), 0) FROM audit WHERE action IN ('confirm', 'adjust')").fetchone()
        return tuple(a) + tuple(b) + tuple(c)

    def seen(self, sha256: str) -> sqlite3.Row | None:
        return self._x("SELECT * FROM seen_files WHERE sha256=?", (sha256,)).fetchone()

    def seen_hashes(self) -> set[str]:
        return {r[0] for r in self._x("SELECT sha256 FROM seen_files")}

    def _select(self, table: str, form_id: str | None, period: str | None) -> list[dict]:
        sql, args = f"SELECT * FROM {table} WHERE 1=1", []
        if form_id:
            sql += " AND form_id=?"
            args.append(form_id)
        if period:
            sql += " AND period=?"
            args.append(period)
        return self._x(sql + " ORDER BY id", args).dicts()

    def submissions(self, form_id: str | None = None, period: str | None = None) -> list[dict]:
        return self._select("submissions", form_id, period)

    def forms_with_returns(self, period: str) -> list[str]:
        """Forms with at least one identified return in a period (in the order first received)."""
        return [r[0] for r in self._x(
            "SELECT form_id FROM submissions WHERE period=? AND form_id IS NOT NULL AND unit_code IS NOT NULL "
            "GROUP BY form_id ORDER BY MIN(id)", (period,))]

    def periods_with_returns(self, form_id: str) -> list[str]:
        """Periods in which a form has accepted returns."""
        return [r[0] for r in self._x(
            "SELECT DISTINCT period FROM submissions WHERE form_id=? AND active=1 ORDER BY period", (form_id,))]

    def submission_by_sha(self, sha256: str) -> dict | None:
        r = self._x("SELECT s.* FROM seen_files f JOIN submissions s ON s.id=f.submission_id "
                    "WHERE f.sha256=?", (sha256,)).fetchone()
        return dict(r) if r else None

    def forget_rejected(self, submission_id: int, why: str) -> bool:
        """Forget a rejected file (nothing of it was accepted) so that it is read again: its rejection depended on
        the round or the registry (another form or period, a unit not yet in the list), which may have changed.
        The audit keeps what was forgotten. Returns False for a submission that was not rejected. (collect does
        this inside :meth:`record`, in the same transaction as the new verdict.)"""
        with self.transaction() as tx:
            done = self._forget(submission_id, why)
            tx.commit = done
            return done

    def _forget(self, submission_id: int, why: str) -> bool:
        sub = self._x("SELECT * FROM submissions WHERE id=?", (submission_id,)).fetchone()
        if sub is None or sub["status"] != "rejected" or sub["active"]:
            return False
        for table, column in (("seen_files", "submission_id"), ("issues", "submission_id"),
                              ("rows", "submission_id"), ("submissions", "id")):
            self._x(f"DELETE FROM {table} WHERE {column}=?", (submission_id,))
        self._audit("reread", f"{sub['form_id'] or ''} {sub['period'] or ''}: {why}", file_name=sub["file_name"])
        return True

    def error_codes(self, submission_id: int) -> set[str]:
        return {r[0] for r in self._x("SELECT code FROM issues WHERE submission_id=? AND severity='error'",
                                      (submission_id,))}

    def issues_of(self, submission_id: int) -> list:
        return [Issue(code=r["code"], severity=Severity(r["severity"]), message=r["message"], hint=r["hint"] or "",
                      file=r["file_name"], sheet=r["sheet"] or "", cell=r["cell"] or "", row=r["excel_row"],
                      unit=r["unit_code"] or "")
                for r in self._x("SELECT * FROM issues WHERE submission_id=? ORDER BY id", (submission_id,))]

    def unit_submissions(self, unit: str, form_id: str, period: str) -> list[dict]:
        return self._x("SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? ORDER BY id",
                       (unit, form_id, period)).dicts()

    def active_submission(self, unit: str, form_id: str, period: str) -> dict | None:
        r = self._x("SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND active=1",
                    (unit, form_id, period)).fetchone()
        return dict(r) if r else None

    def rows(self, form_id: str, period: str, sheet_id: str | None = None) -> list[dict]:
        """Rows of the active (latest accepted) submissions, with provenance."""
        return list(self.iter_rows(form_id, period, sheet_id))

    def iter_rows(self, form_id: str, period: str, sheet_id: str | None = None, chunk: int = 2000) -> Iterator[dict]:
        """:meth:`rows`, streamed ``chunk`` at a time (a server-side cursor on PostgreSQL), so that a caller building
        its own records (the round frame) never holds the round's rows twice."""
        sql = ("SELECT r.data, r.unit_code, s.file_name, s.sha256, r.sheet, r.excel_row, r.sheet_id, r.submission_id "
               "FROM rows r JOIN submissions s ON s.id=r.submission_id WHERE s.active=1 AND s.form_id=? AND s.period=?")
        args: list[Any] = [form_id, period]
        if sheet_id:
            sql += " AND r.sheet_id=?"
            args.append(sheet_id)
        sql += " ORDER BY s.unit_code, r.sheet_id, r.excel_row"
        loads = json.loads
        last: tuple = (None,)
        for data, unit, file, sha, sheet, row, sid, sub in self._stream(sql, args, chunk):
            d = loads(data)
            if (sub, sid) == last[0]:  # the rows of one sheet share its provenance's strings, not a copy each
                _, unit, file, sha, sheet = last
            else:
                last = ((sub, sid), unit, file, sha, sheet)
            d.update(_unit=unit, _file=file, _sha256=sha, _sheet=sheet, _row=row, _sheet_id=sid, _submission=sub)
            yield d

    def _stream(self, sql: str, args: list, chunk: int = 2000) -> Iterator[tuple]:
        """The rows of a SELECT as the driver's tuples, ``chunk`` at a time (a server-side cursor on PostgreSQL)."""
        if self.server:
            sql = sql.replace("?", "%s")
        # a server-side cursor lives in a transaction: opened here unless one is already open (the store runs in
        # autocommit and opens its write transactions itself); SQLite's cursor reads lazily anyway
        own = self.server and not self._in_transaction()
        if own:
            self._x("BEGIN")
        try:  # on the driver's own connection, as Store._x (a named cursor is psycopg's server-side one)
            cursor = self._driver().cursor(name=f"toolkit_stream_{next(_STREAMS)}") if self.server else \
                self._driver().cursor()
            try:
                cursor.execute(sql, tuple(args))
                while batch := cursor.fetchmany(chunk):
                    yield from batch
            finally:
                cursor.close()
        finally:
            if own:
                self._x("COMMIT")

    def iter_register(self, key: str, columns: Iterable[str], only: str = "", unit: str | None = None
                      ) -> Iterator[tuple]:
        """Some columns of the register's active tasks (of one unit, or all), ordered by unit and task, streamed: for
        a caller that keeps a few fields of every task (the round frame: 180,000 tasks at 3,000 units), not the whole
        task as a dict. ``only="cascade"`` keeps the tasks that cascade another one and those another one cascades."""
        names = [c.name for c in S.tasks.columns]
        cols = list(columns)
        unknown = [c for c in cols if c not in names]
        if unknown:
            raise ValueError(f"no such task column: {unknown}")
        sql = f"SELECT {', '.join(cols)} FROM tasks WHERE register_key=? AND active=1"
        args: list[Any] = [key]
        if unit is not None:
            sql += " AND unit_code=?"
            args.append(unit)
        if only == "cascade":
            sql += (" AND (COALESCE(parent_code, '')<>'' OR task_code IN (SELECT parent_code FROM tasks WHERE "
                    "active=1 AND parent_code IS NOT NULL))")
        return self._stream(sql + " ORDER BY unit_code, task_code", args)

    def texts_for_copy_check(self, form_id: str, column: str, period: str | None = None,
                             exclude_unit: str | None = None, active_only: bool = True,
                             key: str | None = None) -> list[tuple[str, str, str, str]]:
        """(period, unit, key, text) of rows of a form (active ones, or every accepted one), for copy checks. The
        key is the row's task code, or the value of the column ``key`` (the cadre of a follow-up report)."""
        key_sql = self._json_field("r.data") if key else "r.task_code"
        sql = (f"SELECT s.period, s.unit_code, {key_sql}, {self._json_field('r.data')} FROM rows r "
               "JOIN submissions s ON s.id=r.submission_id WHERE s.form_id=? AND "
               + ("s.active=1" if active_only else "s.status='accepted'"))
        args: list[Any] = ([key] if key else []) + [column, form_id]
        if period:
            sql += " AND s.period=?"
            args.append(period)
        return [r for r in self._x(sql, args).tuples() if r[3] and r[1] != exclude_unit]  # (110,000 for a merge)

    def save_text_links(self, form_id: str, period: str, field: str, method: str, threshold: float, texts: int,
                        digests: bytes, pairs: bytes) -> None:
        """Keep the near-duplicate links of a round's texts of one column (a cache: see schema.text_links; the
        table made here in a store of schema 0002 that lacks it)."""
        with self.transaction():
            if not self.has_table("text_links"):
                S.text_links.create(self.conn)
            self._x("DELETE FROM text_links WHERE form_id=? AND period=? AND field=?", (form_id, period, field))
            self._x("INSERT INTO text_links (form_id, period, field, method, threshold, texts, digests, pairs, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (form_id, period, field, method, threshold, texts, digests, pairs, _now()))

    def text_links(self, form_id: str, period: str, field: str) -> tuple[str, float, bytes, bytes] | None:
        """(method, threshold, digests, pairs) kept by save_text_links, or None."""
        if not self.has_table("text_links"):
            return None
        r = self._x("SELECT method, threshold, digests, pairs FROM text_links WHERE form_id=? AND period=? AND field=?",
                    (form_id, period, field)).fetchone()
        return (r[0], float(r[1]), bytes(r[2]), bytes(r[3])) if r else None

    def has_table(self, name: str) -> bool:
        """Whether the store has a table (a cache table an older store may lack)."""
        return inspect(self.conn).has_table(name)

    def register(self, key: str, unit: str | None = None, active_only: bool = True) -> list[dict]:
        """The register's tasks, each a new dict the caller may change. A whole register is read again only when
        something was written since, through this handle or by another connection (a command's stages ask for it
        several times)."""
        if unit:
            return self._x("SELECT * FROM tasks WHERE register_key=? AND unit_code=?"
                           + (" AND active=1" if active_only else "")
                           + " ORDER BY unit_code, task_code", (key, unit)).dicts()
        memo, stamp = ("register", key, active_only), self._others_stamp()
        kept = self._reads.get(memo)
        if kept is None or kept[0] != stamp:  # kept as the driver's tuples
            kept = self._reads[memo] = (stamp, *self._x(
                "SELECT * FROM tasks WHERE register_key=?" + (" AND active=1" if active_only else "")
                + " ORDER BY unit_code, task_code", (key,)).table())
        _, keys, rows = kept
        return [dict(zip(keys, r)) for r in rows]

    def _others_stamp(self):
        """Changes when another connection has committed a write: SQLite's data_version of this connection; on
        PostgreSQL the server's transaction snapshot (any write transaction begun or ended since changes it).
        Run beside ``_x``, whose non-SELECT statements empty the memo."""
        sql = "SELECT txid_current_snapshot()::text" if self.server else "PRAGMA data_version"
        try:
            return self.conn.exec_driver_sql(sql).scalar()
        except DBAPIError as exc:
            raise exc.orig from None

    def register_keys(self) -> set[str]:
        return {r[0] for r in self._x("SELECT DISTINCT register_key FROM tasks")}

    def register_units(self, key: str) -> set[str]:
        """The units with an active task in the register (its primary key's index, not the whole register)."""
        return {r[0] for r in self._x("SELECT DISTINCT unit_code FROM tasks WHERE register_key=? AND active=1", (key,))}

    def work_items(self, key: str, unit: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM work_items WHERE register_key=?", [key]
        if unit:
            sql += " AND unit_code=?"
            args.append(unit)
        return self._x(sql + " ORDER BY unit_code, task_code, item_code", args).dicts()

    def task_changes(self, key: str) -> list[dict]:
        """Changes to a register, oldest first. A task "added" by a unit's first accepted registration (one sent
        back for correction before) is no addition: such records, kept by earlier versions, are left out."""
        return self._x(
            "SELECT c.* FROM task_changes c WHERE c.register_key=? AND NOT (c.field='added' AND c.adjustment_id IS "
            "NULL AND NOT EXISTS (SELECT 1 FROM submissions s1 JOIN submissions s0 ON s0.unit_code=s1.unit_code AND "
            "s0.form_id=s1.form_id AND s0.period=s1.period AND s0.status='accepted' AND s0.id<s1.id "
            "WHERE s1.id=c.submission_id)) ORDER BY c.id", (key,)).dicts()

    def issues(self, form_id: str | None = None, period: str | None = None) -> list[dict]:
        return self._select("issues", form_id, period)

    def task(self, key: str, unit: str, code: str) -> dict | None:
        r = self._x("SELECT * FROM tasks WHERE register_key=? AND unit_code=? AND task_code=?",
                    (key, unit, code)).fetchone()
        return dict(r) if r else None

    def adjustments(self, key: str | None = None, pending_only: bool = False) -> list[dict]:
        sql, args = "SELECT * FROM adjustments WHERE 1=1", []
        if key:
            sql += " AND register_key=?"
            args.append(key)
        if pending_only:
            sql += " AND decision IS NULL"
        return self._x(sql + " ORDER BY id", args).dicts()

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
        same = self._x(
            "SELECT id FROM adjustments WHERE register_key=? AND unit_code=? AND task_code=? AND change=? AND "
            "COALESCE(field, '')=? AND COALESCE(new_value, '')=? AND decision IS NULL",
            (req["register_key"], req["unit_code"], req["task_code"], req["change"], req.get("field") or "",
             _text(req.get("new_value")) or "")).fetchone()
        if same:
            self._x("UPDATE adjustments SET reason=COALESCE(?, reason), submission_id=?, period=?, "
                    "form_id=? WHERE id=?", (req.get("reason"), req.get("submission_id"), req.get("period"),
                                             req.get("form_id"), same[0]))
            return same[0]
        cols = ["register_key", "unit_code", "task_code", "change", "field", "old_value", "new_value", "reason",
                "form_id", "period", "submission_id", "requested_at", "data"]
        values = {**req, "old_value": _text(req.get("old_value")), "new_value": _text(req.get("new_value")),
                  "requested_at": req.get("requested_at") or _now(),
                  "data": json.dumps(req.get("data"), ensure_ascii=False) if req.get("data") else None}
        return self._x(f"INSERT INTO adjustments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                       f"RETURNING id", [values.get(c) for c in cols]).fetchone()[0]

    def decide_adjustment(self, adj_id: int, decision: str, ref: str | None, note: str | None) -> bool:
        """Record the office's decision on a pending request and, when approved, apply it to the register (one
        transaction). Returns False when the request was already decided (deciding again changes nothing)."""
        with self.transaction() as tx:
            a = self._x("SELECT * FROM adjustments WHERE id=?", (adj_id,)).fetchone()
            if a is None or a["decision"] is not None:
                tx.commit = False
                return False
            a = dict(a)
            at = _now()
            self.journal(a["register_key"], {"kind": "adjust", "key": a["register_key"], "unit": a["unit_code"],
                                             "task": a["task_code"], "change": a["change"], "field": a["field"],
                                             "new_value": a["new_value"], "decision": decision, "ref": ref,
                                             "note": note})
            self._x("UPDATE adjustments SET decision=?, decision_ref=?, decision_note=?, decided_at=? WHERE id=?",
                       (decision, ref, note, at, adj_id))
            if decision == "approved":
                self._apply_adjustment(a, ref, at)
                self._x("UPDATE adjustments SET applied_at=? WHERE id=?", (at, adj_id))
            self._audit("adjust", f"{a['unit_code']} {a['task_code']} {a['change']} → {decision} ({ref or ''})", at=at)
            return True

    def _apply_adjustment(self, a: dict, ref: str | None, at: str) -> None:
        key, unit, code = a["register_key"], a["unit_code"], a["task_code"]

        def change(field: str, old, new) -> None:
            self._x("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, new_value, "
                       "submission_id, at, adjustment_id, decision_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (key, unit, code, field, _text(old), _text(new), a["submission_id"], at, a["id"], ref))

        if a["change"] == "add":
            task = json.loads(a["data"] or "{}")
            values = {f: to_json_value(task.get(f)) for f in TASK_FIELDS}
            cols = ["register_key", "unit_code", "task_code", *TASK_FIELDS, "source_form", "submission_id", "active",
                    "version", "confirmation", "confirmed_version"]
            self._x(_upsert(S.tasks, cols, True), [key, unit, code, *self._typed(values).values(), a["form_id"],
                                                   a["submission_id"], 1, 1, "confirmed", 1])
            change("added", None, values.get("title"))
        elif a["change"] == "drop":
            self._x("UPDATE tasks SET dropped=1, version=version+1 WHERE register_key=? AND unit_code=? AND "
                       "task_code=?", (key, unit, code))
            change("dropped", a["old_value"], a["new_value"])
        else:
            field = a["field"]
            if field not in TASK_FIELDS:
                raise ValueError(f"unknown field {field}")
            self._x(f"UPDATE tasks SET {field}=?, version=version+1 WHERE register_key=? AND unit_code=? AND "
                    f"task_code=?", (self._typed({field: a["new_value"]})[field], key, unit, code))
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
        # the opinion and its audit entry together (the entry is what `version` sees of a refusal)
        with self.transaction():
            self._x("UPDATE tasks SET confirmation=?, confirmation_note=?, confirmed_version=? WHERE "
                    "register_key=? AND unit_code=? AND task_code=?",
                    (state, note or None, t["version"] if state else None, key, unit, code))
            self._audit("confirm", f"{unit} {code} {key}: {state or '(chưa có ý kiến)'} {note or ''}", at=_now())
        return True

    def is_confirmed(self, key: str, unit: str) -> bool:
        """Whether the office has confirmed any of the unit's tasks in this register (from then on a changed
        registration is a request to adjust, not a new registration)."""
        return self._x("SELECT 1 FROM tasks WHERE register_key=? AND unit_code=? AND confirmation="
                       "'confirmed' LIMIT 1", (key, unit)).fetchone() is not None

    def journal(self, key: str, event: dict) -> None:
        """Keep one decision of the office in the archive of the register's round (before the store records it),
        so that a store rebuilt from the archive has it too (toolkit.rebuild)."""
        root = self.root
        if root is None or not (root / "settings.yaml").exists() or not GUARD["on"]:
            return  # a store outside a workspace, or one being rebuilt from this very journal
        import time

        folder = root / "rounds" / key / "archive"
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**event, "at": _now(), "seq": time.time_ns()}, ensure_ascii=False, default=str)
        with open(folder / JOURNAL, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()

    def audit(self) -> list[dict]:
        return self._x("SELECT * FROM audit ORDER BY id").dicts()

    def scores(self, period: str) -> list[dict]:
        """A round's classifications, highest score first; ``detail`` is the JSON of the whole detail, as the score
        stage gave it (its columns put back together)."""
        out = []
        for r in self._x("SELECT * FROM scores WHERE period=? ORDER BY score IS NULL, score DESC", (period,)):
            row = dict(r)
            detail = {"name": row["name"]}
            detail.update({c: row[c] for c in S.SCORE_INTS if row[c] is not None})
            detail.update({c: bool(detail[c]) for c in ("preliminary", "reported", "pending") if c in detail})
            detail.update({c: row[c] for c in S.SCORE_FLOATS})
            detail["why"] = json.loads(row["why"]) if row["why"] else []
            detail.update(json.loads(row["detail"] or "{}"))
            row["detail"] = json.dumps(detail, ensure_ascii=False)
            out.append(row)
        return out

    # --- writes ----------------------------------------------------------------------------------
    def record(self, sub: dict, rows: Iterable[dict], issues: Iterable[dict], register: dict | None = None,
               hook=None, forget: tuple[int, str] | None = None) -> Recorded:
        """Write one received file atomically. Returns the submission id, the submission it replaced and the newer
        one that keeps its place (a file older than the unit's latest), or all None when the same content was
        stored meanwhile (by a concurrent collect). ``forget`` (an
        earlier rejection of the same file and why it is read again) is forgotten in the same transaction."""
        with self.transaction() as tx:
            if forget:
                self._forget(*forget)
            if self._x("SELECT 1 FROM seen_files WHERE sha256=?", (sub["sha256"],)).fetchone():
                tx.commit = False
                return Recorded(None, None, None)
            previous, newer = None, None
            if sub["status"] == "accepted" and sub.get("unit_code"):
                r = self._x("SELECT * FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND active=1",
                               (sub["unit_code"], sub["form_id"], sub["period"])).fetchone()
                previous = dict(r) if r else None
                if previous and (previous["file_mtime"], previous["file_name"]) > (sub["file_mtime"], sub["file_name"]):
                    newer, previous = previous, None  # an older file arriving late: history only
            cols = ["sha256", "file_name", "rel_path", "archived_path", "format", "unit_code", "form_id",
                    "form_version", "period", "received_at", "file_mtime", "status", "errors", "warnings",
                    "late_days", "identified_by", "collected_as"]
            cols.append("collected_by")
            sub = {**sub, "collected_by": f"{self.who[0]}@{self.who[1]}"}
            cur = self._x(f"INSERT INTO submissions ({', '.join(cols)}, active, replaces) VALUES "
                          f"({', '.join('?' * len(cols))}, ?, ?) RETURNING id",
                             [sub.get(c) for c in cols] + [1 if sub["status"] == "accepted" and not newer else 0,
                                                           previous["id"] if previous else None])
            sid = cur.fetchone()[0]
            if newer:
                self._x("UPDATE submissions SET replaced_by=? WHERE id=?", (newer["id"], sid))
            if previous:
                self._x("UPDATE submissions SET active=0, replaced_by=? WHERE id=?", (sid, previous["id"]))
            self._x("INSERT INTO seen_files VALUES (?, ?, ?, ?)", (sub["sha256"], sid, _now(), sub["file_name"]))
            self._many(
                "INSERT INTO rows (submission_id, sheet_id, sheet, excel_row, unit_code, task_code, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(sid, r["sheet_id"], r["sheet"], r["excel_row"], sub.get("unit_code"), r.get("task_code"),
                  row_json(r["values"]))
                 for r in rows])
            self._many(
                "INSERT INTO issues (submission_id, file_name, unit_code, code, severity, sheet, cell, excel_row, "
                "message, hint, period, form_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, sub["file_name"], sub.get("unit_code"), i["code"], i["severity"], i["sheet"], i["cell"],
                  i["row"], i["message"], i["hint"], sub.get("period"), sub.get("form_id")) for i in issues])
            action = "accept" if sub["status"] == "accepted" else "reject"
            detail = f"{sub.get('unit_code')} {sub.get('form_id')} {sub.get('period')} ({sub['status']})"
            if previous:
                detail += f"; thay thế bản #{previous['id']} ({previous['file_name']})"
            self._audit(action, detail, sid, sub["file_name"])
            if hook:
                hook("after-rows")
            if register and sub["status"] == "accepted" and not newer:
                if "requests" in register:
                    self._record_requests(sid, sub, register)
                else:
                    self._update_register(sid, sub, register)
            return Recorded(sid, previous, newer)

    def _record_requests(self, sid: int, sub: dict, payload: dict) -> None:
        """A progress report's requests to change the register: kept pending for the office's decision. A later
        report of the same period replaces the requests of the earlier one that are still pending."""
        unit = sub["unit_code"]
        self._x("DELETE FROM adjustments WHERE unit_code=? AND form_id=? AND period=? AND decision IS NULL",
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
        key, unit = register["key"], sub["unit_code"]
        tasks = register.get("tasks", [])
        existing = {r["task_code"]: dict(r) for r in self._x(
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
                cols = ["register_key", "unit_code", "task_code", *TASK_FIELDS, "source_form", "submission_id",
                        "active", "version"]
                self._x(_upsert(S.tasks, cols, True),
                        [key, unit, t["task_code"], *self._typed(values).values(), sub["form_id"], sid, 1, 1])
                # an addition only once a register of the unit was accepted: a first registration sent back for
                # correction, then accepted, adds nothing to a register
                if self._x("SELECT COUNT(*) FROM submissions WHERE unit_code=? AND form_id=? AND period=? AND "
                              "status='accepted' AND id<>?", (unit, sub["form_id"], sub["period"], sid)).fetchone()[0]:
                    self._x("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
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
                self._x("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
                           "new_value, submission_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (key, unit, t["task_code"], f, _text(a), _text(b), sid, at))
            self._x(f"UPDATE tasks SET {', '.join(f + '=?' for f in TASK_FIELDS)}, submission_id=?, active=1, "
                       f"version=version+? WHERE register_key=? AND unit_code=? AND task_code=?",
                       [*self._typed(values).values(), sid, 1 if changed else 0, key, unit, t["task_code"]])
        for code, old in existing.items():
            if old["active"] and old.get("confirmation") == "confirmed":
                if not old.get("dropped"):
                    request(code, "drop", old=old["title"], reason="Không còn trong bản đăng ký đơn vị gửi lại")
            elif old["active"]:
                self._x("UPDATE tasks SET active=0, version=version+1 WHERE register_key=? AND unit_code=? "
                           "AND task_code=?", (key, unit, code))
                self._x("INSERT INTO task_changes (register_key, unit_code, task_code, field, old_value, "
                           "new_value, submission_id, at) VALUES (?, ?, ?, 'withdrawn', ?, NULL, ?, ?)",
                           (key, unit, code, old["title"], sid, at))
        if "items" in register:
            self._x("DELETE FROM work_items WHERE register_key=? AND unit_code=?", (key, unit))
            self._many(
                _upsert(S.work_items, [c.name for c in S.work_items.columns], True),
                [(key, unit, it["item_code"], it.get("task_code"), it.get("description"), it.get("roadmap"),
                  it.get("owner"), to_json_value(it.get("deadline")), sid) for it in register["items"]])

    def snapshot_registry(self, period: str, registry) -> None:
        with self.transaction():
            self._x("DELETE FROM units WHERE period=?", (period,))
            self._x("DELETE FROM leaders WHERE period=?", (period,))
            self._many("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(period, u.code, u.name, u.kind, u.parent, u.head_name, u.head_title, u.email)
                            for u in registry.units.values()])
            self._many("INSERT INTO leaders VALUES (?, ?, ?, ?, ?, ?)",
                           [(period, ldr.id, ldr.name, ldr.title, ldr.unit, int(ldr.btv_managed))
                            for ldr in registry.leaders.values()])

    def save_form(self, form_id: str, version: int, definition: str) -> None:
        self._x(_upsert(S.forms, ["id", "version", "definition"], False), (form_id, version, definition))

    def save_scores(self, period: str, records: list[dict]) -> None:
        """A round's classifications: the detail of each (counts, rates, points, rank, reasons) in columns of its
        own (``detail`` keeps only what has no column)."""
        cols = ["period", "subject_kind", "subject_id", "score", "level", "detail", "at", "name", *S.SCORE_INTS,
                *S.SCORE_FLOATS, "why"]
        at = _now()
        values = []
        for r in records:
            d = dict(r.get("detail") or {})
            typed = [d.pop("name", None)]
            typed += [None if d.get(c) is None else int(d.pop(c)) for c in S.SCORE_INTS]
            typed += [None if d.get(c) is None else float(d.pop(c)) for c in S.SCORE_FLOATS]
            for c in (*S.SCORE_INTS, *S.SCORE_FLOATS):
                d.pop(c, None)
            why = d.pop("why", None)
            typed.append(None if why is None else json.dumps(why, ensure_ascii=False, default=str))
            values.append([period, r["subject_kind"], r["subject_id"], r["score"], r["level"],
                           json.dumps(d, ensure_ascii=False, default=str) if d else None, at, *typed])
        with self.transaction():
            self._x("DELETE FROM scores WHERE period=?", (period,))
            self._many(f"INSERT INTO scores ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)
            self._audit("score", f"{period}: {len(records)} kết quả xếp loại")

    def log(self, action: str, detail: str) -> None:
        self._audit(action, detail)

    # --- a form's versions (the definitions workbook) ----------------------------------------------------------
    def form_definitions(self, form_id: str) -> dict[int, str]:
        """Version -> definition of a form as recorded when its templates were sent or its returns read."""
        return {int(v): d for v, d in self._x("SELECT version, definition FROM forms WHERE id=?", (form_id,)).cursor}

    def replace_form(self, form_id: str, version: int, definition: str) -> None:
        """A form version's definition replaced (while nothing was sent under it, it follows the office's edits)."""
        self._x(_upsert(S.forms, ["id", "version", "definition"], True), (form_id, version, definition))

    # --- the check against the archive, the rebuild, the mail ledger, the round lock, the analysts ---------------
    def seen_submissions(self) -> dict[str, dict]:
        """Every file seen (by SHA-256) and the submission it made."""
        return {r["sha256"]: dict(r) for r in self._x(
            "SELECT s.* FROM seen_files f JOIN submissions s ON s.id=f.submission_id")}

    def confirmation_of(self, key: str, unit: str, code: str) -> str | None:
        t = self.task(key, unit, code)
        return None if t is None else t["confirmation"]

    def decision_recorded(self, key: str, unit: str, code: str, change: str, field: str | None,
                          new_value: str | None, decision: str) -> bool:
        """Whether a decision on a request to adjust the register is in the store."""
        return self._x("SELECT 1 FROM adjustments WHERE register_key=? AND unit_code=? AND task_code=? AND change=? "
                       "AND COALESCE(field, '')=? AND COALESCE(new_value, '')=? AND decision=?",
                       (key, unit, code, change, field or "", new_value or "", decision)).fetchone() is not None

    def set_received_at(self, sha256: str, at: str) -> None:
        """A rebuilt submission keeps the time it was first received."""
        self._x("UPDATE submissions SET received_at=? WHERE sha256=?", (at, sha256))

    def fetched_ids(self) -> set[str]:
        """Message-IDs of the mail already fetched."""
        return {r[0] for r in self._x("SELECT message_id FROM mail_fetched")}

    def mark_fetched(self, message_id: str, period: str, folder: str, sender: str, subject: str, sent_at: str,
                     files: int) -> None:
        self._x(_upsert(S.mail_fetched, [c.name for c in S.mail_fetched.columns], False),
                (message_id, period, folder, sender, subject, sent_at, _now(), files))

    def was_sent(self, key: str) -> dict | None:
        row = self._x("SELECT * FROM mail_sent WHERE key=?", (key,)).fetchone()
        return dict(row) if row else None

    def mark_sent(self, key: str, period: str, unit: str, kind: str, recipients: list[str], subject: str,
                  message_id: str, attachment: str) -> None:
        self._x(_upsert(S.mail_sent, [c.name for c in S.mail_sent.columns], False),
                (key, period, unit, kind, ", ".join(recipients), subject, message_id, attachment, _now()))
        self._audit("mail", f"{period} {unit}: gửi {kind} tới {', '.join(recipients)}")

    def try_advisory_lock(self, key: int) -> bool:
        """PostgreSQL: take a session advisory lock if free (released at unlock or when the connection ends)."""
        return bool(self._x(f"SELECT pg_try_advisory_lock({int(key)})").fetchone()[0])

    def advisory_unlock(self, key: int) -> None:
        self._x(f"SELECT pg_advisory_unlock({int(key)})")

    def set_lock_holder(self, name: str, period: str | None, action: str) -> None:
        """Who holds a lock (the Windows user, the PC, since when), for the one who waits."""
        self._x(_upsert(S.locks, ["name", "period", "action", "actor", "machine", "since"], True),
                (name, period, action, *self.who, _now()))

    def clear_lock_holder(self, name: str) -> None:
        self._x("DELETE FROM locks WHERE name=?", (name,))

    def lock_holder(self, name: str) -> dict | None:
        row = self._x("SELECT * FROM locks WHERE name=?", (name,)).fetchone()
        return dict(row) if row else None

    def table_counts(self) -> dict[str, int]:
        """Rows of every table of the schema (a migration compares them table by table)."""
        return {t.name: self._x(f"SELECT COUNT(*) FROM {t.name}").fetchone()[0] for t in S.DATA_TABLES
                if t.name != "locks"}  # who holds a lock now is no history

    def query(self, sql: str, args: Iterable | None = None) -> list[dict]:
        """A read (the documented views for toolkit.analysis; a test's look inside), ``?`` placeholders on both
        engines. Writes go through the Store's own methods."""
        return self._x(sql, args).dicts()

    def columns(self, relation: str) -> list[str]:
        """The column names of a table or view (an empty DataFrame still has its columns)."""
        return self._x(f"SELECT * FROM {relation} WHERE 1=0")._keys()


def integrity(target) -> list[str]:
    """SQLite's integrity check of a store file, read-only (["ok"] when sound); a server keeps its own."""
    if is_server(target):
        return ["ok"]
    db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute("PRAGMA integrity_check(20)")]
    finally:
        db.close()


def read_submissions(target) -> list[dict]:
    """The submissions of a store set aside (possibly damaged: read-only, nothing upgraded), oldest first."""
    db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM submissions ORDER BY id")]
    finally:
        db.close()


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
