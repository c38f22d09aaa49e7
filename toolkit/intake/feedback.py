"""Annotated copy of a unit's own workbook: cells marked by severity, a comment on each saying what is
wrong and what to do, and a first sheet "Lỗi cần sửa" listing every issue with a link to its cell.

The unit's values are never changed: formulas are replaced by their cached values (nothing from a
received file becomes live), text starting with "=" stays text. .xls/.ods become an .xlsx copy.

An .xlsx is annotated by editing its package (toolkit.intake.xlsxpackage): only the styles, the marked sheets, their
comments and the workbook part are rewritten, every other part is copied byte for byte (~10× faster than an
openpyxl load and save). Packages that editor does not handle (macros, a feedback sheet sent back, rows
without references...) go through openpyxl as before.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import openpyxl
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..files import atomic_path
from ..issues import Severity
from ..paths import safe_filename
from ..read import Limits, open_workbook
from .xlsxpackage import (
    CT_COMMENTS,
    CT_SHEET,
    CT_VML,
    MAIN,
    REL,
    T_COMMENTS,
    T_SHEET,
    T_VML,
    Package,
    Unsupported,
    copy_xf,
    q,
    xml_safe,
)

SHEET = "Lỗi cần sửa"
FILLS = {
    Severity.ERROR: PatternFill("solid", fgColor="FFC7CE"),
    Severity.WARNING: PatternFill("solid", fgColor="FFEB9C"),
}
FONT = "Times New Roman"
HEADERS = ["STT", "Mức độ", "Trang", "Ô", "Nội dung", "Cách sửa"]
WIDTHS = [5, 10, 16, 8, 62, 55]


# a file refused only for belonging to another round: its feedback is this round's template when the office has one
WRONG_PERIOD = ("period-mismatch", "form-period-mismatch", "file-other-round")


def feedback_path(folder: Path, sub) -> Path:
    if getattr(sub, "output_name", ""):  # chosen by the collect so that no two copies share a name
        return folder / sub.output_name
    stem = re.sub(r"[^\w.-]+", "_", Path(sub.file_name).stem, flags=re.UNICODE).strip("._") or "tep"
    stem = re.sub(r"(?:_phan_hoi(?:_\d+)?)+$", "", stem, flags=re.IGNORECASE) or stem  # a feedback copy sent back
    return folder / safe_filename(f"{stem[:80]}_phan_hoi.xlsx")


def write_feedback(sub, source: Path, folder: Path) -> Path:
    with warnings.catch_warnings():  # openpyxl's remarks on foreign workbooks are not the office's business
        warnings.simplefilter("ignore")
        return _write_feedback(sub, source, folder)


def _write_feedback(sub, source: Path, folder: Path) -> Path:
    target = feedback_path(folder, sub)
    if sub.format == "xlsx" and source.suffix.lower() == ".xlsx":
        try:
            pkg = annotate_package(sub, source)
        except Exception:  # Unsupported, or a package damaged in a way only a full load copes with
            pkg = None
        if pkg is not None:
            with atomic_path(target) as tmp:
                pkg.save(tmp)
            return target
    if sub.format in ("xlsx",) and source.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            wb = openpyxl.load_workbook(source, data_only=True, keep_links=False, keep_vba=False, rich_text=False)
        except Exception:
            wb = _from_values(source, getattr(sub, "limits", None))
    else:
        wb = _from_values(source, getattr(sub, "limits", None))
    _neutralise(wb)
    _mark(wb, sub)
    _summary(wb, sub)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def _from_values(source: Path, limits: Limits | None = None) -> openpyxl.Workbook:
    """A new .xlsx holding the values of an .xls/.ods (or an .xlsx openpyxl cannot load), read within the limits
    collect read it with (the settings' intake: more rows than the default when the office allows more)."""
    data = open_workbook(source, limits, want_fonts=False)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, sheet in data.sheets.items():
        ws = wb.create_sheet(title=_safe_title(name))
        if not sheet.visible:
            ws.sheet_state = "hidden"
        for r, row in enumerate(sheet.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v == "" or v is None:
                    continue
                cell = ws.cell(row=r, column=c, value=xml_safe(v) if isinstance(v, str) else v)
                if isinstance(v, str):
                    cell.data_type = "s"
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    return wb


def _safe_title(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", xml_safe(name))[:31] or "Sheet"


def _neutralise(wb: openpyxl.Workbook) -> None:
    """Text that looks like a formula stays text; no external links or defined names survive."""
    for ws in wb.worksheets:
        for cell in list(getattr(ws, "_cells", {}).values()):  # existing cells only (sheets can be sparse)
            value = cell.value
            if isinstance(value, str):
                safe = xml_safe(value)
                if safe is not value:
                    cell._value = safe  # characters XML forbids would make the copy unsavable
                if safe.startswith(("=", "+", "-", "@")):
                    cell.data_type = "s"
    try:
        wb._external_links = []
    except AttributeError:
        pass
    for name in list(getattr(wb, "defined_names", {}) or {}):
        try:
            del wb.defined_names[name]
        except Exception:
            pass


def _mark(wb: openpyxl.Workbook, sub) -> None:
    by_cell: dict[tuple[str, str], list] = {}
    for issue in sub.issues:
        if issue.sheet and issue.cell and issue.severity in FILLS:
            by_cell.setdefault((issue.sheet, issue.cell), []).append(issue)
    for (sheet, ref), issues in by_cell.items():
        title = sheet if sheet in wb.sheetnames else _safe_title(sheet)
        if title not in wb.sheetnames:
            continue
        ws = wb[title]
        try:
            cell = ws[ref]
        except (ValueError, KeyError):
            continue
        worst = Severity.ERROR if any(i.is_error for i in issues) else Severity.WARNING
        if hasattr(cell, "fill"):
            cell.fill = FILLS[worst]
        text = _comment_text(issues)
        old = cell.comment.text + "\n" if getattr(cell, "comment", None) else ""
        comment = Comment(xml_safe(old + text)[:2000], "Văn phòng")
        comment.width, comment.height = 360, 40 + 18 * text.count("\n") + 18 * (len(text) // 60)
        try:
            cell.comment = comment
        except AttributeError:  # merged cell
            pass


def _summary(wb: openpyxl.Workbook, sub) -> None:
    if SHEET in wb.sheetnames:
        del wb[SHEET]
    ws = wb.create_sheet(SHEET, 0)
    ws.sheet_properties.tabColor = "C00000"
    bold = Font(name=FONT, bold=True)
    ws["A1"] = xml_safe(_heading(sub))
    ws["A1"].font = Font(name=FONT, bold=True, size=13)
    errors = sum(1 for i in sub.issues if i.is_error)
    ws["A2"] = _verdict(sub)
    ws["A2"].font = Font(name=FONT, bold=True, color="C00000" if errors else "1F4E78")
    for c, h in enumerate(HEADERS, start=1):
        cell = ws.cell(row=4, column=c, value=h)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for n, issue in enumerate(_ordered(sub.issues), start=1):
        r = 4 + n
        for c, v in enumerate(_summary_values(n, issue), start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = Font(name=FONT)
        if issue.severity in FILLS:
            ws.cell(row=r, column=2).fill = FILLS[issue.severity]
        ws.row_dimensions[r].height = _row_height(issue)
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            link = ws.cell(row=r, column=4)
            link.hyperlink = f"#'{issue.sheet}'!{issue.cell}"
            link.font = Font(name=FONT, color="0563C1", underline="single")
    for c, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False


# --- what both writers say -----------------------------------------------------------------------

def _heading(sub) -> str:
    return f"Tệp: {sub.file_name} — Đơn vị: {sub.unit.name if sub.unit else '(chưa xác định)'}"


def _verdict(sub) -> str:
    errors = sum(1 for i in sub.issues if i.is_error)
    revise = sum(1 for i in sub.issues if i.code == "confirm-revise")
    refused = sum(1 for i in sub.issues if i.code == "confirm-refused")
    if revise or refused:  # the office's opinions on a registration it had accepted: each kind named as it is
        parts = ([f"ĐỀ NGHỊ SỬA {revise} NHIỆM VỤ"] if revise else []) + \
            ([f"KHÔNG ĐỒNG Ý {refused} NHIỆM VỤ"] if refused else [])
        todo = "sửa và gửi lại bản đăng ký" if revise else \
            "nhiệm vụ không được đồng ý không đưa vào bản cam kết; đơn vị có thể đăng ký nhiệm vụ khác thay thế"
        return f"VĂN PHÒNG {', '.join(parts)} — xem ý kiến ở các ô được đánh dấu; {todo}."
    wrong_period = any(i.code in WRONG_PERIOD for i in sub.issues if i.is_error)
    if wrong_period and getattr(sub, "template", ""):
        return (f"KHÔNG TIẾP NHẬN — tệp {sub.file_name} là biểu mẫu của kỳ khác. Tệp này là biểu mẫu đúng kỳ "
                f"({sub.template}): điền vào tệp này rồi gửi lại, không sửa tệp đã gửi.")
    if wrong_period:
        return ("KHÔNG TIẾP NHẬN — tệp là biểu mẫu của kỳ khác: điền biểu mẫu đúng kỳ Văn phòng đã gửi rồi gửi "
                "lại, không sửa tệp này.")
    verdict = "KHÔNG TIẾP NHẬN — đề nghị sửa các lỗi và gửi lại." if errors else \
        "ĐÃ TIẾP NHẬN — đề nghị xem các cảnh báo."
    return f"{verdict} ({errors} lỗi, {len(sub.issues) - errors} cảnh báo/ghi chú)"


def _ordered(issues) -> list:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(issues, key=lambda i: (order[i.severity], i.sheet, i.row or 0))


def _summary_values(n: int, issue) -> list:
    return [n, issue.severity.label, xml_safe(issue.sheet), issue.cell or (str(issue.row) if issue.row else ""),
            xml_safe(issue.message), xml_safe(issue.hint)]


def _row_height(issue) -> float:
    lines = max(len(issue.message) / 65, len(issue.hint) / 55, 1)
    return 15 * (int(lines) + (lines > int(lines)))


def _comment_text(issues) -> str:
    return "\n".join(f"[{i.severity.label}] {i.message}" + (f"\n→ {i.hint}" if i.hint else "") for i in issues)


def _by_cell(issues) -> dict[str, dict[str, list]]:
    """sheet -> cell -> issues, for the issues that point at a cell."""
    out: dict[str, dict[str, list]] = {}
    for issue in issues:
        if issue.sheet and issue.cell and issue.severity in FILLS:
            out.setdefault(issue.sheet, {}).setdefault(issue.cell, []).append(issue)
    return out


# --- the package editor's way ----------------------------------------------------------------------

_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_FORMULA = re.compile(rb"<(\w+:)?f[ >/]")
RGB = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C"}


def annotate_package(sub, source: Path) -> Package:
    """The unit's .xlsx with marks, comments and the summary sheet, as an edited package (not saved)."""
    pkg = Package(source)
    book = pkg.workbook_part()
    sheets = pkg.sheets()
    if any(name == SHEET for name, _, _ in sheets) or any(n.lower().endswith(".bin") for n in pkg.names):
        raise Unsupported("a feedback sheet sent back, or binary parts (macros)")
    _neutralise_package(pkg, book, sheets)
    styles = _Styles(pkg, book)
    parts = {name: part for name, part, _ in sheets}
    for sheet, cells in _by_cell(sub.issues).items():
        part = parts.get(sheet) or parts.get(_safe_title(sheet))
        if part:
            _mark_part(pkg, part, cells, styles)
    _summary_part(pkg, book, sheets, sub, styles)
    return pkg


def _neutralise_package(pkg: Package, book: str, sheets) -> None:
    """Formulas become their cached values; no external links, calculation chain or user names survive."""
    for rid, (kind, part) in pkg.targets(book).items():
        if kind.endswith(("/calcChain", "/externalLink")):
            pkg.remove(part)
            pkg.remove(pkg.rels_name(part))
            pkg.unrelate(book, rid)
    root = pkg.xml(book)
    for el in root.findall(q("externalReferences")):
        root.remove(el)
    names = root.find(q("definedNames"))
    for name in list(names) if names is not None else []:
        if not name.get("name", "").startswith("_xlnm."):
            names.remove(name)
    for _, part, _ in sheets:
        if _FORMULA.search(pkg.raw.get(part, b"")):
            for f in list(pkg.xml(part).iter(q("f"))):
                cell = f.getparent()
                cell.remove(f)
                v = cell.find(q("v"))
                if cell.get("t") == "str":
                    text = v.text if v is not None else ""
                    if v is not None:
                        cell.remove(v)
                    cell.set("t", "inlineStr")
                    etree_sub(etree_sub(cell, "is"), "t").text = text
                elif v is None and cell.get("t") not in ("s", "inlineStr"):
                    cell.attrib.pop("t", None)
    if "docProps/app.xml" in pkg.raw:  # sheet titles listed there would no longer match
        pkg.put("docProps/app.xml", re.sub(rb"<(\w+:)?(HeadingPairs|TitlesOfParts)>.*?</(\w+:)?\2>", b"",
                                           pkg.raw["docProps/app.xml"], flags=re.DOTALL))


def etree_sub(parent, tag: str, **attrs):
    return etree.SubElement(parent, q(tag), **attrs)


class _Styles:
    """New fills, fonts and cell formats appended to the workbook's styles part."""

    def __init__(self, pkg: Package, book: str):
        part = next((p for kind, p in pkg.targets(book).values() if kind.endswith("/styles")), None)
        root = pkg.xml(part) if part else None
        self.fonts, self.fills, self.xfs = (root.find(q(t)) if root is not None else None
                                            for t in ("fonts", "fills", "cellXfs"))
        if self.fonts is None or self.fills is None or self.xfs is None or not len(self.xfs):
            raise Unsupported("styles")
        self.memo: dict = {}

    @staticmethod
    def _append(parent, el) -> int:
        parent.append(el)
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    def fill(self, rgb: str) -> int:
        if ("fill", rgb) not in self.memo:
            el = etree_el("fill")
            pattern = etree_sub(el, "patternFill", patternType="solid")
            etree_sub(pattern, "fgColor", rgb="FF" + rgb)
            etree_sub(pattern, "bgColor", indexed="64")
            self.memo["fill", rgb] = self._append(self.fills, el)
        return self.memo["fill", rgb]

    def font(self, bold=False, size=11, color="", underline=False) -> int:
        key = ("font", bold, size, color, underline)
        if key not in self.memo:
            el = etree_el("font")
            if bold:
                etree_sub(el, "b")
            if underline:
                etree_sub(el, "u")
            etree_sub(el, "sz", val=str(size))
            if color:
                etree_sub(el, "color", rgb="FF" + color)
            etree_sub(el, "name", val=FONT)
            etree_sub(el, "family", val="1")
            self.memo[key] = self._append(self.fonts, el)
        return self.memo[key]

    def marked(self, s: int, severity) -> int:
        """The cell format `s` with the severity's fill."""
        key = ("mark", s, severity)
        if key not in self.memo:
            base = self.xfs[s] if 0 <= s < len(self.xfs) else self.xfs[0]
            self.memo[key] = self._append(self.xfs, copy_xf(base, fillId=str(self.fill(RGB[severity])),
                                                            applyFill="1"))
        return self.memo[key]

    def xf(self, font: int, fill: int = 0, wrap: bool = False) -> int:
        key = ("xf", font, fill, wrap)
        if key not in self.memo:
            el = etree_el("xf", numFmtId="0", fontId=str(font), fillId=str(fill), borderId="0", xfId="0",
                          applyFont="1", applyFill="1", applyAlignment="1")
            if wrap:
                etree_sub(el, "alignment", wrapText="1", vertical="top")
            self.memo[key] = self._append(self.xfs, el)
        return self.memo[key]


def etree_el(tag: str, **attrs):
    return etree.Element(q(tag), **attrs)


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _cell(data, rows: dict, ref: str, row_no: int, col_no: int):
    """The <c> element of a cell, created (in order) when the sheet has none."""
    row = rows.get(row_no)
    if row is None:
        row = etree_el("row", r=str(row_no))
        after = [r for n, r in rows.items() if n > row_no]
        if after:
            min(after, key=lambda r: int(r.get("r"))).addprevious(row)
        else:
            data.append(row)
        rows[row_no] = row
    row.attrib.pop("spans", None)
    for c in row.findall(q("c")):
        r = c.get("r")
        if r is None:
            raise Unsupported("cell without reference")
        if r == ref:
            return c
        m = _REF.fullmatch(r)
        if m and _col_number(m.group(1)) > col_no:
            new = etree_el("c", r=ref)
            c.addprevious(new)
            return new
    return etree_sub(row, "c", r=ref)


def _mark_part(pkg: Package, part: str, cells: dict[str, list], styles: _Styles) -> None:
    root = pkg.xml(part)
    data = root.find(q("sheetData"))
    if data is None:
        raise Unsupported("no sheetData")
    rows = {}
    for row in data.findall(q("row")):
        if row.get("r") is None:
            raise Unsupported("row without reference")
        rows[int(row.get("r"))] = row
    placed = {}
    for ref, issues in cells.items():
        m = _REF.fullmatch(ref)
        if not m:
            continue
        row_no, col_no = int(m.group(2)), _col_number(m.group(1))
        if col_no > 16384 or row_no > 1048576:
            continue
        cell = _cell(data, rows, ref, row_no, col_no)
        worst = Severity.ERROR if any(i.is_error for i in issues) else Severity.WARNING
        cell.set("s", str(styles.marked(int(cell.get("s", "0") or 0), worst)))
        placed[ref] = (row_no, col_no, issues)
    if placed:
        _comment_part(pkg, part, root, placed)


def _comment_part(pkg: Package, part: str, root, placed: dict) -> None:
    targets = pkg.targets(part)
    comments = next((p for kind, p in targets.values() if kind == T_COMMENTS), None)
    if comments is None:
        comments = pkg.free_name("xl/comments{}.xml")
        tree = etree.Element(q("comments"), nsmap={None: MAIN})
        etree_sub(tree, "authors")
        etree_sub(tree, "commentList")
        pkg.put(comments, tree, CT_COMMENTS)
        pkg.relate(part, T_COMMENTS, comments)
    croot = pkg.xml(comments)
    authors, clist = croot.find(q("authors")), croot.find(q("commentList"))
    if authors is None or clist is None:
        raise Unsupported("comments")
    names = [a.text for a in authors]
    if "Văn phòng" not in names:
        etree_sub(authors, "author").text = "Văn phòng"
        names.append("Văn phòng")
    existing = {c.get("ref"): c for c in clist}
    shapes = []
    for ref, (row_no, col_no, issues) in placed.items():
        text = _comment_text(issues)
        old = existing.get(ref)
        if old is not None:
            full = xml_safe("".join(t.text or "" for t in old.iter(q("t"))) + "\n" + text)[:2000]
            for child in list(old):
                old.remove(child)
        else:
            full = xml_safe(text)[:2000]
            old = etree_sub(clist, "comment", ref=ref, authorId=str(names.index("Văn phòng")))
            shapes.append((row_no, col_no, 40 + 18 * text.count("\n") + 18 * (len(text) // 60)))
        t = etree_sub(etree_sub(old, "text"), "t")
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        t.text = full
    if shapes:
        _vml_shapes(pkg, part, root, shapes)


_SHAPETYPE = ('<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
              '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_LATER = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
          "extLst")


def _vml_shapes(pkg: Package, part: str, root, shapes: list) -> None:
    legacy = root.find(q("legacyDrawing"))
    targets = pkg.targets(part)
    vml = targets.get(legacy.get(q("id", REL)), ("", None))[1] if legacy is not None else None
    if vml is not None and vml in pkg.raw:
        try:
            text = pkg.raw[vml].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unsupported("vml encoding") from exc
        ids = [int(x) for x in re.findall(r"_x0000_s(\d+)", text)]
        first = max(ids, default=1024) + 1
    else:
        blocks = [int(b) for n in pkg.names if n.endswith(".vml")
                  for d in re.findall(rb'idmap[^>]*data="([\d,]+)"', pkg.raw.get(n, b"")) for b in d.split(b",")]
        block = max(blocks, default=0) + 1
        first = block * 1024 + 1
        text = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
                f'<o:idmap v:ext="edit" data="{block}"/></o:shapelayout></xml>')
        vml = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
        pkg.ensure_default("vml", CT_VML)
        rid = pkg.relate(part, T_VML, vml)
        legacy = etree_el("legacyDrawing")
        legacy.set(q("id", REL), rid)
        later = next((el for el in root if etree_local(el) in _LATER), None)
        if later is not None:
            later.addprevious(legacy)
        else:
            root.append(legacy)
    body = "" if 'id="_x0000_t202"' in text else _SHAPETYPE
    for k, (row_no, col_no, height) in enumerate(shapes):
        body += (f'<v:shape id="_x0000_s{first + k}" type="#_x0000_t202" style="position:absolute;'
                 f'margin-left:59.25pt;margin-top:1.5pt;width:270pt;height:{min(height, 400) * 0.75:.0f}pt;'
                 f'z-index:{first + k};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
                 '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
                 '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
                 '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
                 f'<x:SizeWithCells/><x:Anchor>{col_no}, 15, {max(row_no - 2, 0)}, 10, {col_no + 4}, 15, '
                 f'{row_no + 4}, 4</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row_no - 1}</x:Row>'
                 f'<x:Column>{col_no - 1}</x:Column></x:ClientData></v:shape>')
    end = text.rfind("</xml>")
    if end < 0:
        raise Unsupported("vml")
    pkg.put(vml, (text[:end] + body + text[end:]).encode("utf-8"))


def etree_local(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _summary_part(pkg: Package, book: str, sheets, sub, styles: _Styles) -> None:
    from xml.sax.saxutils import escape, quoteattr

    errors = any(i.is_error for i in sub.issues)
    body = styles.xf(styles.font(), wrap=True)
    xf = {"title": styles.xf(styles.font(bold=True, size=13)),
          "verdict": styles.xf(styles.font(bold=True, color="C00000" if errors else "1F4E78")),
          "head": styles.xf(styles.font(bold=True), styles.fill("DDEBF7")), "body": body,
          "link": styles.xf(styles.font(color="0563C1", underline=True), wrap=True),
          Severity.ERROR: styles.xf(styles.font(), styles.fill(RGB[Severity.ERROR]), wrap=True),
          Severity.WARNING: styles.xf(styles.font(), styles.fill(RGB[Severity.WARNING]), wrap=True)}
    names = {name for name, _, _ in sheets}

    def cell(ref: str, value, style: int) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(xml_safe(value))}</t></is></c>'

    rows = [f'<row r="1">{cell("A1", _heading(sub), xf["title"])}</row>',
            f'<row r="2">{cell("A2", _verdict(sub), xf["verdict"])}</row>',
            '<row r="4">' + "".join(cell(f"{chr(65 + c)}4", h, xf["head"]) for c, h in enumerate(HEADERS)) + "</row>"]
    links = []
    for n, issue in enumerate(_ordered(sub.issues), start=1):
        r = 4 + n
        styled = [xf["body"], xf.get(issue.severity, xf["body"]), body, body, body, body, body]
        if issue.sheet and issue.cell and issue.sheet in names:
            styled[3] = xf["link"]
            links.append(f'<hyperlink ref="D{r}" location={quoteattr(xml_safe(chr(39) + issue.sheet + chr(39) + "!" + issue.cell))} '
                         f'display={quoteattr(xml_safe(issue.cell))}/>')
        rows.append(f'<row r="{r}" ht="{_row_height(issue)}" customHeight="1">'
                    + "".join(cell(f"{chr(65 + c)}{r}", v, styled[c]) for c, v in enumerate(_summary_values(n, issue)))
                    + "</row>")
    cols = "".join(f'<col min="{c}" max="{c}" width="{w + 0.7109375}" customWidth="1"/>' for c, w in enumerate(WIDTHS, 1))
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
           f'xmlns:r="{REL}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:G{4 + len(sub.issues)}"/>'
           '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="4" topLeftCell="A5" '
           'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A5" sqref="A5"/>'
           f'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
           f'<sheetData>{"".join(rows)}</sheetData>' + (f'<hyperlinks>{"".join(links)}</hyperlinks>' if links else "")
           + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
           '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>')
    part = pkg.free_name("xl/worksheets/sheet{}.xml")
    pkg.put(part, xml.encode("utf-8"), CT_SHEET)
    _first_sheet(pkg, book, part, sheets)


def _first_sheet(pkg: Package, book: str, part: str, sheets) -> None:
    """Register the summary as the first, active sheet; the others are no longer selected."""
    root = pkg.xml(book)
    rid = pkg.relate(book, T_SHEET, part)
    listing = root.find(q("sheets"))
    el = etree_el("sheet", name=SHEET, sheetId=str(max((int(s.get("sheetId", 0)) for s in listing), default=0) + 1))
    el.set(q("id", REL), rid)
    listing.insert(0, el)
    names = root.find(q("definedNames"))
    if names is None:
        names = etree_el("definedNames")
        listing.addnext(names)
    for name in names:
        if name.get("localSheetId") is not None:
            name.set("localSheetId", str(int(name.get("localSheetId")) + 1))
    title = etree_el("definedName", name="_xlnm.Print_Titles", localSheetId="0")
    title.text = f"'{SHEET}'!$4:$4"
    names.insert(0, title)
    for view in root.iterfind(f"{q('bookViews')}/{q('workbookView')}"):
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    for _, other, _ in sheets:
        if other in pkg.trees:
            for v in pkg.trees[other].iter(q("sheetView")):
                v.attrib.pop("tabSelected", None)
        elif other in pkg.raw:
            pkg.put(other, re.sub(rb'\stabSelected="(1|true)"', b"", pkg.raw[other]))
