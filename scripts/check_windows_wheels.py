"""Check, from any OS, that the toolkit installs on a 64-bit Windows office PC with no compiler: every
dependency must resolve to a wheel for win_amd64 (or pure Python) on each supported Python version.

    python scripts/check_windows_wheels.py            # the versions pyproject's requires-python allows
    python scripts/check_windows_wheels.py 3.12 3.13

pip resolves as it would on Windows (``--platform win_amd64 --only-binary=:all: --python-version X``), through
``pip install --dry-run --report``, which reads wheel metadata without downloading the wheels. Environment markers
are still judged for the machine running the check, so the Windows-only pywin32 (xlwings' COM bridge, and the
toolkit's Job Object and Word calls) is named explicitly. Exit code 1 when some version lacks a wheel.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWEST_MINOR = 14  # the newest Python 3 release to check
# dependencies published only as a source archive of pure Python: pip builds them on Windows without a compiler;
# the check builds that same py3-none-any wheel here and lets the resolution find it
PURE_PYTHON_SDISTS = {"red-black-tree-mod": "extract-msg's (Outlook .msg) red-black tree, pure Python"}


def requirements(version: str | None = None) -> list[str]:
    """The runtime requirements as pip on Windows would see them: with ``version``, a requirement whose marker
    leaves it out for that Python (py7zr on 3.14) is left out; markers themselves are dropped (pip would judge
    them against this machine, not the target)."""
    from packaging.markers import Marker

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    windows = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"}
    reqs = []
    for r in project["dependencies"]:
        name, _, marker = r.partition(";")
        if marker.strip() and version and not Marker(marker.strip()).evaluate(
                {**windows, "python_version": version, "python_full_version": f"{version}.0"}):
            continue
        reqs.append(name.strip())
    if not any(re.match(r"pywin32\b", r) for r in reqs):
        reqs.append("pywin32")
    return reqs


def supported_versions() -> list[str]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    low = int(re.search(r">=\s*3\.(\d+)", spec).group(1))
    return [f"3.{m}" for m in range(low, NEWEST_MINOR + 1)]


def pure_wheels(folder: Path) -> list[str]:
    """Build the pure-Python sdists' wheels into ``folder``; pip options that let the resolution use them."""
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
                          "-w", str(folder), *PURE_PYTHON_SDISTS], capture_output=True, text=True, check=False)
    built = [w.name for w in folder.glob("*.whl")]
    if run.returncode != 0 or any(not w.endswith("-py3-none-any.whl") for w in built):
        return []  # the resolution then names the package that has no wheel
    return ["--find-links", str(folder)]


def check(version: str, reqs: list[str]) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        links = pure_wheels(Path(tmp) / "pure")
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--report", str(report), "--target", tmp, *links,
               "--platform", "win_amd64", "--only-binary=:all:", "--python-version", version, *reqs]
        run = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", check=False)
        if run.returncode != 0:
            missing = re.findall(r"(?:satisfies the requirement|distribution found for) ([^\s(]+)", run.stderr)
            reason = ", ".join(dict.fromkeys(missing)) or run.stderr.strip().splitlines()[-1]
            return False, f"no Windows wheel for: {reason}"
        installed = json.loads(report.read_text(encoding="utf-8"))["install"]
    wheels = [i["download_info"]["url"].rsplit("/", 1)[-1] for i in installed]
    bad = [w for w in wheels if not w.endswith(".whl") or not re.search(r"-(win_amd64|any)\.whl$", w)]
    if bad:
        return False, f"not a Windows wheel: {', '.join(bad)}"
    native = sorted(f"{i['metadata']['name']} {i['metadata']['version']}" for i, w in zip(installed, wheels)
                    if w.endswith("win_amd64.whl"))
    return True, f"{len(wheels)} wheels, {len(native)} with Windows binaries ({', '.join(native)})"


def main(argv: list[str]) -> int:
    versions = argv or supported_versions()
    print(f"Requirements: {' '.join(requirements())}")
    failed = 0
    for version in versions:
        ok, detail = check(version, requirements(version))
        failed += not ok
        print(f"Python {version} win_amd64: {'OK' if ok else 'FAILED'} - {detail}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
