"""The font the report's charts are drawn in: the first family of a preference list whose font file, as
matplotlib resolves it on this machine, has every letter the chart draws (and the whole Vietnamese alphabet).

A family name is not enough: on a Linux machine with both Debian's fonts-liberation 1.07 and fonts-liberation2,
matplotlib resolves "Liberation Serif" to the 1.07 file, which lacks ơ ả ệ ị ở ụ ủ ữ ự ỵ Ỹ, and draws boxes.
DejaVu Serif ships inside matplotlib and covers Vietnamese, so the list always ends with a family that works.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from functools import lru_cache

# every letter of Vietnamese, lower and upper case, with the Vietnamese digits' neighbours and punctuation used
VIETNAMESE = ("aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
              "–—…%,.;:()")
VIETNAMESE = VIETNAMESE + VIETNAMESE.upper()
LAST_RESORT = ["DejaVu Serif", "DejaVu Sans"]  # shipped with matplotlib on every OS


@lru_cache(maxsize=64)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except Exception:  # an unreadable font file covers nothing
        return frozenset()


def font_file(family: str) -> str | None:
    """The file matplotlib draws ``family`` with on this machine, or None when it has no such family."""
    from matplotlib import font_manager

    try:
        return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except (ValueError, RuntimeError):
        return None


def missing_letters(family: str, text: str) -> str:
    """The characters of ``text`` the font of ``family`` cannot draw (all of them when it is not installed)."""
    path = font_file(family)
    wanted = {ch for ch in text if not ch.isspace()}
    have = _charmap(path) if path else frozenset()
    return "".join(sorted(ch for ch in wanted if ord(ch) not in have))


def chart_fonts(texts, candidates: list[str]) -> list[str]:
    """matplotlib's font.family for a chart drawing ``texts``: the first candidate covering them and Vietnamese,
    then the rest as a per-glyph fallback list (a letter outside every font is drawn from the last resort)."""
    text = VIETNAMESE + "".join(str(t) for t in texts)
    covering = [f for f in [*candidates, *LAST_RESORT] if font_file(f) and not missing_letters(f, text)]
    if not covering:  # exotic characters no font here has: the family covering the most comes first
        covering = sorted((f for f in [*candidates, *LAST_RESORT] if font_file(f)),
                          key=lambda f: len(missing_letters(f, text))) or LAST_RESORT[:1]
    return list(dict.fromkeys([*covering, *LAST_RESORT]))


def chart_label(text: str, width: int, lines: int = 1) -> str:
    """A bar's label: whole words in at most ``lines`` lines of ``width`` characters; a longer text ends with "…".
    (Cut at a fixed length, "… ý kiến của trung ương, bộ ngàn" read as another word.) Codes with hyphens
    ("NĐ-CP") are words too."""
    parts = textwrap.wrap(" ".join(str(text).split()), width, break_on_hyphens=False) or [""]
    if len(parts) > lines:
        rest = " ".join(parts[lines - 1:])
        last = textwrap.shorten(rest, width, placeholder=" …", break_on_hyphens=False)
        if last == "…":  # (one word longer than the line)
            last = rest[:width - 1] + "…"
        parts = parts[:lines - 1] + [last]
    return "\n".join(parts)


def chart_labels(texts: list[str], width: int, lines: int = 1) -> list[str]:
    """:func:`chart_label` of each text; texts whose labels would read alike keep their last words instead ("Ban
    Tuyên giáo và Dân vận … (cơ quan A)"), where two units' names most often differ."""
    labels = [chart_label(t, width, lines) for t in texts]
    alike = Counter(labels)
    return [_both_ends(t, width) if alike[label] > 1 and label != " ".join(str(t).split()) else label
            for t, label in zip(texts, labels)]


def _both_ends(text: str, width: int) -> str:
    words = " ".join(str(text).split()).split(" ")
    tail: list[str] = []
    while len(words) > 1 and len(" ".join([words[-1], *tail])) <= width // 2:
        tail.insert(0, words.pop())
    if not tail:  # one word longer than half the line: its end
        return "…" + words[-1][-(width // 2):]
    end = " ".join(tail)
    head = textwrap.shorten(" ".join(words), max(width - len(end) - 1, 4), placeholder=" …", break_on_hyphens=False)
    return f"{head} {end}" if head not in ("", "…") else f"… {end}"


__all__ = ["chart_fonts", "chart_label", "chart_labels", "missing_letters", "font_file", "VIETNAMESE"]
