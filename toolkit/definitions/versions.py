"""Form versions: the store keeps each (form, version) definition as it was when templates were sent or returns
read. A form whose columns, lists or rules changed under the same version number after that is refused until the
office gives it a new version; a return of an older version is read by that version's own definition when the
store kept it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..errors import FormDefinitionError, ToolkitError
from ..formatting import once
from .forms import Form, build_forms, yaml_sources
from .workbook import S_FORMS, load_definitions, workbook_path

_KEPT: dict[tuple[str, str, int], Form | None] = {}


def stored_form(text: str, lists: dict | None = None) -> Form | None:
    """The Form a stored definition describes: JSON (form and lists) or, from older versions, the form's YAML text
    (read with ``lists``)."""
    try:
        data = json.loads(text)
        form, used = data["form"], data.get("lists") or {}
    except (ValueError, TypeError, KeyError):
        try:
            form, used = yaml.safe_load(text), {}
        except yaml.YAMLError:
            return None
    if not isinstance(form, dict) or "id" not in form:
        return None
    problems: list[str] = []
    built = build_forms({form["id"]: ("(kho dữ liệu)", form)}, {**(lists or {}), **used}, problems)
    return None if problems else built.get(form["id"])


def _lists(ctx) -> dict:
    """The lists the workspace's definitions use now (to read a stored YAML definition that names them)."""

    if workbook_path(ctx.ws.root).is_file():
        return load_definitions(ctx.ws.root).definitions.lists
    return yaml_sources(ctx.ws.root)[1]


def _sent(ctx, form: Form) -> bool:
    """Templates of the form are in an outbox, or returns of it were read."""
    rounds = Path(ctx.ws.root) / "rounds"
    stem = f"_{form.slug or form.id}_"
    if any(stem in p.name for p in rounds.glob("*/outbox/*.xlsx")):
        return True
    return bool(ctx.has_store and ctx.store.submissions(form.id))


def check_version(ctx, form: Form) -> None:
    """Refuse a form changed after it was sent without a new version number (ToolkitError saying where to write
    it)."""
    if not ctx.has_store:
        return
    text = ctx.store.form_definitions(form.id).get(form.version)
    if not text:
        return
    before = stored_form(text, _lists(ctx))
    if before is not None and before.fingerprint == form.fingerprint:
        return
    if not _sent(ctx, form):  # recorded (a collect keeps every form) but never sent: the edits are this version
        ctx.store.replace_form(form.id, form.version, form.definition)
        return
    newest = max(ctx.store.form_definitions(form.id))
    raise ToolkitError(
        f"Biểu mẫu '{form.id}' ({form.name}) đã đổi cột, danh mục hoặc quy tắc sau khi đã gửi cho đơn vị với phiên bản "
        f"{form.version}. Ghi phiên bản mới ({newest + 1}) cho biểu mẫu{_where(ctx, form)} rồi chạy lại: tệp đơn vị "
        f"nộp theo phiên bản cũ vẫn được đọc theo định nghĩa cũ.")


def _where(ctx, form: Form) -> str:

    path = workbook_path(ctx.ws.root)
    if path.is_file():
        try:
            cell = load_definitions(ctx.ws.root).definitions.version_cells.get(form.id)
        except FormDefinitionError:
            cell = None
        if cell:
            return f" ở trang '{S_FORMS}', ô {cell} của {path.name}"
    return f" (khoá version trong {Path(form.source).name})"


def record(ctx, form: Form) -> None:
    """Keep the form's definition under its version (the first one recorded for a version stays)."""
    ctx.store.save_form(form.id, form.version, form.definition)


def kept_version(ctx, form: Form, version: int) -> Form | None:
    """The definition of an older version of ``form``, when the store kept it (None otherwise)."""
    key = (str(ctx.ws.root), form.id, version)
    if key not in _KEPT:
        found = None
        if ctx.has_store:
            text = ctx.store.form_definitions(form.id).get(version)
            found = stored_form(text, _lists(ctx)) if text else None
        _KEPT[key] = found if found is not None and found.version == version else None
    return _KEPT[key]


def earlier_versions(ctx, form: Form) -> list[Form]:
    """The kept definitions of ``form``'s other versions, newest first (what the returns read with them meant)."""
    if not ctx.has_store:
        return []
    found = (kept_version(ctx, form, v) for v in sorted(ctx.store.form_definitions(form.id), reverse=True)
             if v != form.version)
    return [f for f in found if f is not None]


def status_meaning(form: Form, ctx=None) -> Callable[[Any], str | None]:
    """What a reported status of ``form`` means ("done" for "Hoàn thành"), from the definitions; with the session
    ``ctx``, a word the office has renamed since (in a return read with an earlier version) by the meaning it had in
    the versions the store kept (:func:`earlier_versions`), the newest first."""
    earlier = earlier_versions(ctx, form) if ctx is not None else []
    columns = [c for f in (form, *earlier) for c in f.main.columns if c.name == "status"]

    def meaning(value: Any) -> str | None:
        return next((m for m in (c.meaning(value) for c in columns) if m is not None), None)

    return once(meaning)  # a few statuses, read per row


def todays_word(form: Form, meaning: Callable[[Any], str | None], column: str = "status") -> Callable[[Any], Any]:
    """A status word of an earlier round as today's list says it: a word the office has renamed since becomes
    today's word of the same ``meaning`` (:func:`status_meaning`); a word of today's list, or one of no known
    meaning, stays as it is."""
    col = next((c for c in form.main.columns if c.name == column), None)
    if col is None:
        return lambda value: value
    word = {m: w for w, m in reversed(col.meanings)}  # a meaning -> its first word today

    def today(value: Any) -> Any:
        return word.get(meaning(value), value) if value is not None and value not in col.choices else value

    return today


__all__ = ["check_version", "record", "kept_version", "earlier_versions", "status_meaning", "todays_word",
           "stored_form"]
