"""The meanings behind the words of lists.yaml: a status a unit reports is judged by what it means (done, done
beyond target, on schedule, behind, not started, not done, adjustment requested), never by how it is spelled.

A list item of lists.yaml is a word, or ``{value: word, meaning: name}``. The shipped lists give every status its
meaning; a workspace's own list that gives none takes the meaning of the shipped word it matches (by folded
spelling), so an office that renames a status also says what it means.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from .. import resources
from ..text import fold

# every meaning a status can carry, in the order of the shipped list
STATUS_MEANINGS = ("not_started", "on_schedule", "behind", "done", "done_beyond", "not_done", "adjust")
COMPLETED = frozenset({"done", "done_beyond"})  # the task is finished


def list_items(items: Any) -> list[tuple[str, str | None]]:
    """(word, meaning) pairs of one list of lists.yaml (a meaning is None where the item gives none)."""
    out = []
    for item in items or ():
        if isinstance(item, dict):
            out.append((str(item.get("value", "")), item.get("meaning")))
        else:
            out.append((str(item), None))
    return out


@lru_cache(maxsize=1)
def shipped_lists() -> dict[str, list[tuple[str, str | None]]]:
    data = yaml.safe_load((resources() / "forms" / "lists.yaml").read_text(encoding="utf-8")) or {}
    return {name: list_items(items) for name, items in data.items()}


def shipped_meaning(list_name: str, word: str) -> str | None:
    key = fold(word)
    return next((m for w, m in shipped_lists().get(list_name, []) if fold(w) == key), None)


def status_word(meaning: str) -> str:
    """The shipped word of a status meaning (the labels of the toolkit's own tables use it)."""
    return next(w for w, m in shipped_lists()["statuses"] if m == meaning)


__all__ = ["STATUS_MEANINGS", "COMPLETED", "list_items", "shipped_lists", "shipped_meaning", "status_word"]
