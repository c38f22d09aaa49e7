"""Issue 13: the year as one cycle, through the CLI, with a province of its own (Tỉnh ủy Lâm Giang):
registration → confirmation (one task sent back, fixed, confirmed) → Q1 → 6 months with two adjustment requests
(one approved, one refused) → 9 months (templates carry the adjusted deadline and last values; a result copied
from 6 months and a percent that went down are warned) → year end with the classification of units and leaders,
whose explanation names the adjusted task. Every workbook written is reopened and checked."""

import os
from datetime import date, datetime
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import both_engines, docx_text

from toolkit.cli import cli
from toolkit.store import open_store
from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("LG", "Tỉnh ủy Lâm Giang", "Tỉnh", "", "Mạc Văn Giang", "Bí thư Tỉnh ủy", "vp@lamgiang.dcs.vn"),
    ("HUTS", "Huyện ủy Thạch Sơn", "Huyện", "LG", "Lê Văn Thạch", "Bí thư Huyện ủy", "ts@lamgiang.dcs.vn"),
    ("XTL", "Đảng ủy xã Tân Lập", "Xã", "HUTS", "Vũ Thị Lập", "Bí thư Đảng ủy", "tl@lamgiang.dcs.vn"),
    ("BDV", "Ban Dân vận Tỉnh ủy", "Ban đảng", "LG", "Ngô Thị Vân", "Trưởng ban", "bdv@lamgiang.dcs.vn"),
]
LEADERS = [
    ("LD1", "Lê Văn Thạch", "Bí thư Huyện ủy Thạch Sơn", "HUTS", "có"),
    ("LD2", "Vũ Thị Lập", "Bí thư Đảng ủy xã Tân Lập", "XTL", "không"),
    ("LD3", "Ngô Thị Vân", "Trưởng Ban Dân vận", "BDV", "có"),
]
PROGRESS_TITLES = {"status": "Tình trạng", "percent": "% hoàn thành", "actual": "Giá trị đạt được",
                   "completed_on": "Ngày hoàn thành", "results": "Kết quả thực hiện", "delay_cause": "Nguyên nhân chậm"}
REG_TITLES = {"task_code": "Mã nhiệm vụ", "area": "Lĩnh vực", "kind": "Loại nhiệm vụ", "title": "Tên nhiệm vụ",
              "leader_id": "Mã lãnh đạo phụ trách", "indicator": "Chỉ tiêu đo lường", "unit_measure": "Đơn vị tính",
              "target": "Giá trị mục tiêu", "start_date": "Ngày bắt đầu", "deadline": "Thời hạn hoàn thành",
              "weight": "Trọng số", "note": "Ghi chú"}
ADJ_TITLES = {"task_code": "Mã nhiệm vụ", "change": "Nội dung đề nghị", "new_deadline": "Thời hạn mới",
              "new_target": "Mục tiêu mới", "new_title": "Tên nhiệm vụ mới", "reason": "Lý do"}


def invoke(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def _header(ws, row=6):
    return {c.value: c.column for c in ws[row] if c.value}


def fill(template: Path, out: Path, received: date, sheet: str, titles: dict, rows: list[dict],
         by_code: bool = False, extra: tuple | None = None) -> Path:
    """Fill as unit staff do: by column title, into the prefilled task's row or the next empty rows."""
    wb = openpyxl.load_workbook(template)

    def write(ws, titles, rows, by_code):
        head = _header(ws)
        for i, row in enumerate(rows):
            r = next(c.row for c in ws["A"] if c.value == row["task_code"]) if by_code else 7 + i
            for name, value in row.items():
                if by_code and name == "task_code":
                    continue
                cell = ws.cell(row=r, column=head[titles[name]], value=value)
                if isinstance(value, str):
                    cell.data_type = "s"

    write(wb[sheet], titles, rows, by_code)
    if extra:
        write(wb[extra[0]], extra[1], extra[2], False)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    ts = datetime(received.year, received.month, received.day, 9).timestamp()
    os.utime(out, (ts, ts))
    return out


def reg_task(code, title, deadline, leader, target=10, note=None):
    row = {"task_code": code, "area": "Xây dựng Đảng", "kind": "Trọng tâm", "title": title, "leader_id": leader,
           "indicator": f"Số {title.split()[1].lower()}", "unit_measure": "việc", "target": target,
           "start_date": date(2026, 1, 1), "deadline": deadline, "weight": 1}
    if note:
        row["note"] = note
    return row


REGISTRATION = {
    "HUTS": [reg_task("TS-01", "Hoàn thành 12 cuộc kiểm tra chuyên đề về công tác cán bộ", date(2026, 9, 30), "LD1", 12),
             reg_task("TS-02", "Kết nạp 150 đảng viên mới trong khối doanh nghiệp", date(2026, 12, 31), "LD1", 150)],
    "XTL": [reg_task("TL-01", "Xây dựng 3 mô hình dân vận khéo ở các thôn vùng cao", date(2026, 6, 30), "LD2", 3),
            reg_task("TL-02", "Sắp xếp lại 5 chi bộ thôn theo đề án sáp nhập", date(2026, 12, 31), "LD2", 5)],
    "BDV": [reg_task("DV-01", "Tổ chức 20 buổi đối thoại giữa người đứng đầu với nhân dân", date(2026, 12, 31), "LD3",
                     20),
            reg_task("DV-02", "Tổng kết 10 năm thực hiện quy chế dân chủ ở cơ sở", date(2026, 9, 30), "LD3", 1)],
}


def review_rows(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    top = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value in ("Mã đơn vị", "Số đề nghị"))
    head = [c.value for c in ws[top]]
    return ws, top, head, [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=top + 1)
                           if r[0].value is not None]


def set_opinions(path, sheet, opinions: dict, key_cols=("Mã đơn vị", "Mã nhiệm vụ"), extra_col=None):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    top = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value in ("Mã đơn vị", "Số đề nghị"))
    head = {c.value: c.column for c in ws[top]}
    for r in range(top + 1, ws.max_row + 1):
        key = tuple(ws.cell(row=r, column=head[k]).value for k in key_cols)
        key = key[0] if len(key) == 1 else key
        if key in opinions:
            for col, value in opinions[key].items():
                ws.cell(row=r, column=head[col], value=value)
    wb.save(path)


@both_engines
def test_a_whole_year_as_one_cycle(tmp_path, store_url):
    registry = tmp_path / "don_vi_lam_giang.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Lâm Giang"
    invoke("init", ws, *(["--store", store_url] if store_url else []), "--office", "Tỉnh ujy Lâm Giang".replace("ujy", "ủy"), "--units", registry,
           "--signer", "Mạc Văn Giang", "--signer-title", "Bí thư",
           "--deadline", "2026=31/01/2026", "--deadline", "2026-Q1=10/04/2026", "--deadline", "2026-H1=10/07/2026",
           "--deadline", "2026-9M=10/10/2026", "--deadline", "2026-Y=31/12/2026")

    # --- registration and confirmation -------------------------------------------------------------------
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    outbox, inbox = ws / "rounds/2026/outbox", ws / "rounds/2026/inbox"
    for unit, rows in REGISTRATION.items():
        fill(outbox / f"{unit}_dang_ky_2026.xlsx", inbox / f"{unit}.xlsx", date(2026, 1, 20), "Nhiệm vụ", REG_TITLES,
             rows)
    invoke("collect", ws, "--period", "2026", code=0)
    out = invoke("confirm", ws, "--period", "2026")
    assert "Xác nhận đăng ký: 6 nhiệm vụ; đã xác nhận 0, đề nghị sửa 0, không đồng ý 0, chờ ý kiến 6" in out
    review = ws / "rounds/2026/output/xac_nhan_dang_ky_2026.xlsx"
    sheet, top, head, rows = review_rows(review, "Xác nhận đăng ký")
    assert [(r["Mã đơn vị"], r["Mã nhiệm vụ"], r["Tình trạng"]) for r in rows] == [
        ("BDV", "DV-01", "Chờ ý kiến"), ("BDV", "DV-02", "Chờ ý kiến"), ("HUTS", "TS-01", "Chờ ý kiến"),
        ("HUTS", "TS-02", "Chờ ý kiến"), ("XTL", "TL-01", "Chờ ý kiến"), ("XTL", "TL-02", "Chờ ý kiến")]
    assert rows[2]["Thời hạn"] == "30/09/2026" and rows[2]["Mục tiêu"] == 12
    assert any(dv.sqref and "Đồng ý" in dv.formula1 for dv in sheet.data_validations.dataValidation)
    opinions = {k: {"Ý kiến": "Đồng ý"} for k in [("BDV", "DV-01"), ("BDV", "DV-02"), ("HUTS", "TS-01"),
                                                    ("HUTS", "TS-02"), ("XTL", "TL-01")]}
    opinions[("XTL", "TL-02")] = {"Ý kiến": "Đề nghị sửa",
                                  "Nội dung đề nghị sửa, lý do": "Đề án sáp nhập chỉ còn 4 chi bộ; sửa mục tiêu là 4."}
    set_opinions(review, "Xác nhận đăng ký", opinions)
    out = invoke("confirm", ws, "--period", "2026")
    assert "đã xác nhận 5, đề nghị sửa 1, không đồng ý 0, chờ ý kiến 0 (lần này ghi nhận 6 ý kiến)" in out
    sent = ws / "rounds/2026/feedback/xac_nhan/XTL_y_kien_xac_nhan_2026.xlsx"
    wb = openpyxl.load_workbook(sent)
    assert wb.sheetnames[0] == "Lỗi cần sửa"
    summary = "\n".join(str(c.value) for row in wb["Lỗi cần sửa"].iter_rows() for c in row if c.value)
    assert "Văn phòng đề nghị sửa nhiệm vụ 'TL-02': Đề án sáp nhập chỉ còn 4 chi bộ; sửa mục tiêu là 4." in summary
    title_cell = wb["Nhiệm vụ"]["D8"]
    assert title_cell.value == "Sắp xếp lại 5 chi bộ thôn theo đề án sáp nhập" and title_cell.comment is not None
    out = invoke("confirm", ws, "--period", "2026")  # reading the same opinions again changes nothing
    assert "(lần này ghi nhận 0 ý kiến)" in out
    out = invoke("report", ws, "--period", "2026")  # a task sent back is not put in the commitment to sign
    assert "1 nhiệm vụ đang đề nghị đơn vị sửa chưa đưa vào bản cam kết (XTL TL-02)" in out
    commitment = docx_text(ws / "rounds/2026/output/van_ban/ban_cam_ket/ban_cam_ket_XTL_2026.docx")
    assert "Xây dựng 3 mô hình dân vận khéo" in commitment and "Sắp xếp lại" not in commitment
    # the commune fixes the task and sends its registration again
    fixed = [dict(r) for r in REGISTRATION["XTL"]]
    fixed[1].update(title="Sắp xếp lại 4 chi bộ thôn theo đề án sáp nhập", target=4)
    fill(outbox / "XTL_dang_ky_2026.xlsx", inbox / "XTL_sua.xlsx", date(2026, 1, 28), "Nhiệm vụ", REG_TITLES, fixed)
    invoke("collect", ws, "--period", "2026")
    out = invoke("confirm", ws, "--period", "2026")
    assert "đã xác nhận 5, đề nghị sửa 0, không đồng ý 0, chờ ý kiến 1" in out
    _, _, _, rows = review_rows(review, "Xác nhận đăng ký")
    tl02 = next(r for r in rows if r["Mã nhiệm vụ"] == "TL-02")
    assert (tl02["Tình trạng"], tl02["Mục tiêu"], tl02["Ý kiến"]) == ("Đơn vị đã sửa, chờ ý kiến lại", 4, None)
    set_opinions(review, "Xác nhận đăng ký", {("XTL", "TL-02"): {"Ý kiến": "Đồng ý"}})
    assert "đã xác nhận 6, đề nghị sửa 0, không đồng ý 0, chờ ý kiến 0" in invoke("confirm", ws, "--period", "2026")

    # --- Q1 ---------------------------------------------------------------------------------------------
    def progress_round(period, received, reports, extra=None):
        invoke("templates", ws, "--form", "progress", "--period", period)
        box, into = ws / f"rounds/{period}/outbox", ws / f"rounds/{period}/inbox"
        for unit, rows in reports.items():
            fill(box / f"{unit}_tien_do_{period}.xlsx", into / f"{unit}_{period}.xlsx", received, "Tiến độ",
                 PROGRESS_TITLES, rows, by_code=True,
                 extra=("Đề nghị điều chỉnh", ADJ_TITLES, extra[unit]) if extra and unit in extra else None)
        return box

    def p(code, status, percent, actual=None, results=None, **kw):
        row = {"task_code": code, "status": status, "percent": percent, **kw}
        if actual is not None:
            row["actual"] = actual
        row["results"] = results or f"Kết quả riêng của kỳ cho nhiệm vụ {code}: đã triển khai theo kế hoạch số {percent}."
        return row

    on = "Đang thực hiện – đúng tiến độ"
    progress_round("2026-Q1", date(2026, 4, 8), {
        "HUTS": [p("TS-01", on, 20, 3), p("TS-02", on, 15, 20)],
        "XTL": [p("TL-01", on, 30, 1), p("TL-02", on, 10, 0)],
        "BDV": [p("DV-01", on, 25, 5), p("DV-02", on, 10, 0)]})
    invoke("collect", ws, "--period", "2026-Q1")

    # --- 6 months: two requests to adjust ------------------------------------------------------------------
    h1_results = ("Đã tổ chức 6 buổi đối thoại tại các huyện miền núi, tiếp nhận 48 ý kiến của nhân dân, chuyển các "
                  "cơ quan chức năng giải quyết 40 ý kiến, còn 8 ý kiến đang xem xét.")
    box = progress_round("2026-H1", date(2026, 7, 6), {
        "HUTS": [p("TS-01", "Đề nghị điều chỉnh", 40, 5), p("TS-02", on, 45, 70)],
        "XTL": [p("TL-01", "Hoàn thành", 100, 3, completed_on=date(2026, 6, 20)), p("TL-02", on, 50, 2)],
        "BDV": [p("DV-01", on, 30, 6, results=h1_results),
                p("DV-02", "Đề nghị điều chỉnh", 30, 0)]},
        extra={"HUTS": [{"task_code": "TS-01", "change": "Gia hạn thời hạn", "new_deadline": date(2026, 12, 31),
                         "reason": "Chờ hướng dẫn mới của Trung ương về công tác cán bộ"}],
               "BDV": [{"task_code": "DV-02", "change": "Điều chỉnh mục tiêu", "new_target": 2,
                        "reason": "Tổng kết thêm quy chế ở doanh nghiệp"}]})
    wb = openpyxl.load_workbook(box / "HUTS_tien_do_2026-H1.xlsx")
    head = _header(wb["Tiến độ"])
    r = next(c.row for c in wb["Tiến độ"]["A"] if c.value == "TS-01")
    assert wb["Tiến độ"].cell(row=r, column=head["Tình trạng"]).value == on  # last accepted values carried
    assert wb["Tiến độ"].cell(row=r, column=head["% hoàn thành"]).value == 20
    assert "Đề nghị điều chỉnh" in wb.sheetnames
    invoke("collect", ws, "--period", "2026-H1")
    out = invoke("adjust", ws, "--period", "2026")
    assert "Đề nghị điều chỉnh: 2 đề nghị; lần này áp dụng 0 đề nghị được đồng ý, ghi nhận 0 đề nghị không đồng ý; " \
           "còn 2 đề nghị chờ ý kiến." in out
    adjust_book = ws / "rounds/2026/output/dieu_chinh_nhiem_vu_2026.xlsx"
    _, _, _, rows = review_rows(adjust_book, "Đề nghị điều chỉnh")
    assert [(r["Mã đơn vị"], r["Mã nhiệm vụ"], r["Nội dung đề nghị"], r["Giá trị hiện tại"], r["Giá trị đề nghị"],
             r["Đề nghị trong"], r["Tình trạng"]) for r in rows] == [
        ("BDV", "DV-02", "Điều chỉnh mục tiêu", "1", "2", "6 tháng đầu năm 2026", "Chờ ý kiến"),
        ("HUTS", "TS-01", "Điều chỉnh thời hạn", "30/09/2026", "31/12/2026", "6 tháng đầu năm 2026", "Chờ ý kiến")]
    ids = {r["Mã nhiệm vụ"]: r["Số đề nghị"] for r in rows}
    invoke("report", ws, "--period", "2026-H1")

    def h1_report() -> str:
        return " ".join(docx_text(next((ws / "rounds/2026-H1/output/van_ban").glob("bao_cao_tong_hop_*.docx"))).split())

    assert "2 có đề nghị điều chỉnh đang chờ ý kiến" in h1_report()
    set_opinions(adjust_book, "Đề nghị điều chỉnh", {
        ids["TS-01"]: {"Ý kiến": "Đồng ý", "Số, ngày văn bản": "Công văn số 125-CV/TU ngày 15/7/2026"},
        ids["DV-02"]: {"Ý kiến": "Không đồng ý", "Ghi chú": "Giữ mục tiêu đã cam kết"}}, key_cols=("Số đề nghị",))
    out = invoke("adjust", ws, "--period", "2026")
    assert "lần này áp dụng 1 đề nghị được đồng ý, ghi nhận 1 đề nghị không đồng ý; còn 0 đề nghị chờ ý kiến." in out
    assert "lần này áp dụng 0 đề nghị được đồng ý, ghi nhận 0" in invoke("adjust", ws, "--period", "2026")
    with open_store(store_url or ws / "kho_du_lieu.sqlite") as store:
        assert store.task("2026", "HUTS", "TS-01")["deadline"] == "2026-12-31"
        assert store.task("2026", "BDV", "DV-02")["target"] == 1
        assert store.adjustment_counts(["2026"]) == {"adjusted": 1, "added": 0, "dropped": 0, "pending": 0,
                                                     "refused": 1}
    _, _, _, rows = review_rows(adjust_book, "Đề nghị điều chỉnh")
    assert [r["Tình trạng"][:15] for r in rows] == ["Không đồng ý", "Đã áp dụng ngày"]
    # both requests decided: the report no longer says they wait (it said so beside "điều chỉnh 1 nhiệm vụ")
    invoke("report", ws, "--period", "2026-H1")
    assert "đang chờ ý kiến" not in h1_report() and "điều chỉnh 1 nhiệm vụ" in h1_report()

    # --- 9 months: adjusted deadline in the templates, checks against 6 months -------------------------------
    box = progress_round("2026-9M", date(2026, 10, 8), {
        "HUTS": [p("TS-01", on, 60, 8), p("TS-02", on, 70, 110)],
        "XTL": [p("TL-02", on, 40, 2)],  # percent went down from 50
        "BDV": [p("DV-01", on, 50, 10, results=h1_results),  # copied from its own 6-month report
                p("DV-02", "Hoàn thành", 100, 1, completed_on=date(2026, 9, 25))]})
    wb = openpyxl.load_workbook(box / "HUTS_tien_do_2026-9M.xlsx")
    head = _header(wb["Tiến độ"])
    r = next(c.row for c in wb["Tiến độ"]["A"] if c.value == "TS-01")
    assert wb["Tiến độ"].cell(row=r, column=head["Thời hạn"]).value.date() == date(2026, 12, 31)
    assert wb["Tiến độ"].cell(row=r, column=head["Tình trạng"]).value is None  # the request's status is not carried
    invoke("collect", ws, "--period", "2026-9M")
    issues = openpyxl.load_workbook(ws / "rounds/2026-9M/output/ket_qua_tiep_nhan_2026-9M.xlsx")["Lỗi"]
    found = {(row[1], row[3]): row[7] for row in issues.iter_rows(min_row=2, values_only=True)}
    assert found[("XTL", "% hoàn thành giảm")] == "% hoàn thành giảm từ 50% (6 tháng đầu năm 2026) xuống 40%."
    assert found[("BDV", "Báo cáo sao chép")].startswith("Kết quả báo cáo giống 100% với báo cáo 6 tháng đầu năm 2026 "
                                                      "của chính nhiệm vụ này")
    out = invoke("report", ws, "--period", "2026-9M")
    report = docx_text(next((ws / "rounds/2026-9M/output/van_ban").glob("bao_cao_tong_hop_*.docx")))
    assert "So với 6 tháng đầu năm 2026: số nhiệm vụ đã hoàn thành tăng từ 1 lên 2" in report
    assert "đã điều chỉnh 1 nhiệm vụ theo đề nghị của đơn vị" in report

    # --- year end -----------------------------------------------------------------------------------------
    progress_round("2026-Y", date(2026, 12, 28), {
        "HUTS": [p("TS-01", "Hoàn thành", 100, 12, completed_on=date(2026, 11, 20)),
                 p("TS-02", "Hoàn thành", 100, 150, completed_on=date(2026, 12, 15))],
        "XTL": [p("TL-02", "Không hoàn thành", 75, 3, delay_cause="Thiếu nguồn lực (kinh phí, nhân lực)")],
        "BDV": [p("DV-01", "Hoàn thành", 100, 20, completed_on=date(2026, 12, 10))]})
    invoke("collect", ws, "--period", "2026-Y")
    invoke("score", ws, "--period", "2026-Y")
    xl = openpyxl.load_workbook(ws / "rounds/2026-Y/output/xep_loai_2026-Y.xlsx")
    text = "\n".join(str(v) for s in xl.worksheets for row in s.iter_rows(values_only=True) for v in row if v)
    assert ("Nhiệm vụ TS-01 được đánh giá theo thời hạn từ 30/09/2026 thành 31/12/2026 "
            "(Công văn số 125-CV/TU ngày 15/7/2026).") in text
    assert "Lê Văn Thạch" in text and "Vũ Thị Lập" in text  # leaders are classified too
    invoke("report", ws, "--period", "2026-Y")
    card = docx_text(ws / "rounds/2026-Y/output/van_ban/phieu_danh_gia_don_vi/HUTS_2026-Y.docx")
    assert "thời hạn từ 30/09/2026 thành 31/12/2026 (Công văn số 125-CV/TU ngày 15/7/2026)" in card

    # --- history -------------------------------------------------------------------------------------------
    out = invoke("history", ws, "--period", "2026")
    assert "Lịch sử nhiệm vụ: 6 nhiệm vụ" in out
    hist = openpyxl.load_workbook(ws / "rounds/2026/output/lich_su_nhiem_vu_2026.xlsx")
    trail = [row for row in hist["Diễn biến nhiệm vụ"].iter_rows(min_row=4, values_only=True) if row[3] == "TS-01"]
    assert [row[7] for row in trail] == ["Đăng ký", "quý 1 năm 2026", "6 tháng đầu năm 2026", "9 tháng năm 2026",
                                         "tổng kết năm 2026"]
    assert trail[0][11] == "Đã xác nhận" and trail[2][8] == "Đề nghị điều chỉnh"
    assert "Đồng ý: Điều chỉnh thời hạn 31/12/2026 (Công văn số 125-CV/TU ngày 15/7/2026)" in trail[3][13]
    assert trail[4][11] == "Hoàn thành đúng hạn"
    changes = [row for row in hist["Thay đổi"].iter_rows(min_row=2, values_only=True)]
    assert ("HUTS", "TS-01", "Thời hạn", "30/09/2026", "31/12/2026") in [tuple(c[1:2]) + tuple(c[3:7]) for c in changes]
    # on PostgreSQL the whole year leaves no SQLite file in the workspace
    assert bool(list(ws.rglob("*.sqlite*"))) == (store_url is None)
