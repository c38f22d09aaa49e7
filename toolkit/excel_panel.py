"""Button handlers of the Excel control panel (xlwings). Thin: read the caller book's parameters, call one
library function, write the results into the panel's sheets, log a line; failures become a Vietnamese
alert, never a traceback. xlwings is imported only here, and only when Excel calls in.

While an action runs, Excel's status bar says which step and how far (files read, documents written), so a long
"Chạy cả đợt" does not look frozen; that one ends with a summary message. Each run records the interpreter that
ran it beside the panel, for the launcher to try first next time (see toolkit.panel).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import ToolkitError
from .mail.fetch import fetch_round
from .panel import ACTIONS, CELLS, CONTROL_SHEET, PANEL_META, record_interpreter, recorded_name
from .periods import parse_period
from .round import open_round
from .workspace.config import Workspace

LABEL_TO_KEY = {label: key for key, label in ACTIONS} | {"Chấm điểm": "score"}  # (a panel made before: its list
# split "Chấm điểm, xếp loại" at the comma)


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
        raise ToolkitError(f"Không tìm thấy thư mục làm việc '{folder}' (ô {CELLS['workspace']}). Ghi vào ô "
                           f"{CELLS['workspace']} đường dẫn thư mục làm việc trên máy này (bảng điều khiển chép từ máy "
                           "khác vẫn giữ đường dẫn của máy đó). Nếu thư mục nằm trên OneDrive, chọn 'Always keep on "
                           "this device' rồi thử lại.")
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
    _remember_interpreter(book)
    try:
        action = _action(book)
        p = params(book)
        _status(book, f"{dict(ACTIONS)[action]}...")
        outcome = ACTION_FUNCS[action](book, p)
        line = [started.strftime("%d/%m/%Y %H:%M:%S"), dict(ACTIONS)[action], "Xong", outcome]
        if action == "run":
            seconds = (datetime.now() - started).total_seconds()
            _alert(book, f"Đã chạy xong cả đợt ({seconds:.0f} giây):\n\n" + outcome.replace(" | ", "\n"), info=True)
    except ToolkitError as exc:
        said = in_panel_words(str(exc))
        line = [started.strftime("%d/%m/%Y %H:%M:%S"), "", "Lỗi", said]
        _alert(book, said)
    except Exception as exc:  # a tool fault: log the detail, show a Vietnamese alert
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        line = [started.strftime("%d/%m/%Y %H:%M:%S"), "", "Lỗi", f"Lỗi không mong đợi: {detail}"]
        _alert(book, "Có lỗi không mong đợi khi chạy. Xem trang 'Nhật ký' và gửi cho người quản trị.\n" + detail)
    finally:
        _status(book, False)  # the status bar back to Excel
    _log(book, line)
    return " | ".join(line)


# the command line's words in a message, as the panel's clerk reads them: the yellow cell to fill instead
_PANEL_WORDS = ((re.compile(r"\(--period\)"), f"(ô {CELLS['period']})"), (re.compile(r"\(--form\)"), f"(ô {CELLS['form']})"),
                (re.compile(r"toolkit templates <thư mục> --form <biểu mẫu> --period \S+?(?=[.;,]?(\s|$))"),
                 "nút 'Tạo biểu mẫu'"))


def in_panel_words(message: str) -> str:
    """A library message naming a command-line option, said with the panel's cell or button instead."""
    for pattern, words in _PANEL_WORDS:
        message = pattern.sub(words, message)
    return message


def _alert(book, message: str, info: bool = False) -> None:
    try:
        if info:
            book.app.alert(message, title="Bảng điều khiển", mode="info")
        else:
            book.app.alert(message, title="Bảng điều khiển", mode="critical")
    except Exception:
        pass


def _status(book, text) -> None:
    """Excel's status bar (bottom left): ``text`` while working, False to hand it back to Excel."""
    try:
        book.app.status_bar = text
    except Exception:
        pass


def _progress(book, label: str):
    """A progress callback for the library (i of n done, optionally the item's name) shown in the status bar."""
    def show(i, n, name: str = "") -> None:
        _status(book, f"{label}: {i}/{n}" + (f" — {Path(str(name)).name[-60:]}" if name else ""))

    return show


def _remember_interpreter(book) -> None:
    """The Python running this button is the one to try first next time (the launcher reads it)."""
    try:
        panel = Path(book.fullname)
        if panel.parent.is_dir():
            record_interpreter(panel.parent / recorded_name(panel), sys.executable)
    except Exception:  # a panel opened from OneDrive's web address, a read-only folder: nothing to record
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
    if not p["period"]:
        raise ToolkitError(f"Chưa chọn kỳ báo cáo ở ô {CELLS['period']}.")
    return parse_period(p["period"])


def do_templates(book, p) -> str:
    from .outputs.templates import build_templates

    period = _period(p)
    if p["deadline"]:
        Workspace.open(p["workspace"]).set_period(period, p["deadline"])
    if not p["form"]:
        raise ToolkitError(f"Chưa chọn biểu mẫu ở ô {CELLS['form']}.")

    paths = build_templates(open_round(p["workspace"], period, p["form"]), progress=_progress(book, "Tạo biểu mẫu"))
    return f"{len(paths)} biểu mẫu trong {paths[0].parent if paths else ''}"


def do_collect(book, p) -> str:
    from .intake.collect import collect

    return _show_collect(book, collect(_round(p), progress=_progress(book, "Tiếp nhận")))


def _show_collect(book, result) -> str:
    rows = [[f.file, f.unit, f.unit_name, f.status_label, f.errors, f.warnings, f.late_days,
             os.path.basename(f.feedback)] for f in result.files]
    _table(book, "Kết quả tiếp nhận", ["Tệp", "Mã đơn vị", "Đơn vị", "Kết quả", "Lỗi", "Cảnh báo", "Muộn (ngày)",
                                       "Tệp phản hồi"], rows)
    return f"{result.summary()}. Bảng lỗi: {result.issues_workbook}"


def do_status(book, p) -> str:
    from .outputs.status import round_status

    return _show_status(book, [round_status(_round(p))])


def _show_status(book, results) -> str:
    from .outputs.status import SUBMISSION_STATES

    rows = [[u.code, u.name, u.parent, SUBMISSION_STATES[u.state], u.errors or "", u.head, u.email]
            for result in results for u in result.not_reported]
    _table(book, "Chưa nộp", ["Mã đơn vị", "Đơn vị", "Cấp trên", "Tình trạng", "Số lỗi", "Người đứng đầu", "Email"],
           rows)
    return "; ".join(result.rates().brief() for result in results)


def do_merge(book, p) -> str:
    from .outputs.merge import merge

    return _show_merge(merge(_round(p)))


def _show_merge(result) -> str:
    return f"{result.rows} dòng → {result.path}"


def do_score(book, p) -> str:
    from .outputs.score import score

    return _show_score(book, score(_round(p, with_form=False)))


def _show_score(book, result) -> str:
    rows = [[s.rank, s.subject_id, s.name, s.score, s.level, " ".join(s.why)] for s in result.units]
    _table(book, "Xếp loại", ["Hạng", "Mã", "Đơn vị", "Điểm", "Xếp loại", "Giải thích"], rows)
    return f"{len(result.units)} đơn vị → {result.path}"


def do_report(book, p) -> str:
    from .outputs.report import write_reports

    return _show_report(write_reports(_round(p, with_form=False), pdf=True, progress=_progress(book, "Xuất văn bản")))


def _show_report(result) -> str:
    return f"{len(result.documents)} văn bản trong {result.folder}. {result.pdf_message}"


def do_run(book, p) -> str:
    """The whole round as the CLI's ``run`` does it (pipeline.run_round), each stage shown in the status bar."""
    from .pipeline import run_round

    def step(label: str, i: int, n: int):
        text = f"Chạy cả đợt, bước {i}/{n}: {label}"
        _status(book, text + "...")
        return _progress(book, text)

    run = run_round(_round(p), pdf=True, step=step)
    parts = [_show_collect(book, run.collect), _show_status(book, run.statuses), _show_merge(run.merge)]
    if run.score is not None:
        parts.append(_show_score(book, run.score))
    parts.append(_show_report(run.report))
    return " | ".join(parts)


def _round(p, with_form: bool = True):
    """The round the panel's cells name (its form too, unless the stage works on every form of the round)."""
    return open_round(p["workspace"], _period(p), (p["form"] or None) if with_form else None)


def do_open(book, p) -> str:
    folder = Workspace.open(p["workspace"]).round_dir(_period(p), "output")
    open_folder(folder)
    return str(folder)


def open_folder(folder: Path) -> None:
    if sys.platform.startswith("win"):
        os.startfile(str(folder))  # type: ignore[attr-defined]
    else:
        subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", str(folder)])


def do_mail_fetch(book, p) -> str:

    return fetch_round(open_round(p["workspace"], _period(p))).summary()


def _mail_rows(result) -> list[list]:
    labels = {"prepared": "Đã soạn", "sent": "Đã gửi", "already_sent": "Gửi từ trước", "failed": "Không gửi được",
              "no_address": "Không có địa chỉ"}
    return [[m.unit, m.unit_name, "Phản hồi" if m.kind == "feedback" else "Nhắc nộp", ", ".join(m.to), m.subject,
             labels[m.state], m.detail, m.eml] for m in result.messages]


def do_mail_draft(book, p) -> str:
    """The dry run: the messages written as .eml files for the clerk to open and check."""
    from .mail.send import send_round

    result = send_round(open_round(p["workspace"], _period(p)))
    _table(book, "Kết quả tiếp nhận", ["Mã đơn vị", "Đơn vị", "Loại thư", "Gửi tới", "Tiêu đề", "Tình trạng",
                                       "Ghi chú", "Tệp thư"], _mail_rows(result))
    return result.summary()


def do_mail_send(book, p) -> str:
    from .mail.send import OUTBOX, send_round

    rnd = open_round(p["workspace"], _period(p))
    outbox = rnd.ctx.ws.round_dir(rnd.period) / OUTBOX
    if not outbox.is_dir() or not any(outbox.glob("*.eml")):  # dry run first
        raise ToolkitError("Chưa soạn thư: bấm 'Soạn thư trả lời', mở các thư trong "
                           f"{outbox} để kiểm tra, rồi mới bấm 'Gửi thư trả lời'.")
    result = send_round(rnd, send=True)
    _table(book, "Kết quả tiếp nhận", ["Mã đơn vị", "Đơn vị", "Loại thư", "Gửi tới", "Tiêu đề", "Tình trạng",
                                       "Ghi chú", "Tệp thư"], _mail_rows(result))
    return result.summary()


ACTION_FUNCS = {"templates": do_templates, "collect": do_collect, "status": do_status, "merge": do_merge,
                "score": do_score, "report": do_report, "run": do_run, "open": do_open,
                "mail_fetch": do_mail_fetch, "mail_draft": do_mail_draft, "mail_send": do_mail_send}
