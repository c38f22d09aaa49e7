"""Count the architecture figures of issue 31 from the code.

    python scripts/architecture_counts.py [--verbose] [--root CHECKOUT]

- import cycles between toolkit modules, counting every import (also those inside functions),
  as strongly connected components of the module graph with more than one module;
- the places that construct the store (``Store(`` / ``SqliteStore(`` calls);
- the status words of lists.yaml spelled as string literals in Python (outside the sample generator);
- functions longer than 60 lines;
- the subpackages of ``toolkit``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "toolkit"
LONG = 60
STORE_CLASSES = {"Store", "SqliteStore"}
# the sample generator writes the words a unit would type; it is allowed to spell them
VOCABULARY_EXEMPT = {"toolkit.samples", "toolkit.definitions.samples"}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, current: str, is_pkg: bool, level: int, names: dict) -> str | None:
    if level:
        base = current.split(".")
        if not is_pkg:
            base = base[:-1]
        base = base[: len(base) - (level - 1)] if level > 1 else base
        name = ".".join(base + ([name] if name else []))
    return name


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", mod, is_pkg, node.level, mods)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                # an import of a.b.c also runs a and a.b; count the deepest toolkit module named
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != mod and t.startswith("toolkit"):
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan) with more than one module.

    A package's ``__init__`` that re-exports its children is not a cycle by itself: edges from a
    package to its own submodules are dropped before counting."""
    g = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


# the floors of the layout, lowest first: a module may import its own floor and those below it
FLOORS = [
    ("toolkit", "toolkit.issues", "toolkit.errors", "toolkit.formatting", "toolkit.text", "toolkit.paths",
     "toolkit.files", "toolkit.sheets", "toolkit.machine", "toolkit.issue_labels", "toolkit.periods", "toolkit.read"),
    ("toolkit.definitions",),
    ("toolkit.workspace",),
    ("toolkit.store",),
    ("toolkit.context", "toolkit.round"),
    ("toolkit.register",),
    ("toolkit.intake", "toolkit.mail.archives", "toolkit.mail.messages", "toolkit.mail.unpack"),  # unpacking the inbox
    ("toolkit.outputs",),
    ("toolkit.cycle", "toolkit.mail"),  # the year's review steps; mail: fetch into the inbox, send feedback
    ("toolkit.pipeline", "toolkit.samples", "toolkit.rebuild"),  # rebuild: the store again from the archive
    ("toolkit.cli", "toolkit.console", "toolkit.excel_panel", "toolkit.panel", "toolkit.demo", "toolkit.__main__"),
]


def floor(mod: str) -> int | None:
    best, level = -1, None
    for i, names in enumerate(FLOORS):
        for n in names:
            if (mod == n or mod.startswith(n + ".")) and len(n) > best:
                best, level = len(n), i
    return level


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for mod, targets in graph.items():
        here = floor(mod)
        for t in sorted(targets):
            there = floor(t)
            if here is not None and there is not None and there > here:
                out.append(f"{mod} → {t}")
    return out


def store_constructions(mods: dict[str, Path]) -> list[str]:
    out = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name in STORE_CLASSES:
                    out.append(f"{mod}:{node.lineno}")
    return out


def status_words() -> set[str]:
    lists = yaml.safe_load((ROOT / "templates" / "forms" / "lists.yaml").read_text(encoding="utf-8"))
    words = set()
    for key, value in (lists or {}).items():
        if "status" not in key:
            continue
        items = value.get("values", value) if isinstance(value, dict) else value
        for item in items or []:
            if isinstance(item, dict):
                word = item.get("value") or item.get("word") or item.get("name")
            else:
                word = item
            if isinstance(word, str):
                words.add(word)
    return words


def status_word_uses(mods: dict[str, Path]) -> list[str]:
    words = status_words()
    out = []
    for mod, path in mods.items():
        if mod in VOCABULARY_EXEMPT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in words:
                out.append(f"{mod}:{node.lineno} {node.value!r}")
    return out


def function_imports(mods: dict[str, Path]) -> list[str]:
    """Imports of toolkit modules placed inside functions (a heavy optional library loaded lazily is not counted)."""
    out = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("toolkit")):
                        out.append(f"{mod}.{fn.name}:{node.lineno}")
    return sorted(set(out))


def long_functions(mods: dict[str, Path]) -> list[str]:
    out = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > LONG:
                    out.append(f"{mod}.{node.name} ({n} lines)")
    return out


def main(argv: list[str]) -> int:
    global ROOT, PKG
    verbose = "--verbose" in argv or "-v" in argv
    if "--root" in argv:  # count another checkout (the figures before a change)
        ROOT = Path(argv[argv.index("--root") + 1]).resolve()
        PKG = ROOT / "toolkit"
    mods = modules()
    graph = imports(mods)
    found = {
        "modules": [str(len(mods))],
        "import cycles": [" → ".join(c) for c in cycles(graph)],
        "imports pointing up a floor": upward_imports(graph),
        "store constructions": store_constructions(mods),
        "status words in Python": status_word_uses(mods),
        "functions over 60 lines": long_functions(mods),
        "toolkit imports inside functions": function_imports(mods),
        "subpackages": sorted(m for m, p in mods.items() if p.name == "__init__.py" and m != "toolkit"),
    }
    for name, items in found.items():
        count = items[0] if name == "modules" else len(items)
        print(f"{name}: {count}")
        if verbose and name != "modules":
            for item in items:
                print(f"    {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
