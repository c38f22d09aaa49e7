"""The CLI's output: never a crash on an encoding, and click's own words in Vietnamese.

Windows writes a redirected or piped stdout in the ANSI code page (cp1258 Vietnamese, cp1252 Western), which
cannot hold most Vietnamese letters: without care every command dies with UnicodeEncodeError as soon as an
office runs it from a .bat file, Task Scheduler or a pipe. :func:`setup_streams` makes stdout and stderr:

- UTF-8 when they are not a console (a file or a pipe) — what Python's UTF-8 mode does, what Notepad and
  Excel open, and what the toolkit's own files (JSON, settings, logs) always are;
- in their own encoding when they are a console, with an error handler (:func:`error_handler`) so that text degrades
  instead of crashing: in cp1258 a tone mark is written as a combining mark after its letter (as Windows itself
  writes Vietnamese in that code page), elsewhere letters lose the marks the encoding lacks ("Đã tạo" ->
  "Da tao"), and anything else becomes "?";
- guarded (:class:`StreamGuard`): a file a command's output is redirected into (``> ket_qua.txt``) starts with the
  UTF-8 byte order mark, which Excel needs to read UTF-8 (Notepad reads it either way) — not a pipe, not a file
  already holding text (``>>``), not machine formats (``--json``, ``--markdown``); a reader that closes the pipe
  early (``| head -2``, ``| findstr``) no longer kills the command: the rest of the output is dropped, the work is
  finished, and the exit code is the command's own.

:func:`speak_vietnamese` translates what click itself prints ("Usage:", "Options:", "Missing option", ...).
Only the CLI imports this module; it imports click but never prints.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
import sys
import unicodedata

ERRORS = "vietnamese"
MACHINE_FORMATS = {"--json", "--markdown"}  # output read by programs: no byte order mark
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # grave, acute, tilde, hook above, dot below
_PLAIN = str.maketrans({"đ": "d", "Đ": "D"})


def degrade(char: str, encoding: str) -> str:
    """The closest text to ``char`` that ``encoding`` can write."""
    decomposed = unicodedata.normalize("NFD", char)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    candidates = (base + "".join(c for c in decomposed if c in _TONES),  # cp1258: "ộ" -> "ô" + dot below
                  base,
                  "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_PLAIN))
    for text in candidates:
        try:
            text.encode(encoding)
            return text
        except (UnicodeEncodeError, LookupError):
            continue
    return "?"


def error_handler(encoding: str) -> str:
    """The name of an error handler that degrades text for ``encoding`` (registered on first use). One per
    encoding, because code-page codecs report themselves as "charmap" to error handlers."""
    name = f"{ERRORS}-{codecs.lookup(encoding).name}"
    try:
        codecs.lookup_error(name)
    except LookupError:
        def handler(exc: UnicodeError):
            if not isinstance(exc, UnicodeEncodeError):
                raise exc
            return "".join(degrade(c, encoding) for c in exc.object[exc.start:exc.end]), exc.end

        codecs.register_error(name, handler)
    return name


def setup_streams(streams=None, machine_output: bool = False) -> None:
    """Make stdout and stderr (or ``streams``) safe for any text; see the module's docstring. With no ``streams``,
    sys.stdout and sys.stderr are also replaced by guards (``machine_output``: no byte order mark)."""
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        try:
            console = stream.isatty()
        except (ValueError, OSError):
            continue
        try:
            if console:
                stream.reconfigure(errors=error_handler(stream.encoding))
            else:
                stream.reconfigure(encoding="utf-8", errors=error_handler("utf-8"))
        except (ValueError, OSError, LookupError):
            continue
    if streams is None:
        if sys.stdout is not None and not isinstance(sys.stdout, StreamGuard):
            sys.stdout = StreamGuard(sys.stdout, bom=not machine_output)
        if sys.stderr is not None and not isinstance(sys.stderr, StreamGuard):
            sys.stderr = StreamGuard(sys.stderr, bom=not machine_output)


BOM = "\ufeff"
_CLOSED = {errno.EPIPE, errno.EINVAL}  # Windows reports a closed pipe as EINVAL


def starts_empty_file(stream) -> bool:
    """True when ``stream`` writes into a regular file that holds nothing yet (a fresh ``>`` redirection)."""
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == 0


class StreamGuard:
    """A text stream that writes the UTF-8 byte order mark first into a fresh file, and survives a closed pipe."""

    def __init__(self, stream, bom: bool = True):
        self._stream = stream
        self._bom = bom
        self.closed_pipe = False

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def _start(self) -> None:
        self._bom = False
        if starts_empty_file(self._stream) and str(getattr(self._stream, "encoding", "")).lower().replace("-", "") \
                in ("utf8", "utf8sig"):
            self._stream.write(BOM)
            self._stream.flush()  # at once: stdout and stderr redirected to one file (2>&1) must not both write it

    def write(self, text) -> int:
        if self.closed_pipe:
            return len(text)
        try:
            if self._bom:
                self._start()
            return self._stream.write(text)
        except OSError as exc:
            return self._closed(exc, len(text))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.closed_pipe:
            return
        try:
            self._stream.flush()
        except OSError as exc:
            self._closed(exc, 0)

    def _closed(self, exc: OSError, n: int) -> int:
        if exc.errno not in _CLOSED and not isinstance(exc, BrokenPipeError):
            raise exc
        self.closed_pipe = True
        try:  # what is still buffered would fail again when Python exits: send it nowhere
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (AttributeError, ValueError, OSError):
            pass
        return n


# --- click in Vietnamese ------------------------------------------------------------------------------

VI = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số",
    "Show this message and exit.": "Hiển thị hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiển thị phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: {command} {option}",
    "Missing command.": "Thiếu lệnh.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị của {param_hint} không hợp lệ: {message}",
    "Aborted!": "Đã dừng.",
    "unknown error": "lỗi không xác định",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải {number_type} hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} không phải giá trị đúng/sai. Dùng một trong: {states}",
    "file": "tệp", "directory": "thư mục", "path": "đường dẫn",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp, cần một thư mục.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục, cần một tệp.",
    "{name} {filename!r} is not readable.": "Không đọc được {name} {filename!r}.",
    "{name} {filename!r} is not writable.": "Không ghi được vào {name} {filename!r}.",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "(deprecated)": "(không còn dùng)",
    "env var: {var}": "biến môi trường: {var}",
    "Do you want to continue?": "Tiếp tục?",
    "Press any key to continue...": "Nhấn một phím bất kỳ để tiếp tục...",
    # ngettext: Vietnamese has one form, so singular and plural map to the same words
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa tham số ({args})",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không thuộc: {choices}.",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
}


def _gettext(message: str) -> str:
    return VI.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def speak_vietnamese() -> None:
    """Translate click's own messages. Click looks each one up through the name ``_`` (gettext) of its
    modules at the time it prints, so this replaces that name; strings it does not know stay in English."""
    import click

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui"):
        module = getattr(click, name, None) or sys.modules.get(f"click.{name}")
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext


# metavars by click type name, for options and arguments that do not name their own ("TEXT" -> "GIÁ_TRỊ")
METAVARS = {"text": "GIÁ_TRỊ", "integer": "SỐ", "float": "SỐ", "file": "TỆP", "directory": "THƯ_MỤC",
            "path": "ĐƯỜNG_DẪN", "boolean": "CÓ|KHÔNG"}


class CtrlCKept:
    """Ctrl+C stops a command, even when it lands in a destructor or a garbage-collection callback.

    CPython turns Ctrl+C into KeyboardInterrupt in whatever Python code runs at that instant. When that is a
    ``__del__`` or a weakref callback (SQLAlchemy keeps some; the collector runs them at any allocation), CPython
    cannot raise it there: it prints "Exception ignored in: ... KeyboardInterrupt" in English and the command goes
    on to its end. Seen once in seven tries on `toolkit run`. Within this context such an interrupt is said nowhere
    and given again to the main thread a moment later, by a thread of its own (started on entering: the hook, which
    runs inside the callback, only sets an event), so that it lands after the callback has returned: as a real
    SIGINT to the main thread on POSIX, which also ends a wait it is blocked in (a render's result, the merge's
    process), as ``signal.raise_signal`` on Windows, where Python's handler also sets the event its waits watch. The
    command then stops as for any Ctrl+C ("Đã dừng."). An interrupt not yet given again when the command ends is
    dropped (the command is over). Any other exception of a destructor goes to the hook there was before; a hook set
    meanwhile (`cli._fail` silences a writer half-open after a disk fault) is left in place."""

    DELAY_S = 0.05

    def __enter__(self) -> CtrlCKept:
        import threading

        self.before = sys.unraisablehook
        self.main = threading.main_thread().ident
        self.asked, self.lock, self.closed = threading.Event(), threading.Lock(), False
        if threading.current_thread() is threading.main_thread():  # (signals reach the main thread only)
            try:
                threading.Thread(target=self._again, name="toolkit-ctrl-c", daemon=True).start()
                sys.unraisablehook = self._hook
            except RuntimeError:  # (no thread can start: Python's own behaviour)
                pass
        return self

    def __exit__(self, *exc) -> None:
        with self.lock:
            self.closed = True
        self.asked.set()  # (the thread ends)
        if sys.unraisablehook == self._hook:
            sys.unraisablehook = self.before

    def _hook(self, unraisable) -> None:
        import threading

        if isinstance(unraisable.exc_value, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
            self.asked.set()
        else:
            self.before(unraisable)

    def _again(self) -> None:
        import signal
        import time

        while True:
            self.asked.wait()
            time.sleep(self.DELAY_S)
            with self.lock:
                if self.closed:
                    return
                self.asked.clear()
                if not callable(signal.getsignal(signal.SIGINT)):  # ignored, or the OS's default (which would kill)
                    continue
                if hasattr(signal, "pthread_kill"):
                    signal.pthread_kill(self.main, signal.SIGINT)
                else:
                    signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def _ends_program(program: bool):
    try:
        yield
    except SystemExit as done:
        if program:
            end_program(done.code)
        raise


def end_program(code) -> None:
    """End the program with ``code`` (as ``sys.exit`` takes it) once its command is done, without Python's
    teardown, which frees every object and module one by one: ~0.35 s after `toolkit run` at 1,000 units (pandas,
    matplotlib and numpy's modules alone ~0.25 s), on one core, after the clerk has read the last line. What the
    teardown does that matters is done first: the exit functions (logging's flush, multiprocessing's and
    concurrent.futures' ends of their workers, temporary folders) and both streams flushed. Every file the toolkit
    writes is closed, and every store write committed, before its command returns. Returns (and the caller exits
    as usual) while a thread of the program's own still runs (such a thread is waited for at a normal exit, and the
    exit functions of its library with it: concurrent.futures' threads), or under a profiler, a debugger or a tracer
    (cProfile, pdb, trace: they write what they found once the program has returned to them)."""
    import atexit
    import threading

    tracer = sys.gettrace()  # (coverage's tracer saves what it found in an exit function: it is run below)
    if sys.getprofile() is not None or (tracer is not None and not type(tracer).__module__.startswith("coverage")):
        return
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread()):
        return
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # (sys.exit("text"): the text on stderr, status 1)
        print(code, file=sys.stderr)
        status = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BrokenPipeError:  # (a reader gone: nothing more can be said to it, as StreamGuard has it)
                pass
            except (OSError, ValueError):  # (a full disk under a redirection): as Python ends then, 120
                status = status or 120
        os._exit(status & 0xFF if os.name != "nt" else status)


def _metavar(param) -> str | None:
    import click

    kind = param.type
    if isinstance(kind, click.Path):
        return "TỆP" if not kind.dir_okay else "THƯ_MỤC" if not kind.file_okay else "ĐƯỜNG_DẪN"
    return METAVARS.get(getattr(kind, "name", ""))


def _vietnamese_group():
    import click

    class Command(click.Command):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
            super().__init__(*args, **kwargs)
            for param in self.params:
                if param.metavar is None and not getattr(param, "is_flag", False):
                    param.metavar = _metavar(param)

    class Group(click.Group):
        """click.Group whose usage lines are Vietnamese, whose commands also answer to Vietnamese names
        (:meth:`alias`), and whose output is set up by setup_streams()."""

        command_class = Command
        group_class = type  # sub-groups are of this class too

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
            kwargs.setdefault("subcommand_metavar", "LỆNH [THAM_SỐ]...")
            super().__init__(*args, **kwargs)
            self.aliases: dict[str, str] = {}

        def alias(self, name: str, *aliases: str) -> None:
            """Let ``aliases`` (Vietnamese names without marks, e.g. "tiep-nhan") call the command ``name``."""
            for a in aliases:
                self.aliases[a] = name

        def get_command(self, ctx, cmd_name):
            return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

        def resolve_command(self, ctx, args):
            name, cmd, rest = super().resolve_command(ctx, args)
            return (cmd.name if cmd else name), cmd, rest

        def format_commands(self, ctx, formatter):
            names = {}
            for a, n in self.aliases.items():
                names.setdefault(n, []).append(a)
            rows = []
            for sub in self.list_commands(ctx):
                cmd = self.get_command(ctx, sub)
                if cmd is None or cmd.hidden:
                    continue
                rows.append((", ".join([sub, *names.get(sub, [])]), cmd.get_short_help_str(formatter.width - 30)))
            if rows:
                with formatter.section(_gettext("Commands")):
                    formatter.write_dl(rows)

        def main(self, args=None, *rest, **kwargs):
            words = sys.argv[1:] if args is None else list(args)
            setup_streams(machine_output=bool(MACHINE_FORMATS & set(words)))
            # the program itself (not a caller's cli.main([...])) ends once its command is done
            with _ends_program(args is None and kwargs.get("standalone_mode", True)), CtrlCKept():
                return super().main(args, *rest, **kwargs)

    return Group


# --- the CLI's contract: exit codes and the --json document --------------------------------------------------

EXIT_OK, EXIT_DATA, EXIT_FAIL = 0, 1, 2
EXIT_CODES = {
    EXIT_OK: "xong, không có lỗi dữ liệu",
    EXIT_DATA: "xong, nhưng có lỗi dữ liệu: có tệp bị trả lại (collect, status, run) hoặc định nghĩa biểu mẫu có lỗi "
               "(forms check)",
    EXIT_FAIL: "không chạy được: thiếu thư mục, kỳ sai, cấu hình hỏng, gõ sai lệnh hoặc tùy chọn, kỳ chưa phát hành "
               "biểu mẫu và chưa nhận tệp nào",
}
SCHEMA_VERSION = 1
ENVELOPE = ("schema_version", "command", "period", "exit_code", "written", "error")


def json_document(command: str, result, exit_code: int = EXIT_OK, period: str | None = None,
                  written=(), error: str | None = None) -> dict:
    """What every command prints with --json (docs/ket-qua-lenh.md): the envelope — schema_version, command,
    period, exit_code, written (the files the command wrote, as paths), error (the message when it could not
    run) — and the library result's own keys beside it (a list result goes under "items")."""
    doc = {"schema_version": SCHEMA_VERSION, "command": command, "period": period, "exit_code": exit_code,
           "written": [str(p) for p in written if p], "error": error}
    if isinstance(result, dict):
        clash = set(result) & (set(ENVELOPE) - {"period"})
        if clash:
            raise ValueError(f"result keys {sorted(clash)} clash with the JSON envelope")
        doc.update(result)
        if doc["period"] is None:
            doc["period"] = period
    elif result is not None:
        doc["items"] = result
    return doc


def __getattr__(name: str):
    if name == "VietnameseGroup":  # built on first use, so that importing this module does not import click
        globals()[name] = _vietnamese_group()
        return globals()[name]
    raise AttributeError(name)
