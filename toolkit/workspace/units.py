"""Unit and leader registry, read from the workbook the office keeps (don_vi.xlsx)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_path
from ..issues import Report, make_issue
from ..read import (
    cell_ref,
    open_rows,  # the intake reader handles any workbook format safely
)
from ..sheets import Workbook
from ..text import fold, normalise_name

UNIT_SHEET = "Đơn vị"
LEADER_SHEET = "Lãnh đạo"
UNIT_COLUMNS = {  # field -> header title
    "code": "Mã đơn vị", "name": "Tên đơn vị", "kind": "Loại", "parent": "Mã đơn vị cấp trên",
    "head_name": "Người đứng đầu", "head_title": "Chức vụ", "email": "Email liên hệ",
}
LEADER_COLUMNS = {
    "id": "Mã lãnh đạo", "name": "Họ và tên", "title": "Chức vụ", "unit": "Mã đơn vị",
    "btv_managed": "Thuộc diện BTV quản lý",
}
REQUIRED_UNIT = ("code", "name", "parent")
REQUIRED_LEADER = ("id", "name", "unit")


@dataclass
class Unit:
    code: str
    name: str
    kind: str = ""
    parent: str = ""
    head_name: str = ""
    head_title: str = ""
    email: str = ""
    row: int = 0


@dataclass
class Leader:
    id: str
    name: str
    title: str = ""
    unit: str = ""
    btv_managed: bool = True  # classified (and counted in the quota) with the leaders the standing committee rates
    row: int = 0


@dataclass
class Registry:
    units: dict[str, Unit] = field(default_factory=dict)
    leaders: dict[str, Leader] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_fold = {}
        for u in self.units.values():
            self._by_fold[fold(u.code)] = u
            self._by_fold.setdefault(fold(u.name), u)
        self._leaders_by_fold = {fold(k): v for k, v in self.leaders.items()}

    def find_unit(self, text: object) -> Unit | None:
        """A unit by code or name, matched on the folded key."""
        return self._by_fold.get(fold(text)) if text not in (None, "") else None

    def find_leader(self, text: object) -> Leader | None:
        return self._leaders_by_fold.get(fold(text)) if text not in (None, "") else None

    def find_leader_by_name(self, text: object, prefer: list[str] | None = None) -> Leader | None:
        """A leader whose name (folded; "Nguyễn Văn A – Bí thư" also matches) is ``text``: one of ``prefer`` if
        any matches, else the only leader with that name."""
        key = fold(str(text or "").split(" – ")[0].split(" - ")[0].split("(")[0])
        if not key:
            return None
        matches = [ldr for ldr in self.leaders.values() if fold(ldr.name) == key]
        preferred = [ldr for ldr in matches if ldr.id in (prefer or [])]
        if len(preferred) == 1:
            return preferred[0]
        return matches[0] if len(matches) == 1 else None

    def children(self, code: str) -> list[Unit]:
        return [u for u in self.units.values() if u.parent == code]

    @property
    def roots(self) -> list[Unit]:
        return [u for u in self.units.values() if not u.parent]

    def depth(self, code: str) -> int:
        d, seen = 0, set()
        while code in self.units and self.units[code].parent and code not in seen:
            seen.add(code)
            code = self.units[code].parent
            d += 1
        return d

    def parent_name(self, code: str) -> str:
        unit = self.units.get(code)
        parent = self.units.get(unit.parent) if unit else None
        return parent.name if parent else ""

    def expected(self, kinds: list[str] | None = None, codes: list[str] | None = None) -> list[Unit]:
        """Units that must report: the given codes, else units of the given kinds, else all non-roots."""
        units = list(self.units.values())
        if codes:
            wanted = {fold(c) for c in codes}
            return [u for u in units if fold(u.code) in wanted]
        if kinds:
            wanted = {fold(k) for k in kinds}
            return [u for u in units if fold(u.kind) in wanted]
        return [u for u in units if u.parent]

    def leaders_of(self, code: str) -> list[Leader]:
        return [ldr for ldr in self.leaders.values() if ldr.unit == code]


def problem_lines(report: Report, hints: bool = False) -> str:
    """The registry's errors, a line each, led by where they are ("Lãnh đạo!D7", "trang 'Đơn vị'", or nothing for
    the file as a whole)."""
    lines = []
    for i in report.errors:
        where = f"{i.sheet}!{i.cell}: " if i.sheet and i.cell else \
            f"trang '{i.sheet}': " if i.sheet and i.code != "registry-sheet-missing" else ""
        hint = hints and i.hint and not i.code.startswith("file-")  # (a file's hints speak to units sending returns)
        lines.append(f"  - {where}{i.message}" + (f" {i.hint}" if hint else ""))
    return "\n".join(lines)


def load_registry(path: str | Path) -> tuple[Registry, Report]:
    """Read the registry workbook; every problem is reported at once with sheet and cell."""
    report = Report()
    path = Path(path)
    sheets, problem = open_rows(path)
    if problem is not None:
        report.add(problem)
        return Registry(), report
    units_rows = _table(sheets, UNIT_SHEET, UNIT_COLUMNS, REQUIRED_UNIT, path, report)
    leader_rows = _table(sheets, LEADER_SHEET, LEADER_COLUMNS, REQUIRED_LEADER, path, report)
    units, where = _read_units(units_rows, path, report)
    _report_cycles(units, where, path, report)
    leaders = _read_leaders(leader_rows, {fold(c): c for c in units}, path, report)
    return Registry(units=units, leaders=leaders), report


def _read_units(units_rows, path: Path, report: Report) -> tuple[dict[str, Unit], dict[str, tuple[int, str]]]:
    """The units sheet: one Unit per code (empty and repeated codes reported), parents resolved by folded code."""
    units: dict[str, Unit] = {}
    where: dict[str, tuple[int, str]] = {}
    for excel_row, rec, cells in units_rows:
        code, name = rec.get("code", ""), rec.get("name", "")
        if not code:
            report.add(make_issue("registry-empty-code", file=path.name, sheet=UNIT_SHEET, cell=cells["code"],
                                  row=excel_row))
            continue
        if not name:
            report.add(make_issue("registry-empty-name", file=path.name, sheet=UNIT_SHEET, cell=cells["name"],
                                  row=excel_row, value=code))
        key = fold(code)
        if key in where:
            report.add(make_issue("registry-duplicate-code", file=path.name, sheet=UNIT_SHEET,
                                  cell=cells["code"], row=excel_row, value=code, other_row=where[key][0]))
            continue
        where[key] = (excel_row, cells["parent"])
        units[code] = Unit(code=code, name=name, kind=rec.get("kind", ""), parent=rec.get("parent", ""),
                           head_name=rec.get("head_name", ""), head_title=rec.get("head_title", ""),
                           email=rec.get("email", ""), row=excel_row)
    by_fold = {fold(c): c for c in units}
    for u in units.values():
        if u.parent:
            real = by_fold.get(fold(u.parent))
            if real is None:
                report.add(make_issue("registry-unknown-parent", file=path.name, sheet=UNIT_SHEET,
                                      cell=where[fold(u.code)][1], row=u.row, value=u.parent))
                u.parent = ""
            else:
                u.parent = real
    return units, where


def _read_leaders(leader_rows, by_fold: dict[str, str], path: Path, report: Report) -> dict[str, Leader]:
    """The leaders sheet: one Leader per id, attached to a unit of the units sheet."""
    leaders: dict[str, Leader] = {}
    seen: dict[str, int] = {}
    for excel_row, rec, cells in leader_rows:
        lid, name, unit = rec.get("id", ""), rec.get("name", ""), rec.get("unit", "")
        if not lid:
            report.add(make_issue("registry-empty-code", file=path.name, sheet=LEADER_SHEET, cell=cells["id"],
                                  row=excel_row))
            continue
        if fold(lid) in seen:
            report.add(make_issue("registry-duplicate-code", file=path.name, sheet=LEADER_SHEET,
                                  cell=cells["id"], row=excel_row, value=lid, other_row=seen[fold(lid)]))
            continue
        seen[fold(lid)] = excel_row
        if not name:
            report.add(make_issue("registry-empty-name", file=path.name, sheet=LEADER_SHEET, cell=cells["name"],
                                  row=excel_row, value=lid))
        real_unit = by_fold.get(fold(unit))
        if real_unit is None:
            report.add(make_issue("registry-unknown-unit", file=path.name, sheet=LEADER_SHEET,
                                  cell=cells["unit"], row=excel_row, value=unit))
        btv = fold(rec.get("btv_managed", ""))
        if btv not in ("", "co", "khong", "x", "yes", "no", "1", "0", "true", "false"):
            report.add(make_issue("registry-bad-value", file=path.name, sheet=LEADER_SHEET,
                                  cell=cells["btv_managed"], row=excel_row, value=rec.get("btv_managed"),
                                  title=LEADER_COLUMNS["btv_managed"], help="Ghi 'có' hoặc 'không'."))
        # "Thuộc diện BTV quản lý": "không" leaves the leader out of the leaders' classification and its quota;
        # "có" or blank (a registry without the column) keeps the leader in it
        leaders[lid] = Leader(id=lid, name=name, title=rec.get("title", ""), unit=real_unit or unit,
                              btv_managed=btv not in ("khong", "no", "0", "false"), row=excel_row)
    return leaders


def _table(sheets, sheet_name, columns, required, path, report):
    rows = None
    for name, data in sheets.items():
        if fold(name) == fold(sheet_name):
            rows = data
            break
    if rows is None:
        report.add(make_issue("registry-sheet-missing", file=path.name, sheet=sheet_name))
        return []
    wanted = {fold(title): key for key, title in columns.items()}
    header_idx, mapping = None, {}
    for r, row in enumerate(rows[:15]):
        found = {wanted[fold(v)]: c for c, v in enumerate(row) if fold(v) in wanted}
        if len(found) >= 2:
            header_idx, mapping = r, found
            break
    if header_idx is None:
        for key in required:
            report.add(make_issue("registry-column-missing", file=path.name, sheet=sheet_name, cell="A1",
                                  title=columns[key]))
        return []
    for key in required:
        if key not in mapping:
            report.add(make_issue("registry-column-missing", file=path.name, sheet=sheet_name,
                                  cell=cell_ref(header_idx + 1, 1), title=columns[key]))
    if any(k not in mapping for k in required):
        return []
    out = []
    for r in range(header_idx + 1, len(rows)):
        row = rows[r]
        rec = {}
        for key, c in mapping.items():
            value = row[c] if c < len(row) else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            rec[key] = normalise_name(value)
        if not any(rec.values()):
            continue
        cells = {key: cell_ref(r + 1, mapping.get(key, 0) + 1) for key in columns}
        out.append((r + 1, rec, cells))
    return out


def _report_cycles(units, where, path, report) -> None:
    reported: set[str] = set()
    for start in units:
        chain, code = [], start
        while code and code not in chain:
            chain.append(code)
            code = units[code].parent if code in units else ""
        if code and code in chain:
            cycle = chain[chain.index(code):]
            key = min(cycle)
            if key in reported:
                continue
            reported.add(key)
            first = units[key]
            report.add(make_issue("registry-cycle", file=path.name, sheet=UNIT_SHEET,
                                  cell=where[fold(key)][1], row=first.row,
                                  detail=" → ".join(cycle + [code])))
            first.parent = ""  # break the cycle so later stages terminate


# --- the sample registry written by `toolkit init` when the office gives none ---------------------

SAMPLE_UNITS = [
    ("TU", "Tỉnh ủy Hòa An", "Tỉnh", "", "Nguyễn Văn Thành", "Bí thư Tỉnh ủy", "vptu@hoaan.dcs.vn"),
    ("BTC", "Ban Tổ chức Tỉnh ủy", "Ban đảng", "TU", "Trần Thị Hương", "Trưởng ban", "btc@hoaan.dcs.vn"),
    ("BTG", "Ban Tuyên giáo và Dân vận Tỉnh ủy", "Ban đảng", "TU", "Lê Minh Tuấn", "Trưởng ban",
     "btgdv@hoaan.dcs.vn"),
    ("UBKT", "Ủy ban Kiểm tra Tỉnh ủy", "Ban đảng", "TU", "Phạm Quốc Hùng", "Chủ nhiệm", "ubkt@hoaan.dcs.vn"),
    ("DUUB", "Đảng ủy UBND tỉnh", "Đảng ủy trực thuộc", "TU", "Hoàng Văn Long", "Bí thư Đảng ủy",
     "duub@hoaan.dcs.vn"),
    ("DUCQ", "Đảng ủy các cơ quan Đảng tỉnh", "Đảng ủy trực thuộc", "TU", "Vũ Thị Lan", "Bí thư Đảng ủy",
     "ducq@hoaan.dcs.vn"),
    ("QSU", "Đảng ủy Quân sự tỉnh", "Đảng ủy trực thuộc", "TU", "Đỗ Văn Quân", "Bí thư Đảng ủy",
     "dqs@hoaan.dcs.vn"),
    ("PTHA", "Đảng ủy phường Tân Hòa", "Xã, phường", "TU", "Ngô Thị Mai", "Bí thư Đảng ủy", "tanhoa@hoaan.dcs.vn"),
    ("PTHN", "Đảng ủy phường Thịnh Lang", "Xã, phường", "TU", "Bùi Văn Dũng", "Bí thư Đảng ủy",
     "thinhlang@hoaan.dcs.vn"),
    ("PKS", "Đảng ủy phường Kỳ Sơn", "Xã, phường", "TU", "Đinh Công Sơn", "Bí thư Đảng ủy", "kyson@hoaan.dcs.vn"),
    ("XLS", "Đảng ủy xã Lương Sơn", "Xã, phường", "TU", "Quách Thị Nga", "Bí thư Đảng ủy",
     "luongson@hoaan.dcs.vn"),
    ("XCP", "Đảng ủy xã Cao Phong", "Xã, phường", "TU", "Xa Văn Thắng", "Bí thư Đảng ủy", "caophong@hoaan.dcs.vn"),
    ("XMC", "Đảng ủy xã Mai Châu", "Xã, phường", "TU", "Hà Thị Thu", "Bí thư Đảng ủy", "maichau@hoaan.dcs.vn"),
    ("XTL", "Đảng ủy xã Tân Lạc", "Xã, phường", "TU", "Bạch Công Minh", "Bí thư Đảng ủy", "tanlac@hoaan.dcs.vn"),
    ("XLT", "Đảng ủy xã Lạc Thủy", "Xã, phường", "TU", "Nguyễn Thị Hiền", "Bí thư Đảng ủy",
     "lacthuy@hoaan.dcs.vn"),
    ("XYT", "Đảng ủy xã Yên Thủy", "Xã, phường", "TU", "Trịnh Văn Bình", "Bí thư Đảng ủy", "yenthuy@hoaan.dcs.vn"),
    ("XDB", "Đảng ủy xã Đà Bắc", "Xã, phường", "TU", "Lò Văn Hải", "Bí thư Đảng ủy", "dabac@hoaan.dcs.vn"),
    ("XKB", "Đảng ủy xã Kim Bôi", "Xã, phường", "TU", "Đặng Thị Yến", "Bí thư Đảng ủy", "kimboi@hoaan.dcs.vn"),
    ("XLG", "Đảng ủy xã Lạc Sơn", "Xã, phường", "TU", "Mai Văn Cường", "Bí thư Đảng ủy", "lacson@hoaan.dcs.vn"),
    ("XVN", "Đảng ủy xã Vân Sơn", "Xã, phường", "TU", "Lương Thị Hạnh", "Bí thư Đảng ủy", "vanson@hoaan.dcs.vn"),
]

SAMPLE_LEADERS = [
    ("LD01", "Nguyễn Văn Thành", "Bí thư Tỉnh ủy", "TU", "có"),
    ("LD02", "Lê Thị Hồng", "Phó Bí thư Thường trực Tỉnh ủy", "TU", "có"),
    ("LD03", "Trần Thị Hương", "Trưởng Ban Tổ chức Tỉnh ủy", "BTC", "có"),
    ("LD04", "Lê Minh Tuấn", "Trưởng Ban Tuyên giáo và Dân vận", "BTG", "có"),
    ("LD05", "Phạm Quốc Hùng", "Chủ nhiệm UBKT Tỉnh ủy", "UBKT", "có"),
    ("LD06", "Hoàng Văn Long", "Chủ tịch UBND tỉnh", "DUUB", "có"),
    ("LD07", "Vũ Thị Lan", "Bí thư Đảng ủy các cơ quan Đảng", "DUCQ", "có"),
    ("LD08", "Đỗ Văn Quân", "Chỉ huy trưởng Bộ CHQS tỉnh", "QSU", "có"),
    ("LD09", "Ngô Thị Mai", "Bí thư Đảng ủy phường Tân Hòa", "PTHA", "có"),
    ("LD10", "Bùi Văn Dũng", "Bí thư Đảng ủy phường Thịnh Lang", "PTHN", "có"),
    ("LD11", "Đinh Công Sơn", "Bí thư Đảng ủy phường Kỳ Sơn", "PKS", "có"),
    ("LD12", "Quách Thị Nga", "Bí thư Đảng ủy xã Lương Sơn", "XLS", "có"),
    ("LD13", "Xa Văn Thắng", "Bí thư Đảng ủy xã Cao Phong", "XCP", "có"),
    ("LD14", "Hà Thị Thu", "Bí thư Đảng ủy xã Mai Châu", "XMC", "có"),
    ("LD15", "Bạch Công Minh", "Bí thư Đảng ủy xã Tân Lạc", "XTL", "có"),
    ("LD16", "Nguyễn Thị Hiền", "Bí thư Đảng ủy xã Lạc Thủy", "XLT", "có"),
    ("LD17", "Trịnh Văn Bình", "Bí thư Đảng ủy xã Yên Thủy", "XYT", "có"),
    ("LD18", "Lò Văn Hải", "Bí thư Đảng ủy xã Đà Bắc", "XDB", "có"),
    ("LD19", "Đặng Thị Yến", "Bí thư Đảng ủy xã Kim Bôi", "XKB", "có"),
    ("LD20", "Mai Văn Cường", "Bí thư Đảng ủy xã Lạc Sơn", "XLG", "có"),
    ("LD21", "Lương Thị Hạnh", "Bí thư Đảng ủy xã Vân Sơn", "XVN", "có"),
    ("LD22", "Phùng Văn Khánh", "Phó Chủ tịch UBND tỉnh", "DUUB", "có"),
    ("LD23", "Tạ Thị Bích", "Phó Trưởng Ban Tổ chức Tỉnh ủy", "BTC", "không"),
]


def write_sample_registry(path: str | Path, units=None, leaders=None) -> None:
    """Write a registry workbook in the office's format (also used by tests and benchmarks)."""

    units = SAMPLE_UNITS if units is None else units
    leaders = SAMPLE_LEADERS if leaders is None else leaders
    with atomic_path(Path(path)) as tmp:
        wb = Workbook(str(tmp))
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                              "font_name": "Times New Roman"})
        body = wb.add_format({"font_name": "Times New Roman", "border": 1})
        for sheet_name, columns, rows in ((UNIT_SHEET, UNIT_COLUMNS, units), (LEADER_SHEET, LEADER_COLUMNS, leaders)):
            ws = wb.add_worksheet(sheet_name)
            for c, title in enumerate(columns.values()):
                ws.write_string(0, c, title, head)
                ws.set_column(c, c, 28 if c in (1, 2, 4) else 16)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    ws.write_string(r, c, str(value), body)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, len(rows), len(columns) - 1)
        wb.close()
