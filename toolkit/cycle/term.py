"""The term: breakthrough tasks and term registrations (e.g. 2026-2030) followed across the years of the term.

`toolkit term --period 2026-2030` writes the term view (a workbook: each task with its state at the end of each
year — the year-end report, or the latest report of that year, named — and its result so far; totals per leader
and per unit), a term scorecard per leader and the term report (Word).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from .. import formatting as fmt
from ..definitions.judge import STATES
from ..errors import ToolkitError
from ..files import atomic_path
from ..outputs.render import render_many
from ..outputs.report import _base, _job
from ..paths import safe_filename
from ..register.frame import as_date
from ..register.history import _frame, progress_rounds
from ..round import as_round
from ..sheets import Formats, new_workbook, table

RESULT_GROUPS = {"done_on_time": "on_time", "done_late": "late", "overdue": "failed", "not_done": "failed",
                 "not_reported": "failed", "dropped": "dropped"}


@dataclass
class TermResult:
    workbook: str
    documents: list[str] = field(default_factory=list)
    tasks: int = 0
    leaders: int = 0
    years: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [f"Nhiệm kỳ: {self.tasks} việc của {self.leaders} đồng chí lãnh đạo, theo dõi qua các năm "
                f"{', '.join(map(str, self.years))}.", f"Bảng theo dõi nhiệm kỳ: {self.workbook}",
                f"Đã xuất {len(self.documents)} văn bản (báo cáo nhiệm kỳ, phiếu theo dõi từng đồng chí)."]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def term_view(rnd) -> TermResult:
    """The term's breakthrough tasks: a workbook by task, leader and unit, a report and a card per leader."""
    started = time.perf_counter()
    rnd = as_round(rnd)
    if rnd.period.kind != "term":
        raise ToolkitError(f"Lệnh này dùng cho một nhiệm kỳ (ví dụ --period 2026-2030), không dùng cho "
                           f"{rnd.period.label}.")
    key = rnd.register_key
    years = list(range(rnd.period.start.year, rnd.period.end.year + 1))
    names = {u.code: u.name for u in rnd.ctx.registry.units.values()}
    rows, by_leader, latest, warnings = _term_rows(rnd, key, years, names)
    out = rnd.output
    path = out / safe_filename(f"theo_doi_nhiem_ky_{rnd.code}.xlsx")
    _write_term_book(path, rnd, names, years, rows, by_leader)
    docs = _term_documents(rnd, out, rows, by_leader, watch_list(rows, latest) + warnings, latest)
    return TermResult(workbook=str(path), documents=docs, tasks=len(rows), leaders=len([k for k in by_leader if k]),
                      years=years, seconds=time.perf_counter() - started)


def _term_rows(rnd, key: str, years: list[int], names: dict[str, str]):
    """Each task of the term's register with its state year by year, grouped by leader; the latest round; the
    warnings given when the tasks were registered."""
    reg = rnd.ctx.registry
    with rnd.store_handle() as store:
        tasks = [t for t in store.register(key) if not (t.get("confirmation") == "refused"
                                                        and t.get("confirmed_version") == t["version"])]
        states: dict[tuple[str, str], dict[int, tuple[str, str]]] = {}
        latest = None
        for pr in progress_rounds(rnd.ctx, store, key):
            latest = pr.period
            df = _frame(pr, store)
            for r in df[df["_register"] == key].to_dict("records") if len(df) else []:
                # later rounds of a year overwrite earlier ones: the year-end report when there is one
                states.setdefault((r["_unit"], r["task_code"]), {})[pr.period.start.year] = (r["_state"],
                                                                                           pr.period.label)
        warnings = [f"{names.get(i['unit_code'], i['unit_code'])}: {i['message']}"
                    for f in rnd.forms for i in store.issues(f.id, rnd.code)
                    if i["code"] in ("qualitative-task", "leader-other-unit")]
    rows, by_leader = [], {}
    for t in sorted(tasks, key=lambda t: (t.get("leader_id") or "", t["unit_code"], t["task_code"])):
        trail = states.get((t["unit_code"], t["task_code"]), {})
        final = trail[max(trail)][0] if trail else None
        if t.get("dropped"):
            final = "dropped"
        ldr = reg.leaders.get(t.get("leader_id") or "")
        leader = f"{ldr.name} – {ldr.title}" if ldr else (t.get("leader_id") or "(chưa giao)")
        per_year = [_year_text(trail.get(y), y) for y in years]
        result = STATES.get(final, "Chưa có báo cáo") if final else "Chưa có báo cáo"
        rows.append({"task": t, "leader": leader, "leader_id": t.get("leader_id") or "", "per_year": per_year,
                     "final": final, "result": result,
                     "trail": "; ".join(f"{y}: {txt}" for y, txt in zip(years, per_year) if txt)})
        group = by_leader.setdefault(t.get("leader_id") or "", {"leader": leader, "tasks": 0, "on_time": 0, "late": 0,
                                                                 "failed": 0, "open": 0, "dropped": 0, "rows": []})
        group["tasks"] += 1
        group[RESULT_GROUPS.get(final, "open")] += 1
        group["rows"].append(rows[-1])
    return rows, by_leader, latest, warnings


def _write_term_book(path, rnd, names: dict[str, str], years: list[int], rows: list[dict], by_leader: dict) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        f = Formats(wb)
        ws = wb.add_worksheet("Theo việc")
        ws.write_string(0, 0, f"THEO DÕI VIỆC ĐỘT PHÁ, NHIỆM VỤ {rnd.period.label.upper()}", f.title)
        table(ws, 2, ["Đồng chí lãnh đạo", "Mã đơn vị", "Tên đơn vị", "Mã việc", "Nội dung", "Thời hạn",
                      *[f"Năm {y}" for y in years], "Kết quả đến nay"],
              [[r["leader"], r["task"]["unit_code"], names.get(r["task"]["unit_code"], r["task"]["unit_code"]),
                r["task"]["task_code"], r["task"]["title"], fmt.day(r["task"].get("deadline")),
                *(txt or None for txt in r["per_year"]),
                r["result"]] for r in rows], f, [24, 10, 22, 12, 40, 11, *[20] * len(years), 22])
        heads = ["Số việc", "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Chưa hoàn thành", "Đang thực hiện",
                 "Đưa ra khỏi danh mục"]
        table(wb.add_worksheet("Theo lãnh đạo"), 0, ["Đồng chí lãnh đạo", *heads],
              [[g["leader"], g["tasks"], g["on_time"], g["late"], g["failed"], g["open"], g["dropped"]]
               for g in by_leader.values()], f, [30, 10, 12, 12, 12, 12, 12])
        by_unit: dict[str, Counter] = {}
        for r in rows:
            c = by_unit.setdefault(r["task"]["unit_code"], Counter())
            c["tasks"] += 1
            c[RESULT_GROUPS.get(r["final"], "open")] += 1
        table(wb.add_worksheet("Theo đơn vị"), 0, ["Mã đơn vị", "Tên đơn vị", *heads],
              [[u, names.get(u, u), c["tasks"], c["on_time"], c["late"], c["failed"], c["open"], c["dropped"]]
               for u, c in sorted(by_unit.items())], f, [10, 30, 10, 12, 12, 12, 12, 12])
        wb.close()


def _term_documents(rnd, out, rows: list[dict], by_leader: dict, warnings: list[str], latest) -> list:
    """The term report and one card per leader (Word)."""
    reg = rnd.ctx.registry
    docs_dir = out / "van_ban"
    docs_dir.mkdir(parents=True, exist_ok=True)
    root = rnd.ws.root
    total = Counter(RESULT_GROUPS.get(r["final"], "open") for r in rows)
    context = {**_base(rnd, "term"), "title_line": f"kết quả thực hiện việc đột phá, đổi mới {rnd.period.label}",
               "intro": f"{rnd.ws.office.get('name') or 'Văn phòng'} báo cáo kết quả thực hiện việc đột phá, đổi mới "
                        f"giao cho các đồng chí lãnh đạo {rnd.period.label}, tính đến "
                        f"{_as_of(latest)}, như sau:",
               "totals_sentence": (f"Có {len(rows)} việc giao cho {len(by_leader)} đồng chí lãnh đạo: "
                                   f"{total['on_time']} hoàn thành đúng hạn, {total['late']} hoàn thành quá hạn, "
                                   f"{total['failed']} chưa hoàn thành khi đã đến hạn, {total['open']} đang thực hiện"
                                   + (f", {total['dropped']} được đồng ý đưa ra khỏi danh mục" if total['dropped']
                                      else "") + "." if rows else "Chưa có việc đột phá, đổi mới nào được giao."),
               "by_leader": [{k: g[k] for k in ("leader", "tasks", "on_time", "late", "failed", "open")}
                             for g in by_leader.values()],
               "tasks": [{"leader": r["leader"], "title": fmt.text(r["task"]["title"]),
                          "deadline": fmt.day(r["task"].get("deadline")), "trail": r["trail"] or "Chưa có báo cáo",
                          "result": r["result"]} for r in rows],
               "warnings": warnings}
    jobs = [_job(root, "term", docs_dir / safe_filename(f"bao_cao_nhiem_ky_{rnd.code}.docx"), context)]
    cards = docs_dir / "phieu_theo_doi_nhiem_ky"
    cards.mkdir(parents=True, exist_ok=True)
    for leader_id, g in by_leader.items():
        if not leader_id:
            continue
        ldr = reg.leaders.get(leader_id)
        verdict = _verdict(g)
        subject = {"id": leader_id, "name": ldr.name if ldr else leader_id,
                   "title": f", {ldr.title}" if ldr and ldr.title else "",
                   "counts": f"Được giao {g['tasks']} việc: {g['on_time']} hoàn thành đúng hạn, {g['late']} hoàn thành "
                             f"quá hạn, {g['failed']} chưa hoàn thành khi đã đến hạn, {g['open']} đang thực hiện.",
                   "verdict": verdict}
        ctx = {**_base(rnd, "term_scorecard"), "title_line": f"kết quả thực hiện việc đột phá, đổi mới "
                                                             f"{rnd.period.label}",
               "subject": subject,
               "tasks": [{"title": fmt.text(r["task"]["title"]), "deadline": fmt.day(r["task"].get("deadline")),
                          "trail": r["trail"] or "Chưa có báo cáo", "result": r["result"]} for r in g["rows"]]}
        jobs.append(_job(root, "term_scorecard", cards / safe_filename(f"{leader_id}_{rnd.code}.docx"), ctx))
    docs = render_many(jobs)
    return docs


WATCH = {"overdue": "quá hạn, chưa hoàn thành", "not_done": "không hoàn thành", "behind": "chậm tiến độ",
         "not_reported": "đến hạn nhưng chưa được báo cáo", "adjust": "có đề nghị điều chỉnh đang chờ ý kiến"}


def watch_list(rows: list[dict], latest) -> list[str]:
    """What the Standing Committee must look at: tasks overdue, not done, behind, unreported when due, with an
    adjustment pending, or sent back to their unit for correction at confirmation."""
    out = []
    as_of = latest.end if latest is not None else None
    for r in rows:
        t = r["task"]
        what = WATCH.get(r["final"])
        deadline = t.get("deadline")
        due = _day(deadline)
        if r["final"] is None and as_of is not None and due is not None and due <= as_of:
            what = "đã đến hạn nhưng chưa có báo cáo"
        if t.get("confirmation") == "revise":
            what = "; ".join(x for x in (what, "Văn phòng đề nghị sửa khi xác nhận, chưa có bản sửa") if x)
        if what:
            out.append(f"{r['leader']}: việc \"{fmt.text(t['title'])}\" (thời hạn {fmt.day(deadline)}) — {what}.")
    return out


def _day(value):
    return as_date(value)


def _year_text(entry: tuple[str, str] | None, year: int) -> str:
    if not entry:
        return ""
    state, label = entry
    text = STATES.get(state, state)
    return text if "tổng kết" in label else f"{text} ({label})"


def _verdict(g: dict) -> str:
    due = g["on_time"] + g["late"] + g["failed"]
    if g["open"] and not due:
        return "Đang thực hiện, chưa đến hạn đánh giá."
    if g["failed"]:
        return f"Chưa hoàn thành {g['failed']}/{g['tasks']} việc đã đến hạn."
    if g["open"]:
        return f"Đã hoàn thành {due}/{g['tasks']} việc, còn {g['open']} việc đang thực hiện."
    if g["late"]:
        return f"Hoàn thành {due}/{g['tasks']} việc, trong đó {g['late']} việc quá hạn."
    return f"Hoàn thành đúng hạn {due}/{g['tasks']} việc."


def _as_of(latest) -> str:
    """The report speaks as of the latest progress report on the term, not as of the day it is printed."""
    return f"kỳ báo cáo {latest.label}" if latest is not None else "nay (chưa có kỳ báo cáo tiến độ nào)"


__all__ = ["term_view", "TermResult"]
