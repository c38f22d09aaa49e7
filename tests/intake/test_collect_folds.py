"""Collect's workers fold the texts a file's near-duplicate checks compare (text.known_folds): the collector, which
checks the files one after another, looks their folds up rather than making them again."""

from __future__ import annotations

from datetime import date

from conftest import make_return, task

import toolkit.text as text_module
from toolkit.intake.collect import collect
from toolkit.pipeline import run_round
from toolkit.round import open_round

SAME = ("Đã tổ chức 12 hội nghị triển khai, phân công cụ thể cho từng chi bộ; kết quả đạt 100% kế hoạch năm, "
        "hoàn thành trước thời hạn.")


def test_the_collector_looks_up_the_folds_its_workers_made_and_still_finds_the_copy(ctx, monkeypatch):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01", deadline=date(2025, 5, 31))])
    run_round(open_round(ctx, "2025"))
    done = {"status": "Hoàn thành", "percent": 100}
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", **done, "completed_on": date(2025, 3, 20),
                                                     "results": SAME}], received=date(2025, 7, 3))
    make_return(ctx, "progress", "BTC", "2025-H1", [{"task_code": "BTC-01", **done, "completed_on": date(2025, 5, 2),
                                                     "results": SAME}],
                received=date(2025, 7, 4))
    folded_here: list[str] = []  # keys this process folds (the workers have their own copy of the module)
    real = text_module._fold

    def spy(value):
        folded_here.append(real(value))
        return folded_here[-1]

    monkeypatch.setattr(text_module, "_fold", spy)
    text_module.clear_caches()
    result = collect(open_round(ctx, "2025-H1"), workers=2)  # the workers' path, as a clerk's collect takes
    copies = [(f.unit, i.code) for f in result.files for i in f.issues if i.code == "copied-report"]
    assert copies == [("BTC", "copied-report")]  # the later file judged, the same text as the earlier one
    assert folded_here and not [v for v in folded_here if "hoi nghi" in v]  # folded by the workers only
