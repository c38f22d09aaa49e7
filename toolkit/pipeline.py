"""The whole round in one call: collect, status, merge, score, report."""

from __future__ import annotations

from typing import Callable

from .collect import collect
from .merge import default_form, merge, round_status
from .periods import Period, parse_period


def run_round(workspace, period: str | Period, pdf: bool = False, log: Callable[[str], None] = lambda s: None) -> dict:
    from .report import write_reports
    from .score import score

    period = period if isinstance(period, Period) else parse_period(period)
    out: dict = {}
    c = collect(workspace, period)
    out["collect"] = c.to_dict()
    log(f"Tiếp nhận: {c.summary()}. Bảng lỗi: {c.issues_workbook}")
    st = round_status(workspace, period)
    out["status"] = st.to_dict()
    r = st.rates()
    log(f"Tình hình nộp: {r['reported']}/{r['expected']} đơn vị đã nộp, {r['missing']} chưa nộp. {st.workbook}")
    m = merge(workspace, period)
    out["merge"] = m.to_dict()
    log(f"Tổng hợp: {m.rows} dòng → {m.path}")
    if default_form(period) == "progress":
        s = score(workspace, period)
        out["score"] = {"path": s.path, "units": len(s.units), "leaders": len(s.leaders)}
        log(f"Xếp loại: {len(s.units)} đơn vị, {len(s.leaders)} lãnh đạo → {s.path}")
    rep = write_reports(workspace, period, pdf=pdf)
    out["report"] = rep.to_dict()
    log(f"Văn bản: {len(rep.documents)} tệp trong {rep.folder}" + (f"; {rep.pdf_message}" if pdf else ""))
    return out
