"""Registration rounds in which units copy the province's task list, collected through the CLI.

    python benchmarks/copying.py --units 300 1000 3000        (make bench-copy; UNITS="300 1000" to choose)

For each N, two rounds are generated with the real template builder (fixed seed): "copying", where ~30 % of
units take 50–100 % of their tasks from a shared provincial list with small edits (a number, a place, case or
punctuation), and "plain", where every unit writes its own tasks. In both, most files carry at least one
warning (a task without indicator or target, late submission, copied task). Each round is collected by
`toolkit collect` in a fresh copy of the workspace, without and with feedback. Reported per round: collect per
file, feedback files per second (the difference between the two runs), the similarity stage alone (the copy
check replayed on the stored titles in the order they were accepted), and the machine load.
Writes benchmarks/copying_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from itertools import groupby
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import make_registry, task_rows  # noqa: E402

from toolkit.context import load_context  # noqa: E402
from toolkit.intake.similarity import TextGroups  # noqa: E402
from toolkit.outputs.templates import build_template  # noqa: E402
from toolkit.periods import parse_period  # noqa: E402
from toolkit.store import Store  # noqa: E402
from toolkit.text import fold  # noqa: E402
from toolkit.workspace.config import init_workspace  # noqa: E402

PERIOD = "2025"
PROVINCE = [  # the province's list that units copy, {n} a number they may change
    "Kết nạp ít nhất {n} đảng viên mới, chú trọng đoàn viên thanh niên, trên địa bàn toàn tỉnh năm 2025",
    "Nâng cao chất lượng sinh hoạt chi bộ, phấn đấu {n}% chi bộ xếp loại hoàn thành tốt nhiệm vụ trở lên",
    "Thực hiện kiểm tra, giám sát {n} tổ chức đảng và đảng viên theo chương trình kiểm tra năm 2025",
    "Giải quyết {n}% hồ sơ thủ tục hành chính trực tuyến toàn trình, đúng hạn, không để tồn đọng",
    "Giảm tỷ lệ hộ nghèo đa chiều xuống dưới {n}% theo chuẩn nghèo giai đoạn 2021 – 2025",
    "Hoàn thành chỉ tiêu giao quân năm 2025, bảo đảm {n}% thanh niên nhập ngũ đúng tiêu chuẩn",
    "Phấn đấu tỷ lệ người dân tham gia bảo hiểm y tế đạt {n}% trở lên trong năm 2025",
    "Xây dựng và công nhận {n} khu dân cư đạt chuẩn an toàn về an ninh trật tự",
    "Tổ chức học tập, quán triệt nghị quyết của Đảng cho 100% cán bộ, đảng viên, hoàn thành trước quý {n}",
    "Thu ngân sách nhà nước trên địa bàn đạt và vượt {n}% dự toán được giao năm 2025",
    "Vận động nhân dân hiến {n} m2 đất mở rộng đường giao thông nông thôn và xây dựng nhà văn hoá",
    "Phát triển thêm {n} sản phẩm OCOP đạt từ 3 sao trở lên, gắn với xây dựng nông thôn mới nâng cao",
    "Số hoá {n}% hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực theo quy định",
    "Nâng cao hiệu quả công tác dân vận chính quyền, tiếp công dân định kỳ {n} lần mỗi tháng",
    "Trồng mới {n} ha rừng tập trung, nâng tỷ lệ che phủ rừng theo kế hoạch của tỉnh",
    "Đào tạo nghề cho {n} lao động nông thôn, trong đó ít nhất một nửa có việc làm sau đào tạo",
    "Hoàn thành chuyển đổi số trong các cơ quan đảng, {n}% văn bản được ký số và gửi trên môi trường mạng",
    "Kiện toàn {n} chi bộ thôn, tổ dân phố có chi ủy viên là trưởng thôn, tổ trưởng dân phố",
    "Xử lý dứt điểm {n} vụ việc khiếu nại, tố cáo tồn đọng, không để phát sinh điểm nóng",
    "Tuyên truyền, phổ biến giáo dục pháp luật cho {n} lượt người dân tại các thôn, tổ dân phố",
]


def province_list(rng: random.Random) -> list[str]:
    return [t.format(n=rng.randint(5, 95)) for t in PROVINCE for _ in range(2)][:40]


def copied(title: str, place: str, rng: random.Random) -> str:
    """A copy of the province's wording with a small edit, as units make them."""
    r = rng.random()
    if r < 0.4:
        return title
    if r < 0.55:
        return title.upper() if rng.random() < 0.3 else title.replace(",", " ,").rstrip() + "."
    if r < 0.8:
        words = title.split()
        nums = [i for i, w in enumerate(words) if any(ch.isdigit() for ch in w)]
        if nums:
            i = rng.choice(nums)
            words[i] = str(rng.randint(5, 95)) + ("%" if "%" in words[i] else "")
        return " ".join(words)
    return title.replace("toàn tỉnh", place).replace("theo quy định", f"của {place}") + f" tại {place}"


def unit_tasks(code: str, place: str, rows: int, copying: bool, province: list[str], rng: random.Random) -> list[dict]:
    tasks = task_rows(code, place, rng, rows)
    if copying and rng.random() < 0.3:  # a copying unit: 50–100 % of its tasks from the province's list
        for t in rng.sample(tasks, k=int(rows * rng.uniform(0.5, 1.0))):
            t["title"] = copied(rng.choice(province), place, rng)
    if rng.random() < 0.85:  # most files have a warning: a task without indicator or target
        rng.choice(tasks).update(indicator=None, target=None, baseline=None)
    return tasks


def _build(job) -> None:
    root, items = job
    ctx = load_context(root)
    form, period = ctx.form("registration"), parse_period(PERIOD)
    for code, path, tasks, ts in items:
        build_template(Path(path), form, ctx.registry.units[code], period, date(2025, 1, 31), ctx.registry,
                       prefill={"tasks": tasks})
        os.utime(path, (ts, ts))


def generate(root: Path, n: int, rows: int, copying: bool, seed: int = 20) -> Path:
    rng = random.Random(seed)
    ws = init_workspace(root, periods=[PERIOD])
    units = make_registry(ws.registry_path, n, rng)
    ws.settings["expected_kinds"] = {"registration": ["Xã, phường"], "progress": [], "breakthrough": [],
                                     "followup": []}
    ws.save()
    ws.set_period(parse_period(PERIOD), date(2025, 1, 31))
    inbox = ws.round_dir(PERIOD, "inbox")
    province = province_list(rng)
    items = []
    for i, (code, name, kind, *_rest) in enumerate(u for u in units if u[2] == "Xã, phường"):
        place = name.replace("Đảng ủy ", "")
        day = 20 if rng.random() < 0.9 else 33  # one in ten late (1–2 Feb)
        ts = datetime(2025, 1, 1).timestamp() + day * 86400 + i  # files arrive one by one
        items.append((code, str(inbox / f"{code}_dang_ky.xlsx"),
                      unit_tasks(code, place, rows, copying, province, rng), ts))
    chunks = [items[k::4] for k in range(4)]
    with ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, 4)) as pool:
        list(pool.map(_build, [(str(root), c) for c in chunks]))
    return root


def cli_collect(gen: Path, run: Path, feedback: bool) -> tuple[float, dict]:
    if run.exists():
        shutil.rmtree(run)
    shutil.copytree(gen, run)  # copy2 keeps the files' times (lateness, arrival order)
    exe = Path(sys.executable).with_name("toolkit")
    cmd = [str(exe), "collect", str(run), "--period", PERIOD, "--json"] + ([] if feedback else ["--no-feedback"])
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONUTF8": "1"})
    seconds = time.perf_counter() - t
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr[-2000:])
    return seconds, json.loads(out.stdout)


def similarity_stage(ws_root: Path, threshold: float) -> dict:
    """The copy check alone, replayed on the stored titles in the order the files were accepted."""
    with Store(load_context(ws_root).ws.db_path) as store:
        texts = store.texts_for_copy_check("registration", "title", PERIOD, active_only=False)
    t = time.perf_counter()
    index, flagged = TextGroups(threshold), 0
    for unit, rows in groupby(texts, key=lambda r: r[1]):
        rows = list(rows)
        for _, _, _, title in rows:  # each file is checked against everything accepted before it ...
            if len(fold(title).split()) >= 4 and index.similar(title, exclude_owner=unit):
                flagged += 1
        for _, _, code, title in rows:  # ... then added
            index.add(unit, code or "", title)
    return {"seconds": round(time.perf_counter() - t, 3), "titles": len(texts), "distinct": len(index),
            "flagged": flagged, "comparisons": index.compared}


def load() -> float:
    return os.getloadavg()[0]


def bench(work: Path, n: int, rows: int, copying: bool) -> dict:
    name = f"n{n}-{'copying' if copying else 'plain'}"
    gen = work / name / "gen"
    if gen.exists():
        shutil.rmtree(gen.parent)
    t = time.perf_counter()
    generate(gen, n, rows, copying)
    res: dict = {"units": n, "rows": rows, "copying": copying, "generate_s": round(time.perf_counter() - t, 1)}
    res["load_before"] = round(load(), 2)
    plain_s, out = cli_collect(gen, work / name / "run", feedback=False)
    res["collect_s"] = round(plain_s, 2)
    res["collect_ms_per_file"] = round(1000 * plain_s / n, 1)
    issues = [i for f in out["files"] for i in f["issues"]]
    res["files_with_warnings"] = sum(1 for f in out["files"] if f["warnings"] or f["errors"])
    res["copied_task_warnings"] = sum(1 for i in issues if i["code"] == "copied-task")
    res["similarity"] = similarity_stage(work / name / "run", 0.88)
    fb_s, out_fb = cli_collect(gen, work / name / "run", feedback=True)
    res["collect_feedback_s"] = round(fb_s, 2)
    res["collect_feedback_ms_per_file"] = round(1000 * fb_s / n, 1)
    res["feedback_files"] = sum(1 for f in out_fb["files"] if f["feedback"])
    res["feedback_files_per_s"] = round(res["feedback_files"] / max(fb_s - plain_s, 1e-9), 1)
    res["load_after"] = round(load(), 2)
    shutil.rmtree(work / name, ignore_errors=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[300, 1000, 3000])
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--plain", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the round without copying (default: yes)")
    ap.add_argument("--out", default=str(HERE / "copying_results.json"))
    args = ap.parse_args()
    work = HERE / "work" / "copying"
    results = []
    print(f"{'round':>14} {'collect ms/file':>16} {'+feedback ms/file':>18} {'feedback files/s':>17} "
          f"{'similarity s':>13} {'copied-task':>12} {'load':>10}", flush=True)
    for n in args.units:
        for copying in ([True, False] if args.plain else [True]):
            r = bench(work, n, args.rows, copying)
            results.append(r)
            print(f"{n:>6} {'copying' if copying else 'plain':>7} {r['collect_ms_per_file']:>16} "
                  f"{r['collect_feedback_ms_per_file']:>18} {r['feedback_files_per_s']:>17} "
                  f"{r['similarity']['seconds']:>13} {r['copied_task_warnings']:>12} "
                  f"{r['load_before']:>4}/{r['load_after']:<4}", flush=True)
    copying = [r for r in results if r["copying"]]
    if len(copying) > 1:
        ratio = max(r["collect_ms_per_file"] for r in copying) / min(r["collect_ms_per_file"] for r in copying)
        print(f"collect per file, largest/smallest over N (copying): {ratio:.2f}×")
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
