"""Reporting periods: a year, a quarter, a half year, nine months, year end, or a term.

On the bottom floor: the definitions check settings.yaml's period keys with the parser, below the workspace."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .errors import PeriodError

_KINDS = {
    "year": "năm",
    "quarter": "quý",
    "half": "6 tháng",
    "nine": "9 tháng",
    "yearend": "cả năm (tổng kết)",
    "term": "nhiệm kỳ",
}


@dataclass(frozen=True, order=True)
class Period:
    code: str
    kind: str
    start: date
    end: date

    @property
    def year(self) -> int:
        return self.end.year

    @property
    def register_key(self) -> str:
        """The period whose registrations this period reports on (the year, or the term itself)."""
        return self.code if self.kind == "term" else str(self.start.year)

    @property
    def label(self) -> str:
        """Vietnamese label used in templates and documents."""
        y = self.start.year
        if self.kind == "year":
            return f"năm {y}"
        if self.kind == "quarter":
            return f"quý {self.code[-1]} năm {y}"
        if self.kind == "half":
            return f"6 tháng đầu năm {y}"
        if self.kind == "nine":
            return f"9 tháng năm {y}"
        if self.kind == "yearend":
            return f"tổng kết năm {y}"
        return f"nhiệm kỳ {self.start.year}–{self.end.year}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.code


def _help(raw: str = "") -> str:
    """The valid forms, with examples in the year the clerk typed (or this year), never another year's."""
    m = re.search(r"(?<!\d)(20\d\d|2100)(?!\d)", raw or "")
    y = int(m.group(1)) if m else date.today().year
    return (f"Kỳ hợp lệ: năm '{y}', quý '{y}-Q1'…'{y}-Q4', 6 tháng '{y}-H1', 9 tháng '{y}-9M', "
            f"tổng kết năm '{y}-Y', nhiệm kỳ '{y}-{y + 4}'.")


def parse_period(text: str) -> Period:
    """Parse strictly; a bad period raises PeriodError with a Vietnamese message."""
    raw = (text or "").strip()
    # full-width digits (２０２６), dashes typed by word processors: the same period, one code
    s = unicodedata.normalize("NFKC", raw).upper().replace("–", "-").replace("—", "-").replace("−", "-")
    if not s.isascii():
        raise PeriodError(f"Kỳ báo cáo '{raw}' không hợp lệ. {_help(raw)}")
    m = re.fullmatch(r"(\d{4})", s)
    if m:
        y = _year(m.group(1), raw)
        return Period(s, "year", date(y, 1, 1), date(y, 12, 31))
    m = re.fullmatch(r"(\d{4})-Q([1-4])", s)
    if m:
        y, q = _year(m.group(1), raw), int(m.group(2))
        end_month = q * 3
        return Period(s, "quarter", date(y, end_month - 2, 1), _month_end(y, end_month))
    m = re.fullmatch(r"(\d{4})-(H1|9M|Y)", s)
    if m:
        y, k = _year(m.group(1), raw), m.group(2)
        kind, end = {"H1": ("half", date(y, 6, 30)), "9M": ("nine", date(y, 9, 30)),
                     "Y": ("yearend", date(y, 12, 31))}[k]
        return Period(s, kind, date(y, 1, 1), end)
    m = re.fullmatch(r"(\d{4})-(\d{4})", s)
    if m:
        a, b = _year(m.group(1), raw), _year(m.group(2), raw)
        if not a < b <= a + 10:
            raise PeriodError(f"Kỳ '{raw}' không hợp lệ: nhiệm kỳ phải có năm đầu nhỏ hơn năm cuối "
                              f"và dài tối đa 10 năm. {_help(raw)}")
        return Period(s, "term", date(a, 1, 1), date(b, 12, 31))
    raise PeriodError(f"Kỳ báo cáo '{raw}' không hợp lệ. {_help(raw)}")


def _year(text: str, raw: str) -> int:
    y = int(text)
    if not 2000 <= y <= 2100:
        raise PeriodError(f"Kỳ '{raw}' không hợp lệ: năm {y} nằm ngoài khoảng 2000–2100. {_help(raw)}")
    return y


def _month_end(y: int, m: int) -> date:
    return date(y, 12, 31) if m == 12 else date(y, m + 1, 1).fromordinal(date(y, m + 1, 1).toordinal() - 1)
