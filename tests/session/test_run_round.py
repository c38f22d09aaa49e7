"""pipeline.run_round, the whole round every skin runs (CLI `run`, the panel's "Chạy cả đợt", the demo): the
office's review step sees what was collected and who reported, before anything is merged or written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import make_return, task

from toolkit.cycle.confirm import confirm
from toolkit.pipeline import run_round
from toolkit.round import open_round


def test_the_review_step_comes_after_collect_and_status_and_before_the_outputs(ctx):
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    make_return(ctx, "registration", "BTC", "2025", [task("BTC-01")])
    seen = {}

    def review(rnd, run):
        seen["forms"] = [f.id for f in rnd.forms]
        seen["collected"] = [f.unit for f in run.collect.files]
        seen["reported"] = [st.rates()["reported"] for st in run.statuses]
        seen["outputs"] = (run.merge, run.report, sorted(p.name for p in rnd.output.glob("tong_hop_*")))
        seen["confirmation"] = confirm(rnd).tasks  # a decision of the office, in the round's own session

    run = run_round(open_round(ctx, "2025"), review=review)
    assert seen == {"forms": ["registration"], "collected": ["BTC", "XLS"], "reported": [2], "outputs": (None, None, []),
                    "confirmation": 2}
    assert Path(run.merge.path).name == "tong_hop_dang_ky_2025.xlsx" and run.score is None
    assert run.to_dict()["merge"]["outputs"][0]["rows"] == 2


def test_each_stage_runs_with_the_collector_less_often_and_gives_the_threshold_back(ctx, monkeypatch):
    """toolkit.memory: inside collect, merge, score and report the youngest generation is collected every YOUNG
    containers; outside (and after a stage that failed) the process has its own threshold again."""
    import gc

    import toolkit.outputs.merge as merge_module
    import toolkit.outputs.score as score_module
    from toolkit.errors import ToolkitError
    from toolkit.intake.collect import collect
    from toolkit.memory import YOUNG

    before = gc.get_threshold()
    make_return(ctx, "registration", "XLS", "2025", [task("XLS-01", deadline=date(2025, 3, 31))])
    run_round(open_round(ctx, "2025"))
    make_return(ctx, "progress", "XLS", "2025-H1", [{"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100,
                                                     "completed_on": date(2025, 3, 20)}], received=date(2025, 7, 5))
    inside: dict[str, set] = {}

    def spy(stage, real):
        def wrapper(*args, **kwargs):
            inside.setdefault(stage, set()).add(gc.get_threshold()[0])
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(merge_module, "round_frame", spy("merge", merge_module.round_frame))
    monkeypatch.setattr(score_module, "round_frame", spy("score", score_module.round_frame))

    def step(label, i, n):
        return lambda *a: inside.setdefault(label, set()).add(gc.get_threshold()[0])

    between = []
    run = run_round(open_round(ctx, "2025-H1"), step=lambda label, i, n: (between.append(gc.get_threshold()),
                                                                         step(label, i, n))[1])
    assert run.score is not None and run.report.documents
    assert inside == {"Tiếp nhận": {YOUNG}, "merge": {YOUNG}, "score": {YOUNG}, "Xuất văn bản": {YOUNG}}
    assert set(between) == {before} and gc.get_threshold() == before
    with pytest.raises(ToolkitError):  # a period nobody opened: collect refuses, and the threshold is given back
        collect(open_round(ctx, "2031-H1"))
    assert gc.get_threshold() == before
