"""The Calendar: the periods a workspace knows, parsed once.

A period is known when settings.yaml names it (a round was prepared for it), when the register holds tasks
registered for it (a year, a term), or when returns were received for it. The Calendar answers which of them
are terms, which register a progress round follows (its year, and every term covering that year), and which
periods came earlier; a code that is not a period (a hand-edited settings key) is simply not one of them, so
nobody has to parse stored text again under ``try/except``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from ..errors import ToolkitError
from ..periods import Period, parse_period


@lru_cache(maxsize=4096)
def period_of(code: str | None) -> Period | None:
    """The period a stored code names, or None for a code that is not one (parsed once per process)."""
    if not code:
        return None
    try:
        return parse_period(str(code))
    except (ToolkitError, ValueError, TypeError):
        return None


def period_label(code: str | None) -> str:
    """"6 tháng đầu năm 2025" for "2025-H1"; the code itself when it is not a period."""
    p = period_of(code)
    return p.label if p else (code or "")


class Calendar:
    def __init__(self, codes: Iterable[str]):
        periods = {p.code: p for p in (period_of(c) for c in codes) if p is not None}
        self.periods: list[Period] = sorted(periods.values(), key=lambda p: (p.end, p.start, p.code))

    @classmethod
    def of(cls, settings: dict, stored: Iterable[str] = ()) -> Calendar:
        """From settings.yaml's periods and the codes the store knows (register keys, periods with returns)."""
        return cls([*(settings.get("periods") or {}), *stored])

    @property
    def terms(self) -> list[Period]:
        return sorted((p for p in self.periods if p.kind == "term"), key=lambda p: p.code)

    def register_keys(self, period: Period) -> list[str]:
        """The registers a round of ``period`` reports on: a term's own; else its year, and every term that covers
        that year."""
        if period.kind == "term":
            return [period.code]
        year = period.start.year
        return [str(year)] + [t.code for t in self.terms if t.start.year <= year <= t.end.year]

    def earlier(self, period: Period, codes: Iterable[str] | None = None, same_year: bool = False) -> list[Period]:
        """Periods (of ``codes``, else every known one) that end before ``period`` ends, oldest first."""
        pool = self.periods if codes is None else [p for p in map(period_of, codes) if p is not None]
        out = [p for p in pool if p.end < period.end and (not same_year or p.start.year == period.start.year)]
        return sorted(out, key=lambda p: (p.end, p.code))


__all__ = ["Calendar", "period_of", "period_label"]
