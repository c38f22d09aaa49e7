"""Timeliness is decided by the first return the office accepted or sent back for correction: a correction the
office asked for (at confirmation, or in a feedback copy) is never late nor a duplicate, and every output says
which date counted. Through the CLI, for an invented district committee (Huyện ủy Đak Rơ, tỉnh Lam Giang)."""

import json
from datetime import date

from clerk_helpers import fill, invoke, outbox, reg, set_opinions
from conftest import rows_of

from toolkit.issue_labels import issue_label
from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("DR", "Huyện ủy Đak Rơ", "Huyện", "", "Y Bhin", "Bí thư Huyện ủy", "vp@dakro.vn"),
    ("X.IA-1", "Đảng ủy xã Ia Kơ", "Xã", "DR", "Rơ Châm Hlin", "Bí thư Đảng ủy", "iako@dakro.vn"),
    ("X.KB-2", "Đảng ủy xã Kon Bơ", "Xã", "DR", "A Thuận", "Bí thư Đảng ủy", "konbo@dakro.vn"),
    ("B-DV", "Ban Dân vận Huyện ủy", "Ban đảng", "DR", "Ksor Nhung", "Trưởng ban", "bdv@dakro.vn"),
]
LEADERS = [("L1", "Y Bhin", "Bí thư Huyện ủy", "DR", "có")]


def test_a_correction_asked_for_is_never_late(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Huyện ủy Đak Rơ"
    invoke("init", ws, "--office", "Huyện ủy Đak Rơ", "--parent-body", "Đảng bộ tỉnh Lam Giang", "--units", registry,
           "--period", "2026", "--deadline", "2026=31/01/2026")
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    tpl = outbox(ws, "2026", ["X.IA-1", "X.KB-2", "B-DV"])
    inbox = ws / "rounds/2026/inbox"
    ia = [reg("IA-01", "Kết nạp 12 đảng viên mới tại xã Ia Kơ", date(2026, 11, 30), target=12),
          reg("IA-02", "Xây dựng 2 mô hình dân vận khéo ở xã Ia Kơ", date(2026, 10, 31), target=2)]
    fill(tpl["X.IA-1"], inbox / "iako.xlsx", date(2026, 1, 30), ia)  # on time, one day before the deadline
    # Kon Bơ: first return on time but with an error (sent back), the corrected one after the deadline
    kb = [reg("KB-01", "Hoàn thành 5 km đường bê tông nội thôn xã Kon Bơ", date(2026, 12, 15), target=5,
              measure="km", **{"Lĩnh vực": "Kinh tế"})]
    fill(tpl["X.KB-2"], inbox / "konbo.xlsx", date(2026, 1, 28), kb)
    fill(tpl["B-DV"], inbox / "bdv.xlsx", date(2026, 2, 5), [  # late: its first return came on 05/02
        reg("DV-01", "Tổ chức 6 hội nghị đối thoại giữa Bí thư với nhân dân", date(2026, 9, 30), target=6)])
    out = json.loads(invoke("collect", ws, "--period", "2026", "--json", code=1))
    files = {f["file"]: f for f in out["files"]}
    assert {k: (f["status"], f["late_days"], f["counted"]) for k, f in files.items()} == {
        "iako.xlsx": ("accepted", 0, "30/01/2026 (tệp này)"), "konbo.xlsx": ("rejected", 0, "28/01/2026 (tệp này)"),
        "bdv.xlsx": ("warnings", 5, "05/02/2026 (tệp này)")}

    # confirmation: the office asks Ia Kơ to correct IA-02
    invoke("confirm", ws, "--period", "2026")
    review = ws / "rounds/2026/output/xac_nhan_dang_ky_2026.xlsx"
    set_opinions(review, "Xác nhận đăng ký", {
        ("X.IA-1", "IA-01"): {"Ý kiến": "Đồng ý"}, ("B-DV", "DV-01"): {"Ý kiến": "Đồng ý"},
        ("X.IA-1", "IA-02"): {"Ý kiến": "Đề nghị sửa", "Nội dung đề nghị sửa, lý do": "Ghi rõ mô hình nào."}})
    invoke("confirm", ws, "--period", "2026")
    # the corrections come 20 days after the deadline (Ia Kơ) and 3 days after it (Kon Bơ)
    ia[1] = reg("IA-02", "Xây dựng 2 mô hình dân vận khéo về chuyển đổi cây trồng ở xã Ia Kơ", date(2026, 10, 31),
                target=2)
    fill(tpl["X.IA-1"], inbox / "sua" / "iako_da_sua.xlsx", date(2026, 2, 20), ia)
    kb[0]["Lĩnh vực"] = "Kinh tế – xã hội"
    fill(tpl["X.KB-2"], inbox / "konbo_sua.xlsx", date(2026, 2, 3), kb)
    out = json.loads(invoke("collect", ws, "--period", "2026", "--json"))
    files = {f["file"].replace("\\", "/"): f for f in out["files"]}
    fixed = files["sua/iako_da_sua.xlsx"]
    assert (fixed["status"], fixed["late_days"], fixed["counted"]) == ("accepted", 0, "30/01/2026 (tệp iako.xlsx)")
    assert [i["code"] for i in fixed["issues"]] == ["resubmission"]  # neither late nor a duplicate
    fixed = files["konbo_sua.xlsx"]
    assert (fixed["status"], fixed["late_days"], fixed["counted"]) == ("accepted", 0, "28/01/2026 (tệp konbo.xlsx)")
    assert "late-submission" not in [i["code"] for i in fixed["issues"]]
    intake = {r["Tệp"].replace("\\", "/"): r for r in rows_of(ws / "rounds/2026/output/ket_qua_tiep_nhan_2026.xlsx",
                                                                "Tệp")}
    assert (intake["sua/iako_da_sua.xlsx"]["Nộp muộn (ngày)"], intake["sua/iako_da_sua.xlsx"]["Ngày nộp được tính"]) \
        == (0, "30/01/2026 (tệp iako.xlsx)")
    kinds = [r["Loại lỗi"] for r in rows_of(ws / "rounds/2026/output/ket_qua_tiep_nhan_2026.xlsx", "Lỗi")
             if r["Tệp"].replace("\\", "/") == "sua/iako_da_sua.xlsx"]  # the issue's Vietnamese name (issue_labels)
    assert issue_label("late-submission") not in kinds and issue_label("duplicate-submission") not in kinds

    # status: by hand, Ia Kơ and Kon Bơ on time (their first returns, 30/01 and 28/01), Ban Dân vận 5 days late
    data = json.loads(invoke("status", ws, "--period", "2026", "--json"))
    assert {u["code"]: (u["state"], u["late_days"], u["counted"], u["file"]) for u in data["units"]} == {
        "X.IA-1": ("on_time", 0, "30/01/2026 (tệp iako.xlsx)", "sua/iako_da_sua.xlsx".replace("/", __import__("os").sep)),
        "X.KB-2": ("on_time", 0, "28/01/2026 (tệp konbo.xlsx)", "konbo_sua.xlsx"),
        "B-DV": ("late", 5, "05/02/2026 (tệp bdv.xlsx)", "bdv.xlsx")}
    assert (data["rates"]["on_time"], data["rates"]["late"]) == (2, 1)
    out = invoke("status", ws, "--period", "2026")
    assert "Đã nộp 3/3" in out and "đúng hạn 2" in out and "muộn 1" in out
    listing = {r["Mã đơn vị"]: r for r in rows_of(data["workbook"], "Tình hình nộp")}
    column = "Ngày nộp được tính (bản đầu tiên được tiếp nhận hoặc trả lại để sửa)"
    assert (listing["X.IA-1"]["Tình trạng"], listing["X.IA-1"][column]) == ("Đúng hạn", "30/01/2026 (tệp iako.xlsx)")
    assert (listing["B-DV"]["Tình trạng"], listing["B-DV"]["Muộn (ngày)"]) == ("Nộp muộn", 5)
