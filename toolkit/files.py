"""Safe writes and the workspace lock: a file is replaced whole or not at all (with the mode the user's umask
gives, temporary files of an interrupted writer swept), and one collect runs at a time."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import WorkspaceError
from .machine import read_only_workspace


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: the mode of a file the toolkit writes: what the user's umask gives any new file (mkstemp's 0600 would leave
#: outputs, settings.yaml and don_vi.xlsx unreadable to colleagues on a shared folder)
FILE_MODE = _file_mode()
_SWEPT: set[str] = set()
STALE_TEMP_S = 3600


def temp_prefix() -> str:
    return f".tmp-{os.getpid()}-"


def sweep_temps(folder: Path) -> None:
    """Remove temporary files left in ``folder`` by a writer that was interrupted (killed merge, collect, report):
    those of a process that no longer runs, or older than an hour. Once per folder and process."""
    key = str(folder)
    if key in _SWEPT:
        return
    _SWEPT.add(key)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    import time

    now = time.time()
    for entry in entries:
        if not entry.name.startswith(".tmp-") or not entry.is_file(follow_symlinks=False):
            continue
        pid = entry.name[5:].split("-", 1)[0]
        try:
            alive = pid.isdigit() and _alive(int(pid))
            if not alive and (pid.isdigit() or now - entry.stat().st_mtime > STALE_TEMP_S):
                os.unlink(entry.path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True  # no cheap check without pywin32: left to the age rule
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temps(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
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
        sweep_temps(self.path.parent)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.tmp.exists():
            os.chmod(self.tmp, FILE_MODE)
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


class workspace_lock:
    """An exclusive lock on the workspace for one collect at a time (a second one waits, then sees the first's
    files as already collected), so the round's result does not depend on how two runs interleave."""

    def __init__(self, root: Path, timeout: float = 1800, on_wait=None):
        self.path = Path(root) / ".toolkit.lock"
        self.timeout = timeout
        self.on_wait = on_wait  # called once, when the lock is held by another and the wait begins
        self.fd: int | None = None

    def __enter__(self) -> workspace_lock:
        import time

        try:
            self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):  # the same sentence as the store's
                raise WorkspaceError(read_only_workspace(str(self.path.parent))) from None
            raise
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
                if self.on_wait is not None:
                    self.on_wait()
                    self.on_wait = None
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
