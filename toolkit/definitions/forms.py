"""Form definitions: templates/forms/*.yaml, the single source of truth for every stage.

A workspace may override a shipped form by putting a file with the same id in <workspace>/forms/.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import resources
from ..errors import FormDefinitionError
from ..text import fold
from .schema import annotate, check_lists, load_yaml
from .vocabulary import STATUS_MEANINGS, list_items, shipped_meaning

TYPES = {"text", "integer", "number", "percent", "date", "choice", "bool", "unit", "leader"}
NUMBER_TYPES = {"integer", "number", "percent"}
# the task register's numeric fields (and the new target a unit may ask for): the store keeps them as numbers on
# both engines, so a form column carrying one must be typed as a number
REGISTER_NUMBERS = {"baseline", "target", "weight", "new_target"}
ROLES = {"registration", "breakthrough", "progress", "followup"}
# what office staff read for each role when a form definition does not say (name, file-name stem)
ROLE_NAMES = {"registration": ("đăng ký nhiệm vụ", "dang_ky"), "breakthrough": ("việc đột phá", "viec_dot_pha"),
              "progress": ("báo cáo tiến độ", "tien_do"), "followup": ("báo cáo nắm, góp, kiểm", "nam_gop_kiem")}
PERIOD_KINDS = {"year", "quarter", "half", "nine", "yearend", "term"}
RULES = {
    "date-order": {"column", "after"},
    "within-period": {"column"},
    "measurable": {"title", "indicator", "target"},
    "similar-across-units": {"column"},
    "parent-exists": {"column"},
    "ref-exists": {"column", "sheet", "ref"},
    "status-percent": {"status", "percent"},
    "completed-date": {"column", "status"},
    "required-when": {"column", "when", "values"},
    "register-complete": {"column"},
    "copied-text": {"column", "key"},
    "progress-trend": {"status", "percent"},
    "adjust-request": {"status", "sheet"},
    "adjust-values": {"column"},
    # written by office staff in the definitions workbook (no code): a column against another column or a constant,
    # at least one of two columns filled, a value within a range
    "compare": {"column", "op"},
    "one-of-two": {"column", "other"},
    "range": {"column"},
}
COMPARISONS = ("=", "≠", "<", "≤", ">", "≥")
SEVERITIES = ("error", "warning", "info")
TYPE_LABELS = {
    "text": "văn bản", "integer": "số nguyên", "number": "số", "percent": "tỷ lệ phần trăm",
    "date": "ngày (dd/mm/yyyy)", "choice": "giá trị trong danh sách", "bool": "có/không",
    "unit": "mã đơn vị", "leader": "mã lãnh đạo",
}


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    max_length: int = 32767
    width: float = 14
    help: str = ""
    locked: bool = False
    prefill: str | None = None
    aliases: tuple[str, ...] = ()
    meanings: tuple[tuple[str, str], ...] = ()  # (choice, its meaning), from lists.yaml

    def meaning(self, value: Any) -> str | None:
        """What a chosen value means ("done" for "Hoàn thành"), None for a value without one."""
        return next((m for w, m in self.meanings if w == value), None) if value is not None else None

    @property
    def keys(self) -> set[str]:
        return {fold(self.title), fold(self.name), *(fold(a) for a in self.aliases)}

    def help_for(self, unit_code: str = "") -> str:
        """The column's help as one unit reads it: "{ma_don_vi}" in a definition becomes the unit's code (an
        example task code "XTL-01" rather than another unit's)."""
        return self.help.replace("{ma_don_vi}", unit_code or "MA")


@dataclass(frozen=True)
class Sheet:
    id: str
    name: str
    header_row: int
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    rules: tuple[dict, ...] = ()
    blank_rows: int = 30
    optional: bool = False  # a sheet a unit may leave out or delete (older templates do not have it)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    role: str
    title: str
    periods: tuple[str, ...]
    sheets: tuple[Sheet, ...]
    instructions: tuple[str, ...] = ()
    source: str = ""
    name: str = ""  # short Vietnamese name ("báo cáo tiến độ"), used in messages and titles
    slug: str = ""  # Vietnamese file-name stem ("tien_do"), used in the names of the files the toolkit writes
    # the definition as the store keeps it (JSON: the form and the lists it uses), to read its returns again later
    definition: str = field(default="", compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        """What units fill in (sheets, columns, lists, rules), hashed: a change means a new version."""
        text = json.dumps([asdict(s) for s in self.sheets], ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def sheet(self, sheet_id: str) -> Sheet:
        for s in self.sheets:
            if s.id == sheet_id:
                return s
        raise KeyError(sheet_id)

    @property
    def main(self) -> Sheet:
        return self.sheets[0]

    def rules(self, rule: str):
        for s in self.sheets:
            for r in s.rules:
                if r["rule"] == rule:
                    yield s, r


# Vietnamese names a clerk may type for the shipped forms' codes (the English codes stay the canonical ids)
FORM_ALIASES = {"dang-ky": "registration", "tien-do": "progress", "dot-pha": "breakthrough", "theo-doi": "followup"}


def canonical_form_id(name: str) -> str:
    """The form id ``name`` stands for: itself, or the shipped form a Vietnamese alias names ("dang-ky")."""
    key = str(name).strip()
    return FORM_ALIASES.get(key.lower(), key)


def shipped_dir() -> Path:
    return resources() / "forms"


# the reader of a workspace's definitions workbook: toolkit.definitions.workbook (built on this module) registers it
WORKBOOK_READERS: list = []


def workbook_source(workspace: Path | None):
    """The workspace's definitions workbook, read (its ``forms`` and ``definitions``), or None without one."""
    for read in WORKBOOK_READERS if workspace else ():
        found = read(workspace)
        if found is not None:
            return found
    return None


def load_forms(workspace: Path | None = None) -> dict[str, Form]:
    """All forms. A workspace with a definitions workbook (cau_hinh.xlsx) takes them from it; otherwise the shipped
    ones, overridden by <workspace>/forms/*.yaml. Raises FormDefinitionError."""
    found = workbook_source(workspace)
    if found is not None:
        return found.forms
    raw, lists, lines, problems = yaml_sources(workspace)
    forms = build_forms(raw, lists, problems, lines)
    if problems:
        raise FormDefinitionError(problems)
    return forms


def build_forms(raw: dict[str, tuple[Path | str, Any]], lists: dict, problems: list[str],
                lines: dict | None = None) -> dict[str, Form]:
    """Forms built from their definitions (the YAML shape; problems appended)."""
    forms = {}
    for form_id, (path, data) in raw.items():
        before = len(problems)
        form = _build_form(path, data, lists, problems)
        problems[before:] = annotate(problems[before:], path, (lines or {}).get(path, {}))
        if form:
            forms[form_id] = form
    return forms


def yaml_sources(workspace: Path | None = None):
    """(form id -> (file, definition), lists, lines of each file, problems) of the shipped YAML and the workspace's
    YAML overrides: the defaults the definitions workbook is generated from."""
    dirs = [shipped_dir()] + ([Path(workspace) / "forms"] if workspace else [])
    lists: dict[str, list] = {}
    lines: dict[Path, dict[str, int]] = {}
    raw: dict[str, tuple[Path, Any]] = {}
    problems: list[str] = []
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yaml")):
            found: list[str] = []
            data, where = load_yaml(path, found, required=False)
            if found:
                problems.extend(f"{path}: {p.split(': ', 1)[1]}" if p.startswith(path.name + ":") else
                                f"{path}{p[len(path.name):]}" for p in found)
                continue
            lines[path] = where
            if path.stem == "lists":
                bad = check_lists(data, where, path)
                if bad:
                    problems.extend(bad)
                    continue
                lists.update(data)
            elif isinstance(data, dict) and isinstance(data.get("id"), str):
                raw[data["id"]] = (path, data)
            else:
                problems.append(f"{path}: thiếu khoá 'id' ở cấp đầu")
    return raw, lists, lines, problems


def check_forms(workspace: Path | None = None) -> list[str]:
    """Problems found in the form definitions (empty when all is well)."""
    try:
        load_forms(workspace)
    except FormDefinitionError as exc:
        return exc.problems
    return []


def _build_form(path: Path, d: dict, lists: dict, problems: list[str]) -> Form | None:
    before = len(problems)
    p = f"{path}"

    def need(obj: dict, key: str, kind: type, where: str):
        value = obj.get(key)
        if value is None:
            problems.append(f"{where}.{key}: thiếu")
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{where}.{key}: phải là {kind.__name__}, đang là {value!r}")
            return None
        return value

    version = need(d, "version", int, p)
    role = need(d, "role", str, p)
    if role and role not in ROLES:
        problems.append(f"{p}.role: '{role}' không hợp lệ (chọn một trong {sorted(ROLES)})")
    title = need(d, "title", str, p)
    periods = d.get("periods") or []
    if not isinstance(periods, list):
        problems.append(f"{p}.periods: phải là danh sách loại kỳ (chọn trong {sorted(PERIOD_KINDS)}), "
                        f"đang là {periods!r}")
        periods = []
    for i, k in enumerate(periods):
        if k not in PERIOD_KINDS:
            problems.append(f"{p}.periods[{i}]: '{k}' không hợp lệ (chọn trong {sorted(PERIOD_KINDS)})")
    sheets = []
    raw_sheets = need(d, "sheets", list, p) or []
    seen_sheet_ids = set()
    for si, s in enumerate(raw_sheets):
        sp = f"{p}.sheets[{si}]"
        if not isinstance(s, dict):
            problems.append(f"{sp}: phải là một bảng")
            continue
        sheets.append(_build_sheet(sp, s, lists, problems, need, seen_sheet_ids))
    for s in sheets:
        for r in s.rules:
            if r["rule"] == "ref-exists" and r["sheet"] not in seen_sheet_ids:
                problems.append(f"{p}: quy tắc ref-exists tham chiếu trang '{r['sheet']}' không tồn tại")
    name, slug = d.get("name"), d.get("file_name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        problems.append(f"{p}.name: phải là tên ngắn tiếng Việt của biểu mẫu")
    if slug is not None and (not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9_]{1,30}", slug)):
        problems.append(f"{p}.file_name: phải là chữ thường không dấu, số hoặc '_' (tối đa 30 ký tự), "
                        f"đang là {slug!r}")
    if len(problems) > before:
        return None
    default_name, default_slug = ROLE_NAMES.get(role, (title.lower(), d["id"]))
    used = {c["choices"][1:] for s in raw_sheets for c in s.get("columns") or ()
            if isinstance(c, dict) and isinstance(c.get("choices"), str) and c["choices"].startswith("@")}
    definition = json.dumps({"form": d, "lists": {k: lists[k] for k in sorted(used) if k in lists}},
                            ensure_ascii=False, sort_keys=True, default=str)
    return Form(id=d["id"], version=version, role=role, title=title, periods=tuple(periods),
                sheets=tuple(sheets), instructions=tuple(d.get("instructions") or ()), source=str(path),
                name=(name or default_name).strip(), slug=slug or default_slug, definition=definition)


def _build_sheet(sp: str, s: dict, lists: dict, problems: list[str], need, seen_sheet_ids: set) -> Sheet:
    """One sheet of a form definition: its name, header row, columns, key and rules (problems collected)."""
    sid, sname = need(s, "id", str, sp), need(s, "name", str, sp)
    if sid in seen_sheet_ids:
        problems.append(f"{sp}.id: '{sid}' bị trùng")
    seen_sheet_ids.add(sid)
    if sname and (len(sname) > 31 or re.search(r"[\[\]:*?/\\]", sname)):
        problems.append(f"{sp}.name: '{sname}' không dùng được làm tên trang Excel")
    header_row = need(s, "header_row", int, sp) or 1
    if header_row < 1 or header_row > 50:
        problems.append(f"{sp}.header_row: phải trong khoảng 1–50")
    columns = []
    names = set()
    for ci, c in enumerate(need(s, "columns", list, sp) or []):
        col = _build_column(f"{sp}.columns[{ci}]", c, lists, problems)
        if col:
            if col.name in names:
                problems.append(f"{sp}.columns[{ci}].name: '{col.name}' bị trùng")
            names.add(col.name)
            columns.append(col)
    key = tuple(s.get("key") or ())
    for k in key:
        if k not in names:
            problems.append(f"{sp}.key: cột '{k}' không có trong columns")
    for opt in ("blank_rows",):
        if opt in s and (isinstance(s[opt], bool) or not isinstance(s[opt], int) or s[opt] < 0):
            problems.append(f"{sp}.{opt}: phải là số nguyên không âm, đang là {s[opt]!r}")
    rules = []
    for ri, r in enumerate(s.get("rules") or []):
        rp = f"{sp}.rules[{ri}]"
        if not isinstance(r, dict) or r.get("rule") not in RULES:
            problems.append(f"{rp}.rule: '{r.get('rule') if isinstance(r, dict) else r}' không hợp lệ "
                            f"(chọn trong {sorted(RULES)})")
            continue
        missing = RULES[r["rule"]] - set(r)
        if missing:
            problems.append(f"{rp}: thiếu {sorted(missing)}")
            continue
        for arg in ("column", "after", "title", "indicator", "target", "status", "percent", "when", "key", "other"):
            if arg in r and r[arg] not in names:
                problems.append(f"{rp}.{arg}: cột '{r[arg]}' không có trong columns của trang")
        if r["rule"] == "compare" and (r["op"] not in COMPARISONS or ("other" in r) == ("value" in r)):
            problems.append(f"{rp}: phép so sánh phải là một trong {' '.join(COMPARISONS)}, so với một cột (other) "
                            f"hoặc một giá trị (value)")
        if r["rule"] == "range" and r.get("min") is None and r.get("max") is None:
            problems.append(f"{rp}: cần giá trị nhỏ nhất (min) hoặc lớn nhất (max)")
        if r.get("severity", "error") not in SEVERITIES:
            problems.append(f"{rp}.severity: '{r['severity']}' không hợp lệ (chọn trong {list(SEVERITIES)})")
        rules.append(dict(r))
    return Sheet(id=sid or "", name=sname or "", header_row=header_row, columns=tuple(columns), key=key,
                 rules=tuple(rules), blank_rows=int(s.get("blank_rows", 30)), optional=bool(s.get("optional", False)))


def _build_column(cp: str, c: Any, lists: dict, problems: list[str]) -> Column | None:
    if not isinstance(c, dict):
        problems.append(f"{cp}: phải là một bảng")
        return None
    unknown = set(c) - (set(Column.__dataclass_fields__) - {"meanings"})
    for k in sorted(unknown):
        problems.append(f"{cp}.{k}: khoá không hợp lệ")
    name, title, typ = c.get("name"), c.get("title"), c.get("type")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        hint = " (tên bắt đầu bằng '_' dành cho các trường của bộ công cụ)" if str(name).startswith("_") else ""
        problems.append(f"{cp}.name: phải là tên không dấu dạng snake_case, đang là {name!r}{hint}")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{cp}.title: thiếu tiêu đề cột")
    if typ not in TYPES:
        problems.append(f"{cp}.type: '{typ}' không hợp lệ (chọn trong {sorted(TYPES)})")
    elif name in REGISTER_NUMBERS and typ not in NUMBER_TYPES:
        problems.append(f"{cp}.type: cột '{name}' là số của sổ nhiệm vụ (dùng để chấm điểm), phải có kiểu number, "
                        f"integer hoặc percent, đang là '{typ}'")
    choices, list_name = c.get("choices", ()), None
    if isinstance(choices, str) and choices.startswith("@"):
        if choices[1:] not in lists:
            problems.append(f"{cp}.choices: danh sách '{choices}' không có trong lists.yaml")
            choices = ()
        else:
            list_name, choices = choices[1:], lists[choices[1:]]
    items = list_items(choices) if isinstance(choices, (list, tuple)) else []
    meanings = tuple((w, m or shipped_meaning(list_name, w)) for w, m in items
                     if list_name and (m or shipped_meaning(list_name, w)))
    for w, m in meanings:
        if list_name == "statuses" and m not in STATUS_MEANINGS:
            problems.append(f"{cp}.choices: '{w}' trong danh sách '{list_name}' có nghĩa '{m}' không hợp lệ "
                            f"(chọn trong {', '.join(STATUS_MEANINGS)})")
    if typ == "choice" and not choices:
        problems.append(f"{cp}.choices: cột kiểu choice cần danh sách giá trị")
    for bound in ("min", "max", "width", "max_length"):
        if bound in c and (isinstance(c[bound], bool) or not isinstance(c[bound], (int, float))):
            problems.append(f"{cp}.{bound}: phải là số, đang là {c[bound]!r}")
            unknown = unknown | {bound}
    if "aliases" in c and not isinstance(c["aliases"], list):
        problems.append(f"{cp}.aliases: phải là danh sách tên khác của cột")
        unknown = unknown | {"aliases"}
    if isinstance(choices, (int, float)) or (isinstance(choices, str) and not choices.startswith("@")):
        problems.append(f"{cp}.choices: phải là danh sách giá trị hoặc '@tên_danh_sách' của lists.yaml")
        choices = ()
    if c.get("pattern"):
        try:
            re.compile(c["pattern"])
        except re.error as exc:
            problems.append(f"{cp}.pattern: biểu thức không hợp lệ ({exc})")
    if unknown or not isinstance(name, str) or typ not in TYPES or not isinstance(title, str):
        return None
    return Column(name=name, title=title.strip(), type=typ, required=bool(c.get("required")),
                  choices=tuple(w for w, _ in items), meanings=meanings, min=c.get("min"), max=c.get("max"),
                  pattern=c.get("pattern"), max_length=int(c.get("max_length", 32767)),
                  width=float(c.get("width", 14)), help=str(c.get("help", "")), locked=bool(c.get("locked")),
                  prefill=c.get("prefill"), aliases=tuple(c.get("aliases") or ()))
