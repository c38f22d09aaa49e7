"""The definitions workbook (cau_hinh.xlsx): forms, their sheets and columns, the lists, the rules, the scoring and
the office's settings, in one Excel workbook office staff edit. When a workspace holds it, it is the source of
truth; the shipped YAML (templates/forms/*.yaml, templates/scoring.yaml) is the default it is generated from.

Reading checks every cell and reports every mistake at once with its sheet and cell, what is wrong and how to fix
it (``DefinitionProblem``); :func:`annotated_copy` marks the wrong cells in a copy of the workbook.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import FormDefinitionError, ToolkitError
from ..files import atomic_path
from ..text import fold
from .forms import (
    COMPARISONS,
    NUMBER_TYPES,
    PERIOD_KINDS,
    REGISTER_NUMBERS,
    ROLES,
    RULES,
    TYPE_LABELS,
    TYPES,
    WORKBOOK_READERS,
    Form,
    build_forms,
    yaml_sources,
)
from .rules import load_rules, shipped_rules
from .schema import period_code
from .vocabulary import STATUS_MEANINGS, list_items

WORKBOOK_FILE = "cau_hinh.xlsx"
ANNOTATED_FILE = "cau_hinh_loi.xlsx"
EXAMPLE = "(ví dụ) "  # the first cell of a sheet's example row (row 2) starts with it: the row is not read

S_FORMS, S_SHEETS, S_COLUMNS, S_LISTS, S_RULES, S_SCORING, S_SETTINGS = (
    "Biểu mẫu", "Trang", "Cột", "Danh mục", "Quy tắc", "Chấm điểm", "Thiết lập")
S_CHOICES = "_Lựa chọn"  # hidden: the closed sets the dropdowns offer

# --- the closed sets, in the words office staff read ----------------------------------------------------------
ROLE_LABELS = {"registration": "đăng ký nhiệm vụ", "breakthrough": "việc đột phá", "progress": "báo cáo tiến độ",
               "followup": "báo cáo nắm, góp, kiểm"}
PERIOD_LABELS = {"year": "năm", "quarter": "quý", "half": "6 tháng", "nine": "9 tháng", "yearend": "cuối năm",
                 "term": "nhiệm kỳ"}
MEANING_LABELS = {  # what a status value means to the toolkit (the words themselves are the office's)
    "not_started": "chưa bắt đầu làm", "on_schedule": "đang làm, kịp tiến độ", "behind": "đang làm, bị chậm",
    "done": "đã xong", "done_beyond": "đã xong, vượt mục tiêu", "not_done": "không làm được",
    "adjust": "xin điều chỉnh nhiệm vụ"}
SEVERITY_LABELS = {"error": "lỗi", "warning": "cảnh báo", "info": "ghi chú"}
YES, NO = "Có", "Không"
RULE_LABELS = {
    "compare": "so sánh", "required-when": "bắt buộc nếu", "one-of-two": "một trong hai", "range": "trong khoảng",
    "date-order": "ngày sau ngày", "within-period": "ngày trong kỳ", "measurable": "nhiệm vụ đo lường được",
    "similar-across-units": "trùng với đơn vị khác", "parent-exists": "nhiệm vụ cấp trên có thật",
    "ref-exists": "mã có ở trang khác", "status-percent": "tình trạng khớp % hoàn thành",
    "completed-date": "có ngày hoàn thành", "register-complete": "đủ nhiệm vụ đã đăng ký",
    "copied-text": "sao chép báo cáo", "progress-trend": "tiến độ không giảm",
    "adjust-request": "có đề nghị điều chỉnh", "adjust-values": "đề nghị điều chỉnh đủ nội dung"}
GENERAL_MISSING_LABELS = {"scale": "quy đổi điểm nhiệm vụ ra thang 100", "zero": "tính 0 điểm",
                          "full": "tính đủ điểm"}
QUOTA_BASE_LABELS = {"good_or_better": "số đạt mức tốt trở lên", "good_only": "chỉ số đạt mức tốt"}
TIE_LABELS = {"score": "điểm", "schedule": "tiến độ", "quality": "chất lượng", "quantity": "số lượng",
              "late_share": "tỷ lệ chậm"}

# a rule's keys with their own column; the others go to "Tham số khác" as "tên=giá trị; ..."
_OTHER_COLUMN_KEY = {"compare": "other", "one-of-two": "other", "date-order": "after"}


@dataclass(frozen=True)
class Header:
    title: str
    key: str
    width: float
    comment: str
    choices: str = ""  # name of a closed set of S_CHOICES offered as a dropdown
    strict: bool = True  # refuse other values (False: a warning only, e.g. a list created later)


SHEETS: dict[str, list[Header]] = {
    S_FORMS: [
        Header("Mã biểu mẫu", "id", 18, "Mã không dấu của biểu mẫu (registration, progress...). Không đổi mã của biểu mẫu "
               "đã dùng: các trang khác tham chiếu mã này."),
        Header("Tên ngắn", "name", 24, "Tên ngắn tiếng Việt dùng trong thông báo, ví dụ: báo cáo tiến độ."),
        Header("Tên tệp", "file_name", 14, "Phần tên tệp Excel gửi đơn vị: chữ thường không dấu, số, '_' (tối đa 30)."),
        Header("Loại biểu mẫu", "role", 22, "Biểu mẫu dùng vào việc gì: chọn trong danh sách.", "roles"),
        Header("Tiêu đề", "title", 50, "Tiêu đề in đậm ở đầu biểu mẫu."),
        Header("Kỳ áp dụng", "periods", 24, "Các loại kỳ dùng biểu mẫu, cách nhau bởi dấu phẩy: "
               + ", ".join(PERIOD_LABELS.values()) + "."),
        Header("Phiên bản", "version", 10, "Số nguyên. Tăng lên 1 khi sửa cột, danh mục hoặc quy tắc của biểu mẫu sau "
               "khi đã gửi biểu mẫu cho đơn vị."),
        Header("Hướng dẫn", "instructions", 80, "Các dòng hướng dẫn in ở trang 'Hướng dẫn' của biểu mẫu: mỗi dòng một ý "
               "(xuống dòng trong ô bằng Alt+Enter)."),
    ],
    S_SHEETS: [
        Header("Biểu mẫu", "form", 14, "Mã biểu mẫu (trang 'Biểu mẫu').", "forms", False),
        Header("Mã trang", "id", 14, "Mã không dấu của trang trong biểu mẫu; trang 'Cột' và 'Quy tắc' dùng mã này."),
        Header("Tên trang", "name", 24, "Tên trang trong tệp Excel (tối đa 31 ký tự, không có [ ] : * ? / \\)."),
        Header("Dòng tiêu đề", "header_row", 12, "Số dòng chứa tiêu đề cột (thường là 6)."),
        Header("Số dòng trống", "blank_rows", 12, "Số dòng trống kẻ sẵn để đơn vị điền."),
        Header("Cột khoá", "key", 22, "Tên cột (không dấu) không được trùng giữa các dòng, cách nhau bởi dấu phẩy."),
        Header("Có thể bỏ", "optional", 11, "Có: đơn vị được để trống hoặc xoá trang này.", "yesno"),
    ],
    S_COLUMNS: [
        Header("Biểu mẫu", "form", 14, "Mã biểu mẫu (trang 'Biểu mẫu').", "forms", False),
        Header("Trang", "sheet", 12, "Mã trang (trang 'Trang')."),
        Header("Tên cột", "name", 16, "Tên không dấu, chữ thường, nối bằng '_' (ví dụ: ngay_hop). Quy tắc dùng tên này."),
        Header("Tiêu đề cột", "title", 26, "Tiêu đề đơn vị đọc ở biểu mẫu."),
        Header("Kiểu", "type", 20, "Kiểu giá trị: chọn trong danh sách.", "types"),
        Header("Bắt buộc", "required", 10, "Có: đơn vị phải điền.", "yesno"),
        Header("Danh mục", "choices", 16, "Tên danh mục (trang 'Danh mục') cho cột kiểu 'giá trị trong danh sách': "
               "biểu mẫu có danh sách thả xuống.", "lists", False),
        Header("Nhỏ nhất", "min", 10, "Giá trị nhỏ nhất (cột số)."),
        Header("Lớn nhất", "max", 10, "Giá trị lớn nhất (cột số)."),
        Header("Độ dài tối đa", "max_length", 12, "Số ký tự tối đa (cột văn bản)."),
        Header("Mẫu", "pattern", 18, "Biểu thức mẫu (regex) giá trị phải khớp; để trống nếu không cần."),
        Header("Độ rộng", "width", 9, "Độ rộng cột trong biểu mẫu."),
        Header("Hướng dẫn", "help", 40, "Chú thích hiện ở tiêu đề cột của biểu mẫu; {ma_don_vi} là mã đơn vị."),
        Header("Khoá", "locked", 8, "Có: đơn vị không sửa được (ô tô xám).", "yesno"),
        Header("Ghi sẵn", "prefill", 12, "Giá trị ghi sẵn từ nhiệm vụ đã đăng ký (tên trường, ví dụ task_code)."),
        Header("Tên khác", "aliases", 20, "Các tiêu đề khác đơn vị có thể dùng cho cột này, cách nhau bởi dấu ';'."),
    ],
    S_LISTS: [
        Header("Danh mục", "list", 18, "Tên danh mục không dấu (areas, statuses...); cột dùng tên này."),
        Header("Giá trị", "value", 40, "Một giá trị của danh mục, đúng như đơn vị chọn trong biểu mẫu."),
        Header("Thứ tự", "order", 8, "Thứ tự trong danh sách thả xuống (1, 2, 3...)."),
        Header("Ý nghĩa", "meaning", 26, "Với danh mục tình trạng (statuses): giá trị này nghĩa là gì khi chấm điểm và "
               "kiểm tra. Đổi tên tình trạng thì giữ nguyên ý nghĩa.", "meanings"),
    ],
    S_RULES: [
        Header("Biểu mẫu", "form", 14, "Mã biểu mẫu.", "forms", False),
        Header("Trang", "sheet", 12, "Mã trang."),
        Header("Loại quy tắc", "rule", 26, "Chọn trong danh sách: so sánh, bắt buộc nếu, một trong hai, trong khoảng, "
               "hoặc một kiểm tra có sẵn của bộ công cụ.", "rules"),
        Header("Cột", "column", 16, "Tên cột được kiểm tra (trang 'Cột')."),
        Header("Phép so sánh", "op", 11, "Với 'so sánh': =, ≠, <, ≤, >, ≥.", "ops"),
        Header("So với cột", "other", 16, "Với 'so sánh', 'một trong hai', 'ngày sau ngày': tên cột thứ hai."),
        Header("So với giá trị", "value", 14, "Với 'so sánh': một số, một ngày hoặc một chữ cố định (thay cho cột)."),
        Header("Khi cột", "when", 14, "Với 'bắt buộc nếu': tên cột điều kiện."),
        Header("Có giá trị", "values", 30, "Với 'bắt buộc nếu': các giá trị của cột điều kiện, cách nhau bởi dấu ';'."),
        Header("Từ", "min", 9, "Với 'trong khoảng': giá trị nhỏ nhất."),
        Header("Đến", "max", 9, "Với 'trong khoảng': giá trị lớn nhất."),
        Header("Tham số khác", "params", 30, "Tham số của kiểm tra có sẵn, dạng tên=giá trị; tên=giá trị (tên cột không "
               "dấu). Không sửa nếu không chắc."),
        Header("Mức độ", "severity", 11, "lỗi: tệp bị trả lại; cảnh báo: tiếp nhận, đơn vị xem lại; ghi chú: chỉ nhắc. "
               "Để trống: mức có sẵn của kiểm tra.", "severities"),
        Header("Thông báo", "message", 40, "Câu đơn vị đọc khi vi phạm. Để trống với kiểm tra có sẵn: dùng câu có sẵn."),
        Header("Cách sửa", "fix", 36, "Đơn vị cần làm gì để sửa."),
    ],
    S_SCORING: [
        Header("Mục", "section", 22, "Nhóm quy tắc chấm điểm."),
        Header("Nội dung", "label", 40, "Quy tắc; với 'Mức xếp loại': tên mức; với 'Trọng số lĩnh vực': tên lĩnh vực."),
        Header("Giá trị", "value", 30, "Giá trị của quy tắc; với 'Mức xếp loại': điểm tối thiểu (xếp từ cao xuống)."),
        Header("Tỷ lệ việc chậm tối đa", "late", 14, "Với 'Mức xếp loại': tỷ lệ nhiệm vụ chậm tối đa để đạt mức "
               "(0 đến 1); để trống: không xét."),
        Header("Mã", "key", 26, "Mã của bộ công cụ: không sửa. Dòng mới: level (mức xếp loại) hoặc area_weight."),
        Header("Giải thích", "note", 60, "Giải thích quy tắc."),
    ],
    S_SETTINGS: [
        Header("Mục", "section", 16, "Nhóm thiết lập."),
        Header("Nội dung", "label", 34, "Thiết lập; với 'Kỳ báo cáo': mã kỳ (2026, 2026-Q1, 2026-H1, 2026-9M, 2026-Y)."),
        Header("Giá trị", "value", 40, "Giá trị; với 'Kỳ báo cáo': hạn nộp (ngày)."),
        Header("Biểu mẫu", "forms", 26, "Với 'Kỳ báo cáo': các biểu mẫu thu trong kỳ, cách nhau bởi dấu phẩy."),
        Header("Mã", "key", 22, "Mã của bộ công cụ: không sửa. Dòng kỳ mới: period."),
    ],
}

EXAMPLES: dict[str, list[Any]] = {
    S_FORMS: ["hop_chi_bo", "báo cáo họp chi bộ", "hop_chi_bo", ROLE_LABELS["progress"], "BÁO CÁO HỌP CHI BỘ",
              "quý", 1, "Mỗi dòng một cuộc họp."],
    S_SHEETS: ["progress", "progress", "Tiến độ", 6, 30, "task_code", NO],
    S_COLUMNS: ["progress", "progress", "ngay_hop", "Ngày họp", TYPE_LABELS["date"], NO, "", "", "", "", "", 12,
                "Ngày họp chi bộ gần nhất", NO, "", ""],
    S_LISTS: ["statuses", "Đã xong", 4, MEANING_LABELS["done"]],
    S_RULES: ["registration", "tasks", RULE_LABELS["required-when"], "note", "", "", "", "kind", "Bổ sung", "", "", "",
              SEVERITY_LABELS["error"], "Nhiệm vụ bổ sung phải ghi căn cứ ở cột Ghi chú.",
              "Ghi số, ngày văn bản giao nhiệm vụ bổ sung."],
    S_SCORING: ["Mức xếp loại", "Hoàn thành tốt nhiệm vụ", 70, 0, "level", "Từ 70 điểm, không có việc chậm."],
    S_SETTINGS: ["Kỳ báo cáo", "2026-Q1", "10/04/2026", "progress", "period"],
}


@dataclass(frozen=True)
class DefinitionProblem:
    sheet: str
    cell: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"Trang '{self.sheet}', ô {self.cell}: {self.what}. Cách sửa: {self.fix}"


@dataclass
class Definitions:
    """Everything the workbook holds, in the shapes the toolkit uses (the form YAML, lists.yaml, scoring.yaml and
    the office/periods part of settings.yaml)."""

    forms: dict[str, dict] = field(default_factory=dict)
    lists: dict[str, list] = field(default_factory=dict)
    scoring: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)  # {"office": {...}, "periods": {code: {deadline, forms}}}
    version_cells: dict = field(default_factory=dict, compare=False)  # form id -> its version's cell ("G5")


@dataclass
class Loaded:
    definitions: Definitions
    forms: dict[str, Form]
    path: Path


def workbook_path(workspace: Path | str) -> Path:
    return Path(workspace) / WORKBOOK_FILE


# --- where the defaults come from -------------------------------------------------------------------------------

def default_definitions(workspace: Path | None = None, settings: dict | None = None) -> Definitions:
    """The shipped YAML with the workspace's own YAML overrides (forms/*.yaml, scoring.yaml) and its settings."""

    raw, lists, _, problems = yaml_sources(workspace)
    if problems:
        raise FormDefinitionError(problems)
    ordered = sorted(raw.items(), key=lambda kv: _ROLE_ORDER.get(kv[1][1].get("role"), 9))
    return Definitions(forms={k: copy.deepcopy(d) for k, (_, d) in ordered}, lists=copy.deepcopy(lists),
                       scoring=load_rules(workspace, use_workbook=False), settings=_settings_part(settings or {}))


_ROLE_ORDER = {"registration": 0, "breakthrough": 1, "progress": 2, "followup": 3}
OFFICE_KEYS = {"name": "Tên cấp ủy", "parent_body": "Tổ chức đảng cấp trên", "issuing_body": "Cơ quan ban hành",
               "place": "Địa danh", "body_code": "Ký hiệu cơ quan (trong số văn bản, ví dụ -TU)",
               "doc_number": "Số văn bản (để trống: văn thư ghi khi phát hành)",
               "signer_prefix": "Thẩm quyền ký", "signer_title": "Chức vụ người ký", "signer_name": "Họ tên người ký",
               "contact": "Nơi liên hệ"}


def _settings_part(settings: dict) -> dict:
    office = settings.get("office") or {}
    periods = settings.get("periods") or {}
    return {"office": {k: office.get(k, "") or "" for k in OFFICE_KEYS},
            "periods": {str(c): {k: v for k, v in (e or {}).items() if k in ("deadline", "forms")}
                        for c, e in periods.items()}}


# --- writing --------------------------------------------------------------------------------------------------

_HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
_TOP = Alignment(vertical="top")
_TOP_CENTER = Alignment(vertical="top", horizontal="center")


def write_workbook(path: Path, defs: Definitions) -> Path:
    """The definitions workbook at ``path`` (written whole, atomically)."""

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    rows = {S_FORMS: _form_rows(defs), S_SHEETS: _sheet_rows(defs), S_COLUMNS: _column_rows(defs),
            S_LISTS: _list_rows(defs), S_RULES: _rule_rows(defs), S_SCORING: _scoring_rows(defs.scoring),
            S_SETTINGS: _settings_rows(defs.settings)}
    refs = _write_choices(wb, _choice_sets(defs))
    for title, headers in SHEETS.items():
        ws = wb.create_sheet(title)
        _write_sheet(ws, title, headers, rows[title], refs)
        if title == S_SCORING:
            _scoring_dropdowns(ws, refs)
    choices = wb[S_CHOICES]
    wb.move_sheet(choices, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(S_CHOICES))  # last, out of the way
    wb.active = wb.sheetnames.index(S_FORMS)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _write_choices(wb, sets: dict[str, list[str]]) -> dict[str, str]:
    """The hidden sheet of closed sets; the range each dropdown refers to."""
    choices = wb.create_sheet(S_CHOICES)
    refs = {}
    for i, (name, values) in enumerate(sets.items(), start=1):
        letter = get_column_letter(i)
        choices.cell(row=1, column=i, value=name)
        for r, v in enumerate(values, start=2):
            choices.cell(row=r, column=i, value=v)
        refs[name] = f"'{S_CHOICES}'!${letter}$2:${letter}${max(2, len(values) + 1)}"
    choices.sheet_state = "hidden"
    return refs


def _write_sheet(ws, title: str, headers: list[Header], rows, refs: dict[str, str]) -> None:
    """Header with its comments, the example row, the definitions, the dropdowns, frozen panes, printing."""
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=c, value=h.title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        comment = Comment(h.comment, "Bộ công cụ")
        comment.width, comment.height = 320, 110
        cell.comment = comment
        ws.column_dimensions[get_column_letter(c)].width = h.width
    example = list(EXAMPLES[title])
    example[0] = EXAMPLE + str(example[0])
    for c, v in enumerate(example, start=1):
        ws.cell(row=2, column=c, value=v).font = _EXAMPLE_FONT
    for r, values in enumerate(rows, start=3):
        lines = 1
        for c, v in enumerate(values, start=1):
            if v not in (None, ""):
                cell = ws.cell(row=r, column=c, value=v)
                cell.alignment = _TOP if isinstance(v, str) else _TOP_CENTER
                if isinstance(v, str):
                    cell.data_type = "s"  # a value starting with '=' stays text
                    per_line = max(int(headers[c - 1].width * 1.2), 1)
                    need = sum(max(1, -(-len(part) // per_line)) for part in v.split("\n"))
                    if need > 1:  # wrapped, and the row made as tall as it needs (no program grows it on open)
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                        lines = max(lines, need)
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
    ws.freeze_panes = "A3"
    ws.page_setup.orientation = "landscape"  # printed: every column of a sheet across one page
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(2, ws.max_row)}"
    last = max(ws.max_row, 2) + 500
    for c, h in enumerate(headers, start=1):
        if h.choices:
            letter = get_column_letter(c)
            dv = DataValidation(type="list", formula1=refs[h.choices], allow_blank=True,
                                showErrorMessage=True, errorStyle="stop" if h.strict else "warning",
                                errorTitle="Giá trị không có trong danh sách",
                                error="Chọn một giá trị trong danh sách thả xuống.",
                                promptTitle=h.title[:32], prompt=h.comment[:250], showInputMessage=True)
            dv.add(f"{letter}3:{letter}{last}")
            ws.add_data_validation(dv)


def _choice_sets(defs: Definitions) -> dict[str, list[str]]:
    return {"types": [TYPE_LABELS[t] for t in TYPE_LABELS], "yesno": [YES, NO],
            "roles": list(ROLE_LABELS.values()), "meanings": list(MEANING_LABELS.values()),
            "rules": list(RULE_LABELS.values()), "ops": list(COMPARISONS), "severities": list(SEVERITY_LABELS.values()),
            "lists": list(defs.lists), "forms": list(defs.forms),
            "levels": [lv["name"] for lv in defs.scoring.get("levels") or []],
            "general_missing": list(GENERAL_MISSING_LABELS.values()), "quota_base": list(QUOTA_BASE_LABELS.values())}


def _scoring_dropdowns(ws, refs) -> None:
    for r in range(3, ws.max_row + 1):
        key = ws.cell(row=r, column=5).value
        name = {"general_when_missing": "general_missing", "quota.base": "quota_base", "quota.level": "levels",
                "quota.of_level": "levels"}.get(key)
        if name:
            dv = DataValidation(type="list", formula1=refs[name], allow_blank=False, showErrorMessage=True)
            dv.add(f"C{r}")
            ws.add_data_validation(dv)


def _yes(v) -> str:
    return YES if v else NO


def _form_rows(defs):
    for d in defs.forms.values():
        yield [d.get("id"), d.get("name", ""), d.get("file_name", ""), ROLE_LABELS.get(d.get("role"), d.get("role")),
               d.get("title"), ", ".join(PERIOD_LABELS.get(k, k) for k in d.get("periods") or []), d.get("version"),
               "\n".join(d.get("instructions") or [])]


def _sheet_rows(defs):
    for d in defs.forms.values():
        for s in d.get("sheets") or []:
            yield [d["id"], s.get("id"), s.get("name"), s.get("header_row"), s.get("blank_rows", 30),
                   ", ".join(s.get("key") or []), _yes(s.get("optional"))]


def _column_rows(defs):
    for d in defs.forms.values():
        for s in d.get("sheets") or []:
            for c in s.get("columns") or []:
                choices = c.get("choices", "")
                yield [d["id"], s["id"], c.get("name"), c.get("title"), TYPE_LABELS.get(c.get("type"), c.get("type")),
                       _yes(c.get("required")), choices[1:] if isinstance(choices, str) else "",
                       c.get("min"), c.get("max"), c.get("max_length"), c.get("pattern"), c.get("width"),
                       c.get("help"), _yes(c.get("locked")), c.get("prefill"), "; ".join(c.get("aliases") or [])]


def _list_rows(defs):
    for name, items in defs.lists.items():
        for i, (value, meaning) in enumerate(list_items(items), start=1):
            yield [name, value, i, MEANING_LABELS.get(meaning, meaning) if meaning else ""]


def _rule_rows(defs):
    for d in defs.forms.values():
        for s in d.get("sheets") or []:
            for r in s.get("rules") or []:
                kind = r.get("rule")
                other_key = _OTHER_COLUMN_KEY.get(kind)
                own = {"rule", "column", "op", "when", "values", "severity", "message", "fix"}
                if other_key:
                    own.add(other_key)
                if kind == "compare":
                    own.add("value")
                if kind == "range":
                    own |= {"min", "max"}
                params = "; ".join(f"{k}={_param_text(v)}" for k, v in r.items() if k not in own)
                yield [d["id"], s["id"], RULE_LABELS.get(kind, kind), r.get("column"), r.get("op"),
                       r.get(other_key) if other_key else None, r.get("value") if kind == "compare" else None,
                       r.get("when"), "; ".join(str(v) for v in r.get("values") or []),
                       r.get("min") if kind == "range" else None, r.get("max") if kind == "range" else None, params,
                       SEVERITY_LABELS.get(r.get("severity"), r.get("severity")), r.get("message"), r.get("fix")]


def _param_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


_SCORING_SCALARS = [  # (section, label, key, explanation)
    ("Thang điểm", "Điểm tiêu chí chung", "scale.general", "Điểm tối đa chấm tay theo tiêu chí chung (Quy định 366: 30)."),
    ("Thang điểm", "Điểm kết quả thực hiện nhiệm vụ", "scale.tasks", "Điểm tối đa của kết quả nhiệm vụ (70)."),
    ("Tiêu chí", "Tỷ trọng số lượng", "components.quantity", "Nhiệm vụ hoàn thành / nhiệm vụ phải hoàn thành. Ba tỷ "
     "trọng cộng lại bằng 1."),
    ("Tiêu chí", "Tỷ trọng tiến độ", "components.schedule", "Hoàn thành đúng hạn / nhiệm vụ phải hoàn thành."),
    ("Tiêu chí", "Tỷ trọng chất lượng", "components.quality", "Mức đạt chỉ tiêu (giá trị đạt / mục tiêu)."),
    ("Tiêu chí", "Mức đạt chỉ tiêu tối đa", "quality_cap", "Vượt mục tiêu được tính tối đa bằng mức này (1 = 100%)."),
    ("Nhiệm vụ chưa đến hạn", "Tỷ lệ thời gian trước khi 'chưa bắt đầu' là chậm", "interim.not_started_share",
     "Nhiệm vụ chưa bắt đầu bị tính chậm tiến độ khi đã qua tỷ lệ này của thời gian (0 đến 1)."),
    ("Tiêu chí chung", "Khi chưa có điểm chấm tay", "general_when_missing", "Chọn trong danh sách."),
    ("Tiêu chí chung", "Tệp điểm chấm tay", "manual_points_file", "Tệp Excel trong thư mục làm việc: cột 'Mã', 'Điểm'."),
    ("Hạn mức", "Mức bị giới hạn số lượng", "quota.level", "Mức xếp loại có hạn mức."),
    ("Hạn mức", "Tính trên số đạt mức", "quota.of_level", "Hạn mức tính theo số đạt mức này."),
    ("Hạn mức", "Tỷ lệ tối đa", "quota.share", "Số đạt mức bị giới hạn không quá tỷ lệ này (Nghị định 335: 0,2)."),
    ("Hạn mức", "Cách đếm", "quota.base", "Chọn trong danh sách."),
    ("Hạn mức", "Ưu tiên khi bằng điểm", "quota.tie_break", "Cách nhau bởi dấu phẩy: " + ", ".join(TIE_LABELS.values())),
]


def _get(d: dict, key: str):
    for part in key.split("."):
        d = (d or {}).get(part) if isinstance(d, dict) else None
    return d


def _scoring_rows(scoring: dict):
    for section, label, key, note in _SCORING_SCALARS:
        value = _get(scoring, key)
        if key == "general_when_missing":
            value = GENERAL_MISSING_LABELS.get(value, value)
        elif key == "quota.base":
            value = QUOTA_BASE_LABELS.get(value, value)
        elif key == "quota.tie_break":
            value = ", ".join(TIE_LABELS.get(v, v) for v in value or [])
        yield [section, label, value, None, key, note]
    for lv in scoring.get("levels") or []:
        yield ["Mức xếp loại", lv.get("name"), lv.get("min"), lv.get("max_late_share"), "level",
               "Xét từ trên xuống: đủ điểm tối thiểu và không quá tỷ lệ việc chậm thì đạt mức."]
    for area, w in (scoring.get("area_weights") or {}).items():
        yield ["Trọng số lĩnh vực", area, w, None, "area_weight", "Nhân với trọng số nhiệm vụ của lĩnh vực."]


def _settings_rows(settings: dict):
    office = settings.get("office") or {}
    for key, label in OFFICE_KEYS.items():
        yield ["Văn phòng", label, office.get(key, ""), None, f"office.{key}"]
    for code, entry in (settings.get("periods") or {}).items():
        entry = entry or {}
        yield ["Kỳ báo cáo", str(code), entry.get("deadline", ""), ", ".join(entry.get("forms") or []), "period"]


# --- reading --------------------------------------------------------------------------------------------------

class _Reader:
    """Rows of one workbook sheet as {key: value} with the cell address of each key; problems collected."""

    def __init__(self, wb, problems: list[DefinitionProblem]):
        self.wb, self.problems = wb, problems

    def rows(self, title: str):
        headers = SHEETS[title]
        if title not in self.wb.sheetnames:
            self.problems.append(DefinitionProblem(title, "A1", f"thiếu trang '{title}'",
                                                   "xuất lại tệp bằng lệnh 'toolkit forms export' rồi sửa lại"))
            return
        ws = self.wb[title]
        found = {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}
        cols = {}
        for h in headers:
            if h.title not in found:
                self.problems.append(DefinitionProblem(title, f"{get_column_letter(len(found) + 1)}1",
                                                       f"thiếu cột '{h.title}'", "không xoá hay đổi tên tiêu đề cột"))
                return
            cols[h.key] = found[h.title]
        for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            values = {k: _clean(row[c - 1]) if c - 1 < len(row) else None for k, c in cols.items()}
            if all(v is None for v in values.values()):
                continue
            first = row[0] if row else None
            if r == 2 and isinstance(first, str) and first.startswith(EXAMPLE.strip()):
                continue
            yield _Row(title, r, values, {k: f"{get_column_letter(c)}{r}" for k, c in cols.items()})

    def bad(self, row: _Row, key: str, what: str, fix: str) -> None:
        self.problems.append(DefinitionProblem(row.sheet, row.cells[key], what, fix))


@dataclass
class _Row:
    sheet: str
    number: int
    values: dict
    cells: dict

    def __getitem__(self, key):
        return self.values.get(key)


def _clean(v):
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _from_label(value, labels: dict) -> str | None:
    """The code a label stands for (the code itself is accepted too)."""
    if value is None:
        return None
    key = fold(str(value))
    for code, label in labels.items():
        if key in (fold(label), fold(code)):
            return code
    return None


def _split(value, sep=",") -> list[str]:
    if value is None:
        return []
    return [p.strip() for p in re.split(sep, str(value)) if p.strip()]


def _yesno(rd: _Reader, row: _Row, key: str) -> bool:
    v = row[key]
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if fold(str(v)) in ("co", "x", "true", "1"):
        return True
    if fold(str(v)) in ("khong", "false", "0"):
        return False
    rd.bad(row, key, f"'{v}' không phải Có/Không", "chọn Có hoặc Không trong danh sách thả xuống")
    return False


def _number(rd: _Reader, row: _Row, key: str, integer=False, lo=None, hi=None):
    v = row[key]
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = float(v.replace(",", "."))
        except ValueError:
            rd.bad(row, key, f"'{v}' không phải là số", "ghi một số" + (" nguyên" if integer else ""))
            return None
        v = int(v) if v.is_integer() else v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not float(v).is_integer()):
        rd.bad(row, key, f"'{v}' không phải là số{' nguyên' if integer else ''}", "ghi một số"
               + (" nguyên" if integer else ""))
        return None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rd.bad(row, key, f"{v} nằm ngoài khoảng {lo if lo is not None else ''}–{hi if hi is not None else ''}",
               f"ghi một số từ {lo} đến {hi}" if hi is not None else f"ghi một số từ {lo} trở lên")
        return None
    return int(v) if integer else v


def read_workbook(path: Path) -> tuple[Definitions, list[DefinitionProblem]]:
    """The definitions of a workbook and every mistake found in it (sheet, cell, what, how to fix)."""
    problems: list[DefinitionProblem] = []
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is said the same way
        problems.append(DefinitionProblem("(tệp)", "-", f"không mở được {path.name} ({type(exc).__name__})",
                                          "mở tệp bằng Excel và lưu lại dạng .xlsx, hoặc xuất lại bằng "
                                          "'toolkit forms export'"))
        return Definitions(), problems
    rd = _Reader(wb, problems)
    defs = Definitions()
    lists = _read_lists(rd, defs)
    form_rows = _read_forms(rd, defs)
    sheet_rows = _read_sheets(rd, defs, form_rows)
    _read_columns(rd, defs, sheet_rows, lists)
    _read_rules(rd, defs, sheet_rows)
    defs.scoring = _read_scoring(rd, defs)
    defs.settings = _read_settings(rd, defs)
    return defs, problems


def _read_lists(rd: _Reader, defs: Definitions) -> set[str]:
    ordered: dict[str, list[tuple[float, int, Any]]] = {}
    seen: dict[tuple[str, str], str] = {}
    for row in rd.rows(S_LISTS):
        name, value = row["list"], row["value"]
        if name is None:
            rd.bad(row, "list", "thiếu tên danh mục", "ghi tên danh mục không dấu (ví dụ statuses)")
            continue
        name = str(name)
        if value is None:
            rd.bad(row, "value", f"danh mục '{name}' có dòng thiếu giá trị", "ghi giá trị hoặc xoá dòng")
            continue
        if isinstance(value, (datetime, date)):
            value = value.strftime("%d/%m/%Y")
        key = (name, fold(str(value)))
        if key in seen:
            rd.bad(row, "value", f"giá trị '{value}' bị trùng trong danh mục '{name}' (ô {seen[key]})",
                   "xoá một trong hai dòng")
            continue
        seen[key] = row.cells["value"]
        order = _number(rd, row, "order")
        meaning = None
        if row["meaning"] is not None:
            meaning = _from_label(row["meaning"], MEANING_LABELS)
            if meaning is None or meaning not in STATUS_MEANINGS:
                rd.bad(row, "meaning", f"ý nghĩa '{row['meaning']}' không có trong danh sách",
                       "chọn một trong: " + "; ".join(MEANING_LABELS.values()))
                meaning = None
        if name == "statuses" and row["meaning"] is None:
            rd.bad(row, "meaning", f"tình trạng '{value}' chưa có ý nghĩa",
                   "chọn ý nghĩa trong danh sách thả xuống (bộ công cụ chấm điểm theo ý nghĩa, không theo chữ)")
        item = {"value": value, "meaning": meaning} if meaning else value
        ordered.setdefault(name, []).append((order if order is not None else float("inf"), row.number, item))
    for name, items in ordered.items():
        defs.lists[name] = [item for _, _, item in sorted(items, key=lambda t: (t[0], t[1]))]
    return set(defs.lists)


def _read_forms(rd: _Reader, defs: Definitions) -> dict[str, _Row]:
    rows = {}
    for row in rd.rows(S_FORMS):
        fid = row["id"]
        if fid is None or not re.fullmatch(r"[a-z][a-z0-9_-]*", str(fid)):
            rd.bad(row, "id", f"mã biểu mẫu '{fid or ''}' không hợp lệ", "ghi mã không dấu, chữ thường (ví dụ progress)")
            continue
        fid = str(fid)
        if fid in rows:
            rd.bad(row, "id", f"mã biểu mẫu '{fid}' bị trùng (ô {rows[fid].cells['id']})", "đặt mã khác hoặc xoá dòng")
            continue
        rows[fid] = row
        defs.version_cells[fid] = row.cells["version"]
        d: dict[str, Any] = {"id": fid}
        version = _number(rd, row, "version", integer=True, lo=1)
        if row["version"] is None:
            rd.bad(row, "version", "thiếu phiên bản", "ghi số phiên bản (1, 2...)")
        d["version"] = version or 1
        role = _from_label(row["role"], ROLE_LABELS)
        if role not in ROLES:
            rd.bad(row, "role", f"loại biểu mẫu '{row['role'] or ''}' không hợp lệ",
                   "chọn trong danh sách: " + "; ".join(ROLE_LABELS.values()))
        d["role"] = role or "progress"
        if row["name"]:
            d["name"] = str(row["name"])
        if row["file_name"]:
            d["file_name"] = str(row["file_name"])
            if not re.fullmatch(r"[a-z0-9_]{1,30}", d["file_name"]):
                rd.bad(row, "file_name", f"tên tệp '{row['file_name']}' không hợp lệ",
                       "chỉ dùng chữ thường không dấu, số, '_' (tối đa 30 ký tự)")
        if not row["title"]:
            rd.bad(row, "title", "thiếu tiêu đề biểu mẫu", "ghi tiêu đề in ở đầu biểu mẫu")
        d["title"] = str(row["title"] or "")
        periods = []
        for p in _split(row["periods"]):
            kind = _from_label(p, PERIOD_LABELS)
            if kind not in PERIOD_KINDS:
                rd.bad(row, "periods", f"loại kỳ '{p}' không có", "dùng: " + ", ".join(PERIOD_LABELS.values()))
            else:
                periods.append(kind)
        d["periods"] = periods
        d["instructions"] = [ln.strip() for ln in str(row["instructions"] or "").splitlines() if ln.strip()]
        d["sheets"] = []
        defs.forms[fid] = d
    return rows


def _form_of(rd: _Reader, defs: Definitions, row: _Row) -> dict | None:
    fid = row["form"]
    if fid is None or str(fid) not in defs.forms:
        rd.bad(row, "form", f"biểu mẫu '{fid or ''}' không có ở trang '{S_FORMS}'",
               f"chọn mã biểu mẫu có ở trang '{S_FORMS}': {', '.join(defs.forms)}")
        return None
    return defs.forms[str(fid)]


def _read_sheets(rd: _Reader, defs: Definitions, form_rows) -> dict[tuple[str, str], dict]:
    sheets: dict[tuple[str, str], dict] = {}
    for row in rd.rows(S_SHEETS):
        form = _form_of(rd, defs, row)
        if form is None:
            continue
        sid = row["id"]
        if sid is None or not re.fullmatch(r"[a-z][a-z0-9_]*", str(sid)):
            rd.bad(row, "id", f"mã trang '{sid or ''}' không hợp lệ", "ghi mã không dấu, chữ thường (ví dụ progress)")
            continue
        if (form["id"], str(sid)) in sheets:
            rd.bad(row, "id", f"trang '{sid}' của biểu mẫu '{form['id']}' bị trùng", "đặt mã khác hoặc xoá dòng")
            continue
        name = str(row["name"] or "")
        if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            rd.bad(row, "name", f"tên trang '{name}' không dùng được làm tên trang Excel",
                   "ghi tên 1–31 ký tự, không có [ ] : * ? / \\")
        s: dict[str, Any] = {"id": str(sid), "name": name,
                             "header_row": _number(rd, row, "header_row", integer=True, lo=1, hi=50) or 6}
        blank = _number(rd, row, "blank_rows", integer=True, lo=0)
        if blank is not None:
            s["blank_rows"] = blank
        s["key"] = _split(row["key"])
        if _yesno(rd, row, "optional"):
            s["optional"] = True
        s["columns"], s["rules"] = [], []
        s["_row"] = row
        form["sheets"].append(s)
        sheets[(form["id"], s["id"])] = s
    for fid, row in form_rows.items():
        if fid in defs.forms and not defs.forms[fid]["sheets"]:
            rd.bad(row, "id", f"biểu mẫu '{fid}' chưa có trang nào", f"thêm trang của biểu mẫu ở trang '{S_SHEETS}'")
    return sheets


def _sheet_of(rd: _Reader, defs: Definitions, sheets, row: _Row) -> dict | None:
    form = _form_of(rd, defs, row)
    if form is None:
        return None
    s = sheets.get((form["id"], str(row["sheet"])))
    if s is None:
        rd.bad(row, "sheet", f"biểu mẫu '{form['id']}' không có trang '{row['sheet'] or ''}'",
               f"chọn mã trang có ở trang '{S_SHEETS}': " + ", ".join(x["id"] for x in form["sheets"]))
    return s


def _read_columns(rd: _Reader, defs: Definitions, sheets, lists: set[str]) -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for row in rd.rows(S_COLUMNS):
        s = _sheet_of(rd, defs, sheets, row)
        if s is None:
            continue
        name = row["name"]
        if name is None or not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            rd.bad(row, "name", f"tên cột '{name or ''}' không hợp lệ",
                   "ghi tên không dấu, chữ thường, nối bằng '_' (ví dụ ngay_hop)")
            continue
        key = (row["form"], s["id"], str(name))
        if key in seen:
            rd.bad(row, "name", f"tên cột '{name}' bị trùng trong trang '{s['id']}' (ô {seen[key]})",
                   "đặt tên khác cho một trong hai cột")
            continue
        seen[key] = row.cells["name"]
        c: dict[str, Any] = {"name": str(name)}
        if not row["title"]:
            rd.bad(row, "title", "thiếu tiêu đề cột", "ghi tiêu đề đơn vị đọc ở biểu mẫu")
        c["title"] = str(row["title"] or name)
        typ = _from_label(row["type"], TYPE_LABELS)
        if typ not in TYPES:
            rd.bad(row, "type", f"kiểu '{row['type'] or ''}' không có", "chọn trong danh sách: "
                   + "; ".join(TYPE_LABELS.values()))
        elif str(name) in REGISTER_NUMBERS and typ not in NUMBER_TYPES:
            rd.bad(row, "type", f"cột '{name}' là số của sổ nhiệm vụ (dùng để chấm điểm) nên phải có kiểu số, "
                   f"đang là '{row['type']}'", "chọn 'số', 'số nguyên' hoặc 'tỷ lệ phần trăm'")
        c["type"] = typ or "text"
        if _yesno(rd, row, "required"):
            c["required"] = True
        if row["choices"] is not None:
            if str(row["choices"]) not in lists:
                rd.bad(row, "choices", f"danh mục '{row['choices']}' không có ở trang '{S_LISTS}'",
                       f"thêm danh mục ở trang '{S_LISTS}' hoặc chọn một danh mục có sẵn: {', '.join(sorted(lists))}")
            else:
                c["choices"] = "@" + str(row["choices"])
        if typ == "choice" and "choices" not in c and row["choices"] is None:
            rd.bad(row, "choices", "cột kiểu 'giá trị trong danh sách' chưa có danh mục", "chọn danh mục")
        _column_limits(rd, row, c)
        if row["help"] is not None:
            c["help"] = str(row["help"])
        if _yesno(rd, row, "locked"):
            c["locked"] = True
        if row["prefill"] is not None:
            c["prefill"] = str(row["prefill"])
        aliases = _split(row["aliases"], ";")
        if aliases:
            c["aliases"] = aliases
        s["columns"].append(c)
    for s in sheets.values():
        names = {c["name"] for c in s["columns"]}
        row = s.pop("_row")
        for k in s["key"]:
            if k not in names:
                rd.bad(row, "key", f"cột khoá '{k}' không có ở trang '{S_COLUMNS}' của trang '{s['id']}'",
                       "ghi tên cột có trong trang, hoặc thêm cột đó")


def _column_limits(rd: _Reader, row: _Row, c: dict) -> None:
    """Smallest, largest, longest, width and pattern of a column's row."""
    lo, hi = _number(rd, row, "min"), _number(rd, row, "max")
    if lo is not None:
        c["min"] = lo
    if hi is not None:
        c["max"] = hi
    if lo is not None and hi is not None and lo > hi:
        rd.bad(row, "min", f"nhỏ nhất ({lo}) lớn hơn lớn nhất ({hi})", "sửa lại cho nhỏ nhất ≤ lớn nhất")
    for k, integer in (("max_length", True), ("width", False)):
        v = _number(rd, row, k, integer=integer, lo=1)
        if v is not None:
            c[k] = v
    if row["pattern"] is not None:
        try:
            re.compile(str(row["pattern"]))
            c["pattern"] = str(row["pattern"])
        except re.error as exc:
            rd.bad(row, "pattern", f"biểu thức mẫu sai ({exc})", "sửa biểu thức hoặc để trống")


def _read_rules(rd: _Reader, defs: Definitions, sheets) -> None:
    for row in rd.rows(S_RULES):
        s = _sheet_of(rd, defs, sheets, row)
        if s is None:
            continue
        kind = _from_label(row["rule"], RULE_LABELS)
        if kind not in RULES:
            rd.bad(row, "rule", f"loại quy tắc '{row['rule'] or ''}' không có",
                   "chọn trong danh sách: " + "; ".join(RULE_LABELS.values()))
            continue
        names = {c["name"] for c in s["columns"]}
        r: dict[str, Any] = {"rule": kind}
        column = _RuleColumns(rd, row, r, names, s["id"])
        column("column")
        if kind == "compare":
            if row["op"] not in COMPARISONS:
                rd.bad(row, "op", f"phép so sánh '{row['op'] or ''}' không có", "chọn một trong " + " ".join(COMPARISONS))
            else:
                r["op"] = row["op"]
            if (row["other"] is None) == (row["value"] is None):
                rd.bad(row, "other", "cần so với một cột hoặc một giá trị (chỉ một trong hai)",
                       "ghi 'So với cột' hoặc 'So với giá trị'")
            column("other")
            if row["value"] is not None:
                v = row["value"]
                r["value"] = v.date() if isinstance(v, datetime) else v
        elif kind in _OTHER_COLUMN_KEY:
            column("other", _OTHER_COLUMN_KEY[kind])
        if row["when"] is not None:
            column("when")
        if row["values"] is not None:
            r["values"] = _split(row["values"], ";")
        if kind == "range":
            lo, hi = _number(rd, row, "min"), _number(rd, row, "max")
            if lo is None and hi is None and row["min"] is None and row["max"] is None:
                rd.bad(row, "min", "quy tắc 'trong khoảng' cần giá trị Từ hoặc Đến", "ghi giá trị nhỏ nhất và/hoặc lớn nhất")
            if lo is not None and hi is not None and lo > hi:
                rd.bad(row, "min", f"Từ ({lo}) lớn hơn Đến ({hi})", "sửa lại cho Từ ≤ Đến")
            r.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None})
        _rule_params(rd, row, r, names, s["id"])
        missing = sorted(RULES[kind] - set(r))
        if missing:
            where = "column" if "column" in missing else "params"
            rd.bad(row, where, f"quy tắc '{RULE_LABELS[kind]}' thiếu {', '.join(missing)}",
                   "ghi đủ các cột/tham số của quy tắc (xem dòng ví dụ)")
        if kind == "ref-exists" and r.get("sheet") and (row["form"], r["sheet"]) not in sheets:
            rd.bad(row, "params", f"trang '{r['sheet']}' không có trong biểu mẫu", "ghi mã trang có ở trang 'Trang'")
        _rule_words(rd, row, r)
        s["rules"].append(r)


@dataclass
class _RuleColumns:
    """Puts a column a rule's row names into the rule (as ``as_key``), saying so when the sheet has no such column."""

    rd: _Reader
    row: _Row
    rule: dict
    names: set[str]
    sheet_id: str

    def __call__(self, key: str, as_key: str | None = None) -> None:
        v = self.row[key]
        if v is None:
            return
        if str(v) not in self.names:
            self.rd.bad(self.row, key, f"cột '{v}' không có trong trang '{self.sheet_id}'",
                        f"ghi tên cột (không dấu) có ở trang '{S_COLUMNS}': {', '.join(sorted(self.names))}")
        self.rule[as_key or key] = str(v)


def _rule_params(rd: _Reader, row: _Row, r: dict, names: set[str], sheet_id: str) -> None:
    """'tên=giá trị; ...' of a built-in check; a parameter naming a column must name one of the sheet."""
    for part in _split(row["params"], ";"):
        k, eq, v = part.partition("=")
        k, v = k.strip(), v.strip()
        if not eq or not re.fullmatch(r"[a-z_]+", k):
            rd.bad(row, "params", f"tham số '{part}' không đúng dạng tên=giá trị", "ghi dạng tên=giá trị; tên=giá trị")
            continue
        r[k] = {"true": True, "false": False}.get(v, v)
        if k in ("after", "title", "indicator", "target", "status", "percent", "key", "parent", "actual",
                 "results", "deadline") and v not in names:
            rd.bad(row, "params", f"tham số {k}: cột '{v}' không có trong trang '{sheet_id}'",
                   f"ghi tên cột có ở trang '{S_COLUMNS}'")


def _rule_words(rd: _Reader, row: _Row, r: dict) -> None:
    """The severity, message and fix the office gives a rule (a rule it writes itself needs a message)."""
    if row["severity"] is not None:
        sev = _from_label(row["severity"], SEVERITY_LABELS)
        if sev is None:
            rd.bad(row, "severity", f"mức độ '{row['severity']}' không có", "chọn lỗi, cảnh báo hoặc ghi chú")
        else:
            r["severity"] = sev
    for k in ("message", "fix"):
        if row[k] is not None:
            r[k] = str(row[k])
    if r["rule"] in ("compare", "one-of-two", "range") and "message" not in r:
        rd.bad(row, "message", "quy tắc tự viết chưa có thông báo cho đơn vị", "ghi câu đơn vị đọc khi vi phạm quy tắc")


def _read_scoring(rd: _Reader, defs: Definitions) -> dict:

    scoring = shipped_rules()
    levels, areas = [], {}
    level_rows = []
    given: dict[str, _Row] = {}
    for row in rd.rows(S_SCORING):
        key = row["key"]
        if key == "level":
            name = row["label"]
            if not name:
                rd.bad(row, "label", "mức xếp loại thiếu tên", "ghi tên mức")
                continue
            lo = _number(rd, row, "value", lo=0, hi=100)
            if lo is None:
                if row["value"] is None:
                    rd.bad(row, "value", f"mức '{name}' thiếu điểm tối thiểu", "ghi điểm tối thiểu (0–100)")
                continue
            lv: dict[str, Any] = {"name": str(name), "min": lo}
            late = _number(rd, row, "late", lo=0, hi=1)
            if late is not None:
                lv["max_late_share"] = late
            levels.append(lv)
            level_rows.append(row)
        elif key == "area_weight":
            w = _number(rd, row, "value", lo=0)
            if row["label"] and w is not None:
                areas[str(row["label"])] = w
        elif key in {k for _, _, k, _ in _SCORING_SCALARS}:
            given[key] = row
        else:
            rd.bad(row, "key", f"mã '{key or ''}' không có", "không sửa cột Mã; dòng mới dùng level hoặc area_weight")
    if levels:
        scoring["levels"] = levels
    for i in range(1, len(levels)):
        if levels[i]["min"] >= levels[i - 1]["min"]:
            rd.bad(level_rows[i], "value", f"ngưỡng điểm {levels[i]['min']} của mức '{levels[i]['name']}' không nhỏ "
                   f"hơn mức trên ({levels[i - 1]['min']})", "xếp các mức từ cao xuống thấp, điểm tối thiểu giảm dần")
    scoring["area_weights"] = areas
    names = [lv["name"] for lv in levels] or [lv["name"] for lv in scoring["levels"]]
    for key, row in given.items():
        value = _scoring_value(rd, row, key, names)
        if value is _BAD:
            continue
        section, _, sub = key.partition(".")
        if sub:
            scoring.setdefault(section, {})[sub] = value
        else:
            scoring[key] = value
    comps = scoring.get("components") or {}
    if all(f"components.{k}" in given for k in comps) and abs(sum(comps.values()) - 1) > 1e-6:
        rd.bad(given["components.quantity"], "value", f"ba tỷ trọng cộng lại bằng {sum(comps.values()):g}, không "
               "phải 1", "sửa tỷ trọng số lượng, tiến độ, chất lượng cho tổng bằng 1")
    return scoring


_BAD = object()


def _scoring_value(rd: _Reader, row: _Row, key: str, names: list[str]):
    """The value of one scoring rule's row, in the shape of scoring.yaml (_BAD when it is wrong)."""
    value = row["value"]
    if key in ("general_when_missing", "quota.base"):
        labels = GENERAL_MISSING_LABELS if key == "general_when_missing" else QUOTA_BASE_LABELS
        code = _from_label(value, labels)
        if code is None:
            rd.bad(row, "value", f"'{value}' không có trong danh sách", "chọn: " + "; ".join(labels.values()))
            return _BAD
        return code
    if key == "quota.tie_break":
        out = []
        for p in _split(value):
            code = _from_label(p, TIE_LABELS)
            if code is None:
                rd.bad(row, "value", f"'{p}' không có", "dùng: " + ", ".join(TIE_LABELS.values()))
            else:
                out.append(code)
        return out
    if key in ("quota.level", "quota.of_level"):
        if str(value) not in names:
            rd.bad(row, "value", f"mức '{value or ''}' không có trong các mức xếp loại",
                   "chọn một mức có ở các dòng 'Mức xếp loại'")
            return _BAD
        return str(value)
    if key == "manual_points_file":
        return str(value or "")
    share = key.partition(".")[0] in ("components", "interim", "quota")
    number = _number(rd, row, "value", lo=0, hi=1 if share else None)
    if number is None:
        if value is None:
            rd.bad(row, "value", "thiếu giá trị", "ghi một số")
        return _BAD
    return number


def _read_settings(rd: _Reader, defs: Definitions) -> dict:
    office, periods = {}, {}
    for row in rd.rows(S_SETTINGS):
        key = row["key"] or ""
        if key.startswith("office.") and key[7:] in OFFICE_KEYS:
            office[key[7:]] = "" if row["value"] is None else str(row["value"])
        elif key == "period":
            code = period_code(row["label"])
            if code is None:
                rd.bad(row, "label", f"'{row['label'] or ''}' không phải mã kỳ",
                       "ghi mã kỳ: 2026, 2026-Q1…Q4, 2026-H1, 2026-9M, 2026-Y, 2026-2030")
                continue
            entry: dict[str, Any] = {}
            v = row["value"]
            if isinstance(v, (datetime, date)):
                entry["deadline"] = v.strftime("%d/%m/%Y")
            elif v is not None:
                try:
                    entry["deadline"] = datetime.strptime(str(v), "%d/%m/%Y").strftime("%d/%m/%Y")
                except ValueError:
                    rd.bad(row, "value", f"hạn nộp '{v}' không phải ngày", "ghi ngày dạng 31/01/2026")
            forms = _split(row["forms"])
            for f in forms:
                if f not in defs.forms:
                    rd.bad(row, "forms", f"biểu mẫu '{f}' không có", f"dùng mã ở trang '{S_FORMS}': {', '.join(defs.forms)}")
            if forms:
                entry["forms"] = forms
            periods[code] = entry
        else:
            rd.bad(row, "key", f"mã '{key}' không có", "không sửa cột Mã; dòng kỳ mới dùng period")
    return {"office": office, "periods": periods}


# --- the workbook as the source of truth ------------------------------------------------------------------------

_CACHE: dict[Path, tuple[tuple, Loaded]] = {}


def load_definitions(workspace: Path | str) -> Loaded:
    """The workspace's definitions workbook, read and checked (memoised on the file's size and time). Raises
    FormDefinitionError with every mistake (sheet, cell, what, how to fix)."""
    path = workbook_path(workspace).resolve()
    st = path.stat()
    stamp = (st.st_size, st.st_mtime_ns)
    hit = _CACHE.get(path)
    if hit and hit[0] == stamp:
        return hit[1]
    defs, problems = read_workbook(path)
    messages = [str(p) for p in problems]
    forms: dict[str, Form] = {}
    if not problems:
        raw = {fid: (f"{path.name} ({S_FORMS} '{fid}')", d) for fid, d in defs.forms.items()}
        forms = build_forms(raw, defs.lists, messages)
        forms = {fid: _with_source(f, path) for fid, f in forms.items()}
    if messages:
        raise FormDefinitionError([f"{path.name}: {m}" for m in messages])
    loaded = Loaded(defs, forms, path)
    _CACHE[path] = (stamp, loaded)
    return loaded


def _with_source(form: Form, path: Path) -> Form:
    from dataclasses import replace

    return replace(form, source=str(path))


def workbook_problems(path: Path) -> list[DefinitionProblem]:
    """Every mistake of a definitions workbook (none: it builds)."""
    defs, problems = read_workbook(path)
    if not problems:
        messages: list[str] = []
        build_forms({fid: (S_FORMS, d) for fid, d in defs.forms.items()}, defs.lists, messages)
        problems += [DefinitionProblem(S_FORMS, "-", m, "sửa theo mô tả") for m in messages]
    return problems


def annotated_copy(path: Path, problems: list[DefinitionProblem], out: Path) -> Path:
    """A copy of the workbook with each wrong cell filled red and its mistake in a comment."""

    wb = openpyxl.load_workbook(path)
    by_cell: dict[tuple[str, str], list[DefinitionProblem]] = {}
    for p in problems:
        if p.sheet in wb.sheetnames and re.fullmatch(r"[A-Z]+\d+", p.cell):
            by_cell.setdefault((p.sheet, p.cell), []).append(p)
    for (sheet, cell), found in by_cell.items():
        c = wb[sheet][cell]
        c.fill = _BAD_FILL
        comment = Comment("\n".join(f"{p.what}. Cách sửa: {p.fix}" for p in found), "Kiểm tra cấu hình")
        comment.width, comment.height = 360, 140
        c.comment = comment
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


def current_definitions(workspace: Path, settings: dict | None = None) -> Definitions:
    """What the workspace uses now: its workbook when it has one (it must be free of mistakes), else the YAML."""
    path = workbook_path(workspace)
    if path.is_file():
        defs = load_definitions(workspace).definitions
        defs = copy.deepcopy(defs)
        if settings is not None:
            defs.settings = _settings_part(settings)
        return defs
    return default_definitions(workspace, settings)


def settings_overlay(workspace: Path, settings: dict) -> dict:
    """``settings`` with the office identity and the periods of the workspace's workbook laid over them."""
    path = workbook_path(workspace)
    if not path.is_file():
        return settings
    part = load_definitions(workspace).definitions.settings
    out = copy.deepcopy(settings)
    out.setdefault("office", {}).update({k: v for k, v in (part.get("office") or {}).items()})
    periods = out.get("periods") or {}
    for code, entry in (part.get("periods") or {}).items():
        periods[code] = {**(periods.get(code) or {}), **entry}
    out["periods"] = periods
    return out


def sync_settings(workspace: Path, settings: dict) -> None:
    """Write the office identity and periods of ``settings`` back into the workbook's settings sheet (when the
    toolkit itself changes them, e.g. a deadline given with --deadline)."""
    path = workbook_path(workspace)
    if not path.is_file():
        return
    try:
        loaded = load_definitions(workspace)
    except FormDefinitionError:
        return  # a broken workbook is reported by the next command; never rewritten over the clerk's edits
    part = _settings_part(settings)
    if part == loaded.definitions.settings:
        return
    defs = copy.deepcopy(loaded.definitions)
    defs.settings = part
    try:
        write_workbook(path, defs)
    except PermissionError:  # Windows: the clerk has it open in Excel
        raise ToolkitError(f"Không ghi được hạn nộp, thông tin văn bản vào {path.name} (tệp đang mở trong Excel?): đóng "
                           f"tệp rồi chạy lại lệnh.") from None


def _registered_reader(workspace) -> Loaded | None:
    return load_definitions(workspace) if workbook_path(workspace).is_file() else None


WORKBOOK_READERS.append(_registered_reader)


def ensure_workbook(ws) -> Path:
    """The workspace's definitions workbook, written from the defaults (shipped YAML, the workspace's own YAML and
    settings) when it has none; an existing one is kept as the office edited it."""
    path = workbook_path(ws.root)
    if not path.is_file():
        write_workbook(path, default_definitions(ws.root, ws.settings))
    return path


def export_workbook(ws, out: Path | None = None) -> Path:
    """The definitions the workspace uses now, written to ``out`` (default: its cau_hinh.xlsx)."""
    defs = current_definitions(ws.root, ws.settings)
    return write_workbook(out or workbook_path(ws.root), defs)


def check_workbook(root: Path) -> tuple[list[DefinitionProblem], Path | None, list[str]]:
    """(every mistake, the annotated copy written when there are some, notes) of a workspace's workbook."""
    path = workbook_path(root)
    problems = workbook_problems(path)
    cells = [p for p in problems if re.fullmatch(r"[A-Z]+\d+", p.cell)]
    annotated = annotated_copy(path, cells, Path(root) / ANNOTATED_FILE) if cells else None
    if not problems and (Path(root) / ANNOTATED_FILE).is_file():
        (Path(root) / ANNOTATED_FILE).unlink()  # an old marked copy would mislead
    ignored = sorted(str(p.relative_to(root)) for p in [*(Path(root) / "forms").glob("*.yaml"),
                                                         Path(root) / "scoring.yaml"] if p.is_file())
    notes = [f"{path.name} là nguồn định nghĩa duy nhất: các tệp {', '.join(ignored)} không được dùng (đã có trong "
             f"{path.name} nếu tệp Excel được tạo sau chúng)."] if ignored else []
    return problems, annotated, notes


def _day(value) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, (date, datetime)) else str(value)


def settings_differences(root: Path) -> list[str]:
    """settings.yaml values of the office and the deadlines that the workbook's settings sheet overrides."""
    import yaml

    try:
        raw = yaml.safe_load((root / "settings.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    part = load_definitions(root).definitions.settings
    found = [f"office.{k}" for k, v in (raw.get("office") or {}).items()
             if k in OFFICE_KEYS and (v or "") != part["office"].get(k, "")]
    found += [f"periods.{c}.deadline" for c, e in (raw.get("periods") or {}).items()
              if isinstance(e, dict) and str(c) in part["periods"]
              and e.get("deadline") is not None and _day(e["deadline"]) != part["periods"][str(c)].get("deadline")]
    return found


__all__ = ["WORKBOOK_FILE", "ANNOTATED_FILE", "Definitions", "DefinitionProblem", "read_workbook", "write_workbook",
           "load_definitions", "workbook_problems", "annotated_copy", "current_definitions", "default_definitions",
           "workbook_path", "settings_overlay", "sync_settings", "settings_differences", "ensure_workbook", "export_workbook", "check_workbook"]
