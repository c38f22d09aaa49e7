"""The public API: what the skins and analysts import from ``toolkit``, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import toolkit


def test_import_toolkit_stays_light_and_the_api_resolves():
    code = ("import sys, toolkit; heavy = [m for m in ('toolkit.intake.collect', 'pandas', 'openpyxl') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    assert toolkit.run_round.__module__ == "toolkit.pipeline" and toolkit.open_workspace.__name__ == "load_context"
    assert all(getattr(toolkit, name) is not None for name in toolkit.API)


def test_a_stage_refuses_a_path_and_a_period(ws):
    import pytest

    with pytest.raises(TypeError, match="open_round"):
        toolkit.merge(ws.root)
    with pytest.raises(TypeError):
        toolkit.collect(ws.root, "2025")  # the old (workspace, period) form is gone
    rnd = toolkit.open_round(toolkit.open_workspace(ws), "2025")
    assert not rnd.started and rnd.register_keys == ["2025"] and [f.id for f in rnd.forms] == ["registration"]
