"""The definitions workbook (cau_hinh.xlsx) a clerk edits in Excel: written by init, read back unchanged, every
mistake said at its sheet and cell, each edit (a column with a list, a "required if" rule, a renamed list value, a
threshold) taking effect in the templates sent and the returns collected, and form versions."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
from clerk_helpers import fill, invoke, outbox
from conftest import both_engines

from toolkit.definitions.forms import load_forms
from toolkit.definitions.rules import load_rules
from toolkit.definitions.vocabulary import shipped_lists
from toolkit.definitions.workbook import (
    EXAMPLE,
    SHEETS,
    WORKBOOK_FILE,
    default_definitions,
    read_workbook,
    write_workbook,
)
from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("HU", "Huyện ủy Lạc Sơn", "Huyện", "", "Bùi Văn Sơn", "Bí thư Huyện ủy", "hu@lacson.vn"),
    ("XTA", "Đảng ủy xã Tân An", "Xã", "HU", "Hà Văn An", "Bí thư Đảng ủy", "tanan@lacson.vn"),
    ("XBM", "Đảng ủy xã Bình Minh", "Xã", "HU", "Đinh Thị Minh", "Bí thư Đảng ủy", "binhminh@lacson.vn"),
]
LEADERS = [("L01", "Bùi Văn Sơn", "Bí thư Huyện ủy", "HU", "có"), ("L02", "Hà Văn An", "Bí thư xã", "XTA", "không")]


def _workspace(tmp_path, store_url: str | None = None) -> Path:
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "ws"
    out = invoke("init", ws, "--office", "Huyện ủy Lạc Sơn", "--parent-body", "Đảng bộ tỉnh Hòa Bình", "--units",
                 registry, "--period", "2026", "--deadline", "2026=31/01/2026",
                 *(["--store", store_url] if store_url else []))
    assert f"Biểu mẫu, danh mục, quy tắc, chấm điểm: {ws / WORKBOOK_FILE}" in out
    return ws


def _append(wb, sheet: str, values: dict) -> int:
    """A row added below the last one, by header title, the way a clerk types it."""
    ws = wb[sheet]
    head = {c.value: c.column for c in ws[1]}
    row = ws.max_row + 1
    for title, value in values.items():
        ws.cell(row=row, column=head[title], value=value)
    return row


def _find(wb, sheet: str, **match) -> int:
    ws = wb[sheet]
    head = {c.value: c.column for c in ws[1]}
    for r in range(3, ws.max_row + 1):
        if all(ws.cell(row=r, column=head[k]).value == v for k, v in match.items()):
            return r
    raise KeyError(match)


def _set(wb, sheet: str, row: int, title: str, value) -> str:
    ws = wb[sheet]
    col = next(c.column for c in ws[1] if c.value == title)
    cell = ws.cell(row=row, column=col)
    cell.value = value  # None clears it
    return cell.coordinate


def _reg(code, title, kind="Trọng tâm", area="Xây dựng Đảng", **extra):
    row = {"Mã nhiệm vụ": code, "Lĩnh vực": area, "Loại nhiệm vụ": kind, "Tên nhiệm vụ": title,
           "Chỉ tiêu đo lường": "Số đảng viên mới", "Đơn vị tính": "người", "Giá trị mục tiêu": 10,
           "Thời hạn hoàn thành": date(2026, 12, 31), "Trọng số": 1}
    row.update(extra)
    return row


# --- the workbook as written ------------------------------------------------------------------------------------

def test_init_writes_a_self_explaining_workbook(tmp_path):
    ws = _workspace(tmp_path)
    wb = openpyxl.load_workbook(ws / WORKBOOK_FILE)
    assert wb.sheetnames[:7] == ["Biểu mẫu", "Trang", "Cột", "Danh mục", "Quy tắc", "Chấm điểm", "Thiết lập"]
    assert wb["_Lựa chọn"].sheet_state == "hidden"
    for title, headers in SHEETS.items():
        sheet = wb[title]
        assert [c.value for c in sheet[1]][:len(headers)] == [h.title for h in headers]
        assert all(sheet.cell(row=1, column=i + 1).comment.text == h.comment for i, h in enumerate(headers))
        assert sheet.freeze_panes == "A3" and str(sheet["A2"].value).startswith(EXAMPLE)
        assert sheet["A2"].font.i  # the example row is grey italics, not read
        starts = {str(dv.sqref).split(":")[0] for dv in sheet.data_validations.dataValidation}
        for i, h in enumerate(headers, start=1):  # a dropdown on every closed column, from the first data row
            assert (f"{openpyxl.utils.get_column_letter(i)}3" in starts) == bool(h.choices), (title, h.title)
    # the status list carries its meanings, in a closed dropdown
    lists = wb["Danh mục"]
    statuses = [(r[1], r[3]) for r in lists.iter_rows(min_row=3, values_only=True) if r[0] == "statuses"]
    assert statuses[3] == ("Hoàn thành", "đã xong") and len(statuses) == len(shipped_lists()["statuses"])
    meaning_dv = next(dv for dv in lists.data_validations.dataValidation if str(dv.sqref).startswith("D3"))
    assert meaning_dv.formula1 == "'_Lựa chọn'!$D$2:$D$8" and meaning_dv.errorStyle == "stop"
    # settings: the office identity and the deadline given to init
    settings = {r[4]: r[2] for r in wb["Thiết lập"].iter_rows(min_row=3, values_only=True)}
    assert settings["office.name"] == "Huyện ủy Lạc Sơn" and settings["office.parent_body"] == "ĐẢNG BỘ TỈNH HÒA BÌNH"
    period = next(r for r in wb["Thiết lập"].iter_rows(min_row=3, values_only=True) if r[4] == "period")
    assert period[1:3] == ("2026", "31/01/2026")


def test_the_xlsx_parts_excel_reads_for_dropdowns_and_comments(tmp_path):
    """No Excel here: what Excel reads is checked in the package itself (a list validation per closed column whose
    source is the hidden sheet, and a comment part with its VML drawing for every sheet)."""
    path = tmp_path / WORKBOOK_FILE
    write_workbook(path, default_definitions())
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
        columns = ElementTree.fromstring(z.read("xl/worksheets/sheet3.xml"))  # Biểu mẫu, Trang, Cột
        found = {dv.get("sqref"): (dv.get("type"), dv.get("errorStyle"), dv.get("showErrorMessage"),
                                   dv.find("m:formula1", ns).text) for dv in columns.iter(f"{{{ns['m']}}}dataValidation")}
        assert found["E3:E563"] == ("list", "stop", "1", "'_Lựa chọn'!$A$2:$A$10")  # the 9 types
        assert found["G3:G563"][:2] == ("list", "warning")  # a list named before it is added: a warning only
        assert len(max((dv.get("errorTitle") for dv in columns.iter(f"{{{ns['m']}}}dataValidation")), key=len)) <= 32
        assert sum(n.startswith("xl/comments") for n in names) == len(SHEETS)
        assert sum(n.startswith("xl/drawings/commentsDrawing") or n.endswith(".vml") for n in names) >= len(SHEETS)
        workbook = z.read("xl/workbook.xml").decode()
        assert 'state="hidden"' in workbook


# --- round trip -------------------------------------------------------------------------------------------------

def test_every_shipped_form_survives_export_and_reading_back(tmp_path):
    ws = _workspace(tmp_path)
    (ws / WORKBOOK_FILE).unlink()
    invoke("forms", "export", ws)
    shipped, back = load_forms(), load_forms(ws)
    assert sorted(shipped) == sorted(back) == ["breakthrough", "followup", "progress", "registration"]
    for form_id, form in shipped.items():
        assert replace(back[form_id], source="") == replace(form, source=""), form_id
        assert back[form_id].fingerprint == form.fingerprint
    defs, problems = read_workbook(ws / WORKBOOK_FILE)
    assert problems == [] and defs.scoring == load_rules() and load_rules(ws) == load_rules()
    assert defs.lists == {k: [v if m is None else {"value": v, "meaning": m} for v, m in items]
                          for k, items in shipped_lists().items()}
    # exported again from the workbook: the same file contents
    first = read_workbook(ws / WORKBOOK_FILE)[0]
    out = " ".join(invoke("forms", "export", ws, "--output", tmp_path / "again.xlsx").split())
    assert read_workbook(tmp_path / "again.xlsx")[0] == first
    # a copy elsewhere is said to be one: the commands read the workspace's own workbook
    assert f"(bản sao). Các lệnh chỉ đọc {ws / WORKBOOK_FILE}: sửa tệp đó, hoặc sửa bản sao rồi chép đè lên nó" in out


# --- a clerk's edits taking effect ------------------------------------------------------------------------------

def test_clerk_edits_take_effect_in_templates_and_collection(tmp_path):
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    wb = openpyxl.load_workbook(book)
    # 1. a new list and a column choosing from it
    for i, value in enumerate(["Cao", "Trung bình", "Thấp"], start=1):
        _append(wb, "Danh mục", {"Danh mục": "muc_uu_tien", "Giá trị": value, "Thứ tự": i})
    _append(wb, "Cột", {"Biểu mẫu": "registration", "Trang": "tasks", "Tên cột": "uu_tien", "Tiêu đề cột": "Mức ưu tiên",
                        "Kiểu": "giá trị trong danh sách", "Bắt buộc": "Có", "Danh mục": "muc_uu_tien", "Độ rộng": 12})
    # 2. a "required if" rule with the office's own words, a comparison and a "one of two"
    _append(wb, "Quy tắc", {"Biểu mẫu": "registration", "Trang": "tasks", "Loại quy tắc": "bắt buộc nếu",
                            "Cột": "note", "Khi cột": "kind", "Có giá trị": "Bổ sung", "Mức độ": "lỗi",
                            "Thông báo": "Nhiệm vụ bổ sung phải ghi căn cứ ở cột Ghi chú.",
                            "Cách sửa": "Ghi số, ngày văn bản giao nhiệm vụ bổ sung."})
    _append(wb, "Quy tắc", {"Biểu mẫu": "registration", "Trang": "tasks", "Loại quy tắc": "so sánh",
                            "Cột": "weight", "Phép so sánh": "≤", "So với giá trị": 5, "Mức độ": "cảnh báo",
                            "Thông báo": "Trọng số lớn hơn 5 là bất thường.", "Cách sửa": "Xem lại trọng số."})
    _append(wb, "Quy tắc", {"Biểu mẫu": "registration", "Trang": "tasks", "Loại quy tắc": "một trong hai",
                            "Cột": "leader_id", "So với cột": "coordinators", "Mức độ": "ghi chú",
                            "Thông báo": "Nên ghi lãnh đạo phụ trách hoặc đơn vị phối hợp."})
    _append(wb, "Quy tắc", {"Biểu mẫu": "registration", "Trang": "tasks", "Loại quy tắc": "trong khoảng",
                            "Cột": "target", "Từ": 1, "Đến": 1000, "Mức độ": "cảnh báo",
                            "Thông báo": "Giá trị mục tiêu ngoài khoảng 1–1000."})
    _append(wb, "Quy tắc", {"Biểu mẫu": "registration", "Trang": "tasks", "Loại quy tắc": "so sánh",
                            "Cột": "target", "Phép so sánh": "≠", "So với cột": "baseline", "Mức độ": "cảnh báo",
                            "Thông báo": "Mục tiêu bằng giá trị hiện tại: nhiệm vụ không có gì mới."})
    # 3. a list value renamed
    _set(wb, "Danh mục", _find(wb, "Danh mục", **{"Danh mục": "areas", "Giá trị": "Dân vận"}), "Giá trị",
         "Công tác dân vận")
    wb.save(book)
    out = invoke("forms", "check", ws)
    assert "✓ registration" in out and "✗" not in out

    invoke("templates", ws, "--form", "registration", "--period", "2026")
    tpl = outbox(ws, "2026")
    t = openpyxl.load_workbook(tpl["XTA"])
    sheet = t["Nhiệm vụ"]
    head = {c.value: c.column_letter for c in sheet[6] if c.value}
    assert "Mức ưu tiên" in head
    lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    source = lists[head["Mức ưu tiên"]]
    values = _range_values(t, source)
    assert values == ["Cao", "Trung bình", "Thấp"]
    areas = _range_values(t, lists[head["Lĩnh vực"]])
    assert "Công tác dân vận" in areas and "Dân vận" not in areas

    inbox = ws / "rounds/2026/inbox"
    fill(tpl["XTA"], inbox / "XTA.xlsx", date(2026, 1, 20), [
        _reg("XTA-01", "Kết nạp 10 đảng viên mới tại xã Tân An", **{"Mức ưu tiên": "Cao", "Mã lãnh đạo phụ trách": "L02",
                                                                   "Giá trị mục tiêu": 5000}),
        _reg("XTA-02", "Xây dựng 2 mô hình dân vận khéo ở xã Tân An", kind="Bổ sung", area="Dân vận",
             **{"Mức ưu tiên": "Thấp", "Trọng số": 8, "Giá trị hiện tại": 10})])
    fill(tpl["XBM"], inbox / "XBM.xlsx", date(2026, 1, 21), [
        _reg("XBM-01", "Kết nạp 8 đảng viên mới tại xã Bình Minh", kind="Bổ sung", area="Công tác dân vận",
             **{"Mức ưu tiên": "Trung bình", "Ghi chú": "Công văn 12-CV/HU ngày 05/01/2026",
                "Đơn vị phối hợp": "Đoàn xã"})])
    out = invoke("collect", ws, "--period", "2026", "--json", code=1)  # a file refused: exit 1
    result = json.loads(out)
    by_unit = {f["unit"]: f for f in result["files"]}
    assert by_unit["XBM"]["status"] == "accepted" and by_unit["XBM"]["issues"] == []
    assert by_unit["XTA"]["status"] == "rejected"
    said = {(i["code"], i["cell"]): i for i in by_unit["XTA"]["issues"]}
    col = {t: openpyxl.utils.get_column_letter(i + 1) for i, t in enumerate(c.value for c in sheet[6])}
    rule = said[("definition-rule", f"{col['Ghi chú']}8")]
    assert (rule["severity"], rule["message"], rule["hint"]) == (
        "error", "Nhiệm vụ bổ sung phải ghi căn cứ ở cột Ghi chú.", "Ghi số, ngày văn bản giao nhiệm vụ bổ sung.")
    weight = said[("definition-rule", f"{col['Trọng số']}8")]
    assert (weight["severity"], weight["message"]) == ("warning", "Trọng số lớn hơn 5 là bất thường.")
    assert said[("definition-rule", f"{col['Mã lãnh đạo phụ trách']}8")]["severity"] == "info"
    target = said[("definition-rule", f"{col['Giá trị mục tiêu']}7")]
    assert (target["severity"], target["message"]) == ("warning", "Giá trị mục tiêu ngoài khoảng 1–1000.")
    same = said[("definition-rule", f"{col['Giá trị mục tiêu']}8")]  # 10 is within 1–1000, but equals the baseline
    assert same["message"] == "Mục tiêu bằng giá trị hiện tại: nhiệm vụ không có gì mới."
    assert ("definition-rule", f"{col['Mã lãnh đạo phụ trách']}7") not in said  # a leader given: nothing said
    assert said[("choice-error", f"{col['Lĩnh vực']}8")]["severity"] == "error"  # the old name is refused


def _range_values(wb, formula: str) -> list:
    """The values a list validation offers: an inline list or a range of the workbook."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, _, ref = formula.lstrip("=").rpartition("!")
    cells = wb[sheet.strip("'")][ref.replace("$", "")]
    return [c.value for row in cells for c in (row if isinstance(row, tuple) else (row,)) if c.value is not None]


def test_the_new_column_is_kept_with_the_accepted_return(tmp_path):
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    wb = openpyxl.load_workbook(book)
    for i, value in enumerate(["Cao", "Thấp"], start=1):
        _append(wb, "Danh mục", {"Danh mục": "muc_uu_tien", "Giá trị": value, "Thứ tự": i})
    _append(wb, "Cột", {"Biểu mẫu": "registration", "Trang": "tasks", "Tên cột": "uu_tien", "Tiêu đề cột": "Mức ưu tiên",
                        "Kiểu": "giá trị trong danh sách", "Danh mục": "muc_uu_tien"})
    wb.save(book)
    invoke("templates", ws, "--form", "registration", "--period", "2026", "--unit", "XBM")
    fill(outbox(ws, "2026")["XBM"], ws / "rounds/2026/inbox/XBM.xlsx", date(2026, 1, 21),
         [_reg("XBM-01", "Kết nạp 8 đảng viên mới tại xã Bình Minh", **{"Mức ưu tiên": "Thấp"})])
    invoke("collect", ws, "--period", "2026")
    from toolkit.store import Store

    with Store(ws / "kho_du_lieu.sqlite") as store:
        rows = store.rows("registration", "2026")
    assert [(r["task_code"], r["uu_tien"]) for r in rows] == [("XBM-01", "Thấp")]


# --- mistakes: every one at once, at its sheet and cell -----------------------------------------------------------

def test_broken_definitions_are_said_at_their_cell_and_marked_in_a_copy(tmp_path):
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    wb = openpyxl.load_workbook(book)
    row = _find(wb, "Cột", **{"Biểu mẫu": "progress", "Tên cột": "percent"})
    cells = {
        "type": _set(wb, "Cột", row, "Kiểu", "phần trăm"),
        "min": _set(wb, "Cột", row, "Nhỏ nhất", 120),
        "list": _set(wb, "Cột", _find(wb, "Cột", **{"Biểu mẫu": "progress", "Tên cột": "delay_cause"}), "Danh mục",
                     "nguyen_nhan"),
        "duplicate": _set(wb, "Cột", _find(wb, "Cột", **{"Biểu mẫu": "progress", "Tên cột": "evidence"}), "Tên cột",
                          "results"),
        "meaning": _set(wb, "Danh mục", _find(wb, "Danh mục", **{"Giá trị": "Hoàn thành"}), "Ý nghĩa", "xong rồi"),
        "threshold": _set(wb, "Chấm điểm", _find(wb, "Chấm điểm", **{"Nội dung": "Hoàn thành tốt nhiệm vụ"}),
                          "Giá trị", 95),
    }
    rule = _append(wb, "Quy tắc", {"Biểu mẫu": "progress", "Trang": "progress", "Loại quy tắc": "bắt buộc nếu",
                                   "Cột": "ngay_xac_nhan", "Khi cột": "status", "Có giá trị": "Hoàn thành"})
    cells["rule"] = f"D{rule}"
    wb.save(book)
    out = invoke("forms", "check", ws, code=1)
    said = [line for line in out.splitlines() if line.startswith("✗")]
    assert len(said) == 7, out
    expected = [
        f"Trang 'Cột', ô {cells['type']}: kiểu 'phần trăm' không có. Cách sửa: chọn trong danh sách: văn bản; số "
        f"nguyên; số; tỷ lệ phần trăm; ngày (dd/mm/yyyy); giá trị trong danh sách; có/không; mã đơn vị; mã lãnh đạo",
        f"Trang 'Cột', ô {cells['min']}: nhỏ nhất (120) lớn hơn lớn nhất (100). Cách sửa: sửa lại cho nhỏ nhất ≤ lớn nhất",
        f"Trang 'Cột', ô {cells['list']}: danh mục 'nguyen_nhan' không có ở trang 'Danh mục'.",
        f"Trang 'Cột', ô {cells['duplicate']}: tên cột 'results' bị trùng trong trang 'progress'",
        f"Trang 'Danh mục', ô {cells['meaning']}: ý nghĩa 'xong rồi' không có trong danh sách. Cách sửa: chọn một "
        f"trong: chưa bắt đầu làm;",
        f"Trang 'Chấm điểm', ô {cells['threshold']}: ngưỡng điểm 95 của mức 'Hoàn thành tốt nhiệm vụ' không nhỏ hơn "
        f"mức trên (90). Cách sửa: xếp các mức từ cao xuống thấp",
        f"Trang 'Quy tắc', ô {cells['rule']}: cột 'ngay_xac_nhan' không có trong trang 'progress'. Cách sửa: ghi tên "
        f"cột (không dấu) có ở trang 'Cột'",
    ]
    for text in expected:
        assert any(text in line for line in said), (text, said)
    marked = openpyxl.load_workbook(ws / "cau_hinh_loi.xlsx")
    for key, cell in cells.items():
        sheet = {"meaning": "Danh mục", "threshold": "Chấm điểm", "rule": "Quy tắc"}.get(key, "Cột")
        c = marked[sheet][cell]
        assert c.fill.fgColor.rgb.endswith("FFC7CE") and "Cách sửa:" in c.comment.text, key
    assert marked["Cột"]["A5"].fill.fgColor.rgb != "00FFC7CE"  # only the wrong cells
    # every other command stops with the same sentences
    out = invoke("templates", ws, "--form", "progress", "--period", "2026", code=2)
    assert expected[1] in " ".join(out.split())
    # fixed: the check passes and the marked copy is gone
    wb = openpyxl.load_workbook(book)
    for sheet, cell, value in (("Cột", cells["type"], "tỷ lệ phần trăm"), ("Cột", cells["min"], 0),
                               ("Cột", cells["list"], "delay_causes"), ("Cột", cells["duplicate"], "evidence"),
                               ("Danh mục", cells["meaning"], "đã xong"), ("Chấm điểm", cells["threshold"], 70)):
        wb[sheet][cell] = value
    wb["Quy tắc"].delete_rows(rule)
    wb.save(book)
    invoke("forms", "check", ws)
    assert not (ws / "cau_hinh_loi.xlsx").exists()


# --- a threshold ------------------------------------------------------------------------------------------------

def _one_task_round(ctx, progress: dict) -> None:
    """XCP's one task (30 new members by 30/04/2025) registered and collected, then its 6-month report ``progress``."""
    from conftest import make_return

    from toolkit.intake.collect import collect
    from toolkit.round import open_round

    make_return(ctx, "registration", "XCP", "2025", [{
        "task_code": "XCP-01", "area": "Xây dựng Đảng", "kind": "Trọng tâm", "title": "Kết nạp 30 đảng viên ở Cao Phong",
        "indicator": "Số đảng viên mới", "unit_measure": "người", "target": 30, "deadline": date(2025, 4, 30)}])
    collect(open_round(ctx.ws, "2025"))
    make_return(ctx, "progress", "XCP", "2025-H1", [{"task_code": "XCP-01", **progress}], received=date(2025, 7, 5))
    collect(open_round(ctx.ws, "2025-H1"))


def test_a_changed_threshold_changes_the_classification(ctx):
    root = ctx.ws.root
    _one_task_round(ctx, {"status": "Chậm tiến độ", "percent": 40, "actual": 12,
                          "delay_cause": "Thiếu nguồn lực (kinh phí, nhân lực)"})

    def level() -> tuple:
        invoke("score", root, "--period", "2025-H1")
        path = max((root / "rounds/2025-H1/output").glob("*xep_loai*.xlsx"), key=lambda p: p.stat().st_mtime)
        wb = openpyxl.load_workbook(path)
        head, *rows = list(wb["Xếp loại đơn vị"].iter_rows(min_row=4, values_only=True))
        row = next(dict(zip(head, r)) for r in rows if r[head.index("Mã")] == "XCP")
        rules = " ".join(str(v) for r in wb["Quy tắc"].iter_rows(values_only=True) for v in r if v)
        return row["Tổng điểm"], row["Xếp loại"], rules

    score, before, _ = level()
    assert before == "Không hoàn thành nhiệm vụ" and score == 12  # quality 12/30 x 0.3 x 100
    invoke("forms", "export", root)
    wb = openpyxl.load_workbook(root / WORKBOOK_FILE)
    row = _find(wb, "Chấm điểm", **{"Nội dung": "Hoàn thành nhiệm vụ"})
    _set(wb, "Chấm điểm", row, "Giá trị", 10)
    _set(wb, "Chấm điểm", row, "Tỷ lệ việc chậm tối đa", None)
    wb.save(root / WORKBOOK_FILE)
    score, after, rules = level()
    assert (score, after) == (12, "Hoàn thành nhiệm vụ")
    assert "10" in rules


# --- versions ---------------------------------------------------------------------------------------------------

@both_engines  # the versions are kept in the store: on a server too
def test_a_form_changed_after_it_was_sent_needs_a_new_version(tmp_path, store_url):
    ws = _workspace(tmp_path, store_url)
    book = ws / WORKBOOK_FILE
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    assert (ws / "kho_du_lieu.sqlite").exists() == (store_url is None)  # the versions went to the server's store
    old_template = outbox(ws, "2026")["XTA"]
    kept = tmp_path / "XTA_v1.xlsx"
    kept.write_bytes(old_template.read_bytes())
    wb = openpyxl.load_workbook(book)
    _append(wb, "Cột", {"Biểu mẫu": "registration", "Trang": "tasks", "Tên cột": "can_cu", "Tiêu đề cột": "Căn cứ",
                        "Kiểu": "văn bản", "Bắt buộc": "Có"})
    version = _set(wb, "Biểu mẫu", _find(wb, "Biểu mẫu", **{"Mã biểu mẫu": "registration"}), "Phiên bản", 1)
    wb.save(book)
    out = invoke("templates", ws, "--form", "registration", "--period", "2026", code=2)
    assert (f"Biểu mẫu 'registration' (đăng ký nhiệm vụ) đã đổi cột, danh mục hoặc quy tắc sau khi đã gửi cho đơn vị "
            f"với phiên bản 1. Ghi phiên bản mới (2) cho biểu mẫu ở trang 'Biểu mẫu', ô {version} của cau_hinh.xlsx"
            ) in " ".join(out.split())
    invoke("collect", ws, "--period", "2026", code=2)  # nor are returns read by a definition that is not theirs
    wb = openpyxl.load_workbook(book)
    wb["Biểu mẫu"][version] = 2
    wb.save(book)
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    new = openpyxl.load_workbook(outbox(ws, "2026")["XBM"])
    assert "Căn cứ" in [c.value for c in new["Nhiệm vụ"][6]]
    inbox = ws / "rounds/2026/inbox"
    fill(kept, inbox / "XTA.xlsx", date(2026, 1, 20), [_reg("XTA-01", "Kết nạp 10 đảng viên mới tại xã Tân An")])
    fill(outbox(ws, "2026")["XBM"], inbox / "XBM.xlsx", date(2026, 1, 21),
         [_reg("XBM-01", "Kết nạp 8 đảng viên mới tại xã Bình Minh")])  # new version, "Căn cứ" left empty
    result = json.loads(invoke("collect", ws, "--period", "2026", "--json", code=1))
    by_unit = {f["unit"]: f for f in result["files"]}
    # the version-1 return is read by version 1's definition: no "Căn cứ" asked of it
    assert by_unit["XTA"]["status"] == "warnings", by_unit["XTA"]["issues"]  # accepted, with the version warning
    assert [i["code"] for i in by_unit["XTA"]["issues"]] == ["form-version-old"]
    assert by_unit["XBM"]["status"] == "rejected"
    assert [(i["code"], i["params"].get("title")) for i in by_unit["XBM"]["issues"]] == [("missing-value", "Căn cứ")]


def test_the_version_a_unit_was_sent_for_the_round_is_not_called_old(tmp_path):
    """The definitions move to version 2 after the round's templates went out as version 1: a unit returning the
    template it was sent for the round did as asked and is not told its form is old (its feedback said so, with a
    hint meant for the office); a unit sent version 2 for the round that returns an old copy is."""
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    sent = outbox(ws, "2026")
    kept = {code: tmp_path / f"{code}_v1.xlsx" for code in ("XTA", "XBM")}
    for code, path in kept.items():
        path.write_bytes(sent[code].read_bytes())
    wb = openpyxl.load_workbook(book)
    _append(wb, "Cột", {"Biểu mẫu": "registration", "Trang": "tasks", "Tên cột": "can_cu", "Tiêu đề cột": "Căn cứ",
                        "Kiểu": "văn bản", "Bắt buộc": "Không"})
    _set(wb, "Biểu mẫu", _find(wb, "Biểu mẫu", **{"Mã biểu mẫu": "registration"}), "Phiên bản", 2)
    wb.save(book)
    invoke("templates", ws, "--form", "registration", "--period", "2026", "--unit", "XBM")  # XBM sent version 2
    inbox = ws / "rounds/2026/inbox"
    fill(kept["XTA"], inbox / "XTA.xlsx", date(2026, 1, 20), [_reg("XTA-01", "Kết nạp 10 đảng viên mới tại xã Tân An")])
    fill(kept["XBM"], inbox / "XBM.xlsx", date(2026, 1, 21), [_reg("XBM-01", "Kết nạp 8 đảng viên mới tại xã Bình Minh")])
    result = json.loads(invoke("collect", ws, "--period", "2026", "--json"))
    by_unit = {f["unit"]: f for f in result["files"]}
    assert by_unit["XTA"]["status"] == "accepted", by_unit["XTA"]["issues"]
    assert by_unit["XBM"]["status"] == "warnings"
    [old] = by_unit["XBM"]["issues"]
    assert old["code"] == "form-version-old" and old["hint"] == "Lần sau dùng biểu mẫu mới nhất Văn phòng gửi."


def test_a_renamed_status_keeps_its_meaning_and_a_meaning_is_a_closed_choice(tmp_path):
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    wb = openpyxl.load_workbook(book)
    row = _find(wb, "Danh mục", **{"Danh mục": "statuses", "Giá trị": "Hoàn thành"})
    _set(wb, "Danh mục", row, "Giá trị", "Đã xong")
    wb.save(book)
    status = load_forms(ws)["progress"].main.column("status")
    assert "Đã xong" in status.choices and "Hoàn thành" not in status.choices
    assert status.meaning("Đã xong") == "done"  # judged as done whatever its word
    _set(wb, "Danh mục", row, "Ý nghĩa", None)
    wb.save(book)
    out = invoke("forms", "check", ws, code=1)
    assert f"Trang 'Danh mục', ô D{row}: tình trạng 'Đã xong' chưa có ý nghĩa." in " ".join(out.split())


def test_a_status_renamed_after_a_round_keeps_that_round_s_scores_and_the_word_carried_on(ctx):
    """The office renames "Hoàn thành" to "Đã hoàn thành" (its meaning kept, a new version) after the 6-month round
    was collected: that round's returns still say "Hoàn thành", a word the definitions no longer have. They were
    judged "not done" (a unit at 100 points fell to 30, with no warning); they are judged by the meaning the word
    had in the version they were read with, and the next round's template carries the task's status in the word of
    today's list, not one its dropdown refuses."""
    from conftest import rows_of

    root = ctx.ws.root
    _one_task_round(ctx, {"status": "Hoàn thành", "percent": 100, "actual": 30, "completed_on": date(2025, 4, 20)})

    def judged() -> tuple:
        scored = json.loads(invoke("score", root, "--period", "2025-H1", "--json"))
        unit = next(u for u in scored["units"] if u["subject_id"] == "XCP")
        invoke("merge", root, "--period", "2025-H1")
        [row] = [r for r in rows_of(root / "rounds/2025-H1/output/tong_hop_tien_do_2025-H1.xlsx", "Dữ liệu")
                 if r["Mã nhiệm vụ"] == "XCP-01"]
        return unit["score"], unit["level"], row["Tình trạng"], row["Đánh giá"]

    before = judged()
    assert before[2:] == ("Hoàn thành", "Hoàn thành đúng hạn") and before[0] > 90
    invoke("forms", "export", root)
    wb = openpyxl.load_workbook(root / WORKBOOK_FILE)
    _set(wb, "Danh mục", _find(wb, "Danh mục", **{"Danh mục": "statuses", "Giá trị": "Hoàn thành"}), "Giá trị",
         "Đã hoàn thành")
    _set(wb, "Biểu mẫu", _find(wb, "Biểu mẫu", **{"Mã biểu mẫu": "progress"}), "Phiên bản", 2)
    wb.save(root / WORKBOOK_FILE)
    invoke("forms", "check", root)
    assert judged() == before  # the round's verdicts and scores as they were
    invoke("templates", root, "--form", "progress", "--period", "2025-9M", "--deadline", "15/10/2025", "--unit", "XCP")
    sheet = openpyxl.load_workbook(outbox(root, "2025-9M")["XCP"])["Tiến độ"]
    head = {c.value: c.column for c in sheet[6]}
    carried = next(sheet.cell(row=r, column=head["Tình trạng"]).value for r in range(7, 20)
                   if sheet.cell(row=r, column=1).value == "XCP-01")
    assert carried == "Đã hoàn thành"
    # the unit now reports it behind: still told it was reported done before (the old word read by its meaning)
    fill(outbox(root, "2025-9M")["XCP"], root / "rounds/2025-9M/inbox/XCP.xlsx", date(2025, 10, 5),
         [{"Mã nhiệm vụ": "XCP-01", "Tình trạng": "Chậm tiến độ", "% hoàn thành": 60,
           "Nguyên nhân chậm": "Thiếu nguồn lực (kinh phí, nhân lực)"}], by_code=True)
    result = json.loads(invoke("collect", root, "--period", "2025-9M", "--json"))
    [undone] = [i for f in result["files"] for i in f["issues"] if i["code"] == "progress-done-undone"]
    assert "đã báo cáo 'Đã hoàn thành'" in undone["message"] and "'Chậm tiến độ'" in undone["message"]


def test_a_workbook_that_is_not_one_is_said_plainly(tmp_path):
    ws = _workspace(tmp_path)
    (ws / WORKBOOK_FILE).write_bytes(b"not a workbook")
    out = invoke("forms", "check", ws, code=1)
    assert "không mở được cau_hinh.xlsx" in out and "Traceback" not in out
    out = invoke("status", ws, "--period", "2026", code=2)
    assert "không mở được cau_hinh.xlsx" in " ".join(out.split())


@both_engines
def test_a_form_recorded_but_never_sent_may_still_change_under_its_version(tmp_path, store_url):
    ws = _workspace(tmp_path, store_url)
    book = ws / WORKBOOK_FILE
    invoke("templates", ws, "--form", "registration", "--period", "2026", "--unit", "XBM")
    fill(outbox(ws, "2026")["XBM"], ws / "rounds/2026/inbox/XBM.xlsx", date(2026, 1, 21),
         [_reg("XBM-01", "Kết nạp 8 đảng viên mới tại xã Bình Minh")])
    invoke("collect", ws, "--period", "2026")  # keeps every form's definition, breakthrough's too
    wb = openpyxl.load_workbook(book)
    _append(wb, "Cột", {"Biểu mẫu": "breakthrough", "Trang": "tasks", "Tên cột": "ghi_chu_them",
                        "Tiêu đề cột": "Ghi chú thêm", "Kiểu": "văn bản"})
    wb.save(book)
    invoke("templates", ws, "--form", "breakthrough", "--period", "2026")  # never sent before: no new version
    invoke("templates", ws, "--form", "breakthrough", "--period", "2026")  # sent as edited: the same again is fine
    _append(wb, "Cột", {"Biểu mẫu": "breakthrough", "Trang": "tasks", "Tên cột": "ghi_chu_khac",
                        "Tiêu đề cột": "Ghi chú khác", "Kiểu": "văn bản"})
    wb.save(book)
    out = invoke("templates", ws, "--form", "breakthrough", "--period", "2026", code=2)  # now it was sent
    assert "Ghi phiên bản mới (2) cho biểu mẫu ở trang 'Biểu mẫu', ô G4 của cau_hinh.xlsx" in " ".join(out.split())


def test_the_settings_sheet_is_the_office_identity_and_a_deadline_given_later_lands_in_it(tmp_path):
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    wb = openpyxl.load_workbook(book)
    _set(wb, "Thiết lập", _find(wb, "Thiết lập", **{"Mã": "office.signer_name"}), "Giá trị", "Bùi Văn Sơn")
    wb.save(book)
    from toolkit.workspace.config import Workspace

    assert Workspace.open(ws).office["signer_name"] == "Bùi Văn Sơn"
    settings = (ws / "settings.yaml").read_text(encoding="utf-8")
    (ws / "settings.yaml").write_text(settings.replace("name: Huyện ủy Lạc Sơn", "name: Huyện ủy Khác"),
                                      encoding="utf-8")
    out = invoke("forms", "check", ws)
    assert ("Thông tin văn bản và hạn nộp lấy theo trang 'Thiết lập' của cau_hinh.xlsx: đã ghi lại settings.yaml cho "
            "khớp (office.name, office.signer_name).") in " ".join(out.split())
    assert "Huyện ủy Lạc Sơn" in (ws / "settings.yaml").read_text(encoding="utf-8")
    assert "Lưu ý" not in invoke("forms", "check", ws)
    invoke("templates", ws, "--form", "registration", "--period", "2026", "--deadline", "15/02/2026", "--unit", "XBM")
    wb = openpyxl.load_workbook(book)
    period = next(r for r in wb["Thiết lập"].iter_rows(min_row=3, values_only=True) if r[4] == "period")
    assert period[1:4] == ("2026", "15/02/2026", "registration")
    assert Workspace.open(ws).office["signer_name"] == "Bùi Văn Sơn"  # the clerk's edit survives the rewrite


def test_a_workbook_open_in_excel_stops_a_new_deadline_before_anything_is_written(tmp_path, monkeypatch):
    ws = _workspace(tmp_path)
    before = (ws / "settings.yaml").read_bytes()

    def locked(path, defs):  # what Windows answers while Excel holds the file
        raise PermissionError(13, "The process cannot access the file", str(path))

    monkeypatch.setattr("toolkit.definitions.workbook.write_workbook", locked)
    out = invoke("templates", ws, "--form", "registration", "--period", "2026", "--deadline", "15/02/2026", code=2)
    assert "Không ghi được hạn nộp, thông tin văn bản vào cau_hinh.xlsx (tệp đang mở trong Excel?)" in \
        " ".join(out.split())
    assert (ws / "settings.yaml").read_bytes() == before and not list((ws / "rounds/2026/outbox").iterdir())


def test_export_folds_a_workspace_s_own_yaml_into_the_workbook(ws):
    """A workspace made before the workbook, with its own YAML copies: export keeps what they say."""
    from toolkit.definitions.forms import shipped_dir

    root = ws.root
    text = (shipped_dir() / "followup.yaml").read_text(encoding="utf-8")
    (root / "forms" / "followup.yaml").write_text(text.replace("version: 1", "version: 3"), encoding="utf-8")
    (root / "scoring.yaml").write_text("quota: {share: 0.3}\n", encoding="utf-8")
    before = load_forms(root)
    invoke("forms", "export", root)
    after = load_forms(root)
    assert after["followup"].version == 3
    assert {k: replace(f, source="") for k, f in after.items()} == {k: replace(f, source="") for k, f in before.items()}
    assert load_rules(root)["quota"]["share"] == 0.3
    out = invoke("forms", "check", root)
    assert "cau_hinh.xlsx là nguồn định nghĩa duy nhất: các tệp forms/followup.yaml, scoring.yaml không được dùng" in \
        " ".join(out.split())


def test_a_register_number_typed_as_text_is_refused_at_its_cell(tmp_path):
    """The register's numbers (target, baseline, weight) are numbers on both store engines: a clerk who types the
    registration's target as text is told at the cell, before any template is made (no value would be kept)."""
    ws = _workspace(tmp_path)
    book = ws / WORKBOOK_FILE
    wb = openpyxl.load_workbook(book)
    cell = _set(wb, "Cột", _find(wb, "Cột", **{"Biểu mẫu": "registration", "Tên cột": "target"}), "Kiểu", "văn bản")
    wb.save(book)
    out = invoke("forms", "check", ws, code=1)
    assert (f"Trang 'Cột', ô {cell}: cột 'target' là số của sổ nhiệm vụ (dùng để chấm điểm) nên phải có kiểu số, "
            "đang là 'văn bản'. Cách sửa: chọn 'số', 'số nguyên' hoặc 'tỷ lệ phần trăm'") in out, out
    out = invoke("templates", ws, "--form", "registration", "--period", "2026", code=2)
    assert f"ô {cell}" in out and not list((ws / "rounds").rglob("*.xlsx"))
