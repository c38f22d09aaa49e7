"""Button handlers of the Excel control panel (xlwings). Thin: read the caller book's parameters, call one
library function, write the results into the panel's sheets, log a line; failures become a Vietnamese
alert, never a traceback. xlwings is imported only here, and only when Excel calls in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import ToolkitError
from .panel import ACTIONS, CELLS, CONTROL_SHEET, PANEL_META

LABEL_TO_KEY = {label: key for key, label in ACTIONS}


def main(book=None) -> None:
    """Entry point called by the SampleCall macro (through the BangDieuKhien.py shim)."""
    if book is None:
        import xlwings as xw  # lazy: only when Excel calls

        book = xw.Book.caller()
    run(book)


def _caller_button(book) -> str | None:
    try:
        return str(book.app.api.Caller)
    except Exception:
        return None


def _action(book) -> str:
    button = _caller_button(book)
    if button:
        try:
            mapping = {r[0]: r[1] for r in (book.sheets[PANEL_META].range("A2:B20").value or []) if r and r[0]}
        except Exception:
            mapping = {}
        key = mapping.get(button)
        if key and key != "@cell":
            return key
    label = _text(book.sheets[CONTROL_SHEET].range(CELLS["action"]).value)
    if label not in LABEL_TO_KEY:
        raise ToolkitError(f"Chưa chọn việc cần làm hợp lệ ở ô {CELLS['action']} (đang là '{label}').")
    return LABEL_TO_KEY[label]


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def params(book) -> dict:
    sh = book.sheets[CONTROL_SHEET]
    values = {k: sh.range(cell).value for k, cell in CELLS.items()}
    folder = _text(values["workspace"])
    if not folder:
        raise ToolkitError(f"Chưa ghi thư mục làm việc ở ô {CELLS['workspace']}.")
    if not Path(folder).is_dir():
        raise ToolkitError(f"Không tìm thấy thư mục làm việc '{folder}' (ô {CELLS['workspace']}). Nếu thư mục nằm "
                           "trên OneDrive, chọn 'Always keep on this device' rồi thử lại.")
    deadline = values["deadline"]
    if isinstance(deadline, datetime):
        deadline = deadline.date()
    elif deadline not in (None, "") and not isinstance(deadline, date):
        raise ToolkitError(f"Hạn nộp ở ô {CELLS['deadline']} không phải ngày (dd/mm/yyyy).")
    return {"workspace": folder, "form": _text(values["form"]) or None, "period": _text(values["period"]),
            "deadline": deadline or None}


def run(book) -> str:
    """Run the chosen action; returns the log line written (also on failure)."""
    started = datetime.now()
    try:
        action = _action(book)
        p = params(book)
        outcome = ACTION_FUNCS[action](book, p)
        line = [started.strftime("%d/%m/%Y %H:%M:%S"), dict(ACTIONS)[action], "Xong", outcome]
    except ToolkitError as exc:
        line = [started.strftime("%d/%m/%Y %H:%M:%S"), "", "Lỗi", str(exc)]
        _alert(book, str(exc))
    except Exception as exc:  # a tool fault: log the detail, show a Vietnamese alert
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        line = [started.strftime("%d/%m/%Y %H:%M:%S"), "", "Lỗi", f"Lỗi không mong đợi: {detail}"]
        _alert(book, "Có lỗi không mong đợi khi chạy. Xem trang 'Nhật ký' và gửi cho người quản trị.\n" + detail)
    _log(book, line)
    return " | ".join(line)


def _alert(book, message: str) -> None:
    try:
        book.app.alert(message, title="Bảng điều khiển", mode="critical")
    except Exception:
        pass


def _log(book, line: list) -> None:
    sh = book.sheets["Nhật ký"]
    existing = sh.range("A1:D2000").value or []
    rows = [r for r in existing if r and any(r)]
    if not rows or rows[0][0] != "Thời điểm":
        rows = [["Thời điểm", "Việc", "Kết quả", "Chi tiết"]]
    rows.append(line)
    sh.range("A1").value = rows


def _table(book, sheet: str, header: list[str], rows: list[list]) -> None:
    sh = book.sheets[sheet]
    sh.clear_contents()
    sh.range("A1").value = [header] + rows if rows else [header]


def _period(p: dict):
    from .periods import parse_period

    if not p["period"]:
        raise ToolkitError(f"Chưa chọn kỳ báo cáo ở ô {CELLS['period']}.")
    return parse_period(p["period"])


def do_templates(book, p) -> str:
    from .config import Workspace
    from .templates import build_templates

    period = _period(p)
    if p["deadline"]:
        Workspace.open(p["workspace"]).set_period(period, p["deadline"])
    if not p["form"]:
        raise ToolkitError(f"Chưa chọn biểu mẫu ở ô {CELLS['form']}.")
    paths = build_templates(p["workspace"], p["form"], period)
    return f"{len(paths)} biểu mẫu trong {paths[0].parent if paths else ''}"


def do_collect(book, p) -> str:
    from .collect import collect

    result = collect(p["workspace"], _period(p), p["form"] if p["form"] else None)
    rows = [[f.file, f.unit, f.unit_name, f.status_label, f.errors, f.warnings, f.late_days,
             os.path.basename(f.feedback)] for f in result.files]
    _table(book, "Kết quả tiếp nhận", ["Tệp", "Mã đơn vị", "Đơn vị", "Kết quả", "Lỗi", "Cảnh báo", "Muộn (ngày)",
                                       "Tệp phản hồi"], rows)
    return f"{result.summary()}. Bảng lỗi: {result.issues_workbook}"


def do_status(book, p) -> str:
    from .merge import SUBMISSION_STATES, round_status
    from .status import not_registered_clause

    result = round_status(p["workspace"], _period(p), p["form"])
    rows = [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.errors or "", u.head, u.email]
            for u in result.not_reported]
    _table(book, "Chưa nộp", ["Mã đơn vị", "Đơn vị", "Cấp trên", "Tình trạng", "Số lỗi", "Người đứng đầu", "Email"],
           rows)
    r = result.rates()
    return (f"Đã nộp {r['reported']}/{r['expected']}, chưa nộp {r['missing']}{not_registered_clause(r)}, "
            f"bị trả lại {r['rejected']}")


def do_merge(book, p) -> str:
    from .merge import merge

    result = merge(p["workspace"], _period(p), p["form"])
    return f"{result.rows} dòng → {result.path}"


def do_score(book, p) -> str:
    from .score import score

    result = score(p["workspace"], _period(p))
    rows = [[s.rank, s.subject_id, s.name, s.score, s.level, " ".join(s.why)] for s in result.units]
    _table(book, "Xếp loại", ["Hạng", "Mã", "Đơn vị", "Điểm", "Xếp loại", "Giải thích"], rows)
    return f"{len(result.units)} đơn vị → {result.path}"


def do_report(book, p) -> str:
    from .report import write_reports

    result = write_reports(p["workspace"], _period(p), pdf=True)
    return f"{len(result.documents)} văn bản trong {result.folder}. {result.pdf_message}"


def do_run(book, p) -> str:
    parts = [do_collect(book, p), do_status(book, p), do_merge(book, p)]
    if _period(p).kind not in ("year", "term"):
        parts.append(do_score(book, p))
    parts.append(do_report(book, p))
    return " | ".join(parts)


def do_open(book, p) -> str:
    from .config import Workspace

    folder = Workspace.open(p["workspace"]).round_dir(_period(p), "output")
    open_folder(folder)
    return str(folder)


def open_folder(folder: Path) -> None:
    if sys.platform.startswith("win"):
        os.startfile(str(folder))  # type: ignore[attr-defined]
    else:
        subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", str(folder)])


ACTION_FUNCS = {"templates": do_templates, "collect": do_collect, "status": do_status, "merge": do_merge,
                "score": do_score, "report": do_report, "run": do_run, "open": do_open}
