"""The whole round in one call: collect, status, merge, score (progress rounds), report."""

from __future__ import annotations

from typing import Callable

from .collect import collect
from .merge import merge
from .rounds import as_round, open_round
from .status import not_registered_clause, round_statuses


def run_round(target, period=None, pdf: bool = False, log: Callable[[str], None] = lambda s: None,
              form_id: str | None = None, fetch: bool = False) -> dict:
    from .report import write_reports
    from .score import score

    rnd = as_round(target, period, form_id)
    out: dict = {}
    if fetch:  # the mailbox first (toolkit.mail.fetch): its attachments land in the round's inbox
        from .mail.fetch import fetch_round

        f = fetch_round(rnd)
        out["fetch"] = f.to_dict()
        log(f"Tải thư: {f.summary()}.")
    c = collect(rnd)
    out["collect"] = c.to_dict()
    log(f"Tiếp nhận: {c.summary()}. Bảng kết quả tiếp nhận: {c.issues_workbook}")
    if not rnd.explicit:  # the returns just collected tell which forms the round has
        rnd = open_round(rnd.ctx, rnd.period)
    out["status"] = []
    for st in round_statuses(rnd):
        out["status"].append(st.to_dict())
        r = st.rates()
        log(f"Tình hình nộp {st.form_name}: {r['reported']}/{r['expected']} đơn vị đã nộp, {r['missing']} chưa nộp"
            f"{not_registered_clause(r)}, {r['rejected']} bị trả lại. {st.workbook}")
    m = merge(rnd)
    out["merge"] = m.to_dict()
    for line in m.lines():
        log(f"Tổng hợp — {line}")
    if rnd.has("progress"):
        s = score(rnd)
        out["score"] = {"path": s.path, "units": len(s.units), "leaders": len(s.leaders), "notes": s.notes}
        label = " sơ bộ" if s.preliminary else ""
        log(f"Xếp loại{label}: {len(s.units)} đơn vị, {len(s.leaders)} lãnh đạo → {s.path}")
        for note in s.notes:
            log(f"  Lưu ý: {note}")
    rep = write_reports(rnd, pdf=pdf)
    out["report"] = rep.to_dict()
    log(f"Văn bản: {len(rep.documents)} tệp trong {rep.folder}" + (f"; {rep.pdf_message}" if pdf else ""))
    for note in rep.notes:
        log(f"  Lưu ý: {note}")
    return out
