"""Turn one opened workbook into typed rows plus issues, by its form definition. Never raises for data.

Steps: identify (hidden metadata, else unit cells and file name) -> find each sheet -> locate the header
row -> map columns by normalised title -> read rows with true Excel coordinates -> coerce by type ->
run the form's rules (checks.py).
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any

from ..context import Context
from ..definitions.forms import TYPE_LABELS, Column, Form, Sheet
from ..definitions.versions import kept_version
from ..errors import PeriodError
from ..issues import Issue, Severity
from ..periods import Period, parse_period
from ..read import INFO_LABELS, LISTS_SHEET, META_SHEET, SheetData, Workbook, cell_ref, col_letter
from . import checks, coerce
from .submission import ParsedRow, ParsedSheet, Submission  # noqa: F401 (re-exported)

FEEDBACK_SHEET = "Lỗi cần sửa"  # the first sheet of a feedback copy: a unit may fix that copy and send it back
from ..round import PERIOD_KIND_LABELS, template_name
from ..text import clean_text, decode_legacy, fold, guess_legacy
from ..workspace.units import Unit

_HIGH = re.compile("[\u00a1-\u00ff]")


# --- identification ----------------------------------------------------------------------------

def identify(wb: Workbook, sub: Submission, ctx: Context, form_id: str | None, period: Period | None) -> bool:
    """Which form, unit and period a file is: its hidden metadata, else its sheets, cells and name. Each step that
    fails adds its issue to ``sub`` and stops; ``sources`` names what was used where the metadata was missing."""
    meta, sources = wb.meta, []
    form = _identify_form(wb, sub, ctx, form_id, period, sources)
    if form is None:
        return False
    unit = _identify_unit(wb, sub, ctx, form, sources)
    if unit is None:
        return False
    sub.unit = unit
    found = _identify_period(wb, sub, form, period, sources)
    if found is None:
        return False
    sub.period = found
    _behind(sub, ctx, unit, found)
    if not meta:
        sub.add("metadata-missing", source=", ".join(sources) or "nội dung tệp")
    sub.identified_by = "metadata" if meta else "; ".join(sources)
    return True


def _behind(sub: Submission, ctx: Context, unit: Unit, period: Period) -> None:
    """An older version of the form than today's is said, unless it is the one the office sent this unit for this
    round (a round issued before the definitions moved on: the unit did as asked)."""
    current = ctx.forms.get(sub.form.id)
    if current is None or sub.form_version >= current.version:
        return
    sent = ctx.ws.round_dir(period, "outbox") / template_name(current, unit, period)
    if _version_of(sent) != sub.form_version:
        sub.add("form-version-old", found=sub.form_version, expected=current.version)


def _version_of(template) -> int | None:
    """The form version written in the hidden metadata of one of the office's own templates (None: none there)."""
    try:
        if not template.is_file():
            return None
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(template))
        try:
            rows = book.get_sheet_by_name(META_SHEET).to_python()
        finally:
            book.close()
        return next((int(float(r[1])) for r in rows if len(r) > 1 and r[0] == "form_version"), None)
    except Exception:  # (a template the office opened and saved badly: the warning stays)
        return None


def _identify_form(wb: Workbook, sub: Submission, ctx: Context, form_id: str | None, period: Period | None,
                   sources: list[str]) -> Form | None:
    meta = wb.meta
    form = None
    if meta.get("form") in ctx.forms:
        form = ctx.forms[meta["form"]]
    elif meta.get("form"):
        sub.add("form-unidentified")
        return None
    else:
        form = _guess_form(wb, ctx, form_id)
        if form is None:
            sub.add("form-unidentified")
            return None
        sources.append("tên trang và tiêu đề cột")
    if form_id and form.id != form_id:
        wanted = ctx.forms.get(form_id)
        sub.add("form-mismatch", found=f"{form.name} ({form.id})",
                expected=f"{wanted.name} ({form_id})" if wanted else form_id)
        return None
    if period is not None and form.periods and period.kind not in form.periods:
        sub.add("form-period-mismatch", form=form.name or form.id, period=period.code,
                kind=PERIOD_KIND_LABELS[period.kind], kinds=", ".join(PERIOD_KIND_LABELS[k] for k in form.periods))
        return None
    sub.form = form
    try:
        sub.form_version = int(float(meta.get("form_version") or form.version))
    except ValueError:
        sub.form_version = form.version
    if sub.form_version < form.version:  # (said once the unit and the period are known: _behind)
        old = kept_version(ctx, form, sub.form_version)  # read by its own version's definition when kept
        if old is not None:
            sub.form = form = old
    return form


def _identify_unit(wb: Workbook, sub: Submission, ctx: Context, form: Form, sources: list[str]) -> Unit | None:
    meta = wb.meta
    unit = ctx.registry.find_unit(meta.get("unit_code")) if meta.get("unit_code") else None
    if meta.get("unit_code") and unit is None:
        sub.add("unit-unknown", unit_code=meta["unit_code"])
        return None
    if unit is None:
        unit, how = _unit_from_cells(wb, ctx, form)
        if unit is None:
            unit, how = _unit_from_name(sub.path, ctx)
        if unit is None:
            sub.add("unit-unidentified")
            return None
        sources.append(how)
    return unit


def _identify_period(wb: Workbook, sub: Submission, form: Form, period: Period | None,
                     sources: list[str]) -> Period | None:
    meta = wb.meta
    found = None
    if meta.get("period"):
        try:
            found = parse_period(meta["period"])
        except PeriodError:
            found = None
    if found is None:
        found = _period_from_cells(wb, form)
    if found is None and period is not None:
        found = period
        sources.append("kỳ của thư mục tiếp nhận")
    if found is None:
        sub.add("period-mismatch", found="(không rõ)", expected=period.code if period else "…")
        return None
    if period is not None and found.code != period.code:
        sub.add("period-mismatch", found=found.code, expected=period.code)
        return None
    return found


def _guess_form(wb: Workbook, ctx: Context, form_id: str | None) -> Form | None:
    best, best_score = None, 0.0
    for form in ctx.forms.values():
        if form_id and form.id != form_id:
            continue
        for data in wb.sheets.values():
            score = _header_match(data, form.main)
            if score > best_score:
                best, best_score = form, score
    return best if best_score >= 0.6 else None


def _header_match(data: SheetData, spec: Sheet) -> float:
    """Share of the sheet spec's columns whose title appears in one row of the first 40 (best row)."""
    keys = [c.keys for c in spec.columns]
    best = 0.0
    for row in data.rows[:40]:
        folded = {fold(v) for v in row if isinstance(v, str) and v.strip()}
        if folded:
            best = max(best, sum(1 for k in keys if k & folded) / len(keys))
    return best


def _info_value(wb: Workbook, label: str) -> Any:
    key = fold(label)
    for data in wb.sheets.values():
        for row in data.rows[:12]:
            for c, v in enumerate(row[:6]):
                if isinstance(v, str) and fold(v).startswith(key):
                    rest = v.split(":", 1)[1].strip() if ":" in v else ""
                    if rest:
                        return rest
                    for nxt in row[c + 1:c + 5]:
                        if not coerce.is_blank(nxt):
                            return nxt
    return None


def _unit_from_cells(wb: Workbook, ctx: Context, form: Form) -> tuple[Unit | None, str]:
    code = _info_value(wb, INFO_LABELS["unit_code"])
    unit = ctx.registry.find_unit(coerce.to_text(code)) if code is not None else None
    if unit:
        return unit, "ô 'Mã đơn vị'"
    name = _info_value(wb, INFO_LABELS["unit_name"])
    unit = ctx.registry.find_unit(coerce.to_text(name)) if name is not None else None
    return (unit, "ô 'Đơn vị'") if unit else (None, "")


def _unit_from_name(path: Path, ctx: Context) -> tuple[Unit | None, str]:
    stem = fold(path.stem)
    tokens = stem.split()
    matches = {u.code for u in ctx.registry.units.values() if fold(u.code) in tokens}
    if len(matches) == 1:
        return ctx.registry.units[matches.pop()], "tên tệp"
    named = [u for u in ctx.registry.units.values() if fold(u.name) and fold(u.name) in stem]
    if len(named) == 1:
        return named[0], "tên tệp"
    return None, ""


def _period_from_cells(wb: Workbook, form: Form) -> Period | None:
    value = _info_value(wb, INFO_LABELS["period"])
    if value is None:
        return None
    token = coerce.to_text(value).split()[0] if coerce.to_text(value).split() else ""
    try:
        return parse_period(token)
    except PeriodError:
        return None


# --- sheets, headers, columns ------------------------------------------------------------------

def find_sheet(wb: Workbook, spec: Sheet, form: Form) -> SheetData | None:
    for name, data in wb.sheets.items():
        if fold(name) == fold(spec.name):
            return data
    mapping = dict(x.split("=", 1) for x in wb.meta.get("sheets", "").split(";") if "=" in x)
    if spec.id in mapping and mapping[spec.id] in wb.sheets:
        return wb.sheets[mapping[spec.id]]
    # a copy-pasted workbook: the sheet whose header matches this form sheet best
    best, best_score = None, 0.0
    for name, data in wb.sheets.items():
        if name.strip().lower() in (META_SHEET, LISTS_SHEET):
            continue
        score = _header_match(data, spec)
        if score > best_score:
            best, best_score = data, score
    return best if best_score >= 0.6 else None


def locate_header(data: SheetData, spec: Sheet) -> tuple[int, dict[int, str]]:
    """1-based header row (0 when not found) and {excel col: header text} of that row."""
    keys = [c.keys for c in spec.columns]
    need = max(2, int(len(keys) * 0.4))
    best_row, best_score = 0, 0
    for r, row in enumerate(data.rows[:60], start=1):
        folded = {fold(v) for v in row if v.__class__ is str and 0 < len(v) < 80}
        if len(folded) < need:
            continue
        score = sum(1 for k in keys if not k.isdisjoint(folded))
        if score > best_score:
            best_row, best_score = r, score
            if score == len(keys):
                break  # every column found: this is the header
    if best_score < need:
        return 0, {}
    header = {c: clean_text(v)[0] for c, v in enumerate(data.rows[best_row - 1], start=1)
              if isinstance(v, str) and v.strip()}
    return best_row, header


def map_columns(sub: Submission, spec: Sheet, sheet_name: str, header_row: int,
                header: dict[int, str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    unmatched = dict(header)
    for col in spec.columns:
        for c, text in list(unmatched.items()):
            if fold(text) in col.keys:
                mapping[col.name] = c
                del unmatched[c]
                break
    missing = [col for col in spec.columns if col.name not in mapping]
    for c, text in sorted(unmatched.items()):
        best, best_ratio = None, 0.0
        for col in missing:
            ratio = difflib.SequenceMatcher(None, fold(text), fold(col.title)).ratio()
            if ratio > best_ratio:
                best, best_ratio = col, ratio
        if best is not None and best_ratio >= 0.72:
            mapping[best.name] = c
            missing.remove(best)
            sub.add("column-renamed", sheet=sheet_name, cell=cell_ref(header_row, c), found=text, title=best.title)
        else:
            sub.add("column-extra", sheet=sheet_name, cell=cell_ref(header_row, c), found=text)
    for col in missing:
        where = cell_ref(header_row, spec.columns.index(col) + 1)
        sub.add("column-missing" if col.required else "column-missing-optional", sheet=sheet_name, cell=where,
                title=col.title)
    _report_moved(sub, spec, sheet_name, header_row, mapping)
    return mapping


def _report_moved(sub: Submission, spec: Sheet, sheet_name: str, header_row: int, mapping: dict[str, int]) -> None:
    """Columns out of the form's order (those outside the longest in-order run) are reported as moved."""
    order = [c.name for c in spec.columns if c.name in mapping]
    by_position = sorted(order, key=lambda n: mapping[n])
    ranks = [order.index(n) for n in by_position]
    keep = set(_longest_increasing(ranks))
    for i, name in enumerate(by_position):
        if i not in keep:
            expected = col_letter(spec.columns.index(spec.column(name)) + 1)
            sub.add("column-moved", sheet=sheet_name, cell=cell_ref(header_row, mapping[name]),
                    title=spec.column(name).title, expected=expected)


def _longest_increasing(seq: list[int]) -> list[int]:
    """Indexes of one longest strictly increasing subsequence (O(n^2); n is a form's column count)."""
    if not seq:
        return []
    best = [1] * len(seq)
    prev = [-1] * len(seq)
    for i in range(len(seq)):
        for j in range(i):
            if seq[j] < seq[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = max(range(len(seq)), key=best.__getitem__)
    out = []
    while i != -1:
        out.append(i)
        i = prev[i]
    return out


# --- rows and values -----------------------------------------------------------------------------

def read_rows(sub: Submission, ctx: Context, spec: Sheet, data: SheetData, header_row: int,
              mapping: dict[str, int]) -> list[ParsedRow]:
    intake = ctx.ws.settings["intake"]
    max_rows, max_text = intake["max_rows"], intake["max_text_length"]
    guess = intake.get("guess_legacy_encoding", True)
    rows = data.rows
    end, what = table_end(data, spec, header_row, mapping)
    if end - 1 - header_row > max_rows:
        sub.add("rows-truncated", sheet=data.name, rows=end - 1 - header_row, limit=max_rows)
        return []
    if what:
        sub.add("table-footer", sheet=data.name, cell=f"A{end}", row=end, what=what)
        below = _task_rows_below(data, spec, mapping, end)
        if below:
            sub.add("rows-below-footer", sheet=data.name, cell=f"A{below}", row=below, end=end, what=what)
    fill = _merged_fill(sub, data, header_row, mapping, end)
    legacy_seen: set[tuple[str, str]] = set()
    out: list[ParsedRow] = []
    columns = [(col, mapping[col.name], col_letter(mapping[col.name])) for col in spec.columns if col.name in mapping]
    uncached = data.uncached
    for r in range(header_row + 1, min(end, len(rows) + 1)):
        row = rows[r - 1]
        raw: dict[str, Any] = {}
        width = len(row)
        for col, c, _ in columns:
            v = row[c - 1] if c - 1 < width else ""
            if fill:
                v = fill.get((r, c), v)
            raw[col.name] = v
        formulas = {col.name for col, c, _ in columns if (r, c) in uncached and coerce.is_blank(raw[col.name])} \
            if uncached else set()
        if not formulas and all(v == "" or v is None or (v.__class__ is str and not v.strip()) for v in raw.values()):
            continue
        values: dict[str, Any] = {}
        cells = {}
        original: dict[str, str] = {}
        for col, c, letter in columns:
            ref = f"{letter}{r}"
            cells[col.name] = ref
            v = raw[col.name]
            if col.name in formulas:
                sub.add("formula-no-value", sheet=data.name, cell=ref, row=r, title=col.title,
                        severity=None if col.required else Severity.WARNING)
                values[col.name] = None
                continue
            if isinstance(v, str):
                typed = v
                v = _text_value(sub, data, r, c, v, ref, legacy_seen, guess)
                if _converted(typed, v):
                    original[col.name] = typed
                raw[col.name] = v
                limit = min(max_text, col.max_length)
                if len(v) > limit and col.type == "text":
                    sub.add("text-too-long", sheet=data.name, cell=ref, row=r, length=len(v), limit=limit)
                    original.setdefault(col.name, typed)
                    v = v[:limit]
            values[col.name] = _coerce_cell(sub, ctx, col, v, data.name, ref, r)
        out.append(ParsedRow(excel_row=r, values=values, cells=cells, raw=raw, original=original,
                             formulas=formulas))
    return out


def _converted(typed: str, text: str) -> bool:
    """True when the text differs from what was typed beyond Unicode normalisation and spacing (``text`` is
    NFC, as clean_text returns it: the same as typed, the common case, is no conversion)."""
    if typed == text:
        return False
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", typed).split()) != " ".join(text.split())


# --- where the table ends ---------------------------------------------------------------------------

_FOOTER_SHORT = re.compile(r"^(tong cong|cong|tong so|tong|total|cong don vi|tong hop)( [a-z0-9 ]{0,25})?$")
_FOOTER_NOTE = re.compile(r"^(ghi chu|chu thich|luu y|ghi chu rieng|nguon so lieu|so lieu tinh den)\b")
_FOOTER_SIGN = re.compile(r"^(nguoi lap bieu|nguoi lap|nguoi tong hop|nguoi bao cao|thu truong( don vi| co quan)?|"
                          r"xac nhan|noi nhan|bi thu|pho bi thu|chu tich|truong ban|"
                          r"pho truong ban|chanh van phong|pho chanh van phong|giam doc|lanh dao don vi|"
                          r"ky ghi ro ho ten|ky va ghi ro ho ten|ky ten|ky dong dau|ky ten dong dau)\b")
_FOOTER_DATE = re.compile(r"^([a-z ]{0,40} )?ngay( \d{1,2})? thang( \d{1,2})? nam( \d{2,4})?$")


# "T/M", "K/T", "T/L", "Q." written as such: folded, "TL-01" would read as "tl 01", a task code
_FOOTER_ON_BEHALF = re.compile(r"^\s*(t\s*/\s*m|k\s*/\s*t|t\s*/\s*l|q\s*/|q\.|tm\.|kt\.|tl\.)(\s|$)", re.I)


def footer_kind(text: str) -> str:
    """What a cell below a table says, when it is the form's footer: '' for ordinary text."""
    folded = fold(text)
    if not folded:
        return ""
    if _FOOTER_ON_BEHALF.match(text):
        return "phần chữ ký"
    if len(folded) <= 40 and _FOOTER_SHORT.match(folded):
        return "dòng tổng cộng"
    if _FOOTER_NOTE.match(folded):
        return "phần ghi chú"
    if _FOOTER_DATE.match(folded):
        return "dòng địa danh, ngày tháng"
    if len(folded) <= 60 and _FOOTER_SIGN.match(folded):
        return "phần chữ ký"
    return ""


def _task_rows_below(data: SheetData, spec: Sheet, mapping: dict[str, int], end: int) -> int | None:
    """The first row below the footer that looks like a task row (a code and at least two required values):
    data the footer would otherwise silently leave out."""
    keys = [mapping[k] for k in spec.key if k in mapping]
    required = [mapping[c.name] for c in spec.columns if c.required and c.name in mapping and c.name not in spec.key]
    for r in range(end + 1, len(data.rows) + 1):
        row = data.rows[r - 1]
        keyed = any(c - 1 < len(row) and not coerce.is_blank(row[c - 1]) for c in keys)
        filled = sum(1 for c in required if c - 1 < len(row) and not coerce.is_blank(row[c - 1]))
        if keyed and filled >= 2:
            return r
    return None


def table_end(data: SheetData, spec: Sheet, header_row: int, mapping: dict[str, int]) -> tuple[int, str]:
    """The first Excel row below the table (len(rows) + 1 when the table runs to the end) and what is there.

    The table ends at the first row without a task code (the sheet's key) that holds footer wording (a totals
    row, a note, a place-and-date line, a signature block; in the code column itself too, when the row holds no
    task data), or, after a blank gap below the last coded row, at a row without a code that holds no task data
    (fewer than two of the required columns)."""
    rows = data.rows
    keys = [mapping[k] for k in spec.key if k in mapping]
    required = [mapping[c.name] for c in spec.columns if c.required and c.name in mapping and c.name not in spec.key]
    last_keyed, gap = 0, 0
    for r in range(header_row + 1, len(rows) + 1):
        row = rows[r - 1]
        filled = [v for v in row if not coerce.is_blank(v)]
        if not filled:
            gap += 1
            continue
        key_values = [row[c - 1] for c in keys if c - 1 < len(row) and not coerce.is_blank(row[c - 1])]
        has_key = any(not (isinstance(v, str) and footer_kind(v)) for v in key_values)  # "Cộng", "Người lập biểu"
        if not has_key and any(footer_kind(v) != "dòng tổng cộng" for v in key_values):
            # footer wording typed in the code column (a signature block in column A) is the footer, unless the row
            # holds task data besides footer wording: then it is a task row with a wrong code, and is said so
            has_key = sum(1 for c in required if c - 1 < len(row) and not coerce.is_blank(row[c - 1])
                          and not (isinstance(row[c - 1], str) and footer_kind(row[c - 1]))) >= 2
        if not has_key:
            for v in filled:
                if isinstance(v, str):
                    kind = footer_kind(v)
                    if kind:
                        return r, kind
            data_cells = sum(1 for c in required if c - 1 < len(row) and not coerce.is_blank(row[c - 1]))
            if keys and last_keyed and gap and data_cells < 2:
                return r, "phần chân biểu (không có mã, không có dữ liệu nhiệm vụ)"
        else:
            last_keyed = r
        gap = 0
    return len(rows) + 1, ""


def _text_value(sub, data: SheetData, r: int, c: int, v: str, ref: str, legacy_seen, guess: bool) -> str:
    enc_font = data.fonts.get((r, c))
    if enc_font:
        enc, font = enc_font
        converted = decode_legacy(v, enc)
        if (data.name, enc) not in legacy_seen:
            legacy_seen.add((data.name, enc))
            sub.add("legacy-encoding", sheet=data.name, cell=ref, row=r, font=font, preview=converted,
                    encoding="TCVN3 (ABC)" if enc.startswith("tcvn3") else "VNI")
        v = converted
    elif guess and _HIGH.search(v):
        enc = guess_legacy(v)
        if enc:
            converted = decode_legacy(v, enc)
            sub.add("legacy-encoding-suspected", sheet=data.name, cell=ref, row=r, preview=converted,
                    original=v, encoding="TCVN3 (ABC)" if enc == "tcvn3" else "VNI")
            v = converted
    text, had_control = clean_text(v)
    if had_control:
        sub.add("control-characters", sheet=data.name, cell=ref, row=r)
    return text


def _merged_fill(sub: Submission, data: SheetData, header_row: int, mapping: dict[str, int], end: int) -> dict:
    fill = {}
    used = set(mapping.values())
    for r0, c0, r1, c1 in data.merged:
        if r1 <= header_row or r0 <= header_row or r0 >= end or r1 == r0 and c0 not in used:
            continue
        r1 = min(r1, end - 1)
        if r1 == r0:
            continue  # merged across columns in one row: the value belongs to the first column
        value = data.value(r0, c0)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                fill[(r, c)] = value
        sub.add("merged-cells", sheet=data.name, cell=cell_ref(r0, c0), row=r0,
                range=f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}")
    return fill


def _coerce_cell(sub: Submission, ctx: Context, col: Column, v: Any, sheet: str, ref: str, r: int) -> Any:
    if coerce.is_blank(v):
        return None
    value, problem = None, None
    t = col.type
    if t == "text":
        value = coerce.to_text(v)
        if col.pattern:
            import re

            if not re.fullmatch(col.pattern, value):
                sub.add("pattern-error", sheet=sheet, cell=ref, row=r, value=value, title=col.title,
                        help=col.help_for(sub.unit.code if sub.unit else ""))
        return value
    if t == "number":
        value, problem = coerce.to_number(v)
    elif t == "integer":
        value, problem = coerce.to_integer(v)
    elif t == "percent":
        value, problem = coerce.to_percent(v)
    elif t == "date":
        value, problem = coerce.to_date(v)
    elif t == "bool":
        value, problem = coerce.to_bool(v)
    elif t == "choice":
        value, problem = coerce.to_choice(v, col.choices)
        if problem:
            sub.add("choice-error", sheet=sheet, cell=ref, row=r, value=coerce.to_text(v), title=col.title,
                    choices="; ".join(col.choices))
            return None
    elif t == "unit":
        unit = ctx.registry.find_unit(coerce.to_text(v))
        value, problem = (unit.code, None) if unit else (None, "không có trong danh sách đơn vị")
    elif t == "leader":
        return _leader_cell(sub, ctx, col, coerce.to_text(v), sheet, ref, r)
    if problem and t == "date" and problem != coerce.NOT_A_DATE:  # a date of no calendar ("31/02/2026")
        sub.add("date-invalid", sheet=sheet, cell=ref, row=r, value=coerce.to_text(v), title=col.title, why=problem)
        return None
    if problem:
        year = sub.period.end.year if getattr(sub, "period", None) else date.today().year
        example = {"date": f" (ví dụ 15/06/{year})", "percent": " (ví dụ 80)", "number": " (ví dụ 1.234,5)",
                   "integer": " (ví dụ 12)"}.get(t, "")
        sub.add("type-error", sheet=sheet, cell=ref, row=r, value=coerce.to_text(v), title=col.title,
                expected=TYPE_LABELS[t], example=example)
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = col.min, col.max
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"{'' if lo is None else f'{lo:g}'} – {'' if hi is None else f'{hi:g}'}"
            sub.add("out-of-range", sheet=sheet, cell=ref, row=r, value=f"{value:g}", title=col.title,
                    bounds=bounds)
    return value


def _leader_cell(sub: Submission, ctx: Context, col: Column, text: str, sheet: str, ref: str, r: int) -> Any:
    """A leader by code, or by name when the name matches one leader (the unit's own first); a leader of
    another unit is kept but warned about; an unknown one is refused with the unit's own leaders listed."""
    reg = ctx.registry
    own = reg.leaders_of(sub.unit.code) if sub.unit else []
    leader = reg.find_leader(text)
    if leader is None:
        leader = reg.find_leader_by_name(text, prefer=[ldr.id for ldr in own])
        if leader is not None:
            sub.add("leader-by-name", sheet=sheet, cell=ref, row=r, value=text, leader=leader.id)
    if leader is None:
        listing = "; ".join(f"{ldr.id} ({ldr.name})" for ldr in own) or "xem trang Hướng dẫn"
        sub.add("type-error", sheet=sheet, cell=ref, row=r, value=text, title=col.title,
                expected=TYPE_LABELS["leader"], example=f" của đơn vị: {listing}")
        return None
    if sub.unit is not None and own and leader.unit != sub.unit.code:
        other = reg.units.get(leader.unit)
        sub.add("leader-other-unit", sheet=sheet, cell=ref, row=r, value=leader.id, name=leader.name,
                other=other.name if other else leader.unit,
                own="; ".join(f"{ldr.id} – {ldr.name}" for ldr in own))
    return leader.id


# --- the whole file ---------------------------------------------------------------------------------

def parse_workbook(wb: Workbook, ctx: Context, form_id: str | None = None, period: Period | None = None,
                   rel_name: str | None = None) -> Submission:
    sub = Submission(path=wb.path, file_name=rel_name or wb.path.name, format=wb.format)
    sub.issues.extend(_rename(i, sub.file_name) for i in wb.issues)
    if sub.has_errors or not wb.sheets:
        if not sub.has_errors:
            sub.add("file-unreadable", detail="tệp không có trang tính nào")
        return sub
    if not identify(wb, sub, ctx, form_id, period):
        return sub
    form = sub.form
    used = set()
    for spec in form.sheets:
        data = find_sheet(wb, spec, form)
        if data is None:
            if not spec.optional:
                sub.add("sheet-missing", sheet=spec.name)
            continue
        used.add(data.name)
        header_row, header = locate_header(data, spec)
        if not header_row:
            sub.add("header-not-found", sheet=data.name)
            continue
        mapping = map_columns(sub, spec, data.name, header_row, header)
        if data.beyond:
            r, c, value = data.beyond
            sub.add("column-extra", sheet=data.name, cell=cell_ref(r, c), found=coerce.to_text(value))
        ps = ParsedSheet(spec=spec, name=data.name, columns=mapping, header_row=header_row)
        ps.rows = read_rows(sub, ctx, spec, data, header_row, mapping)
        sub.sheets[spec.id] = ps
    ours = {fold(n) for n in (META_SHEET, LISTS_SHEET, "Hướng dẫn", FEEDBACK_SHEET)}
    for name, data in wb.sheets.items():
        if name not in used and fold(name) not in ours and data.visible \
                and any(any(not coerce.is_blank(v) for v in r) for r in data.rows[:50]):
            sub.add("sheet-extra", sheet=name)
    return sub


def _rename(issue: Issue, name: str) -> Issue:
    issue.file = name
    return issue


def validate(sub: Submission, ctx: Context, lookups: checks.Lookups | None = None, part: str = "all") -> None:
    """Run the form's rules on a parsed submission (adds issues in place).

    part="local": rules that need only the file (run in parsing workers); "global": rules that compare with
    the store and the other files of the round (run in order by the collector); "all": both."""
    if sub.form is None:
        return
    for spec in sub.form.sheets:
        ps = sub.sheets.get(spec.id)
        if ps is None:
            continue
        if part in ("all", "local"):
            sub.issues.extend(checks.required(sub, ps))
            sub.issues.extend(checks.unique_keys(sub, ps))
        for rule in spec.rules:
            is_global = rule["rule"] in checks.GLOBAL_RULES
            if part == "all" or (part == "global") == is_global:
                sub.issues.extend(checks.RULES[rule["rule"]](sub, ps, rule, ctx, lookups))


def deadline_of(ctx: Context, period: Period) -> date:
    return ctx.ws.deadline(period)
