"""The register across rounds, read back: the progress rounds that report on a register, the latest state of
each task, and the comparison of a period with the previous one (the sentences of the report)."""

from __future__ import annotations

import pandas as pd

from .. import formatting as fmt
from ..definitions.judge import STATES
from ..periods import Period
from ..round import Round
from ..store import Store
from ..workspace.calendar import period_of
from .frame import round_frame, summarise


def progress_rounds(ctx, store: Store, key: str | None = None, before: Period | None = None) -> list:
    """Rounds of the progress form(s) with accepted returns (oldest first), optionally only those reporting on
    register ``key`` and ending before ``before`` ends."""
    out = []
    for form in ctx.forms.values():
        if form.role != "progress":
            continue
        for code in store.periods_with_returns(form.id):
            p = period_of(code)
            if p is None:
                continue
            if before is not None and not p.end < before.end:
                continue
            rnd = Round(ctx, p, (form,))
            if key is None or key in rnd.register_keys:
                out.append(rnd)
    return sorted(out, key=lambda r: (r.period.end, r.period.code))


def _frame(rnd, store: Store) -> pd.DataFrame:
    return round_frame(rnd, store, rnd.form)


def latest_states(store: Store, rnd) -> dict[tuple[str, str], str]:
    """(unit, task) -> "<state> (<period label>)" from the latest progress report on the round's register."""
    out: dict[tuple[str, str], str] = {}
    for pr in progress_rounds(rnd.ctx, store, rnd.register_key):
        df = _frame(pr, store)
        if df.empty:
            continue
        for r in df[df["_register"] == rnd.register_key].to_dict("records"):
            out[(r["_unit"], r["task_code"])] = f"{STATES.get(r['_state'], '')} ({pr.period.label})"
    return out


def compare_with_previous(rnd, df: pd.DataFrame, store: Store) -> list[str]:
    """Sentences for the report: this period against the previous progress period of the same year."""
    earlier = [r for r in progress_rounds(rnd.ctx, store, before=rnd.period)
               if r.period.start.year == rnd.period.start.year and r.form.id == rnd.form.id]
    if not earlier or df.empty:
        return []
    prev = earlier[-1]
    pdf = _frame(prev, store)
    if pdf.empty:
        return []
    now = summarise(df.assign(_all=1), "_all")[0]
    before = summarise(pdf.assign(_all=1), "_all")[0]

    def move(label: str, a, b, unit: str = "") -> str:
        if a == b:
            return f"{label} không đổi ({fmt.number(b)}{unit})"
        word = "tăng" if b > a else "giảm"
        return f"{label} {word} từ {fmt.number(a)}{unit} lên {fmt.number(b)}{unit}" if b > a else \
            f"{label} {word} từ {fmt.number(a)}{unit} xuống {fmt.number(b)}{unit}"

    parts = [move("số nhiệm vụ đã hoàn thành", before["done"], now["done"]),
             move("số nhiệm vụ quá hạn, chưa hoàn thành", before["overdue"] + before["not_done"],
                  now["overdue"] + now["not_done"]),
             move("số nhiệm vụ chậm tiến độ", before["behind"], now["behind"]),
             move("tỷ lệ hoàn thành bình quân", before["avg_percent"], now["avg_percent"], "%")]
    out = [f"So với {prev.period.label}: " + "; ".join(parts) + "."]
    changed = _moved_states(pdf, df)
    if changed:
        out.append(changed)
    return out


def _moved_states(before: pd.DataFrame, now: pd.DataFrame) -> str:
    key = ["_unit", "task_code"]
    if "_state" not in before or "_state" not in now:
        return ""
    m = before[key + ["_state"]].merge(now[key + ["_state"]], on=key, suffixes=("_a", "_b"))
    finished = int((~m["_state_a"].isin(["done_on_time", "done_late"]) & m["_state_b"].isin(["done_on_time",
                                                                                               "done_late"])).sum())
    fell = int((m["_state_a"].isin(["in_progress", "not_started"]) & m["_state_b"].isin(["behind", "overdue",
                                                                                           "not_done"])).sum())
    bits = []
    if finished:
        bits.append(f"{finished} nhiệm vụ được hoàn thành")
    if fell:
        bits.append(f"{fell} nhiệm vụ từ đúng tiến độ chuyển sang chậm, quá hạn")
    return ("Trong kỳ có " + ", ".join(bits) + ".") if bits else ""


__all__ = ["progress_rounds", "latest_states", "compare_with_previous"]
