"""Per-unit Excel templates (.xlsx, no macros) built from the form definitions.

Each template has an instructions sheet, the form's data sheets (unit prefilled, dropdowns, validation,
help comments, protection that still allows inserting rows, frozen panes, print set-up) and a very
hidden ``_meta`` sheet that identifies the file whatever it is renamed to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from .. import __version__
from ..definitions.forms import TYPE_LABELS, Column, Form, Sheet
from ..definitions.versions import check_version, status_meaning, todays_word
from ..definitions.versions import record as record_version
from ..errors import ToolkitError
from ..files import atomic_path
from ..formatting import number
from ..periods import Period
from ..read import INFO_LABELS, INFO_ROWS, LISTS_SHEET, META_SHEET, col_letter
from ..register.frame import register_tasks
from ..register.history import progress_rounds
from ..round import (
    as_round,
    template_name,  # noqa: F401 (re-exported)
)
from ..sheets import Workbook, fit_row
from ..workspace.config import deadline_note
from ..workspace.units import Registry, Unit

PRINT_WIDTH_PER_PAGE = 190
FONT = "Times New Roman"


def _sentence(text: str) -> str:
    """``text`` ending as a sentence ends (a help written without its full stop), so that two run on correctly."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…:" else text + "."


def build_template(path: Path, form: Form, unit: Unit, period: Period, deadline: date,
                   registry: Registry | None = None, prefill: dict[str, list[dict]] | None = None,
                   office: str = "") -> Path:
    """Write one unit's template. ``prefill`` maps sheet id -> rows (dicts by column name)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        # in memory: no temporary file per part (a busy shared disk made those most of the time per template)
        wb = Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True})
        wb.set_properties({"title": f"{form.title} – {unit.name}", "author": office or "Văn phòng",
                           "comments": f"form={form.id};version={form.version};unit={unit.code};period={period.code}"})
        fmt = _Formats(wb)
        list_refs = _ListWriter()
        _instructions(wb, fmt, form, unit, period, deadline, registry, office)
        for sheet in form.sheets:
            rows = (prefill or {}).get(sheet.id) or []
            _data_sheet(wb, fmt, list_refs, form, sheet, unit, period, deadline, registry, rows)
        list_refs.write(wb.add_worksheet(LISTS_SHEET))
        meta = wb.add_worksheet(META_SHEET)
        info = {
            "form": form.id, "form_version": form.version, "unit_code": unit.code, "unit_name": unit.name,
            "period": period.code, "deadline": deadline.isoformat(),
            "generated_at": datetime.now().replace(microsecond=0).isoformat(),
            "toolkit_version": __version__,
            "sheets": ";".join(f"{s.id}={s.name}" for s in form.sheets),
        }
        for r, (k, v) in enumerate(info.items()):
            meta.write_string(r, 0, k)
            meta.write_string(r, 1, str(v))
        meta.very_hidden()
        wb.worksheets()[1].activate()
        wb.worksheets()[1].set_first_sheet()
        wb.close()
    return path


class _Formats:
    def __init__(self, wb):
        base = {"font_name": FONT, "font_size": 12, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
        self.label = wb.add_format({**base, "bold": True})
        self.info = wb.add_format({**base, "font_color": "#1F4E78", "bold": True})
        self.header = wb.add_format({**base, "bold": True, "text_wrap": True, "align": "center",
                                     "valign": "vcenter", "bg_color": "#DDEBF7", "border": 1, "locked": True})
        self.header_req = wb.add_format({**base, "bold": True, "text_wrap": True, "align": "center",
                                         "valign": "vcenter", "bg_color": "#FCE4D6", "border": 1, "locked": True})
        cell = {**base, "text_wrap": True, "border": 1, "border_color": "#BFBFBF"}
        self.open = {
            "text": wb.add_format({**cell, "locked": False, "num_format": "@"}),
            "date": wb.add_format({**cell, "locked": False, "num_format": "dd/mm/yyyy"}),
            "number": wb.add_format({**cell, "locked": False, "num_format": "#,##0.##"}),
            "integer": wb.add_format({**cell, "locked": False, "num_format": "0"}),
        }
        grey = {**cell, "locked": True, "bg_color": "#F2F2F2"}
        self.closed = {
            "text": wb.add_format({**grey}),
            "date": wb.add_format({**grey, "num_format": "dd/mm/yyyy"}),
            "number": wb.add_format({**grey, "num_format": "#,##0.##"}),
            "integer": wb.add_format({**grey, "num_format": "0"}),
        }
        self.wrap = wb.add_format({**base, "text_wrap": True})
        self.small = wb.add_format({**base, "font_size": 11, "italic": True, "font_color": "#595959"})


def _kind(col: Column) -> str:
    return {"date": "date", "number": "number", "percent": "number", "integer": "integer"}.get(col.type, "text")


class _ListWriter:
    """Long dropdown lists go to a hidden sheet and are referenced by range (Excel's 255-char limit)."""

    def __init__(self):
        self.columns: list[tuple[str, ...]] = []
        self.cache: dict[tuple[str, ...], str] = {}

    def source(self, values: tuple[str, ...]) -> str | list[str]:
        if len(",".join(values)) <= 250 and not any("," in v for v in values):
            return list(values)
        if values not in self.cache:
            self.columns.append(values)
            letter = col_letter(len(self.columns))
            self.cache[values] = f"='{LISTS_SHEET}'!${letter}$1:${letter}${len(values)}"
        return self.cache[values]

    def write(self, ws) -> None:
        for c, values in enumerate(self.columns):
            for r, v in enumerate(values):
                ws.write_string(r, c, v)
        ws.very_hidden()


def _instructions(wb, fmt, form: Form, unit: Unit, period: Period, deadline: date, registry, office) -> None:
    ws = wb.add_worksheet("Hướng dẫn")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 66)
    ws.set_row(0, 36)
    ws.merge_range(0, 0, 0, 1, form.title, fmt.title)
    lines = [
        ("Đơn vị", f"{unit.name} (mã {unit.code})"),
        ("Kỳ báo cáo", f"{period.label} ({period.code})"),
        ("Hạn nộp", deadline.strftime("%d/%m/%Y")),
        ("Nơi nhận", office or "Văn phòng"),
        ("Cách gửi lại", "Điền trực tiếp vào tệp này, lưu lại (giữ dạng .xlsx) và gửi lại đúng tệp này. "
                         "Có thể đổi tên tệp; không sao chép sang tệp mới, không đổi tên trang, "
                         "không xoá hay đổi thứ tự cột. Được chèn thêm dòng trong bảng."),
    ]
    r = 2
    for label, text in lines:
        ws.write_string(r, 0, label, fmt.label)
        ws.write_string(r, 1, text, fmt.wrap)
        fit_row(ws, r, [(label, 26), (text, 66)])
        r += 1
    r += 1
    for text in form.instructions:
        ws.write_string(r, 0, "•", fmt.label)
        ws.write_string(r, 1, text, fmt.wrap)
        fit_row(ws, r, [(text, 66)])
        r += 1
    for sheet in form.sheets:
        r += 1
        ws.write_string(r, 0, f"Trang '{sheet.name}'", fmt.label)
        ws.write_string(r, 1, "Các cột (tô cam là bắt buộc):", fmt.label)
        r += 1
        for col in sheet.columns:
            req = " (bắt buộc)" if col.required else ""
            extra = f"Danh sách: {'; '.join(col.choices)}." if col.type == "choice" and len(col.choices) <= 8 else ""
            text = " ".join(x for x in (_sentence(TYPE_LABELS[col.type].capitalize()),
                                        _sentence(col.help_for(unit.code)), extra) if x)
            ws.write_string(r, 0, col.title + req, fmt.wrap)
            ws.write_string(r, 1, text, fmt.wrap)
            fit_row(ws, r, [(col.title + req, 26), (text, 66)])
            r += 1
    if registry is not None:
        leaders = registry.leaders_of(unit.code)
        if leaders:
            r += 1
            ws.write_string(r, 0, "Lãnh đạo của đơn vị", fmt.label)
            r += 1
            for ldr in leaders:
                ws.write_string(r, 0, ldr.id, fmt.wrap)
                ws.write_string(r, 1, f"{ldr.name} – {ldr.title}", fmt.wrap)
                r += 1
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&CTrang &P/&N")
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


def _data_sheet(wb, fmt, lists: _ListWriter, form: Form, sheet: Sheet, unit: Unit, period: Period,
                deadline: date, registry: Registry | None, rows: list[dict]) -> None:
    ws = wb.add_worksheet(sheet.name)
    hr = sheet.header_row - 1  # 0-based header row
    ncols = len(sheet.columns)
    # the title spans the columns of the first printed page only, so that it is never cut between pages
    first_page, width = 0, 0.0
    for c, col in enumerate(sheet.columns):
        width += col.width
        if width > PRINT_WIDTH_PER_PAGE and c > 0:
            break
        first_page = c
    ws.merge_range(0, 0, 0, max(first_page, 1), f"{form.title} – {period.label.upper()}", fmt.title)
    values = {"unit_name": unit.name, "unit_code": unit.code, "period": f"{period.code} ({period.label})",
              "deadline": deadline.strftime("%d/%m/%Y")}
    for key, row in INFO_ROWS.items():
        if row - 1 >= hr:
            break
        ws.write_string(row - 1, 0, INFO_LABELS[key], fmt.label)
        ws.write_string(row - 1, 1, values[key], fmt.info)
    ws.set_row(hr, 45)
    for c, col in enumerate(sheet.columns):
        ws.set_column(c, c, col.width)
        ws.write_string(hr, c, col.title, fmt.header_req if col.required else fmt.header)
        note = _sentence(col.help_for(unit.code) or TYPE_LABELS[col.type].capitalize())
        if col.type == "choice":
            note += " Chọn trong danh sách thả xuống."
        ws.write_comment(hr, c, note, {"author": "Hướng dẫn", "x_scale": 2, "y_scale": 1.5,
                                       "font_name": FONT, "font_size": 11})
    n_rows = len(rows) + (5 if rows else sheet.blank_rows)
    first, last = hr + 1, hr + n_rows
    for i in range(n_rows):
        ws.set_row(first + i, 48 if i < len(rows) else 30)
    for c, col in enumerate(sheet.columns):
        locked = col.locked and bool(rows)
        style = (fmt.closed if locked else fmt.open)[_kind(col)]
        for i in range(n_rows):
            value = rows[i].get(col.prefill or col.name) if i < len(rows) else None
            style_i = style if i < len(rows) else fmt.open[_kind(col)]
            _write(ws, first + i, c, value, style_i)
        _validation(ws, lists, col, first, c, last, registry, unit, period)
    ws.freeze_panes(first, 1)
    ws.autofilter(hr, 0, last, ncols - 1)
    ws.set_landscape()
    ws.set_paper(9)
    # an A4 landscape page holds about 150 characters of column width at full size: a wide sheet prints on
    # several pages across (at >= ~80 %) with the code column repeated, rather than shrunk unreadably small
    across = max(1, -(-int(sum(c.width for c in sheet.columns)) // PRINT_WIDTH_PER_PAGE))
    ws.fit_to_pages(across, 0)
    if across > 1:
        ws.repeat_columns(0, 0)
    ws.repeat_rows(hr)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&CTrang &P/&N")
    ws.protect("", {"insert_rows": True, "delete_rows": True, "format_columns": True, "format_rows": True,
                    "autofilter": True, "sort": True, "select_locked_cells": True,
                    "select_unlocked_cells": True})


def _number_rule(col: Column) -> str:
    """The bounds of a number column in words: no '-1e+12' for a column without bounds."""
    what = "số nguyên" if col.type == "integer" else "số"
    if col.min is not None and col.max is not None:
        return f"Nhập {what} từ {number(col.min, 2)} đến {number(col.max, 2)}."
    if col.min is not None:
        return f"Nhập {what} từ {number(col.min, 2)} trở lên."
    if col.max is not None:
        return f"Nhập {what} không quá {number(col.max, 2)}."
    return f"Nhập một {what}."


def _write(ws, r: int, c: int, value: Any, style) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, style)
    elif isinstance(value, (datetime, date)):
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), style)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, style)
    else:
        ws.write_string(r, c, str(value), style)  # never a formula, whatever it starts with


def _validation(ws, lists: _ListWriter, col: Column, first: int, c: int, last: int,
                registry: Registry | None, unit: Unit, period: Period) -> None:
    common = {"input_title": col.title[:32], "error_title": "Giá trị không hợp lệ"[:32]}
    if col.type == "choice":
        ws.data_validation(first, c, last, c, {
            **common, "validate": "list", "source": lists.source(col.choices),
            "error_message": "Chọn một giá trị trong danh sách thả xuống."})
    elif col.type == "date":
        ws.data_validation(first, c, last, c, {
            **common, "validate": "date", "criteria": "between",
            "minimum": datetime(2000, 1, 1), "maximum": datetime(2100, 12, 31),
            "input_message": "Nhập ngày dạng dd/mm/yyyy.",
            "error_message": f"Nhập ngày hợp lệ, ví dụ 15/06/{period.end.year}."})
    elif col.type in ("number", "integer", "percent"):
        lo = col.min if col.min is not None else -1e12
        hi = col.max if col.max is not None else 1e12
        ws.data_validation(first, c, last, c, {
            **common, "validate": "integer" if col.type == "integer" else "decimal", "criteria": "between",
            "minimum": lo, "maximum": hi,
            "input_message": ("Nhập số phần trăm 0–100." if col.type == "percent" else "Nhập số.")[:255],
            "error_message": _number_rule(col)})
    elif col.type == "leader" and registry is not None:
        codes = tuple(ldr.id for ldr in registry.leaders_of(unit.code)) or tuple(registry.leaders)
        if codes:
            ws.data_validation(first, c, last, c, {
                **common, "validate": "list", "source": lists.source(codes), "error_type": "warning",
                "error_message": "Mã lãnh đạo không có trong danh sách của đơn vị."})
    elif col.type == "unit" and registry is not None:
        codes = tuple(u.code for u in registry.units.values())
        ws.data_validation(first, c, last, c, {
            **common, "validate": "list", "source": lists.source(codes), "error_type": "warning",
            "error_message": "Mã đơn vị không có trong danh sách."})


@dataclass
class TemplatesResult:
    """The templates written for a round, and the expected units that got none (with the reason)."""

    paths: list[Path] = field(default_factory=list)
    skipped: list[tuple[Unit, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    folder: Path | None = None

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):
        return self.paths[i]


def build_templates(rnd, unit_codes: Iterable[str] | None = None, progress: Callable[[int, int], None] | None = None,
                    deadline: date | None = None) -> TemplatesResult:
    """Write one template per expected unit of the round's form (named when the round was opened) into its outbox.

    A deadline given here is kept for the round. Units left out are listed with the reason (the top unit issues the forms; a progress report needs
    registered tasks); a deadline already past is noted."""

    rnd = as_round(rnd)
    if not rnd.explicit:
        raise ToolkitError("Chưa chọn biểu mẫu (--form).")
    form, ctx = rnd.form, rnd.ctx
    check_version(ctx, form)  # a form changed since it was sent needs a new version number first
    if deadline:
        ctx.ws.set_period(rnd.period, deadline, [form.id])
    result = TemplatesResult(folder=rnd.outbox)
    prefill_for = _prefill_source(rnd, form)
    if form.role == "progress" and prefill_for.empty:
        keys = ", ".join(rnd.register_keys)
        raise ToolkitError(f"Chưa có nhiệm vụ nào đã đăng ký cho {keys}: tiếp nhận đợt đăng ký trước "
                           f"(toolkit collect --period {rnd.register_keys[0]}) rồi mới tạo biểu mẫu {form.name}.")
    units = rnd.expected(form, unit_codes)
    if not unit_codes:
        result.skipped = _left_out(rnd, form, units)
    if not units and not unit_codes and all(not u.parent for u in ctx.registry.units.values()):
        result.notes.append(f"Danh sách đơn vị ({ctx.ws.registry_path.name}) chưa có đơn vị trực thuộc: điền các đơn "
                            "vị (trang 'Đơn vị', cột 'Mã đơn vị cấp trên') và lãnh đạo (trang 'Lãnh đạo') rồi chạy lại.")
    note = deadline_note(ctx.ws, rnd.period)
    if note:
        result.notes.append(note)
    if form.role in ("registration", "breakthrough") and unreachable_note(ctx):
        result.notes.append(unreachable_note(ctx))
    due = rnd.deadline
    for i, unit in enumerate(units):
        rows = prefill_for(unit.code)
        if form.role == "progress" and not rows.get(form.main.id):
            result.skipped.append((unit, "chưa có nhiệm vụ đã đăng ký (đăng ký bị trả lại hoặc chưa nộp)"))
            continue
        path = rnd.outbox / template_name(form, unit, rnd.period)
        build_template(path, form, unit, rnd.period, due, registry=ctx.registry, prefill=rows,
                       office=ctx.ws.office.get("name", ""))
        result.paths.append(path)
        if progress:
            progress(i + 1, len(units))
    ctx.ws.set_period(rnd.period, due, [form.id])
    if result.paths:
        record_version(ctx, form)  # the definition these templates were built from, kept under its version
    return result


def unreachable_leaders(ctx) -> list[str]:
    """Leaders no form can give a task to, with why: their unit receives no template of a form that assigns tasks
    to leaders (registration, breakthrough) — the top unit (the office's own committee), or a unit of a kind the
    office does not ask (settings.yaml: expected_kinds). They can never be scored nor classified."""
    reg = ctx.registry
    kinds = ctx.ws.settings.get("expected_kinds") or {}
    assigning = [f for f in ctx.forms.values() if f.role in ("registration", "breakthrough")
                 and any(c.type == "leader" for c in f.main.columns)]
    reached = {u.code for f in assigning for u in reg.expected(kinds=kinds.get(f.id) or [])}
    out = []
    for ldr in sorted(reg.leaders.values(), key=lambda x: x.id):
        unit = reg.units.get(ldr.unit)
        if unit is None or unit.code in reached:
            continue
        why = ("đơn vị cấp cao nhất, không nhận biểu mẫu" if not unit.parent else
               f"loại đơn vị '{unit.kind or '(trống)'}' không nhận biểu mẫu đăng ký, việc đột phá (settings.yaml: "
               "expected_kinds)")
        out.append(f"{ldr.name} ({ldr.id}, {unit.name}: {why})")
    return out


def unreachable_note(ctx) -> str:
    """One line for init and templates naming the leaders no form can reach ('' when there are none)."""
    names = unreachable_leaders(ctx)
    if not names:
        return ""
    return (f"{len(names)} đồng chí lãnh đạo không biểu mẫu nào giao nhiệm vụ được nên sẽ không được chấm điểm, xếp "
            f"loại: {'; '.join(names)}. Muốn theo dõi, ghi các đồng chí là người phụ trách nhiệm vụ hoặc việc đột phá "
            "của một đơn vị trực thuộc, hoặc chuyển sang đơn vị nhận biểu mẫu trong danh sách lãnh đạo.")


def _left_out(rnd, form: Form, units: list[Unit]) -> list[tuple[Unit, str]]:
    chosen = {u.code for u in units}
    kinds = (rnd.ws.settings.get("expected_kinds") or {}).get(form.id) or []
    out = []
    for u in sorted(rnd.ctx.registry.units.values(), key=lambda u: u.code):
        if u.code in chosen:
            continue
        if not u.parent:
            reason = "đơn vị cấp cao nhất (cơ quan phát hành biểu mẫu)"
        elif kinds and u.kind not in kinds:
            reason = f"loại đơn vị '{u.kind or '(trống)'}' không thuộc diện nộp (settings.yaml: expected_kinds)"
        elif form.role == "progress":
            reason = "chưa có nhiệm vụ đã đăng ký (đăng ký bị trả lại hoặc chưa nộp)"
        elif form.role == "breakthrough":
            reason = "không có lãnh đạo trong danh sách lãnh đạo (trang 'Lãnh đạo')"
        else:
            reason = "không thuộc diện nộp"
        out.append((u, reason))
    return out


class _Prefill:
    """Rows a unit's template is prefilled with (progress: its registered tasks as they stand)."""

    def __init__(self, by_unit: dict[str, list[dict]] | None, sheet_id: str = ""):
        self.by_unit, self.sheet_id = by_unit, sheet_id

    @property
    def empty(self) -> bool:
        return self.by_unit is not None and not any(self.by_unit.values())

    def __call__(self, code: str) -> dict[str, list[dict]]:
        if self.by_unit is None:
            return {}
        return {self.sheet_id: self.by_unit.get(code, [])}


def _prefill_source(rnd, form: Form) -> _Prefill:
    """Progress templates are prefilled with the unit's register as it stands (adjusted, without refused or
    dropped tasks) and with its last accepted values of the year (status, percent, actual value), so that units
    update rather than retype."""
    if form.role != "progress":
        return _Prefill(None)

    by_unit: dict[str, list[dict]] = {}
    # register -> (unit, task) -> the latest accepted row: a year's tasks carry the values of that year's
    # reports, a term's tasks those of every earlier report on the term (a task finished in 2026 stays finished)
    last: dict[str, dict[tuple[str, str], dict]] = {}
    with rnd.store_handle() as store:
        for (unit, code), t in sorted(register_tasks(store, rnd.register_keys).items()):
            if t.get("dropped"):
                continue
            t = {k: (date.fromisoformat(v[:10]) if k in ("deadline", "start_date") and isinstance(v, str) and v
                     else v) for k, v in t.items()}
            by_unit.setdefault(unit, []).append(t)
        for pr in progress_rounds(rnd.ctx, store, before=rnd.period):
            if pr.form.id != form.id:
                continue
            keys = [k for k in rnd.register_keys if k in pr.register_keys and
                    (k != str(rnd.period.start.year) or pr.period.start.year == rnd.period.start.year)]
            for r in store.rows(form.id, pr.code, form.main.id) if keys else []:
                for k in keys:
                    last.setdefault(k, {})[(r["_unit"], r.get("task_code"))] = r
    carried = ("status", "percent", "actual", "completed_on")
    meaning = status_meaning(form, rnd.ctx)
    today = todays_word(form, meaning)  # a word renamed since: today's word of its meaning
    for unit, tasks in by_unit.items():
        for t in tasks:
            prev = last.get(t["_register"], {}).get((unit, t["task_code"]))
            if prev:
                for k in carried:
                    v = prev.get(k)
                    if k == "status" and meaning(v) == "adjust":
                        continue  # the request was made; this period's status is the unit's to give
                    if k == "status":
                        v = today(v)
                    t[k] = date.fromisoformat(v[:10]) if k == "completed_on" and isinstance(v, str) and v else v
    return _Prefill(by_unit, form.main.id)


__all__ = ["unreachable_leaders", "unreachable_note", "build_template", "build_templates", "template_name", "xl_rowcol_to_cell", "TemplatesResult"]
