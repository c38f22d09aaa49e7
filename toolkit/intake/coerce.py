"""Value coercion by column type, with the habits of Vietnamese offices.

Each function takes the raw cell value (as python-calamine gives it: str, float, int, bool, date,
datetime, or '') and returns ``(value, problem)``; ``problem`` is None or a short Vietnamese detail.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from ..text import fold

_EXCEL_EPOCH = date(1899, 12, 30)
_MONTH_WORDS = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{2,4})")
_DMY = re.compile(r"(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{2,4})")
_YMD = re.compile(r"(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})")
_NUM_CLEAN = re.compile(r"[\s\u00a0\u202f']")
_TRUE = {"co", "x", "yes", "y", "true", "1", "dung", "v"}
_FALSE = {"khong", "no", "n", "false", "0", "sai"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def to_number(value: Any) -> tuple[float | None, str | None]:
    if isinstance(value, bool):
        return None, "giá trị đúng/sai"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None, "không phải số hữu hạn"
        return float(value), None
    if isinstance(value, (date, datetime)):
        return None, "là ngày tháng"
    text = _NUM_CLEAN.sub("", str(value)).lower()
    text = re.sub(r"(đồng|đ|vnd|người|%)$", "", text)
    if not text:
        return None, "rỗng"
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if not re.fullmatch(r"[0-9.,]+", text) or not re.search(r"\d", text):
        return None, "không phải số"
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):  # 1.234,5 (Vietnamese)
            text = text.replace(".", "").replace(",", ".")
        else:  # 1,234.5 (English)
            text = text.replace(",", "")
    elif "," in text:
        parts = text.split(",")
        if len(parts) > 2:
            if not all(len(p) == 3 for p in parts[1:]):
                return None, "không phải số"
            text = text.replace(",", "")  # 1,234,567
        else:
            text = text.replace(",", ".")  # 1,5 -> decimal comma
    elif text.count(".") > 1:
        parts = text.split(".")
        if all(len(p) == 3 for p in parts[1:]):
            text = text.replace(".", "")  # 1.234.567
        else:
            return None, "không phải số"
    elif "." in text:
        whole, frac = text.split(".")
        if len(frac) == 3 and whole and whole != "0":
            text = whole + frac  # 1.234 -> thousands separator in Vietnamese habits
    try:
        return sign * float(text), None
    except ValueError:
        return None, "không phải số"


def to_integer(value: Any) -> tuple[int | None, str | None]:
    number, problem = to_number(value)
    if problem:
        return None, problem
    if not float(number).is_integer():
        return None, "không phải số nguyên"
    return int(number), None


def to_percent(value: Any) -> tuple[float | None, str | None]:
    """80%, '80 %', 80 and 0.8 all mean 80 (a stored fraction below 1 is Excel's percent format)."""
    is_text_pct = isinstance(value, str) and "%" in value
    number, problem = to_number(value)
    if problem:
        return None, problem
    if not is_text_pct and 0 < number < 1:
        number *= 100
    return round(number, 6), None


NOT_A_DATE = "không phải ngày"  # (any other problem of to_date: written as a date, but not a real one)


def to_date(value: Any) -> tuple[date | None, str | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, bool):
        return None, NOT_A_DATE  # (TRUE/FALSE in a date cell)
    if isinstance(value, (int, float)):
        if 1 <= value <= 2958465:
            result = _EXCEL_EPOCH + timedelta(days=int(value))
            if 1990 <= result.year <= 2100:
                return result, None
        return None, NOT_A_DATE
    text = fold(value) if not re.search(r"\d[/\-.]\d", str(value)) else str(value).strip()
    m = _MONTH_WORDS.search(fold(value))
    if m:
        return _mk(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _YMD.fullmatch(text)
    if m:
        return _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DMY.fullmatch(text)
    if m:
        return _mk(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None, NOT_A_DATE


def _mk(y: int, m: int, d: int) -> tuple[date | None, str | None]:
    if y < 100:
        y += 2000
    try:
        result = date(y, m, d)
    except ValueError:  # written as a date, but not one of the calendar: say which part is wrong
        if not 1 <= m <= 12:
            return None, f"không có tháng {m}"
        if 1 <= y <= 9999 and d > 0:
            return None, f"tháng {m}/{y} chỉ có {calendar.monthrange(y, m)[1]} ngày"
        return None, f"không có ngày {d}"
    if not 1990 <= result.year <= 2100:
        return None, "năm ngoài khoảng 1990–2100"
    return result, None


def to_bool(value: Any) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    key = fold(value)
    if key in _TRUE:
        return True, None
    if key in _FALSE:
        return False, None
    return None, "không phải có/không"


def to_choice(value: Any, choices: tuple[str, ...]) -> tuple[str | None, str | None]:
    key = fold(value)
    for choice in choices:
        if fold(choice) == key:
            return choice, None
    return None, "không có trong danh sách"
