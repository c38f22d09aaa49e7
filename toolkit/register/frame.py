"""The round as a table, from the store: one row per accepted row of a form, with provenance, and for progress
reports the task as the register holds it (adjusted deadline and target) and how it stands (judge.py).

The unit's own columns keep the names of the form definition; everything the toolkit adds lives in a reserved
namespace (names starting with "_"), which form definitions cannot use: a task's "parent_code" (the superior
task it cascades) is never confused with the unit's parent unit ("_parent_unit").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

try:  # what DataFrame.from_records runs on a list of tuples: rows to one object array, its columns typed
    from pandas._libs.lib import to_object_array_tuples
    from pandas.core.internals.construction import convert_object_array
except ImportError:  # (moved in another pandas: the rows are kept whole and handed to from_records, as it reads them)
    to_object_array_tuples = convert_object_array = None

from ..definitions.forms import Form
from ..definitions.judge import COMPLETED, DONE, STATES, judge
from ..definitions.versions import status_meaning
from ..errors import PeriodError
from ..formatting import once
from ..periods import parse_period
from ..store import Store
from .fields import describe

# register fields a progress row is completed with; the register is authoritative for the ones it sets
TASK_FIELDS = ("area", "kind", "title", "parent_code", "leader_id", "indicator", "unit_measure", "baseline", "target",
               "deadline", "start_date", "weight", "focal_point")
RESERVED_TITLES = {
    "_unit": "Mã đơn vị", "_unit_name": "Tên đơn vị", "_parent_unit": "Mã đơn vị cấp trên",
    "_parent_name": "Đơn vị cấp trên", "_file": "Tệp nguồn", "_sheet": "Trang", "_row": "Dòng",
    "_sha256": "SHA-256", "_state": "Đánh giá", "_attainment": "Mức đạt chỉ tiêu (%)",
    "_completed_on": "Ngày hoàn thành (xác định)", "_date_note": "Ghi chú ngày hoàn thành",
    "_register": "Danh mục", "_leader_name": "Lãnh đạo phụ trách", "_adjusted": "Điều chỉnh đã được đồng ý",
    "_pending": "Đề nghị điều chỉnh chờ ý kiến", "_elapsed": "Thời gian đã qua (%)",
    "_timeline": "Đánh giá theo lộ trình",
}


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def round_frame(rnd, store: Store, form: Form) -> pd.DataFrame:
    """Memoised in the session on the store's state, so `toolkit run` (merge, score, report) builds it once."""
    key = (str(store.path), form.id, rnd.period.code, store.version(), rnd.ws.registry_path.stat().st_mtime_ns,
           tuple(rnd.register_keys))
    frames = rnd.ctx.frames
    if key not in frames:
        frames.clear()  # one round frame at a time
        frames[key] = _build(rnd, store, form)
    return frames[key].copy(deep=False)  # copy-on-write: a stage's changes never reach the kept frame


def refused(confirmation: Any, confirmed_version: Any, version: Any) -> bool:
    """A task the office refused, and the unit has not changed since: out of the register the stages read."""
    return confirmation == "refused" and confirmed_version == version


def register_tasks(store: Store, keys: list[str]) -> dict[tuple[str, str], dict]:
    """(unit, task code) -> task, for the tasks of the given registers that the office has not refused (the store
    reads a register once per command, see Store.register)."""
    out = {}
    for key in keys:
        for t in store.register(key):  # new dicts, ours to complete
            if refused(t.get("confirmation"), t.get("confirmed_version"), t.get("version")):
                continue
            t["_register"] = key
            out[(t["unit_code"], t["task_code"])] = t
    return out


def adjustment_notes(store: Store, keys: list[str]) -> tuple[dict, dict]:
    """(unit, task) -> what was changed with approval ("thời hạn từ 30/06/2026 thành 30/09/2026 (Công văn số
    …)"), and -> what is asked and still waiting for a decision."""
    adjusted: dict[tuple[str, str], list[str]] = {}
    pending: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        for a in store.adjustments(key):
            if a["decision"] == "approved" and a["change"] != "add":
                adjusted.setdefault((a["unit_code"], a["task_code"]), []).append(describe(a, with_ref=True))
            elif a["decision"] is None:
                pending.setdefault((a["unit_code"], a["task_code"]), []).append(describe(a))
    return ({k: "; ".join(v) for k, v in adjusted.items()}, {k: "; ".join(v) for k, v in pending.items()})


# register fields with few distinct values: one string object each is shared by every task that has it
SHARED_FIELDS = frozenset({"area", "kind", "leader_id", "indicator", "unit_measure", "deadline", "start_date",
                           "focal_point", "parent_code"})
_REFUSAL = ("confirmation", "confirmed_version", "version")


def task_index(store: Store, keys: list[str], only: str = "", unit: str | None = None,
               fields: tuple[str, ...] = TASK_FIELDS) -> dict[tuple[str, str], tuple]:
    """(unit, task code) -> (the values of ``fields`` (TASK_FIELDS)…, register key, dropped) for the tasks of the
    given registers that the office has not refused: :func:`register_tasks` as one small tuple a task, streamed from
    the store (the frame reads a few fields of every task; a dict a task took 230 MB at 3,000 units). ``only``,
    ``unit``: see Store.iter_register."""
    if only == "cascade" and len(keys) > 1:  # a later register's copy of a task wins: filtered once it has won
        tasks = task_index(store, keys, unit=unit, fields=fields)
        parent = fields.index("parent_code")
        heads = {t[parent] for t in tasks.values() if t[parent]}
        return {k: t for k, t in tasks.items() if t[parent] or k[1] in heads}
    out: dict[tuple[str, str], tuple] = {}
    intern = {}.setdefault
    share = [i for i, k in enumerate(fields, start=2) if k in SHARED_FIELDS]  # positions in the row read
    n = len(fields) + 2
    for key in keys:
        for row in store.iter_register(key, ("unit_code", "task_code", *fields, *_REFUSAL, "dropped"), only, unit):
            if refused(row[n], row[n + 1], row[n + 2]):
                continue
            values = list(row[2:n])
            for i in share:
                v = row[i]
                if type(v) is str:
                    values[i - 2] = intern(v, v)
            values += (key, row[-1])
            out[(row[0], row[1])] = tuple(values)
    return out


class _Rows:
    """The frame's rows as tuples, in the order pandas would read the same records as dicts: a returned row's fields
    in the order they are set (the unit's columns, provenance, the register's fields, the toolkit's own), then those
    only a task not reported on has ("_reported"), NaN in a returned row. A value with few distinct values (a
    status, an area, a date) is one object shared by every row that has it."""

    PROVENANCE = ("_unit", "_unit_name", "_parent_unit", "_parent_name")
    SOURCE = ("_file", "_sha256", "_sheet", "_row")

    def __init__(self, form: Form, registry, register: dict, notes: tuple[dict, dict]):
        self.registry, self.register, (self.adjusted, self.pending) = registry, register, notes
        self.progress = form.role == "progress"
        self.fcols = [c.name for c in form.main.columns]
        own = ["_register", "_dropped", "_adjusted", "_pending"] if self.progress else []
        added = [k for k in TASK_FIELDS if k not in self.fcols] if self.progress else []
        self.returned = _unique([*self.fcols, *self.PROVENANCE, *self.SOURCE, *added, *own])
        self.unreported = _unique([*self.fcols, *TASK_FIELDS, "task_code", "_register", "_dropped", "_reported",
                                   "_adjusted", "_pending", *self.SOURCE, *self.PROVENANCE])
        self.extras = [k for k in self.unreported if k not in self.returned] if self.progress else []
        self.dates = {c.name for c in form.main.columns if c.type == "date"} | {"deadline", "start_date"}
        self.date_at = [i for i, k in enumerate(self.returned) if k in self.dates]
        self.shared_at = [i for i, c in enumerate(form.main.columns) if c.type in ("choice", "leader", "unit")]
        self.in_form = [(self.fcols.index(k), j) for j, k in enumerate(TASK_FIELDS) if k in self.fcols] \
            if self.progress else []
        self.added = [TASK_FIELDS.index(k) for k in added]
        self.seen: set[tuple[str, str]] = set()
        self.units: dict[str, tuple] = {}
        self.shared: dict = {}
        self.date = once(as_date)  # a few distinct deadlines: one date object each

    def provenance(self, unit: str) -> tuple:  # once a unit
        if unit not in self.units:
            u = self.registry.units.get(unit)
            self.units[unit] = (unit, u.name if u else unit, u.parent if u else "", self.registry.parent_name(unit))
        return self.units[unit]

    def of_returned(self, r: dict) -> tuple:
        """A returned row; for a progress report completed from the register, whose adjusted values win over what
        the template carried."""
        vals = [r.get(n) for n in self.fcols]
        share = self.shared.setdefault
        for i in self.shared_at:
            if type(vals[i]) is str:
                vals[i] = share(vals[i], vals[i])
        vals += self.provenance(r["_unit"])
        vals += (r["_file"], r["_sha256"], r["_sheet"], r["_row"])
        if self.progress:
            unit, code = r["_unit"], r.get("task_code")
            self.seen.add((unit, code))
            task = self.register.get((unit, code))
            if task is None:
                vals += [None] * len(self.added)
                vals += ("", False)
            else:
                for i, j in self.in_form:
                    if task[j] is not None and task[j] != "":
                        vals[i] = task[j]
                vals += [task[j] if task[j] is not None and task[j] != "" else None for j in self.added]
                vals += (task[-2], bool(task[-1]))
            vals += (self.adjusted.get((unit, code), ""), self.pending.get((unit, code), ""))
        for i in self.date_at:
            vals[i] = self.date(vals[i])
        vals += [np.nan] * len(self.extras)  # (pandas fills a field a record lacks with np.nan)
        return tuple(vals)

    def of_unreported(self, unit: str, code: str, task: tuple, columns: list[str]) -> tuple:
        rec = dict.fromkeys(self.fcols)
        rec.update(zip(TASK_FIELDS, task), task_code=code, _register=task[-2], _dropped=bool(task[-1]),
                   _reported=False, _adjusted=self.adjusted.get((unit, code), ""),
                   _pending=self.pending.get((unit, code), ""), _file="", _sha256="", _sheet="", _row=None)
        rec.update(zip(self.PROVENANCE, self.provenance(unit)))
        for name in self.dates:
            rec[name] = self.date(rec.get(name))
        return tuple(rec[k] for k in columns)


def _build(rnd, store: Store, form: Form) -> pd.DataFrame:
    """The frame from one tuple a row, read by pandas as it reads records (a dict a row took 1 GB at 3,000 units)."""
    progress = form.role == "progress"
    rows = _Rows(form, rnd.ctx.registry, task_index(store, rnd.register_keys) if progress else {},
                 adjustment_notes(store, rnd.register_keys) if progress else ({}, {}))
    records = Records()
    for r in store.iter_rows(form.id, rnd.period.code, form.main.id):  # streamed
        records.append(rows.of_returned(r))
    columns = rows.returned + rows.extras if records else []
    missing = []
    if progress:  # tasks of the register the unit has not reported on (no return, or a task added since), of the
        # units that report in this round (not the office's own tasks that others' cascade from)
        reporting = {u.code for u in rnd.expected(form)} | {unit for unit, _ in rows.seen}
        missing = [(unit, code, task) for (unit, code), task in sorted(rows.register.items())
                   if (unit, code) not in rows.seen and unit in reporting]
        if missing:
            columns = _unique(columns + rows.unreported)  # the returned rows' order first, as pandas reads records
        for unit, code, task in missing:
            records.append(rows.of_unreported(unit, code, task, columns))
    drop = rows.extras if records and not missing else []  # no task unreported: no such column
    del rows
    df = records.frame(columns, drop)
    if progress:
        from ..definitions.rules import load_rules, not_started_share

        df = _judge(df, rnd.as_of, rnd.period.start.year, not_started_share(load_rules(rnd.ws.root)),
                    meaning=status_meaning(form, rnd.ctx))
    return df


class Records:
    """Rows to a frame: what ``DataFrame.from_records(rows, columns=…, exclude=…)`` gives for tuples of one length
    and unique column names (as the round frame's are), made with the same pandas functions, but gathered 4,096
    rows at a time into an object array, so that no tuple a row is held until the end. At 3,000 units the round's
    163,000 tuples took ~70 MB that the allocator could not give back after the frame was made: its pages are shared
    with the texts the frame keeps. The columns are copied out of the gathered array (as from_records' blocks are
    when pandas consolidates them), so that the frame does not keep the whole array, and the Python numbers behind
    its numeric columns, alive. One use: ``frame`` empties it."""

    BLOCK = 4096

    def __init__(self, fast: bool | None = None):
        self.fast = _fast_records() if fast is None else fast  # (given: the check of pandas' converters itself)
        self.blocks: list[np.ndarray] = []
        self.rows: list[tuple] = []
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def append(self, row: tuple) -> None:
        self.rows.append(row)
        self.n += 1
        if len(self.rows) == self.BLOCK and self.fast:
            self.blocks.append(to_object_array_tuples(self.rows))
            self.rows = []

    def frame(self, columns: list[str], exclude: list[str]) -> pd.DataFrame:
        if not self.n:
            return pd.DataFrame.from_records([])
        if len(set(columns)) != len(columns):  # (from_records would keep both; the frame's names are unique)
            raise ValueError(f"{len(columns)} columns, {len(set(columns))} names")
        if not self.fast:
            rows, self.rows = self.rows, []
            return pd.DataFrame.from_records(rows, columns=columns, exclude=exclude)
        if self.rows:
            self.blocks.append(to_object_array_tuples(self.rows))
            self.rows = []
        content = self.blocks[0] if len(self.blocks) == 1 else np.concatenate(self.blocks)
        self.blocks = []
        if content.shape[1] != len(columns):
            raise ValueError(f"{len(columns)} columns for rows of {content.shape[1]}")
        skip = set(exclude)
        kept = [i for i, name in enumerate(columns) if name not in skip]
        arrays = convert_object_array([content[:, i] for i in kept], dtype=None)  # as from_records types a column
        del content
        return pd.DataFrame({columns[i]: a for i, a in zip(kept, arrays)}, copy=True)


_FAST: list[bool] = []  # the answer of _fast_records, once a process


def _fast_records() -> bool:
    """Whether pandas' own converters are there and give exactly what from_records gives, on rows of every kind the
    frame holds (asked once a process: another pandas may have moved or changed them)."""
    if not _FAST:
        _FAST.append(_converters_match())
    return _FAST[0]


def _converters_match() -> bool:
    if to_object_array_tuples is None or convert_object_array is None:
        return False
    kinds = (None, np.nan, 3, 2.5, "Nhựa hoá 5 km đường", date(2026, 6, 30), True, 2**70)
    n = 2 * len(kinds)
    columns = {  # a column of every kind mixed, and the columns the frame has: one kind, with or without gaps
        **{f"mixed{c}": [kinds[(r + c) % len(kinds)] for r in range(n)] for c in range(3)},
        "int": list(range(n)), "int_none": [r if r % 3 else None for r in range(n)],
        "float_nan": [r / 3 if r % 3 else np.nan for r in range(n)], "none": [None] * n,
        "bool_none": [bool(r % 2) if r % 3 else None for r in range(n)],
        "date_none": [date(2026, 1 + r % 12, 1) if r % 3 else None for r in range(n)],
        "str_none": [f"Kết quả {r}" if r % 3 else None for r in range(n)], "dropped": [r for r in range(n)]}
    names = list(columns)
    rows = list(zip(*columns.values()))
    try:
        records = Records(fast=True)
        for row in rows:
            records.append(row)
        got = records.frame(names, ["dropped"])
        want = pd.DataFrame.from_records(rows, columns=names, exclude=["dropped"])
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_column_type=True, check_index_type=True)
        return [str(got[c].dtype) for c in got] == [str(want[c].dtype) for c in want]
    except Exception:
        return False


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _register_start(key: Any) -> date | None:
    """The first day of a register ("2026" or "2026-2030"): where a task without a start date starts."""
    try:
        return parse_period(str(key)).start if key else None
    except PeriodError:
        return None


def _judge(df: pd.DataFrame, as_of: date, year: int, share: float | None = None,
           meaning: Callable[[Any], str | None] = lambda value: None) -> pd.DataFrame:
    if df.empty:
        for c in ("_state", "_judged", "_on_track", "_late", "_completed_on", "_date_note", "_attainment",
                  "_elapsed", "_timeline"):
            df[c] = pd.Series(dtype=object)
        return df
    reported = df["_reported"].fillna(True).astype(bool) if "_reported" in df else pd.Series(True, index=df.index)
    kw = {} if share is None else {"not_started_share": share}
    n = len(df)

    def column(name: str) -> list:  # the values to_dict("records") would give, for the columns judged only
        return df[name].tolist() if name in df else [None] * n

    starts: dict = {}
    verdicts_of: dict = {}  # a round's tasks share a few deadlines, start dates and statuses: a verdict each

    def verdict(meaning_, deadline, completed_on, start, results, dropped, rep, register):
        """judge(), its verdict shared by the tasks that give it the same values. The result text is read only for
        a finished task without its completion date: such a task is judged on its own. A value is keyed with its
        type (1 == 1.0 == True, a datetime is not its date); an unhashable one is judged on its own."""
        key = None
        if completed_on is not None or meaning_ not in COMPLETED:
            key = (meaning_, type(deadline), deadline, type(completed_on), completed_on, type(start), start, dropped,
                   rep, type(register), register)
            try:
                found = verdicts_of.get(key)
            except TypeError:
                key = found = None
            if found is not None:
                return found
        found = judge(meaning_, deadline, completed_on, as_of, start_date=start, results=results, dropped=dropped,
                      reported=rep, span_start=span(register), **kw)
        if key is not None:
            verdicts_of[key] = found
        return found

    def span(key) -> date:  # a register's first day, once per register (a few keys for thousands of rows)
        if not isinstance(key, str):
            return _register_start(key) or date(year, 1, 1)
        if key not in starts:
            starts[key] = _register_start(key) or date(year, 1, 1)
        return starts[key]

    def asked(status, pending) -> str | None:
        """The status's meaning; a request to adjust the task that is no longer waiting (the office has decided it,
        or the unit made none) is not "waiting for a decision": the task goes on as on schedule."""
        m = meaning(status)
        return "on_schedule" if m == "adjust" and "_pending" in df and not pending else m

    verdicts = [verdict(asked(status, pending), deadline, completed_on, start, results, bool(dropped), bool(rep),
                        register)
                for status, deadline, completed_on, start, results, dropped, register, rep, pending in zip(
                    column("status"), column("deadline"), column("completed_on"), column("start_date"),
                    column("results"), column("_dropped"), column("_register"), reported, column("_pending"))]
    df["_state"] = [v.state for v in verdicts]
    df["_judged"] = [v.judged for v in verdicts]
    df["_on_track"] = [v.on_track for v in verdicts]
    df["_late"] = [v.late for v in verdicts]
    df["_completed_on"] = [v.completed_on for v in verdicts]
    words: dict[str, str] = {}  # a note made afresh for each task: one object each distinct note
    df["_date_note"] = [words.setdefault(v.note, v.note) for v in verdicts]
    df["_elapsed"] = [round(100 * v.elapsed, 1) if v.elapsed is not None else None for v in verdicts]
    df["_timeline"] = [words.setdefault(v.timeline, v.timeline) for v in verdicts]
    df["_attainment"] = attainment(df) * 100
    return df


def attainment(df: pd.DataFrame) -> pd.Series:
    """How much of its target each task reached (1 = reached), in the target's own direction: actual / target for
    a target above its baseline; for a falling target (a poverty rate from 11,2 down to 8,5) the way covered from
    the baseline, (baseline − actual) / (baseline − target). NaN where it cannot be computed."""
    nan = pd.Series(float("nan"), index=df.index)
    target = pd.to_numeric(df["target"], errors="coerce") if "target" in df else nan
    actual = pd.to_numeric(df["actual"], errors="coerce") if "actual" in df else nan
    base = pd.to_numeric(df["baseline"], errors="coerce") if "baseline" in df else nan
    falling = base.notna() & target.notna() & (base > target)
    ratio = (actual / target).where(~falling, (base - actual) / (base - target))
    return ratio.where(actual.notna() & (target.gt(0) | falling))


def summarise(df: pd.DataFrame, by: str) -> list[dict]:
    """Counts of task states per group (unit, parent, area): tasks, each state, done, rates over the tasks due.

    The columns are read once and each group taken by its row positions (groups in pandas' order: sorted, a
    missing key last), not a pandas frame per group: the same figures, in one pass over the round."""
    out = []
    if df.empty or "_state" not in df:
        return out
    grouped = df.groupby(by, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy()
    if not len(codes):
        return out
    order = np.argsort(codes, kind="stable")  # rows of each group together, in the round's order
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    keys = df[by].to_numpy(dtype=object)
    state = df["_state"].to_numpy(dtype=object)
    live_all = state != "dropped"
    judged_all = df["_judged"].astype(bool).to_numpy()
    judged_sum = df["_judged"].to_numpy()
    late_all = df["_late"].to_numpy()
    done_all = df["_state"].isin(DONE).to_numpy()
    unreported = state == "not_reported"
    pct_all = pd.to_numeric(df["percent"], errors="coerce").to_numpy(dtype=float) if "percent" in df else None
    for ix in np.split(order, bounds):
        key = keys[ix[0]]
        counts = Counter(state[ix].tolist())
        live = ix[live_all[ix]]
        n = len(live)
        due = int(judged_sum[live].sum())
        done = sum(counts[s] for s in DONE)
        judged = judged_all[live]
        if pct_all is not None:
            pct = pct_all[live]
            pct = np.where(np.isnan(pct), 0.0, pct)
            avg = round(float(pct.sum() / len(pct)), 1) if len(pct) else 0.0
        else:
            avg = 0.0
        out.append({"key": "" if pd.isna(key) else key, "tasks": n, **{s: counts[s] for s in STATES},
                    "due": due, "done": done, "late": int(late_all[live].sum()),
                    "failed": int((judged & ~done_all[live]).sum()),
                    "unreported_not_due": int((~judged & unreported[live]).sum()),
                    "done_rate": round(100 * done / n, 1) if n else 0.0,
                    "on_time_rate": round(100 * counts["done_on_time"] / n, 1) if n else 0.0,
                    "due_done_rate": round(100 * done / due, 1) if due else None,
                    "avg_percent": avg})
    return out


__all__ = ["round_frame", "summarise", "register_tasks", "as_date", "attainment", "RESERVED_TITLES", "TASK_FIELDS"]
