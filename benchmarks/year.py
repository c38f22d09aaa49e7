"""Benchmark a whole year of the cycle: N units, each registering about ten tasks, through every round.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/year.py --units 300

Generates (fixed seed) a registry of N communes and, for each round, their returned workbooks built from the real
template (the unit's values written in), then times each step through the library, as the CLI runs it:
registration (templates, collect), confirmation (review workbook written; the clerk's opinions read back and
applied), the Q1, 6-month, 9-month and year-end rounds (templates prefilled with the register as it stands,
collect with feedback copies, score, Word report without PDF), the adjustment requests of the 6-month round
(adjustments workbook written; decisions applied) and the history workbook. What the units and the clerk do
(filling workbooks) is not timed. Writes benchmarks/year_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import time
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import openpyxl  # noqa: E402
from run import make_registry, rss_mb, task_rows  # noqa: E402

from toolkit.context import load_context  # noqa: E402
from toolkit.cycle.adjust import adjust  # noqa: E402
from toolkit.cycle.confirm import confirm  # noqa: E402
from toolkit.cycle.history import write_history  # noqa: E402
from toolkit.intake.collect import collect  # noqa: E402
from toolkit.outputs.report import write_reports  # noqa: E402
from toolkit.outputs.score import score  # noqa: E402
from toolkit.outputs.templates import build_template, build_templates  # noqa: E402
from toolkit.periods import parse_period  # noqa: E402
from toolkit.round import open_round  # noqa: E402
from toolkit.samples import RESULT_BANK  # noqa: E402
from toolkit.workspace.config import init_workspace  # noqa: E402

YEAR = "2025"
ROUNDS = [("2025-Q1", date(2025, 4, 10), date(2025, 4, 5)), ("2025-H1", date(2025, 7, 10), date(2025, 7, 5)),
          ("2025-9M", date(2025, 10, 10), date(2025, 10, 6)), ("2025-Y", date(2025, 12, 31), date(2025, 12, 26))]
ON = "Đang thực hiện – đúng tiến độ"


class Clock:
    def __init__(self):
        self.steps: list[tuple[str, float, str]] = []

    def run(self, name: str, fn, *args, note=lambda r: "", **kw):
        t = time.perf_counter()
        result = fn(*args, **kw)
        sec = time.perf_counter() - t
        self.steps.append((name, round(sec, 2), note(result)))
        print(f"{name:48} {sec:8.2f} s  {note(result)}", flush=True)
        return result


def values(tasks: list[dict], period, index: int, rng: random.Random, damaged: bool) -> list[dict]:
    """A unit's report for the round: tasks past their deadline done (a few late or not done at year end),
    others progressing; one row broken in a damaged file."""
    out = []
    for t in tasks:
        if t.get("_done"):  # finished in an earlier round: reported as such again
            out.append({**t, "status": "Hoàn thành", "percent": 100, "actual": t["target"], "completed_on": t["_done"],
                        "results": f"Đã hoàn thành ngày {t['_done']:%d/%m/%Y}; kỳ {period.code} duy trì kết quả "
                                   f"({t['task_code']}).", "delay_cause": None})
            continue
        due = t["deadline"] <= period.end
        pct = min(95, 20 * (index + 1) + rng.randint(0, 15))
        if due:
            status = rng.choice(["Hoàn thành"] * 8 + ["Chậm tiến độ"] + (["Không hoàn thành"] if index == 3 else []))
            if index == 3 and status == "Chậm tiến độ":
                status = "Không hoàn thành"
        else:
            status = ON
        if status == "Hoàn thành":
            pct = 100
        pct = max(pct, t.get("_pct", 0))  # cumulative: never below the last accepted report
        done_on = min(t["deadline"], period.end) if pct == 100 else None
        text = rng.choice(RESULT_BANK).format(n=rng.randint(2, 60), pct=pct)
        out.append({**t, "status": status, "percent": pct, "actual": round(t["target"] * pct / 100, 1),
                    "completed_on": done_on, "results": f"{text} Nhiệm vụ {t['task_code']} kỳ {period.code}.",
                    "delay_cause": "Thiếu nguồn lực (kinh phí, nhân lực)" if status in ("Chậm tiến độ",
                                                                                       "Không hoàn thành") else None})
    if damaged:
        out[rng.randrange(len(out))]["status"] = "Xong"
    return out


def accepted(tasks: list[dict], rows: list[dict]) -> None:
    """What the office accepted becomes the unit's starting point for the next round."""
    for t, r in zip(tasks, rows):
        t["_pct"] = r["percent"]
        if r["status"] == "Hoàn thành" and r["completed_on"]:
            t["_done"] = r["completed_on"]


def clerk(path: Path, sheet: str, decide) -> int:
    """The clerk fills the opinion column of a review workbook (not timed)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    top = next(r for r in range(1, 12) if ws.cell(row=r, column=1).value in ("Mã đơn vị", "Số đề nghị"))
    head = {c.value: c.column for c in ws[top]}
    n = 0
    for r in range(top + 1, ws.max_row + 1):
        if ws.cell(row=r, column=1).value is None:
            continue
        for col, value in decide(r, {k: ws.cell(row=r, column=c).value for k, c in head.items()}).items():
            ws.cell(row=r, column=head[col], value=value)
        n += 1
    wb.save(path)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--tasks", type=int, default=10)
    ap.add_argument("--out", default=str(HERE / "year_results.json"))
    ap.add_argument("--keep", action="store_true", help="keep the workspace in benchmarks/work")
    args = ap.parse_args()
    rng = random.Random(13)
    work = HERE / "work" / f"year{args.units}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ws = init_workspace(work / "ws", periods=[YEAR] + [r[0] for r in ROUNDS])
    units = make_registry(ws.registry_path, args.units, rng)
    ws.settings["expected_kinds"] = {"registration": ["Xã, phường"], "progress": ["Xã, phường"],
                                     "breakthrough": [], "followup": []}
    ws.settings["quality"]["similar_title_threshold"] = 0.95
    ws.save()
    ws.set_period(parse_period(YEAR), date(2025, 1, 31))
    for code, deadline, _ in ROUNDS:
        ws.set_period(parse_period(code), deadline)
    ctx = load_context(ws)
    clock = Clock()
    gen = 0.0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"Một năm của {args.units} đơn vị × {args.tasks} nhiệm vụ (tải máy lúc bắt đầu: {load})\n", flush=True)

    # registration
    reg = open_round(ctx, YEAR, "registration")
    clock.run("đăng ký: tạo biểu mẫu", build_templates, reg, note=lambda r: f"{len(r)} tệp")
    t = time.perf_counter()
    tasks = {}
    jan = datetime(2025, 1, 20).timestamp()
    for code, name, kind, *_ in units:
        if kind != "Xã, phường":
            continue
        tasks[code] = task_rows(code, name.replace("Đảng ủy ", ""), rng, args.tasks)
        path = reg.inbox / f"{code}_dang_ky.xlsx"
        build_template(path, reg.form, ctx.registry.units[code], reg.period, date(2025, 1, 31), ctx.registry,
                       prefill={"tasks": tasks[code]})
        os.utime(path, (jan, jan))
    gen += time.perf_counter() - t
    clock.run("đăng ký: tiếp nhận", collect, reg, note=lambda r: r.summary())
    c = clock.run("xác nhận: tạo bảng xác nhận", confirm, reg, note=lambda r: f"{r.tasks} nhiệm vụ")
    t = time.perf_counter()
    sent_back = set(rng.sample(sorted(tasks), k=max(1, len(tasks) // 50)))

    def opinion(_, row):
        if row["Mã đơn vị"] in sent_back and str(row["Mã nhiệm vụ"]).endswith("-01"):
            return {"Ý kiến": "Đề nghị sửa", "Nội dung đề nghị sửa, lý do": "Ghi rõ chỉ tiêu đo lường."}
        return {"Ý kiến": "Đồng ý"}

    clerk(Path(c.path), "Xác nhận đăng ký", opinion)
    gen += time.perf_counter() - t
    clock.run("xác nhận: đọc ý kiến, gửi lại đơn vị", confirm, reg,
              note=lambda r: f"xác nhận {r.confirmed}, đề nghị sửa {r.revise}, {len(r.feedback)} tệp gửi lại")

    # the progress rounds
    asked: dict[str, str] = {}
    for index, (code, _, received) in enumerate(ROUNDS):
        rnd = open_round(load_context(ws), code, "progress")
        label = {"2025-Q1": "quý 1", "2025-H1": "6 tháng", "2025-9M": "9 tháng", "2025-Y": "cả năm"}[code]
        clock.run(f"{label}: tạo biểu mẫu (ghi sẵn danh mục)", build_templates, rnd, note=lambda r: f"{len(r)} tệp")
        t = time.perf_counter()
        ts = datetime(received.year, received.month, received.day, 9).timestamp()
        for unit, rows in tasks.items():
            damaged = rng.random() < 0.05
            rows_now = values(rows, rnd.period, index, rng, damaged=damaged)
            if not damaged:
                accepted(rows, rows_now)
            sheets = {"progress": rows_now}
            if code == "2025-H1" and rng.random() < 0.1:  # one in ten asks to extend a task due in September
                late = next((r for r in rows_now if r["deadline"].month == 9), None)
                if late:
                    late.update(status="Đề nghị điều chỉnh", completed_on=None)
                    sheets["adjust"] = [{"task_code": late["task_code"], "change": "Gia hạn thời hạn",
                                         "new_deadline": date(2025, 12, 28), "reason": "Chờ bố trí vốn của tỉnh"}]
                    asked[unit] = late["task_code"]
            path = rnd.inbox / f"{unit}_tien_do.xlsx"
            build_template(path, rnd.form, ctx.registry.units[unit], rnd.period, rnd.deadline, ctx.registry,
                           prefill=sheets)
            os.utime(path, (ts, ts))
        gen += time.perf_counter() - t
        clock.run(f"{label}: tiếp nhận (kèm tệp phản hồi)", collect, rnd, note=lambda r: r.summary())
        if code == "2025-H1":
            a = clock.run("điều chỉnh: tạo bảng đề nghị", adjust, rnd, note=lambda r: f"{r.total} đề nghị")
            t = time.perf_counter()
            clerk(Path(a.path), "Đề nghị điều chỉnh",
                  lambda r, row: {"Ý kiến": "Đồng ý", "Số, ngày văn bản": "Công văn số 125-CV/TU ngày 15/7/2025"}
                  if r % 3 else {"Ý kiến": "Không đồng ý", "Ghi chú": "Giữ thời hạn đã cam kết"})
            gen += time.perf_counter() - t
            clock.run("điều chỉnh: áp dụng quyết định", adjust, rnd,
                      note=lambda r: f"áp dụng {r.applied}, không đồng ý {r.refused}")
            for unit, task in asked.items():  # approved extensions move the deadline in the generator too
                with __import__("toolkit.store", fromlist=["Store"]).Store(ws.db_path) as store:
                    deadline = store.task(YEAR, unit, task)["deadline"]
                for row in tasks[unit]:
                    if row["task_code"] == task:
                        row["deadline"] = date.fromisoformat(deadline[:10])
        clock.run(f"{label}: chấm điểm, xếp loại", score, rnd, note=lambda r: f"{len(r.units)} đơn vị, "
                                                                              f"{len(r.leaders)} lãnh đạo")
        clock.run(f"{label}: văn bản Word (không PDF)", write_reports, rnd, pdf=False,
                  note=lambda r: f"{len(r.documents)} văn bản")
    clock.run("lịch sử nhiệm vụ cả năm", write_history, ws, YEAR, note=lambda r: f"{r.rows} dòng")

    total = sum(s for _, s, _ in clock.steps)
    res = {"units": args.units, "tasks_per_unit": args.tasks, "machine": f"{platform.machine()}, "
           f"{os.cpu_count()} lõi dùng chung với các tiến trình khác (có tải), {platform.python_version()}",
           "steps": [{"step": n, "seconds": s, "note": note} for n, s, note in clock.steps],
           "toolkit_total_s": round(total, 1), "generation_not_timed_s": round(gen, 1),
           "store_mb": round(ws.db_path.stat().st_size / 1048576, 1), "peak_rss_mb": round(rss_mb(), 1)}
    print(f"\nTổng thời gian các bước của toolkit: {total:.1f} s (tạo dữ liệu, không tính: {gen:.1f} s); "
          f"kho dữ liệu {res['store_mb']} MB; RSS cao nhất {res['peak_rss_mb']} MB")
    Path(args.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
