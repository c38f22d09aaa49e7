"""The round from the store: task states, completeness and timeliness, the consolidated workbook.

Everything here reads the store, never the received files again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from .checks import COMPLETED
from .config import atomic_path
from .context import Context, expected_units, load_context
from .forms import Form
from .paths import safe_filename
from .periods import Period, parse_period
from .store import Store

STATES = {
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
    "in_progress": "Đang thực hiện, trong hạn",
    "behind": "Chậm tiến độ, còn hạn",
    "overdue": "Quá hạn, chưa hoàn thành",
    "not_started": "Chưa triển khai",
    "adjust": "Đề nghị điều chỉnh",
}
SUBMISSION_STATES = {"on_time": "Đúng hạn", "late": "Nộp muộn", "rejected": "Bị trả lại", "missing": "Chưa nộp"}


def default_form(period: Period) -> str:
    return "registration" if period.kind in ("year", "term") else "progress"


def _d(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def task_state(status: str | None, deadline: date | None, completed_on: date | None, as_of: date) -> str:
    if status in COMPLETED:
        if deadline and completed_on and completed_on > deadline:
            return "done_late"
        return "done_on_time"
    if status == "Đề nghị điều chỉnh":
        return "adjust"
    if status == "Không hoàn thành" or (deadline and deadline < as_of):
        return "overdue"
    if status == "Chưa triển khai":
        return "not_started"
    if status == "Chậm tiến độ":
        return "behind"
    return "in_progress"


_FRAMES: dict[tuple, pd.DataFrame] = {}


def round_frame(ctx: Context, store: Store, form: Form, period: Period) -> pd.DataFrame:
    """Rows of the round's active submissions with unit, provenance, register fields and derived state.

    Memoised in the process on the store's state, so `toolkit run` (merge, score, report) builds it once."""
    key = (str(store.path), form.id, period.code, store.version(), ctx.ws.registry_path.stat().st_mtime_ns)
    if key not in _FRAMES:
        _FRAMES.clear()
        _FRAMES[key] = _build_frame(ctx, store, form, period)
    return _FRAMES[key].copy()


def _build_frame(ctx: Context, store: Store, form: Form, period: Period) -> pd.DataFrame:
    rows = store.rows(form.id, period.code, form.main.id)
    register = {(t["unit_code"], t["task_code"]): t for t in store.register(period.register_key)}
    reg = ctx.registry
    records = []
    for r in rows:
        unit = r["_unit"]
        rec = {c.name: r.get(c.name) for c in form.main.columns}
        task = register.get((unit, r.get("task_code"))) or {}
        for k in ("area", "kind", "leader_id", "weight", "parent_code", "unit_measure"):
            rec.setdefault(k, task.get(k))
            if rec.get(k) is None:
                rec[k] = task.get(k)
        for k in ("title", "indicator", "target", "deadline"):
            if rec.get(k) in (None, "") and task.get(k) is not None:
                rec[k] = task.get(k)
        for c in form.main.columns:
            if c.type == "date":
                rec[c.name] = _d(rec.get(c.name))
        rec["deadline"] = _d(rec.get("deadline"))
        u = reg.units.get(unit)
        rec.update(unit_code=unit, unit_name=u.name if u else unit, parent_code=u.parent if u else "",
                   parent_name=reg.parent_name(unit), source_file=r["_file"], sha256=r["_sha256"],
                   source_sheet=r["_sheet"], source_row=r["_row"])
        rec["task_parent"] = task.get("parent_code")
        if form.role == "progress":
            rec["state"] = task_state(rec.get("status"), rec.get("deadline"), rec.get("completed_on"), period.end)
            target, actual = rec.get("target"), rec.get("actual")
            rec["attainment"] = (actual / target * 100) if isinstance(target, (int, float)) and target and \
                isinstance(actual, (int, float)) else None
        records.append(rec)
    return pd.DataFrame.from_records(records)


# --- completeness and timeliness ------------------------------------------------------------------

@dataclass
class UnitStatus:
    code: str
    name: str
    parent: str
    state: str
    late_days: int = 0
    errors: int = 0
    file: str = ""
    received: str = ""
    email: str = ""
    head: str = ""


@dataclass
class StatusResult:
    period: str
    form: str
    deadline: str
    units: list[UnitStatus] = field(default_factory=list)
    workbook: str = ""

    def rates(self, units: list[UnitStatus] | None = None) -> dict[str, Any]:
        units = self.units if units is None else units
        n = len(units) or 1
        reported = sum(u.state in ("on_time", "late") for u in units)
        on_time = sum(u.state == "on_time" for u in units)
        return {"expected": len(units), "reported": reported, "on_time": on_time,
                "late": sum(u.state == "late" for u in units), "rejected": sum(u.state == "rejected" for u in units),
                "missing": sum(u.state == "missing" for u in units),
                "reporting_rate": round(100 * reported / n, 1), "on_time_rate": round(100 * on_time / n, 1)}

    def by_parent(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[UnitStatus]] = {}
        for u in self.units:
            groups.setdefault(u.parent or "(cấp cao nhất)", []).append(u)
        return {k: self.rates(v) for k, v in sorted(groups.items())}

    @property
    def not_reported(self) -> list[UnitStatus]:
        return [u for u in self.units if u.state in ("missing", "rejected")]

    def to_dict(self) -> dict:
        return {"period": self.period, "form": self.form, "deadline": self.deadline, "rates": self.rates(),
                "by_parent": self.by_parent(), "workbook": self.workbook,
                "units": [u.__dict__ | {"state_label": SUBMISSION_STATES[u.state]} for u in self.units]}


def round_status(workspace, period: str | Period, form_id: str | None = None, write: bool = True) -> StatusResult:
    ctx = load_context(workspace)
    period = period if isinstance(period, Period) else parse_period(period)
    form = ctx.form(form_id or default_form(period))
    deadline = ctx.ws.deadline(period)
    result = StatusResult(period=period.code, form=form.id, deadline=deadline.strftime("%d/%m/%Y"))
    with Store(ctx.ws.db_path) as store:
        subs = store.submissions(form.id, period.code)
    for unit in expected_units(ctx, form):
        mine = [s for s in subs if s["unit_code"] == unit.code]
        active = next((s for s in mine if s["active"]), None)
        parent = ctx.registry.parent_name(unit.code)
        us = UnitStatus(code=unit.code, name=unit.name, parent=parent, state="missing", email=unit.email,
                        head=f"{unit.head_name} ({unit.head_title})" if unit.head_name else "")
        if active:
            us.state = "late" if active["late_days"] else "on_time"
            us.late_days, us.file, us.received = active["late_days"] or 0, active["file_name"], active["file_mtime"]
        elif mine:
            last = mine[-1]
            us.state, us.errors, us.file, us.received = "rejected", last["errors"], last["file_name"], last["file_mtime"]
        result.units.append(us)
    if write:
        result.workbook = str(write_not_reported(ctx, period, form, result))
    return result


def write_not_reported(ctx: Context, period: Period, form: Form, status: StatusResult) -> Path:
    path = ctx.ws.round_dir(period, "output") / safe_filename(f"danh_sach_chua_nop_{form.id}_{period.code}.xlsx")
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        f = _Formats(wb)
        ws = wb.add_worksheet("Chưa nộp")
        ws.merge_range(0, 0, 0, 6, f"DANH SÁCH ĐƠN VỊ CHƯA NỘP — {form.title} — {period.label.upper()}", f.title)
        ws.write_string(1, 0, f"Hạn nộp: {status.deadline}. Lập lúc {datetime.now():%H:%M %d/%m/%Y}.", f.note)
        rows = [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.errors or "", u.head, u.email]
                for u in status.not_reported]
        _write_table(ws, 3, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Tình trạng", "Số lỗi",
                             "Người đứng đầu", "Email liên hệ"], rows, f, [10, 34, 26, 14, 8, 34, 28])
        ws2 = wb.add_worksheet("Tình hình nộp")
        rows = [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.late_days or "", u.file, u.received]
                for u in status.units]
        _write_table(ws2, 0, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Tình trạng", "Muộn (ngày)",
                              "Tệp", "Thời điểm nhận"], rows, f, [10, 34, 26, 14, 10, 30, 19])
        wb.close()
    return path


# --- consolidated workbook ------------------------------------------------------------------------

class _Formats:
    def __init__(self, wb):
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.note = wb.add_format({**base, "italic": True})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "align": "center", "valign": "vcenter"})
        self.text = wb.add_format({**base, "text_wrap": True})
        self.date = wb.add_format({**base, "num_format": "dd/mm/yyyy"})
        self.num = wb.add_format({**base, "num_format": "#,##0.##"})
        self.pct = wb.add_format({**base, "num_format": "0.0"})
        self.bold = wb.add_format({**base, "bold": True})


def _cell(ws, r: int, c: int, v: Any, f: _Formats) -> None:
    if v is None or (isinstance(v, float) and v != v):
        ws.write_blank(r, c, None, f.text)
    elif isinstance(v, bool):
        ws.write_string(r, c, "có" if v else "không", f.text)
    elif isinstance(v, (datetime, date)):
        ws.write_datetime(r, c, datetime(v.year, v.month, v.day), f.date)
    elif isinstance(v, (int, float)):
        ws.write_number(r, c, v, f.num)
    else:
        ws.write_string(r, c, str(v), f.text)  # text from units is never a formula


def _write_table(ws, top: int, headers: list[str], rows: list[list], f: _Formats, widths: list[float],
                 name: str | None = None, rows_count: int | None = None) -> None:
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.set_row(top, 30)
    n = len(rows) if rows_count is None else rows_count
    if ws.constant_memory:  # large rounds: rows streamed to disk, filter buttons instead of an Excel table
        for c, h in enumerate(headers):
            ws.write_string(top, c, h, f.head)
        ws.autofilter(top, 0, top + max(n, 1), len(headers) - 1)
    else:  # an Excel table (filter buttons, banded rows) over the header and the data rows
        ws.add_table(top, 0, top + max(n, 1), len(headers) - 1, {
            "columns": [{"header": h, "header_format": f.head} for h in headers],
            "style": "Table Style Light 9", "autofilter": True})
    for r, row in enumerate(rows, start=top + 1):
        for c, v in enumerate(row):
            _cell(ws, r, c, v, f)
    ws.freeze_panes(top + 1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)


@dataclass
class MergeResult:
    path: str
    rows: int
    units: int
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def summarise(df: pd.DataFrame, by: str) -> list[dict]:
    """Counts of task states per group (unit, parent, area)."""
    out = []
    if df.empty:
        return out
    for key, g in df.groupby(by, dropna=False, sort=True):
        counts = Counter(g["state"])
        n = len(g)
        done = counts["done_on_time"] + counts["done_late"]
        out.append({"key": "" if pd.isna(key) else key, "tasks": n, **{s: counts[s] for s in STATES},
                    "done": done, "done_rate": round(100 * done / n, 1) if n else 0.0,
                    "on_time_rate": round(100 * counts["done_on_time"] / n, 1) if n else 0.0,
                    "avg_percent": round(float(pd.to_numeric(g["percent"], errors="coerce").fillna(0).mean()), 1)})
    return out


def merge(workspace, period: str | Period, form_id: str | None = None) -> MergeResult:
    import time

    started = time.perf_counter()
    ctx = load_context(workspace)
    period = period if isinstance(period, Period) else parse_period(period)
    form = ctx.form(form_id or default_form(period))
    path = ctx.ws.round_dir(period, "output") / safe_filename(f"tong_hop_{form.id}_{period.code}.xlsx")
    with Store(ctx.ws.db_path) as store:
        df = round_frame(ctx, store, form, period)
        status = round_status(ctx.ws, period, form.id, write=False)
        issues = store.issues(form.id, period.code)
        extra = {s.id: store.rows(form.id, period.code, s.id) for s in form.sheets[1:]}
        changes = store.task_changes(period.register_key) if form.role in ("registration", "breakthrough") else []
        register = store.register(period.register_key)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "constant_memory": len(df) > STREAM_ROWS})
        f = _Formats(wb)
        if form.role == "progress":
            _progress_sheets(wb, f, df, period, form, register)
        _data_sheet(wb, f, df, form, "Dữ liệu")
        for s in form.sheets[1:]:
            _extra_sheet(wb, f, s, extra[s.id])
        if changes:
            ws = wb.add_worksheet("Điều chỉnh")
            _write_table(ws, 0, ["Mã đơn vị", "Mã nhiệm vụ", "Nội dung", "Giá trị cũ", "Giá trị mới", "Thời điểm"],
                         [[c["unit_code"], c["task_code"], c["field"], c["old_value"], c["new_value"], c["at"]]
                          for c in changes], f, [10, 14, 14, 40, 40, 19])
        ws = wb.add_worksheet("Chưa báo cáo")
        _write_table(ws, 0, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Tình trạng", "Email"],
                     [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.email] for u in status.not_reported],
                     f, [10, 34, 28, 14, 28])
        ws = wb.add_worksheet("Lỗi tiếp nhận")
        _write_table(ws, 0, ["Tệp", "Mã đơn vị", "Mức độ", "Mã lỗi", "Trang", "Ô", "Nội dung"],
                     [[i["file_name"], i["unit_code"], i["severity"], i["code"], i["sheet"], i["cell"], i["message"]]
                      for i in issues], f, [28, 10, 9, 20, 14, 7, 70])
        wb.close()
    return MergeResult(path=str(path), rows=len(df), units=df["unit_code"].nunique() if len(df) else 0,
                       seconds=time.perf_counter() - started)


def _state_row(d: dict) -> list:
    return [d["tasks"], d["done_on_time"], d["done_late"], d["in_progress"], d["behind"], d["overdue"],
            d["not_started"], d["adjust"], d["done_rate"], d["on_time_rate"], d["avg_percent"]]


STATE_HEADERS = ["Số nhiệm vụ", "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Đang thực hiện trong hạn",
                 "Chậm tiến độ, còn hạn", "Quá hạn chưa hoàn thành", "Chưa triển khai", "Đề nghị điều chỉnh",
                 "Tỷ lệ hoàn thành (%)",
                 "Tỷ lệ đúng hạn (%)", "% hoàn thành bình quân"]


def _progress_sheets(wb, f, df: pd.DataFrame, period: Period, form: Form, register: list[dict]) -> None:
    ws = wb.add_worksheet("Tổng hợp theo đơn vị")
    ws.write_string(0, 0, f"TỔNG HỢP KẾT QUẢ THỰC HIỆN NHIỆM VỤ — {period.label.upper()}", f.title)
    names = df.drop_duplicates("unit_code").set_index("unit_code")[["unit_name", "parent_name"]].to_dict("index") \
        if len(df) else {}
    rows = [[d["key"], names[d["key"]]["unit_name"], names[d["key"]]["parent_name"], *_state_row(d)]
            for d in summarise(df, "unit_code")]
    _write_table(ws, 2, ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", *STATE_HEADERS], rows, f,
                 [10, 32, 24] + [11] * 11)
    if rows:
        total = summarise(df.assign(_all="Toàn tỉnh"), "_all")[0]
        r = 3 + len(rows)
        ws.write_string(r, 1, "Tổng cộng", f.bold)
        for c, v in enumerate(_state_row(total), start=3):
            _cell(ws, r, c, v, f)
    ws = wb.add_worksheet("Theo cấp trên")
    _write_table(ws, 0, ["Đơn vị cấp trên", *STATE_HEADERS],
                 [[d["key"] or "(cấp cao nhất)", *_state_row(d)] for d in summarise(df, "parent_name")], f,
                 [30] + [11] * 11)
    ws = wb.add_worksheet("Theo lĩnh vực")
    _write_table(ws, 0, ["Lĩnh vực", *STATE_HEADERS],
                 [[d["key"] or "(chưa rõ)", *_state_row(d)] for d in summarise(df, "area")], f, [30] + [11] * 11)
    ws = wb.add_worksheet("Nguyên nhân chậm")
    causes = Counter(x for x in df.get("delay_cause", pd.Series(dtype=object)).dropna())
    _write_table(ws, 0, ["Nguyên nhân", "Số nhiệm vụ"], [[k, v] for k, v in causes.most_common()], f, [50, 12])
    ws = wb.add_worksheet("Kiến nghị")
    props = df[df["proposals"].notna()] if "proposals" in df else df.iloc[0:0]
    _write_table(ws, 0, ["Mã đơn vị", "Tên đơn vị", "Mã nhiệm vụ", "Kiến nghị, đề xuất"],
                 [[r.unit_code, r.unit_name, r.task_code, r.proposals] for r in props.itertuples()], f,
                 [10, 30, 14, 90])
    ws = wb.add_worksheet("Phân cấp nhiệm vụ")
    by_code = {(t["task_code"]): t for t in register}
    states = {(r.unit_code, r.task_code): r.state for r in df.itertuples()} if len(df) else {}
    rows = []
    for t in register:
        if t.get("parent_code") and t["parent_code"] in by_code:
            p = by_code[t["parent_code"]]
            rows.append([p["task_code"], p["title"], p["unit_code"], t["task_code"], t["title"], t["unit_code"],
                         STATES.get(states.get((t["unit_code"], t["task_code"])), "Chưa báo cáo")])
    rows.sort(key=lambda x: (x[0], x[5]))
    _write_table(ws, 0, ["Nhiệm vụ cấp trên", "Tên nhiệm vụ cấp trên", "Đơn vị", "Nhiệm vụ cụ thể hoá",
                         "Tên nhiệm vụ", "Đơn vị thực hiện", "Tình trạng"], rows, f, [14, 40, 10, 14, 40, 12, 24])


def _data_sheet(wb, f, df: pd.DataFrame, form: Form, title: str) -> None:
    """All rows with provenance. Written column by column with type-specific writers (the biggest sheet)."""
    types = {c.name: c.type for c in form.main.columns}
    cols = [("unit_code", "Mã đơn vị", 10), ("unit_name", "Tên đơn vị", 28)]
    cols += [(c.name, c.title, min(c.width, 40)) for c in form.main.columns]
    if form.role == "progress":
        cols += [("area", "Lĩnh vực", 18), ("state", "Đánh giá tiến độ", 22), ("attainment", "Mức đạt chỉ tiêu (%)", 11)]
        types.update(state="text", attainment="number")
    cols += [("source_file", "Tệp nguồn", 26), ("source_sheet", "Trang", 12), ("source_row", "Dòng", 7),
             ("sha256", "SHA-256", 20)]
    types.update(source_row="integer")
    n = len(df)
    columns = []
    for name, _, _ in cols:
        values = df[name].tolist() if n and name in df else [None] * n
        if name == "state":
            values = [STATES.get(v, v) for v in values]
        elif name == "attainment":
            values = [round(v, 1) if isinstance(v, float) and v == v else None for v in values]
        columns.append((types.get(name, "text"), values))
    for part, first in enumerate(range(0, max(n, 1), SHEET_ROWS)):  # an Excel sheet holds 1,048,576 rows
        last = min(first + SHEET_ROWS, n)
        ws = wb.add_worksheet(title if part == 0 else f"{title} ({part + 1})")
        _write_table(ws, 0, [c[1] for c in cols], [], f, [c[2] for c in cols], rows_count=last - first)
        _write_rows(ws, f, columns, first, last)


SHEET_ROWS = 1_000_000
STREAM_ROWS = 30_000  # above this many rows the workbook is streamed (bounded memory, no Excel tables)


def _write_rows(ws, f, columns: list, first: int, last: int) -> None:
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    for r in range(first, last):
        row = r - first + 1
        for c, (kind, values) in enumerate(columns):
            v = values[r]
            if v is None or v != v:
                continue
            if kind == "date" and isinstance(v, date):
                write_datetime(row, c, datetime(v.year, v.month, v.day), f.date)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                write_number(row, c, v, f.num)
            else:
                write_string(row, c, str(v), f.text)  # text from units is never a formula


def _extra_sheet(wb, f, sheet, rows: list[dict]) -> None:
    ws = wb.add_worksheet(sheet.name[:31])
    cols = [("_unit", "Mã đơn vị", 10)] + [(c.name, c.title, min(c.width, 40)) for c in sheet.columns] + \
        [("_file", "Tệp nguồn", 26), ("_row", "Dòng", 7)]
    data = []
    for r in rows:
        data.append([_d(r.get(n)) if any(c.name == n and c.type == "date" for c in sheet.columns) else r.get(n)
                     for n, _, _ in cols])
    _write_table(ws, 0, [c[1] for c in cols], data, f, [c[2] for c in cols])
