"""toolkit — Excel-centric task-accountability rounds for Vietnamese Party committee offices.

The public API (what the CLI and the Excel panel import) is re-exported here.
"""

from pathlib import Path

__version__ = "0.1.0"


def resources() -> Path:
    """The shipped form definitions, scoring rules and Word templates: ``toolkit/resources`` in an installed
    package (the wheel carries the repository's ``templates/`` there), the repository's ``templates/`` when
    running from a checkout (an editable install)."""
    here = Path(__file__).resolve().parent
    packaged = here / "resources"
    return packaged if (packaged / "forms").is_dir() else here.parent / "templates"
