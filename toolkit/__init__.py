"""toolkit — Excel-centric task-accountability rounds for Vietnamese Party committee offices.

The public API (what the CLI and the Excel panel import) is re-exported here.
"""

__version__ = "0.1.0"
