"""Settings checked before anything runs: settings.yaml and lists.yaml against a schema (types, ranges, required
keys), every mistake at once, each with its file, key and line, in Vietnamese. Nothing is rewritten: an empty or
broken settings file stops the command (exit 2) instead of being replaced by defaults.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..errors import ToolkitError
from ..periods import parse_period


class SettingsError(ToolkitError):
    """Settings files with mistakes; ``problems`` lists each (file, line, key, what is wrong)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Cấu hình có lỗi, chưa chạy gì (sửa rồi chạy lại lệnh):\n"
                         + "\n".join(f"  - {p}" for p in problems))


# --- YAML text ---------------------------------------------------------------------------------------------

_YAML_PROBLEMS = [  # PyYAML's English, said in Vietnamese
    ("mapping values are not allowed", "dấu ':' đặt sai chỗ (giá trị có dấu ':' cần đặt trong dấu nháy)"),
    ("could not find expected ':'", "thiếu dấu ':' sau tên khoá"),
    ("cannot start any token", "có ký tự không dùng được ở đầu giá trị (thường là phím Tab: thụt lề bằng dấu cách)"),
    ("found unexpected end of stream", "thiếu dấu nháy đóng"),
    ("expected <block end>", "thụt lề không đều giữa các dòng"),
    ("did not find expected key", "thụt lề không đều hoặc thiếu tên khoá"),
    ("did not find expected '-' indicator", "danh sách thụt lề không đều (mỗi mục bắt đầu bằng '- ')"),
    ("found duplicate anchor", "nhãn '&' bị trùng"),
    ("found undefined alias", "tham chiếu '*' tới nhãn không có"),
    ("found character that cannot start", "có ký tự không dùng được ở đầu giá trị"),
    ("unacceptable character", "có ký tự không đọc được (tệp nhị phân hoặc ký tự điều khiển)"),
    ("expected a comment or a line break", "thừa ký tự sau giá trị"),
    ("while parsing a flow", "ngoặc [ ] hoặc { } không đóng"),
]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    text = f"{getattr(exc, 'context', '') or ''} {getattr(exc, 'problem', '') or ''}"
    for needle, said in _YAML_PROBLEMS:
        if needle in text:
            return said
    return "cú pháp YAML sai"


def load_yaml(path: Path, problems: list[str], required: bool = True) -> tuple[Any, dict[str, int]]:
    """(data, line of each key path) of a YAML file; mistakes appended to ``problems`` in Vietnamese."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        from ..machine import describe_os_error

        problems.append(f"{name}: không đọc được ({describe_os_error(exc)})")
        return None, {}
    if b"\x00" in raw[:4096]:
        problems.append(f"{name}: không phải tệp văn bản (tệp nhị phân?); tệp cấu hình phải là văn bản YAML UTF-8")
        return None, {}
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        problems.append(f"{name}, dòng {line}: không phải văn bản UTF-8 (lưu lại tệp với mã UTF-8)")
        return None, {}
    if not text.strip() or all(ln.strip().startswith("#") or not ln.strip() for ln in text.splitlines()):
        if required:
            problems.append(f"{name}: tệp rỗng. Không tự ghi lại cấu hình mặc định (sẽ mất các kỳ, hạn nộp, thông tin "
                            f"văn bản của Văn phòng): khôi phục tệp từ bản sao lưu, hoặc chép cấu hình mẫu rồi sửa")
        return None, {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        problems.append(f"{name}{where}: {_yaml_problem(exc)}")
        return None, {}
    lines: dict[str, int] = {}
    _lines(node, "", lines)
    return data, lines


def _lines(node, path: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{path}.{k.value}" if path else str(k.value)
            out[key] = k.start_mark.line + 1
            _lines(v, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[f"{path}[{i}]"] = v.start_mark.line + 1
            _lines(v, f"{path}[{i}]", out)


def line_of(lines: dict[str, int], key: str) -> int | None:
    """The line of a key path, or of its nearest parent that is in the file."""
    while key:
        if key in lines:
            return lines[key]
        parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", key)
        if parent == key:
            break
        key = parent
    return None


# --- settings.yaml -----------------------------------------------------------------------------------------

def _num(lo=None, hi=None, integer=False, zero_ok=False, lo_open=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            return f"phải là {'số nguyên' if integer else 'số'}"
        if zero_ok and v == 0:
            return ""
        if lo is not None and (v < lo or (lo_open and v == lo)):
            return f"phải {'lớn hơn' if lo_open else 'từ'} {lo:g}{'' if hi is None else f' đến {hi:g}'}" \
                + (" (hoặc 0: không giới hạn)" if zero_ok else "")
        if hi is not None and v > hi:
            return f"phải từ {lo:g} đến {hi:g}" if lo is not None else f"không quá {hi:g}"
        return ""
    return check


def _text(v):
    return "" if v is None or isinstance(v, str) else "phải là chữ (văn bản)"


def _bool(v):
    return "" if isinstance(v, bool) else "phải là true hoặc false"


def _one_of(*values):
    def check(v):
        return "" if v in values else f"phải là một trong: {', '.join(repr(x) for x in values)}"
    return check


def _texts(v):
    if v is None:
        return ""
    if not isinstance(v, list):
        return "phải là danh sách (mỗi dòng bắt đầu bằng '- ')"
    return "" if all(isinstance(x, str) for x in v) else "mỗi mục phải là chữ"


SCHEMA: dict[str, dict[str, Any]] = {
    "office": {"name": _text, "parent_body": _text, "issuing_body": _text, "place": _text, "body_code": _text,
               "doc_number": _text, "signer_prefix": _text, "signer_title": _text, "signer_name": _text,
               "contact": _text, "recipients": _texts, "doc_types": "mapping-text"},
    "intake": {"max_file_mb": _num(0, lo_open=True), "max_uncompressed_mb": _num(0, lo_open=True),
               "max_rows": _num(1, integer=True), "max_columns": _num(1, integer=True),
               "max_issues_per_file": _num(0, integer=True), "timeout_s": _num(0, lo_open=True),
               "max_text_length": _num(1, integer=True), "guess_legacy_encoding": _bool,
               "worker_memory_mb": _num(256, integer=True, zero_ok=True),
               "worker_start": _one_of("", None, "fork", "spawn", "forkserver")},
    "pdf": {"engine": _one_of("auto", "libreoffice", "word"), "soffice": _text},
    "quality": {"similar_title_threshold": _num(0, 1, lo_open=True), "copied_report_threshold": _num(0, 1, lo_open=True),
                "copied_report_min_length": _num(0, integer=True), "generic_phrases": _texts},
}


def check_settings(path: Path) -> dict:
    """The settings file's data, or SettingsError with every mistake."""
    problems: list[str] = []
    data, lines = load_yaml(path, problems)
    if problems:
        raise SettingsError(problems)
    name = path.name

    def bad(key: str, why: str, value: Any = ...) -> None:
        line = line_of(lines, key)
        shown = "" if value is ... else f" (đang là {value!r})"
        problems.append(f"{name}{f', dòng {line}' if line else ''}, {key}: {why}{shown}")

    if not isinstance(data, dict):
        bad("(cấp đầu)", "phải là bảng 'khoá: giá trị' (office, periods, intake...), không phải "
                         f"{_kind(data)}")
        raise SettingsError(problems)
    for section, fields in SCHEMA.items():
        if section not in data or data[section] is None:
            continue
        value = data[section]
        if not isinstance(value, dict):
            bad(section, "phải là bảng 'khoá: giá trị'", value)
            continue
        for key, check in fields.items():
            if key not in value:
                continue
            v = value[key]
            if check == "mapping-text":
                if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
                    bad(f"{section}.{key}", "phải là bảng 'loại văn bản: ký hiệu'", v)
                continue
            why = check(v)
            if why:
                bad(f"{section}.{key}", why, v)
    _check_periods(data.get("periods"), bad)
    kinds = data.get("expected_kinds")
    if kinds is not None:
        if not isinstance(kinds, dict):
            bad("expected_kinds", "phải là bảng 'mã biểu mẫu: [loại đơn vị, ...]'", kinds)
        else:
            for form, v in kinds.items():
                why = _texts(v)
                if why:
                    bad(f"expected_kinds.{form}", why, v)
    if problems:
        raise SettingsError(problems)
    return data


def _check_periods(periods, bad) -> None:

    if periods is None:
        return
    if not isinstance(periods, dict):
        bad("periods", "phải là bảng 'kỳ: {deadline: dd/mm/yyyy, forms: [...]}'", periods)
        return
    for code, entry in periods.items():
        try:
            parse_period(str(code))
        except ToolkitError:
            bad(f"periods.{code}", "không phải kỳ báo cáo (2026, 2026-Q1…Q4, 2026-H1, 2026-9M, 2026-Y, 2026-2030)")
            continue
        if entry is None:
            continue
        if not isinstance(entry, dict):
            bad(f"periods.{code}", "phải là bảng có deadline (hạn nộp) và forms (biểu mẫu)", entry)
            continue
        deadline = entry.get("deadline")
        if deadline is not None and not _is_date(deadline):
            bad(f"periods.{code}.deadline", "không phải ngày (dùng dạng 31/01/2026)", deadline)
        why = _texts(entry.get("forms"))
        if why:
            bad(f"periods.{code}.forms", why, entry.get("forms"))


def period_code(text: Any) -> str | None:
    """The canonical code of a period written by office staff ("2026-q1" -> "2026-Q1"), None if it is none."""
    try:
        return parse_period(str(text)).code
    except ToolkitError:
        return None


def _is_date(value) -> bool:
    if isinstance(value, (date, datetime)):
        return True
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            datetime.strptime(str(value).strip(), fmt)
            return True
        except ValueError:
            pass
    return False


def _kind(value) -> str:
    if isinstance(value, list):
        return "một danh sách"
    if isinstance(value, str):
        return "một dòng chữ"
    if isinstance(value, (int, float)):
        return "một số"
    return type(value).__name__


# --- lists.yaml --------------------------------------------------------------------------------------------

def check_lists(data: Any, lines: dict[str, int], path: Path) -> list[str]:
    """Mistakes of a lists.yaml: a mapping of list name -> list of values."""
    out = []
    if not isinstance(data, dict):
        return [f"{path}, dòng 1: phải là bảng 'tên danh sách: [giá trị, ...]', không phải {_kind(data)}"]
    for key, values in data.items():
        line = line_of(lines, str(key))
        where = f"{path}{f', dòng {line}' if line else ''}, {key}"
        if not isinstance(values, list) or not values:
            out.append(f"{where}: phải là danh sách giá trị (mỗi dòng bắt đầu bằng '- '), đang là {values!r}")
        elif not all(_list_value(v) for v in values):
            out.append(f"{where}: mỗi giá trị phải là chữ hoặc số, hoặc {{value: chữ, meaning: nghĩa}}")
    return out


def _list_value(v: Any) -> bool:
    """A word or number, or a word with its meaning (``{value: Hoàn thành, meaning: done}``)."""
    if isinstance(v, dict):
        return set(v) <= {"value", "meaning"} and _list_value(v.get("value")) and isinstance(v.get("meaning", ""), str)
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def annotate(problems: list[str], path: Path, lines: dict[str, int]) -> list[str]:
    """Add the line to problems of a form definition written as '<path>.<key path>: ...'."""
    out = []
    prefix = str(path)
    for p in problems:
        if p.startswith(prefix + ".") and ": " in p:
            key = p[len(prefix) + 1:].split(": ", 1)[0]
            line = line_of(lines, key)
            if line:
                p = f"{p.rstrip('.')} (dòng {line})"
        out.append(p)
    return out
