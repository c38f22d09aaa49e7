"""Rewrite toolkit imports written for the flat layout (before issue 31) to the layout by stage.

    python scripts/relayout_imports.py FILE...

For a branch started before the move: merge, resolve, then run this over the files (run it from the checkout's
root). A relative import that already names an existing module is left alone; one written for the old place of
the file is resolved there and mapped (``.collect`` -> ``..intake.collect``); absolute ``toolkit.x`` names
(imports, monkeypatch strings) and ``from toolkit import x`` are mapped too. Then ``scripts/round_calls.py``
turns old stage calls ``collect(ws, "2025")`` into ``collect(open_round(ws, "2025"))``.
"""
import re
import sys
from pathlib import Path

MOVES = {
    "toolkit.forms": "toolkit.definitions.forms",
    "toolkit.rules": "toolkit.definitions.rules",
    "toolkit.judge": "toolkit.definitions.judge",
    "toolkit.config": "toolkit.workspace.config",
    "toolkit.units": "toolkit.workspace.units",
    "toolkit.office": "toolkit.workspace.office",
    "toolkit.rounds": "toolkit.round",
    "toolkit.frame": "toolkit.register.frame",
    "toolkit.cycle.requests": "toolkit.register.requests",
    "toolkit.coerce": "toolkit.intake.coerce",
    "toolkit.validate": "toolkit.intake.validate",
    "toolkit.checks": "toolkit.intake.checks",
    "toolkit.collect": "toolkit.intake.collect",
    "toolkit.feedback": "toolkit.intake.feedback",
    "toolkit.pool": "toolkit.intake.pool",
    "toolkit.similarity": "toolkit.intake.similarity",
    "toolkit.xlsxpackage": "toolkit.intake.xlsxpackage",
    "toolkit.templates": "toolkit.outputs.templates",
    "toolkit.merge": "toolkit.outputs.merge",
    "toolkit.status": "toolkit.outputs.status",
    "toolkit.score": "toolkit.outputs.score",
    "toolkit.report": "toolkit.outputs.report",
    "toolkit.render": "toolkit.outputs.render",
    "toolkit.pdf": "toolkit.outputs.pdf",
    "toolkit.schema": "toolkit.definitions.schema",
}
PACKAGES = {"toolkit", "toolkit.cycle", "toolkit.definitions", "toolkit.workspace", "toolkit.store", "toolkit.register",
            "toolkit.intake", "toolkit.outputs", "toolkit.mail"}


def new_name(mod: str) -> str:
    for old, new in MOVES.items():
        if mod == old or mod.startswith(old + "."):
            return new + mod[len(old):]
    return mod


def module_of(path: Path) -> tuple[str, bool]:
    parts = list(path.with_suffix("").parts)
    i = parts.index("toolkit")
    parts = parts[i:]
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join(parts), is_pkg


def absolute(current: str, is_pkg: bool, level: int, name: str) -> str:
    base = current.split(".")
    if not is_pkg:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def relative(current: str, is_pkg: bool, target: str) -> str:
    here = current.split(".") if is_pkg else current.split(".")[:-1]
    tgt = target.split(".")
    common = 0
    while common < min(len(here), len(tgt)) and here[common] == tgt[common]:
        common += 1
    level = len(here) - common + 1
    rest = ".".join(tgt[common:])
    return "." * level + rest


REL = re.compile(r"^(\s*)from (\.+)([\w.]*) import (.*)$")
ABS = re.compile(r"\btoolkit(?:\.\w+)+")


ROOT = Path(__file__).resolve().parent
EXISTING = set()


def exists(mod: str) -> bool:
    return mod in EXISTING


def rewrite_rel(line: str, current: str, is_pkg: bool, old_current: str, old_is_pkg: bool) -> str:
    m = REL.match(line)
    if not m:
        return line
    indent, dots, name, rest = m.groups()
    here = absolute(current, is_pkg, len(dots), name)
    if exists(here) or (not name and current == old_current):
        return line
    target = absolute(old_current, old_is_pkg, len(dots), name)
    if not name:
        # from . import x, y: x may be modules
        names = [n.strip() for n in rest.strip("() ").split(",")]
        base = target
        subs = [new_name(f"{base}.{n.split(' as ')[0]}") for n in names]
        parents = {s.rpartition(".")[0] for s in subs}
        if len(parents) == 1:
            parent = parents.pop()
            new_rest = ", ".join(names)
            return f"{indent}from {relative(current, is_pkg, parent) if parent != current else '.'} import {new_rest}" \
                if parent != current else line
        return line
    target = new_name(target)
    return f"{indent}from {relative(current, is_pkg, target)} import {rest}"


FROM_TOOLKIT = re.compile(r"^(\s*)from toolkit import (\w+)( as \w+)?$")


def _from_toolkit(line: str) -> str:
    m = FROM_TOOLKIT.match(line)
    if not m:
        return line
    moved = new_name("toolkit." + m.group(2))
    if moved == "toolkit." + m.group(2):
        return line
    parent, _, name = moved.rpartition(".")
    return f"{m.group(1)}from {parent} import {name}{m.group(3) or ''}"


def main(files, old_names: dict[str, str]):
    for f in files:
        path = Path(f)
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        in_pkg = "toolkit" in path.parts
        if in_pkg:
            current, is_pkg = module_of(path)
            old_current = old_names.get(current, current)
            old_is_pkg = is_pkg
            lines = [rewrite_rel(ln, current, is_pkg, old_current, old_is_pkg) for ln in lines]
        lines = [ABS.sub(lambda m: new_name(m.group(0)), ln) for ln in lines]
        lines = [_from_toolkit(ln) for ln in lines]
        new = "\n".join(lines)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print("rewrote", f)


if __name__ == "__main__":
    for p in Path("toolkit").rglob("*.py"):
        m, _ = module_of(p)
        EXISTING.add(m)
    inverse = {new: old for old, new in MOVES.items()}
    inverse["toolkit.store.core"] = "toolkit.store"
    main(sys.argv[1:], inverse)
