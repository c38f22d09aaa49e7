"""The store is guarded and rebuildable: the archive (every received file with its sidecar, and the office's
decisions) is the source of truth. A store deleted, emptied or damaged while the archive holds returns is refused
by every command (exit 2, a Vietnamese message), never read as "0 units"; `toolkit store check` compares the store
with the archive; `toolkit store rebuild` re-derives every round from the archive, confirmations and adjustment
decisions included, keeping the old store aside."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return, rows_of, task

from toolkit.cli import cli

DB = "kho_du_lieu.sqlite"


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert not r.exception or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.output


def snapshot(db: Path) -> dict:
    """What the store knows, without ids and times of the rebuild: submissions, active rows, the register with its
    confirmations, the adjustment requests with their decisions, the register's history."""
    c = sqlite3.connect(db)
    try:
        return {
            "submissions": sorted(c.execute("SELECT sha256, file_name, unit_code, form_id, period, status, active, "
                                            "errors, warnings, late_days, received_at FROM submissions")),
            "rows": sorted(c.execute("SELECT s.sha256, r.sheet_id, r.excel_row, r.data FROM rows r JOIN submissions s "
                                     "ON s.id=r.submission_id WHERE s.active=1")),
            "tasks": sorted(c.execute("SELECT register_key, unit_code, task_code, title, target, deadline, active, "
                                      "version, confirmation, confirmation_note, confirmed_version, dropped FROM tasks")),
            "adjustments": sorted(c.execute("SELECT register_key, unit_code, task_code, change, field, old_value, "
                                            "new_value, decision, decision_ref FROM adjustments")),
            "changes": sorted(c.execute("SELECT register_key, unit_code, task_code, field, old_value, new_value, "
                                        "decision_ref FROM task_changes")),
        }
    finally:
        c.close()


def drop(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def damage(db: Path) -> None:
    """Overwrite pages in the middle of the file (as a bad sector or a half-copied file would)."""
    data = bytearray(db.read_bytes())
    data[8192:8192 + 3 * 4096] = b"\x55" * (3 * 4096)
    drop(db)
    db.write_bytes(bytes(data))


def _small_round(ctx):
    for code in ("XLS", "XKB", "XTL"):
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01"), task(f"{code}-02")], name=f"{code}.xlsx")
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")], name="XCP.xlsx")
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 1  # XCP rejected for its own error
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 0


VALID = ["XKB-01", "XKB-02", "XLS-01", "XLS-02", "XTL-01", "XTL-02"]  # every valid unit's rows


def _merged(root: Path) -> list[str]:
    rows = rows_of(root / "rounds/2025/output/tong_hop_dang_ky_2025.xlsx", "Dữ liệu")
    return sorted(r["Mã nhiệm vụ"] for r in rows if r["Tệp nguồn"])


def test_deleted_store_is_refused_then_rebuilt_from_the_archive(ctx):
    _small_round(ctx)
    db = ctx.ws.root / DB
    before = snapshot(db)
    drop(db)
    code, out = run("status", ctx.ws.root, "--period", "2025")
    assert code == 2
    assert (f"Kho dữ liệu {db} không còn (đã bị xoá hoặc chuyển đi), trong khi thư mục lưu trữ (archive) còn 4 tệp "
            f"đã nhận của các kỳ 2025. Không đọc kho như thể chưa có đơn vị nào nộp.") in " ".join(out.split())
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 2  # the consolidated workbook is not overwritten
    assert _merged(ctx.ws.root) == VALID
    assert run("store", "check", ctx.ws.root)[0] == 1
    code, out = run("store", "rebuild", ctx.ws.root)
    assert code == 0 and "4 tệp của các kỳ 2025 (3 tiếp nhận, 1 không tiếp nhận)" in out
    assert snapshot(db) == before
    assert run("store", "check", ctx.ws.root) == (0, run("store", "check", ctx.ws.root)[1])
    assert "Kho khớp với thư mục lưu trữ." in run("store", "check", ctx.ws.root)[1]
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 0
    assert _merged(ctx.ws.root) == VALID


def test_emptied_and_damaged_store_are_refused_and_rebuilt(ctx):
    _small_round(ctx)
    db = ctx.ws.root / DB
    before = snapshot(db)
    drop(db)
    db.write_bytes(b"")  # emptied
    code, out = run("status", ctx.ws.root, "--period", "2025")
    assert code == 2 and f"Kho dữ liệu {db} trống, trong khi thư mục lưu trữ" in " ".join(out.split())
    assert run("store", "rebuild", ctx.ws.root)[0] == 0
    assert snapshot(db) == before
    damage(db)
    for command in ("status", "merge", "collect"):
        code, out = run(command, ctx.ws.root, "--period", "2025")
        assert code == 2, command
        assert f"Kho dữ liệu ({db}) bị hỏng." in " ".join(out.split()), command
    code, out = run("store", "check", ctx.ws.root)
    assert code == 1 and "KHO BỊ HỎNG" in out
    code, out = run("store", "rebuild", ctx.ws.root)
    assert code == 0 and "Kho cũ được giữ lại:" in out
    assert len(list(ctx.ws.root.glob("kho_du_lieu.truoc_khi_dung_lai_*.sqlite"))) == 2
    assert snapshot(db) == before
    assert run("merge", ctx.ws.root, "--period", "2025")[0] == 0
    assert _merged(ctx.ws.root) == VALID


def test_a_store_holding_returns_this_archive_lacks_is_not_rebuilt_from_it(ctx):
    """A second workspace pointed at a shared store (or an archive that lost a file) would rebuild the store from
    its own archive and drop every return it does not hold: `store check` says so instead of advising the rebuild,
    and `store rebuild` refuses (nothing touched) unless told --force."""
    _small_round(ctx)
    db = ctx.ws.root / DB
    before = snapshot(db)
    archive = ctx.ws.root / "rounds/2025/archive"
    sidecar = next(p for p in archive.rglob("*.json") if json.loads(p.read_text("utf-8")).get("file_name") == "XKB.xlsx")
    outside = ctx.ws.root.parent / "elsewhere"
    outside.mkdir()
    for p in sidecar.parent.glob(sidecar.stem + "*"):  # the file and its sidecar: held by "another workspace"
        p.rename(outside / p.name)
    code, out = run("store", "check", ctx.ws.root)
    out = " ".join(out.split())
    assert code == 1 and "Kho có 1 tệp đã nhận không có trong thư mục lưu trữ này" in out
    assert "store rebuild" not in out
    code, out = run("store", "rebuild", ctx.ws.root)
    out = " ".join(out.split())
    assert code == 2 and "có 1 tệp đã nhận không có trong thư mục lưu trữ" in out and "2025: XKB.xlsx" in out
    assert "--force" in out and snapshot(db) == before and not list(ctx.ws.root.glob("*truoc_khi_dung_lai*"))
    code, out = run("store", "rebuild", ctx.ws.root, "--force")
    assert code == 0 and sorted(s[1] for s in snapshot(db)["submissions"]) == ["XCP.xlsx", "XLS.xlsx", "XTL.xlsx"]


def test_sidecar_says_what_the_store_knows(ctx):
    _small_round(ctx)
    sides = sorted((ctx.ws.root / "rounds/2025/archive").glob("??/*.json"))
    got = {json.loads(p.read_text(encoding="utf-8"))["file_name"]: json.loads(p.read_text(encoding="utf-8"))
           for p in sides}
    assert sorted(got) == ["XCP.xlsx", "XKB.xlsx", "XLS.xlsx", "XTL.xlsx"]
    assert (got["XLS.xlsx"]["unit_code"], got["XLS.xlsx"]["form_id"], got["XLS.xlsx"]["period"],
            got["XLS.xlsx"]["status"]) == ("XLS", "registration", "2025", "accepted")
    assert (got["XCP.xlsx"]["status"], got["XCP.xlsx"]["errors"]) == ("rejected", 1)
    assert got["XLS.xlsx"]["received_at"] and got["XLS.xlsx"]["file_mtime"] == "2025-01-20 09:00:00"


@pytest.mark.slow
@pytest.mark.faults
def test_a_whole_year_rebuilt_equals_the_store_it_replaces(tmp_path):
    """Five rounds, confirmations (one task sent back, fixed, confirmed), two adjustment requests (one approved,
    one refused): the rebuilt store equals the lost one, row for row and decision for decision."""
    sys.path.insert(0, str(Path(__file__).parent))
    import test_year_cycle

    test_year_cycle.test_a_whole_year_as_one_cycle(tmp_path, None)  # on SQLite (store_url None)
    ws = tmp_path / "Lâm Giang"
    before = snapshot(ws / DB)
    assert before["adjustments"] and any(t[8] == "confirmed" for t in before["tasks"])
    drop(ws / DB)
    code, out = run("store", "rebuild", ws)
    assert code == 0 and "16 tệp của các kỳ 2026, 2026-9M, 2026-H1, 2026-Q1, 2026-Y" in out
    assert "9 ý kiến của Văn phòng" in out
    assert snapshot(ws / DB) == before
    assert "Kho khớp với thư mục lưu trữ." in run("store", "check", ws)[1]


def test_files_archived_before_sidecars_keep_their_names_from_the_old_store(ctx):
    """A workspace from before this version: no sidecars. The old store (readable) still tells each archived file's
    name and times; the rebuilt store equals it."""
    _small_round(ctx)
    db = ctx.ws.root / DB
    before = snapshot(db)
    for side in (ctx.ws.root / "rounds/2025/archive").glob("??/*.json"):
        side.unlink()
    code, out = run("store", "check", ctx.ws.root)
    assert code == 0 and "4 tệp lưu trữ từ phiên bản cũ (không có tệp kèm theo)" in " ".join(out.split())
    assert run("store", "rebuild", ctx.ws.root)[0] == 0
    after = snapshot(db)
    assert {k: v for k, v in after.items() if k != "submissions"} == {k: v for k, v in before.items()
                                                                       if k != "submissions"}
    assert [s[:10] for s in after["submissions"]] == [s[:10] for s in before["submissions"]]
    assert len(list((ctx.ws.root / "rounds/2025/archive").glob("??/*.json"))) == 4  # written now
