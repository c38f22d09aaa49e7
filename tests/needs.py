"""What a test needs from the machine: a free port on 127.0.0.1, and one rule for a real component that is missing
(a server's package, the real-world corpus): skipped with the reason on a developer's clone, a failure in CI
(env ``CI`` set), where .ci/run installs everything."""

from __future__ import annotations

import os
import socket

import pytest


def missing(reason: str, env=None) -> None:
    """Skip the test for this reason, or fail it in CI."""
    env = os.environ if env is None else env
    if env.get("CI"):
        pytest.fail(reason + "; CI requires it", pytrace=False)
    pytest.skip(reason + " (CI requires it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
