"""Issue 22: a district's year through the CLI, with a registry of its own (Huyện ủy Mường Khê of an invented
province, Sơn Nguyên): the term round of breakthrough tasks (2026-2030), two quarters of follow-up reports ("nắm,
góp, kiểm"), the registration of 2026 and the year end (2026-Y). Every output is reopened: status counts and merged
rows of each form, the breakthrough and follow-up documents, the classification of named units worked out by hand
here, and the letterhead of a commune's document. The defects of the issue are numbered in the comments (#1-#10)."""

import json
import re
from datetime import date

import openpyxl
import yaml
from clerk_helpers import fill, invoke, outbox
from conftest import docx_text, rows_of, workbook_text

from toolkit.periods import parse_period
from toolkit.workspace.config import nominal_deadline
from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("MK", "Huyện ủy Mường Khê", "Huyện", "", "Lò Văn Khê", "Bí thư Huyện ủy", "vphu@muongkhe.dcs.vn"),
    ("XNM", "Đảng ủy xã Nậm Mu", "Xã", "MK", "Tòng Văn Mu", "Bí thư Đảng ủy", "nammu@muongkhe.dcs.vn"),
    ("XPC", "Đảng ủy xã Pa Cang", "Xã", "MK", "Lường Thị Cang", "Bí thư Đảng ủy", "pacang@muongkhe.dcs.vn"),
    ("XBL", "Đảng ủy xã Bản Lầm", "Xã", "MK", "Quàng Văn Lầm", "Bí thư Đảng ủy", "banlam@muongkhe.dcs.vn"),
    ("XTP", "Đảng ủy xã Tân Phong", "Xã", "MK", "Hà Văn Phong", "Bí thư Đảng ủy", "tanphong@muongkhe.dcs.vn"),
    ("TTMK", "Đảng ủy thị trấn Mường Khê", "Thị trấn", "MK", "Cầm Thị Thanh", "Bí thư Đảng ủy",
     "thitran@muongkhe.dcs.vn"),
    ("BTC", "Ban Tổ chức Huyện ủy", "Ban đảng", "MK", "Điêu Văn Tổ", "Trưởng ban", "btc@muongkhe.dcs.vn"),
    ("BDV", "Ban Dân vận Huyện ủy", "Ban đảng", "MK", "Lò Thị Vận", "Trưởng ban", "bdv@muongkhe.dcs.vn"),
    ("UBKT", "Ủy ban Kiểm tra Huyện ủy", "Ban đảng", "MK", "Vì Văn Kiểm", "Chủ nhiệm", "ubkt@muongkhe.dcs.vn"),
]
LEADERS = [
    ("L01", "Lò Văn Khê", "Bí thư Huyện ủy", "MK", "có"),
    ("L02", "Tòng Văn Mu", "Bí thư Đảng ủy xã Nậm Mu", "XNM", "có"),
    ("L03", "Lường Thị Cang", "Bí thư Đảng ủy xã Pa Cang", "XPC", "có"),
    ("L04", "Quàng Văn Lầm", "Bí thư Đảng ủy xã Bản Lầm", "XBL", "có"),
    ("L05", "Hà Văn Phong", "Bí thư Đảng ủy xã Tân Phong", "XTP", "có"),
    ("L06", "Cầm Thị Thanh", "Bí thư Đảng ủy thị trấn Mường Khê", "TTMK", "có"),
    ("L07", "Điêu Văn Tổ", "Trưởng Ban Tổ chức Huyện ủy", "BTC", "có"),
    ("L08", "Lò Thị Vận", "Trưởng Ban Dân vận Huyện ủy", "BDV", "có"),
]
XS, TOT, HT, KHT = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
                    "Không hoàn thành nhiệm vụ")
ON = "Đang thực hiện – đúng tiến độ"
DONE = "Hoàn thành"


def reg(code, title, deadline, leader, target=10, measure="việc", parent=None, start=date(2026, 1, 1)):
    row = {"Mã nhiệm vụ": code, "Lĩnh vực": "Xây dựng Đảng", "Loại nhiệm vụ": "Trọng tâm", "Tên nhiệm vụ": title,
           "Mã lãnh đạo phụ trách": leader, "Chỉ tiêu đo lường": "Số lượng", "Đơn vị tính": measure,
           "Giá trị mục tiêu": target, "Ngày bắt đầu": start, "Thời hạn hoàn thành": deadline, "Trọng số": 1}
    if parent:
        row["Mã nhiệm vụ cấp trên"] = parent
    return row


def bt(code, leader, title, target, measure, deadline, focal="Văn phòng Huyện ủy"):
    return {"Mã việc": code, "Mã lãnh đạo được giao": leader, "Lĩnh vực": "Kinh tế – xã hội",
            "Nội dung việc đột phá": title, "Chỉ tiêu đo lường": "Số lượng", "Đơn vị tính": measure,
            "Giá trị mục tiêu": target, "Thời hạn hoàn thành": deadline, "Đầu mối theo dõi": focal}


def visit(no, cadre, commune, day, grasped, contributed="", checked="", recommendations=""):
    return {"Lần": no, "Cán bộ theo dõi": cadre, "Mã đơn vị cơ sở": commune, "Ngày dự họp": day,
            "Cuộc họp/hội nghị": "Hội nghị Ban Chấp hành Đảng bộ", "Tình hình nắm được": grasped,
            "Ý kiến đã góp": contributed, "Nội dung đã kiểm tra": checked, "Kiến nghị với cấp trên": recommendations}


def prog(code, status, percent, actual=None, completed=None, results=None):
    row = {"Mã nhiệm vụ": code, "Tình trạng": status, "% hoàn thành": percent}
    if actual is not None:
        row["Giá trị đạt được"] = actual
    if completed is not None:
        row["Ngày hoàn thành"] = completed
    if results is not None:
        row["Kết quả thực hiện"] = results
    return row


LONG_TITLE = ("Ban hành 1 kế hoạch chuyển đổi số trong hoạt động lãnh đạo, chỉ đạo của Đảng ủy xã Bản Lầm giai "
              "đoạn 2026-2030")
# A long text (the copy check only looks at texts of 40 characters or more; similarity over pairs of words)
SEEN = ("Đảng ủy xã {place} đã triển khai nghiêm túc nghị quyết của Ban Chấp hành Đảng bộ huyện về phát triển kinh tế "
        "nông lâm nghiệp gắn với giảm nghèo bền vững; các chi bộ thôn bản duy trì sinh hoạt định kỳ hằng tháng, "
        "nội dung sinh hoạt đã bám sát nhiệm vụ chính trị của địa phương; công tác kết nạp đảng viên mới trong "
        "quần chúng ưu tú là đoàn viên thanh niên được quan tâm; tuy nhiên việc thu hút đầu tư vào vùng trồng dược "
        "liệu còn chậm, một số hộ dân chưa đồng thuận với phương án chuyển đổi cây trồng trên đất dốc")
OWN_Q2 = ("Nắm tình hình triển khai chương trình mục tiêu quốc gia xây dựng nông thôn mới tại xã Nậm Mu: nguồn vốn "
          "đối ứng của xã còn thiếu, tiến độ làm đường giao thông nội bản chậm so với kế hoạch đề ra, người dân đã "
          "hiến đất làm đường nhưng chưa có dự toán được phê duyệt, ban quản lý xã chưa lập hồ sơ thanh toán")


def test_district_year(tmp_path):
    registry = tmp_path / "don_vi_muong_khe.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Huyện ủy Mường Khê"
    invoke("init", ws, "--office", "Huyện ủy Mường Khê", "--parent-body", "Đảng bộ tỉnh Sơn Nguyên", "--units",
           registry, "--signer", "Lò Văn Khê", "--signer-title", "Bí thư", "--period", "2026-2030", "--period",
           "2026", "--period", "2026-Q2", "--period", "2026-Q3", "--period", "2026-Y",
           "--deadline", "2026-2030=31/03/2026", "--deadline", "2026=31/01/2026",
           "--deadline", "2026-Q2=10/07/2026", "--deadline", "2026-Q3=10/10/2026", "--deadline", "2026-Y=10/01/2027")
    # #7 the usual deadlines: a term's registrations by 31/03 of its first year (not 31/01); Q3 after it ends
    assert nominal_deadline(parse_period("2025-2030")) == date(2025, 3, 31)
    assert nominal_deadline(parse_period("2026-Q3")) == date(2026, 10, 10)
    assert nominal_deadline(parse_period("2026-Q2")) == date(2026, 7, 10)
    # follow-up reports are sent by the district's departments (the cadres who follow the communes)
    settings_path = ws / "settings.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    assert settings["office"]["parent_body"] == "ĐẢNG BỘ TỈNH SƠN NGUYÊN"
    assert settings["office"]["issuing_body"] == "HUYỆN ỦY MƯỜNG KHÊ"
    settings["expected_kinds"]["followup"] = ["Ban đảng"]
    settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")

    # === the term round: breakthrough tasks given to leaders (2026-2030) ================================
    # #8 the progress form has no term periods: refused, in Vietnamese
    out = invoke("templates", ws, "--form", "progress", "--period", "2026-2030", code=2)
    assert "Biểu mẫu 'progress' (báo cáo tiến độ thực hiện nhiệm vụ) không dùng cho kỳ 2026-2030 (nhiệm kỳ)" in out
    out = invoke("templates", ws, "--form", "breakthrough", "--period", "2026-2030")
    assert "Đã tạo 7 biểu mẫu việc đột phá kỳ 2026-2030 (hạn nộp 31/03/2026)" in out
    # breakthrough tasks are given to leaders: a unit with none in the registry is not asked
    assert "Ủy ban Kiểm tra Huyện ủy (UBKT): không có lãnh đạo trong danh sách lãnh đạo" in out
    tpl = outbox(ws, "2026-2030")
    inbox = ws / "rounds/2026-2030/inbox"
    fill(tpl["XNM"], inbox / "XNM.xlsx", date(2026, 3, 20), [
        bt("DP-NM1", "L02", "Xây dựng 2 mô hình sinh kế trồng sâm dưới tán rừng ở xã Nậm Mu", 2, "mô hình",
           date(2026, 9, 30))])
    fill(tpl["XPC"], inbox / "XPC.xlsx", date(2026, 3, 25), [
        bt("DP-PC1", "L03", "Hoàn thành 12 km đường bê tông nội bản xã Pa Cang", 12, "km", date(2030, 12, 31)),
        bt("DP-PC2", "L07", "Xóa 40 nhà tạm cho hộ nghèo xã Pa Cang", 40, "nhà", date(2027, 12, 31))])
    fill(tpl["BTC"], inbox / "BTC.xlsx", date(2026, 3, 28), [
        bt("DP-TC1", "L07", "Sáp nhập 15 chi bộ thôn bản có dưới 10 đảng viên", 15, "chi bộ", date(2027, 12, 31))])
    fill(tpl["TTMK"], inbox / "TTMK.xlsx", date(2026, 4, 2), [
        bt("DP-TT1", "L06", "Chỉnh trang 3 tuyến phố chính thị trấn Mường Khê", 3, "tuyến phố", date(2028, 12, 31))])
    out = invoke("collect", ws, "--period", "2026-2030", "--json")
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert {k: f["status"] for k, f in files.items()} == {"BTC.xlsx": "accepted", "TTMK.xlsx": "warnings",
                                                          "XNM.xlsx": "accepted", "XPC.xlsx": "warnings"}
    # #10 a leader of another unit is warned about, by name
    other = [i for i in files["XPC.xlsx"]["issues"] if i["code"] == "leader-other-unit"]
    assert [(i["cell"], i["message"]) for i in other] == [
        ("B8", "Lãnh đạo L07 (Điêu Văn Tổ) thuộc Ban Tổ chức Huyện ủy, không thuộc đơn vị gửi báo cáo.")]

    # #1 status, merge and report use the round's form without --form
    out = invoke("status", ws, "--period", "2026-2030")
    assert "Đã nộp 4/7" in out and "đúng hạn 3" in out and "muộn 1" in out and "chưa nộp 3" in out
    out = invoke("merge", ws, "--period", "2026-2030")
    assert "5 dòng của 4 đơn vị" in out
    merged = ws / "rounds/2026-2030/output/tong_hop_viec_dot_pha_2026-2030.xlsx"
    data = {r["Mã việc"]: r for r in rows_of(merged, "Dữ liệu", 1)}
    assert set(data) == {"DP-NM1", "DP-PC1", "DP-PC2", "DP-TC1", "DP-TT1"}
    # #2 leader codes with their names
    assert data["DP-PC2"]["Mã lãnh đạo được giao – họ tên"] == "Điêu Văn Tổ"
    assert data["DP-NM1"]["Mã lãnh đạo được giao – họ tên"] == "Tòng Văn Mu"
    invoke("report", ws, "--period", "2026-2030")
    docs = ws / "rounds/2026-2030/output/van_ban"
    names = sorted(p.name for p in docs.rglob("*.docx"))
    assert names == ["bao_cao_viec_dot_pha_2026-2030.docx", "danh_sach_chua_nop_viec_dot_pha_2026-2030.docx"]
    text = docx_text(docs / "bao_cao_viec_dot_pha_2026-2030.docx")
    assert "ĐẢNG BỘ TỈNH SƠN NGUYÊN\nHUYỆN ỦY MƯỜNG KHÊ" in text and "-BC/HU" in text
    assert "nhiệm kỳ 2026–2030" in text
    assert "Có 4/7 đơn vị gửi đăng ký việc đột phá" in text
    assert "Có 5 việc đột phá, đổi mới giao cho 4 đồng chí lãnh đạo của 4 đơn vị." in text
    assert "Điêu Văn Tổ – Trưởng Ban Tổ chức Huyện ủy | Xóa 40 nhà tạm cho hộ nghèo xã Pa Cang" in text
    assert "Đảng ủy xã Pa Cang: Lãnh đạo L07 (Điêu Văn Tổ) thuộc Ban Tổ chức Huyện ủy" in text
    assert "| Văn phòng Huyện ủy | Chưa có báo cáo tiến độ" in text
    missing = docx_text(docs / "danh_sach_chua_nop_viec_dot_pha_2026-2030.docx")
    for name in ("Đảng ủy xã Bản Lầm", "Đảng ủy xã Tân Phong", "Ban Dân vận Huyện ủy"):
        assert name in missing
    for name in ("Đảng ủy xã Nậm Mu", "Đảng ủy xã Pa Cang", "Ban Tổ chức Huyện ủy", "thị trấn Mường Khê",
                 "Ủy ban Kiểm tra"):
        assert name not in missing  # four units sent: not on the list

    # === registration of 2026 ===========================================================================
    out = invoke("templates", ws, "--form", "registration", "--period", "2026")
    assert "Đã tạo 8 biểu mẫu đăng ký nhiệm vụ kỳ 2026" in out
    invoke("templates", ws, "--form", "registration", "--period", "2026", "--units", "MK")  # the district's own
    tpl = outbox(ws, "2026")
    inbox = ws / "rounds/2026/inbox"
    fill(tpl["MK"], inbox / "MK.xlsx", date(2026, 1, 10), [
        reg("MK-01", "Kết nạp 10 đảng viên mới ở mỗi xã, thị trấn", date(2026, 11, 30), "L01", target=50)])
    cascade = "Kết nạp 10 đảng viên mới ở mỗi xã, thị trấn"  # the district's task, cascaded word for word
    dialogue = "Tổ chức 4 hội nghị đối thoại giữa người đứng đầu cấp ủy với nhân dân"  # a real copy
    fill(tpl["XNM"], inbox / "XNM.xlsx", date(2026, 1, 20), [
        reg("NM-01", cascade, date(2026, 11, 30), "L02", parent="MK-01")])
    fill(tpl["XPC"], inbox / "XPC.xlsx", date(2026, 1, 21), [
        reg("PC-01", cascade, date(2026, 11, 30), "L03", parent="MK-01")])
    fill(tpl["TTMK"], inbox / "TTMK.xlsx", date(2026, 1, 22), [
        reg("TT-01", "Cấp 300 giấy chứng nhận quyền sử dụng đất ở thị trấn", date(2026, 10, 31), "L06", target=300)])
    fill(tpl["BTC"], inbox / "BTC.xlsx", date(2026, 1, 19), [
        reg("TC-01", "Thẩm định 25 đề án nhân sự cấp ủy cơ sở", date(2026, 6, 30), "L07", target=25)])
    fill(tpl["BDV"], inbox / "BDV.xlsx", date(2026, 1, 19), [
        reg("DV-01", "Xây dựng 3 mô hình dân vận khéo cấp huyện", date(2026, 9, 30), "L08", target=3),
        reg("DV-02", "Hòa giải thành 10 vụ việc khiếu nại kéo dài", date(2026, 10, 31), "L08")])
    fill(tpl["XBL"], inbox / "XBL.xlsx", date(2026, 1, 23), [
        reg("BL-01", LONG_TITLE, date(2026, 3, 31), "L04", target=1,
            measure="kế hoạch"),
        reg("BL-02", dialogue, date(2026, 12, 15), "L04", target=4, measure="hội nghị")])
    fill(tpl["XTP"], inbox / "XTP.xlsx", date(2026, 1, 24), [
        reg("TP-01", "Bê tông hóa 10 km đường nội đồng xã Tân Phong", date(2026, 6, 30), "L05", measure="km"),
        reg("TP-02", dialogue, date(2026, 12, 15), "L05", target=4, measure="hội nghị"),
        reg("TP-03", "Trồng mới 20 ha rừng sản xuất xã Tân Phong", date(2026, 9, 30), "L05", measure="ha")])
    fill(tpl["UBKT"], inbox / "UBKT.xlsx", date(2026, 1, 25), [
        reg("KT-01", "Kiểm tra 12 tổ chức đảng khi có dấu hiệu vi phạm", date(2026, 11, 30), None, target=12)])
    out = invoke("collect", ws, "--period", "2026", "--json")
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert all(f["status"] in ("accepted", "warnings") for f in files.values()), files
    copies = {(f["file"], i["cell"]) for f in files.values() for i in f["issues"] if i["code"] == "copied-task"}
    # #9 the district's task cascaded to the communes is not a copy; the same dialogue task of two communes is
    assert copies == {("XTP.xlsx", "D8")}
    out = invoke("status", ws, "--period", "2026")
    assert "Đã nộp 8/8" in out  # the district's own file is not counted among its units'
    out = invoke("merge", ws, "--period", "2026")
    merged = ws / "rounds/2026/output/tong_hop_dang_ky_2026.xlsx"
    data = {r["Mã nhiệm vụ"]: r for r in rows_of(merged, "Dữ liệu", 1)}
    assert len(data) == 13 and data["NM-01"]["Mã nhiệm vụ cấp trên"] == "MK-01"
    # the office's list of copied wording: the cascade is one family, the dialogue task two units
    sheet = openpyxl.load_workbook(merged)["Nhiệm vụ giống nhau"]
    groups = [r[1:5] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert groups == [(dialogue, 2, 1, "Đảng ủy xã Bản Lầm, Đảng ủy xã Tân Phong")]
    invoke("report", ws, "--period", "2026")
    docs = ws / "rounds/2026/output/van_ban"
    commitment = docx_text(docs / "ban_cam_ket/ban_cam_ket_XNM_2026.docx")
    # #6 a commune's document: its district's party body line, not the province's
    assert "ĐẢNG BỘ HUYỆN MƯỜNG KHÊ\nĐẢNG ỦY XÃ NẬM MU" in commitment
    assert "ĐẢNG BỘ TỈNH" not in commitment
    assert "Kính gửi: Ban Thường vụ Huyện ủy Mường Khê" in commitment and "Nậm Mu, ngày" in commitment
    assert "T/M BAN THƯỜNG VỤ HUYỆN ỦY MƯỜNG KHÊ" in commitment
    assert cascade in commitment

    # === follow-up ("nắm, góp, kiểm"): two quarters =====================================================
    for period in ("2026-Q2", "2026-Q3"):
        out = invoke("templates", ws, "--form", "followup", "--period", period)
        assert f"Đã tạo 3 biểu mẫu báo cáo nắm, góp, kiểm kỳ {period}" in out
    tpl = outbox(ws, "2026-Q2")
    # #6 the follow-up form's wording is not fixed to a province
    form_text = workbook_text(tpl["BTC"])
    assert "Kiến nghị với cấp trên" in form_text and "Mã đơn vị cơ sở" in form_text
    assert "tỉnh" not in form_text.lower() and "xã/phường" not in form_text
    inbox = ws / "rounds/2026-Q2/inbox"
    fill(tpl["BTC"], inbox / "BTC_q2.xlsx", date(2026, 7, 6), [
        visit(1, "Nguyễn Văn An", "XNM", date(2026, 4, 15), OWN_Q2, "Góp ý lập dự toán đường nội bản",
              "Kiểm tra hồ sơ hiến đất", "Đề nghị Huyện ủy chỉ đạo bố trí vốn đối ứng cho xã Nậm Mu"),
        visit(2, "Lò Thị Bình", "XPC", date(2026, 5, 20), SEEN.format(place="Pa Cang"),
              "Góp ý nâng chất lượng sinh hoạt chi bộ")])
    fill(tpl["BDV"], inbox / "BDV_q2.xlsx", date(2026, 7, 8), [
        visit(1, "Cầm Văn Chung", "XBL", date(2026, 6, 12), "Xã Bản Lầm ban hành kế hoạch chuyển đổi số muộn hơn "
              "một tháng so với yêu cầu, đã hoàn thành ngày 15/5/2026", "",
              "Kiểm tra việc cập nhật dữ liệu đảng viên")])
    out = invoke("run", ws, "--period", "2026-Q2")  # the whole round at once: the follow-up form, no scores
    assert "Tình hình nộp báo cáo nắm, góp, kiểm: 2/3 đơn vị đã nộp, 1 chưa nộp" in out
    assert "Xếp loại" not in out
    assert (ws / "rounds/2026-Q2/output/van_ban/bao_cao_nam_gop_kiem_2026-Q2.docx").is_file()
    tpl = outbox(ws, "2026-Q3")
    inbox = ws / "rounds/2026-Q3/inbox"
    fill(tpl["BTC"], inbox / "BTC_q3.xlsx", date(2026, 10, 5), [
        visit(1, "Lò Thị Bình", "XPC", date(2026, 8, 18), SEEN.format(place="Pa Cang") + ", cần tiếp tục vận động.",
              "Góp ý về kế hoạch kết nạp đảng viên"),
        visit(2, "Nguyễn Văn An", "XNM", date(2026, 8, 25), OWN_Q2, "Góp ý lập dự toán đường nội bản", "",
              "Đề nghị Huyện ủy chỉ đạo bố trí vốn đối ứng cho xã Nậm Mu"),
        visit(3, "Quàng Thị Dung", "XTP", date(2026, 9, 10), SEEN.format(place="Tân Phong") + ", cần tiếp tục vận "
              "động.", "Góp ý việc trồng rừng sản xuất", "Kiểm tra sổ sách đảng phí")])
    fill(tpl["BDV"], inbox / "BDV_q3.xlsx", date(2026, 10, 12), [
        visit(1, "Cầm Văn Chung", "XBL", date(2026, 9, 22), "Xã Bản Lầm tổ chức hội nghị đối thoại lần thứ ba, "
              "người dân phản ánh về tiến độ chi trả tiền bảo vệ rừng", "Góp ý chuẩn bị nội dung đối thoại",
              "Kiểm tra việc giải quyết ý kiến sau đối thoại", "Đề nghị Huyện ủy đôn đốc chi trả tiền bảo vệ rừng")])
    out = invoke("collect", ws, "--period", "2026-Q3", "--json")
    files = {f["file"]: f for f in json.loads(out)["files"]}
    copied = {i["cell"]: i["message"] for i in files["BTC_q3.xlsx"]["issues"] if i["code"] == "copied-report"}
    # #9 a copy inside one file is caught and names the cadre; the own-previous match is by cadre (An's visit
    # number changed from 1 to 2 and Bình's text is compared with Bình's, not with An's) and is not a "nhiệm vụ";
    # Dung's text is Bình's with another commune's name (F9), in the same file
    assert set(copied) == {"F7", "F8", "F9"}, copied
    assert copied["F7"].endswith("với báo cáo quý 2 năm 2026 của chính cán bộ Lò Thị Bình.")
    assert "báo cáo quý 2 năm 2026 của chính cán bộ Nguyễn Văn An" in copied["F8"]
    assert "cán bộ Lò Thị Bình" in copied["F9"] and "cùng tệp" in copied["F9"]
    assert not any("nhiệm vụ" in m for m in copied.values())
    assert "(3)" not in " ".join(copied.values())
    for period, sent, late in (("2026-Q2", 2, 0), ("2026-Q3", 2, 1)):
        out = invoke("status", ws, "--period", period)
        assert f"Đã nộp {sent}/3" in out and f"muộn {late}" in out  # #1
    out = invoke("merge", ws, "--period", "2026-Q3")
    assert "4 dòng của 2 đơn vị" in out
    merged = ws / "rounds/2026-Q3/output/tong_hop_nam_gop_kiem_2026-Q3.xlsx"
    data = [(r["Cán bộ theo dõi"], r["Mã đơn vị cơ sở"]) for r in rows_of(merged, "Dữ liệu", 1)]
    assert sorted(data) == [("Cầm Văn Chung", "XBL"), ("Lò Thị Bình", "XPC"), ("Nguyễn Văn An", "XNM"),
                            ("Quàng Thị Dung", "XTP")]
    invoke("report", ws, "--period", "2026-Q3")
    docs = ws / "rounds/2026-Q3/output/van_ban"
    assert sorted(p.name for p in docs.rglob("*.docx")) == ["bao_cao_nam_gop_kiem_2026-Q3.docx",
                                                            "danh_sach_chua_nop_nam_gop_kiem_2026-Q3.docx"]
    text = docx_text(docs / "bao_cao_nam_gop_kiem_2026-Q3.docx")
    # #2 what cadres saw, suggested and checked, and the copy warnings, in Word
    assert "Có 2/3 đơn vị gửi báo cáo" in text
    assert "4 cán bộ đã dự họp, làm việc 4 lần tại 4 cơ sở." in text
    assert "Đảng ủy xã Nậm Mu | Nguyễn Văn An" in text
    assert "Kiểm tra sổ sách đảng phí" in text and "Góp ý việc trồng rừng sản xuất" in text
    assert "Đề nghị Huyện ủy đôn đốc chi trả tiền bảo vệ rừng" in text
    assert ("Ban Tổ chức Huyện ủy, cán bộ Quàng Thị Dung (ô F9): Kết quả báo cáo giống 95% với báo cáo của cán bộ "
            "Lò Thị Bình trong cùng tệp.") in text
    assert ("Ban Tổ chức Huyện ủy, cán bộ Nguyễn Văn An (ô F8): Kết quả báo cáo giống 100% với báo cáo quý 2 năm "
            "2026 của chính cán bộ Nguyễn Văn An.") in text
    assert "tỉnh" not in text.split("HUYỆN ỦY MƯỜNG KHÊ", 1)[1].lower()
    missing = docx_text(docs / "danh_sach_chua_nop_nam_gop_kiem_2026-Q3.docx")
    assert "Ủy ban Kiểm tra Huyện ủy" in missing and "Ban Tổ chức Huyện ủy" not in missing

    # === the year end (2026-Y) ==========================================================================
    out = invoke("templates", ws, "--form", "progress", "--period", "2026-Y")
    assert "Đã tạo 8 biểu mẫu báo cáo tiến độ kỳ 2026-Y" in out
    tpl = outbox(ws, "2026-Y")
    # #8 a breakthrough task due this year is in the unit's year-end return, with those of the term
    codes = lambda p: [c.value for c in openpyxl.load_workbook(p)["Tiến độ"]["A"][6:] if c.value]  # noqa: E731
    assert codes(tpl["XNM"]) == ["DP-NM1", "NM-01"]
    assert codes(tpl["XPC"]) == ["DP-PC1", "DP-PC2", "PC-01"]
    inbox = ws / "rounds/2026-Y/inbox"
    sheet = "Tiến độ"
    fill(tpl["XNM"], inbox / "XNM.xlsx", date(2027, 1, 5), [
        prog("NM-01", DONE, 100, 10, date(2026, 11, 20)),
        prog("DP-NM1", DONE, 100, 2, date(2026, 9, 25))], sheet, by_code=True)
    fill(tpl["XPC"], inbox / "XPC.xlsx", date(2027, 1, 6), [
        prog("PC-01", DONE, 100, 10, date(2026, 11, 25)),
        prog("DP-PC1", ON, 30, 4), prog("DP-PC2", ON, 50, 20)], sheet, by_code=True)
    fill(tpl["TTMK"], inbox / "TTMK.xlsx", date(2027, 1, 7), [
        prog("TT-01", DONE, 100, 300, date(2026, 10, 20)), prog("DP-TT1", ON, 40, 1)], sheet, by_code=True)
    fill(tpl["BTC"], inbox / "BTC.xlsx", date(2027, 1, 5), [
        prog("TC-01", DONE, 100, 23, date(2026, 6, 25)), prog("DP-TC1", ON, 60, 9)], sheet, by_code=True)
    fill(tpl["BDV"], inbox / "BDV.xlsx", date(2027, 1, 8), [
        prog("DV-01", DONE, 100, 1, date(2026, 9, 15)), prog("DV-02", DONE, 100, 4, date(2026, 10, 30))],
        sheet, by_code=True)
    # XBL: "Hoàn thành" without a completion date; its own result text says 15/5, the deadline was 31/03
    fill(tpl["XBL"], inbox / "XBL.xlsx", date(2027, 1, 9), [
        prog("BL-01", DONE, 100, 1, results="Đã ban hành kế hoạch chuyển đổi số ngày 15/5/2026"),
        prog("BL-02", DONE, 100, 4, date(2026, 12, 10))], sheet, by_code=True)
    # XTP: asks to move a task already past its deadline (30/06); nobody has decided on it
    fill(tpl["XTP"], inbox / "XTP.xlsx", date(2027, 1, 10), [
        prog("TP-01", "Đề nghị điều chỉnh", 60, 6),
        prog("TP-02", DONE, 100, 4, date(2026, 12, 12)), prog("TP-03", DONE, 100, 20, date(2026, 9, 28))],
        sheet, by_code=True, extra=("Đề nghị điều chỉnh", [
            {"Mã nhiệm vụ": "TP-01", "Nội dung đề nghị": "Gia hạn thời hạn", "Thời hạn mới": date(2027, 6, 30),
             "Lý do": "Thiếu vốn đối ứng"}]))
    # UBKT registered a task and sends no year-end report
    out = invoke("collect", ws, "--period", "2026-Y", "--json")
    files = {f["file"]: f for f in json.loads(out)["files"]}
    assert len(files) == 7 and all(f["status"] in ("accepted", "warnings") for f in files.values()), files
    date_warn = [i for i in files["XBL.xlsx"]["issues"] if i["code"] == "completed-date-missing"]
    assert len(date_warn) == 1 and date_warn[0]["cell"] == "I7"  # #3a warned at intake
    quoted = re.fullmatch(r"Nhiệm vụ '(.+)…' báo cáo 'Hoàn thành' nhưng chưa ghi ngày hoàn thành; theo nội "
                          r"dung báo cáo, hoàn thành ngày 15/05/2026, sau thời hạn 31/03/2026: được tính là "
                          r"hoàn thành quá hạn\.",
                          date_warn[0]["message"])
    # #10 a long title quoted in a message is cut at the end of a word
    assert quoted and LONG_TITLE.startswith(quoted[1]) and LONG_TITLE[len(quoted[1])] in " ,", date_warn[0]["message"]
    out = invoke("status", ws, "--period", "2026-Y")
    assert "Đã nộp 7/8" in out
    out = invoke("score", ws, "--period", "2026-Y", "--json")
    result = json.loads(out)
    scores = {s["subject_id"]: s for s in result["units"]}
    # by hand: score = 100 × (0.4 quantity + 0.3 schedule + 0.3 quality) over all tasks of the unit (registered and
    # breakthrough); tasks not yet due count in full when on schedule.
    #   XNM: NM-01, DP-NM1 done on time, 10/10 and 2/2 -> 100;  XPC: PC-01 done, two term tasks on schedule -> 100
    #   TTMK: TT-01 done 300/300, DP-TT1 on schedule -> 100;  BTC: TC-01 done 23/25 (0.92), DP-TC1 on schedule
    #   -> 40 + 30 + 30 × 0.96 = 98.8;  BDV: DV-01 1/3, DV-02 4/10, both on time -> 40 + 30 + 30 × 0.3667 = 81
    #   XBL: BL-01 done 15/05 > 31/03 (late: the date is in the result text), BL-02 on time
    #   -> 40 + 15 + 30 = 85, late 50 %;  XTP: TP-01 overdue (60 %, 6/10) whatever was asked, TP-02/TP-03 on time
    #   -> 40 × 2/3 + 30 × 2/3 + 30 × 2.6/3 = 72.67, late 1/3;  UBKT: no report: KT-01 not done -> 0
    assert {k: (v["score"], v["detail"]["late"]) for k, v in scores.items()} == {
        "XNM": (100.0, 0), "XPC": (100.0, 0), "TTMK": (100.0, 0), "BTC": (98.8, 0), "BDV": (81.0, 0),
        "XBL": (85.0, 1), "XTP": (72.67, 1), "UBKT": (0.0, 1)}
    # #4 one place for "xuất sắc" (20 % of 5 units at "tốt" or better); three tied at 100 after the tie-breaks
    # (schedule, quality): none takes it, all three are named for the standing committee
    levels = {k: (v["level"], v["detail"]["pending"]) for k, v in scores.items()}
    assert levels == {"XNM": (TOT, True), "XPC": (TOT, True), "TTMK": (TOT, True), "BTC": (TOT, False),
                      "BDV": (TOT, False), "XBL": (KHT, False), "XTP": (KHT, False), "UBKT": (KHT, False)}
    why_xnm = " ".join(scores["XNM"]["detail"]["why"])
    assert "Bằng điểm, tiến độ, chất lượng" in why_xnm and "Đảng ủy xã Pa Cang" in why_xnm
    assert "Đảng ủy thị trấn Mường Khê" in why_xnm and "đề nghị Ban Thường vụ xem xét, quyết định" in why_xnm
    why_btc = " ".join(scores["BTC"]["detail"]["why"])
    assert "suất còn lại đang chờ Ban Thường vụ quyết định giữa 3 đơn vị bằng điểm" in why_btc
    pending_note = next(n for n in result["notes"] if "bằng điểm" in n)
    for name in ("Đảng ủy xã Nậm Mu", "Đảng ủy xã Pa Cang", "Đảng ủy thị trấn Mường Khê"):
        assert name in pending_note
    # #3 the three cases every office has
    assert "ngày hoàn thành lấy theo nội dung báo cáo (15/05/2026)" in " ".join(scores["XBL"]["detail"]["why"])
    assert scores["XTP"]["detail"]["failed"] == 1 and scores["XTP"]["detail"]["done"] == 2
    assert "Không có báo cáo được tiếp nhận trong kỳ" in " ".join(scores["UBKT"]["detail"]["why"])
    # #5 ranking: level first, then score (XBL's 85 "không hoàn thành" below BDV's 81 "tốt")
    assert [s["subject_id"] for s in result["units"]] == ["TTMK", "XNM", "XPC", "BTC", "BDV", "XBL", "XTP", "UBKT"]
    # #4 leaders, scored on their tasks of both registers (L07: TC-01 at 0.92, DP-TC1 and DP-PC2 on schedule
    # -> 40 + 30 + 30 × 2.92/3 = 99.2), are called "đồng chí", not "đơn vị"
    leaders = {s["subject_id"]: s for s in result["leaders"]}
    assert {k: (v["score"], v["level"], v["detail"]["pending"]) for k, v in leaders.items()} == {
        "L02": (100.0, TOT, True), "L03": (100.0, TOT, True), "L06": (100.0, TOT, True), "L07": (99.2, TOT, False),
        "L08": (81.0, TOT, False), "L04": (85.0, KHT, False), "L05": (72.67, KHT, False)}
    why_l07 = " ".join(leaders["L07"]["detail"]["why"])
    assert "xếp thứ 4 trong 4 đồng chí đủ điều kiện" in why_l07
    assert "suất còn lại đang chờ Ban Thường vụ quyết định giữa 3 đồng chí bằng điểm" in why_l07
    assert "đơn vị" not in " ".join(w for s in leaders.values() for w in s["detail"]["why"])
    invoke("merge", ws, "--period", "2026-Y")
    merged = ws / "rounds/2026-Y/output/tong_hop_tien_do_2026-Y.xlsx"
    data = {(r["Mã đơn vị"], r["Mã nhiệm vụ"]): r for r in rows_of(merged, "Dữ liệu", 1)}
    assert data[("XBL", "BL-01")]["Đánh giá"] == "Hoàn thành quá hạn"
    assert data[("XTP", "TP-01")]["Đánh giá"] == "Quá hạn, chưa hoàn thành"
    assert data[("UBKT", "KT-01")]["Đánh giá"] == "Chưa báo cáo"
    assert data[("XNM", "DP-NM1")]["Đánh giá"] == "Hoàn thành đúng hạn"
    invoke("report", ws, "--period", "2026-Y")
    docs = ws / "rounds/2026-Y/output/van_ban"
    report = docx_text(docs / "bao_cao_tong_hop_2026-Y.docx")
    assert "Có 7/8 đơn vị gửi báo cáo" in report
    # #5 the per-unit table has a column for tasks done late
    assert "Đảng ủy xã Bản Lầm | 2 | 2 | 1 | 1 | 0 | 0 | 100%" in report
    assert "Đảng ủy xã Tân Phong | 3 | 3 | 2 | 0 | 1 | 0 | 66,7%" in report
    assert "Ủy ban Kiểm tra Huyện ủy | 1 | 1 | 0 | 0 | 1 | 0 | 0%" in report  # #3c present, with its section
    # #3b the pending request does not hide the overdue task from the list
    assert ("Bê tông hóa 10 km đường nội đồng xã Tân Phong | Đảng ủy xã Tân Phong | 30/06/2026 | 60% | Quá hạn, chưa "
            "hoàn thành; đề nghị điều chỉnh thời hạn từ 30/06/2026 thành 30/06/2027, chờ ý kiến") in report
    assert ("đề nghị Ban Thường vụ xem xét, quyết định: Đảng ủy thị trấn Mường Khê, Đảng ủy xã Nậm Mu, Đảng ủy xã "
            "Pa Cang.") in report
    assert "Kết quả xếp loại: Hoàn thành tốt nhiệm vụ: 5 đơn vị; Không hoàn thành nhiệm vụ: 3 đơn vị." in report
    assert "1 | Đảng ủy thị trấn Mường Khê | 100 | Hoàn thành tốt nhiệm vụ (tạm xếp; chờ Ban Thường vụ quyết định)" \
        in report
    assert "4 | Ban Tổ chức Huyện ủy | 98,8 | Hoàn thành tốt nhiệm vụ\n" in report
    # #5 ranked by level, then score
    assert "5 | Ban Dân vận Huyện ủy | 81 | Hoàn thành tốt nhiệm vụ\n6 | Đảng ủy xã Bản Lầm | 85 | Không" in report
    # #10 the year end is named once, without brackets inside brackets; the scorecard has no number
    assert "kết quả thực hiện nhiệm vụ trọng tâm, cam kết trách nhiệm tổng kết năm 2026" in report
    assert "2026-Y (tổng kết năm 2026)" in workbook_text(tpl["XBL"]) and "))" not in workbook_text(tpl["XBL"])
    card = docx_text(docs / "phieu_danh_gia_don_vi/XBL_2026-Y.docx")
    assert "-BC/HU" not in card and "Xếp loại: Không hoàn thành nhiệm vụ" in card
    assert "Xếp loại: Hoàn thành tốt nhiệm vụ (tạm xếp; chờ Ban Thường vụ quyết định)" in docx_text(
        docs / "phieu_danh_gia_don_vi/XNM_2026-Y.docx")
    ubkt = docx_text(docs / "phieu_danh_gia_don_vi/UBKT_2026-Y.docx")  # #3c its own scorecard, too
    assert "Không có báo cáo được tiếp nhận trong kỳ: 1 nhiệm vụ được tính là chưa hoàn thành." in ubkt
    lcard = docx_text(docs / "phieu_danh_gia_lanh_dao/L07_2026-Y.docx")
    assert "Đồng chí" in lcard and "-BC/HU" not in lcard
    for path in list((ws / "rounds").rglob("van_ban/**/*.docx")):
        text = docx_text(path)
        assert not re.search(r"\b(nan|None|NaT)\b", text), path
        assert "ĐẢNG BỘ TỈNH SƠN NGUYÊN\nĐẢNG ỦY" not in text, path  # a commune's line is its district's

    # #8 the term's document follows its breakthrough tasks through the year-end reports
    invoke("report", ws, "--period", "2026-2030")
    text = docx_text(ws / "rounds/2026-2030/output/van_ban/bao_cao_viec_dot_pha_2026-2030.docx")
    assert ("Xây dựng 2 mô hình sinh kế trồng sâm dưới tán rừng ở xã Nậm Mu | Số lượng 2 mô hình | 30/09/2026 | Văn "
            "phòng Huyện ủy | Hoàn thành đúng hạn (tổng kết năm 2026)") in text
    assert ("Xóa 40 nhà tạm cho hộ nghèo xã Pa Cang | Số lượng 40 nhà | 31/12/2027 | Văn phòng Huyện ủy | Đang thực "
            "hiện, đúng tiến độ (tổng kết năm 2026)") in text
