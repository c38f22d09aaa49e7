"""Edit an .xlsx package directly: the parts a change needs are parsed and rewritten, every other part is
copied byte for byte (values, formatting, validations, hidden sheets stay exactly as the unit saved them).

Ten times faster than loading and saving the workbook with openpyxl, which rebuilds every part. Parsing is
hardened (no entities, no network); anything unexpected raises `Unsupported` so that the caller can fall back.
"""

from __future__ import annotations

import copy
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from ..text import xml_safe as _xml_safe

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
T_SHEET = REL + "/worksheet"
T_COMMENTS = REL + "/comments"
T_VML = REL + "/vmlDrawing"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


class Unsupported(Exception):
    """A package this editor does not handle (the caller falls back to a full load and save)."""


def xml_safe(text: object) -> str:
    """Text without the characters XML 1.0 forbids, as a string (None becomes "")."""
    return _xml_safe("" if text is None else str(text))


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


class Package:
    def __init__(self, path: Path):
        try:
            with zipfile.ZipFile(path) as z:
                self.names = [i.filename for i in z.infolist() if not i.is_dir()]
                self.raw = {n: z.read(n) for n in self.names}
        except (zipfile.BadZipFile, OSError, KeyError) as exc:
            raise Unsupported(str(exc)) from exc
        self.trees: dict[str, etree._Element] = {}

    # --- parts ---------------------------------------------------------------------------------
    def xml(self, name: str) -> etree._Element:
        """A part as a tree (rewritten on save)."""
        if name not in self.trees:
            if name not in self.raw:
                raise Unsupported(f"missing part {name}")
            try:
                self.trees[name] = etree.fromstring(self.raw[name], _PARSER)
            except etree.XMLSyntaxError as exc:
                raise Unsupported(f"{name}: {exc}") from exc
        return self.trees[name]

    def put(self, name: str, data: bytes | etree._Element, content_type: str | None = None) -> None:
        if name not in self.raw and name not in self.trees:
            self.names.append(name)
        if isinstance(data, bytes):
            self.raw[name] = data
            self.trees.pop(name, None)
        else:
            self.trees[name] = data
        if content_type:
            types = self.xml("[Content_Types].xml")
            etree.SubElement(types, q("Override", CT), PartName="/" + name, ContentType=content_type)

    def remove(self, name: str) -> None:
        if name in self.raw or name in self.trees:
            self.names.remove(name)
            self.raw.pop(name, None)
            self.trees.pop(name, None)
        types = self.xml("[Content_Types].xml")
        for o in types.findall(q("Override", CT)):
            if o.get("PartName") == "/" + name:
                types.remove(o)

    def free_name(self, pattern: str) -> str:
        n = 1
        while pattern.format(n) in self.raw or pattern.format(n) in self.trees:
            n += 1
        return pattern.format(n)

    def ensure_default(self, ext: str, content_type: str) -> None:
        types = self.xml("[Content_Types].xml")
        if not any(d.get("Extension", "").lower() == ext for d in types.findall(q("Default", CT))):
            types.insert(0, etree.Element(q("Default", CT), Extension=ext, ContentType=content_type))

    # --- relationships -------------------------------------------------------------------------
    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def rels(self, part: str) -> etree._Element:
        name = self.rels_name(part)
        if name not in self.raw and name not in self.trees:
            self.put(name, etree.Element(q("Relationships", PKG_REL), nsmap={None: PKG_REL}))
        return self.xml(name)

    def targets(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (type, part name) of a part's internal relationships."""
        out = {}
        for r in self.rels(part):
            if r.get("TargetMode") == "External":
                continue
            target = r.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
            out[r.get("Id")] = (r.get("Type"), path)
        return out

    def relate(self, part: str, rel_type: str, target: str) -> str:
        rels = self.rels(part)
        ids = {r.get("Id") for r in rels}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rel_target = posixpath.relpath(target, posixpath.dirname(part) or ".")
        etree.SubElement(rels, q("Relationship", PKG_REL), Id=f"rId{n}", Type=rel_type, Target=rel_target)
        return f"rId{n}"

    def unrelate(self, part: str, rel_id: str) -> None:
        rels = self.rels(part)
        for r in rels:
            if r.get("Id") == rel_id:
                rels.remove(r)

    # --- workbook --------------------------------------------------------------------------------
    def workbook_part(self) -> str:
        for r in self.xml("_rels/.rels"):
            if r.get("Type", "").endswith("/officeDocument"):
                return r.get("Target", "").lstrip("/")
        raise Unsupported("no workbook")

    def sheets(self) -> list[tuple[str, str, etree._Element]]:
        """(name, part, <sheet> element) in workbook order."""
        wb = self.workbook_part()
        targets = self.targets(wb)
        out = []
        for s in self.xml(wb).iterfind(f"{q('sheets')}/{q('sheet')}"):
            kind, path = targets.get(s.get(q("id", REL)), ("", ""))
            if kind == T_SHEET:
                out.append((s.get("name"), path, s))
        return out

    def save(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for name in self.names:
                if name in self.trees:
                    data = etree.tostring(self.trees[name], xml_declaration=True, encoding="UTF-8", standalone=True)
                else:
                    data = self.raw[name]
                z.writestr(name, data)


def copy_xf(xf: etree._Element, **attrs: str) -> etree._Element:
    new = copy.deepcopy(xf)
    for k, v in attrs.items():
        new.set(k, v)
    return new
