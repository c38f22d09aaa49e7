"""Issue 2: forms, registry, workspace and the per-unit templates, checked by reopening real files."""

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from toolkit.definitions.forms import check_forms, load_forms
from toolkit.errors import ToolkitError
from toolkit.outputs.templates import build_templates
from toolkit.periods import parse_period
from toolkit.round import open_round
from toolkit.workspace.config import Workspace, init_workspace
from toolkit.workspace.units import load_registry


def test_shipped_forms_are_valid():
    forms = load_forms()
    assert set(forms) == {"registration", "breakthrough", "progress", "followup"}
    assert [s.name for s in forms["registration"].sheets] == ["Nhiệm vụ", "Đầu việc"]
    status = forms["progress"].main.column("status")
    assert status.choices[0] == "Chưa triển khai" and len(status.choices) == 7


def test_bad_form_definition_names_exact_path(tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "progress.yaml").write_text(
        "id: progress\nversion: 2\nrole: progress\ntitle: X\nperiods: [quarter, month]\nsheets:\n"
        "  - id: p\n    name: 'Tiến:độ'\n    header_row: 6\n    key: [nope]\n    columns:\n"
        "      - {name: task_code, title: Mã, type: txt}\n      - {name: status, title: T, type: choice, choices: '@nolist'}\n"
        "    rules:\n      - {rule: date-order, column: task_code}\n", encoding="utf-8")
    problems = check_forms(tmp_path)
    where = [p.split(": ")[0].split("progress.yaml")[1] for p in problems]
    assert ".periods[1]" in where
    assert ".sheets[0].name" in where
    assert ".sheets[0].columns[0].type" in where
    assert ".sheets[0].columns[1].choices" in where
    assert ".sheets[0].key" in where
    assert ".sheets[0].rules[0]" in where


def test_workspace_override_replaces_a_form(tmp_path):
    (tmp_path / "forms").mkdir()
    shipped = Path(load_forms()["followup"].source).read_text(encoding="utf-8")
    (tmp_path / "forms" / "followup.yaml").write_text(shipped.replace("version: 1", "version: 3"), encoding="utf-8")
    assert load_forms(tmp_path)["followup"].version == 3


def _registry(path, units, leaders):
    wb = xlsxwriter.Workbook(str(path))
    for name, head, rows in (("Đơn vị", ["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên", "Người đứng đầu",
                                        "Chức vụ", "Email liên hệ"], units),
                             ("Lãnh đạo", ["Mã lãnh đạo", "Họ và tên", "Chức vụ", "Mã đơn vị",
                                           "Thuộc diện BTV quản lý"], leaders)):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, head)
        for r, row in enumerate(rows, start=1):
            ws.write_row(r, 0, row)
    wb.close()


def test_bad_registry_reports_every_problem_with_cells(tmp_path):
    path = tmp_path / "dv.xlsx"
    _registry(path, [["T", "Tỉnh ủy", "Tỉnh", ""], ["A", "Xã A", "Xã", "T"], ["A", "Xã A bis", "Xã", "T"],
                     ["B", "", "Xã", "T"], ["C", "Xã C", "Xã", "ZZ"], ["D", "Xã D", "Xã", "E"], ["E", "Xã E", "Xã", "D"]],
              [["L1", "Nguyễn Văn A", "Bí thư", "A", "có"], ["L2", "Trần B", "", "Q", "không"],
               ["L3", "Lê C", "", "T", "hmm"]])
    registry, report = load_registry(path)
    assert report.flatten("sheet", "cell", "code") == [
        ("Đơn vị", "A4", "registry-duplicate-code"),
        ("Đơn vị", "B5", "registry-empty-name"),
        ("Đơn vị", "D6", "registry-unknown-parent"),
        ("Đơn vị", "D7", "registry-cycle"),
        ("Lãnh đạo", "D3", "registry-unknown-unit"),
        ("Lãnh đạo", "E4", "registry-bad-value"),
    ]
    assert "D → E → D" in report.issues[3].message


def test_registry_tree_any_depth_and_folded_matching(tmp_path):
    path = tmp_path / "dv.xlsx"
    _registry(path, [["T", "Tỉnh ủy", "Tỉnh", ""], ["H", "Huyện ủy Thuỷ Nguyên", "Huyện", "T"],
                     ["X", "Đảng ủy xã Hoà Bình", "Xã", "H"], ["V", "Chi bộ thôn 1", "Thôn", "X"]], [])
    registry, report = load_registry(path)
    assert report.ok and registry.depth("V") == 3
    assert registry.find_unit("huyện ủy thủy nguyên").code == "H"
    assert registry.find_unit("  ĐẢNG ỦY XÃ HOÀ BÌNH ").code == "X"


def test_init_keeps_existing_settings_and_rejects_bad_registry(tmp_path):
    ws = init_workspace(tmp_path / "w", office="Tỉnh ủy Sơn Mai", periods=["2025-Q1"])
    assert (tmp_path / "w" / "rounds" / "2025-Q1" / "inbox").is_dir()
    assert Workspace.open(tmp_path / "w").office["name"] == "Tỉnh ủy Sơn Mai"
    bad = tmp_path / "bad.xlsx"
    _registry(bad, [["A", "", "", ""]], [])
    with pytest.raises(ToolkitError, match="B2"):
        init_workspace(tmp_path / "w2", units=bad)


def _register(ws, codes):
    from conftest import make_return, task

    from toolkit.context import load_context
    from toolkit.intake.collect import collect

    ctx = load_context(ws)
    for code in codes:
        make_return(ctx, "registration", code, "2025", [task(f"{code}-01")])
    collect(open_round(ws, "2025"), feedback=False)


def test_templates_carry_dropdowns_protection_comments_and_metadata(ws):
    _register(ws, ["BTC", "XLS"])
    paths = build_templates(open_round(ws, parse_period("2025-H1"), "progress"))
    assert [p.name for p in paths] == ["BTC_tien_do_2025-H1.xlsx", "XLS_tien_do_2025-H1.xlsx"]
    # every other unit is named with the reason it got no template
    reasons = {u.code: why for u, why in paths.skipped}
    assert reasons["TU"].startswith("đơn vị cấp cao nhất") and reasons["XCP"].startswith("chưa có nhiệm vụ")
    assert len(reasons) == 18
    wb = openpyxl.load_workbook(paths[0])
    assert wb.sheetnames[:2] == ["Hướng dẫn", "Tiến độ"]
    meta = wb["_meta"]
    assert meta.sheet_state == "veryHidden"
    info = {r[0].value: r[1].value for r in meta.iter_rows()}
    assert (info["form"], info["unit_code"], info["period"], info["deadline"]) == ("progress", "BTC", "2025-H1",
                                                                                  "2025-07-10")
    sh = wb["Tiến độ"]
    assert sh["B3"].value == "BTC" and sh["B2"].value == "Ban Tổ chức Tỉnh ủy"
    assert sh.protection.sheet and sh.protection.insertRows is False  # False = allowed in OOXML
    assert sh.freeze_panes == "B7"
    assert sh["F6"].value == "Tình trạng" and "danh sách" in sh["F6"].comment.text
    lists = {str(dv.sqref).split(":")[0]: dv for dv in sh.data_validations.dataValidation}
    assert lists["F7"].type == "list"  # status dropdown
    assert lists["E7"].type == "date" and lists["G7"].type == "decimal"
    assert sh["F7"].protection.locked is False and sh["F6"].protection.locked is True
    assert sh.page_setup.orientation == "landscape" and sh.print_title_rows == "$6:$6"
    # the help reads as sentences: a full stop before the next one ("Giá trị trong danh sách Chọn…" ran on), and
    # no double space where a column has no help of its own
    notes = [c.comment.text for c in sh[6] if c.comment]
    assert len(notes) > 5 and all(" Chọn trong" not in n or ". Chọn trong" in n for n in notes), notes
    guide = [c.value for c in wb["Hướng dẫn"]["B"] if isinstance(c.value, str)]
    assert "Giá trị trong danh sách." in " ".join(guide) and not [t for t in guide if "  " in t]


def test_long_or_comma_lists_go_to_hidden_sheet(ws):
    _register(ws, ["XLS"])
    [path] = build_templates(open_round(ws, parse_period("2025-H1"), "progress"), ["XLS"])
    wb = openpyxl.load_workbook(path)
    assert wb["_lists"].sheet_state == "veryHidden"
    formulas = {str(dv.sqref): dv.formula1 for dv in wb["Tiến độ"].data_validations.dataValidation}
    assert formulas["L7:L12"] == "'_lists'!$A$1:$A$8"  # causes of delay contain commas (1 task + 5 spare rows)
    assert wb["_lists"]["A1"].value == "Thiếu nguồn lực (kinh phí, nhân lực)"
    [path] = build_templates(open_round(ws, parse_period("2025"), "registration"), ["XLS"])
    assert openpyxl.load_workbook(path)["Hướng dẫn"]["B5"].value == "31/01/2025"
