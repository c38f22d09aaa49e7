"""Fault drills of issue 27: a fault is never the unit's fault. What happens *to* a file (its reading worker killed,
the file changing while it is read, a full or read-only disk, a file size limit) is said to the clerk in Vietnamese
and recorded against no unit; the file is read again next time. Each drill ends with every valid unit's rows in the
consolidated workbook, and checks the exact message the clerk is shown.

The drills that need their own mount namespace (a small full filesystem, a read-only workspace) are marked
``faults`` (and ``slow``): .ci/run runs them after `make test`; they skip, saying why, where the machine cannot
make such a mount."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import faults
import pytest
from click.testing import CliRunner
from conftest import make_return, rows_of, task

from toolkit.cli import cli
from toolkit.store import Store

UNITS = ("XLS", "XKB", "XTL", "XCP", "XMC")


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert not r.exception or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, " ".join(r.output.split())


def cli_process(root: Path, *args, fsize: int | None = None, **kw) -> subprocess.CompletedProcess:
    def limit():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    if fsize is not None:  # coverage's own data file would meet the limit too and print its traceback
        env = {k: v for k, v in env.items() if not k.startswith("COVERAGE")}
    return subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True, text=True, timeout=300,
                          preexec_fn=limit, env=env, **kw)


def returns(ctx, names: dict[str, str] | None = None) -> dict[str, Path]:
    """One valid registration of each unit (two tasks), named as given."""
    names = names or {}
    return {code: make_return(ctx, "registration", code, "2025", [task(f"{code}-01"), task(f"{code}-02")],
                              name=names.get(code, f"{code}.xlsx")) for code in UNITS}


def merged(root: Path) -> list[str]:
    assert run("merge", root, "--period", "2025")[0] == 0
    rows = rows_of(root / "rounds/2025/output/tong_hop_dang_ky_2025.xlsx", "Dữ liệu")
    return sorted(r["Mã nhiệm vụ"] for r in rows if r["Tệp nguồn"])


EVERY_ROW = sorted(f"{u}-0{i}" for u in UNITS for i in (1, 2))


def stored(ctx) -> dict[str, str]:
    with Store(ctx.ws.db_path) as store:
        return {s["file_name"]: s["status"] for s in store.submissions()}


# --- a reading worker killed ---------------------------------------------------------------------------------

def test_worker_killed_once_mid_read_is_read_again_and_accepted(ctx, monkeypatch):
    monkeypatch.setattr("toolkit.intake.collect._parse_in_worker", faults.killed_once_parse)
    returns(ctx, {"XLS": "bi_giet_XLS.xlsx"})
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 0, out
    assert (ctx.ws.root / ".killed-bi_giet_XLS.xlsx").exists()  # the worker was killed while reading it
    assert stored(ctx)["bi_giet_XLS.xlsx"] == "accepted"
    assert merged(ctx.ws.root) == EVERY_ROW


def test_worker_killed_every_time_is_the_machines_fault_and_read_next_time(ctx, monkeypatch):
    monkeypatch.setattr("toolkit.intake.collect._parse_in_worker", faults.killed_always_parse)
    returns(ctx, {"XLS": "bi_giet_XLS.xlsx"})
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 2
    assert ("Chưa xét: bi_giet_XLS.xlsx: Chưa xét được tệp: tiến trình đọc tệp bị hệ điều hành dừng hai lần (mã thoát "
            "-9), thường do máy thiếu bộ nhớ hoặc bị tắt ngang; đóng bớt chương trình (hoặc giảm "
            "intake.worker_memory_mb) rồi tiếp nhận lại. Đây là sự cố của máy, không phải lỗi của tệp: không ghi gì "
            "cho đơn vị, không cần đơn vị gửi lại. Khắc phục sự cố rồi chạy lại lệnh tiếp nhận; tệp sẽ được đọc lại."
            ) in out
    assert "Tệp vượt giới hạn an toàn" not in out and "Không tiếp nhận" not in out
    assert "bi_giet_XLS.xlsx" not in stored(ctx)  # nothing recorded against the unit
    assert not list((ctx.ws.root / "rounds/2025/feedback").glob("bi_giet*"))  # the unit is told nothing
    monkeypatch.undo()  # the machine is fine again
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 0 and stored(ctx)["bi_giet_XLS.xlsx"] == "accepted"
    assert merged(ctx.ws.root) == EVERY_ROW


# --- a file changing while it is read ------------------------------------------------------------------------

def test_file_truncated_during_collect_then_restored_is_read_again(ctx, monkeypatch):
    monkeypatch.setattr("toolkit.intake.collect._parse_in_worker", faults.truncated_while_read_parse)
    paths = returns(ctx, {"XKB": "dang_chep_XKB.xlsx"})
    stamp = paths["XKB"].stat()
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 2
    assert ("Chưa xét: dang_chep_XKB.xlsx: Chưa xét được tệp: tệp thay đổi trong lúc đang đọc (có thể đang được chép "
            "hoặc lưu đè); kết quả không được ghi cho đơn vị. Chờ chép xong rồi tiếp nhận lại.") in out
    assert "dang_chep_XKB.xlsx" not in stored(ctx)
    # the copy finishes: the complete file is back, with its own time
    paths["XKB"].write_bytes((ctx.ws.root / ".full-dang_chep_XKB.xlsx").read_bytes())
    os.utime(paths["XKB"], ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    monkeypatch.undo()
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 0, out
    from toolkit.intake.collect import sha256_file

    with Store(ctx.ws.db_path) as store:  # the checksum recorded is the one of the bytes judged
        sub = store.submission_by_sha(sha256_file(paths["XKB"]))
        assert (sub["file_name"], sub["status"]) == ("dang_chep_XKB.xlsx", "accepted")
        assert Path(sub["archived_path"]).read_bytes() == paths["XKB"].read_bytes()
    assert merged(ctx.ws.root) == EVERY_ROW


def test_file_changing_between_scan_and_copy_is_not_judged(ctx, monkeypatch):
    """The bytes hashed at the scan and those copied for reading differ: nothing is judged on either."""
    from toolkit.intake import collect as collect_module

    paths = returns(ctx)
    real = collect_module.sha256_file

    def hash_then_change(path):
        digest = real(path)
        if Path(path).name == "XTL.xlsx":
            with open(path, "ab") as fh:  # more bytes arriving
                fh.write(b"\0" * 10)
        return digest

    monkeypatch.setattr(collect_module, "sha256_file", hash_then_change)
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 2 and "Chưa xét: XTL.xlsx: Chưa xét được tệp: tệp thay đổi trong lúc đang đọc" in out
    assert "XTL.xlsx" not in stored(ctx) and stored(ctx)["XLS.xlsx"] == "accepted"
    monkeypatch.undo()
    data = paths["XTL"].read_bytes()
    paths["XTL"].write_bytes(data[:-10])  # the complete file
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    assert merged(ctx.ws.root) == EVERY_ROW


# --- storage: a file size limit --------------------------------------------------------------------------------

def test_file_size_limit_stops_collect_with_a_message_and_nothing_is_blamed(ctx):
    """`ulimit -f` (RLIMIT_FSIZE): the store cannot grow past a few hundred KB. Collect stops with a Vietnamese
    message and exit 2; no valid return is rejected; without the limit every return is accepted."""
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0  # the store exists (an empty inbox)
    returns(ctx)
    wal = Path(str(ctx.ws.db_path) + "-wal")
    limit = max(ctx.ws.db_path.stat().st_size, wal.stat().st_size if wal.exists() else 0) + 8192
    first = cli_process(ctx.ws.root, "collect", str(ctx.ws.root), "--period", "2025", fsize=limit)
    said = " ".join(first.stderr.split())
    assert first.returncode == 2, (first.stdout, first.stderr)
    assert "Traceback" not in first.stderr + first.stdout and "OperationalError" not in said
    import re

    m = re.match(r"Lỗi: Tiếp nhận dừng lại ở tệp (X[A-Z]+)\.xlsx \((\d) tệp đã xét xong và đã lưu; (\d) tệp chưa xét, sẽ "
                 r"được đọc lại ở lần tiếp nhận sau\): Không ghi được kho dữ liệu \(.*kho_du_lieu.sqlite\): ổ đĩa báo "
                 r"lỗi đọc/ghi \(ổ đầy, giới hạn kích thước tệp hoặc ổ hỏng\)\.", said)
    assert m and int(m.group(2)) + int(m.group(3)) == 5, said
    assert len(stored(ctx)) == int(m.group(2)) and f"{m.group(1)}.xlsx" not in stored(ctx)
    assert said.endswith("Giải phóng chỗ trống, kiểm tra ổ đĩa rồi chạy lại lệnh. Không có tệp nào bị tính là lỗi của "
                         "đơn vị; các tệp chưa xét sẽ được đọc lại ở lần chạy sau."), said
    assert "rejected" not in set(stored(ctx).values())  # no unit blamed for the machine's limit
    second = cli_process(ctx.ws.root, "collect", str(ctx.ws.root), "--period", "2025")
    assert second.returncode == 0, second.stderr
    assert merged(ctx.ws.root) == EVERY_ROW


# --- a small full filesystem and a read-only workspace (their own mount namespace) -----------------------------

def _namespace_script(tmp_path: Path, script: str) -> subprocess.CompletedProcess:
    if not shutil.which("unshare"):
        pytest.skip("the 'unshare' tool is missing: no private mount can be made")
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {tmp_path}"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"this machine does not allow a private mount namespace ({probe.stderr.strip()[:120]})")
    path = tmp_path / "drill.sh"
    path.write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "PY": sys.executable}
    return subprocess.run(["unshare", "-rm", "sh", "-e", str(path)], capture_output=True, text=True, timeout=600,
                          env=env)


@pytest.mark.slow
@pytest.mark.faults
def test_small_full_filesystem_during_collect(ctx, tmp_path):
    """The workspace on a 3 MB filesystem filled up: collect stops with a message (exit 2), no return is rejected;
    space freed, the next collect takes every return; all inside a private mount namespace."""
    paths = returns(ctx)
    later = {code: paths[code].read_bytes() for code in ("XCP", "XMC")}
    for code in later:
        paths[code].unlink()
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0  # three returns stored before the disk fills
    for code, data in later.items():
        paths[code].write_bytes(data)
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    ws = ctx.ws.root
    result = _namespace_script(tmp_path, f"""
mount -t tmpfs -o size=3m tmpfs {disk}
cp -a {ws} {disk}/ws
used=$(du -sk {disk} | cut -f1)
dd if=/dev/zero of={disk}/filler bs=1k count=$((3072 - used - 24)) 2>/dev/null || true
set +e
"$PY" -m toolkit collect {disk}/ws --period 2025 > {tmp_path}/full.out 2> {tmp_path}/full.err
echo $? > {tmp_path}/full.code
"$PY" -m toolkit status {disk}/ws --period 2025 > {tmp_path}/status.out 2> {tmp_path}/status.err
echo $? > {tmp_path}/status.code
"$PY" -m toolkit merge {disk}/ws --period 2025 > {tmp_path}/merge.out 2> {tmp_path}/merge.err
echo $? > {tmp_path}/merge.code
set -e
rm {disk}/filler
"$PY" -m toolkit collect {disk}/ws --period 2025 > {tmp_path}/again.out 2> {tmp_path}/again.err || true
cp -a {disk}/ws {out}
""")
    assert result.returncode == 0, result.stderr
    said = " ".join((tmp_path / "full.err").read_text(encoding="utf-8-sig").split())
    print("\nfull disk:", said)
    code = int((tmp_path / "full.code").read_text())
    assert code == 2, (said, (tmp_path / "full.out").read_text(encoding="utf-8-sig")[-2000:])
    assert "Traceback" not in said and "OperationalError" not in said and "Exception" not in said
    # where the disk runs out decides the first words (opening the store, a file's copy, a file's transaction)
    assert said.startswith(("Lỗi: Tiếp nhận dừng lại", "Lỗi: Không ghi được kho dữ liệu", "Lỗi: Ổ đĩa đã đầy")), said
    assert "Ổ đĩa đã đầy" in said or "ổ đĩa đã đầy" in said or "ổ đĩa báo lỗi đọc/ghi (ổ đầy" in said, said
    assert "được đọc lại ở lần" in said, said
    assert "Không tiếp nhận" not in (tmp_path / "full.out").read_text(encoding="utf-8-sig")
    for cmd in ("status", "merge"):  # a full disk while the store stays readable: no traceback, exit 2 or done
        cmd_said = " ".join((tmp_path / f"{cmd}.err").read_text(encoding="utf-8-sig").split())
        print(f"{cmd} on a full disk:", int((tmp_path / f"{cmd}.code").read_text()), cmd_said)
        assert int((tmp_path / f"{cmd}.code").read_text()) in (0, 2) and "Traceback" not in cmd_said, cmd_said
    with Store(out / "kho_du_lieu.sqlite") as store:
        assert {s["status"] for s in store.submissions()} == {"accepted"}
    assert merged(out) == EVERY_ROW


@pytest.mark.slow
@pytest.mark.faults
def test_read_only_workspace(ctx, tmp_path):
    """A workspace mounted read-only after a first collect: collect, status and merge say so in Vietnamese (exit 2),
    no traceback; once writable again every return is taken."""
    paths = returns(ctx)
    later = {code: paths[code].read_bytes() for code in ("XCP", "XMC")}
    for code in later:
        paths[code].unlink()
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    for code, data in later.items():
        paths[code].write_bytes(data)
    ws = ctx.ws.root
    result = _namespace_script(tmp_path, f"""
mount --bind {ws} {ws}
mount -o remount,ro,bind {ws}
set +e
for cmd in collect status merge; do
  "$PY" -m toolkit $cmd {ws} --period 2025 > {tmp_path}/$cmd.out 2> {tmp_path}/$cmd.err
  echo $? > {tmp_path}/$cmd.code
done
""")
    assert result.returncode == 0, result.stderr
    for cmd in ("collect", "status", "merge"):
        said = " ".join((tmp_path / f"{cmd}.err").read_text(encoding="utf-8-sig").split())
        assert int((tmp_path / f"{cmd}.code").read_text()) == 2, (cmd, said)
        assert said == (f"Lỗi: Thư mục làm việc {ws} chỉ cho đọc (read-only) hoặc tài khoản không có quyền ghi, nên "
                         f"không mở được kho dữ liệu để ghi. Chép thư mục làm việc sang ổ ghi được (hoặc bỏ chế độ chỉ "
                         f"đọc, cấp quyền ghi) rồi chạy lại lệnh."), (cmd, said)
    assert set(stored(ctx)) == {"XLS.xlsx", "XKB.xlsx", "XTL.xlsx"}
    assert run("collect", ws, "--period", "2025")[0] == 0  # the mount is gone with its namespace: writable again
    assert merged(ws) == EVERY_ROW


# --- point 6: smaller ------------------------------------------------------------------------------------------

def test_symlinks_and_fifos_in_the_inbox_are_noted(ctx):
    paths = returns(ctx)
    inbox = paths["XLS"].parent
    (inbox / "lien_ket.xlsx").symlink_to(paths["XLS"])
    (inbox / "hong.xlsx").symlink_to(inbox / "khong_co.xlsx")
    os.mkfifo(inbox / "ong.xlsx")
    code, out = run("collect", ctx.ws.root, "--period", "2025", "--json")
    import json

    files = {f["file"]: f for f in json.loads(out[out.index("{"):])["files"]}
    assert {k: (f["status"], f["issues"][0]["message"]) for k, f in files.items() if f["status"] == "skipped"} == {
        "hong.xlsx": ("skipped", "Bỏ qua mục trong thư mục inbox: lối tắt (symlink) hỏng."),
        "lien_ket.xlsx": ("skipped", "Bỏ qua mục trong thư mục inbox: lối tắt (symlink) trỏ tới tệp khác."),
        "ong.xlsx": ("skipped", "Bỏ qua mục trong thư mục inbox: đường ống (FIFO), không phải tệp.")}


def test_empty_twin_files_are_both_rejected_never_called_accepted(ctx):
    inbox = ctx.ws.round_dir("2025", "inbox")
    (inbox / "XLS.xlsx").write_bytes(b"")
    (inbox / "XLS.ods").write_bytes(b"")
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 1
    assert "Đã tiếp nhận trước đó" not in out
    assert "XLS.ods" in out and "Đã xét trước đó: không tiếp nhận" in out


def test_outputs_are_readable_by_colleagues_and_interrupted_temporaries_go(ctx):
    returns(ctx)
    output = ctx.ws.round_dir("2025", "output")
    leftover = output / ".tmp-999999-abc.xlsx"  # an interrupted merge's temporary (its process is gone)
    leftover.write_bytes(b"half")
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    assert merged(ctx.ws.root) == EVERY_ROW
    assert not leftover.exists() and not list(output.glob(".tmp-*"))
    mask = os.umask(0)
    os.umask(mask)
    for path in (ctx.ws.root / "settings.yaml", output / "tong_hop_dang_ky_2025.xlsx",
                 output / "ket_qua_tiep_nhan_2025.xlsx"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path
    code, _ = run("init", ctx.ws.root, "--period", "2025")
    assert code == 0 and (ctx.ws.root / "don_vi.xlsx").stat().st_mode & 0o777 == 0o666 & ~mask


def test_full_width_and_unissued_periods(ctx):
    returns(ctx)
    code, out = run("collect", ctx.ws.root, "--period", "２０２５")
    assert code == 0 and "Kết quả tiếp nhận kỳ 2025" in out
    assert not (ctx.ws.root / "rounds" / "２０２５").exists()
    code, out = run("collect", ctx.ws.root, "--period", "2024")
    assert code == 2
    assert out == ("Lỗi: Kỳ 2024 (năm 2024) không có trong settings.yaml, chưa phát hành biểu mẫu và chưa tiếp nhận "
                   "tệp nào. Kiểm tra lại kỳ (--period); nếu đúng là kỳ mới, thêm kỳ bằng: toolkit init <thư mục> "
                   "--period 2024.")
    assert "2024" not in (ctx.ws.root / "settings.yaml").read_text(encoding="utf-8")


def test_worker_stderr_never_reaches_the_console(capfd):
    from toolkit.intake.pool import Bounds, run_bounded

    outcomes = list(run_bounded(faults.noisy, [1, 2], Bounds(timeout_s=30, memory_mb=0, workers=1)))
    assert [o.value for o in outcomes] == [1, 2]
    captured = capfd.readouterr()
    assert "panicked" not in captured.err and "RUST PANIC" not in captured.err and "Traceback" not in captured.err


def test_unreadable_files_are_said_in_vietnamese_and_valid_odd_zips_are_read(ctx):
    import zipfile

    paths = returns(ctx)
    inbox = paths["XLS"].parent
    # an old .xls cut short (the CFB reader's English "Sector ... points past end of file")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"\x01" * 700
    (inbox / "XCP_cu.xls").write_bytes(ole)
    # XKB's return as Excel writes a template (.xltx); XTL's with backslash names (zips written on Windows)
    paths["XKB"].rename(paths["XKB"].with_suffix(".xltx"))
    src = paths["XTL"]
    fixed = src.with_name("XTL_win.xlsx")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename.replace("/", "\\"), zin.read(info.filename))
    os.utime(fixed, (src.stat().st_atime, src.stat().st_mtime))
    src.unlink()
    code, out = run("collect", ctx.ws.root, "--period", "2025", "--json")
    import json

    files = {f["file"]: f for f in json.loads(out[out.index("{"):])["files"]}
    assert files["XKB.xltx"]["status"] == "accepted" and files["XTL_win.xlsx"]["status"] == "accepted"
    bad = files["XCP_cu.xls"]
    assert bad["status"] == "rejected"
    message = bad["issues"][0]["message"]
    assert message.startswith("Không đọc được tệp:"), message
    assert not any(w in message for w in ("Cfb", "Sector", "error", "Error", "file")), message
    assert merged(ctx.ws.root) == EVERY_ROW


def test_ods_without_mimetype_is_read(ctx, tmp_path):
    import zipfile

    from toolkit.read import open_workbook

    src = next(Path(__file__).resolve().parent.parent.glob("sample_workbooks/*/*.ods"))
    bare = tmp_path / src.name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "mimetype":
                zout.writestr(info.filename, zin.read(info.filename))
    wb = open_workbook(bare)
    assert wb.format == "ods" and wb.sheets and not [i for i in wb.issues if i.is_error]
    assert wb.path == bare and zipfile.ZipFile(bare).namelist()[0] != "mimetype"  # the unit's file is unchanged


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.slow
@pytest.mark.faults
def test_sixty_returns_with_reading_workers_killed_from_outside(tmp_path):
    """The OOM killer's way, from outside: SIGKILL of the reading workers of a running 60-file collect, again and
    again. No return is rejected for it; those not read are said to the clerk; the next collect takes them all."""
    import signal
    import time

    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the worker processes")
    from test_drill import _build

    root = _build(tmp_path / "ws", 60)
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "collect", str(root), "--period", "2025"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"})
    kills = 0
    while proc.poll() is None and kills < 12:
        for child in _children(proc.pid):
            try:
                os.kill(child, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
        time.sleep(0.15)
    out, err = proc.communicate(timeout=300)
    said = " ".join(err.split())
    assert proc.returncode in (0, 1, 2), err
    assert "Traceback" not in err and "vượt giới hạn an toàn" not in out + err
    with Store(root / "kho_du_lieu.sqlite") as store:
        first = {s["file_name"]: s["status"] for s in store.submissions()}
    not_judged = said.count("Chưa xét:")
    print(f"\n{kills} workers killed; {len(first)} files judged, {not_judged} not judged (said to the clerk); "
          f"exit {proc.returncode}: {said[:300]}")
    second = cli_process(root, "collect", str(root), "--period", "2025")
    with Store(root / "kho_du_lieu.sqlite") as store:
        final = {s["file_name"]: s["status"] for s in store.submissions()}
    assert len(final) == 60
    reference = tmp_path / "ref"
    _build(reference, 60)
    cli_process(reference, "collect", str(reference), "--period", "2025")
    with Store(reference / "kho_du_lieu.sqlite") as store:
        assert {s["file_name"]: s["status"] for s in store.submissions()} == final  # as if nothing had happened
    assert second.returncode in (0, 1)


def test_inbox_file_locked_by_another_program_waits_for_next_time(ctx, monkeypatch):
    """Excel holding a return open (Windows refuses to read it): that file waits, the others are taken."""
    from toolkit.intake import collect as collect_module

    returns(ctx)
    real = collect_module.sha256_file

    def locked(path):
        if Path(path).name == "XMC.xlsx":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(collect_module, "sha256_file", locked)
    code, out = run("collect", ctx.ws.root, "--period", "2025")
    assert code == 2
    assert ("Chưa xét: XMC.xlsx: Chưa xét được tệp: không đọc được tệp trong thư mục inbox (không có quyền đọc, hoặc "
            "tệp đang được mở bằng chương trình khác); đóng Excel hoặc chờ chép xong rồi tiếp nhận lại.") in out
    assert "XMC.xlsx" not in stored(ctx) and len(stored(ctx)) == 4
    monkeypatch.undo()
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0
    assert merged(ctx.ws.root) == EVERY_ROW


def test_a_disk_error_wrapped_by_a_writer_library_is_said_not_raised(ctx, monkeypatch):
    """xlsxwriter turns a full disk into its own FileCreateError: merge still says it in Vietnamese, exit 2."""
    import errno

    from xlsxwriter.exceptions import FileCreateError

    returns(ctx)
    assert run("collect", ctx.ws.root, "--period", "2025")[0] == 0

    def full(*args, **kwargs):
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device", "tong_hop.xlsx"))

    monkeypatch.setattr("toolkit.outputs.merge.merge", full)
    code, out = run("merge", ctx.ws.root, "--period", "2025")
    assert (code, out) == (2, "Lỗi tệp/thư mục: Ổ đĩa đã đầy: tong_hop.xlsx. Giải phóng chỗ trống trên ổ đĩa rồi chạy "
                              "lại lệnh.")
    monkeypatch.undo()
    assert merged(ctx.ws.root) == EVERY_ROW
