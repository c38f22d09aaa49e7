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

from ..definitions.forms import Form
from ..definitions.judge import DONE, STATES, judge
from ..errors import PeriodError
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
    return frames[key].copy()


def register_tasks(store: Store, keys: list[str]) -> dict[tuple[str, str], dict]:
    """(unit, task code) -> task, for the tasks of the given registers that the office has not refused (the store
    reads a register once per command, see Store.register)."""
    out = {}
    for key in keys:
        for t in store.register(key):  # new dicts, ours to complete
            if t.get("confirmation") == "refused" and t.get("confirmed_version") == t.get("version"):
                continue  # refused, and not changed by the unit since
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


def _build(rnd, store: Store, form: Form) -> pd.DataFrame:
    reg = rnd.ctx.registry
    progress = form.role == "progress"
    register = register_tasks(store, rnd.register_keys) if progress else {}
    adjusted, pending = adjustment_notes(store, rnd.register_keys) if progress else ({}, {})
    as_of = rnd.as_of
    records = []
    seen: set[tuple[str, str]] = set()
    dates = {c.name for c in form.main.columns if c.type == "date"} | {"deadline", "start_date"}

    def provenance(unit: str) -> dict:
        u = reg.units.get(unit)
        return {"_unit": unit, "_unit_name": u.name if u else unit, "_parent_unit": u.parent if u else "",
                "_parent_name": reg.parent_name(unit)}

    for r in store.iter_rows(form.id, rnd.period.code, form.main.id):  # streamed: the rows are not held twice
        unit = r["_unit"]
        rec = {c.name: r.get(c.name) for c in form.main.columns}
        rec.update(provenance(unit))
        rec.update(_file=r["_file"], _sha256=r["_sha256"], _sheet=r["_sheet"], _row=r["_row"])
        if progress:
            task = register.get((unit, r.get("task_code"))) or {}
            seen.add((unit, r.get("task_code")))
            for k in TASK_FIELDS:
                if task.get(k) not in (None, ""):
                    rec[k] = task[k]  # the register as adjusted wins over what the template carried
                else:
                    rec.setdefault(k, None)
            rec["_register"] = task.get("_register", "")
            rec["_dropped"] = bool(task.get("dropped"))
            rec["_adjusted"] = adjusted.get((unit, r.get("task_code")), "")
            rec["_pending"] = pending.get((unit, r.get("task_code")), "")
        for name in dates:
            if name in rec:
                rec[name] = as_date(rec.get(name))
        records.append(rec)
    if progress:  # tasks of the register the unit has not reported on (no return, or a task added since), of the
        # units that report in this round (not the office's own tasks that others' cascade from)
        reporting = {u.code for u in rnd.expected(form)} | {unit for unit, _ in seen}
        for (unit, code), task in sorted(register.items()):
            if (unit, code) in seen or unit not in reporting:
                continue
            rec = {c.name: None for c in form.main.columns}
            rec.update({k: task.get(k) for k in TASK_FIELDS}, task_code=code, _register=task["_register"],
                       _dropped=bool(task.get("dropped")), _reported=False,
                       _adjusted=adjusted.get((unit, code), ""), _pending=pending.get((unit, code), ""), _file="", _sha256="", _sheet="",
                       _row=None, **provenance(unit))
            for name in dates:
                rec[name] = as_date(rec.get(name))
            records.append(rec)
    df = pd.DataFrame.from_records(records)
    if progress:
        from ..definitions.rules import load_rules, not_started_share

        df = _judge(df, as_of, rnd.period.start.year, not_started_share(load_rules(rnd.ws.root)),
                    meaning=status_meaning(form))
    return df


def _register_start(key: Any) -> date | None:
    """The first day of a register ("2026" or "2026-2030"): where a task without a start date starts."""
    try:
        return parse_period(str(key)).start if key else None
    except PeriodError:
        return None


def status_meaning(form: Form) -> Callable[[Any], str | None]:
    """What a reported status of ``form`` means ("done" for "Hoàn thành"), from the definitions."""
    column = next((c for c in form.main.columns if c.name == "status"), None)
    return column.meaning if column is not None else (lambda value: None)


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

    def span(key) -> date:  # a register's first day, once per register (a few keys for thousands of rows)
        if not isinstance(key, str):
            return _register_start(key) or date(year, 1, 1)
        if key not in starts:
            starts[key] = _register_start(key) or date(year, 1, 1)
        return starts[key]

    verdicts = [judge(meaning(status), deadline, completed_on, as_of, start_date=start, results=results,
                      dropped=bool(dropped), reported=bool(rep), span_start=span(register), **kw)
                for status, deadline, completed_on, start, results, dropped, register, rep in zip(
                    column("status"), column("deadline"), column("completed_on"), column("start_date"),
                    column("results"), column("_dropped"), column("_register"), reported)]
    df["_state"] = [v.state for v in verdicts]
    df["_judged"] = [v.judged for v in verdicts]
    df["_on_track"] = [v.on_track for v in verdicts]
    df["_late"] = [v.late for v in verdicts]
    df["_completed_on"] = [v.completed_on for v in verdicts]
    df["_date_note"] = [v.note for v in verdicts]
    df["_elapsed"] = [round(100 * v.elapsed, 1) if v.elapsed is not None else None for v in verdicts]
    df["_timeline"] = [v.timeline for v in verdicts]
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
