"""Faults that tests inject into real worker processes. Kept in their own small module so that a worker
started with "spawn" can import them (functions are pickled by module and name)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from toolkit.intake.collect import _parse_in_worker

HANG_PREFIX = "treo"  # a returned file whose name starts with this hangs its parsing worker


def hanging_parse(job):
    """The real parse of collect, except that a file named treo*.xlsx hangs the worker (ten minutes)."""
    if Path(job[2]).name.startswith(HANG_PREFIX):
        time.sleep(600)
    return _parse_in_worker(job)


def sleep_then_return(job):
    seconds, value = job
    time.sleep(seconds)
    return value


def started_then_sleep(job):
    """When the worker began the job (the clock's time), after which it sleeps ``job`` seconds."""
    began = time.time()
    time.sleep(job)
    return began


def return_or_die(job):
    """("ok", value): the value; a number: the worker exits with that code, without a reply."""
    if isinstance(job, tuple):
        return job[1]
    os._exit(job)


def close_pipe_and_linger(job):
    """The worker closes its end of the pipe to its parent (Linux: the sockets it holds) and runs on for ``job``
    seconds."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                os.close(int(fd))
        except OSError:
            pass
    time.sleep(job)


def die(job):
    os._exit(job)


def allocate(job):
    return len(bytearray(job * 1024 * 1024))


def native_abort(job):
    os.abort()


def own_memory_limit(job):
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


def note_start(path: str) -> None:
    """An initializer that writes when its worker became ready (the clock's time) to ``path``."""
    Path(path).write_text(repr(time.time()), encoding="utf-8")


def own_priority(_=None) -> int:
    """This process's priority as the OS keeps it: its niceness on POSIX, its priority class on Windows."""
    if os.name == "nt":
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32")
        kernel32.GetCurrentProcess.restype = wintypes.HANDLE
        kernel32.GetPriorityClass.argtypes = (wintypes.HANDLE,)
        kernel32.GetPriorityClass.restype = wintypes.DWORD
        return kernel32.GetPriorityClass(kernel32.GetCurrentProcess())
    return os.getpriority(os.PRIO_PROCESS, 0)


def say_ready(queue) -> None:
    """An initializer handed a multiprocessing Queue: says the worker's pid on it."""
    queue.put(os.getpid())


def broken_init(*args):
    raise RuntimeError("không có thư mục làm việc")


def bomb_workbook(path: Path, rows: int = 2000, cols: int = 100, length: int = 5000) -> Path:
    """A 15 KB .xlsx that passes the zip checks but makes the reader allocate about rows*cols*length bytes:
    every cell points at the same long shared string, which the parser copies into each cell."""
    import zipfile

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        f'</Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Nhiệm vụ" '
        f'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
        f'org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/'
        f'sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        f'</Relationships>',
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {ns} count="1" uniqueCount="1"><si><t>{"A" * length}'
        f'</t></si></sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(f'<?xml version="1.0"?><worksheet {ns}><sheetData>'.encode())
            row = ('<row>' + '<c t="s"><v>0</v></c>' * cols + '</row>').encode()
            for _ in range(rows):
                fh.write(row)
            fh.write(b"</sheetData></worksheet>")
    return path


# --- issue 27: what happens to a file, not what it is ----------------------------------------------------------

KILL_PREFIX = "bi_giet"  # a file whose name starts with this has its reading worker killed (as the OOM killer does)


def killed_once_parse(job):
    """The real parse of collect, except that the worker reading bi_giet*.xlsx is killed with SIGKILL the first
    time (a marker in the workspace remembers it); read again, it is read normally."""
    import signal

    root, rel = job[0], job[2]
    marker = Path(root) / f".killed-{Path(rel).name}"
    if Path(rel).name.startswith(KILL_PREFIX) and not marker.exists():
        marker.write_text("killed")
        os.kill(os.getpid(), signal.SIGKILL)
    return _parse_in_worker(job)


def killed_always_parse(job):
    """The worker reading bi_giet*.xlsx is killed every time (the machine keeps running out of memory)."""
    import signal

    if Path(job[2]).name.startswith(KILL_PREFIX):
        os.kill(os.getpid(), signal.SIGKILL)
    return _parse_in_worker(job)


TRUNCATE_PREFIX = "dang_chep"  # a file whose inbox original is cut short while its copy is being read


def truncated_while_read_parse(job):
    """While the worker reads dang_chep*.xlsx, its original in the inbox is cut to half its size (a clerk copying
    a return over itself); the test restores it afterwards from the copy kept beside it."""
    root, rel = Path(job[0]), job[2]
    if Path(rel).name.startswith(TRUNCATE_PREFIX):
        period = job[4]
        original = root / "rounds" / period.code / "inbox" / rel
        keep = root / f".full-{Path(rel).name}"
        if not keep.exists():
            data = original.read_bytes()
            keep.write_bytes(data)
            with open(original, "r+b") as fh:
                fh.truncate(len(data) // 2)
    return _parse_in_worker(job)


def noisy(job):
    """A job that writes to its worker's stderr, as a dying parser or a native panic does."""
    import sys

    sys.stderr.write("Traceback (most recent call last):\nthread '<unnamed>' panicked at 'index out of bounds'\n")
    sys.stderr.flush()
    os.write(2, b"RUST PANIC TEXT\n")
    return job
