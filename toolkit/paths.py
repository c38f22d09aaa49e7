"""File names that every office PC accepts.

The toolkit builds file names from data — unit codes, form ids, leader ids, the names of the files units
sent. Windows refuses or silently changes some names: reserved device names (``CON``, ``aux.xlsx``,
``COM1.docx``: the part before the first dot counts), the characters ``<>:"/\\|?*`` and control characters,
trailing dots and spaces (dropped by Windows, so two names become one); and its file systems ignore case, so
``BTC_phan_hoi.xlsx`` and ``btc_phan_hoi.xlsx`` are one file there. :func:`safe_filename` makes one name
safe; :func:`distinct_names` keeps a batch of names apart where case (and Unicode normalisation) is ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_DIGITS = "123456789¹²³"  # Windows also reserves COM¹, LPT² ...
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{d}" for d in _DIGITS), *(f"LPT{d}" for d in _DIGITS)}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_NAME = 120  # characters; leaves room for the workspace folders under Windows' 260-character paths


def safe_filename(name: str, max_length: int = MAX_NAME, replacement: str = "_") -> str:
    """``name`` (one file name, not a path) made safe on Windows, macOS and Linux; NFC, extension kept."""
    text = _FORBIDDEN.sub(replacement, unicodedata.normalize("NFC", str(name))).strip(" ")
    text = text.rstrip(". ") or "tep"
    stem, dot, ext = text.rpartition(".") if "." in text.lstrip(".") else (text, "", "")
    if len(ext) > 16 or " " in ext:  # not an extension: a dot inside the name
        stem, dot, ext = text, "", ""
    ext = dot + ext
    if text.split(".")[0].rstrip(" ").upper() in RESERVED:
        stem = replacement + stem
    stem = stem[: max(1, max_length - len(ext))].rstrip(". ") or "tep"
    return stem + ext


def name_key(name: str) -> str:
    """How a case-insensitive file system (Windows, macOS) compares names."""
    return unicodedata.normalize("NFC", name).casefold()


def distinct_names(names: list[str], existing: Iterable[str] = ()) -> list[str]:
    """``names`` in order, renamed (``x_2.xlsx``, ``x_3.xlsx``...) where two of them, or one of them and an
    ``existing`` name that differs from it, would be the same file on a case-insensitive file system. A name
    equal to an existing one stays (it replaces that file: the same output written again)."""
    on_disk = {name_key(e): e for e in existing}
    taken: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        while name_key(candidate) in taken or on_disk.get(name_key(candidate), candidate) != candidate:
            n += 1
            candidate = f"{stem}_{n}{dot}{ext}"
        taken.add(name_key(candidate))
        out.append(candidate)
    return out
