"""Issue 18 item 1: output that never crashes on an encoding. Windows writes a redirected or piped stdout in the
ANSI code page (cp1258 Vietnamese, cp1252 Western); PYTHONIOENCODING reproduces that here. Each command runs
through the real CLI (the installed console script) as a subprocess with its output redirected to a file."""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT

from toolkit.cli import cli
from toolkit.console import degrade, error_handler, setup_streams

TOOLKIT = Path(sys.executable).with_name("toolkit")
ENCODINGS = ["cp1258", "cp1252"]


def _run(args: list[str], encoding: str, out: Path, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run the console script with stdout and stderr redirected to files, as a .bat file or Task Scheduler does."""
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    env.pop("PYTHONUTF8", None)
    err = out.with_suffix(".err")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        code = subprocess.run([str(TOOLKIT), *args], stdout=fo, stderr=fe, env=env, cwd=cwd, timeout=300,
                              check=False).returncode
    # a redirected file starts with the UTF-8 byte order mark (for Excel): checked byte by byte in test_cli_contract
    return code, out.read_bytes().decode("utf-8-sig"), err.read_bytes().decode("utf-8-sig")


def _commands(group=cli, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_command_help_redirected_in_an_ansi_code_page(tmp_path, encoding):
    names = [(), *_commands()]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda n: _run([*n, "--help"], encoding, tmp_path / f"{'_'.join(n) or 'cli'}.txt"),
                             names))
    for name, (code, out, err) in zip(names, runs):
        cmd = cli
        for part in name:
            cmd = cmd.commands[part]
        assert (code, err) == (0, ""), (name, err)
        assert out.startswith("Cách dùng: toolkit") and "Tùy chọn:" in out, out
        assert "Hiển thị hướng dẫn này rồi thoát." in out
        assert cmd.help.split("\n")[0][:30] in " ".join(out.split()), (name, out)


# a minute-long round per code page: slow drills (`make test-slow`, CI); `make test` keeps every command's help
# redirected in both code pages (above) and the BOM / closed-pipe checks of test_cli_contract.py
@pytest.mark.slow
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_whole_round_through_the_cli_redirected_in_an_ansi_code_page(tmp_path, encoding):
    from toolkit.samples import install_round

    samples = ROOT / "sample_workbooks"
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    reg, prog = manifest["periods"]["registration"], manifest["periods"]["progress"]
    ws = tmp_path / "Văn phòng Tỉnh ủy"
    step = iter(range(100))

    def run(*args, expect=(0,)):
        code, out, err = _run([*args], encoding, tmp_path / f"out{next(step)}.txt")
        assert code in expect, (args, code, out, err)
        assert "Traceback" not in out + err and "UnicodeEncodeError" not in out + err
        return out

    out = run("init", str(ws), "--office", "Tỉnh ủy Hòa An", "--units", str(samples / "don_vi.xlsx"),
              "--period", reg, "--period", prog)
    assert "Đã tạo thư mục làm việc" in out and "Tỉnh ủy Hòa An" in out
    out = run("templates", str(ws), "--form", "registration", "--period", reg)
    assert "Đã tạo" in out and "biểu mẫu" in out
    install_round(samples, ws, "registration")
    run("collect", str(ws), "--period", reg, expect=(0, 1))
    run("templates", str(ws), "--form", "progress", "--period", prog)
    install_round(samples, ws, "progress")
    out = run("collect", str(ws), "--period", prog, expect=(1,))  # the samples include rejected files
    assert "Kết quả tiếp nhận kỳ" in out and "Không tiếp nhận" in out and "Tiếp nhận, có cảnh báo" in out
    data = json.loads(run("collect", str(ws), "--period", prog, "--json", expect=(1,)))  # rejected ones still are
    assert {f["status"] for f in data["files"] if f["status"] != "skipped"} == {"duplicate", "duplicate_rejected"}
    out = run("status", str(ws), "--period", prog, expect=(1,))  # rejected files: exit 1
    assert "Tình hình nộp" in out and "chưa nộp" in out
    assert "Báo cáo tiến độ: đã tổng hợp 129 dòng của 17 đơn vị" in run("merge", str(ws), "--period", prog)
    assert "Xếp loại đơn vị (sơ bộ) kỳ 2025-H1" in run("score", str(ws), "--period", prog)
    out = run("report", str(ws), "--period", prog)
    assert "Đã xuất" in out and "văn bản" in out
    code, _, err = _run(["collect", str(ws)], encoding, tmp_path / "missing.txt")
    assert code == 2 and "Lỗi: Thiếu tùy chọn '--period' / '-p'." in err and "Cách dùng: toolkit collect" in err


def test_degrade_keeps_vietnamese_readable_in_each_code_page():
    text = "Đã tạo thư mục làm việc; Hội đồng"
    cp1258 = text.encode("cp1258", error_handler("cp1258"))
    assert unicodedata.normalize("NFC", cp1258.decode("cp1258")) == text  # nothing lost: tones as combining marks
    assert text.encode("cp1252", error_handler("cp1252")).decode("cp1252") == "Dã tao thu muc làm viêc; Hôi dông"
    assert text.encode("ascii", error_handler("ascii")).decode("ascii") == "Da tao thu muc lam viec; Hoi dong"
    assert degrade("✓", "cp1252") == "?"


class _Console(io.TextIOWrapper):
    def isatty(self):
        return True


def test_streams_utf8_when_redirected_degrading_on_a_console():
    redirected = io.TextIOWrapper(io.BytesIO(), encoding="cp1258")
    console = _Console(io.BytesIO(), encoding="cp1252")
    setup_streams([redirected, console, None])
    redirected.write("Tiếp nhận ✓")
    console.write("Tiếp nhận ✓")
    redirected.flush()
    console.flush()
    assert redirected.buffer.getvalue().decode("utf-8") == "Tiếp nhận ✓"
    assert console.buffer.getvalue().decode("cp1252") == "Tiêp nhân ?"


def test_files_the_toolkit_writes_name_their_encoding():
    """Text files the toolkit writes or reads (settings, JSON, logs, shims) are UTF-8 whatever the PC's code
    page: every text-mode open()/read_text()/write_text() in the package names its encoding."""
    missing = []
    for path in sorted((ROOT / "toolkit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            keywords = {k.arg for k in node.keywords}
            mode = next((a.value for a in node.args[1:2] if isinstance(a, ast.Constant)), "r")
            mode = next((k.value.value for k in node.keywords if k.arg == "mode"), mode)
            if name in ("read_text", "write_text") and "encoding" not in keywords \
                    or name == "open" and isinstance(node.func, ast.Name) and "b" not in str(mode) \
                    and "encoding" not in keywords:
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []



_ENDING = r'''
import atexit, sys, threading, time
from pathlib import Path
import click
from toolkit.console import VietnameseGroup

out = Path(sys.argv.pop(1))  # (the rest is the command line, read by click as a program's)


class Kept:  # freed by Python's teardown (a module's global): its destructor leaves a mark
    def __del__(self):
        (out / "freed").write_text("yes")


KEPT = Kept()


@click.group(cls=VietnameseGroup)
def cli():
    pass


@cli.command()
@click.option("--code", type=int, default=0)
@click.option("--thread", is_flag=True)
@click.option("--little", is_flag=True)
def work(code, thread, little):
    atexit.register(lambda: (out / "atexit").write_text("yes"))
    if thread:  # a thread of the program's own still at work: waited for, as at a normal exit
        threading.Thread(target=lambda: (time.sleep(0.3), (out / "thread").write_text("yes"))).start()
    sys.stdout.write("Xong: đã ghi hết" * (1 if little else 2000))  # (buffered, no newline)
    sys.exit(code)


if __name__ == "__main__":
    cli(prog_name="toolkit")
'''


@pytest.mark.parametrize("code", [0, 1, 2])
def test_the_program_ends_without_python_s_teardown_once_its_command_is_done(tmp_path, code):
    """console.end_program: the exit code kept, the exit functions run and the output flushed, the objects not freed
    one by one (a module global's destructor does not run); a thread of the program's own is waited for."""
    script = tmp_path / "prog.py"
    script.write_text(_ENDING, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args):
        folder = tmp_path / f"out{len(list(tmp_path.glob('out*')))}"
        folder.mkdir()
        done = subprocess.run([sys.executable, str(script), str(folder), "work", *args], capture_output=True, env=env,
                              timeout=60)
        return done, {p.name for p in folder.iterdir()}

    done, marks = run("--code", str(code))
    assert done.returncode == code and done.stdout.decode("utf-8").count("Xong: đã ghi hết") == 2000
    assert marks == {"atexit"} and not done.stderr
    done, marks = run("--code", str(code), "--thread")
    assert done.returncode == code and marks == {"atexit", "thread", "freed"}
    if Path("/dev/full").exists():  # output that cannot be written at the end (a full disk): 120, as Python says it
        folder = tmp_path / "full"
        folder.mkdir()
        buffered = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}  # (the output written as it ends)
        with open("/dev/full", "w") as full:
            ended = subprocess.run([sys.executable, str(script), str(folder), "work", "--code", str(code), "--little"],
                                   stdout=full, stderr=subprocess.PIPE, env=buffered, timeout=60)
        assert ended.returncode == (code or 120)


def test_a_profiled_program_ends_as_python_ends_it(tmp_path):
    """Under cProfile (or pdb, trace) the program is left to end as usual: they write what they found after it."""
    script = tmp_path / "prog.py"
    script.write_text(_ENDING, encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "p.prof"), str(script), str(folder),
                           "work", "--code", "1"], capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=60)
    assert (tmp_path / "p.prof").stat().st_size > 0  # (cProfile takes the exit code in: it ends with 0)
    assert {p.name for p in folder.iterdir()} == {"atexit", "freed"}
