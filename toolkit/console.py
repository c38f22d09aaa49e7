"""The CLI's output: never a crash on an encoding, and click's own words in Vietnamese.

Windows writes a redirected or piped stdout in the ANSI code page (cp1258 Vietnamese, cp1252 Western), which
cannot hold most Vietnamese letters: without care every command dies with UnicodeEncodeError as soon as an
office runs it from a .bat file, Task Scheduler or a pipe. :func:`setup_streams` makes stdout and stderr:

- UTF-8 when they are not a console (a file or a pipe) — what Python's UTF-8 mode does, what Notepad and
  Excel open, and what the toolkit's own files (JSON, settings, logs) always are;
- in their own encoding when they are a console, with an error handler (:func:`error_handler`) so that text degrades
  instead of crashing: in cp1258 a tone mark is written as a combining mark after its letter (as Windows itself
  writes Vietnamese in that code page), elsewhere letters lose the marks the encoding lacks ("Đã tạo" ->
  "Da tao"), and anything else becomes "?".

:func:`speak_vietnamese` translates what click itself prints ("Usage:", "Options:", "Missing option", ...).
Only the CLI imports this module; it imports click but never prints.
"""

from __future__ import annotations

import codecs
import sys
import unicodedata

ERRORS = "vietnamese"
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


def setup_streams(streams=None) -> None:
    """Make stdout and stderr (or ``streams``) safe for any text; see the module's docstring."""
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


def _vietnamese_group():
    import click

    class Command(click.Command):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
            super().__init__(*args, **kwargs)

    class Group(click.Group):
        """click.Group whose usage lines are Vietnamese and whose output is set up by setup_streams()."""

        command_class = Command
        group_class = type  # sub-groups are of this class too

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
            kwargs.setdefault("subcommand_metavar", "LỆNH [THAM SỐ]...")
            super().__init__(*args, **kwargs)

        def main(self, *args, **kwargs):
            setup_streams()
            return super().main(*args, **kwargs)

    return Group


def __getattr__(name: str):
    if name == "VietnameseGroup":  # built on first use, so that importing this module does not import click
        globals()[name] = _vietnamese_group()
        return globals()[name]
    raise AttributeError(name)
