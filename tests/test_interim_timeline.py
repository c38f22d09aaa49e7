"""A task not yet due is judged against its own timeline (start date → deadline; without a start date, from its
register's first day), the same way in every output of the round: the consolidated workbook, the classification
(and its "Quy tắc" sheet), the report and its comparison with the previous period. Tasks of one quarter, one year
and a whole term, through the CLI, for an invented town committee (Thị ủy Bến Ngự, tỉnh Lam Giang)."""

import json
from datetime import date

import openpyxl
from clerk_helpers import bt, fill, invoke, outbox, prog
from conftest import docx_text, rows_of

from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("BN", "Thị ủy Bến Ngự", "Thị xã", "", "Trần Văn Ngự", "Bí thư Thị ủy", "vp@benngu.vn"),
    ("X.PT-01", "Đảng ủy xã Phú Thượng", "Xã", "BN", "Lê Thị Thượng", "Bí thư Đảng ủy", "phuthuong@benngu.vn"),
    ("B-TG", "Ban Tuyên giáo Thị ủy", "Ban đảng", "BN", "Võ Văn Giáo", "Trưởng ban", "btg@benngu.vn"),
]
LEADERS = [
    ("L-01", "Trần Văn Ngự", "Bí thư Thị ủy", "BN", "có"),
    ("L-02", "Lê Thị Thượng", "Bí thư Đảng ủy xã Phú Thượng", "X.PT-01", "có"),
    ("L-03", "Võ Văn Giáo", "Trưởng Ban Tuyên giáo", "B-TG", "có"),
]
NOT_STARTED = "Chưa triển khai"
TOT, KHT = "Hoàn thành tốt nhiệm vụ", "Không hoàn thành nhiệm vụ"


def reg(code, title, deadline, leader, start=None):
    row = {"Mã nhiệm vụ": code, "Lĩnh vực": "Xây dựng Đảng", "Loại nhiệm vụ": "Trọng tâm", "Tên nhiệm vụ": title,
           "Mã lãnh đạo phụ trách": leader, "Chỉ tiêu đo lường": "Số lượng", "Đơn vị tính": "việc",
           "Giá trị mục tiêu": 4, "Thời hạn hoàn thành": deadline, "Trọng số": 1}
    if start:
        row["Ngày bắt đầu"] = start
    return row


def test_tasks_not_yet_due_follow_their_own_timeline(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Thị ủy Bến Ngự"
    invoke("init", ws, "--office", "Thị ủy Bến Ngự", "--parent-body", "Đảng bộ tỉnh Lam Giang", "--units", registry,
           "--period", "2026-2030", "--period", "2026", "--period", "2026-Q1", "--period", "2026-H1",
           "--deadline", "2026-2030=31/03/2026", "--deadline", "2026=31/01/2026",
           "--deadline", "2026-Q1=10/04/2026", "--deadline", "2026-H1=10/07/2026")
    # the term's breakthrough task: due 31/12/2028, no start date (it starts with the term, 01/01/2026)
    invoke("templates", ws, "--form", "breakthrough", "--period", "2026-2030")
    tpl = outbox(ws, "2026-2030", ["B-TG"])
    fill(tpl["B-TG"], ws / "rounds/2026-2030/inbox/btg.xlsx", date(2026, 3, 20), [
        bt("DP.TG-1", "L-03", "Số hóa 30 đầu tài liệu lịch sử Đảng bộ thị xã", 30, "đầu tài liệu", date(2028, 12, 31))])
    invoke("collect", ws, "--period", "2026-2030")
    # the year's registration: a one-quarter task (01/02 → 30/04) and one-year tasks without a start date
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    tpl = outbox(ws, "2026", ["X.PT-01", "B-TG"])
    inbox = ws / "rounds/2026/inbox"
    fill(tpl["X.PT-01"], inbox / "pt.xlsx", date(2026, 1, 20), [
        reg("PT-Q", "Tổ chức 4 hội nghị đối thoại với nhân dân quý 2", date(2026, 4, 30), "L-02", date(2026, 2, 1)),
        reg("PT-Y", "Kết nạp 4 đảng viên là người dân tộc thiểu số", date(2026, 12, 31), "L-02")])
    fill(tpl["B-TG"], inbox / "tg.xlsx", date(2026, 1, 21), [
        reg("TG-Y", "Biên soạn 4 chuyên đề giáo dục truyền thống địa phương", date(2026, 12, 31), "L-03")])
    invoke("collect", ws, "--period", "2026")

    # --- Q1: everything reported "Chưa triển khai" -----------------------------------------------------------
    invoke("templates", ws, "--form", "progress", "--period", "2026-Q1")
    tpl = outbox(ws, "2026-Q1", ["X.PT-01", "B-TG"])
    inbox = ws / "rounds/2026-Q1/inbox"
    fill(tpl["X.PT-01"], inbox / "pt.xlsx", date(2026, 4, 5), [prog("PT-Q", NOT_STARTED, 0),
                                                              prog("PT-Y", NOT_STARTED, 0)], by_code=True)
    fill(tpl["B-TG"], inbox / "tg.xlsx", date(2026, 4, 6), [prog("TG-Y", NOT_STARTED, 0),
                                                           prog("DP.TG-1", NOT_STARTED, 0)], by_code=True)
    invoke("collect", ws, "--period", "2026-Q1")
    out = invoke("score", ws, "--period", "2026-Q1", "--json")
    # by hand, at 31/03/2026 (share elapsed = days since the start / days of the span; behind when over 25 %):
    #   PT-Q (one quarter, 01/02 → 30/04): 58/88 = 65,9 % -> behind;  PT-Y (one year, 01/01 → 31/12): 89/364 = 24,5 %
    #   -> on schedule;  TG-Y: 24,5 % -> on schedule;  DP.TG-1 (term, 01/01/2026 → 31/12/2028): 89/1095 = 8,1 %
    #   -> on schedule.  X.PT-01: PT-Q counts nothing, PT-Y in full -> 50, late 1/2 -> "không hoàn thành";
    #   B-TG: both on schedule -> 100 -> "tốt" (20 % of 1 unit is no place for "xuất sắc")
    result = json.loads(out)
    units = {s["subject_id"]: (s["score"], s["level"], s["detail"]["behind"]) for s in result["units"]}
    assert units == {"X.PT-01": (50.0, KHT, 1), "B-TG": (100.0, TOT, 0)}
    leaders = {s["subject_id"]: (s["score"], s["level"]) for s in result["leaders"]}
    assert leaders == {"L-02": (50.0, KHT), "L-03": (100.0, TOT)}
    why = " ".join(next(s for s in result["units"] if s["subject_id"] == "B-TG")["detail"]["why"])
    assert "Nhiệm vụ DP.TG-1: chưa triển khai, đã qua 8,1% thời gian thực hiện (01/01/2026 – 31/12/2028): còn " \
           "trong lộ trình." in why
    why = " ".join(next(s for s in result["units"] if s["subject_id"] == "X.PT-01")["detail"]["why"])
    assert "Nhiệm vụ PT-Q: chưa triển khai khi đã qua 65,9% thời gian thực hiện (01/02/2026 – 30/04/2026), quá " \
           "25%: chậm tiến độ." in why

    invoke("merge", ws, "--period", "2026-Q1")
    merged = ws / "rounds/2026-Q1/output/tong_hop_tien_do_2026-Q1.xlsx"
    data = {r["Mã nhiệm vụ"]: r for r in rows_of(merged, "Dữ liệu", 1)}
    assert {k: (r["Đánh giá"], r["Thời gian đã qua (%)"]) for k, r in data.items()} == {
        "PT-Q": ("Chậm tiến độ, còn hạn", 65.9), "PT-Y": ("Chưa triển khai", 24.5),
        "TG-Y": ("Chưa triển khai", 24.5), "DP.TG-1": ("Chưa triển khai", 8.1)}
    summary = {r["Mã đơn vị"]: r for r in rows_of(merged, "Tổng hợp theo đơn vị", 4) if r["Mã đơn vị"]}
    assert {k: (r["Chậm tiến độ, còn hạn"], r["Chưa triển khai"]) for k, r in summary.items()} == {
        "X.PT-01": (1, 1), "B-TG": (0, 2)}
    note = openpyxl.load_workbook(merged)["Tổng hợp theo đơn vị"]["A2"].value
    assert "vượt quá 25%" in note and "đầu nhiệm kỳ" in note
    classification = ws / "rounds/2026-Q1/output/xep_loai_2026-Q1.xlsx"
    rated = {r["Mã"]: r for r in rows_of(classification, "Xếp loại đơn vị", 4)}
    # the classification counts behind exactly what the consolidated workbook shows behind
    assert {k: (r["Chưa đến hạn: đúng tiến độ"], r["Chưa đến hạn: chậm tiến độ"]) for k, r in rated.items()} == {
        "X.PT-01": (1, 1), "B-TG": (2, 0)}
    rules = [c.value for c in openpyxl.load_workbook(classification)["Quy tắc"]["A"] if c.value]
    assert any(line.startswith("Nhiệm vụ chưa đến hạn được đánh giá theo lộ trình của chính nhiệm vụ") for line in rules)
    assert any("là chậm tiến độ khi phần thời gian đã qua vượt quá 25%" in line for line in rules)
    invoke("report", ws, "--period", "2026-Q1")
    report = docx_text(ws / "rounds/2026-Q1/output/van_ban/bao_cao_tong_hop_2026-Q1.docx")
    assert "4 nhiệm vụ chưa đến hạn: 0 đang thực hiện đúng tiến độ, 1 chậm tiến độ, 3 chưa triển khai" in report
    assert "vượt quá 25%" in report
    assert "Đảng ủy xã Phú Thượng | 50 | Không hoàn thành nhiệm vụ" in report
    assert "Ban Tuyên giáo Thị ủy | 100 | Hoàn thành tốt nhiệm vụ" in report

    # --- H1: still nothing started ------------------------------------------------------------------------------
    invoke("templates", ws, "--form", "progress", "--period", "2026-H1")
    tpl = outbox(ws, "2026-H1", ["X.PT-01", "B-TG"])
    inbox = ws / "rounds/2026-H1/inbox"
    fill(tpl["X.PT-01"], inbox / "pt.xlsx", date(2026, 7, 5), [prog("PT-Q", NOT_STARTED, 0),
                                                              prog("PT-Y", NOT_STARTED, 0)], by_code=True)
    fill(tpl["B-TG"], inbox / "tg.xlsx", date(2026, 7, 6), [prog("TG-Y", NOT_STARTED, 0),
                                                           prog("DP.TG-1", NOT_STARTED, 0)], by_code=True)
    invoke("collect", ws, "--period", "2026-H1")
    # by hand, at 30/06/2026: PT-Q is past its deadline -> overdue; PT-Y, TG-Y: 180/364 = 49,5 % -> behind;
    # DP.TG-1: 180/1095 = 16,4 % -> on schedule.  X.PT-01: 0;  B-TG: 50, late 1/2
    out = invoke("score", ws, "--period", "2026-H1", "--json")
    units = {s["subject_id"]: (s["score"], s["level"]) for s in json.loads(out)["units"]}
    assert units == {"X.PT-01": (0.0, KHT), "B-TG": (50.0, KHT)}
    invoke("merge", ws, "--period", "2026-H1")
    merged = ws / "rounds/2026-H1/output/tong_hop_tien_do_2026-H1.xlsx"
    data = {r["Mã nhiệm vụ"]: r for r in rows_of(merged, "Dữ liệu", 1)}
    assert {k: (r["Đánh giá"], r["Thời gian đã qua (%)"]) for k, r in data.items()} == {
        "PT-Q": ("Quá hạn, chưa hoàn thành", None), "PT-Y": ("Chậm tiến độ, còn hạn", 49.5),
        "TG-Y": ("Chậm tiến độ, còn hạn", 49.5), "DP.TG-1": ("Chưa triển khai", 16.4)}
    invoke("report", ws, "--period", "2026-H1")
    report = docx_text(ws / "rounds/2026-H1/output/van_ban/bao_cao_tong_hop_2026-H1.docx")
    # the comparison counts what each period's own report counted: Q1 had 1 task behind, H1 has 2
    assert ("So với quý 1 năm 2026: số nhiệm vụ đã hoàn thành không đổi (0); số nhiệm vụ quá hạn, chưa hoàn thành "
            "tăng từ 0 lên 1; số nhiệm vụ chậm tiến độ tăng từ 1 lên 2") in report
