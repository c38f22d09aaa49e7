"""Issue 13: the term as one cycle, through the CLI. Breakthrough tasks for named leaders are registered for the
term 2026-2030 and confirmed, reported on at 6 months of 2026 and at the end of 2026 and of 2027 (together with
the yearly register), then `toolkit term --period 2026-2030` writes the term workbook, the term report and one
term scorecard per leader; each is reopened and its contents checked against results worked out by hand."""

from datetime import date

import openpyxl
from test_year_cycle import LEADERS, UNITS, _header, docx_text, fill, invoke, review_rows, set_opinions

from toolkit.workspace.units import write_sample_registry

TERM_LEADERS = LEADERS + [("LD4", "Đỗ Minh Sơn", "Phó Bí thư Thường trực Huyện ủy Thạch Sơn", "HUTS", "có")]
BT_TITLES = {"task_code": "Mã việc", "leader_id": "Mã lãnh đạo được giao", "area": "Lĩnh vực",
             "title": "Nội dung việc đột phá", "indicator": "Chỉ tiêu đo lường", "unit_measure": "Đơn vị tính",
             "target": "Giá trị mục tiêu", "deadline": "Thời hạn hoàn thành", "focal_point": "Đầu mối theo dõi"}
PROGRESS_TITLES = {"status": "Tình trạng", "percent": "% hoàn thành", "actual": "Giá trị đạt được",
                   "completed_on": "Ngày hoàn thành", "results": "Kết quả thực hiện", "delay_cause": "Nguyên nhân chậm"}


def bt(code, leader, title, indicator, um, target, deadline, focal="Ban Tổ chức Tỉnh ủy"):
    return {"task_code": code, "leader_id": leader, "area": "Kinh tế – xã hội", "title": title,
            "indicator": indicator, "unit_measure": um, "target": target, "deadline": deadline, "focal_point": focal}


TERM = {
    "HUTS": [bt("DP-TS-01", "LD1", "Hoàn thành quy hoạch và giải phóng mặt bằng khu công nghiệp Thạch Sơn 200 ha",
                "Diện tích giải phóng mặt bằng", "ha", 200, date(2027, 6, 30)),
             bt("DP-TS-02", "LD4", "Số hoá toàn bộ hồ sơ thủ tục hành chính cấp huyện Thạch Sơn",
                "Tỷ lệ hồ sơ được số hoá", "%", 100, date(2026, 12, 31))],
    "XTL": [bt("DP-TL-01", "LD2", "Xây dựng xã Tân Lập đạt chuẩn nông thôn mới nâng cao với 19 tiêu chí",
               "Số tiêu chí đạt chuẩn", "tiêu chí", 19, date(2027, 12, 31))],
    "BDV": [bt("DP-DV-01", "LD3", "Xây dựng 50 mô hình dân vận khéo cấp tỉnh trong nhiệm kỳ",
               "Số mô hình được công nhận", "mô hình", 50, date(2030, 12, 31)),
            bt("DP-DV-02", "LD3", "Ban hành quy chế đối thoại định kỳ của người đứng đầu cấp ủy với nhân dân",
               "Số quy chế ban hành", "quy chế", 1, date(2026, 12, 31))],
}
ON = "Đang thực hiện – đúng tiến độ"
ON_TRACK = "Đang thực hiện, đúng tiến độ"  # the toolkit's judgement of a task on track


def p(code, status, percent, actual, completed_on=None, cause=None):
    row = {"task_code": code, "status": status, "percent": percent, "actual": actual,
           "results": f"Kết quả của việc {code} trong kỳ: đạt {actual} theo chỉ tiêu đã giao, {percent}% khối lượng."}
    if completed_on:
        row["completed_on"] = completed_on
    if cause:
        row["delay_cause"] = cause
    return row


def test_a_term_of_two_years_with_breakthrough_tasks(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, TERM_LEADERS)
    ws = tmp_path / "Lâm Giang"
    invoke("init", ws, "--office", "Tỉnh ủy Lâm Giang", "--units", registry, "--signer", "Mạc Văn Giang",
           "--signer-title", "Bí thư", "--period", "2026-2030", "--period", "2026-H1", "--period", "2026-Y",
           "--period", "2027-Y", "--deadline", "2026-2030=31/01/2026", "--deadline", "2026-H1=10/07/2026",
           "--deadline", "2026-Y=31/12/2026", "--deadline", "2027-Y=31/12/2027")

    # --- the term's breakthrough tasks, registered and confirmed -----------------------------------------
    out = invoke("templates", ws, "--form", "breakthrough", "--period", "2026-2030")
    outbox, inbox = ws / "rounds/2026-2030/outbox", ws / "rounds/2026-2030/inbox"
    made = sorted(p.name for p in outbox.glob("*.xlsx"))
    assert [n.split("_")[0] for n in made] == ["BDV", "HUTS", "XTL"], out  # the units with leaders
    for unit, rows in TERM.items():
        fill(next(outbox.glob(f"{unit}_*.xlsx")), inbox / f"{unit}_dot_pha.xlsx", date(2026, 1, 25), "Việc đột phá",
             BT_TITLES, rows)
    invoke("collect", ws, "--period", "2026-2030")
    out = invoke("confirm", ws, "--period", "2026-2030")
    assert "Xác nhận đăng ký: 5 nhiệm vụ; đã xác nhận 0, đề nghị sửa 0, không đồng ý 0, chờ ý kiến 5" in out
    review = ws / "rounds/2026-2030/output/xac_nhan_dang_ky_2026-2030.xlsx"
    _, _, _, rows = review_rows(review, "Xác nhận đăng ký")
    assert [(r["Mã đơn vị"], r["Mã nhiệm vụ"], r["Lãnh đạo phụ trách"], r["Thời hạn"]) for r in rows] == [
        ("BDV", "DP-DV-01", "Ngô Thị Vân", "31/12/2030"), ("BDV", "DP-DV-02", "Ngô Thị Vân", "31/12/2026"),
        ("HUTS", "DP-TS-01", "Lê Văn Thạch", "30/06/2027"), ("HUTS", "DP-TS-02", "Đỗ Minh Sơn", "31/12/2026"),
        ("XTL", "DP-TL-01", "Vũ Thị Lập", "31/12/2027")]
    opinions = {(r["Mã đơn vị"], r["Mã nhiệm vụ"]): {"Ý kiến": "Đồng ý"} for r in rows}
    opinions[("XTL", "DP-TL-01")] = {"Ý kiến": "Đề nghị sửa", "Nội dung đề nghị sửa, lý do": "Ghi rõ lộ trình: năm "
                                     "2026 đạt 15 tiêu chí."}
    set_opinions(review, "Xác nhận đăng ký", opinions)
    assert "đã xác nhận 4, đề nghị sửa 1, không đồng ý 0, chờ ý kiến 0" in invoke("confirm", ws, "--period",
                                                                                 "2026-2030")
    sent = openpyxl.load_workbook(ws / "rounds/2026-2030/feedback/xac_nhan/XTL_y_kien_xac_nhan_2026-2030.xlsx")
    assert sent["Việc đột phá"]["D7"].comment.text.startswith(
        "[Cảnh báo] Văn phòng đề nghị sửa nhiệm vụ 'DP-TL-01': Ghi rõ lộ trình: năm 2026 đạt 15 tiêu chí.")
    fixed = [dict(TERM["XTL"][0], title=TERM["XTL"][0]["title"] + ", năm 2026 đạt 15 tiêu chí")]
    fill(next(outbox.glob("XTL_*.xlsx")), inbox / "XTL_dot_pha_sua.xlsx", date(2026, 2, 3), "Việc đột phá",
         BT_TITLES, fixed)  # the commune fixes its task and sends it again
    invoke("collect", ws, "--period", "2026-2030")
    assert "đã xác nhận 4, đề nghị sửa 0, không đồng ý 0, chờ ý kiến 1" in invoke("confirm", ws, "--period",
                                                                                 "2026-2030")
    set_opinions(review, "Xác nhận đăng ký", {("XTL", "DP-TL-01"): {"Ý kiến": "Đồng ý"}})
    assert "đã xác nhận 5, đề nghị sửa 0, không đồng ý 0, chờ ý kiến 0" in invoke("confirm", ws, "--period",
                                                                                 "2026-2030")

    # --- progress rounds: 6 months 2026, year end 2026, year end 2027 -------------------------------------
    def progress_round(period, received, reports):
        invoke("templates", ws, "--form", "progress", "--period", period)
        box, into = ws / f"rounds/{period}/outbox", ws / f"rounds/{period}/inbox"
        for unit, rows in reports.items():
            fill(box / f"{unit}_tien_do_{period}.xlsx", into / f"{unit}_{period}.xlsx", received, "Tiến độ",
                 PROGRESS_TITLES, rows, by_code=True)
        invoke("collect", ws, "--period", period)
        return box

    box = progress_round("2026-H1", date(2026, 7, 6), {
        "HUTS": [p("DP-TS-01", ON, 30, 60), p("DP-TS-02", ON, 40, 40)],
        "XTL": [p("DP-TL-01", ON, 40, 8)],
        "BDV": [p("DP-DV-01", ON, 10, 5), p("DP-DV-02", ON, 50, 0)]})
    wb = openpyxl.load_workbook(box / "HUTS_tien_do_2026-H1.xlsx")
    sheet = wb["Tiến độ"]
    head = _header(sheet)
    prefilled = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=head["Thời hạn"]).value.date()
                 for r in range(7, 9)}
    assert prefilled == {"DP-TS-01": date(2027, 6, 30), "DP-TS-02": date(2026, 12, 31)}  # the term's tasks

    progress_round("2026-Y", date(2026, 12, 28), {
        "HUTS": [p("DP-TS-01", ON, 70, 140), p("DP-TS-02", "Chậm tiến độ", 80, 80, cause="Thiếu nguồn lực (kinh phí, nhân lực)")],
        "XTL": [p("DP-TL-01", ON, 60, 12)],
        "BDV": [p("DP-DV-01", ON, 20, 10), p("DP-DV-02", "Hoàn thành", 100, 1, completed_on=date(2026, 11, 30))]})

    box = progress_round("2027-Y", date(2027, 12, 27), {
        "HUTS": [p("DP-TS-01", "Hoàn thành", 100, 200, completed_on=date(2027, 5, 20)),
                 p("DP-TS-02", "Hoàn thành", 100, 100, completed_on=date(2027, 3, 15))],
        "XTL": [p("DP-TL-01", "Không hoàn thành", 85, 16, cause="Thiếu nguồn lực (kinh phí, nhân lực)")],
        "BDV": [p("DP-DV-01", ON, 45, 22)]})  # DP-DV-02 was finished in 2026: nothing to report
    wb = openpyxl.load_workbook(box / "BDV_tien_do_2027-Y.xlsx")
    sheet = wb["Tiến độ"]
    head = _header(sheet)
    carried = {sheet.cell(row=r, column=1).value: (sheet.cell(row=r, column=head["Tình trạng"]).value,
                                                   sheet.cell(row=r, column=head["% hoàn thành"]).value)
               for r in range(7, 9)}
    assert carried == {"DP-DV-01": (ON, 20), "DP-DV-02": ("Hoàn thành", 100)}  # last year's values carried

    # --- the trail of each task across the rounds ----------------------------------------------------------
    assert "Lịch sử nhiệm vụ: 5 nhiệm vụ, 20 dòng qua 3 kỳ báo cáo" in invoke("history", ws, "--period", "2026-2030")
    hist = openpyxl.load_workbook(ws / "rounds/2026-2030/output/lich_su_nhiem_vu_2026-2030.xlsx")
    trail = [(r[7], r[8], r[9], r[11]) for r in hist["Diễn biến nhiệm vụ"].iter_rows(min_row=4, values_only=True)
             if r[3] == "DP-TS-02"]
    assert trail == [("Đăng ký", None, None, "Đã xác nhận"), ("6 tháng đầu năm 2026", ON, 40, ON_TRACK),
                     ("tổng kết năm 2026", "Chậm tiến độ", 80, "Quá hạn, chưa hoàn thành"),
                     ("tổng kết năm 2027", "Hoàn thành", 100, "Hoàn thành quá hạn")]

    # --- the term ----------------------------------------------------------------------------------------
    out = invoke("term", ws, "--period", "2026-2030")
    assert "Nhiệm kỳ: 5 việc của 4 đồng chí lãnh đạo, theo dõi qua các năm 2026, 2027, 2028, 2029, 2030." in out
    book = openpyxl.load_workbook(ws / "rounds/2026-2030/output/theo_doi_nhiem_ky_2026-2030.xlsx")
    rows = list(book["Theo việc"].iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("Đồng chí lãnh đạo", "Mã đơn vị", "Tên đơn vị", "Mã việc", "Nội dung", "Thời hạn", "Năm 2026",
                       "Năm 2027", "Năm 2028", "Năm 2029", "Năm 2030", "Kết quả đến nay")
    assert [r[0:2] + r[3:4] + r[5:] for r in rows[1:]] == [
        ("Lê Văn Thạch – Bí thư Huyện ủy Thạch Sơn", "HUTS", "DP-TS-01", "30/06/2027", ON_TRACK,
         "Hoàn thành đúng hạn", None, None, None, "Hoàn thành đúng hạn"),
        ("Vũ Thị Lập – Bí thư Đảng ủy xã Tân Lập", "XTL", "DP-TL-01", "31/12/2027", ON_TRACK,  # reported so by
         "Không hoàn thành", None, None, None, "Không hoàn thành"),  # the unit at its deadline: not "overdue"
        ("Ngô Thị Vân – Trưởng Ban Dân vận", "BDV", "DP-DV-01", "31/12/2030", ON_TRACK, ON_TRACK,
         None, None, None, ON_TRACK),
        ("Ngô Thị Vân – Trưởng Ban Dân vận", "BDV", "DP-DV-02", "31/12/2026", "Hoàn thành đúng hạn",
         "Hoàn thành đúng hạn", None, None, None, "Hoàn thành đúng hạn"),
        ("Đỗ Minh Sơn – Phó Bí thư Thường trực Huyện ủy Thạch Sơn", "HUTS", "DP-TS-02", "31/12/2026",
         "Quá hạn, chưa hoàn thành", "Hoàn thành quá hạn", None, None, None, "Hoàn thành quá hạn")]
    by_leader = list(book["Theo lãnh đạo"].iter_rows(values_only=True))
    assert by_leader[0] == ("Đồng chí lãnh đạo", "Số việc", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
                            "Chưa hoàn thành", "Đang thực hiện", "Đưa ra khỏi danh mục")
    assert sorted(by_leader[1:]) == [
        ("Lê Văn Thạch – Bí thư Huyện ủy Thạch Sơn", 1, 1, 0, 0, 0, 0),
        ("Ngô Thị Vân – Trưởng Ban Dân vận", 2, 1, 0, 0, 1, 0),
        ("Vũ Thị Lập – Bí thư Đảng ủy xã Tân Lập", 1, 0, 0, 1, 0, 0),
        ("Đỗ Minh Sơn – Phó Bí thư Thường trực Huyện ủy Thạch Sơn", 1, 0, 1, 0, 0, 0)]
    by_unit = list(book["Theo đơn vị"].iter_rows(values_only=True))
    assert by_unit[1:] == [("BDV", "Ban Dân vận Tỉnh ủy", 2, 1, 0, 0, 1, 0),
                           ("HUTS", "Huyện ủy Thạch Sơn", 2, 1, 1, 0, 0, 0),
                           ("XTL", "Đảng ủy xã Tân Lập", 1, 0, 0, 1, 0, 0)]

    docs = ws / "rounds/2026-2030/output/van_ban"
    report = docx_text(docs / "bao_cao_nhiem_ky_2026-2030.docx")
    assert ("Có 5 việc giao cho 4 đồng chí lãnh đạo: 2 hoàn thành đúng hạn, 1 hoàn thành quá hạn, 1 chưa hoàn thành "
            "khi đã đến hạn, 1 đang thực hiện.") in report
    assert "2026: Quá hạn, chưa hoàn thành; 2027: Hoàn thành quá hạn" in report
    cards = sorted(x.name for x in (docs / "phieu_theo_doi_nhiem_ky").glob("*.docx"))
    assert cards == ["LD1_2026-2030.docx", "LD2_2026-2030.docx", "LD3_2026-2030.docx", "LD4_2026-2030.docx"]
    card = docx_text(docs / "phieu_theo_doi_nhiem_ky/LD3_2026-2030.docx")
    assert "Ngô Thị Vân, Trưởng Ban Dân vận" in card
    assert ("Được giao 2 việc: 1 hoàn thành đúng hạn, 0 hoàn thành quá hạn, 0 chưa hoàn thành khi đã đến hạn, "
            "1 đang thực hiện.") in card
    assert "Kết quả nhiệm kỳ: Đã hoàn thành 1/2 việc, còn 1 việc đang thực hiện." in card
    assert "Ban hành quy chế đối thoại định kỳ" in card and "2026: Hoàn thành đúng hạn" in card
    assert "Xây dựng xã Tân Lập" not in card
    card = docx_text(docs / "phieu_theo_doi_nhiem_ky/LD2_2026-2030.docx")
    assert "Kết quả nhiệm kỳ: Chưa hoàn thành 1/1 việc đã đến hạn." in card
    assert "2026: Đang thực hiện, đúng tiến độ; 2027: Không hoàn thành" in card
