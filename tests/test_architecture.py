"""The layout holds as it is counted (scripts/architecture_counts.py): no import cycle, also through imports
placed inside functions; the store constructed in few places; no status word of lists.yaml spelled in Python;
few long functions; the stages visible as subpackages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "architecture_counts.py"


def _counts():
    spec = importlib.util.spec_from_file_location("architecture_counts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_cycle_and_no_module_imports_a_floor_above_it():
    c = _counts()
    graph = c.imports(c.modules())
    assert c.cycles(graph) == []
    # the period parser (settings.yaml's period keys are checked with it) and the safe reader of untrusted workbooks
    # (the registry is one) are on the bottom floor
    assert c.upward_imports(graph) == []
    assert c.floor("toolkit.periods") == c.floor("toolkit.read") == 0


def test_one_place_constructs_the_store_and_no_status_word_is_spelled_in_python():
    c = _counts()
    mods = c.modules()
    # the session's one handle; the store's own open_store (the probe, the check against the archive, a migration)
    assert [s.split(":")[0] for s in c.store_constructions(mods)] == ["toolkit.context", "toolkit.store.core"]
    assert c.status_words() and c.status_word_uses(mods) == []


def test_few_long_functions_and_the_stages_as_subpackages():
    c = _counts()
    mods = c.modules()
    assert len(c.long_functions(mods)) <= 3
    packages = {m for m, p in mods.items() if p.name == "__init__.py"}
    assert {"toolkit.definitions", "toolkit.workspace", "toolkit.store", "toolkit.register", "toolkit.intake",
            "toolkit.outputs", "toolkit.cycle", "toolkit.mail"} <= packages


def test_a_cycle_through_an_import_inside_a_function_is_found():
    c = _counts()
    graph = {"toolkit.a": {"toolkit.b"}, "toolkit.b": {"toolkit.c"}, "toolkit.c": {"toolkit.a"}, "toolkit.d": set()}
    assert c.cycles(graph) == [["toolkit.a", "toolkit.b", "toolkit.c"]]


def test_few_toolkit_imports_inside_functions():
    c = _counts()
    # what is left: the CLI's and the Excel panel's stages, loaded when their command runs so that `toolkit --help`
    # starts without pandas, openpyxl or yaml (the CLI's startup loads toolkit, console and errors only); the files
    # other work owned when this was counted (the store, collect, score, report, frame, rebuild, definitions); the
    # merge's module, loaded by outputs.beside where it is needed (`toolkit run` starts the merge's process from there
    # before it imports the stages)
    assert len(c.function_imports(c.modules())) <= 76
