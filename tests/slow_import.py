"""A module whose import takes a while (as the toolkit's own do in a fresh interpreter: ~0.7 s for the merge), for
tests of worker processes started with "spawn": it writes to $TOOLKIT_TEST_IMPORTING when its import begins."""

from __future__ import annotations

import os
import time
from pathlib import Path

if os.environ.get("TOOLKIT_TEST_IMPORTING"):
    Path(os.environ["TOOLKIT_TEST_IMPORTING"]).write_text(str(os.getpid()), encoding="utf-8")
time.sleep(float(os.environ.get("TOOLKIT_TEST_IMPORT_S", "1.5")))


def double(job):
    return 2 * job
