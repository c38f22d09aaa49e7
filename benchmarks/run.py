"""Benchmark a whole round at scale against the naive way, in one process tree.

    python benchmarks/run.py --files 1000      (make bench; N=300 for a quick run)

Generates (fixed seed) a registry of N reporting units and N returned progress workbooks of the real template
(~60 task rows each, ~15 % with typical errors, a few .xls/.ods via LibreOffice when present), then times:
floor (raw python-calamine read), naive (pandas.read_excel openpyxl + concat), and each toolkit stage.
Writes benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from toolkit.context import load_context  # noqa: E402
from toolkit.intake.collect import collect  # noqa: E402
from toolkit.outputs.merge import merge  # noqa: E402
from toolkit.outputs.report import write_reports  # noqa: E402
from toolkit.outputs.score import score  # noqa: E402
from toolkit.outputs.templates import build_template  # noqa: E402
from toolkit.periods import parse_period  # noqa: E402
from toolkit.pipeline import compacted, release_memory  # noqa: E402
from toolkit.round import open_round  # noqa: E402
from toolkit.samples import RESULT_BANK, TASK_BANK  # noqa: E402
from toolkit.workspace.config import init_workspace  # noqa: E402
from toolkit.workspace.units import write_sample_registry  # noqa: E402

SYL = ["An", "Bình", "Cao", "Đông", "Hòa", "Hưng", "Kim", "Lạc", "Lương", "Minh", "Phú", "Quang", "Sơn", "Tân",
       "Thạch", "Thịnh", "Trung", "Văn", "Vĩnh", "Xuân", "Yên", "Mỹ", "Long", "Phong", "Hải", "Nam", "Bắc", "Tây"]
PERIOD_REG, PERIOD = "2025", "2025-H1"


def rss_mb() -> float:
    """The largest resident set of one process of the tree (ours or a worker's). A forked worker's resident set
    counts the pages it still shares with its parent, so this overstates what the tree takes from the machine:
    see TreeMemory."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


class StagePeak:
    """The largest resident set of this process during one stage (Linux: the peak, VmHWM, is set back to the current
    size when the stage starts; elsewhere ``mb`` stays None). Workers are not counted: see TreeMemory."""

    def __init__(self, res: dict, key: str):
        self.res, self.key = res, key

    def __enter__(self) -> StagePeak:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
        return self

    def __exit__(self, *exc) -> None:
        try:
            status = Path("/proc/self/status").read_text()
        except OSError:
            return
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        if found:
            self.res[self.key] = round(int(found.group(1)) / 1024, 1)


class TreeMemory:
    """Samples, every ``every`` seconds, the memory the process tree takes from the machine: the sum of the
    proportional set sizes (Pss: a page shared by k processes counts 1/k in each) of this process and all its
    descendants, read from /proc (Linux). The peak is `peak_tree_pss_mb`; the stages' own process's largest
    resident set is kept apart (`peak_own_rss_mb`)."""

    def __init__(self, every: float = 0.5, root: int | None = None):
        import threading

        self.every, self.peak_kb, self.root = every, 0, root or os.getpid()
        self.available = Path("/proc/self/smaps_rollup").exists()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.perf_counter()
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in _tree(self.root)))
            # a sample walks the page tables of every process (~20 ms per GB here): at most ~3 % of one core, so
            # that the measuring does not slow what it measures
            self._stop.wait(max(self.every, 30 * (time.perf_counter() - t)))


def _tree(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def clerk_run(root: Path) -> dict:
    """`toolkit run` in its own process, as the clerk runs it after the registration round: collect with feedback
    copies, the status workbooks, merge, score and the Word documents, one process (and its workers). Timed, its
    largest resident set taken from the kernel when it ends (wait4), the tree's Pss sampled while it runs."""
    toolkit = [sys.executable, "-m", "toolkit"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")]))}
    subprocess.run(toolkit + ["collect", "-p", PERIOD_REG, str(root)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with tempfile.TemporaryFile() as err_file:  # (a pipe left unread would stop a talkative process)
        t = time.perf_counter()
        proc = subprocess.Popen(toolkit + ["run", "-p", PERIOD, str(root)], env=env, stdout=subprocess.DEVNULL,
                                stderr=err_file)
        try:
            with TreeMemory(root=proc.pid) as tree:  # that process and its workers, not this one
                _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl+C: the run does not go on alone
            proc.kill()
            proc.wait()
            raise
        took = time.perf_counter() - t
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: finished, some returns sent back (the generated round has some)
        raise SystemExit(f"toolkit run failed ({proc.returncode}): {err[-2000:]}")
    shutil.rmtree(root, ignore_errors=True)
    return {"toolkit_run_s": took, "toolkit_run_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "toolkit_run_tree_pss_mb": tree.peak_mb}


def make_registry(path: Path, n: int, rng: random.Random) -> list[tuple]:
    groups = max(1, min(20, n // 50))
    units = [("TU", "Tỉnh ủy", "Tỉnh", "", "Bí thư", "Bí thư", "")]
    for g in range(groups):
        units.append((f"K{g:02d}", f"Khối {g + 1}", "Khối", "TU", "", "", ""))
    names = set()
    for i in range(n):
        while True:
            name = f"{rng.choice(SYL)} {rng.choice(SYL)}"
            if name not in names or len(names) > 700:
                break
        names.add(name)
        units.append((f"X{i:05d}", f"Đảng ủy xã {name} {i}", "Xã, phường", f"K{i % groups:02d}", f"Cán bộ {i}",
                      "Bí thư Đảng ủy", f"x{i}@example.vn"))
    leaders = [(f"L{i:05d}", f"Lãnh đạo {i}", "Bí thư", f"X{i:05d}", "có") for i in range(n)]
    write_sample_registry(path, units, leaders)
    return units


def task_rows(code: str, place: str, rng: random.Random, rows: int) -> list[dict]:
    out = []
    for i in range(1, rows + 1):
        area, title, indicator, um, base, tgt = rng.choice(TASK_BANK)
        target = rng.randint(*tgt)
        out.append({"task_code": f"{code}-{i:02d}", "area": area, "kind": "Trọng tâm",
                    "title": f"{title.format(place=place)} (đợt {i}), phấn đấu đạt {target} {um}",
                    "leader_id": f"L{code[1:]}", "indicator": indicator, "unit_measure": um,
                    "baseline": rng.randint(*base), "target": target, "start_date": date(2025, 1, 1),
                    "deadline": date(2025, rng.choice([3, 6, 9, 12]), 28), "weight": 1})
    return out


def progress_values(tasks: list[dict], rng: random.Random, damaged: bool) -> list[dict]:
    out = []
    for t in tasks:
        due = t["deadline"] <= date(2025, 6, 30)
        status = rng.choice(["Hoàn thành", "Hoàn thành", "Chậm tiến độ"]) if due else \
            rng.choice(["Đang thực hiện – đúng tiến độ"] * 3 + ["Chưa triển khai"])
        pct = {"Hoàn thành": 100, "Chưa triển khai": 0}.get(status, rng.randint(30, 90))
        text = rng.choice(RESULT_BANK).format(n=rng.randint(2, 60), pct=pct)
        out.append({**t, "status": status, "percent": pct, "actual": round(t["target"] * pct / 100, 1),
                    "completed_on": date(2025, rng.randint(1, 6), 15) if pct == 100 else None,
                    "results": f"{text} Nhiệm vụ {t['task_code']}.",
                    "delay_cause": "Thiếu nguồn lực (kinh phí, nhân lực)" if status == "Chậm tiến độ" else None,
                    "proposals": "Đề nghị tỉnh hỗ trợ kinh phí." if rng.random() < 0.05 else None})
    if damaged:
        kind = rng.randrange(3)
        row = rng.randrange(len(out))
        if kind == 0:
            out[row]["status"] = "Xong"
        elif kind == 1:
            out[row].update(status="Chậm tiến độ", delay_cause=None, percent=50)
        else:
            out[row]["completed_on"] = "15/6/2025"  # text date: coerced, not an error
            out[row]["percent"] = "80%" if out[row]["percent"] != 100 else 100
    return out


def generate(work: Path, n: int, rows: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    ws = init_workspace(work / "ws", periods=[PERIOD_REG, PERIOD])
    units = make_registry(ws.registry_path, n, rng)
    ws.settings["expected_kinds"] = {"registration": ["Xã, phường"], "progress": ["Xã, phường"],
                                     "breakthrough": [], "followup": []}
    ws.settings["quality"]["similar_title_threshold"] = 0.95
    ws.save()
    ws.set_period(parse_period(PERIOD_REG), date(2025, 1, 31))
    ws.set_period(parse_period(PERIOD), date(2025, 7, 10))
    ctx = load_context(ws)
    reg_form, prog_form = ctx.form("registration"), ctx.form("progress")
    reg_in, prog_in = ws.round_dir(PERIOD_REG, "inbox"), ws.round_dir(PERIOD, "inbox")
    t0 = time.perf_counter()
    jan, jul = datetime(2025, 1, 20).timestamp(), datetime(2025, 7, 5).timestamp()
    all_tasks = {}
    for code, name, kind, *_ in units:
        if kind != "Xã, phường":
            continue
        unit = ctx.registry.units[code]
        tasks = task_rows(code, name.replace("Đảng ủy ", ""), rng, rows)
        all_tasks[code] = tasks
        p = reg_in / f"{code}_dang_ky.xlsx"
        build_template(p, reg_form, unit, parse_period(PERIOD_REG), date(2025, 1, 31), ctx.registry,
                       prefill={"tasks": tasks})
        os.utime(p, (jan, jan))
    for code, tasks in all_tasks.items():
        unit = ctx.registry.units[code]
        p = prog_in / f"{code}_tien_do.xlsx"
        build_template(p, prog_form, unit, parse_period(PERIOD), date(2025, 7, 10), ctx.registry,
                       prefill={"progress": progress_values(tasks, rng, damaged=rng.random() < 0.15)})
        os.utime(p, (jul, jul))
    converted = convert_some(prog_in, max(2, n // 200))
    return {"workspace": ws, "generate_s": time.perf_counter() - t0, "converted": converted}


def convert_some(inbox: Path, k: int) -> int:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        return 0
    files = sorted(inbox.glob("*.xlsx"))[:k]
    done = 0
    with tempfile.TemporaryDirectory() as prof:
        for i, f in enumerate(files):
            ext = "xls" if i % 2 == 0 else "ods"
            subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{prof}", "--convert-to",
                            ext, "--outdir", str(inbox), str(f)], capture_output=True, timeout=300)
            if f.with_suffix(f".{ext}").exists():
                st = f.stat()
                os.utime(f.with_suffix(f".{ext}"), (st.st_atime, st.st_mtime))
                f.unlink()
                done += 1
    return done


def floor_read(files: list[Path]) -> tuple[float, int]:
    import python_calamine as pc

    t = time.perf_counter()
    cells = 0
    for f in files:
        wb = pc.CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    return time.perf_counter() - t, cells


def naive_read(files: list[Path]) -> tuple[float, int]:
    import pandas as pd

    t = time.perf_counter()
    frames = []
    for f in files:
        engine = {".xls": "calamine", ".ods": "calamine"}.get(f.suffix, "openpyxl")
        frames.append(pd.read_excel(f, sheet_name="Tiến độ", header=5, engine=engine))
    df = pd.concat(frames, ignore_index=True)
    return time.perf_counter() - t, len(df)


def merge_floor(ws, path: Path) -> float:
    """The floor of merge: the data sheet's very rows (values prepared beforehand, not timed) written raw with
    xlsxwriter in constant_memory mode, one write_row per row, and the file closed."""
    import xlsxwriter

    from toolkit.register.frame import round_frame

    try:
        from toolkit.outputs.merge import data_values
    except ImportError:  # a checkout from before it was split out: the same values, built here
        def data_values(df, form, rnd):
            from toolkit.definitions.judge import STATES
            from toolkit.outputs.merge import _data_columns

            cols, reg, n = _data_columns(form, rnd), rnd.ctx.registry, len(df)
            leader_cols = {c.name for c in form.main.columns if c.type == "leader"} | {"leader_id"}
            columns = []
            for name, _, _, kind in cols:
                if name.endswith("__name"):
                    base = name[: -len("__name")]
                    names = {k: v.name for k, v in (reg.leaders if base in leader_cols else reg.units).items()}
                    values = [names.get(c) if isinstance(c, str) else None
                              for c in (df[base].tolist() if n and base in df else [None] * n)]
                else:
                    values = df[name].tolist() if n and name in df else [None] * n
                if name == "_state":
                    values = [STATES.get(v, v) for v in values]
                columns.append((kind, values))
            return cols, columns

    rnd = open_round(ws, PERIOD)
    form = rnd.form_for("progress")
    with rnd.store_handle() as store:
        df = round_frame(rnd, store, form)
    cols, columns = data_values(df, form, rnd)
    del df
    t = time.perf_counter()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    sheet = wb.add_worksheet("Dữ liệu")
    sheet.write_row(0, 0, [c[1] for c in cols])
    for r, row in enumerate(zip(*(values for _, values in columns)), start=1):  # NaN is an empty cell
        sheet.write_row(r, 0, [None if v != v else v for v in row])
    wb.close()
    took = time.perf_counter() - t
    path.unlink(missing_ok=True)
    return took


def national(args) -> None:
    """Measured points (one process tree per size, so each peak RSS is its own) and a straight-line fit per stage
    (seconds = a + b × units; peak RSS likewise), extrapolated to ``--national`` units."""
    sizes = args.curve or [300, 1000, 3000]
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    points = [json.loads(Path(f).read_text(encoding="utf-8")) for f in args.fit or []]
    for n in sizes if not args.fit else []:
        out = out_dir / f"curve_{n}.json"
        cmd = [sys.executable, str(Path(__file__)), "--files", str(n), "--out", str(out), "--work", args.work] + \
            (["--reuse"] if args.reuse else []) + (["--keep"] if args.keep else [])
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        points.append(json.loads(out.read_text(encoding="utf-8")))
    sizes = [p["files"] for p in points]
    stages = ["collect_s", "merge_s", "score_s", "report_s", "run_s", "peak_rss_mb", "peak_own_rss_mb",
              "peak_tree_pss_mb", "toolkit_run_s", "toolkit_run_rss_mb", "toolkit_run_tree_pss_mb"]
    fit = {}
    for key in [k for k in stages if all(k in p for p in points)]:  # older results lack the later keys
        xs, ys = [p["files"] for p in points], [p[key] for p in points]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mx) ** 2 for x in xs) or 1
        b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var
        a = my - b * mx
        fit[key] = {"per_unit": round(b, 6), "fixed": round(a, 3), "at_national": round(a + b * args.national, 1)}
    result = {"national_units": args.national, "points": points, "fit": fit, "load": load(),
              "assumption": (f"linear in units from the measured sizes {sizes}: seconds = fixed + per_unit × units "
                             "(least squares), one machine, SQLite store, ~55 task rows per unit; report = one "
                             "progress report + a scorecard per unit and per leader. For a national roll-up the "
                             "Word documents are made per province (one round per province workspace, its report "
                             "and scorecards), so the report stage splits into independent province runs that add "
                             "up to the same document count; the figure is their sum on one machine.")}
    (out_dir / "national.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nNational roll-up ({args.national} units), extrapolated: " + ", ".join(
        f"{k} {v['at_national']}" for k, v in fit.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--keep", action="store_true", help="keep the generated workspace in the work folder (--work)")
    ap.add_argument("--work", metavar="DIR", default=str(HERE / "work"),
                    help="where the workspaces are made (default benchmarks/work); with --reuse, workbooks kept in "
                         "benchmarks/work are taken when DIR has none. On a disk whose file system was just freed "
                         "of many files (ext4 after a workspace's removal), every file made costs the kernel up to "
                         "~0.4 ms: a folder on tmpfs (/dev/shm/...) measures the toolkit without it (the copies stay in memory "
                         "until removed)")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--store", metavar="URL", help="run on a PostgreSQL store (an empty database): postgresql://…")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the workbooks generated by an earlier run with --keep (<work>/nN/pristine)")
    ap.add_argument("--curve", nargs="*", type=int, metavar="N",
                    help="the national roll-up: run each size (default 300 1000 3000), fit time and memory per "
                         "unit and extrapolate to --national units; writes benchmarks/results/national.json")
    ap.add_argument("--national", type=int, default=35_000)
    ap.add_argument("--fit", nargs="+", metavar="RESULTS_JSON",
                    help="with --curve: fit the results of earlier runs instead of running the sizes again")
    args = ap.parse_args()
    if args.curve is not None:
        return national(args)
    res = run_one(args.files, args.rows, keep=args.keep, reuse=args.reuse, store_url=args.store, root=Path(args.work))
    print_table(res)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2), encoding="utf-8")


def file_system(path: Path) -> str:
    """The type of the file system holding ``path`` (Linux's /proc/mounts; "" elsewhere): file creation costs
    differ widely between them, and the stages make thousands of files."""
    try:
        mounts = [line.split()[1:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return ""
    mounts = [(point.replace("\\040", " ").replace("\\011", "\t"), kind) for point, kind in mounts]
    where = str(Path(path).resolve())
    best = max((m for m in reversed(mounts) if where == m[0] or where.startswith(m[0].rstrip("/") + "/")),
               key=lambda m: len(m[0]), default=None)  # (of mounts stacked on one point, the last one listed)
    return best[1] if best else ""


def load() -> float:
    """The machine's 1-minute load average (other jobs share its cores): noted with every figure."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def prepare(work: Path, files: int, rows: int, keep: bool, reuse: bool) -> tuple[dict, dict]:
    """The generated workspace, fresh or (reuse) restored from the pristine copy an earlier --keep run left."""
    pristine = work / "pristine"
    if reuse and (pristine / "ws").is_dir():
        if (work / "ws").exists():
            shutil.rmtree(work / "ws")
        shutil.copytree(pristine / "ws", work / "ws", symlinks=True)
        meta = json.loads((pristine / "meta.json").read_text(encoding="utf-8"))
        from toolkit.workspace.config import Workspace

        return {"workspace": Workspace.open(work / "ws"), **meta}, {"reused": True}
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    print(f"Tạo dữ liệu: {files} đơn vị × {rows} nhiệm vụ ...", flush=True)
    g = generate(work, files, rows)
    if keep:
        shutil.copytree(work / "ws", pristine / "ws", symlinks=True)
        (pristine / "meta.json").write_text(json.dumps({"generate_s": g["generate_s"], "converted": g["converted"]}),
                                            encoding="utf-8")
    return g, {"reused": False}


def run_one(files: int, rows: int = 60, keep: bool = False, reuse: bool = False, store_url: str | None = None,
            root: Path = HERE / "work") -> dict:
    work = root / f"n{files}"
    kept = HERE / "work" / f"n{files}" / "pristine"  # workbooks a --keep run left in the default place
    if reuse and not (work / "pristine" / "ws").is_dir() and (kept / "ws").is_dir():
        shutil.rmtree(work / "pristine", ignore_errors=True)  # (a copy interrupted earlier)
        work.mkdir(parents=True, exist_ok=True)
        shutil.copytree(kept, work / "pristine", symlinks=True)
    g, how = prepare(work, files, rows, keep or reuse, reuse)
    ws = g["workspace"]
    if store_url:
        ws.settings["store"] = store_url
        ws.save()
    prog_files = sorted(p for p in ws.round_dir(PERIOD, "inbox").iterdir())
    as_clerk = None if store_url else work / "ws_run"  # (one PostgreSQL database per run: the stages' own)
    if as_clerk is not None:  # the same returns, untouched, for `toolkit run` as a clerk runs it (below)
        shutil.rmtree(as_clerk, ignore_errors=True)
        shutil.copytree(ws.root, as_clerk, symlinks=True)
    res: dict = {"files": len(prog_files), "generate_s": round(g["generate_s"], 2), "converted_xls_ods": g["converted"],
                 "reused_workbooks": how["reused"], "load_before": load(), "cpus": os.cpu_count(),
                 "work_fs": file_system(work)}
    print(f"{len(prog_files)} tệp; tải máy (load average 1 phút) {res['load_before']} trên {os.cpu_count()} lõi",
          flush=True)
    started = time.perf_counter()
    tree = TreeMemory().__enter__()
    t = time.perf_counter()
    with StagePeak(res, "registration_collect_own_mb"):
        reg = compacted(lambda: collect(open_round(ws, PERIOD_REG), feedback=False))  # as `toolkit run` keeps it
    res["registration_collect_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    release_memory()  # between two stages, as `toolkit run` does (timed with the stage)
    with StagePeak(res, "collect_own_mb"):
        result = compacted(lambda: collect(open_round(ws, PERIOD), feedback=False))
    res["collect_s"] = time.perf_counter() - t
    from toolkit.store import open_store, store_target

    with open_store(store_target(ws), root=ws.root) as store:
        res["rows"] = len(store.rows("progress", PERIOD))
    res["rejected"] = result.count("rejected")
    res["with_issues"] = sum(1 for f in result.files if f.errors or f.warnings)
    # feedback copies: exactly what collect writes for files with errors or warnings (in parallel)
    from toolkit.intake.collect import write_all_feedback
    ctx = load_context(ws)
    t = time.perf_counter()
    with open_store(store_target(ws), root=ws.root) as store:
        write_all_feedback(ctx, store, parse_period(PERIOD), result, workers=None)
    res["feedback_s"] = time.perf_counter() - t
    res["feedback_files"] = sum(1 for f in result.files if f.feedback)
    t = time.perf_counter()
    again = compacted(lambda: collect(open_round(ws, PERIOD), feedback=False))
    res["recollect_s"] = time.perf_counter() - t
    # nothing is judged twice: accepted files are "duplicate", rejected ones "duplicate_rejected" (read again only
    # when the round's context changed, which it did not here)
    seen_before = again.count("duplicate") + again.count("duplicate_rejected")
    assert seen_before == len(prog_files), {f.status for f in again.files}
    t = time.perf_counter()
    release_memory()  # between two stages, as `toolkit run` does (timed with the stage)
    with StagePeak(res, "merge_own_mb"):
        m = merge(open_round(ws, PERIOD))
    res["merge_s"] = time.perf_counter() - t
    res["merge_floor_s"] = merge_floor(ws, work / "floor.xlsx")
    t = time.perf_counter()
    release_memory()  # between two stages, as `toolkit run` does (timed with the stage)
    with StagePeak(res, "score_own_mb"):
        s = score(open_round(ws, PERIOD))
    res["score_s"] = time.perf_counter() - t
    t = time.perf_counter()
    release_memory()  # between two stages, as `toolkit run` does (timed with the stage)
    with StagePeak(res, "report_own_mb"):
        r = write_reports(open_round(ws, PERIOD))
    res["report_s"] = time.perf_counter() - t
    res["report_docs"] = len(r.documents)
    res["store"] = "postgresql" if store_url else "sqlite"
    res["store_mb"] = round(ws.db_path.stat().st_size / 1048576, 1) if not store_url else 0.0
    tree.__exit__(None, None, None)
    res["peak_rss_mb"] = round(rss_mb(), 1)  # the toolkit's stages (and their workers) only: the reads come after
    res["peak_own_rss_mb"] = max([round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)]
                                 + [v for k, v in res.items() if k.endswith("_own_mb")])  # (the peak was reset)
    res["peak_tree_pss_mb"] = tree.peak_mb  # what the tree took from the machine (0: not measurable here)
    if as_clerk is not None:
        res.update(clerk_run(as_clerk))
    res["floor_read_s"], _ = floor_read(prog_files)
    res["naive_read_s"], naive_rows = naive_read(prog_files)
    res["run_s"] = res["collect_s"] + res["merge_s"] + res["score_s"] + res["report_s"]  # toolkit run's stages
    res["wall_s"] = time.perf_counter() - started
    res["load_after"] = load()
    for k, v in list(res.items()):
        if k.endswith("_s"):
            res[k] = round(v, 3)
    res["naive_rows"] = naive_rows
    res["merged_rows"] = m.rows
    res["scored_units"] = len(s.units)
    res["registration_files"] = len(reg.files)
    if not (keep or reuse):
        shutil.rmtree(work, ignore_errors=True)
    return res


def print_table(r: dict) -> None:
    n = r["files"]
    lines = [
        ("floor: python-calamine read", r["floor_read_s"], f"{n / r['floor_read_s']:.0f} files/s"),
        ("naive: pandas.read_excel(openpyxl)+concat", r["naive_read_s"], f"{n / r['naive_read_s']:.0f} files/s"),
        ("collect (read+validate+store)", r["collect_s"], f"{n / r['collect_s']:.0f} files/s; "
         f"{r['collect_s'] / r['floor_read_s']:.1f}× floor, naive/{r['naive_read_s'] / r['collect_s']:.1f}"),
        ("feedback copies", r["feedback_s"], f"{1000 * r['feedback_s'] / max(r['feedback_files'], 1):.0f} ms/file "
         f"({r['feedback_files']} files)"),
        ("second collect, nothing new", r["recollect_s"], ""),
        ("merge (consolidated workbook)", r["merge_s"], f"{r['rows']} rows; "
         f"{r['merge_s'] / r['merge_floor_s']:.1f}× raw constant_memory write ({r['merge_floor_s']:.2f} s)"),
        ("score", r["score_s"], f"{r['scored_units']} units"),
        ("report (Word)", r["report_s"], f"{r['report_docs'] / r['report_s']:.0f} docs/s ({r['report_docs']} docs)"),
    ]
    print(f"\n{n} files, {r['rows']} rows, store {r['store_mb']} MB, peak RSS {r['peak_rss_mb']} MB (own process "
          f"{r.get('peak_own_rss_mb', '?')} MB; process tree's Pss {r.get('peak_tree_pss_mb', '?')} MB); load average "
          f"{r['load_before']} before, {r['load_after']} after ({r['cpus']} cores)"
          + (f"; workspaces on {r['work_fs']}" if r.get("work_fs") else ""))
    if "collect_own_mb" in r:
        print("largest resident set of the stages' own process: " + ", ".join(
            f"{k[:-len('_own_mb')]} {r[k]} MB" for k in ("collect_own_mb", "merge_own_mb", "score_own_mb",
                                                        "report_own_mb") if k in r))
    print(f"{'stage':45} {'seconds':>9}  rate")
    for name, sec, rate in lines:
        print(f"{name:45} {sec:9.2f}  {rate}")
    print(f"{'toolkit run (collect+merge+score+report)':45} {r['run_s']:9.2f}  "
          f"{r['run_s'] / r['floor_read_s']:.0f}× floor")
    if "toolkit_run_s" in r:
        print(f"{'`toolkit run` as the clerk runs it (own process)':45} {r['toolkit_run_s']:9.2f}  "
              f"{r['toolkit_run_s'] / r['floor_read_s']:.0f}× floor; largest RSS {r['toolkit_run_rss_mb']} MB, "
              f"process tree's Pss {r['toolkit_run_tree_pss_mb']} MB")


if __name__ == "__main__":
    main()
