"""Worker processes that bound every job in time and memory, on every OS.

A received workbook is untrusted: a crafted file can hang a parser or make it allocate gigabytes from a
few kilobytes. Each job therefore runs in a worker process:

- time: the *parent* ends a worker whose job runs past ``timeout_s`` (no SIGALRM, which Windows lacks)
  and starts another; that job's outcome is ``timeout`` and the other jobs go on;
- memory: each worker's memory is capped — on POSIX the worker sets ``RLIMIT_AS`` on itself, on Windows
  the parent puts it in a Job Object with a per-process memory limit (pywin32 ``win32job``). A job that
  runs out fails alone (``memory``), whether Python raised MemoryError or a native parser aborted;
- crashes: a worker that dies is replaced; its job's outcome is ``crash`` with the exit code.

Outcomes come back in input order, as a generator, so the caller can store one result while the workers
read the next files. Works with every start method, including ``spawn`` (Windows' only one): the job
function, the jobs and the initializer must pickle, and workers rebuild their state in the initializer.

Why not concurrent.futures or a library: ProcessPoolExecutor cannot end one worker (a dead worker breaks
the whole pool) and has no per-job limit; pools that share one task queue between workers (pebble) must
take care never to kill a worker while it holds the queue's lock. Here each worker has its own pipe, so ending a
worker cannot disturb another. A worker holds the job it runs and the next one (``DEPTH``): it starts the next as
soon as it has sent a result, rather than waiting for the caller (which judges one file after another) to come back
for it; a job still waiting in a worker that is ended goes back in line, charged nothing.

Costs measured on the 2-core Linux machine (see docs/windows.md): starting a worker takes ~40 ms with
``fork`` and ~150-200 ms with ``spawn`` (Windows, macOS), once per collect; a replaced worker costs the same.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from ..errors import WorkerError
from ..issues import make_issue

#: Exit codes of a worker that died from lack of memory under its own cap: a native library aborting on a failed
#: allocation (SIGABRT; Windows' fail-fast 0xC0000409 and abort()'s 3), Windows' STATUS_NO_MEMORY (0xC0000017).
MEMORY_EXITS = {-signal.SIGABRT, 3, 0xC0000409, 0xC0000017}
#: Exit codes of a worker ended from outside (the Linux OOM killer's SIGKILL, a shutdown, an operator): what
#: happened to the machine says nothing about the file the worker was reading.
KILLED_EXITS = {-getattr(signal, name) for name in ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)}
WINDOWS = sys.platform == "win32"
STARTUP_TIMEOUT_S = 120
LOOKAHEAD = 256  # results held for the caller at most (while an earlier job still runs), so memory stays bounded
DEPTH = 2  # jobs a worker holds: the one it runs and the next (see the module's note)


@dataclass(frozen=True)
class Bounds:
    """How jobs are bounded. ``timeout_s`` / ``memory_mb`` of 0 mean no limit."""

    timeout_s: float = 60
    memory_mb: int = 3072
    workers: int = 1
    start_method: str | None = None  # None: the platform's default ("spawn" on Windows and macOS)


@dataclass
class Outcome:
    index: int
    value: Any = None
    failure: str = ""  # "" | "timeout" | "memory" | "crash" | "error"
    detail: str = ""
    seconds: float = 0.0
    exitcode: int | None = None  # of a worker that died with the job

    @property
    def ok(self) -> bool:
        return not self.failure


def run_bounded(fn: Callable[[Any], Any], jobs: Sequence | Later, bounds: Bounds, initializer: Callable | None = None,
                initargs: tuple = (), retry: bool = False) -> Iterator[Outcome]:
    """Run ``fn(job)`` for every job in worker processes; yield one Outcome per job, in input order.

    ``retry``: a job whose worker failed (over time, out of memory, died) is given once more, first in line, to a
    fresh worker; its outcome is the second attempt's (a failure that does not repeat was the machine's).
    Raises WorkerError only when workers cannot start at all; a job's own failure is its Outcome.

    ``jobs`` may be a :class:`Later`: the workers start at once and the jobs are taken when the caller gives them."""
    later = jobs if isinstance(jobs, Later) else None
    if later is None:
        jobs = list(jobs)
        if not jobs:
            return
    mp = multiprocessing.get_context(bounds.start_method)
    job_object = windows_memory_job(bounds.memory_mb) if WINDOWS and bounds.memory_mb else None
    done: dict[int, Outcome] = {}
    retried: set[int] = set()
    spec = _spec(mp, fn, bounds, initializer, initargs)
    workers: list[_Worker] = []
    try:
        count = later.workers if later is not None else len(jobs)
        workers = [_Worker(mp, spec, job_object) for _ in range(max(1, min(bounds.workers, count)))]
        if later is not None:
            jobs = later.wait()  # while the workers start (and import what their function needs)
            if not jobs or later.aborted:
                return
            for w in workers:  # the start's time limit counts from now: a start slowed by the caller's work is no fault
                w.started = time.monotonic()
        pending = deque(enumerate(jobs))
        for nxt in range(len(jobs)):
            while nxt not in done:
                back: list[tuple[int, Any]] = []  # jobs to give again: held behind a failed one, or failed once
                for i, w in enumerate(workers):
                    outcome = w.poll(bounds)
                    if not w.alive:  # ended or died: the jobs it held behind that one were never begun
                        back += w.take_back()
                    if outcome is not None and retry and outcome.failure in ("timeout", "memory", "crash") \
                            and outcome.index not in retried:
                        retried.add(outcome.index)
                        back.append((outcome.index, jobs[outcome.index]))
                    elif outcome is not None:
                        done[outcome.index] = outcome
                    if not w.alive and (pending or back):  # ended or died: a fresh worker takes the next jobs
                        workers[i] = _Worker(mp, spec, job_object)
                if back:  # back in line in the jobs' order: the one the caller needs next comes first
                    pending = deque(sorted([*back, *pending], key=lambda item: item[0]))
                for depth in range(1, DEPTH + 1):  # a job for every idle worker first, then one to wait in each
                    for w in workers:
                        if w.ready and len(w.held) < depth and pending and pending[0][0] < nxt + LOOKAHEAD \
                                and w.takes(pending[0][0], retried):
                            w.give(*pending.popleft())
                if nxt not in done and _wait(workers, bounds, later):
                    return  # the caller aborted
            yield done.pop(nxt)
    finally:
        for w in workers:
            w.stop()
        if later is not None:
            later.close()


def _spec(mp, fn: Callable, bounds: Bounds, initializer: Callable | None, initargs: tuple) -> tuple:
    """What a worker is started with (see _serve). A fresh interpreter gets the function and the initializer pickled
    (by name), and loads them (and with them their modules) once it ignores Ctrl+C and its stderr is quiet: loaded as
    the process started, an interrupt during those imports (the first second of `toolkit run`) printed the child's
    own traceback on the console. ``initargs`` go as the process's arguments, so that what multiprocessing hands to
    a new process its own way (a Queue, a Lock, a Connection) still can be."""
    if mp.get_start_method() == "fork":
        return fn, bounds.memory_mb, initializer, initargs
    return pickle.dumps((fn, initializer)), bounds.memory_mb, None, initargs


class Later:
    """Jobs given after their workers have started: :func:`run_bounded`, run in another thread, starts the workers at
    once and waits here, so that a fresh interpreter's start and imports (~0.7 s for the merge, more on Windows)
    overlap the caller's work (`toolkit run`: collect). ``give(jobs)`` hands them over, once; ``give([])`` ends the
    workers unused (the caller failed before it had a job for them); ``abort()`` ends them now, busy or not, and
    none is started again (Ctrl+C: a worker ended then is not replaced as if it had died on its own)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._jobs: list = []
        self._given = threading.Event()
        self._lock = threading.Lock()
        self.aborted = False
        self._wake_read, self._wake_write = multiprocessing.Pipe(duplex=False)  # wakes run_bounded's wait

    def abort(self) -> None:
        with self._lock:  # (with close(): the pipe is written only while it is open)
            self.aborted = True
            self._given.set()
            if not self._wake_write.closed:
                self._wake_write.send_bytes(b"!")

    @property
    def given(self) -> bool:
        return self._given.is_set()

    def give(self, jobs: Sequence) -> bool:
        """Hand the jobs over; False (and nothing done) when they were given already."""
        with self._lock:
            if self._given.is_set():
                return False
            self._jobs = list(jobs)
            self._given.set()
            return True

    def wait(self) -> list:
        self._given.wait()
        return self._jobs

    def close(self) -> None:
        with self._lock:
            for end in (self._wake_read, self._wake_write):
                end.close()


def _wait(workers: list[_Worker], bounds: Bounds, later: Later | None = None) -> bool:
    """Sleep until a worker has something to say, died, a time limit falls due, or the caller aborts (True)."""
    alive = [w for w in workers if w.alive]
    due = min((w.deadline(bounds) for w in alive), default=float("inf"))
    timeout = None if due == float("inf") else max(0.0, due - time.monotonic())
    wait([w.conn for w in alive] + [w.proc.sentinel for w in alive] + ([later._wake_read] if later else []), timeout)
    return later is not None and later.aborted


MAX_KILLED_STARTING = 20  # workers ended from outside while starting, replaced before the collect gives up


class _Worker:
    killed_starting = 0

    def __init__(self, mp, spec: tuple, job_object) -> None:
        self.conn, child = mp.Pipe(duplex=True)
        self.proc = mp.Process(target=_serve, args=(child, *spec, _parent_pid(mp)), daemon=True, name="toolkit-worker")
        self.proc.start()
        child.close()
        if job_object is not None:
            assign_to_job(job_object, self.proc.pid)
        self.started = time.monotonic()
        self.ready = False
        self.alive = True
        self.held: deque[tuple[int, Any]] = deque()  # (index, job) given, in order: the first is the one it runs
        self.since = 0.0  # monotonic time the first began (given to an idle worker, or its predecessor's result seen)

    def takes(self, index: int, retried: set[int]) -> bool:
        """Whether it may hold job ``index`` behind what it holds (run_bounded keeps to DEPTH): an idle worker takes
        any; a job given again after a failure waits for nobody, and has nobody wait behind it."""
        return not self.held or (index not in retried and self.held[0][0] not in retried)

    def give(self, index: int, job: Any) -> None:
        if not self.held:
            self.since = time.monotonic()
        self.held.append((index, job))
        try:
            self.conn.send((index, job))
        except (OSError, EOFError):  # died meanwhile: poll() sees it and reports the job as a crash
            pass

    def take_back(self) -> list[tuple[int, Any]]:
        """The jobs an ended worker held behind the one it was running (never begun): to be given again."""
        back, self.held = list(self.held), deque()
        return back

    def deadline(self, bounds: Bounds) -> float:
        if not self.ready:
            return self.started + STARTUP_TIMEOUT_S
        if self.held and bounds.timeout_s:
            return self.since + bounds.timeout_s
        return float("inf")

    def poll(self, bounds: Bounds) -> Outcome | None:
        """The outcome of this worker's job if it has one now (finished, failed, died or over time)."""
        if not self.alive:
            return None
        dead = not self.proc.is_alive()  # asked first: all a dead worker sent is in the pipe by now, and read first
        try:
            waiting = self.conn.poll()
        except (EOFError, OSError):  # Windows: a pipe whose other end is gone and holds nothing more says so by raising
            return self._died(bounds)
        if waiting:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                return self._died(bounds)
            if message[0] == "ready":
                self.ready = True
                # ended since (e.g. while it waited for a Later's jobs): replaced before it is given a job
                return self._died(bounds) if dead else None
            if message[0] == "init-failed":
                raise WorkerError(f"Không khởi động được tiến trình đọc tệp: {message[1]}")
            index, failure, value, detail = message
            self.held.popleft()  # (answers come in the order the jobs were given)
            now = time.monotonic()
            outcome = Outcome(index, value, failure, detail, now - self.since)
            self.since = now  # the next job held, if any, began when this one ended
            return outcome
        if dead:
            return self._died(bounds)
        if time.monotonic() >= self.deadline(bounds):
            if not self.ready:
                self.stop()
                raise WorkerError(f"Tiến trình đọc tệp không khởi động được sau {STARTUP_TIMEOUT_S} giây.")
            index, _ = self.held.popleft()
            self.kill()
            return Outcome(index, failure="timeout", detail=f"quá {bounds.timeout_s:g} giây",
                           seconds=time.monotonic() - self.since)
        return None

    def _died(self, bounds: Bounds) -> Outcome | None:
        self.proc.join(5)
        if self.proc.is_alive():  # its end of the pipe is gone but it runs on: of no more use, and not left behind
            self.proc.kill()
            self.proc.join(5)
        code = self.proc.exitcode
        self.alive = False
        self.conn.close()
        if not self.held:
            if not self.ready and (code not in KILLED_EXITS or _Worker.killed_starting >= MAX_KILLED_STARTING):
                raise WorkerError(f"Tiến trình đọc tệp dừng ngay khi khởi động (mã thoát {code}); kiểm tra "
                                  f"intake.worker_memory_mb trong settings.yaml.")
            if not self.ready:  # ended from outside while starting: another one is started
                _Worker.killed_starting += 1
            return None
        index, _ = self.held.popleft()
        memory = bool(bounds.memory_mb) and code in MEMORY_EXITS
        return Outcome(index, failure="memory" if memory else "crash", detail=f"mã thoát {code}",
                       seconds=time.monotonic() - self.since, exitcode=code)

    def kill(self) -> None:
        self.alive = False
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        """End the worker: politely when it is idle, at once when it is still busy or still starting (a fresh
        interpreter importing what its job needs, ended unused: `toolkit run` given a wrong folder)."""
        if not self.alive:
            return
        if not self.held and self.ready:
            try:
                self.conn.send(None)
            except (OSError, EOFError):
                pass
            self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.alive = False
        self.conn.close()


def _serve(conn, fn, memory_mb: int, initializer, initargs, parent_pid: int = 0) -> None:
    """A worker's loop: load the job function (``fn`` as bytes: the pickled function and initializer, whose modules
    are imported here), cap memory, initialise, then answer jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle: it ends the workers
    _quiet_stderr()
    die_with_parent(parent_pid)
    try:
        if isinstance(fn, bytes):
            fn, initializer = pickle.loads(fn)
        if memory_mb:
            limit_own_memory(memory_mb)
        if initializer is not None:
            initializer(*initargs)
    except Exception as exc:
        conn.send(("init-failed", f"{type(exc).__name__}: {exc}"[:500]))
        return
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, job = message
        try:
            reply = (index, "", fn(job), "")
        except MemoryError:
            reply = (index, "memory", None, "MemoryError")
        except Exception as exc:
            reply = (index, "error", None, f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(reply)
        except MemoryError:
            conn.send((index, "memory", None, "MemoryError"))
        except Exception as exc:  # a result that does not pickle
            conn.send((index, "error", None, f"{type(exc).__name__}: {exc}"[:500]))


def _quiet_stderr() -> None:
    """A worker's own stderr (a Python traceback as it dies, a native reader's panic text) is not the clerk's to
    read: what went wrong comes back through the pipe, or as the worker's exit code, and is said in Vietnamese."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    except OSError:
        pass


def process_pool(workers: int, give_way: bool = False) -> concurrent.futures.ProcessPoolExecutor:
    """A plain pool of worker processes for work that cannot hang (feedback copies, Word rendering): its workers end
    with this process, as the bounded pool's do (see :func:`die_with_parent`). ``give_way``: its workers run at a
    lower priority (:func:`lower_priority`)."""
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                                  initargs=(_parent_pid(multiprocessing.get_context()), give_way))


def _start_worker(parent_pid: int, give_way: bool) -> None:
    die_with_parent(parent_pid)
    if give_way:
        lower_priority()


IDLE_PRIORITY_CLASS, BELOW_NORMAL_PRIORITY_CLASS = 0x40, 0x4000  # Windows' priority classes (lower than normal)


def lower_priority() -> bool:
    """This process gives way to the others for the processor: ``nice`` 10 on POSIX, the "below normal" class on
    Windows (unless already as low). For work the run can leave for later while a longer one goes on beside it:
    `toolkit run` renders the Word documents while the merge, one process from start to end, writes the consolidated
    workbook; with equal shares the merge ended alone, ~1 s after the documents at 1,000 units on 2 cores. Only the
    share of a busy processor moves: a machine with a core to spare runs every process as before. False where the
    platform refused."""
    try:
        if sys.platform == "win32":
            import ctypes
            from ctypes import wintypes

            kernel32 = ctypes.WinDLL("kernel32")
            kernel32.GetCurrentProcess.restype = wintypes.HANDLE  # (a pseudo-handle, -1: not an int's worth)
            kernel32.GetPriorityClass.argtypes = (wintypes.HANDLE,)
            kernel32.GetPriorityClass.restype = wintypes.DWORD
            kernel32.SetPriorityClass.argtypes = (wintypes.HANDLE, wintypes.DWORD)
            kernel32.SetPriorityClass.restype = wintypes.BOOL
            me = kernel32.GetCurrentProcess()
            if kernel32.GetPriorityClass(me) in (IDLE_PRIORITY_CLASS, BELOW_NORMAL_PRIORITY_CLASS):
                return True  # (started low, e.g. `start /low`: not raised)
            return bool(kernel32.SetPriorityClass(me, BELOW_NORMAL_PRIORITY_CLASS))
        os.nice(10)
        return True
    except (OSError, AttributeError):
        return False


def _parent_pid(mp) -> int:
    """The pid a worker checks its parent against (see die_with_parent): this process's; 0 (no check) with the
    "forkserver" start method (Linux's default from Python 3.14), whose workers are the fork server's children: each
    took its parent for dead and ended at once."""
    return 0 if mp.get_start_method() == "forkserver" else os.getpid()


def die_with_parent(parent_pid: int = 0) -> None:
    """Linux: a worker ends when its parent is killed, even while busy with a hanging file (on Windows the Job
    Object ends its workers with the parent). A parent killed while this worker was still starting, before the
    request below, sends no signal; and a forked worker holds a copy of the parent's end of its own pipe, so it
    would wait for a job forever: it ends here instead. Also the initializer of every other pool of worker
    processes (feedback copies, Word rendering): a forked worker outliving a killed parent would keep the parent's
    store connection open, and with it a PostgreSQL round lock, until someone ended it by hand."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if parent_pid and os.getppid() != parent_pid:
            os._exit(0)


# --- memory caps ---------------------------------------------------------------------------------

def limit_own_memory(memory_mb: int) -> bool:
    """POSIX: cap this process's address space (RLIMIT_AS). False where the platform has no such limit."""
    try:
        import resource
    except ImportError:  # Windows: the parent's Job Object does it
        return False
    cap = memory_mb * 1024 * 1024
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        return False
    return True


def windows_memory_job(memory_mb: int):
    """Windows: a Job Object whose processes may each commit at most ``memory_mb``; closing its handle
    (the parent exits, even by a crash) ends the workers left in it. Needs pywin32 (xlwings' dependency).

    Runs only on Windows; tests on Linux check it with a stand-in for ``win32job``."""
    import win32job

    job = win32job.CreateJobObject(None, "")
    info = win32job.QueryInformationJobObject(job, win32job.JobObjectExtendedLimitInformation)
    info["ProcessMemoryLimit"] = memory_mb * 1024 * 1024
    info["BasicLimitInformation"]["LimitFlags"] |= (win32job.JOB_OBJECT_LIMIT_PROCESS_MEMORY
                                                    | win32job.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)
    win32job.SetInformationJobObject(job, win32job.JobObjectExtendedLimitInformation, info)
    return job


def assign_to_job(job, pid: int) -> None:
    """Windows: put the process ``pid`` in ``job`` (done before the worker is given any file)."""
    import win32api
    import win32con
    import win32job

    handle = win32api.OpenProcess(win32con.PROCESS_SET_QUOTA | win32con.PROCESS_TERMINATE, False, pid)
    try:
        win32job.AssignProcessToJobObject(job, handle)
    finally:
        win32api.CloseHandle(handle)


def default_workers(n_jobs: int, cap: int | None = None) -> int:
    """Pool size for ``n_jobs``: one worker for a small round (its start costs more than a second worker
    saves), then up to the cores (at most 4, or ``cap``)."""
    limit = cap if cap is not None else min(os.cpu_count() or 1, 4)
    return max(1, min(limit, n_jobs // 20 + 1))


def machine_failure(outcome: Outcome) -> str:
    """Why a job that did not finish failed because of the machine, not of its input ('' for the input's own
    failure: over time or memory twice, a parser that crashes on it). Said to the clerk in Vietnamese."""
    if outcome.failure == "crash" and outcome.exitcode in KILLED_EXITS:
        return (f"tiến trình đọc tệp bị hệ điều hành dừng hai lần ({outcome.detail}), thường do máy thiếu bộ nhớ "
                f"hoặc bị tắt ngang; đóng bớt chương trình (hoặc giảm intake.worker_memory_mb) rồi tiếp nhận lại")
    if outcome.failure == "error":
        return f"lỗi của chương trình đọc tệp ({outcome.detail[:160]})"
    return ""


def failure_issue(outcome: Outcome, bounds: Bounds, file: str):
    """The file-level issue for a job that did not finish: over time, out of memory, or a crashed parser."""
    if outcome.failure == "timeout":
        return make_issue("file-timeout", file=file, seconds=f"{bounds.timeout_s:g}".replace(".", ","))
    if outcome.failure == "memory":
        return make_issue("file-too-large", file=file,
                          detail=f"đọc tệp cần quá {bounds.memory_mb:,} MB bộ nhớ".replace(",", "."))
    return make_issue("file-unreadable", file=file, detail=f"chương trình đọc tệp dừng đột ngột ({outcome.detail})")
