"""The offline installer for an office PC with no Internet: one folder (and a zip of it) holding every wheel the
toolkit needs for each supported Python on 64-bit Windows, the toolkit's own wheel and ``cai_dat.bat``, which
installs from that folder with the package index switched off.

    python scripts/offline_bundle.py build [--out dist/toolkit_offline] [--python 3.12 ...]   # `make bundle`
    python scripts/offline_bundle.py check-host                                             # `make check-bundle`

``build`` needs the package index once (on any OS: pip resolves as it would on Windows, ``--platform win_amd64
--only-binary=:all: --python-version X``), then checks that each Python's set resolves from the folder alone.
``check-host`` builds the same bundle for the machine running it (Linux in CI), installs it into a fresh virtual
environment with the index and every configured wheel folder switched off, exactly as ``cai_dat.bat`` does
(:func:`install_args`), and runs ``toolkit demo`` from an empty folder. Exit code 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_windows_wheels import PURE_PYTHON_SDISTS, pure_wheels, requirements, supported_versions  # noqa: E402

WHEELS = "wheels"
DIST = "nhiemvu-toolkit"
WINDOWS = "win_amd64"


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def install_args(wheels: str) -> list[str]:
    """pip's arguments that install the toolkit from the bundle's wheel folder alone (cai_dat.bat and the check)."""
    return ["-m", "pip", "install", "--no-index", "--find-links", wheels, "--upgrade", DIST]


def offline_env() -> dict:
    """The environment of a pip that sees no index and no wheel folder but the one it is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _pip(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, encoding="utf-8",
                          check=False, env=env)


def _wheel_names(log: str) -> list[str]:
    """The wheels pip download saved or found already there, from its output."""
    return sorted({Path(m).name for m in re.findall(r"(?:Saved|File was already downloaded) (\S+\.whl)", log)})


def download(out: Path, version: str | None, reqs: list[str]) -> list[str]:
    """Every wheel ``reqs`` need, for Windows and Python ``version`` (None: this machine), into ``out``; the
    pure-Python wheels built beforehand into ``out`` (PURE_PYTHON_SDISTS) are found there."""
    cmd = ["download", "--only-binary=:all:", "--disable-pip-version-check", "--find-links", str(out), "-d", str(out),
           *reqs]
    if version:
        cmd[1:1] = ["--platform", WINDOWS, "--python-version", version, "--implementation", "cp"]
    run = _pip(cmd)
    if run.returncode != 0:
        raise SystemExit(f"pip download failed for Python {version or 'host'}:\n{run.stderr.strip()[-2000:]}")
    return _wheel_names(run.stdout)


def build_toolkit_wheel(out: Path) -> str:
    run = _pip(["wheel", "--no-deps", "--disable-pip-version-check", "-w", str(out), str(ROOT)])
    if run.returncode != 0:
        raise SystemExit(f"building the toolkit's wheel failed:\n{run.stderr.strip()[-2000:]}")
    wheels = sorted(out.glob("nhiemvu_toolkit-*.whl"), key=lambda p: p.stat().st_mtime)
    return wheels[-1].name


BAT = r"""@echo off
rem Cai dat toolkit khong can Internet: moi thu vien nam trong thu muc wheels\ canh tep nay.
chcp 65001 >nul
setlocal
cd /d "%~dp0"
set "PY="
py -3 -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" >nul 2>nul && set "PY=py -3"
if defined PY goto found
python -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" >nul 2>nul && set "PY=python"
if defined PY goto found
echo Không tìm thấy Python 3.11 trở lên trên máy này.
echo Cài Python {pythons} cho Windows 64-bit: tệp cài của python.org hoặc Microsoft Store, rồi chạy lại tệp này.
pause
exit /b 2
:found
echo Cài toolkit {version} từ thư mục %~dp0{wheels} - không cần Internet...
%PY% {args}
if errorlevel 1 goto failed
echo.
echo Đã cài xong. Chạy thử: %PY% -m toolkit demo
echo Hướng dẫn: HUONG_DAN.txt
pause
exit /b 0
:failed
echo.
echo Cài đặt không thành công. Bộ cài có thư viện cho Python {pythons} bản 64-bit; kiểm tra bằng: %PY% --version
pause
exit /b 2
"""

README = """Bộ cài toolkit {version} không cần Internet (Windows 64-bit, Python {pythons})

1. Cài Python (một trong các bản {pythons}, 64-bit) nếu máy chưa có: tệp cài của python.org
   (đánh dấu "Add python.exe to PATH") hoặc Microsoft Store.
2. Giải nén tệp zip (nếu nhận bản zip), mở thư mục, bấm đúp cai_dat.bat.
   Tệp tìm Python (lệnh py, rồi python), cài toolkit và mọi thư viện từ thư mục {wheels}\\ - không tải gì từ mạng.
3. Chạy thử: mở Command Prompt, gõ  py -m toolkit demo  (bản Microsoft Store: python -m toolkit demo).

Cài bằng tay (cùng lệnh với cai_dat.bat):
    py {args}

Nội dung: {count} tệp thư viện (.whl), danh sách theo từng bản Python trong manifest.json.
"""


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def write_installer(bundle: Path, manifest: dict) -> None:
    # the folder is quoted: %~dp0 (the bundle's folder) may hold spaces and Vietnamese letters
    args = " ".join(f'"{a}"' if "%" in a or " " in a or "\\" in a else a for a in install_args(f"%~dp0{WHEELS}"))
    pythons = ", ".join(manifest["pythons"]) or "3"
    fields = dict(version=manifest["version"], pythons=pythons, wheels=WHEELS, args=args)
    (bundle / "cai_dat.bat").write_bytes(_crlf(BAT.format(**fields)))
    plain = " ".join(install_args(WHEELS))
    (bundle / "HUONG_DAN.txt").write_bytes(b"\xef\xbb\xbf" + _crlf(README.format(
        **{**fields, "args": plain}, count=len(manifest["wheels"]))))
    (bundle / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def build(out: Path, versions: list[str] | None, windows: bool = True, make_zip: bool = True) -> dict:
    """Build the bundle in ``out`` (emptied first); returns its manifest."""
    if out.exists():
        shutil.rmtree(out)
    wheels = out / WHEELS
    wheels.mkdir(parents=True)
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    reqs = requirements() if windows else [r for r in requirements(host) if not r.startswith("pywin32")]
    versions = (versions or supported_versions()) if windows else []
    if not pure_wheels(wheels):  # sdist-only dependencies (pure Python): their py3-none-any wheels built here
        raise SystemExit(f"could not build the pure-Python wheels of {', '.join(PURE_PYTHON_SDISTS)}")
    pure = sorted(p.name for p in wheels.glob("*.whl"))
    per_python = {}
    for version in versions or [None]:
        names = sorted({*download(wheels, version, requirements(version) if windows else reqs), *pure})
        per_python[version or f"{sys.version_info.major}.{sys.version_info.minor}"] = names
        print(f"Python {version or 'host'}: {len(names)} wheels", flush=True)
    own = build_toolkit_wheel(wheels)
    manifest = {"version": project_version(), "platform": WINDOWS if windows else sys.platform,
                "pythons": sorted(per_python), "toolkit_wheel": own, "requirements": reqs,
                "wheels": sorted(p.name for p in wheels.glob("*.whl")), "per_python": per_python}
    write_installer(out, manifest)
    if windows:
        problems = check_resolves(out, manifest)
        if problems:
            raise SystemExit("the bundle does not install offline:\n" + "\n".join(problems))
    if make_zip:
        archive = shutil.make_archive(str(out), "zip", root_dir=out.parent, base_dir=out.name)
        manifest["zip"] = archive
        size = Path(archive).stat().st_size / 1e6
        print(f"Bundle: {out} ({len(manifest['wheels'])} wheels), zip {archive} ({size:.0f} MB)")
    return manifest


def check_resolves(bundle: Path, manifest: dict) -> list[str]:
    """Each Python of a Windows bundle resolves the toolkit's requirements and pywin32 from the wheel folder alone.
    The requirements are judged for that Python here (requirements(version)): pip would judge the markers of the
    toolkit wheel's own requirements against this machine's Python, not the target's."""
    problems = []
    if not (bundle / WHEELS / manifest["toolkit_wheel"]).is_file():
        problems.append(f"the toolkit's wheel {manifest['toolkit_wheel']} is missing")
    for version in manifest["pythons"]:
        with tempfile.TemporaryDirectory() as tmp:
            run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                                  "--no-index", "--find-links", str(bundle / WHEELS), "--target", tmp,
                                  "--platform", WINDOWS, "--python-version", version, "--only-binary=:all:",
                                  *requirements(version)], capture_output=True, text=True, encoding="utf-8",
                                 check=False, env=offline_env())
        if run.returncode != 0:
            problems.append(f"Python {version}: {run.stderr.strip().splitlines()[-1:]}")
    return problems


def check_host(workdir: Path | None = None) -> int:
    """Build a bundle for this machine, install it into a fresh venv offline, run the demo from an empty folder."""
    with tempfile.TemporaryDirectory(prefix="toolkit-bundle-") as tmp:
        base = Path(workdir or tmp)
        bundle = base / "bundle"
        manifest = build(bundle, None, windows=False, make_zip=False)
        env_dir = base / "venv"
        venv.EnvBuilder(with_pip=True).create(env_dir)
        python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        install = subprocess.run([str(python), *install_args(str(bundle / WHEELS))], capture_output=True,
                                 text=True, encoding="utf-8", check=False, env=offline_env())
        if install.returncode != 0:
            print(f"FAILED: offline install\n{install.stdout[-2000:]}\n{install.stderr[-2000:]}")
            return 1
        print(f"Installed offline: {len(manifest['wheels'])} wheels into {env_dir}")
        empty = base / "trong"
        empty.mkdir()
        demo = subprocess.run([str(python), "-m", "toolkit", "demo", "--no-pdf"], cwd=empty, capture_output=True,
                              text=True, encoding="utf-8", check=False, env={**offline_env(), "PYTHONUTF8": "1"})
        outputs = list((empty / "demo_workspace" / "rounds").rglob("xep_loai_*.xlsx"))
        if demo.returncode != 0 or not outputs:
            print(f"FAILED: toolkit demo after the offline install (exit {demo.returncode})\n"
                  f"{demo.stdout[-2000:]}\n{demo.stderr[-2000:]}")
            return 1
        print(f"toolkit demo from an empty folder: OK ({len(outputs)} classification workbooks)")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="the Windows bundle (needs the package index once)")
    b.add_argument("--out", type=Path, default=ROOT / "dist" / f"toolkit_offline_{project_version()}")
    b.add_argument("--python", nargs="*", help="Python versions (default: every one requires-python allows)")
    b.add_argument("--no-zip", action="store_true")
    sub.add_parser("check-host", help="build for this machine, install offline into a fresh venv, run the demo")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        build(args.out, args.python, windows=True, make_zip=not args.no_zip)
        return 0
    return check_host()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
