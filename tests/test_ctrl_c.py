"""Ctrl+C at the console stops a command whatever Python code it lands in (toolkit.console.CtrlCKept)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from conftest import make_return, task

RUN = textwrap.dedent("""
    import sys
    import time

    import toolkit.pipeline as pipeline


    class Destructor:
        def __del__(self):
            raise KeyboardInterrupt  # Ctrl+C pressed while a destructor ran: CPython cannot raise it there


    def collect(*args, **kwargs):
        Destructor()  # (ended at once)
        until = time.monotonic() + 10
        while time.monotonic() < until:  # collect's work goes on
            sum(range(1000))
        print("collect went on to its end", flush=True)
        sys.exit(7)


    if __name__ == "__main__":  # (the merge's process, spawned, imports this file again)
        pipeline.collect = collect
        from toolkit.cli import cli

        cli(["run", sys.argv[1], "--period", "2025"])
""")


def test_ctrl_c_that_lands_in_a_destructor_still_stops_the_run(ctx, tmp_path):
    """Seen on `toolkit run`: Ctrl+C arrived while a garbage-collection callback of SQLAlchemy ran; CPython printed
    "Exception ignored in: ... KeyboardInterrupt" (English) and the run went on to its end. The same interrupt, raised
    in a destructor during collect, now stops the run as any Ctrl+C does: "Đã dừng.", exit code 1, nothing in
    English, and at once rather than after collect."""
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01")])
    script = tmp_path / "run_with_a_destructor.py"
    script.write_text(RUN, encoding="utf-8")
    started = time.monotonic()
    r = subprocess.run([sys.executable, str(script), str(ctx.ws.root)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    took = time.monotonic() - started
    assert "collect went on" not in r.stdout and r.returncode == 1, (r.returncode, r.stdout, r.stderr[-2000:])
    assert "Đã dừng." in r.stderr + r.stdout
    assert "Exception ignored" not in r.stderr and "KeyboardInterrupt" not in r.stderr and "Traceback" not in r.stderr
    assert took < 9  # (the process's start and imports, then the interrupt given again 0.05 s later)
