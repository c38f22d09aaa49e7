"""Scores per unit and per leader, classification into the four levels, and the quota on the top level.

The rule set is a YAML file: templates/scoring.yaml (shipped defaults, citing the rules they follow),
overridden by <workspace>/scoring.yaml.
"""

from __future__ import annotations

import importlib.resources
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
import yaml

from .config import _merge, atomic_path
from .context import Context, load_context
from .errors import ToolkitError
from .merge import _Formats, _write_table, default_form, round_frame
from .periods import Period, parse_period
from .store import Store
from .text import fold


def load_rules(workspace_root: Path | None = None) -> dict:
    shipped = Path(str(importlib.resources.files("toolkit.resources"))) / "scoring.yaml"
    rules = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    if workspace_root and (Path(workspace_root) / "scoring.yaml").is_file():
        path = Path(workspace_root) / "scoring.yaml"
        try:
            rules = _merge(rules, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except yaml.YAMLError as exc:
            raise ToolkitError(f"Tệp quy tắc chấm điểm {path} không hợp lệ: {exc}") from None
    _check_rules(rules)
    return rules


def _check_rules(rules: dict) -> None:
    comps = rules["components"]
    if abs(sum(comps.values()) - 1) > 1e-6:
        raise ToolkitError(f"scoring.yaml: tổng tỷ trọng components phải bằng 1 (đang là {sum(comps.values()):g}).")
    names = [lv["name"] for lv in rules["levels"]]
    for key in ("level", "of_level"):
        if rules["quota"][key] not in names:
            raise ToolkitError(f"scoring.yaml: quota.{key} '{rules['quota'][key]}' không có trong levels.")
    mins = [lv["min"] for lv in rules["levels"]]
    if mins != sorted(mins, reverse=True):
        raise ToolkitError("scoring.yaml: các mức trong levels phải xếp theo điểm tối thiểu giảm dần.")


@dataclass
class Score:
    subject_kind: str  # unit | leader
    subject_id: str
    name: str
    tasks: int = 0
    assigned: int = 0
    done: int = 0
    on_time: int = 0
    late: int = 0
    quantity: float = 0.0
    schedule: float = 0.0
    quality: float = 0.0
    task_points: float = 0.0
    general_points: float | None = None
    score: float = 0.0
    late_share: float = 0.0
    level: str = ""
    rank: int = 0
    why: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {"subject_kind": self.subject_kind, "subject_id": self.subject_id, "score": round(self.score, 2),
                "level": self.level, "detail": {k: v for k, v in self.__dict__.items()
                                                 if k not in ("subject_kind", "subject_id")}}


def task_columns(df: pd.DataFrame, rules: dict, period_end) -> pd.DataFrame:
    """Per-task values every rate is built from, computed once for the whole round (vectorised)."""
    out = pd.DataFrame(index=df.index)
    area_w = {fold(k): float(v) for k, v in (rules.get("area_weights") or {}).items()}
    weight = pd.to_numeric(df["weight"], errors="coerce").fillna(1.0).clip(lower=0)
    if area_w:
        weight = weight * df["area"].map(lambda a: area_w.get(fold(a), 1.0) if isinstance(a, str) else 1.0)
    out["w"] = weight
    out["done"] = df["state"].isin(["done_on_time", "done_late"])
    out["on_time"] = df["state"] == "done_on_time"
    out["late"] = df["state"].isin(["done_late", "overdue", "behind"])
    cap = float(rules.get("quality_cap", 1.0))
    target = pd.to_numeric(df["target"], errors="coerce")
    actual = pd.to_numeric(df["actual"], errors="coerce")
    percent = pd.to_numeric(df["percent"], errors="coerce")
    by_target = (actual / target).clip(lower=0, upper=cap) / cap
    by_percent = (percent / 100).clip(lower=0, upper=1).fillna(0)
    out["quality"] = by_target.where(target.gt(0) & actual.notna(), by_percent)
    out["due"] = df["deadline"].map(lambda d: d is not None and not pd.isna(d) and d <= period_end).astype(bool)
    return out


def score_group(t: pd.DataFrame, rules: dict) -> dict[str, float]:
    """Quantity, schedule and quality rates of one unit's (or leader's) tasks (rows of task_columns)."""
    assigned = t[t["due"]] if rules.get("base", "due") == "due" and t["due"].any() else t
    w = assigned["w"]
    if w.sum() == 0:
        w = w * 0 + 1
    total = float(w.sum()) or 1.0
    n = len(assigned)
    return {"assigned": n, "done": int(assigned["done"].sum()), "on_time": int(assigned["on_time"].sum()),
            "late": int(assigned["late"].sum()),
            "quantity": float((w * assigned["done"]).sum() / total),
            "schedule": float((w * assigned["on_time"]).sum() / total),
            "quality": float((w * assigned["quality"]).sum() / total) if n else 0.0,
            "late_share": float(assigned["late"].sum() / n) if n else 0.0}


def classify(scores: list[Score], rules: dict) -> list[Score]:
    """Levels by thresholds and conditions, then the quota on the top level, with the reasons."""
    levels = rules["levels"]
    for s in scores:
        for i, lv in enumerate(levels):
            if s.score < lv["min"]:
                continue
            limit = lv.get("max_late_share")
            if limit is not None and s.late_share > limit + 1e-9:
                s.why.append(f"Đủ điểm mức '{lv['name']}' ({s.score:.1f} ≥ {lv['min']}) nhưng tỷ lệ nhiệm vụ "
                             f"chậm/quá hạn {s.late_share:.0%} vượt {limit:.0%}.")
                continue
            s.level = lv["name"]
            s.why.append(f"{s.score:.1f} điểm, tỷ lệ chậm/quá hạn {s.late_share:.0%}: đạt mức '{lv['name']}'.")
            break
        else:
            s.level = levels[-1]["name"]
    _apply_quota(scores, rules)
    ranked = sorted(scores, key=lambda s: (-s.score, s.subject_id))
    for i, s in enumerate(ranked, start=1):
        s.rank = i
    return ranked


def _apply_quota(scores: list[Score], rules: dict) -> None:
    q = rules["quota"]
    top, second = q["level"], q["of_level"]
    candidates = [s for s in scores if s.level == top]
    n_second = sum(1 for s in scores if s.level == second)
    base = n_second + (len(candidates) if q.get("base", "good_or_better") == "good_or_better" else 0)
    allowed = math.floor(q["share"] * base + 1e-9)
    if len(candidates) <= allowed:
        for s in candidates:
            s.why.append(f"Trong tỷ lệ: {len(candidates)}/{allowed} suất '{top}' ({q['share']:.0%} của {base}).")
        return
    keys = q.get("tie_break") or []

    def key(s: Score):
        return (round(s.score, 6), *(round(getattr(s, k), 6) for k in keys))

    ordered = sorted(candidates, key=key, reverse=True)
    cut_key = key(ordered[allowed]) if allowed < len(ordered) else None
    kept = [s for s in ordered[:allowed] if key(s) != cut_key]
    tied = [s for s in ordered if key(s) == cut_key]
    for s in ordered:
        if s in kept:
            s.why.append(f"Giữ mức '{top}': xếp thứ {ordered.index(s) + 1} trong {len(ordered)} đơn vị đủ điều kiện; "
                         f"tối đa {allowed} suất ({q['share']:.0%} của {base}).")
        else:
            s.level = second
            reason = (f"bằng điểm với {len(tied)} đơn vị ở ranh giới suất thứ {allowed}, không đủ suất cho tất cả"
                      if s in tied and len(tied) > 1 else f"xếp thứ {ordered.index(s) + 1}, ngoài {allowed} suất")
            s.why.append(f"Chuyển xuống '{second}' do giới hạn tỷ lệ {q['share']:.0%} ({reason}).")


def manual_points(ctx: Context, rules: dict) -> dict[str, float]:
    path = ctx.ws.root / rules.get("manual_points_file", "")
    if not rules.get("manual_points_file") or not path.is_file():
        return {}
    from .read import open_rows

    sheets, problem = open_rows(path)
    if problem or not sheets:
        raise ToolkitError(f"Không đọc được tệp điểm chấm tay {path.name}: {problem.message if problem else ''}")
    rows = next(iter(sheets.values()))
    out: dict[str, float] = {}
    head = [fold(v) for v in rows[0]] if rows else []
    try:
        ci, cp = head.index("ma"), head.index("diem")
    except ValueError:
        raise ToolkitError(f"Tệp điểm chấm tay {path.name} cần hai cột 'Mã' và 'Điểm' ở dòng 1.") from None
    for r, row in enumerate(rows[1:], start=2):
        if len(row) > max(ci, cp) and str(row[ci]).strip():
            try:
                out[str(row[ci]).strip()] = float(row[cp])
            except (TypeError, ValueError):
                raise ToolkitError(f"Tệp điểm chấm tay {path.name}, dòng {r}: điểm '{row[cp]}' không phải số.") from None
    return out


@dataclass
class ScoreResult:
    period: str
    units: list[Score]
    leaders: list[Score]
    path: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"period": self.period, "path": self.path,
                "units": [s.record() for s in self.units], "leaders": [s.record() for s in self.leaders]}


def compute(ctx: Context, store: Store, period: Period, rules: dict) -> tuple[list[Score], list[Score]]:
    form = ctx.form("progress" if period.kind not in ("year", "term") else default_form(period))
    df = round_frame(ctx, store, form, period)
    if df.empty or "state" not in df:
        return [], []
    t = task_columns(df, rules, period.end)
    manual = manual_points(ctx, rules)
    units = [_score(ctx, "unit", code, t.loc[idx], rules, manual) for code, idx in df.groupby("unit_code").groups.items()]
    led = df["leader_id"].notna()
    leaders = [_score(ctx, "leader", lid, t.loc[idx], rules, manual)
               for lid, idx in df[led].groupby("leader_id").groups.items()]
    return classify(units, rules), classify(leaders, rules)


def _score(ctx: Context, kind: str, sid: str, g: pd.DataFrame, rules: dict, manual: dict) -> Score:
    if kind == "unit":
        u = ctx.registry.units.get(sid)
        name = u.name if u else sid
    else:
        ldr = ctx.registry.leaders.get(sid)
        name = f"{ldr.name} – {ldr.title}" if ldr else sid
    s = Score(subject_kind=kind, subject_id=sid, name=name, tasks=len(g))
    rates = score_group(g, rules)
    for k, v in rates.items():
        setattr(s, k, v)
    comps, scale = rules["components"], rules["scale"]
    s.task_points = scale["tasks"] * (comps["quantity"] * s.quantity + comps["schedule"] * s.schedule
                                      + comps["quality"] * s.quality)
    if sid in manual:
        s.general_points = max(0.0, min(float(manual[sid]), scale["general"]))
        s.score = s.general_points + s.task_points
    else:
        mode = rules.get("general_when_missing", "scale")
        if mode == "full":
            s.general_points = scale["general"]
            s.score = s.task_points + scale["general"]
        elif mode == "zero":
            s.general_points = 0.0
            s.score = s.task_points
        else:
            s.score = s.task_points * 100 / scale["tasks"]
    s.score = round(s.score, 2)
    return s


def score(workspace, period: str | Period) -> ScoreResult:
    started = time.perf_counter()
    ctx = load_context(workspace)
    period = period if isinstance(period, Period) else parse_period(period)
    rules = load_rules(ctx.ws.root)
    with Store(ctx.ws.db_path) as store:
        units, leaders = compute(ctx, store, period, rules)
        store.save_scores(period.code, [s.record() for s in units + leaders])
    result = ScoreResult(period=period.code, units=units, leaders=leaders)
    result.path = str(write_classification(ctx, period, result, rules))
    result.seconds = time.perf_counter() - started
    return result


def write_classification(ctx: Context, period: Period, result: ScoreResult, rules: dict) -> Path:
    path = ctx.ws.round_dir(period, "output") / f"xep_loai_{period.code}.xlsx"
    headers = ["Thứ hạng", "Mã", "Tên", "Số nhiệm vụ", "Phải hoàn thành", "Đã hoàn thành", "Đúng hạn",
               "Chậm/quá hạn", "Số lượng (%)", "Tiến độ (%)", "Chất lượng (%)", "Điểm nhiệm vụ",
               "Điểm tiêu chí chung", "Tổng điểm", "Xếp loại", "Giải thích"]
    widths = [7, 10, 34, 8, 9, 9, 8, 9, 9, 9, 9, 9, 9, 9, 26, 80]
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        f = _Formats(wb)
        for title, scores in (("Xếp loại đơn vị", result.units), ("Xếp loại lãnh đạo", result.leaders)):
            ws = wb.add_worksheet(title)
            ws.write_string(0, 0, f"{title.upper()} — {period.label.upper()}", f.title)
            rows = [[s.rank, s.subject_id, s.name, s.tasks, s.assigned, s.done, s.on_time, s.late,
                     round(100 * s.quantity, 1), round(100 * s.schedule, 1), round(100 * s.quality, 1),
                     round(s.task_points, 2), s.general_points, s.score, s.level, " ".join(s.why)] for s in scores]
            _write_table(ws, 2, headers, rows, f, widths)
        ws = wb.add_worksheet("Quy tắc")
        ws.set_column(0, 0, 110)
        text = yaml.safe_dump(rules, allow_unicode=True, sort_keys=False)
        for r, line in enumerate(text.splitlines()):
            ws.write_string(r, 0, line)
        wb.close()
    return path


__all__ = ["score", "classify", "load_rules", "Score", "ScoreResult", "compute"]
