"""Ctrl+C at the console stops a command whatever Python code it lands in (toolkit.console.CtrlCKept)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import make_return, task

RUN = textwrap.dedent("""
    import sys
    import threading
    import time

    import toolkit.pipeline as pipeline


    class Destructor:
        def __del__(self):
            raise KeyboardInterrupt  # Ctrl+C pressed while a destructor ran: CPython cannot raise it there


    def collect(*args, **kwargs):
        Destructor()  # (ended at once)
        if sys.argv[2] == "busy":  # collect's work goes on
            until = time.monotonic() + 10
            while time.monotonic() < until:
                sum(range(1000))
        else:  # waiting for a worker's answer
            threading.Event().wait(10)
        print("collect went on to its end", flush=True)
        sys.exit(7)


    if __name__ == "__main__":  # (the merge's process, spawned, imports this file again)
        pipeline.collect = collect
        from toolkit.cli import cli

        cli(["run", sys.argv[1], "--period", "2025"])
""")


def _cli_script(tmp_path, name: str, code: str, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    script = tmp_path / name
    script.write_text(code, encoding="utf-8")
    started = time.monotonic()
    r = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    return r, time.monotonic() - started


@pytest.mark.parametrize("main_thread", ["busy", "waiting"])
def test_ctrl_c_that_lands_in_a_destructor_still_stops_the_run(ctx, tmp_path, main_thread):
    """Seen on `toolkit run`: Ctrl+C arrived while a garbage-collection callback of SQLAlchemy ran; CPython printed
    "Exception ignored in: ... KeyboardInterrupt" (English) and the run went on to its end. The same interrupt, raised
    in a destructor during collect, now stops the run as any Ctrl+C does: "Đã dừng.", exit code 1, nothing in
    English, and at once rather than after collect, whether the run's main thread computes or waits (for a worker,
    the merge's process)."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    r, took = _cli_script(tmp_path, "run_with_a_destructor.py", RUN, str(ctx.ws.root), main_thread)
    assert "collect went on" not in r.stdout and r.returncode == 1, (r.returncode, r.stdout, r.stderr[-2000:])
    assert "Đã dừng." in r.stderr + r.stdout
    assert "Exception ignored" not in r.stderr and "KeyboardInterrupt" not in r.stderr and "Traceback" not in r.stderr
    assert took < 9  # (the process's start and imports, then the interrupt given again 0.05 s later)


FAILS_ON_A_FULL_DISK = textwrap.dedent("""
    import sys


    class HalfWritten:
        def __del__(self):
            raise OSError(28, "No space left on device")  # a writer left half-open by the fault, at exit


    kept = [HalfWritten()]
    from toolkit.cli import cli

    cli(["status", sys.argv[1], "--period", "2025"])
""")


def test_a_command_that_failed_stays_silent_about_writers_left_half_open(tmp_path):
    """`cli._fail` silences what a fault left half-open (the clerk was told in Vietnamese what happened); the Ctrl+C
    keeper, ending around it, leaves that in place rather than bringing Python's English traceback back."""
    r, _ = _cli_script(tmp_path, "fails.py", FAILS_ON_A_FULL_DISK, str(tmp_path / "no_workspace_here"))
    assert r.returncode == 2 and "Lỗi" in r.stderr, r.stderr[-2000:]
    assert "Exception ignored" not in r.stderr and "Traceback" not in r.stderr and "Errno 28" not in r.stderr
