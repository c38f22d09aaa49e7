"""One contract for every command (docs/ket-qua-lenh.md): the exit-code table, one --json envelope with a schema
version, options spelled and meant the same way with Vietnamese names beside the English ones, a closed pipe that
changes nothing, and redirected output that Excel opens (UTF-8 with a byte order mark: checked byte by byte)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, make_return, task

from toolkit.cli import cli
from toolkit.console import ENVELOPE, EXIT_CODES, SCHEMA_VERSION

TOOLKIT = Path(sys.executable).with_name("toolkit")
BOM = b"\xef\xbb\xbf"


def _invoke(*args, code=0, stdout_only=False) -> str:
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == code, r.output
    return r.stdout if stdout_only else r.output


def _commands(group=cli, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


@pytest.fixture
def rejected(ctx):
    """A round of 2025 where one unit's file is accepted and one is rejected."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")])
    _invoke("collect", ctx.ws.root, "--period", "2025", code=1)
    return ctx.ws.root


def test_every_command_has_json_help_in_vietnamese_and_one_directory_spelling():
    for name, cmd in _commands():
        assert "as_json" in {p.name for p in cmd.params}, name
        help_text = _invoke(*name, "--help")
        for english in ("TEXT", "[required]", "PATH", "DIRECTORY", "INTEGER", "THƯ MỤC"):
            assert english not in help_text, (name, english)
    assert "[bắt buộc]" in _invoke("collect", "--help") and "-p, --period KỲ" in _invoke("collect", "--help")


def test_json_envelope_of_init_templates_collect_status_run(tmp_path):
    ws = tmp_path / "ws"
    init = json.loads(_invoke("init", ws, "-p", "2025", "-d", "31/01/2025", "--json"))
    assert {k: init[k] for k in ENVELOPE} == {
        "schema_version": SCHEMA_VERSION, "command": "init", "period": None, "exit_code": 0,
        "written": [str(ws / "settings.yaml"), str(ws / "don_vi.xlsx"), str(ws / "cau_hinh.xlsx")], "error": None}
    assert init["deadlines"] == {"2025": "2025-01-31"}
    tpl = json.loads(_invoke("tao-bieu-mau", ws, "-f", "dang-ky", "-p", "2025", "-u", "XLS,XCP", "-u", "XMC",
                             "--json"))
    assert (tpl["command"], tpl["period"], tpl["form"]) == ("templates", "2025", "registration")
    assert sorted(Path(p).name.split("_")[0] for p in tpl["written"]) == ["XCP", "XLS", "XMC"]
    assert tpl["written"] == tpl["templates"] and all(Path(p).is_file() for p in tpl["written"])
    # the same deadline syntax as init's: KỲ=NGÀY
    again = json.loads(_invoke("templates", ws, "-f", "registration", "-p", "2025", "-u", "XLS",
                               "-d", "2025=15/02/2025", "--json"))
    assert again["deadline"] == "2025-02-15"
    _invoke("templates", ws, "-f", "registration", "-p", "2025", "-d", "2026=15/02/2026", code=2)

    from toolkit.context import load_context

    ctx = load_context(ws)
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", area="Sai")])
    col = json.loads(_invoke("tiep-nhan", ws, "-p", "2025", "--json", code=1))
    assert (col["command"], col["period"], col["exit_code"]) == ("collect", "2025", 1)
    assert col["written"][0] == col["issues_workbook"] and len(col["written"]) == 2  # + XCP's feedback copy
    st = json.loads(_invoke("status", ws, "-p", "2025", "--json", code=1))
    assert (st["exit_code"], st["written"], st["rates"]["rejected"]) == (1, [st["workbook"]], 1)
    run = json.loads(_invoke("chay", ws, "-p", "2025", "--json", code=1))
    assert (run["command"], run["exit_code"], run["schema_version"]) == ("run", 1, 1)
    assert run["collect"]["period"] == "2025" and set(run) >= {"status", "merge", "report"}
    assert all(Path(p).exists() for p in run["written"])
    merged = json.loads(_invoke("merge", ws, "-p", "2025", "--json"))
    assert merged["period"] == "2025" and merged["written"] == [o["path"] for o in merged["outputs"]]


def test_could_not_run_is_exit_2_with_the_error_in_the_json(tmp_path):
    data = json.loads(_invoke("status", tmp_path / "khong_co", "-p", "2025", "--json", code=2, stdout_only=True))
    assert (data["command"], data["period"], data["exit_code"]) == ("status", "2025", 2)
    assert data["error"].startswith("Lỗi") and data["written"] == []
    assert EXIT_CODES[2].startswith("không chạy được")


def test_form_and_command_aliases_mean_the_english_ones(rejected):
    out = _invoke("tiep-nhan", rejected, "-p", "2025", "-f", "dang-ky", code=1)  # the rejected file read again
    assert "Kết quả tiếp nhận kỳ 2025" in out
    assert "Tình hình nộp" in _invoke("tinh-hinh", rejected, "--period", "2025", "--form", "registration", code=1)
    assert "registration" in _invoke("bieu-mau", "kiem-tra")
    assert "Không có biểu mẫu 'tiendo'" in _invoke("collect", rejected, "-p", "2025", "-f", "tiendo", code=2)


def _env():
    env = {**os.environ}
    env.pop("PYTHONIOENCODING", None)
    return env


def test_a_closed_pipe_keeps_the_exit_code_and_prints_no_traceback(rejected):
    proc = subprocess.Popen([str(TOOLKIT), "status", str(rejected), "-p", "2025"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env())
    proc.stdout.close()  # the reader is gone before the first line, as `| head -0` or a closed window
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 1 and err == ""  # 1: XCP's file was rejected
    done = subprocess.run(f'"{TOOLKIT}" codes | head -1', shell=True, capture_output=True, env=_env(), check=False)
    assert done.returncode == 0 and done.stderr == b"" and done.stdout.startswith(b"file-skipped")


def test_redirected_output_starts_with_one_byte_order_mark(rejected, tmp_path):
    out = tmp_path / "tinh_hinh.txt"
    with open(out, "wb") as fh:
        code = subprocess.run([str(TOOLKIT), "status", str(rejected), "-p", "2025"], stdout=fh,
                              stderr=subprocess.STDOUT, env=_env(), check=False).returncode
    data = out.read_bytes()
    assert code == 1 and data.startswith(BOM) and data.count(BOM) == 1
    assert "Tình hình nộp" in data.decode("utf-8-sig")
    # an error written by stderr alone into its file
    err = tmp_path / "loi.txt"
    with open(err, "wb") as fe:
        subprocess.run([str(TOOLKIT), "status", str(tmp_path / "khong_co"), "-p", "2025"], stdout=subprocess.DEVNULL,
                       stderr=fe, env=_env(), check=False)
    assert err.read_bytes().startswith(BOM + "Lỗi".encode())
    # a clean run with its errors redirected apart leaves that file empty (a progress bar, never drawn on a file,
    # wrote its closing line break there, and with it a mark: a log of errors that looked non-empty)
    quiet = tmp_path / "loi_rong.txt"
    with open(tmp_path / "bieu_mau.txt", "wb") as fh, open(quiet, "wb") as fe:
        code = subprocess.run([str(TOOLKIT), "templates", str(rejected), "-f", "registration", "-p", "2025"],
                              stdout=fh, stderr=fe, env=_env(), check=False).returncode
    assert code == 0 and quiet.read_bytes() == b""
    assert "Đã tạo" in (tmp_path / "bieu_mau.txt").read_bytes().decode("utf-8-sig")
    # machine formats, appends and pipes: no mark
    js = tmp_path / "tinh_hinh.json"
    with open(js, "wb") as fh:
        subprocess.run([str(TOOLKIT), "status", str(rejected), "-p", "2025", "--json"], stdout=fh, env=_env(),
                       check=False)
    assert json.loads(js.read_bytes().decode("utf-8"))["schema_version"] == SCHEMA_VERSION
    with open(out, "ab") as fh:
        subprocess.run([str(TOOLKIT), "codes"], stdout=fh, env=_env(), check=False)
    assert out.read_bytes().count(BOM) == 1
    piped = subprocess.run([str(TOOLKIT), "codes"], capture_output=True, env=_env(), check=False)
    assert piped.stdout.startswith(b"file-skipped")


def test_the_contract_is_documented():
    doc = (ROOT / "docs" / "ket-qua-lenh.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in doc
    assert "schema_version 1" in doc and SCHEMA_VERSION == 1
    for key in ENVELOPE:
        assert f"`{key}`" in doc
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ket-qua-lenh.md" in readme
