"""Safe writes and the workspace lock: a file is replaced whole or not at all, and one collect runs at a time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import WorkspaceError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class atomic_path:
    """Context manager giving a temporary path that replaces ``path`` on success."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.tmp.exists():
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


class workspace_lock:
    """An exclusive lock on the workspace for one collect at a time (a second one waits, then sees the first's
    files as already collected), so the round's result does not depend on how two runs interleave."""

    def __init__(self, root: Path, timeout: float = 1800):
        self.path = Path(root) / ".toolkit.lock"
        self.timeout = timeout
        self.fd: int | None = None

    def __enter__(self) -> "workspace_lock":
        import time

        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _lock(self.fd)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise WorkspaceError(f"Một lượt tiếp nhận khác đang chạy trên thư mục {self.path.parent} "
                                         f"quá {self.timeout:.0f} giây; thử lại sau.") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            _unlock(self.fd)
            os.close(self.fd)
            self.fd = None


def _lock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # per process: not inherited by forked workers


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.lockf(fd, fcntl.LOCK_UN)
