"""Numbers, percentages and dates as Vietnamese documents write them (1.234,5; 29,2%; 15/06/2025), for every
writer: Word documents, text in workbooks, CLI lines. Built on Babel's ``vi`` locale. Nothing here ever prints
"nan", "None" or "NaT": a missing value is an empty string (or the ``empty`` given).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal

LOCALE = "vi"


def missing(value: Any) -> bool:
    """None, NaN, NaT, pandas NA, or an empty string."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip() or value.strip().lower() in ("nan", "none", "nat")
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict, set)) else False
    except (TypeError, ValueError, ImportError):
        return False


def _rounded(value: float, digits: int) -> Decimal:
    """Half up to ``digits``; a value that rounds to zero is zero, never "-0" (−0.04 % printed "-0%")."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return rounded if rounded else rounded.copy_abs()


def number(value: Any, digits: int = 1, empty: str = "") -> str:
    """1234567.5 -> '1.234.567,5'; 4.0 -> '4'; 4.55 -> '4,6' (half up); text is returned as it is."""
    if missing(value):
        return empty
    if isinstance(value, bool):
        return "có" if value else "không"
    if not isinstance(value, (int, float, Decimal)):
        return str(value)
    return _formatted(str(float(value)), digits)


def clear_caches() -> None:
    """Forget the formatted numbers kept for speed (see pipeline.release_memory)."""
    _formatted.cache_clear()


@lru_cache(maxsize=1 << 16)
def _formatted(value: str, digits: int) -> str:
    """Babel's formatting of a float given by its shortest repr (what _rounded reads): memoised, since a round's
    documents write the same few thousand figures over and over (Babel takes ~70 µs a number)."""
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(_rounded(float(value), digits), format=pattern, locale=LOCALE)


def once(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` memoised for one batch of values with few distinct ones (a round's deadlines, percentages): each
    computed once and its result shared. Keyed on the value's type and repr, not its equality: 1 == 1.0 == True and
    0.0 == -0.0 in a dict, but each reads its own way."""
    done: dict = {}

    def cached(value: Any) -> Any:
        # a str (not a subclass) is alike any str it equals: keyed on itself (no key of a tuple equals it)
        key = value if type(value) is str else (type(value), repr(value))
        if key not in done:
            done[key] = fn(value)
        return done[key]
    return cached


def seconds(value: float) -> str:
    """1.25 -> '1,3 giây' (the Vietnamese decimal comma, as next to every percentage the toolkit prints)."""
    return f"{number(value, 1) or '0'} giây"


def percent(value: Any, digits: int = 1, empty: str = "") -> str:
    """A percentage already on the 0–100 scale: 29.25 -> '29,3%'."""
    if missing(value):
        return empty
    return number(value, digits) + "%"


def ratio(value: Any, digits: int = 1, empty: str = "") -> str:
    """A share on the 0–1 scale: 0.292 -> '29,2%'."""
    if missing(value):
        return empty
    return percent(float(value) * 100, digits)


def points(value: Any, digits: int = 1, empty: str = "") -> str:
    """Scores: 23.65 -> '23,7'."""
    return number(value, digits, empty)


def day(value: Any, empty: str = "") -> str:
    """15/06/2025; a string that is already a date in ISO form is converted, other text kept."""
    if missing(value):
        return empty
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def moment(value: Any, empty: str = "") -> str:
    """A time the toolkit recorded ("2026-07-15 09:30:12", ISO) as office staff write it: 15/07/2026 09:30."""
    if missing(value):
        return empty
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return when.strftime("%d/%m/%Y %H:%M")


def text(value: Any, empty: str = "") -> str:
    """Any value as text for a document: numbers and dates in Vietnamese style, nothing for missing."""
    if missing(value):
        return empty
    if isinstance(value, (date, datetime)):
        return day(value)
    if isinstance(value, (bool, int, float, Decimal)):  # a yes/no column reads "có"/"không", never "True"
        return number(value, 2)
    return str(value)


def count(n: int, noun: str) -> str:
    """'3 đơn vị' with thousands separators ('1.200 nhiệm vụ')."""
    return f"{number(n, 0)} {noun}"


__all__ = ["number", "percent", "ratio", "points", "day", "text", "count", "missing"]
