"""The consolidated workbook of each form of a round: every accepted row with its provenance, and for progress
reports the summaries by unit, superior unit, area, causes of delay, proposals and the cascade of tasks.

Everything here reads the store, never the received files again.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from ..context import load_context
from ..definitions.forms import Form
from ..definitions.judge import STATES, interim_rule
from ..definitions.rules import load_rules, not_started_share
from ..definitions.vocabulary import status_word
from ..files import atomic_path
from ..intake.similarity import add_copy_sheets
from ..issue_labels import issue_label
from ..memory import fewer_collections
from ..paths import safe_filename
from ..register.fields import confirmation_label, register_labels
from ..register.frame import RESERVED_TITLES, TASK_FIELDS, as_date, round_frame, summarise, task_index
from ..round import as_round, open_round
from ..sheets import Formats, _Serial, cell, column_heights, new_workbook, note_across, table
from ..text import xml_safe
from .status import SUBMISSION_STATES, form_status, round_status, round_statuses  # noqa: F401 (re-exported)

SHEET_ROWS = 1_000_000
STREAM_ROWS = 30_000  # above this many rows the workbook is streamed (bounded memory, no Excel tables)


@dataclass
class MergeOutput:
    form: str
    form_name: str
    path: str
    rows: int
    units: int


@dataclass
class MergeResult:
    outputs: list[MergeOutput] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def path(self) -> str:
        return self.outputs[0].path if self.outputs else ""

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.outputs)

    @property
    def units(self) -> int:
        return max((o.units for o in self.outputs), default=0)

    def lines(self) -> list[str]:
        """One Vietnamese line per form for the CLI, the panel and `toolkit run`."""
        return [f"{o.form_name.capitalize()}: đã tổng hợp {o.rows} dòng của {o.units} đơn vị → {o.path}"
                for o in self.outputs]

    def to_dict(self) -> dict:
        return {"path": self.path, "rows": self.rows, "units": self.units, "seconds": round(self.seconds, 3),
                "outputs": [o.__dict__ for o in self.outputs]}


@fewer_collections
def merge(rnd) -> MergeResult:
    """Consolidated workbooks of a round: one per form of the round."""
    started = time.perf_counter()
    rnd = as_round(rnd)
    rnd.require_started("tổng hợp")
    result = MergeResult(outputs=[merge_form(rnd, form) for form in rnd.forms])
    result.seconds = time.perf_counter() - started
    return result


def merge_in_process(job) -> MergeResult:
    """A merge process's job (see beside.MergeBeside): the round opened afresh from the workspace on disk, with the
    caller's settings."""
    root, period, form_id, settings = job
    ctx = load_context(root)
    ctx.ws.settings = settings  # the caller's, as it holds them (a script may have changed them without saving)
    return merge(open_round(ctx, period, form_id))


def merge_form(rnd, form: Form) -> MergeOutput:
    path = rnd.output / safe_filename(f"tong_hop_{form.slug}_{rnd.code}.xlsx")
    with rnd.store_handle() as store:
        df = round_frame(rnd, store, form)
        status = form_status(rnd, form, write=False)
        issues = store.issues(form.id, rnd.code)
        extra = {s.id: store.rows(form.id, rnd.code, s.id) for s in form.sheets[1:]}
        registers = form.role in ("registration", "breakthrough")
        changes = store.task_changes(rnd.register_key) if registers else []
        opinions = list(store.iter_register(rnd.register_key, ("unit_code", "task_code", "confirmation",
                                                                "confirmed_version", "version"))) if registers else []
        # the office's opinion of each registered task, once it has given one (an office without the review step
        # gets no column of "Chờ ý kiến")
        confirmed = {(u, c): confirmation_label(*v) for u, c, *v in opinions} \
            if any(o[2] for o in opinions) else None
        cascade = task_index(store, rnd.register_keys, only="cascade") if form.role == "progress" else {}
    returned = df["_file"].astype(bool) if len(df) and "_file" in df else pd.Series(True, index=df.index)
    rows = int(returned.sum())  # counted from a mask, not a copy of the reported rows held through the merge
    units = df.loc[returned, "_unit"].nunique() if rows else 0  # (59 MB at 3,000 units)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, constant_memory=len(df) > STREAM_ROWS)
        f = Formats(wb)
        if form.role == "progress":
            _progress_sheets(wb, f, df, rnd, cascade)
        if form.role == "followup":
            _followup_sheets(wb, f, df, rnd)
        _data_sheet(wb, f, df, form, rnd, "Dữ liệu", confirmed)
        for s in form.sheets[1:]:
            _extra_sheet(wb, f, s, extra[s.id])
        if changes:
            ws = wb.add_worksheet("Điều chỉnh")
            table(ws, 0, ["Mã đơn vị", "Mã nhiệm vụ", "Nội dung", "Giá trị cũ", "Giá trị mới", "Thời điểm"],
                  [[c["unit_code"], c["task_code"], register_labels(rnd.ctx.forms).get(c["field"], c["field"]), c["old_value"],
                    c["new_value"], c["at"]] for c in changes], f, [10, 14, 18, 40, 40, 19])
        ws = wb.add_worksheet("Chưa báo cáo")
        table(ws, 0, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Tình trạng", "Email"],
              [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.email] for u in status.not_reported],
              f, [10, 34, 28, 14, 28])
        ws = wb.add_worksheet("Lỗi tiếp nhận")
        table(ws, 0, ["Tệp", "Mã đơn vị", "Mức độ", "Loại lỗi", "Trang", "Ô", "Nội dung"],
              [[i["file_name"], i["unit_code"], SEVERITY_LABELS.get(i["severity"], i["severity"]), issue_label(i["code"]),
                i["sheet"], i["cell"], i["message"]] for i in issues], f, [28, 10, 9, 20, 14, 7, 70])
        add_copy_sheets(wb, rnd.ctx, form, rnd.period)
        wb.close()
    return MergeOutput(form=form.id, form_name=form.name, path=str(path), rows=rows, units=units)


SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Ghi chú"}

STATE_COLUMNS = [("tasks", "Số nhiệm vụ"), ("due", "Đến hạn trong kỳ"), ("done_on_time", "Hoàn thành đúng hạn"),
                 ("done_late", "Hoàn thành quá hạn"), ("overdue", "Quá hạn chưa hoàn thành"),
                 ("not_done", STATES["not_done"]), ("in_progress", "Đang thực hiện, đúng tiến độ"),
                 ("behind", "Chậm tiến độ, còn hạn"), ("not_started", STATES["not_started"]),
                 ("adjust", status_word("adjust")), ("dropped", "Đưa ra khỏi danh mục"),
                 ("not_reported", "Chưa báo cáo"), ("due_done_rate", "Tỷ lệ hoàn thành nhiệm vụ đến hạn (%)"),
                 ("on_time_rate", "Tỷ lệ hoàn thành đúng hạn trên tổng số nhiệm vụ (%)"), ("avg_percent", "% hoàn thành bình quân")]
STATE_HEADERS = [t for _, t in STATE_COLUMNS]


def _share(rnd) -> float:
    return not_started_share(load_rules(rnd.ws.root))


def _state_row(d: dict) -> list:
    return [d.get(k) for k, _ in STATE_COLUMNS]


def _progress_sheets(wb, f, df: pd.DataFrame, rnd, cascade: dict[tuple[str, str], tuple]) -> None:
    """``cascade``: the tasks that cascade another one and those cascaded (frame.task_index)."""
    ws = wb.add_worksheet("Tổng hợp theo đơn vị")
    label = "SƠ BỘ " if rnd.preliminary else ""
    ws.write_string(0, 0, f"TỔNG HỢP {label}KẾT QUẢ THỰC HIỆN NHIỆM VỤ — {rnd.period.label.upper()}", f.title)
    widths = [10, 32, 24] + [11] * len(STATE_COLUMNS)
    note_across(ws, 1, f"Tính đến ngày {rnd.as_of:%d/%m/%Y}. " + " ".join(interim_rule(_share(rnd))), f, widths)
    names = df.drop_duplicates("_unit").set_index("_unit")[["_unit_name", "_parent_name"]].to_dict("index") \
        if len(df) else {}
    rows = [[d["key"], names[d["key"]]["_unit_name"], names[d["key"]]["_parent_name"], *_state_row(d)]
            for d in summarise(df, "_unit")]
    table(ws, 3, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", *STATE_HEADERS], rows, f, widths)
    if rows:
        total = summarise(df.assign(_all="Tổng cộng"), "_all")[0]
        r = 4 + len(rows)
        ws.write_string(r, 1, "Tổng cộng", f.bold)
        for c, v in enumerate(_state_row(total), start=3):
            cell(ws, r, c, v, f)
    ws = wb.add_worksheet("Theo cấp trên")
    table(ws, 0, ["Đơn vị cấp trên", *STATE_HEADERS],
          [[d["key"] or "(cấp cao nhất)", *_state_row(d)] for d in summarise(df, "_parent_name")], f,
          [30] + [11] * len(STATE_COLUMNS))
    ws = wb.add_worksheet("Theo lĩnh vực")
    table(ws, 0, ["Lĩnh vực", *STATE_HEADERS],
          [[d["key"] or "(chưa rõ)", *_state_row(d)] for d in summarise(df, "area")], f,
          [30] + [11] * len(STATE_COLUMNS))
    ws = wb.add_worksheet("Nguyên nhân chậm")
    causes = Counter(x for x in df.get("delay_cause", pd.Series(dtype=object)).dropna())
    table(ws, 0, ["Nguyên nhân", "Số nhiệm vụ"], [[k, v] for k, v in causes.most_common()], f, [50, 12])
    ws = wb.add_worksheet("Kiến nghị")
    props = df.loc[df["proposals"].notna(), ["_unit", "_unit_name", "task_code", "proposals"]] \
        if "proposals" in df else df.iloc[0:0]  # (the four columns, not every column of those rows)
    table(ws, 0, ["Mã đơn vị", "Tên đơn vị", "Mã nhiệm vụ", "Kiến nghị, đề xuất"],
          [[r["_unit"], r["_unit_name"], r["task_code"], r["proposals"]] for r in props.to_dict("records")], f,
          [10, 30, 14, 90])
    ws = wb.add_worksheet("Phân cấp nhiệm vụ")
    title, parent = TASK_FIELDS.index("title"), TASK_FIELDS.index("parent_code")
    by_code = {code: (code, t[title], unit) for (unit, code), t in cascade.items()}
    states = dict(zip(zip(df["_unit"].tolist(), df["task_code"].tolist()), df["_state"].tolist())) \
        if cascade and len(df) else {}
    rows = []
    for (unit, code), t in cascade.items():
        if t[parent] and t[parent] in by_code:
            rows.append([*by_code[t[parent]], code, t[title], unit, STATES.get(states.get((unit, code)), "Chưa báo cáo")])
    rows.sort(key=lambda x: (x[0], x[5]))
    table(ws, 0, ["Nhiệm vụ cấp trên", "Tên nhiệm vụ cấp trên", "Đơn vị", "Nhiệm vụ cụ thể hoá", "Tên nhiệm vụ",
                  "Đơn vị thực hiện", "Tình trạng"], rows, f, [14, 40, 10, 14, 40, 12, 24])


def _followup_sheets(wb, f, df: pd.DataFrame, rnd) -> None:
    ws = wb.add_worksheet("Theo cơ sở")
    rows = []
    if len(df):
        for code, g in df.groupby("commune_code", dropna=True, sort=True):
            unit = rnd.ctx.registry.units.get(code)
            rows.append([code, unit.name if unit else code, len(g), ", ".join(sorted({str(c) for c in g["cadre"]
                                                                                     if isinstance(c, str)})),
                         int(g["recommendations"].notna().sum()) if "recommendations" in g else 0])
    table(ws, 0, ["Mã đơn vị cơ sở", "Tên đơn vị cơ sở", "Số lần dự họp, làm việc", "Cán bộ theo dõi",
                  "Số kiến nghị"], rows, f, [12, 32, 12, 40, 10])
    ws = wb.add_worksheet("Kiến nghị")
    recs = df[df["recommendations"].notna()] if "recommendations" in df else df.iloc[0:0]
    table(ws, 0, ["Đơn vị báo cáo", "Cán bộ", "Cơ sở", "Ngày", "Kiến nghị"],
          [[r["_unit_name"], r["cadre"], r["commune_code"], r["meeting_date"], r["recommendations"]]
           for r in recs.to_dict("records")], f, [28, 22, 12, 12, 80])


def _data_columns(form: Form, rnd, confirmed: bool = False) -> list[tuple[str, str, float, str]]:
    """(field, title, width, type) of the data sheet: the unit's columns (a name beside each leader or unit
    code), the toolkit's judgement for progress reports, the office's opinion of each registered task, then the
    provenance."""
    cols = [("_unit", "Mã đơn vị", 10, "text"), ("_unit_name", "Tên đơn vị", 28, "text")]
    for c in form.main.columns:
        cols.append((c.name, c.title, min(c.width, 40), c.type))
        if c.type == "leader":
            cols.append((f"{c.name}__name", f"{c.title} – họ tên", 24, "text"))
        elif c.type == "unit":
            cols.append((f"{c.name}__name", f"{c.title} – tên", 24, "text"))
    if form.role == "progress":
        cols += [("area", "Lĩnh vực", 18, "text"), ("leader_id__name", "Lãnh đạo phụ trách", 22, "text"),
                 ("_state", "Đánh giá", 22, "text"), ("_elapsed", RESERVED_TITLES["_elapsed"], 10, "number"),
                 ("_timeline", RESERVED_TITLES["_timeline"], 30, "text"), ("_completed_on", "Ngày hoàn thành (xác định)", 12, "date"),
                 ("_date_note", "Ghi chú ngày hoàn thành", 26, "text"),
                 ("_attainment", "Mức đạt chỉ tiêu (%)", 11, "number"), ("_register", "Danh mục", 10, "text")]
    if confirmed:
        cols.append(("_confirmation", "Ý kiến của Văn phòng", 20, "text"))
    cols += [("_file", RESERVED_TITLES["_file"], 26, "text"), ("_sheet", "Trang", 12, "text"),
             ("_row", "Dòng", 7, "integer"), ("_sha256", "SHA-256", 20, "text")]
    return cols


def _data_sheet(wb, f, df: pd.DataFrame, form: Form, rnd, title: str, confirmed: dict | None = None) -> None:
    """All rows with provenance, written column by column with type-specific writers (the biggest sheet).
    ``confirmed``: (unit, task code) -> the office's opinion of the registered task (a registration's rows)."""
    cols, columns = data_columns(df, form, rnd, confirmed)
    n = len(df)
    for part, first in enumerate(range(0, max(n, 1), SHEET_ROWS)):  # an Excel sheet holds 1,048,576 rows
        last = min(first + SHEET_ROWS, n)
        ws = wb.add_worksheet(title if part == 0 else f"{title} ({part + 1})")
        table(ws, 0, [c[1] for c in cols], [], f, [c[2] for c in cols], rows_count=last - first)
        _write_data_rows(ws, f, columns, first, last, [c[2] for c in cols])


def data_columns(df: pd.DataFrame, form: Form, rnd, confirmed: dict | None = None) -> tuple[list, list]:
    """The data sheet's columns (field, title, width, type), each with what gives its values for a block of rows
    (``values(start, end)``): the frame's column, turned into Python values a block at a time (the whole sheet as
    lists held 90 MB more at 3,000 units)."""
    cols = _data_columns(form, rnd, confirmed is not None)
    reg = rnd.ctx.registry
    leader_cols = {c.name for c in form.main.columns if c.type == "leader"} | {"leader_id"}
    n = len(df)
    columns = []
    for name, _, _, kind in cols:
        base = name[: -len("__name")] if name.endswith("__name") else name
        series = df[base] if n and base in df else None
        if name.endswith("__name"):  # a name beside each leader or unit code
            names = {k: v.name for k, v in (reg.leaders if base in leader_cols else reg.units).items()}
            convert = functools.partial(_names, names)
        elif name == "_confirmation":  # by the row's unit and task code, a block at a time
            columns.append((kind, functools.partial(_opinions, confirmed or {}, df if n and "task_code" in df else None)))
            continue
        else:
            convert = _CONVERT.get(name)

        def values(start: int, end: int, series=series, convert=convert) -> list:
            out = series.iloc[start:end].tolist() if series is not None else [None] * (end - start)
            return convert(out) if convert is not None else out

        columns.append(("date" if kind == "date" else kind, values))
    return cols, columns


def _names(names: dict, codes: list) -> list:
    return [names.get(c) if isinstance(c, str) else None for c in codes]


def _opinions(confirmed: dict, df: pd.DataFrame | None, start: int, end: int) -> list:
    """The office's opinion of the registered task of each row from ``start`` to ``end``."""
    if df is None:
        return [None] * (end - start)
    return [confirmed.get(k) for k in zip(df["_unit"].iloc[start:end].tolist(), df["task_code"].iloc[start:end].tolist())]


_CONVERT = {"_state": lambda values: [STATES.get(v, v) for v in values],  # the data sheet's own wording of a value
            "_attainment": lambda values: [round(v, 1) if isinstance(v, float) and v == v else None for v in values]}


def data_values(df: pd.DataFrame, form: Form, rnd) -> tuple[list, list]:
    """The data sheet's columns (field, title, width, type) and their values, one list per column."""
    cols, columns = data_columns(df, form, rnd)
    return cols, [(kind, values(0, len(df))) for kind, values in columns]


def _write_data_rows(ws, f, columns: list, first: int, last: int, widths: list[float]) -> None:
    """The data sheet's rows: each column turned once into ready cell values (a date into its Excel serial,
    text cleaned of what XML forbids, memoised as most values repeat), written a block at a time by
    Sheet.stream_columns (streamed as XML; in a workbook kept in memory, each row as high as its text)."""
    serials: dict = {}
    cleaned: dict = {}
    formats = {int: f.num, float: f.num, _Serial: f.date, str: f.text}

    def value(v, kind: str):
        if v is None or v != v:
            return None
        if kind == "date" and isinstance(v, date):
            out = serials.get(v)
            if out is None:
                out = serials[v] = _Serial(ws._convert_date_time(datetime(v.year, v.month, v.day)))
            return out
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v if type(v) in (int, float) else float(v)
        short = isinstance(v, str) and len(v) <= 100  # codes, names, states, files repeat; long texts do not
        if short and not v:
            return None  # an empty text is an empty cell (a cell holding "" is counted by COUNTA, not blank to ISBLANK)
        out = cleaned.get(v) if short else None
        if out is None:
            out = xml_safe(str(v))
            if short:
                cleaned[v] = out
        return out

    for start in range(first, last, 4096):  # a block of rows at a time: bounded memory on any round
        end = min(start + 4096, last)
        top = start - first + 1
        block = [(kind, values(start, end)) for kind, values in columns]
        # row heights from the text as received (streamed rows too: each long text printed one line)
        heights = column_heights([values for _, values in block], widths, top, points=11)
        ws.stream_columns(top, [[value(v, kind) for v in values] for kind, values in block], formats, heights)


def _extra_sheet(wb, f, sheet, rows: list[dict]) -> None:
    ws = wb.add_worksheet(sheet.name[:31])
    cols = [("_unit", "Mã đơn vị", 10)] + [(c.name, c.title, min(c.width, 40)) for c in sheet.columns] + \
        [("_file", "Tệp nguồn", 26), ("_row", "Dòng", 7)]
    dates = {c.name for c in sheet.columns if c.type == "date"}
    data = [[as_date(r.get(n)) if n in dates else r.get(n) for n, _, _ in cols] for r in rows]
    table(ws, 0, [c[1] for c in cols], data, f, [c[2] for c in cols])


__all__ = ["merge", "merge_form", "merge_in_process", "MergeResult", "MergeOutput", "round_status",
           "round_statuses", "SUBMISSION_STATES", "STATE_COLUMNS"]
