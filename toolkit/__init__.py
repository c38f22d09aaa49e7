"""toolkit — Excel-centric task-accountability rounds for Vietnamese Party committee offices.

The public API (what the skins and analysts import), loaded on first use so that ``import toolkit`` stays light:

    from toolkit import open_workspace, open_round, run_round
    session = open_workspace("D:/van_phong")          # workspace, forms, registry, one store handle
    rnd = open_round(session, "2025-H1")              # the Round every stage takes
    run = run_round(rnd, pdf=True)                    # collect, status, merge, score, report

A script that runs rounds keeps them under ``if __name__ == "__main__":``: collect's workers and `run_round`'s merge
start fresh interpreters (on Windows, and for the merge everywhere), which import the script's main module again.
"""

from importlib import import_module
from pathlib import Path

__version__ = "0.1.0"


def resources() -> Path:
    """The shipped form definitions, scoring rules and Word templates: ``toolkit/resources`` in an installed
    package (the wheel carries the repository's ``templates/`` there), the repository's ``templates/`` when
    running from a checkout (an editable install)."""
    here = Path(__file__).resolve().parent
    packaged = here / "resources"
    return packaged if (packaged / "forms").is_dir() else here.parent / "templates"


# name -> module it lives in (the public API; see docs/architecture.md)
API = {
    "open_workspace": ("toolkit.context", "load_context"), "Context": ("toolkit.context", "Context"),
    "Round": ("toolkit.round", "Round"), "open_round": ("toolkit.round", "open_round"),
    "Calendar": ("toolkit.workspace.calendar", "Calendar"), "Store": ("toolkit.store", "Store"),
    "init_workspace": ("toolkit.workspace.config", "init_workspace"),
    "build_templates": ("toolkit.outputs.templates", "build_templates"),
    "collect": ("toolkit.intake.collect", "collect"), "round_statuses": ("toolkit.outputs.status", "round_statuses"),
    "merge": ("toolkit.outputs.merge", "merge"), "score": ("toolkit.outputs.score", "score"),
    "write_reports": ("toolkit.outputs.report", "write_reports"), "run_round": ("toolkit.pipeline", "run_round"),
    "confirm": ("toolkit.cycle.confirm", "confirm"), "adjust": ("toolkit.cycle.adjust", "adjust"),
    "write_history": ("toolkit.cycle.history", "write_history"), "term_view": ("toolkit.cycle.term", "term_view"),
}
__all__ = ["__version__", "resources", *API]


def __getattr__(name: str):
    if name in API:
        module, attr = API[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
