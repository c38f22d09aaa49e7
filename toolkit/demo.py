"""`toolkit demo`: a whole sample round on sample_workbooks/, in a fresh workspace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from .collect import collect
from .config import Workspace, init_workspace
from .errors import ToolkitError
from .merge import merge, round_status
from .periods import parse_period
from .samples import PROG_DEADLINE, REG_DEADLINE, install_round
from .score import score
from .templates import build_templates


def find_samples() -> Path:
    here = Path(__file__).resolve().parent.parent / "sample_workbooks"
    for cand in (Path.cwd() / "sample_workbooks", here):
        if (cand / "manifest.json").is_file():
            return cand
    raise ToolkitError("Không tìm thấy thư mục sample_workbooks/ (chạy lệnh trong thư mục mã nguồn, "
                       "hoặc tạo lại bằng: make samples).")


def run_demo(directory: str | Path, pdf: bool = True, log: Callable[[str], None] = print,
             samples: Path | None = None) -> dict:
    from .report import write_reports

    samples = samples or find_samples()
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    root = Path(directory)
    if root.exists():
        settings = root / "settings.yaml"
        if not settings.exists() or "demo: true" not in settings.read_text(encoding="utf-8"):
            raise ToolkitError(f"Thư mục {root} đã có và không phải thư mục chạy thử; chọn thư mục khác.")
        shutil.rmtree(root)
    reg, prog = parse_period(manifest["periods"]["registration"]), parse_period(manifest["periods"]["progress"])
    ws = init_workspace(root, units=samples / "don_vi.xlsx", periods=[reg.code, prog.code])
    ws.settings["demo"] = True
    ws.settings["office"]["doc_number"] = "125"
    ws.settings["office"]["signer_name"] = "Lê Thị Hồng"
    ws.save()
    ws.set_period(reg, REG_DEADLINE)
    ws.set_period(prog, PROG_DEADLINE)
    out: dict = {"workspace": str(root)}
    log(f"[1] Thư mục làm việc: {root} ({len(ws.settings['periods'])} kỳ)")
    t = build_templates(ws, "registration", reg)
    log(f"[2] Biểu mẫu đăng ký nhiệm vụ {reg.code}: {len(t)} tệp trong {t[0].parent}")
    install_round(samples, ws, "registration")
    c = collect(ws, reg)
    log(f"[3] Tiếp nhận đăng ký: {c.summary()}. Bảng lỗi: {c.issues_workbook}")
    m = merge(ws, reg)
    r = write_reports(ws, reg, pdf=pdf)
    log(f"[4] Tổng hợp đăng ký: {m.path}; bản cam kết: {len(r.documents) - 1} văn bản trong {r.folder}")
    t = build_templates(ws, "progress", prog)
    log(f"[5] Biểu mẫu báo cáo tiến độ {prog.code} (ghi sẵn nhiệm vụ đã đăng ký): {len(t)} tệp")
    install_round(samples, ws, "progress")
    c = collect(ws, prog)
    log(f"[6] Tiếp nhận báo cáo 6 tháng: {c.summary()}. Phản hồi cho đơn vị: {ws.round_dir(prog, 'feedback')}")
    st = round_status(ws, prog)
    rates = st.rates()
    log(f"[7] Tình hình nộp: {rates['reported']}/{rates['expected']} đã nộp ({rates['on_time']} đúng hạn, "
        f"{rates['late']} muộn), {rates['rejected']} bị trả lại, {rates['missing']} chưa nộp → {st.workbook}")
    m = merge(ws, prog)
    log(f"[8] Bảng tổng hợp: {m.rows} nhiệm vụ của {m.units} đơn vị → {m.path}")
    s = score(ws, prog)
    log(f"[9] Xếp loại: {len(s.units)} đơn vị, {len(s.leaders)} lãnh đạo → {s.path}")
    r = write_reports(ws, prog, pdf=pdf)
    log(f"[10] Văn bản Word: {len(r.documents)} tệp trong {r.folder}" + (f". {r.pdf_message}" if pdf else ""))
    out.update(status=rates, merge=m.path, score=s.path, documents=len(r.documents), pdfs=len(r.pdfs))
    return out


__all__ = ["run_demo", "Workspace"]
