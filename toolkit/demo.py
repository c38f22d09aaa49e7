"""`toolkit demo`: a whole sample year on sample_workbooks/, in a fresh workspace.

The cycle as an office runs it: registration → confirmation (the demo writes the office's opinions into the
review workbook as a clerk would: one task sent back to its unit, the others agreed) → the 6-month round, in
which one unit asks to extend a task (the demo approves it in the adjustments workbook, with the reference of
the decision) → the year-end round, judged against the register as adjusted, with the classification of units
and leaders → the history workbook. Each step prints what it wrote.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl

from . import __version__
from .cycle.adjust import SHEET as ADJUST_SHEET
from .cycle.adjust import adjust
from .cycle.confirm import confirm
from .cycle.history import write_history
from .errors import ToolkitError
from .outputs.templates import build_templates
from .periods import parse_period
from .pipeline import RoundRun, run_round
from .round import Round, open_round
from .samples import generate, install_round
from .workspace.config import Workspace, init_workspace

# what the demo's clerk writes when sending a task back
REVISE_NOTE = "Nhiệm vụ chưa có chỉ tiêu, mục tiêu đo lường được; đề nghị ghi rõ số lượng và thời hạn."


SOURCE_SAMPLES = Path(__file__).resolve().parent.parent / "sample_workbooks"  # in a source checkout


def packaged_samples() -> Path:
    """Where an installed wheel carries the sample rounds (pyproject: sample_workbooks -> toolkit/resources)."""
    return Path(__file__).resolve().parent / "resources" / "sample_workbooks"


def find_samples(log: Callable[[str], None] | None = None) -> Path:
    """The sample rounds: ./sample_workbooks, the source checkout's, the copy inside the installed package; when
    none is there (a package built without them), they are generated into the user's cache folder once."""
    for cand in (Path.cwd() / "sample_workbooks", SOURCE_SAMPLES, packaged_samples()):
        if (cand / "manifest.json").is_file():
            return cand
    cache = samples_cache()
    if not (cache / "manifest.json").is_file():
        if log:
            log(f"Không có bộ tệp mẫu đi kèm: tạo bộ tệp mẫu trong {cache} (một lần)...")
        try:
            generate(cache)
        except OSError as exc:
            raise ToolkitError(f"Không tạo được bộ tệp mẫu trong {cache}: {exc}") from exc
    return cache


def samples_cache() -> Path:
    base = os.environ.get("LOCALAPPDATA") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nhiemvu-toolkit" / f"sample_workbooks-{__version__}"


def keep_earlier(root: Path) -> Path | None:
    """An earlier demo folder at ``root`` is moved aside (never deleted): returns where it went, or None."""
    if not root.exists():
        return None
    settings = root / "settings.yaml"
    if not settings.exists() or "demo: true" not in settings.read_text(encoding="utf-8"):
        raise ToolkitError(f"Thư mục {root} đã có và không phải thư mục chạy thử; chọn thư mục khác.")
    stamp = datetime.fromtimestamp(settings.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    target = root.with_name(f"{root.name}_cu_{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = root.with_name(f"{root.name}_cu_{stamp}_{n}")
    try:
        root.rename(target)
    except OSError as exc:  # a file of the earlier demo still open in Excel (Windows)
        raise ToolkitError(f"Không đổi tên được thư mục chạy thử cũ {root} (có tệp đang mở trong Excel?): {exc}. "
                           "Đóng tệp rồi chạy lại, hoặc chọn thư mục khác.") from exc
    return target


def clerk_fills(path: str | Path, sheet: str, decide: Callable[[dict], dict | None]) -> list[dict]:
    """Fill a review workbook's input columns as a clerk does in Excel: ``decide`` gets each row (by column title)
    and returns the cells to write (title -> value) or None. Returns the rows it wrote to."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    top = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value in ("Mã đơn vị", "Số đề nghị"))
    head = {c.value: c.column for c in ws[top] if c.value}
    written = []
    for r in range(top + 1, ws.max_row + 1):
        row = {title: ws.cell(row=r, column=c).value for title, c in head.items()}
        if row.get("Mã nhiệm vụ") is None and row.get("Số đề nghị") is None:
            continue
        cells = decide(row)
        for title, value in (cells or {}).items():
            ws.cell(row=r, column=head[title], value=value)
        if cells:
            written.append({**row, **cells})
    wb.save(path)
    return written


def run_demo(directory: str | Path, pdf: bool = True, log: Callable[[str], None] = print,
             samples: Path | None = None) -> dict:
    samples = samples or find_samples(log)
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    root = Path(directory)
    earlier = keep_earlier(root)
    if earlier is not None:
        log(f"Thư mục chạy thử cũ được giữ lại, đổi tên thành {earlier.resolve()} (xoá khi không cần).")
    periods = manifest["periods"]
    reg, prog = parse_period(periods["registration"]), parse_period(periods["progress"])
    year_end = parse_period(periods["yearend"]) if "yearend" in periods else None
    rounds = [p for p in (reg, prog, year_end) if p]
    ws = init_workspace(root, units=samples / "don_vi.xlsx", periods=[p.code for p in rounds])
    ws.settings["demo"] = True
    ws.settings["office"]["doc_number"] = "125"
    ws.settings["office"]["signer_name"] = "Lê Thị Hồng"
    ws.save()
    for p in rounds:
        ws.set_period(p, datetime.strptime(manifest["deadlines"][p.code], "%d/%m/%Y").date())
    clerk = _Clerk(ws, samples, manifest, pdf, log)
    clerk.out.update(workspace=str(root), samples=str(samples), earlier=str(earlier) if earlier else None)
    clerk.say(f"Thư mục làm việc: {root} ({len(rounds)} kỳ: {', '.join(p.label for p in rounds)})")
    clerk.registration(reg)
    clerk.six_months(prog)
    if year_end is not None:
        clerk.year_end(year_end)
    h = write_history(open_round(ws, reg))
    clerk.say(h.lines()[0])
    clerk.out["history"] = h.path
    return clerk.out


class _Clerk:
    """The demo's office clerk: runs each round as `toolkit run` does (pipeline.run_round), taking the office's
    decisions (confirmations, an adjustment) between what was collected and what is produced; says each step."""

    def __init__(self, ws: Workspace, samples: Path, manifest: dict, pdf: bool, log: Callable[[str], None]):
        self.ws, self.samples, self.manifest, self.pdf, self.log = ws, samples, manifest, pdf, log
        self.out: dict = {}
        self._steps = iter(range(1, 100))

    def say(self, text: str) -> None:
        self.log(f"[{next(self._steps)}] {text}")

    def registration(self, reg) -> None:
        t = build_templates(open_round(self.ws, reg, "registration"))
        self.say(f"Đăng ký nhiệm vụ {reg.label}: {len(t)} biểu mẫu trong {t.folder}")
        install_round(self.samples, self.ws, "registration")
        run = run_round(open_round(self.ws, reg), pdf=self.pdf, review=self._confirm)
        m, r = run.merge, run.report
        self.say(f"Tổng hợp đăng ký: {m.path}; bản cam kết: {len(r.documents) - 1} văn bản trong {r.folder}")

    def _confirm(self, rnd: Round, run: RoundRun) -> None:
        """The registrations collected: the clerk sends one task back and agrees to the others."""
        c = run.collect
        self.say(f"Tiếp nhận bản đăng ký: {c.summary()}. Bảng kết quả tiếp nhận: {c.issues_workbook}")
        first = confirm(rnd)
        self.say(f"Bảng xác nhận đăng ký ({first.tasks} nhiệm vụ, cột 'Ý kiến' để Văn phòng chọn): {first.path}")
        revise = _task_to_send_back(first.path)

        def opinion(row: dict) -> dict:
            if (row["Mã đơn vị"], row["Mã nhiệm vụ"]) == revise:
                return {"Ý kiến": "Đề nghị sửa", "Nội dung đề nghị sửa, lý do": REVISE_NOTE}
            return {"Ý kiến": "Đồng ý"}

        filled = clerk_fills(first.path, "Xác nhận đăng ký", opinion)
        self.log(f"     (chạy thử thay Văn phòng ghi ý kiến: 'Đề nghị sửa' nhiệm vụ {revise[1]} của {revise[0]}, "
                 f"'Đồng ý' {len(filled) - 1} nhiệm vụ còn lại)")
        second = confirm(rnd)
        self.say(second.lines()[0] + (f" Tệp gửi lại đơn vị: {', '.join(second.feedback)}" if second.feedback else ""))
        self.out.update(confirmation=first.path, confirmation_feedback=second.feedback, sent_back=list(revise),
                        confirmed=second.confirmed)

    def six_months(self, prog) -> None:
        t = build_templates(open_round(self.ws, prog, "progress"))
        self.say(f"Báo cáo {prog.label}: {len(t)} biểu mẫu ghi sẵn nhiệm vụ đã đăng ký trong {t.folder}")
        install_round(self.samples, self.ws, "progress")
        run = run_round(open_round(self.ws, prog), pdf=self.pdf, review=self._adjust)
        m, s, r = run.merge, run.score, run.report
        self.say(f"Tổng hợp {prog.label}: {m.rows} nhiệm vụ của {m.units} đơn vị → {m.path}; xếp loại sơ bộ → "
                 f"{s.path}; {len(r.documents)} văn bản Word trong {r.folder}" + (f". {r.pdf_message}" if self.pdf
                                                                                  else ""))
        self.out.update(status=run.statuses[0].rates().to_dict(), merge=m.path, score=s.path,
                        documents=len(r.documents), pdfs=len(r.pdfs))

    def _adjust(self, rnd: Round, run: RoundRun) -> None:
        """The 6-month reports collected: the clerk approves the request to adjust, with the decision's reference."""
        c, st = run.collect, run.statuses[0]
        self.say(f"Tiếp nhận báo cáo {rnd.period.label}: {c.summary()}. Phản hồi cho đơn vị: "
                 f"{self.ws.round_dir(rnd.period, 'feedback')}")
        self.say(f"Tình hình nộp: {st.rates().timeliness()} → {st.workbook}")
        a = adjust(rnd)
        self.say(f"Bảng đề nghị điều chỉnh ({a.total} đề nghị chờ ý kiến): {a.path}")
        ref = (self.manifest.get("adjustment") or {}).get("decision_ref") or "Công văn số 125-CV/TU"
        decided = clerk_fills(a.path, ADJUST_SHEET, lambda row: {"Ý kiến": "Đồng ý", "Số, ngày văn bản": ref}
                              if row.get("Tình trạng") == "Chờ ý kiến" else None)
        for d in decided:
            self.log(f"     (chạy thử thay Văn phòng đồng ý đề nghị số {d['Số đề nghị']} của {d['Mã đơn vị']}: "
                     f"{d['Nội dung đề nghị'].lower()} nhiệm vụ {d['Mã nhiệm vụ']} từ {d['Giá trị hiện tại']} thành "
                     f"{d['Giá trị đề nghị']}, theo {ref})")
        a2 = adjust(rnd)
        self.say(a2.lines()[0] + f" Lịch sử thay đổi: trang 'Lịch sử thay đổi' của {a2.path}")
        self.out.update(adjustments=a2.path, adjusted=a2.applied)

    def year_end(self, year_end) -> None:
        t = build_templates(open_round(self.ws, year_end, "progress"))
        self.say(f"Báo cáo {year_end.label}: {len(t)} biểu mẫu ghi sẵn danh mục đã điều chỉnh và số liệu kỳ trước "
                 f"trong {t.folder}")
        install_round(self.samples, self.ws, "yearend")
        run = run_round(open_round(self.ws, year_end), pdf=self.pdf)
        c, m, s, r = run.collect, run.merge, run.score, run.report
        self.say(f"Tiếp nhận báo cáo {year_end.label}: {c.summary()}. Bảng kết quả tiếp nhận (có cảnh báo so với kỳ "
                 f"trước): {c.issues_workbook}")
        self.say(f"Tổng kết năm: {m.rows} nhiệm vụ của {m.units} đơn vị → {m.path}; xếp loại {len(s.units)} đơn vị, "
                 f"{len(s.leaders)} lãnh đạo (có giải thích từng trường hợp) → {s.path}")
        self.say(f"Văn bản tổng kết năm: {len(r.documents)} tệp Word trong {r.folder}"
                 + (f". {r.pdf_message}" if self.pdf else ""))
        self.out.update(year_end_merge=m.path, year_end_score=s.path, year_end_documents=len(r.documents),
                        year_end_pdfs=len(r.pdfs), year_end_folder=r.folder)


def _task_to_send_back(path: str) -> tuple[str, str]:
    """The task a careful clerk sends back: the first one flagged as not measurable, else the first one."""
    ws = openpyxl.load_workbook(path, read_only=True)["Xác nhận đăng ký"]
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r and r[0] == "Mã đơn vị")
    head = {v: i for i, v in enumerate(rows[top]) if v}
    tasks = [r for r in rows[top + 1:] if r and r[0]]
    flagged = [r for r in tasks if "đo lường được" in str(r[head["Cảnh báo khi tiếp nhận"]] or "")]
    pick = (flagged or tasks)[0]
    return str(pick[head["Mã đơn vị"]]), str(pick[head["Mã nhiệm vụ"]])


__all__ = ["run_demo", "clerk_fills", "Workspace"]
