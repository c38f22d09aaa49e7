"""Issue 21: a clerk's first real round, through the CLI, with a registry of her own (Tỉnh ủy Sơn Hà, not the sample
province): registration with the usual mistakes, a resubmission made inside the feedback copy, a 6-month report with
tasks not yet due, score, report. Every workbook and Word document written is reopened and checked against figures
worked out by hand here."""

import json
import os
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import docx_text, rows_of, workbook_text

from toolkit.cli import cli
from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("SH", "Tỉnh ủy Sơn Hà", "Tỉnh", "", "Lò Văn Sơn", "Bí thư Tỉnh ủy", "vptu@sonha.dcs.vn"),
    ("HUDL", "Huyện ủy Đồng Lâm", "Huyện", "SH", "Vi Văn Lâm", "Bí thư Huyện ủy", "hudonglam@sonha.dcs.vn"),
    ("XDT", "Đảng ủy xã Đồng Tiến", "Xã", "HUDL", "Hà Thị Tiến", "Bí thư Đảng ủy", "dongtien@sonha.dcs.vn"),
    ("XDX", "Đảng ủy xã Đồng Xuân", "Xã", "HUDL", "Nông Văn Xuân", "Bí thư Đảng ủy", "dongxuan@sonha.dcs.vn"),
    ("BTC", "Ban Tổ chức Tỉnh ủy", "Ban đảng", "SH", "Lục Thị Hoa", "Trưởng ban", "btc@sonha.dcs.vn"),
    ("PTA", "Đảng ủy phường Tân An", "Phường", "SH", "Đàm Văn An", "Bí thư Đảng ủy", "tanan@sonha.dcs.vn"),
    ("XBM", "Đảng ủy xã Bình Minh", "Xã", "SH", "Hoàng Văn Minh", "Bí thư Đảng ủy", "binhminh@sonha.dcs.vn"),
]
LEADERS = [
    ("L01", "Lò Văn Sơn", "Bí thư Tỉnh ủy", "SH", "có"),
    ("L02", "Vi Văn Lâm", "Bí thư Huyện ủy Đồng Lâm", "HUDL", "có"),
    ("L03", "Hà Thị Tiến", "Bí thư Đảng ủy xã Đồng Tiến", "XDT", "không"),
    ("L04", "Nông Văn Xuân", "Bí thư Đảng ủy xã Đồng Xuân", "XDX", "không"),
    ("L05", "Lục Thị Hoa", "Trưởng Ban Tổ chức", "BTC", "có"),
    ("L06", "Đàm Văn An", "Bí thư Đảng ủy phường Tân An", "PTA", "không"),
]
XS, TOT, HT, KHT = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
                    "Không hoàn thành nhiệm vụ")


def invoke(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def task(code, title, deadline, **kw):
    row = {"task_code": code, "area": "Xây dựng Đảng", "kind": "Trọng tâm", "title": title,
           "indicator": "Số lượng", "unit_measure": "việc", "target": 10, "start_date": date(2026, 1, 1),
           "deadline": deadline, "weight": 1}
    row.update(kw)
    return row


def fill(template: Path, out: Path, sheet: str, rows: list[dict], received: date, key_col: str | None = None,
         after=None):
    """Fill a template as unit staff do: by column title, into the prefilled task's row (progress) or the next
    empty row; ``after`` may add things below the table (footers)."""
    wb = openpyxl.load_workbook(template)
    ws = wb[sheet]
    header = {c.value: c.column for c in ws[6] if c.value}
    titles = {"task_code": "Mã nhiệm vụ", "area": "Lĩnh vực", "kind": "Loại nhiệm vụ", "title": "Tên nhiệm vụ",
              "parent_code": "Mã nhiệm vụ cấp trên", "leader_id": "Mã lãnh đạo phụ trách", "indicator": "Chỉ tiêu đo lường",
              "unit_measure": "Đơn vị tính", "target": "Giá trị mục tiêu", "start_date": "Ngày bắt đầu",
              "deadline": "Thời hạn hoàn thành", "weight": "Trọng số", "status": "Tình trạng", "percent": "% hoàn thành",
              "actual": "Giá trị đạt được", "completed_on": "Ngày hoàn thành", "results": "Kết quả thực hiện",
              "delay_cause": "Nguyên nhân chậm", "proposals": "Kiến nghị, đề xuất", "evidence": "Văn bản minh chứng"}
    for i, row in enumerate(rows):
        r = 7 + i
        if key_col:
            r = next(c.row for c in ws["A"] if c.value == row[key_col])
        for name, value in row.items():
            if key_col and name == key_col:
                continue
            cell = ws.cell(row=r, column=header[titles[name]], value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    if after:
        after(ws)
    wb.save(out)
    ts = datetime(received.year, received.month, received.day, 9).timestamp()
    os.utime(out, (ts, ts))
    return out


def footer(ws):
    """What almost every Vietnamese form has below the table: a totals row, a note, place and date, signatures."""
    last = max(c.row for c in ws["A"] if c.value) + 1
    ws.cell(row=last, column=4, value="Tổng cộng")
    ws.cell(row=last, column=11, value=20)
    ws.cell(row=last + 2, column=1, value="Ghi chú: số liệu tính đến 20/01/2026")
    ws.cell(row=last + 3, column=10, value="Tân An, ngày 20 tháng 01 năm 2026")
    ws.merge_cells(start_row=last + 3, start_column=10, end_row=last + 3, end_column=14)
    ws.cell(row=last + 4, column=2, value="NGƯỜI LẬP BIỂU")
    ws.cell(row=last + 4, column=10, value="T/M BAN THƯỜNG VỤ")
    ws.cell(row=last + 5, column=10, value="(Ký, ghi rõ họ tên)")
    ws.cell(row=last + 8, column=10, value="Đàm Văn An")


def test_clerks_first_round(tmp_path):
    registry = tmp_path / "don_vi_son_ha.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "NhiemVu Sơn Hà"
    out = invoke("init", ws, "--office", "Tỉnh ủy Sơn Hà", "--units", registry, "--signer", "Lò Văn Sơn",
                 "--signer-title", "Bí thư", "--period", "2026", "--period", "2026-H1",
                 "--deadline", "2026=31/01/2026", "--deadline", "2026-H1=10/07/2026")
    assert "Kỳ 2026: hạn nộp 31/01/2026 đã qua" in out  # today is later: the clerk is told
    settings = (ws / "settings.yaml").read_text(encoding="utf-8")
    assert "ĐẢNG BỘ TỈNH SƠN HÀ" in settings and "HÒA AN" not in settings and "Hòa An" not in settings

    # --- registration ------------------------------------------------------------------------------
    out = invoke("templates", ws, "--form", "registration", "--period", "2026")
    assert "Đã tạo 6 biểu mẫu đăng ký nhiệm vụ kỳ 2026" in out
    assert "Tỉnh ủy Sơn Hà (SH): đơn vị cấp cao nhất" in out
    outbox, inbox = ws / "rounds/2026/outbox", ws / "rounds/2026/inbox"
    assert sorted(p.name for p in outbox.iterdir())[0] == "BTC_dang_ky_2026.xlsx"
    tpl = {p.name.split("_")[0]: p for p in outbox.iterdir()}
    sheet = "Nhiệm vụ"
    fill(tpl["HUDL"], inbox / "HUDL.xlsx", sheet, [
        task("HUDL-01", "Kết nạp 200 đảng viên mới trên địa bàn huyện", date(2026, 12, 31), leader_id="L02"),
        task("HUDL-02", "Hoàn thành Báo cáo 12-BC/BCH tổng kết công tác xây dựng Đảng", date(2026, 3, 31),
             target=1, unit_measure="báo cáo")], date(2026, 1, 20))
    fill(tpl["XDT"], inbox / "XDT.xlsx", sheet, [
        task("XDT-01", "Kết nạp 20 đảng viên mới tại xã Đồng Tiến", date(2026, 11, 30), parent_code="HUDL-01",
             leader_id="L03"),
        task("XDT-02", "Xây dựng 3 mô hình dân vận khéo ở xã Đồng Tiến", date(2026, 12, 31),
             start_date=date(2026, 9, 1), target=3)], date(2026, 1, 21))
    xdx = [task("XDX-01", "Hoàn thành 4,5 km đường giao thông nông thôn xã Đồng Xuân", date(2026, 10, 31), target=4.5,
                unit_measure="km", leader_id="Nông Văn Xuân", area="Kinh tế xã hội sai"),
           task("XDX-02", "Kết nạp 15 đảng viên mới tại xã Đồng Xuân", date(2026, 12, 31), parent_code="HUDL-01")]
    fill(tpl["XDX"], inbox / "XDX.xlsx", sheet, xdx, date(2026, 1, 22))
    fill(tpl["PTA"], inbox / "PTA.xlsx", sheet, [
        task("PTA-01", "Hoàn thành 10 hồ sơ số hoá thủ tục hành chính phường Tân An", date(2026, 5, 31)),
        task("PTA-02", "Giải phóng mặt bằng 10 ha khu đô thị Tân An", date(2026, 9, 30))], date(2026, 1, 23),
        after=footer)
    fill(tpl["BTC"], inbox / "BTC.xlsx", sheet, [
        task("BTC-01", "Thẩm định 12 đề án nhân sự cấp ủy", date(2026, 4, 30), target=12),
        task("BTC-02", "Rà soát quy hoạch cán bộ 50 cơ sở đảng", date(2026, 12, 31), target=50)], date(2026, 1, 19))
    out = invoke("collect", ws, "--period", "2026", "--json", code=1)
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert {k: f["status"] for k, f in files.items()} == {
        "BTC.xlsx": "accepted", "HUDL.xlsx": "accepted", "PTA.xlsx": "accepted", "XDT.xlsx": "accepted",
        "XDX.xlsx": "rejected"}
    xdx_issues = {(i["code"], i["cell"]) for i in files["XDX.xlsx"]["issues"]}
    assert ("choice-error", "B7") in xdx_issues and ("leader-by-name", "F7") in xdx_issues
    choice = next(i for i in files["XDX.xlsx"]["issues"] if i["code"] == "choice-error")
    assert "Xây dựng Đảng; Kinh tế – xã hội; Quốc phòng – an ninh; Dân vận; Cải cách hành chính; Văn hóa – xã hội; " \
           "Khác" in choice["hint"]  # the whole list of allowed values, never cut
    pta = {i["code"]: i for i in files["PTA.xlsx"]["issues"]}
    assert set(pta) == {"table-footer"} and pta["table-footer"]["row"] == 9  # right under the two tasks

    # XDX fixes its file inside the feedback copy and sends that back
    fb = Path(files["XDX.xlsx"]["feedback"])
    wb = openpyxl.load_workbook(fb)
    assert wb.sheetnames[0] == "Lỗi cần sửa"
    wb[sheet]["B7"] = "Kinh tế – xã hội"
    wb.save(inbox / "XDX_da_sua.xlsx")
    ts = datetime(2026, 1, 25, 9).timestamp()
    os.utime(inbox / "XDX_da_sua.xlsx", (ts, ts))
    out = invoke("collect", ws, "--period", "2026", "--json")  # exit 0: XDX's rejected file has been replaced
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert files["XDX_da_sua.xlsx"]["status"] == "accepted"
    assert not [i for i in files["XDX_da_sua.xlsx"]["issues"] if i["code"] == "sheet-extra"]
    assert files["XDX.xlsx"]["status"] == "duplicate_rejected" and files["XDX.xlsx"]["replaced"] == "XDX_da_sua.xlsx"
    assert files["BTC.xlsx"]["status"] == "duplicate" and files["BTC.xlsx"]["status_label"] == "Đã tiếp nhận trước đó"

    out = invoke("merge", ws, "--period", "2026")
    merged = ws / "rounds/2026/output/tong_hop_dang_ky_2026.xlsx"
    assert str(merged) in out
    data = {r["Mã nhiệm vụ"]: r for r in rows_of(merged, "Dữ liệu", 1)}
    assert set(data) == {"HUDL-01", "HUDL-02", "XDT-01", "XDT-02", "XDX-01", "XDX-02", "PTA-01", "PTA-02",
                         "BTC-01", "BTC-02"}  # the footer rows of PTA are not data
    assert data["HUDL-02"]["Tên nhiệm vụ"] == "Hoàn thành Báo cáo 12-BC/BCH tổng kết công tác xây dựng Đảng"
    assert data["XDT-01"]["Mã nhiệm vụ cấp trên"] == "HUDL-01"  # the cascade link, not the unit's parent unit
    assert data["XDX-01"]["Mã lãnh đạo phụ trách"] == "L04"
    assert data["XDX-01"]["Mã lãnh đạo phụ trách – họ tên"] == "Nông Văn Xuân"
    assert data["PTA-02"]["Dòng"] == 8

    out = invoke("report", ws, "--period", "2026")
    docs = ws / "rounds/2026/output/van_ban"
    commitment = docx_text(docs / "ban_cam_ket/ban_cam_ket_XDT_2026.docx")
    assert "ĐẢNG BỘ HUYỆN ĐỒNG LÂM\nĐẢNG ỦY XÃ ĐỒNG TIẾN" in commitment  # a commune under its district
    assert "Kính gửi: Ban Thường vụ Huyện ủy Đồng Lâm" in commitment
    assert "T/M BAN THƯỜNG VỤ HUYỆN ỦY ĐỒNG LÂM" in commitment and "Đồng Tiến, ngày" in commitment
    assert "Các đầu việc cụ thể" not in commitment  # no work items: no empty table
    board = docx_text(docs / "ban_cam_ket/ban_cam_ket_BTC_2026.docx")  # a board of the committee: its place
    assert "Sơn Hà, ngày" in board and "ủy, ngày" not in board
    assert "Hoàn thành 4,5 km" in docx_text(docs / "ban_cam_ket/ban_cam_ket_XDX_2026.docx")
    assert "Số lượng 4,5 km" in docx_text(docs / "ban_cam_ket/ban_cam_ket_XDX_2026.docx")
    missing = docx_text(docs / "danh_sach_chua_nop_dang_ky_2026.docx")
    assert "ĐẢNG BỘ TỈNH SƠN HÀ\nTỈNH ỦY" in missing and "-TB/TU" in missing
    assert "Đảng ủy xã Bình Minh | Chưa nộp | Hoàng Văn Minh (Bí thư Đảng ủy)\nbinhminh@sonha.dcs.vn" in missing
    assert "Văn bản còn để trống: số văn bản" in out
    assert "Điền ở trang 'Thiết lập' của cau_hinh.xlsx" in out  # where this office keeps its identity

    # --- 6 months: tasks not yet due are judged by progress -------------------------------------------------
    out = invoke("templates", ws, "--form", "progress", "--period", "2026-H1")
    assert "Đã tạo 5 biểu mẫu báo cáo tiến độ" in out
    assert "Đảng ủy xã Bình Minh (XBM): chưa có nhiệm vụ đã đăng ký" in out
    outbox, inbox = ws / "rounds/2026-H1/outbox", ws / "rounds/2026-H1/inbox"
    tpl = {p.name.split("_")[0]: p for p in outbox.iterdir()}
    prog = "Tiến độ"
    on = "Đang thực hiện – đúng tiến độ"
    fill(tpl["HUDL"], inbox / "HUDL_6t.xlsx", prog, [
        {"task_code": "HUDL-01", "status": on, "percent": 40, "actual": 80},
        {"task_code": "HUDL-02", "status": "Hoàn thành", "percent": 100, "actual": 1,
         "completed_on": date(2026, 3, 20), "results": "Đã ban hành Báo cáo 12-BC/BCH ngày 20/3/2026."}],
        date(2026, 7, 5), key_col="task_code")
    fill(tpl["XDT"], inbox / "XDT_6t.xlsx", prog, [
        {"task_code": "XDT-01", "status": on, "percent": 50, "actual": 10},
        {"task_code": "XDT-02", "status": "Chưa triển khai", "percent": 0}], date(2026, 7, 6), key_col="task_code")
    fill(tpl["XDX"], inbox / "XDX_6t.xlsx", prog, [
        {"task_code": "XDX-01", "status": "Chậm tiến độ", "percent": 30, "actual": 1.35,
         "delay_cause": "Thiếu nguồn lực (kinh phí, nhân lực)"},
        {"task_code": "XDX-02", "status": on, "percent": 60}], date(2026, 7, 8), key_col="task_code")
    fill(tpl["PTA"], inbox / "PTA_6t.xlsx", prog, [
        {"task_code": "PTA-01", "status": "Hoàn thành", "percent": 100, "actual": 9, "completed_on": date(2026, 5, 25)},
        {"task_code": "PTA-02", "status": "Không hoàn thành", "percent": 20,
         "delay_cause": "Phụ thuộc nhà đầu tư, doanh nghiệp"}], date(2026, 7, 9), key_col="task_code")
    # BTC sends nothing
    out = invoke("collect", ws, "--period", "2026-H1")
    assert "4 tiếp nhận, 0 không tiếp nhận" in out
    out = invoke("score", ws, "--period", "2026-H1", "--json")
    scores = {s["subject_id"]: s for s in json.loads(out)["units"]}
    # by hand: score = 100 × (0.4 quantity + 0.3 schedule + 0.3 quality), tasks not yet due count in full when on
    # schedule and nothing when behind; no general-criteria points, so the task points are on a 100 scale
    #   HUDL: HUDL-02 done on time (1/1), HUDL-01 on schedule -> 100;  XDT: both on schedule (XDT-02 starts 01/09) -> 100
    #   PTA: PTA-01 done on time, quality 9/10; PTA-02 reported not done (20 %) -> q .5 s .5 a .55 -> 51.5, 50 % late
    #   XDX: XDX-01 behind, XDX-02 on schedule -> 50, 50 % late;  BTC: no report, both tasks count as not done -> 0
    assert {k: (v["score"], v["detail"]["assigned"], v["detail"]["late"]) for k, v in scores.items()} == {
        "HUDL": (100.0, 1, 0), "XDT": (100.0, 0, 0), "PTA": (51.5, 2, 1), "XDX": (50.0, 0, 1), "BTC": (0.0, 1, 2)}
    levels = {k: v["level"] for k, v in scores.items()}
    # two at the top, but 20 % of 2 units rated "tốt" or better is 0.4 -> no place: both "tốt"
    assert levels == {"HUDL": TOT, "XDT": TOT, "PTA": KHT, "XDX": KHT, "BTC": KHT}
    assert [s["detail"]["rank"] for s in json.loads(out)["units"]] == [1, 2, 3, 4, 5]
    why = " ".join(scores["XDT"]["detail"]["why"])
    assert "Kết quả sơ bộ" in why and "2 nhiệm vụ chưa đến hạn được tính theo tiến độ: 2 đúng tiến độ" in why
    assert "0,4 làm tròn xuống" in why
    assert "Không có báo cáo được tiếp nhận trong kỳ" in " ".join(scores["BTC"]["detail"]["why"])
    assert "1 đơn vị chưa có nhiệm vụ đã đăng ký nên không chấm điểm được: Đảng ủy xã Bình Minh (XBM)." in \
        " ".join(json.loads(out)["notes"])

    invoke("merge", ws, "--period", "2026-H1")
    merged = ws / "rounds/2026-H1/output/tong_hop_tien_do_2026-H1.xlsx"
    summary = {r["Mã đơn vị"]: r for r in rows_of(merged, "Tổng hợp theo đơn vị", 4) if r["Mã đơn vị"]}
    assert (summary["PTA"]["Không hoàn thành"], summary["XDX"]["Chậm tiến độ, còn hạn"],
            summary["BTC"]["Chưa báo cáo"]) == (1, 1, 2)
    classification = ws / "rounds/2026-H1/output/xep_loai_2026-H1.xlsx"
    rated = {r["Mã"]: r for r in rows_of(classification, "Xếp loại đơn vị", 4)}
    # the two outputs agree: the unit the consolidated workbook shows "not done" is counted late in the classification
    assert rated["PTA"]["Chưa hoàn thành"] == 1 and rated["PTA"]["Tổng điểm"] == 51.5
    assert openpyxl.load_workbook(classification)["Xếp loại đơn vị"]["A1"].value.startswith("XẾP LOẠI ĐƠN VỊ (SƠ BỘ)")
    rules = [c.value for c in openpyxl.load_workbook(classification)["Quy tắc"]["A"] if c.value]
    assert rules[1] == "Thang điểm: 30 điểm tiêu chí chung + 70 điểm kết quả thực hiện nhiệm vụ."  # sentences first
    assert "  – Hoàn thành nhiệm vụ: từ 50 điểm, nhiệm vụ chậm, quá hạn không quá 20%." in rules

    out = invoke("report", ws, "--period", "2026-H1")
    docs = ws / "rounds/2026-H1/output/van_ban"
    report = docx_text(docs / "bao_cao_tong_hop_2026-H1.docx")
    assert report.count("ĐẢNG BỘ TỈNH SƠN HÀ") == 1 and "Sơn Hà, ngày" in report and "Số         -BC/TU" in report
    # XBM, sent a registration template and never registered, does not vanish from the 6-month round
    assert ("Có 4/6 đơn vị gửi báo cáo (đạt 66,7%), trong đó 4 đơn vị đúng hạn; 1 đơn vị chưa gửi, 1 đơn vị chưa "
            "đăng ký nhiệm vụ nên chưa có báo cáo (danh sách kèm theo).") in report
    listed = docx_text(docs / "danh_sach_chua_nop_tien_do_2026-H1.docx")
    assert "Đảng ủy xã Bình Minh | Chưa đăng ký nhiệm vụ" in listed and "Ban Tổ chức Tỉnh ủy | Chưa nộp" in listed
    assert "Đảng ủy phường Tân An | 2 | 2 | 1 | 0 | 1 | 0 | 50%" in report
    assert "Đảng ủy phường Tân An | 51,5 | Không hoàn thành nhiệm vụ" in report
    assert "Kết quả xếp loại sơ bộ: Hoàn thành tốt nhiệm vụ: 2 đơn vị; Không hoàn thành nhiệm vụ: 3 đơn vị." in report
    assert "T/M BAN THƯỜNG VỤ\nBÍ THƯ" in report and "Lò Văn Sơn" in report
    card = docx_text(docs / "phieu_danh_gia_don_vi/PTA_2026-H1.docx")
    assert "-BC/TU" not in card and "Số " not in card.split("PHIẾU ĐÁNH GIÁ")[0]  # a scorecard has no number
    assert "Xếp loại: Không hoàn thành nhiệm vụ (sơ bộ)" in card and "51,5" in card
    for path in list(docs.rglob("*.docx")) + list((ws / "rounds").rglob("output/*.xlsx")):
        text = docx_text(path) if path.suffix == ".docx" else workbook_text(path)
        assert not re.search(r"\b(nan|None|NaT)\b", text), path
        assert "Hòa An" not in text and "HÒA AN" not in text, path
        if path.suffix == ".docx":
            assert not re.search(r"\d\.\d+ ?(%|km|điểm)", text), path  # decimal commas in Word
