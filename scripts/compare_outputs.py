"""Compare two workspaces' outputs by content: every workbook's cell values, every Word document's text.

    python scripts/compare_outputs.py BEFORE AFTER

Used to check that a restructuring leaves `toolkit demo`'s outputs as they were: run the demo before and after,
compare. Times of day and "lập lúc" stamps differ between runs and are masked; everything else must match.
Exit code 0 when the outputs agree, 1 with the differences listed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import openpyxl
from docx import Document

STAMP = re.compile(r"\d{1,2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?|"
                   r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d+[,.]\d+ giây\b|\bngày \d{1,2} tháng \d{1,2} năm \d{4}\b")
SKIP = {".toolkit.lock"}


def _mask(value) -> str:
    return STAMP.sub("<t>", str(value)) if value is not None else ""


def workbook(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = []
    for ws in wb.worksheets:
        if ws.title.startswith("_"):  # hidden metadata (a template's creation time)
            continue
        for row in ws.iter_rows(values_only=True):
            out.append(f"{ws.title}|" + "|".join(_mask(v) for v in row))
    wb.close()
    return out


def document(path: Path) -> list[str]:
    doc = Document(str(path))
    out = [_mask(p.text) for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            out.append("|".join(_mask(c.text) for c in row.cells))
    return out


def content(path: Path) -> list[str] | None:
    try:
        if path.suffix in (".xlsx", ".xlsm"):
            return workbook(path)
        if path.suffix == ".docx":
            return document(path)
    except Exception:  # a deliberately damaged sample: compared byte for byte
        return [path.read_bytes().hex()]
    return None


def compare(before: Path, after: Path) -> list[str]:
    names = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names |= {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    diffs = []
    for rel in sorted(names):
        if rel.name in SKIP or rel.suffix in (".db", ".db-wal", ".db-shm", ".pdf", ".log") or "archive" in rel.parts:
            continue
        a, b = before / rel, after / rel
        if not a.exists() or not b.exists():
            diffs.append(f"{rel}: only {'after' if b.exists() else 'before'}")
            continue
        ca, cb = content(a), content(b)
        if ca is None:
            continue
        if ca != cb:
            first = next((i for i, (x, y) in enumerate(zip(ca, cb)) if x != y), min(len(ca), len(cb)))
            diffs.append(f"{rel}: differs at line {first}: {ca[first] if first < len(ca) else '∅'!r} → "
                         f"{cb[first] if first < len(cb) else '∅'!r}")
    return diffs


def main(argv: list[str]) -> int:
    before, after = Path(argv[0]), Path(argv[1])
    diffs = compare(before, after)
    for d in diffs:
        print(d)
    print(f"{len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
