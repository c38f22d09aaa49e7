"""The store on its two engines: several staff at once on PostgreSQL (two collects and a merge, the round's lock
saying who holds it, the audit naming person and PC), the server's errors said in Vietnamese, a SQLite store of
toolkit 0.1 upgraded in place after a backup copy, `store migrate` there and back, and the analysts' read API."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import both_engines, make_return, task
from legacy_store import MAIL, MIGRATIONS, SCHEMA
from pgserver import free_port

import toolkit
from toolkit.cli import cli
from toolkit.store import open_store
from toolkit.store.lock import ROUND_LOCK

ON_PG = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
UNITS = ("XLS", "XCP", "XMC", "XTL", "XLT", "XYT")


def run(*args, env=None):
    r = CliRunner().invoke(cli, [str(a) for a in args], env=env, terminal_width=400)
    assert not r.exception or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, " ".join((r.output + (r.stderr if r.stderr_bytes else "")).split())


def _cli(root, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "toolkit", *args, str(root), "--period", "2025"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _merged_codes(root: Path) -> Counter:
    """Task codes in the consolidated workbook's sheets (each row once)."""
    [book] = (root / "rounds/2025/output").glob("tong_hop*.xlsx")
    wb = openpyxl.load_workbook(book, read_only=True)
    return Counter(v for s in wb.worksheets for row in s.iter_rows(values_only=True) for v in row
                   if isinstance(v, str) and len(v) == 6 and v[:3] in UNITS and v[3] == "-")


@ON_PG
def test_two_collects_and_a_merge_at_once_on_postgresql_every_row_once(ctx):
    for code in UNITS[:3]:
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01"), task(f"{code}-02", title="Việc hai")])
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    for code in UNITS[3:]:
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01"), task(f"{code}-02", title="Việc hai")])
    procs = [_cli(ctx.ws.root, "collect"), _cli(ctx.ws.root, "collect"), _cli(ctx.ws.root, "merge")]
    codes = [p.wait(240) for p in procs]
    assert codes[2] == 0 and set(codes[:2]) <= {0, 1}, [p.stderr.read().decode()[-400:] for p in procs]
    during = _merged_codes(ctx.ws.root)  # 3 or 6 units, but no row twice
    assert during and set(during.values()) == {1}
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        subs = store.submissions("registration", "2025")
        assert sorted(s["unit_code"] for s in subs) == sorted(UNITS) and all(s["active"] for s in subs)
        rows = store.rows("registration", "2025")
        assert Counter((r["_unit"], r["task_code"]) for r in rows) == Counter(
            {(u, f"{u}-0{i}"): 1 for u in UNITS for i in (1, 2)})
        assert len(store.table_counts()) and store.table_counts()["seen_files"] == 6
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 0
    assert _merged_codes(ctx.ws.root) == Counter({f"{u}-0{i}": 1 for u in UNITS for i in (1, 2)})
    assert not list(ctx.ws.root.rglob("*.sqlite*"))  # the whole round on the server


@ON_PG
def test_the_round_lock_is_on_the_server_and_says_who_holds_it(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    other = open_store(ctx.store_target, root=ctx.ws.root)  # a colleague's collect on another PC
    other.who = ("nguyenvana", "VP-02")
    assert other.try_advisory_lock(ROUND_LOCK)
    before = datetime.now()
    other.set_lock_holder("round", "2025-H1", "tiếp nhận")
    since = {f"{t:%H:%M}" for t in (before, datetime.now())}  # the minute it was taken (a minute may turn meanwhile)
    try:
        code, out = run("collect", ctx.ws.root, "--period", "2025", env={"TOOLKIT_LOCK_TIMEOUT": "1"})
        assert code == 2
        # said at once when the wait begins, then again when it has lasted too long
        assert any(out.startswith(f"nguyenvana đang tiếp nhận kỳ 2025-H1 trên máy VP-02 từ {m}: đang chờ người đó làm "
                                  f"xong (tối đa 1 giây); bấm Ctrl+C để dừng chờ.") for m in since), out
        assert any(f"Lỗi: nguyenvana đang tiếp nhận kỳ 2025-H1 trên máy VP-02 từ {m}; đã chờ 1 giây. Chờ người đó "
                   f"làm xong rồi chạy lại lệnh." in out for m in since), out
    finally:
        other.close()  # the server releases the lock with the connection (also when a PC is switched off)
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0


def test_a_clerk_waiting_for_the_round_is_told_at_once_who_holds_it(ctx):
    """On SQLite the round is the workspace's lock file: a clerk whose collect waits for a colleague's is told at
    once who holds it and for how long it will wait (it was silent for up to 30 minutes)."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from toolkit.context import load_context\n"
        "from toolkit.store.lock import round_lock\n"
        "ctx = load_context(sys.argv[1])\n"
        "ctx.store.who = ('nguyenvana', 'VP-02')\n"
        "with round_lock(ctx, '2025', 'tiếp nhận'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"), str(ctx.ws.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        code, out = run("collect", ctx.ws.root, "--period", "2025", env={"TOOLKIT_LOCK_TIMEOUT": "2"})
        assert code == 2 and time.monotonic() - started >= 2
        assert out.startswith("nguyenvana đang tiếp nhận kỳ 2025 trên máy VP-02 từ ") and \
            ": đang chờ người đó làm xong (tối đa 2 giây); bấm Ctrl+C để dừng chờ." in out, out
    finally:
        holder.kill()
        holder.wait()
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0


@both_engines
def test_the_audit_trail_names_the_person_and_the_pc(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    assert run("collect", ctx.ws.root, "--period", "2025", env={"USERNAME": "tranthib", "COMPUTERNAME": "VP-03"})[0] == 0
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        assert [(a["action"], a["actor"], a["machine"]) for a in store.audit()] == [("accept", "tranthib", "VP-03")]
        assert [s["collected_by"] for s in store.submissions()] == ["tranthib@VP-03"]


def test_server_errors_are_said_in_vietnamese(tmp_path, pg_server, monkeypatch):
    pg_server.sql("DO $$ BEGIN CREATE ROLE thuky LOGIN PASSWORD 'Đúng-mật-khẩu'; EXCEPTION WHEN duplicate_object "
                  "THEN NULL; END $$")
    url = pg_server.new_database()
    pg_server.sql(f'GRANT ALL ON DATABASE "{url.rsplit("/", 1)[1]}" TO thuky')
    pg_server.sql("GRANT ALL ON SCHEMA public TO thuky", database=url.rsplit("/", 1)[1])
    clerk = url.replace("postgres@", "thuky@")
    code, out = run("init", tmp_path / "a", "--store", clerk, env={"PGPASSWORD": "sai"})
    assert code == 2 and "Sai mật khẩu khi kết nối máy chủ PostgreSQL" in out and "PGPASSWORD" in out
    code, out = run("init", tmp_path / "b", "--store", f"postgresql://postgres@127.0.0.1:{free_port()}/kho")
    assert code == 2 and "Không kết nối được máy chủ PostgreSQL" in out and "máy chủ không chạy" in out
    code, out = run("init", tmp_path / "c", "--store", url.rsplit("/", 1)[0] + "/chua_co")
    assert code == 2 and "Chưa có cơ sở dữ liệu trên máy chủ PostgreSQL" in out
    code, out = run("init", tmp_path / "d", "--store", clerk.replace("thuky@", "thuky:matkhau@"))
    assert code == 2 and "bộ công cụ không lưu mật khẩu" in out
    monkeypatch.setattr("toolkit.store.engine.MIN_SERVER", 99)  # this server (15) as one too old for the toolkit
    code, out = run("init", tmp_path / "f", "--store", url)
    assert code == 2 and "quá cũ: bộ công cụ cần PostgreSQL 99 trở lên" in out
    monkeypatch.undo()
    code, out = run("init", tmp_path / "e", "--store", clerk, env={"PGPASSWORD": "Đúng-mật-khẩu"})
    assert code == 0, out
    settings = (tmp_path / "e/settings.yaml").read_text(encoding="utf-8")
    assert f"store: {clerk}" in settings and "Đúng" not in settings
    assert not (tmp_path / "e/kho_du_lieu.sqlite").exists()


def _legacy_copy(new: Path, old: Path) -> None:
    """The same history in a store of toolkit 0.1's schema (the columns it had), with its scores' detail as JSON."""
    con = sqlite3.connect(old)
    con.executescript(SCHEMA + MAIL)
    for statement in MIGRATIONS:
        con.execute(statement)
    con.execute("ATTACH DATABASE ? AS new", (str(new),))
    tables = [r[0] for r in con.execute("SELECT name FROM main.sqlite_master WHERE type='table' AND name NOT LIKE "
                                        "'sqlite_%'")]
    for t in tables:
        cols = [r[1] for r in con.execute(f"PRAGMA main.table_info({t})")]
        if t == "scores":
            for r in con.execute("SELECT * FROM new.scores").fetchall():
                d = dict(zip([c[0] for c in con.execute("SELECT * FROM new.scores").description], r))
                detail = {k: d[k] for k in ("name", "tasks", "assigned", "on_time", "quantity", "schedule", "quality",
                                            "task_points", "general_points", "rank")}
                detail.update(pending=bool(d["pending"]), why=json.loads(d["why"] or "[]"))
                con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)", (d["period"], d["subject_kind"],
                            d["subject_id"], d["score"], d["level"], json.dumps(detail, ensure_ascii=False), d["at"]))
            continue
        con.execute(f"INSERT INTO main.{t} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM new.{t}")
    con.commit()
    con.close()


def test_a_store_of_toolkit_0_1_is_copied_aside_then_upgraded_in_place(ctx):
    for code in UNITS[:3]:
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01")])
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 0
    before = _merged_codes(ctx.ws.root)
    ctx.close()  # the fixture's own handle (templates record the form versions through it) let go before the swap
    db = ctx.ws.db_path
    fresh = db.with_name("fresh.sqlite")
    db.rename(fresh)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    _legacy_copy(fresh, db)
    fresh.unlink()
    legacy = sqlite3.connect(db)
    legacy.execute("INSERT INTO scores VALUES ('2025', 'unit', 'XLS', 71.5, 'Hoàn thành tốt nhiệm vụ', ?, "
                   "'2025-02-01 08:00:00')", (json.dumps({"name": "Xã Lạc Sơn", "tasks": 4, "rank": 2, "pending": True,
                                                          "general_points": None, "quantity": 0.75,
                                                          "why": ["Hoàn thành 3/4"], "note": "giữ lại"}),))
    legacy.commit()
    legacy.close()

    code, out = run("merge", ctx.ws.root, "--period", "2025")  # the next command opens it: backup, then upgrade
    assert code == 0, out
    assert _merged_codes(ctx.ws.root) == before
    [backup] = ctx.ws.root.glob("kho_du_lieu.truoc_nang_cap_*.sqlite")
    kept = sqlite3.connect(backup)
    assert kept.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='alembic_version'").fetchone()[0] == 0
    assert kept.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 3
    kept.close()
    with open_store(db, root=ctx.ws.root) as store:
        assert store._x("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"
        [row] = [s for s in store.scores("2025") if s["subject_id"] == "XLS"]
        assert (row["name"], row["tasks"], row["rank"], row["pending"], row["quantity"]) == \
            ("Xã Lạc Sơn", 4, 2, 1, 0.75)
        assert json.loads(row["detail"])["note"] == "giữ lại" and json.loads(row["detail"])["why"] == ["Hoàn thành 3/4"]
        assert len(store.rows("registration", "2025")) == 3
        assert [c for c in store.columns("v_scores")][:6] == ["period", "subject_kind", "subject_id", "name", "score",
                                                              "level"]


def _contents(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {s.title: [[c.value for c in r] for r in s.iter_rows()] for s in wb.worksheets}


def test_store_migrate_of_the_demo_year_there_and_back_gives_the_same_consolidated_workbook(tmp_path, pg_server):
    ws = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["demo", str(ws), "--no-pdf"]).exit_code == 0
    book = ws / "rounds/2025-Y/output/tong_hop_tien_do_2025-Y.xlsx"
    original = _contents(book)
    url = pg_server.new_database()
    code, out = run("store", "migrate", ws, "--to", url)
    assert code == 0 and "số dòng từng bảng đã đối chiếu, khớp" in out and "rows: 471" in out, out
    assert (ws / "kho_du_lieu.sqlite").exists()  # the old store kept
    assert run("merge", ws, "--period", "2025-Y")[0] == 0
    assert _contents(book) == original
    code, out = run("store", "migrate", ws, "--to", "sqlite")
    assert code == 0, out
    assert len(list(ws.glob("kho_du_lieu.truoc_khi_chuyen_*.sqlite"))) == 1  # the first SQLite store, set aside
    assert "store:" not in (ws / "settings.yaml").read_text(encoding="utf-8")
    assert run("merge", ws, "--period", "2025-Y")[0] == 0
    assert _contents(book) == original
    code, out = run("store", "migrate", ws, "--to", url)  # the server's database is not empty any more
    assert code == 2 and "đã có dữ liệu" in out


@both_engines
def test_analysts_read_a_round_as_dataframes_with_provenance(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Việc hai")])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")])  # rejected
    run("collect", ctx.ws.root, "--period", "2025")
    rnd = toolkit.open_workspace(ctx.ws.root).round("2025")
    rows = rnd.rows()
    assert list(rows[["_unit", "task_code", "_row"]].itertuples(index=False, name=None)) == [
        ("XLS", "XLS-01", 7), ("XLS", "XLS-02", 8)]
    assert set(rows["_file"]) == {"XLS_registration.xlsx"} and rows["_sha256"].str.len().eq(64).all()
    subs = rnd.submissions()
    assert sorted(zip(subs["unit_code"], subs["status"])) == [("XCP", "rejected"), ("XLS", "accepted")]
    assert list(rnd.tasks()["task_code"]) == ["XLS-01", "XLS-02"]
    assert rnd.scores().empty and "rank" in rnd.scores().columns
    assert list(rnd.adjustments().columns)[:3] == ["adjustment_id", "register_key", "unit_code"]


def test_the_analysis_notebook_in_the_docs_runs(ctx, tmp_path):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01"), task("XLS-02", title="Việc hai")])
    run("collect", ctx.ws.root, "--period", "2025")
    doc = (Path(__file__).resolve().parent.parent / "docs/analysis.md").read_text(encoding="utf-8")
    cells = [block.split("\n", 1)[1] for block in doc.split("```python")[1:]]
    cells = [c.split("```", 1)[0] for c in cells]
    assert len(cells) >= 3
    scope = {"WORKSPACE": str(ctx.ws.root), "PERIOD": "2025"}
    for cell in cells:
        exec(compile(cell, "docs/analysis.md", "exec"), scope)  # noqa: S102 (the documented example, as written)
    assert scope["per_unit"].to_dict() == {"XLS": 2}


def test_a_new_store_is_created_at_the_latest_version(tmp_path):
    with open_store(tmp_path / "kho.sqlite", guard=False) as store:
        assert store._x("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"
        assert store.table_counts()["submissions"] == 0


@ON_PG
def test_a_postgresql_store_is_checked_and_rebuilt_from_the_archive(ctx):
    for code in UNITS[:3]:
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01")])
    make_return(ctx, "registration", "XLT", "2025", [task("XLT-01", area="Sai")])  # rejected
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 1
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        before = sorted((s["sha256"], s["status"], s["unit_code"]) for s in store.submissions())
    code, out = run("store", "check", ctx.ws.root)
    assert code == 0 and "Kho khớp với thư mục lưu trữ." in out
    code, out = run("store", "rebuild", ctx.ws.root)
    assert code == 0 and "4 tệp của các kỳ 2025 (3 tiếp nhận, 1 không tiếp nhận)" in out, out
    [kept] = ctx.ws.root.glob("kho_du_lieu.truoc_khi_dung_lai_*.sqlite")  # the server's store, kept aside
    with open_store(kept, guard=False, root=ctx.ws.root) as old:
        assert old.table_counts()["submissions"] == 4
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        assert sorted((s["sha256"], s["status"], s["unit_code"]) for s in store.submissions()) == before
    assert run("store", "check", ctx.ws.root)[0] == 0


@ON_PG
def test_a_second_workspace_is_not_made_on_a_store_holding_another_s_returns(ctx, tmp_path):
    """A second clerk who runs `init --store` on the office's database (instead of opening the shared workspace)
    would later rebuild that store from an archive of their own and drop every return it does not hold: refused."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    code, out = run("init", tmp_path / "may_hai", "--store", ctx.store_target)
    assert code == 2 and "đã có dữ liệu của một thư mục làm việc khác (1 tệp đã nhận)" in out, out
    assert "mở chung thư mục làm việc đó" in out
    assert "store" not in (tmp_path / "may_hai" / "settings.yaml").read_text(encoding="utf-8")
    with open_store(ctx.store_target, root=ctx.ws.root) as store:
        assert store.table_counts()["submissions"] == 1  # untouched
    # init run again on the workspace itself (a period added) keeps its own store
    code, out = run("init", ctx.ws.root, "--period", "2025-9M", "--store", ctx.store_target)
    assert code == 0, out
