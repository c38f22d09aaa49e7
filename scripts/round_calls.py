"""Rewrite stage calls of the old signature into calls with a Round (issue 31).

    python scripts/round_calls.py FILE...

``collect(ws, "2025", form_id="x", feedback=False)`` -> ``collect(open_round(ws, "2025", "x"), feedback=False)``;
``build_templates(ws, "progress", period, codes)`` -> ``build_templates(open_round(ws, period, "progress"), codes)``.
Only names imported from toolkit are rewritten; the import of open_round is added where missing.
"""
import ast
import sys
from pathlib import Path

STAGES = {"collect", "merge", "score", "write_reports", "round_status", "round_statuses", "adjust", "confirm",
          "write_history", "term_view", "run_round", "build_templates"}
FORM_POS = {"collect": 2, "merge": 2, "round_status": 2, "round_statuses": 2}


def library_names(tree) -> dict[str, str]:
    """local name -> stage name, for names imported from toolkit modules."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and ((node.module or "").startswith("toolkit") or node.level):
            for a in node.names:
                if a.name in STAGES:
                    out[a.asname or a.name] = a.name
    return out


def rewrite(path: Path, relative_import: str | None) -> bool:
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    names = library_names(tree)
    lines = src.split("\n")
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)

    def pos(lineno, col):
        return offsets[lineno - 1] + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))

    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        stage = None
        if isinstance(f, ast.Name) and f.id in names:
            stage = names[f.id]
        elif isinstance(f, ast.Attribute) and f.attr in STAGES and isinstance(f.value, ast.Attribute) \
                and "toolkit" in ast.unparse(f.value):
            stage = f.attr
        if stage is None or len(node.args) < 2 or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        def seg(n):
            return src[pos(n.lineno, n.col_offset):pos(n.end_lineno, n.end_col_offset)]

        args = [seg(a) for a in node.args]
        kws = {k.arg: seg(k.value) for k in node.keywords}
        if stage == "build_templates":
            target, form = args[0], args[1]
            period = args[2] if len(args) > 2 else kws.pop("period", None)
            rest = args[3:]
            if period is None:
                continue
            opened = f"open_round({target}, {period}, {form})"
        else:
            target, period = args[0], args[1]
            form = None
            rest = args[2:]
            if stage in FORM_POS and len(args) > FORM_POS[stage]:
                form = args[FORM_POS[stage]]
                rest = args[FORM_POS[stage] + 1:]
            elif stage not in FORM_POS and rest and stage in ("write_reports", "run_round"):
                pass  # pdf, log ... stay positional after the round
            if "form_id" in kws:
                form = kws.pop("form_id")
            opened = f"open_round({target}, {period}" + (f", {form}" if form else "") + ")"
        kw_text = [f"{k}={v}" for k, v in kws.items()]
        func = seg(f)
        new = f"{func}({', '.join([opened, *rest, *kw_text])})"
        edits.append((pos(node.lineno, node.col_offset), pos(node.end_lineno, node.end_col_offset), new))
    if not edits:
        return False
    # apply innermost-last: sort by start descending, skip overlapping outer edits (re-run handles nesting)
    edits.sort(key=lambda e: e[0], reverse=True)
    out = src
    last_start = None
    for start, end, new in edits:
        if last_start is not None and end > last_start:
            continue
        out = out[:start] + new + out[end:]
        last_start = start
    if "open_round" not in src or not any(
            isinstance(n, ast.ImportFrom) and any(a.name == "open_round" for a in n.names) for n in ast.walk(tree)):
        imp = relative_import or "from toolkit.round import open_round"
        lines = out.split("\n")
        idx = max(i for i, line in enumerate(lines) if line.startswith(("from ", "import ")))
        lines.insert(idx + 1, imp)
        out = "\n".join(lines)
    path.write_text(out, encoding="utf-8")
    return True


if __name__ == "__main__":
    for f in sys.argv[1:]:
        p = Path(f)
        rel = None
        if "toolkit" in p.parts:
            depth = len(p.parts) - p.parts.index("toolkit") - 2
            rel = f"from {'.' * (depth + 1)}round import open_round"
        if rewrite(p, rel):
            print("rewrote", f)
