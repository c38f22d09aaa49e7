"""Failure drills (make drill; marked slow, not in make test): kill a 200-file collect at random points many
times, and run two collects at once; the store must stay consistent and end equal to an uninterrupted run."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import both_engines

from toolkit.context import load_context
from toolkit.intake.collect import collect
from toolkit.outputs.templates import build_template
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.workspace.config import init_workspace

pytestmark = pytest.mark.slow
FILES = int(os.environ.get("DRILL_FILES", "200"))
KILLS = int(os.environ.get("DRILL_KILLS", "25"))


def _build(root: Path, n: int) -> Path:
    rng = random.Random(11)
    ws = init_workspace(root, periods=["2025"])
    ws.set_period(parse_period("2025"), date(2025, 1, 31))
    ctx = load_context(ws)
    form = ctx.form("registration")
    codes = sorted(u.code for u in ctx.registry.expected())
    inbox = ws.round_dir("2025", "inbox")
    for i in range(n):
        code = codes[i % len(codes)]
        rows = [{"task_code": f"{code}-{j:02d}", "area": "Xây dựng Đảng", "kind": "Trọng tâm",
                 "title": f"Nhiệm vụ {i}-{j} của {code}: hoàn thành {rng.randint(1, 99)} việc cụ thể",
                 "indicator": "Số việc", "target": rng.randint(1, 99) if rng.random() > 0.1 else "nhiều",
                 "deadline": date(2025, 12, 1)} for j in range(1, 9)]
        path = inbox / f"f{i:04d}_{code}.xlsx"
        build_template(path, form, ctx.registry.units[code], parse_period("2025"), date(2025, 1, 31), ctx.registry,
                       prefill={"tasks": rows})
        ts = datetime(2025, 1, 1 + i % 28, 8, i % 60).timestamp()
        os.utime(path, (ts, ts))
    return root


def _use(root: Path, request, store_url) -> Path:
    """A workspace copy on its own store: the SQLite file copied with it, or a new PostgreSQL database."""
    if store_url:
        from toolkit.workspace.config import Workspace

        ws = Workspace.open(root)
        ws.settings["store"] = request.getfixturevalue("pg_server").new_database()
        ws.save()
    return root


def _target(root: Path):
    from toolkit.store import store_target
    from toolkit.workspace.config import Workspace

    return store_target(Workspace.open(root))


def _snapshot(root: Path) -> dict:
    target = _target(root)
    if isinstance(target, str):  # PostgreSQL: the same queries through psycopg
        import psycopg

        con = psycopg.connect(target, autocommit=True)
        if con.execute("SELECT to_regclass('submissions')").fetchone()[0] is None:  # killed before creating it
            con.close()
            return {"submissions": [], "rows": [], "tasks": [], "issues": 0}
    else:
        if not Path(target).exists():  # killed before the store was created: nothing stored, consistently
            return {"submissions": [], "rows": [], "tasks": [], "issues": 0}
        con = sqlite3.connect(target)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if con.execute("SELECT 1 FROM sqlite_master WHERE name='submissions'").fetchone() is None:
            con.close()  # killed after the file was made, before its tables (the next collect makes them)
            return {"submissions": [], "rows": [], "tasks": [], "issues": 0}
    subs = sorted(con.execute("SELECT sha256, status, unit_code, active, errors, warnings FROM submissions"))
    rows = sorted(con.execute("SELECT s.sha256, r.sheet_id, r.excel_row, r.data FROM rows r JOIN submissions s "
                              "ON s.id=r.submission_id"))
    orphans = con.execute("SELECT COUNT(*) FROM rows WHERE submission_id NOT IN (SELECT id FROM submissions)").fetchone()[0]
    unseen = con.execute("SELECT COUNT(*) FROM submissions WHERE sha256 NOT IN (SELECT sha256 FROM seen_files)").fetchone()[0]
    doubles = con.execute("SELECT COUNT(*) FROM (SELECT unit_code FROM submissions WHERE active=1 "
                          "GROUP BY unit_code, form_id, period HAVING COUNT(*) > 1) AS d").fetchone()[0]
    tasks = sorted(con.execute("SELECT unit_code, task_code, target, active FROM tasks"))
    issues = con.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
    con.close()
    assert (orphans, unseen, doubles) == (0, 0, 0)
    return {"submissions": subs, "rows": rows, "tasks": tasks, "issues": issues}


def _cli(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "toolkit", "collect", str(root), "--period", "2025"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@both_engines
def test_kill_drill_and_concurrent_collects(tmp_path, request, store_url):
    base = _build(tmp_path / "base", FILES)
    ref_root = tmp_path / "ref"
    shutil.copytree(base, ref_root)
    _use(ref_root, request, store_url)
    started = time.perf_counter()
    collect(open_round(ref_root, "2025"), feedback=False)
    full = time.perf_counter() - started
    reference = _snapshot(ref_root)

    rng = random.Random(2025)
    drill = tmp_path / "drill"
    shutil.copytree(base, drill)
    _use(drill, request, store_url)
    kills, crashes, interrupted = 0, [], 0
    for _ in range(KILLS):
        proc = _cli(drill)
        time.sleep(rng.uniform(0.2, max(full * 1.5, 1.0)))
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if killed and proc.returncode in (0, 1):  # it ended on its own in the instant before the signal (a
            killed = False  # process tearing down after its work still polls as running): not a kill
        if killed:
            assert proc.returncode == -signal.SIGKILL, proc.returncode  # it died of the kill, not on its own
            kills += 1
        elif proc.returncode not in (0, 1):
            crashes.append(proc.stderr.read().decode()[-500:])
        snap = _snapshot(drill)  # consistent after every kill
        interrupted += killed and len(snap["submissions"]) < len(reference["submissions"])
    final = _cli(drill)
    final.wait()
    got = _snapshot(drill)
    lost = len(set(reference["rows"]) - set(got["rows"])) + len(set(reference["submissions"]) ^ set(got["submissions"]))

    twin = tmp_path / "twin"
    shutil.copytree(base, twin)
    _use(twin, request, store_url)
    procs = [_cli(twin), _cli(twin)]
    codes = [p.wait() for p in procs]
    twin_snapshot = _snapshot(twin)
    figures = {"files": FILES, "uninterrupted_s": round(full, 2), "kill_runs": KILLS, "killed": kills,
               "interrupted_mid_round": interrupted, "crashes": len(crashes), "data_lost": lost,
               "issues_raised": got["issues"],
               "concurrent_exit_codes": codes, "concurrent_equal": twin_snapshot == reference}
    print("\nDRILL " + json.dumps(figures))
    (tmp_path / "drill_results.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")  # nothing in the repo
    assert kills >= 1, figures  # each one asserted above: a running collect, ended by SIGKILL
    assert not crashes, crashes
    assert got == reference and lost == 0
    assert twin_snapshot == reference and set(codes) <= {0, 1}
