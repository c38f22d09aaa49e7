"""The mail-round benchmark at a small size, so that it cannot break unseen (full size by hand: 300 units)."""

import sys

from conftest import ROOT
from mailservers import need_dovecot


def test_mail_benchmark_runs_small(tmp_path):
    need_dovecot()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import mail_round

    res = mail_round.main(["--units", "8", "--rows", "3", "--out", str(tmp_path / "r.json")])
    assert res["messages"] == 8 and res["fetched"] == 8 and res["refetched"] == 0
    assert res["judged"] == 8 and res["late"] == 0  # sent before the deadline, fetched long after
