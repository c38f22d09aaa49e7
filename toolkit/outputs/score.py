"""Scores per unit and per leader, classification into the four levels, and the quota on the top level.

Every score is computed from the task states of the round frame (frame.py, judge.py): the very states the
consolidated workbook shows. Tasks due in the period (or already finished, or reported not done) are judged:
done on time, done late, not done. Tasks not yet due are judged by their progress: on schedule counts in full,
behind schedule counts nothing and as late. A unit that sent no report has its tasks counted as not done.

The rule set is a YAML file: templates/scoring.yaml (shipped defaults, citing the rules they follow),
overridden by <workspace>/scoring.yaml.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import formatting as fmt
from ..definitions.judge import DONE, interim_rule
from ..definitions.rules import TIE_LABELS, load_rules, not_started_share
from ..definitions.versions import status_meaning
from ..errors import ToolkitError
from ..files import atomic_path
from ..formatting import number
from ..intake.coerce import is_blank, to_number
from ..memory import fewer_collections
from ..paths import safe_filename
from ..read import cell_ref, open_rows
from ..register.frame import attainment, round_frame
from ..round import as_round, unregistered_units
from ..sheets import Formats, fit_row, new_workbook, note_across, print_setup, table
from ..store import Store
from ..text import fold
from ..workspace.units import LEADER_COLUMNS

NOUNS = {"unit": "đơn vị", "leader": "đồng chí"}


@dataclass
class Score:
    subject_kind: str  # unit | leader
    subject_id: str
    name: str
    tasks: int = 0
    assigned: int = 0  # tasks judged in the period (due, finished, or reported not done)
    done: int = 0
    on_time: int = 0
    done_late: int = 0
    failed: int = 0  # not done: overdue, reported not done, or not reported
    not_due: int = 0
    on_track: int = 0  # not yet due and on schedule
    behind: int = 0
    dropped: int = 0
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
    preliminary: bool = False
    reported: bool = True
    pending: bool = False  # tied at the quota's boundary: the committee decides
    why: list[str] = field(default_factory=list)

    @property
    def noun(self) -> str:
        return NOUNS.get(self.subject_kind, "đơn vị")

    def record(self) -> dict:
        return {"subject_kind": self.subject_kind, "subject_id": self.subject_id, "score": round(self.score, 2),
                "level": self.level, "detail": {k: v for k, v in self.__dict__.items()
                                                 if k not in ("subject_kind", "subject_id")}}


def task_columns(df: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """Per-task credits every rate is built from (vectorised over the round): judged tasks by their result,
    tasks not yet due by their progress; dropped tasks carry no weight."""
    out = pd.DataFrame(index=df.index)
    area_w = {fold(k): float(v) for k, v in (rules.get("area_weights") or {}).items()}
    weight = pd.to_numeric(df["weight"], errors="coerce").fillna(1.0).clip(lower=0) if "weight" in df \
        else pd.Series(1.0, index=df.index)
    if area_w:
        weight = weight * df["area"].map(lambda a: area_w.get(fold(a), 1.0) if isinstance(a, str) else 1.0)
    state = df["_state"]
    out["dropped"] = state == "dropped"
    out["w"] = weight.where(~out["dropped"], 0.0)
    judged = df["_judged"].astype(bool)
    on_track = df["_on_track"].astype(bool)
    out["judged"] = judged & ~out["dropped"]
    out["done"] = state.isin(DONE)
    out["on_time"] = state == "done_on_time"
    out["done_late"] = state == "done_late"
    out["failed"] = judged & ~out["done"]
    out["not_due"] = ~judged & ~out["dropped"]
    out["on_track"] = out["not_due"] & on_track
    out["behind"] = out["not_due"] & ~on_track
    out["late"] = df["_late"].astype(bool) & ~out["dropped"]
    cap = float(rules.get("quality_cap", 1.0))
    target = pd.to_numeric(df["target"], errors="coerce")
    percent = pd.to_numeric(df["percent"], errors="coerce") if "percent" in df else target * float("nan")
    reached = attainment(df)  # in the target's own direction (a falling target from its baseline)
    by_target = reached.clip(lower=0, upper=cap) / cap
    by_percent = (percent / 100).clip(lower=0, upper=1).fillna(0)
    quality = by_target.where(reached.notna(), by_percent)
    progress = on_track.astype(float)
    out["q"] = out["done"].astype(float).where(judged, progress)
    out["s"] = out["on_time"].astype(float).where(judged, progress)
    out["a"] = quality.where(judged, progress)
    return out


def score_group(t: pd.DataFrame) -> dict[str, float]:
    """Counts and the quantity, schedule and quality rates of one unit's (or leader's) tasks."""
    live = t[~t["dropped"]]
    w = live["w"]
    if len(live) and w.sum() == 0:
        w = w * 0 + 1
    total = float(w.sum()) or 1.0
    n = len(live)
    return {"tasks": n, "dropped": int(t["dropped"].sum()), "assigned": int(live["judged"].sum()),
            "done": int(live["done"].sum()), "on_time": int(live["on_time"].sum()),
            "done_late": int(live["done_late"].sum()), "failed": int(live["failed"].sum()),
            "not_due": int(live["not_due"].sum()), "on_track": int(live["on_track"].sum()),
            "behind": int(live["behind"].sum()), "late": int(live["late"].sum()),
            "quantity": float((w * live["q"]).sum() / total) if n else 0.0,
            "schedule": float((w * live["s"]).sum() / total) if n else 0.0,
            "quality": float((w * live["a"]).sum() / total) if n else 0.0,
            "late_share": float(live["late"].sum() / n) if n else 0.0}


def classify(scores: list[Score], rules: dict) -> list[Score]:
    """Levels by thresholds and conditions, then the quota on the top level (with tie-breaks), then the ranking:
    by level first, then by score."""
    levels = rules["levels"]
    for s in scores:
        for lv in levels:
            if s.score < lv["min"] - 1e-9:
                continue
            limit = lv.get("max_late_share")
            if limit is not None and s.late_share > limit + 1e-9:
                allowed = "mức này không cho phép nhiệm vụ nào chậm" if limit == 0 else \
                    f"mức này cho phép tối đa {fmt.ratio(limit)}"
                s.why.append(f"Đủ điểm mức '{lv['name']}' ({fmt.points(s.score)} ≥ {lv['min']}) nhưng có "
                             f"{fmt.ratio(s.late_share)} nhiệm vụ chậm, quá hạn hoặc chưa hoàn thành ({allowed}) "
                             f"nên xét mức dưới.")
                continue
            s.level = lv["name"]
            if lv is levels[-1]:
                s.why.append(f"Không đạt điều kiện các mức trên: xếp mức '{lv['name']}'.")
            else:
                s.why.append(f"{fmt.points(s.score)} điểm (≥ {lv['min']}), tỷ lệ nhiệm vụ chậm, quá hạn "
                             f"{fmt.ratio(s.late_share)}: đạt mức '{lv['name']}'.")
            break
        else:
            s.level = levels[-1]["name"]
    _apply_quota(scores, rules)
    order = {lv["name"]: i for i, lv in enumerate(levels)}
    ranked = sorted(scores, key=lambda s: (order.get(s.level, 99), -s.score, s.subject_id))
    for i, s in enumerate(ranked, start=1):
        s.rank = i
    return ranked


def _tie_key(s: Score, keys: list[str]) -> tuple:
    values = [round(s.score, 6)]
    for k in keys:
        v = round(getattr(s, k), 6)
        values.append(-v if k == "late_share" else v)
    return tuple(values)


def _apply_quota(scores: list[Score], rules: dict) -> None:
    q = rules["quota"]
    top, second = q["level"], q["of_level"]
    candidates = [s for s in scores if s.level == top]
    if not candidates:
        return
    noun = candidates[0].noun
    n_second = sum(1 for s in scores if s.level == second)
    base = n_second + (len(candidates) if q.get("base", "good_or_better") == "good_or_better" else 0)
    allowed = math.floor(q["share"] * base + 1e-9)
    places = (f"{allowed} suất ({fmt.ratio(q['share'], 0)} của {base} {noun} đạt mức '{second}' trở lên"
              + (f", {fmt.number(q['share'] * base, 1)} làm tròn xuống" if allowed != q["share"] * base else "")
              + ")")
    if len(candidates) <= allowed:
        for s in candidates:
            s.why.append(f"Trong tỷ lệ: {len(candidates)} {noun} đủ điều kiện mức '{top}', có {places}.")
        return
    keys = list(q.get("tie_break") or [])
    ordered = sorted(candidates, key=lambda s: _tie_key(s, keys), reverse=True)
    criteria = ", ".join(TIE_LABELS[k] for k in ["score", *keys])
    boundary = _tie_key(ordered[allowed], keys)
    above = [s for s in ordered if _tie_key(s, keys) > boundary]
    tied = [s for s in ordered if _tie_key(s, keys) == boundary]
    left = allowed - len(above)  # places left for the tied group (0 when the tie is just below the cut)
    for i, s in enumerate(ordered, start=1):
        if s in above:
            s.why.append(f"Giữ mức '{top}': xếp thứ {i} trong {len(ordered)} {noun} đủ điều kiện (xét theo "
                         f"{criteria}); có {places}.")
            continue
        s.level = second
        if s in tied and left > 0:
            s.pending = True
            others = ", ".join(o.name for o in tied if o is not s)
            s.why.append(f"Bằng {criteria} ({_describe(s, keys)}) với {others} ở suất cuối: còn {left} suất cho "
                         f"{len(tied)} {noun}. Tạm xếp mức '{second}'; đề nghị Ban Thường vụ xem xét, quyết định.")
        else:
            pending = [o for o in tied if left > 0]
            tail = (f"; suất còn lại đang chờ Ban Thường vụ quyết định giữa {len(pending)} {noun} bằng điểm"
                    if pending else "")
            s.why.append(f"Đủ điều kiện mức '{top}' nhưng xếp thứ {i} trong {len(ordered)} {noun} đủ điều kiện "
                         f"(xét theo {criteria}); chỉ có {places}{tail}. Xếp mức '{second}'.")


def _describe(s: Score, keys: list[str]) -> str:
    parts = [f"{fmt.points(s.score)} điểm"]
    for k in keys:
        v = getattr(s, k)
        parts.append(f"{TIE_LABELS[k]} {fmt.ratio(v)}")
    return ", ".join(parts)


def manual_points(ctx, rules: dict) -> dict[str, float]:
    """General-criteria points typed by the office (first sheet: columns "Mã" and "Điểm", header in the first rows).
    Numbers are read as the units' workbooks are ("24,5", "24.5", 24.5); every cell that is not a number from 0
    to the scale is named at once, with how to fix it."""
    path = ctx.ws.root / rules.get("manual_points_file", "")
    if not rules.get("manual_points_file") or not path.is_file():
        return {}

    sheets, problem = open_rows(path)
    if problem or not sheets:
        raise ToolkitError(f"Không đọc được tệp điểm chấm tay {path.name}: {problem.message if problem else ''}")
    sheet, rows = next(iter(sheets.items()))
    top = next((r for r, row in enumerate(rows[:10]) if {"ma", "diem"} <= {fold(v) for v in row}), None)
    if top is None:
        raise ToolkitError(f"Tệp điểm chấm tay {path.name} (trang '{sheet}') cần hai cột 'Mã' và 'Điểm' ở dòng tiêu "
                           "đề (một trong 10 dòng đầu).")
    head = [fold(v) for v in rows[top]]
    ci, cp = head.index("ma"), head.index("diem")
    most = float(rules["scale"]["general"])
    out: dict[str, float] = {}
    bad: list[str] = []
    for r in range(top + 1, len(rows)):
        row = rows[r]
        key = row[ci] if len(row) > ci else None
        key = int(key) if isinstance(key, float) and key.is_integer() else key  # a code typed as a number
        code = str(key).strip() if not is_blank(key) else ""
        if not code:
            continue
        raw = row[cp] if len(row) > cp else None
        where = f"ô {sheet}!{cell_ref(r + 1, cp + 1)} (mã {code})"
        value, why = to_number(raw) if not is_blank(raw) else (None, "để trống")
        if value is None:
            bad.append(f"{where}: '{'' if raw is None else raw}' {why or 'không phải số'}")
        elif not 0 <= value <= most:
            bad.append(f"{where}: {fmt.number(value)} ngoài khoảng 0 – {fmt.number(most)}")
        else:
            out[code] = value
    if bad:
        raise ToolkitError(f"Tệp điểm chấm tay {path.name} có {len(bad)} ô cần sửa (ghi số điểm từ 0 đến "
                           f"{fmt.number(most)}, ví dụ 24,5):\n" + "\n".join(f"  - {b}" for b in bad))
    return out


@dataclass(frozen=True)
class StoredScore:
    """A classification as the store keeps it, its detail read once: what the report and the scorecards show."""
    subject_kind: str
    subject_id: str
    score: float
    level: str
    detail: dict

    @classmethod
    def of(cls, row: dict) -> StoredScore:
        return cls(subject_kind=row["subject_kind"], subject_id=row["subject_id"], score=row["score"],
                   level=row["level"], detail=json.loads(row["detail"] or "{}"))

    @property
    def rank(self) -> int | None:
        return self.detail.get("rank")

    @property
    def pending(self) -> bool:
        return bool(self.detail.get("pending"))


def stored_scores(store: Store, period: str) -> list[StoredScore]:
    """The round's classifications (highest score first), as saved by :func:`score`."""
    return [StoredScore.of(row) for row in store.scores(period)]


@dataclass
class ScoreResult:
    period: str
    units: list[Score]
    leaders: list[Score]
    path: str = ""
    seconds: float = 0.0
    preliminary: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[Score]:
        return [s for s in self.units + self.leaders if s.pending]

    def to_dict(self) -> dict:
        return {"period": self.period, "path": self.path, "preliminary": self.preliminary, "notes": self.notes,
                "units": [s.record() for s in self.units], "leaders": [s.record() for s in self.leaders]}


def scored_form(rnd):
    form = rnd.form_for("progress")
    if form is None:
        raise ToolkitError(f"Kỳ {rnd.code} ({rnd.period.label}) không có báo cáo tiến độ để chấm điểm; chấm điểm, "
                           f"xếp loại dùng các kỳ báo cáo: quý, 6 tháng, 9 tháng, tổng kết năm.")
    return form


def compute(rnd, store: Store, rules: dict) -> tuple[list[Score], list[Score], list[str]]:
    form = scored_form(rnd)
    df = round_frame(rnd, store, form)
    if df.empty:
        return [], [], []
    t = task_columns(df, rules)
    manual = manual_points(rnd.ctx, rules)
    notes = []
    if not manual and rules.get("general_when_missing", "scale") == "scale":
        notes.append(f"Chưa có điểm tiêu chí chung (tệp {rules.get('manual_points_file')}: cột 'Mã', 'Điểm'): điểm "
                     f"kết quả nhiệm vụ (thang {rules['scale']['tasks']}) được quy đổi ra thang 100.")
    form = rnd.form_for("progress") or rnd.form
    rows = _Rows(df, t, status_meaning(form, rnd.ctx))
    by_unit = df.groupby("_unit")
    positions = by_unit.indices
    units = [_score(rnd, "unit", code, rows, positions[code], rules, manual) for code in by_unit.groups]
    led = df["leader_id"].notna() if "leader_id" in df else pd.Series(False, index=df.index)
    reg = rnd.ctx.registry
    by_leader = df[led].groupby("leader_id")
    groups = by_leader.groups
    where = np.flatnonzero(led.to_numpy(dtype=bool))  # positions in df of the rows that name a leader
    positions = by_leader.indices
    managed = {lid for lid in groups if lid not in reg.leaders or reg.leaders[lid].btv_managed}
    leaders = [_score(rnd, "leader", lid, rows, where[positions[lid]], rules, manual)
               for lid in groups if lid in managed]
    notes.extend(leader_notes(reg, set(groups), managed))
    return classify(units, rules), classify(leaders, rules), notes


def leader_notes(reg, with_tasks: set, managed: set) -> list[str]:
    """Who of the registry's leaders is not classified, and why: not managed by the standing committee (the
    registry's column "Thuộc diện BTV quản lý" says "không"), or no task in the round."""
    out = []
    outside = sorted(lid for lid in with_tasks - managed)
    if outside:
        out.append(f"{len(outside)} đồng chí không thuộc diện Ban Thường vụ quản lý (danh sách lãnh đạo, cột "
                   f"'{LEADER_COLUMNS['btv_managed']}': không) nên không xếp loại, không tính vào tỷ lệ; nhiệm vụ "
                   "các đồng chí phụ trách vẫn tính cho đơn vị: " + ", ".join(_leader(reg, lid) for lid in outside)
                   + ".")
    idle = sorted(lid for lid, ldr in reg.leaders.items() if ldr.btv_managed and lid not in with_tasks)
    if idle:
        out.append(f"{len(idle)} đồng chí lãnh đạo không phụ trách nhiệm vụ nào trong kỳ nên không chấm điểm, xếp "
                   "loại: " + ", ".join(_leader(reg, lid) for lid in idle) + ".")
    return out


def _leader(reg, lid: str) -> str:
    ldr = reg.leaders.get(lid)
    return f"{ldr.name} ({lid})" if ldr else lid


class _Rows:
    """The round's rows read once into plain columns (numpy arrays, lists): each unit's and leader's counts, rates
    and explanation come from its row positions, without a pandas call per subject. The sums are numpy's over the
    same values in the same order as pandas' per-group sums, so every figure is the same to the last bit."""

    FLAGS = ("judged", "done", "on_time", "done_late", "failed", "not_due", "on_track", "behind", "late")

    def __init__(self, df: pd.DataFrame, t: pd.DataFrame, meaning):
        n = len(df)
        self.dropped = t["dropped"].to_numpy(dtype=bool)
        self.w = t["w"].to_numpy()
        self.flag = {k: t[k].to_numpy(dtype=bool) for k in self.FLAGS}
        self.rate = {k: t[k].to_numpy(dtype=float) for k in ("q", "s", "a")}
        self.state = df["_state"].tolist()
        self.code = df["task_code"].tolist() if "task_code" in df else [None] * n

        def column(name: str) -> list | None:
            return df[name].tolist() if name in df else None

        self.timeline, self.date_note, self.adjusted = column("_timeline"), column("_date_note"), column("_adjusted")
        self.status = column("status") or [None] * n
        self.meaning = meaning

    def counts(self, ix: np.ndarray) -> dict[str, float]:
        """What :func:`score_group` gives for the rows at positions ``ix`` (ascending)."""
        dropped = self.dropped[ix]
        live = ix[~dropped]
        n = len(live)
        w = self.w[live]
        if n and w.sum() == 0:
            w = w * 0 + 1
        total = float(w.sum()) or 1.0
        flag = {k: int(v[live].sum()) for k, v in self.flag.items()}

        def rate(k):
            return float(np.nansum(w * self.rate[k][live]) / total) if n else 0.0

        return {"tasks": n, "dropped": int(dropped.sum()), "assigned": flag["judged"], "done": flag["done"],
                "on_time": flag["on_time"], "done_late": flag["done_late"], "failed": flag["failed"],
                "not_due": flag["not_due"], "on_track": flag["on_track"], "behind": flag["behind"],
                "late": flag["late"], "quantity": rate("q"), "schedule": rate("s"), "quality": rate("a"),
                "late_share": float(np.int64(flag["late"]) / n) if n else 0.0}

    def codes(self, ix, flag: str) -> str:
        picked = [self.code[i] for i in ix[self.flag[flag][ix]]]
        return ", ".join(str(c) for c in picked[:8]) + ("…" if len(picked) > 8 else "")


def _score(rnd, kind: str, sid: str, rows: _Rows, ix: np.ndarray, rules: dict, manual: dict) -> Score:
    reg = rnd.ctx.registry
    if kind == "unit":
        u = reg.units.get(sid)
        name = u.name if u else sid
    else:
        ldr = reg.leaders.get(sid)
        name = f"{ldr.name} – {ldr.title}" if ldr else sid
    s = Score(subject_kind=kind, subject_id=sid, name=name, preliminary=rnd.preliminary)
    for k, v in rows.counts(ix).items():
        setattr(s, k, v)
    s.reported = any(rows.state[i] != "not_reported" for i in ix)
    comps, scale = rules["components"], rules["scale"]
    s.task_points = scale["tasks"] * (comps["quantity"] * s.quantity + comps["schedule"] * s.schedule
                                      + comps["quality"] * s.quality)
    general_note = ""
    if sid in manual:
        s.general_points = max(0.0, min(float(manual[sid]), scale["general"]))
        s.score = s.general_points + s.task_points
        general_note = f" + {fmt.points(s.general_points)} điểm tiêu chí chung"
    else:
        mode = rules.get("general_when_missing", "scale")
        if mode == "full":
            s.general_points = float(scale["general"])
            s.score = s.task_points + scale["general"]
            general_note = f" + {scale['general']} điểm tiêu chí chung (chưa chấm, tính đủ)"
        elif mode == "zero":
            s.general_points = 0.0
            s.score = s.task_points
            general_note = " + 0 điểm tiêu chí chung (chưa chấm)"
        else:
            s.score = s.task_points * 100 / scale["tasks"]
            general_note = f", quy đổi ra thang 100 (×100/{scale['tasks']}) vì chưa có điểm tiêu chí chung"
    s.score = round(s.score, 2)
    s.why.extend(_explain(s, rows, ix, general_note, scale))
    return s


def _explain(s: Score, rows: _Rows, ix: np.ndarray, general_note: str, scale: dict) -> list[str]:
    why = []
    if s.preliminary:
        why.append("Kết quả sơ bộ (chưa hết năm).")
    if not s.reported:
        why.append(f"Không có báo cáo được tiếp nhận trong kỳ: {s.tasks} nhiệm vụ được tính là chưa hoàn thành.")
    head = f"Có {s.tasks} nhiệm vụ"
    if s.dropped:
        head += f" (không tính {s.dropped} nhiệm vụ được đồng ý đưa ra khỏi danh mục)"
    if s.assigned:
        parts = [f"{s.on_time} hoàn thành đúng hạn"]
        if s.done_late:
            parts.append(f"{s.done_late} hoàn thành quá hạn ({rows.codes(ix, 'done_late')})")
        if s.failed:
            parts.append(f"{s.failed} chưa hoàn thành ({rows.codes(ix, 'failed')})")
        head += f"; {s.assigned} nhiệm vụ đến hạn hoặc đã kết thúc trong kỳ: " + ", ".join(parts)
    why.append(head + ".")
    if s.not_due:
        line = f"{s.not_due} nhiệm vụ chưa đến hạn được tính theo tiến độ: {s.on_track} đúng tiến độ"
        if s.behind:
            line += f", {s.behind} chậm tiến độ ({rows.codes(ix, 'behind')}), không được tính điểm"
        why.append(line + ".")
        if rows.timeline is not None:
            not_due = rows.flag["not_due"]
            for i in ix:
                if not_due[i] and rows.state[i] in ("not_started", "behind") and rows.timeline[i] \
                        and rows.meaning(rows.status[i]) == "not_started":
                    why.append(f"Nhiệm vụ {rows.code[i]}: {rows.timeline[i]}.")
    for i in ix if rows.date_note is not None else ():
        if rows.date_note[i]:
            why.append(f"Nhiệm vụ {rows.code[i]}: {rows.date_note[i]}.")
    for i in ix if rows.adjusted is not None else ():
        if rows.adjusted[i]:
            why.append(f"Nhiệm vụ {rows.code[i]} được đánh giá theo {rows.adjusted[i]}.")
    why.append(f"Số lượng {fmt.ratio(s.quantity)}, tiến độ {fmt.ratio(s.schedule)}, chất lượng "
               f"{fmt.ratio(s.quality)}: {fmt.points(s.task_points)}/{scale['tasks']} điểm kết quả nhiệm vụ"
               f"{general_note} = {fmt.points(s.score)} điểm.")
    return why


@fewer_collections
def score(rnd) -> ScoreResult:
    started = time.perf_counter()
    rnd = as_round(rnd)
    rnd.require_started("chấm điểm")
    rules = load_rules(rnd.ws.root)
    with rnd.store_handle() as store:
        units, leaders, notes = compute(rnd, store, rules)
        store.save_scores(rnd.code, [s.record() for s in units + leaders])
    result = ScoreResult(period=rnd.code, units=units, leaders=leaders, preliminary=rnd.preliminary, notes=notes)
    absent = [u for form in rnd.forms for u in unregistered_units(rnd, form)]
    if absent:
        result.notes.append(f"{len(absent)} đơn vị chưa có nhiệm vụ đã đăng ký nên không chấm điểm được: " +
                            ", ".join(f"{u.name} ({u.code})" for u in absent) + ". Đề nghị xem xét riêng.")
    if result.pending:
        result.notes.append("Có trường hợp bằng điểm ở suất cuối cùng của mức cao nhất: " +
                            "; ".join(s.name for s in result.pending) + ". Đề nghị Ban Thường vụ xem xét, quyết định.")
    result.path = str(write_classification(rnd, result, rules))
    result.seconds = time.perf_counter() - started
    return result


HEADERS = ["Thứ hạng", "Mã", "Tên", "Số nhiệm vụ", "Đến hạn trong kỳ", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
           "Chưa hoàn thành", "Chưa đến hạn: đúng tiến độ", "Chưa đến hạn: chậm tiến độ", "Số lượng (%)",
           "Tiến độ (%)", "Chất lượng (%)", "Điểm kết quả nhiệm vụ", "Điểm tiêu chí chung", "Tổng điểm", "Xếp loại",
           "Chờ Ban Thường vụ quyết định", "Giải thích"]
WIDTHS = [7, 9, 28, 8, 8, 8, 8, 8, 9, 9, 8, 8, 8, 9, 8, 8, 22, 10, 60]  # all but "Giải thích" fit one A4 width


def write_classification(rnd, result: ScoreResult, rules: dict) -> Path:
    path = rnd.output / safe_filename(f"xep_loai_{rnd.code}.xlsx")
    label = " (SƠ BỘ)" if result.preliminary else ""
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        f = Formats(wb)
        for title, scores in (("Xếp loại đơn vị", result.units), ("Xếp loại lãnh đạo", result.leaders)):
            ws = wb.add_worksheet(title)
            ws.write_string(0, 0, f"{title.upper()}{label} — {rnd.period.label.upper()}", f.title)
            note_across(ws, 1, " ".join(result.notes) or f"Tính đến ngày {rnd.as_of:%d/%m/%Y}.", f,
                        WIDTHS[:len(HEADERS) - 1])
            rows = [[s.rank, s.subject_id, s.name, s.tasks, s.assigned, s.on_time, s.done_late, s.failed,
                     s.on_track, s.behind, round(100 * s.quantity, 1), round(100 * s.schedule, 1),
                     round(100 * s.quality, 1), round(s.task_points, 2), s.general_points, s.score, s.level,
                     "có" if s.pending else "", " ".join(s.why)] for s in scores]
            table(ws, 3, HEADERS, rows, f, WIDTHS, print_columns=len(HEADERS) - 1)
            ws.write_string(2, 0, f"Giải thích từng trường hợp: trang \"Giải thích {title[9:]}\".", f.note)
            table(wb.add_worksheet(f"Giải thích {title[9:]}"), 0, ["Thứ hạng", "Mã", "Tên", "Xếp loại", "Giải thích"],
                  [[s.rank, s.subject_id, s.name, s.level, "\n".join(f"- {w}" for w in s.why)] for s in scores], f,
                  [7, 9, 24, 18, 85])
        ws = wb.add_worksheet("Quy tắc")
        ws.set_column(0, 0, 110)
        print_setup(ws, [110], 0, landscape=True)
        ws.write_string(0, 0, "QUY TẮC CHẤM ĐIỂM, XẾP LOẠI ĐÃ ÁP DỤNG", f.title)
        lines = describe_rules(rules)
        for r, line in enumerate(lines, start=2):
            ws.write_string(r, 0, line, f.text)
            fit_row(ws, r, [(line, 110)], points=11)
        r = len(lines) + 3
        ws.write_string(r, 0, "Nguyên văn các quy tắc đã áp dụng (dạng YAML), để đối chiếu:", f.note)
        text = yaml.safe_dump(rules, allow_unicode=True, sort_keys=False)
        for i, line in enumerate(text.splitlines(), start=r + 1):
            ws.write_string(i, 0, line)
        wb.close()
    return path


_MISSING_GENERAL = {"scale": "quy đổi điểm kết quả nhiệm vụ ra thang 100", "zero": "tính 0 điểm",
                    "full": "tính đủ điểm"}
_TIE_BREAKS = {"schedule": "tỷ lệ hoàn thành đúng hạn", "quality": "mức đạt chỉ tiêu", "quantity": "tỷ lệ hoàn thành",
               "score": "tổng điểm", "late_share": "tỷ lệ nhiệm vụ chậm (thấp hơn xếp trên)"}


def describe_rules(rules: dict) -> list[str]:
    """The scoring rules in sentences a clerk can read out at a meeting."""
    scale, comp = rules.get("scale") or {}, rules.get("components") or {}
    out = [f"Thang điểm: {number(scale.get('general', 0))} điểm tiêu chí chung + {number(scale.get('tasks', 0))} "
           f"điểm kết quả thực hiện nhiệm vụ.",
           f"Điểm kết quả nhiệm vụ gồm: số lượng {number(100 * comp.get('quantity', 0))}%, tiến độ (đúng hạn) "
           f"{number(100 * comp.get('schedule', 0))}%, chất lượng (mức đạt chỉ tiêu, tối đa "
           f"{number(100 * rules.get('quality_cap', 1))}%) {number(100 * comp.get('quality', 0))}%; tính trên "
           "các nhiệm vụ phải hoàn thành trong kỳ (đến hạn hoặc đã kết thúc); nhiệm vụ chưa đến hạn tính theo tiến độ.",
           ("Mức đạt chỉ tiêu = giá trị đạt được / mục tiêu; chỉ tiêu giảm (mục tiêu thấp hơn giá trị hiện tại lúc "
            "đăng ký, ví dụ tỷ lệ hộ nghèo từ 11,2% xuống 8,5%) = (giá trị hiện tại − giá trị đạt được) / (giá trị "
            "hiện tại − mục tiêu)."),
           "Chưa có điểm tiêu chí chung chấm tay (tệp " + str(rules.get("manual_points_file", "")) + "): "
           + _MISSING_GENERAL.get(rules.get("general_when_missing"), str(rules.get("general_when_missing"))) + "."]
    out.extend(interim_rule(not_started_share(rules)))
    if rules.get("area_weights"):
        out.append("Trọng số theo lĩnh vực: " + "; ".join(f"{k} × {number(v)}"
                                                          for k, v in rules["area_weights"].items()) + ".")
    out.append("Mức xếp loại (xét từ trên xuống, không đạt điều kiện thì xuống mức dưới):")
    for lv in rules.get("levels") or []:
        late = lv.get("max_late_share")
        cond = "" if late is None else (", không có nhiệm vụ chậm, quá hạn" if not late else
                                        f", nhiệm vụ chậm, quá hạn không quá {number(100 * late)}%")
        out.append(f"  – {lv['name']}: từ {number(lv.get('min', 0))} điểm{cond}.")
    out.append("Xếp loại lãnh đạo: chỉ các đồng chí thuộc diện Ban Thường vụ quản lý (danh sách lãnh đạo, cột "
               "'Thuộc diện BTV quản lý' ghi 'có' hoặc để trống) được xếp loại và tính vào tỷ lệ; đồng chí ghi 'không' "
               "không được xếp loại ở đây, nhiệm vụ do đồng chí phụ trách vẫn tính cho đơn vị. Đồng chí không phụ "
               "trách nhiệm vụ nào trong kỳ (kể cả lãnh đạo của đơn vị cấp cao nhất, đơn vị không nhận biểu mẫu) "
               "thì không chấm điểm.")
    q = rules.get("quota") or {}
    if q:
        base = "mức này trở lên" if q.get("base", "good_or_better") == "good_or_better" else "đúng mức này"
        ties = ", ".join(_TIE_BREAKS.get(t, t) for t in q.get("tie_break") or [])
        out.append(f"Số được xếp \"{q.get('level')}\" không quá {number(100 * q.get('share', 0))}% số được xếp "
                   f"\"{q.get('of_level')}\" ({base}), làm tròn xuống, xét sau khi xếp hạng"
                   + (f"; bằng điểm ở suất cuối thì xét lần lượt: {ties}" if ties else "")
                   + "; còn bằng nhau thì nêu tên để Ban Thường vụ quyết định.")
    return out


__all__ = ["score", "classify", "load_rules", "Score", "ScoreResult", "compute", "task_columns", "scored_form"]
