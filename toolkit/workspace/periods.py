"""Reporting periods, under the name the stages imported them by: the parser itself is on the bottom floor
(toolkit/periods.py), since the definitions check settings.yaml's period keys with it. New code imports
``toolkit.periods``."""

from __future__ import annotations

from ..periods import Period, parse_period

__all__ = ["Period", "parse_period"]
