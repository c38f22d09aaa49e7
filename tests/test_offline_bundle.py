"""The offline installer (scripts/offline_bundle.py, `make bundle`): what cai_dat.bat runs is what the CI check
runs (`make check-bundle` builds the bundle for Linux, installs it into a fresh venv with the index switched off
and runs the demo; it needs the package index once, so it is a CI step, not part of `make test`)."""

import importlib.util
import json

from conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("offline_bundle", ROOT / "scripts" / "offline_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MANIFEST = {"version": "0.1.0", "platform": "win_amd64", "pythons": ["3.11", "3.12", "3.13", "3.14"],
            "toolkit_wheel": "nhiemvu_toolkit-0.1.0-py3-none-any.whl", "requirements": [],
            "wheels": ["a.whl", "b.whl"], "per_python": {}}


def test_cai_dat_bat_installs_from_the_folder_with_the_index_off(tmp_path):
    bundle = _script()
    bundle.write_installer(tmp_path, MANIFEST)
    raw = (tmp_path / "cai_dat.bat").read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"") and not raw.startswith(b"\xef\xbb\xbf")  # CRLF, no BOM for cmd
    text = raw.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "@echo off" and all(line.isascii() for line in lines[:lines.index("chcp 65001 >nul") + 1])
    pip = next(line for line in lines if line.startswith("%PY% -m pip"))
    assert pip == '%PY% -m pip install --no-index --find-links "%~dp0wheels" --upgrade nhiemvu-toolkit'
    assert pip.split()[1:] == [a if "%" not in a else f'"{a}"' for a in bundle.install_args("%~dp0wheels")]
    # the interpreter: py launcher, then python, each checked to be 3.11 or later; a plain message otherwise
    assert text.index('set "PY=py -3"') < text.index('set "PY=python"') < text.index("Không tìm thấy Python 3.11")
    assert "Python 3.11, 3.12, 3.13, 3.14" in text and "exit /b 2" in text
    guide = (tmp_path / "HUONG_DAN.txt").read_bytes()
    assert guide.startswith(b"\xef\xbb\xbf") and "cai_dat.bat" in guide.decode("utf-8-sig")
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8")) == MANIFEST


def test_the_offline_pip_sees_no_index_and_no_configured_wheel_folder(monkeypatch):
    bundle = _script()
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_INDEX_URL", "https://pypi.org/simple")
    env = bundle.offline_env()
    assert env["PIP_NO_INDEX"] == "1" and env["PIP_CONFIG_FILE"] == __import__("os").devnull
    assert "PIP_FIND_LINKS" not in env and "PIP_INDEX_URL" not in env
    assert bundle.install_args("w")[:5] == ["-m", "pip", "install", "--no-index", "--find-links"]


def test_pip_download_output_is_read_for_the_wheels_of_each_python():
    bundle = _script()
    log = ("Saved ./w/numpy-2.3.1-cp312-cp312-win_amd64.whl\n"
           "File was already downloaded /x/w/openpyxl-3.1.5-py2.py3-none-any.whl\nSuccessfully downloaded numpy\n")
    assert bundle._wheel_names(log) == ["numpy-2.3.1-cp312-cp312-win_amd64.whl", "openpyxl-3.1.5-py2.py3-none-any.whl"]


def test_ci_and_make_run_the_bundle_check():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "scripts/offline_bundle.py build" in makefile and "scripts/offline_bundle.py check-host" in makefile
    assert "make check-bundle" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
