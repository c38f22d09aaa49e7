"""pipeline.run_round, the whole round every skin runs (CLI `run`, the panel's "Chạy cả đợt", the demo): the
office's review step sees what was collected and who reported, before anything is merged or written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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
