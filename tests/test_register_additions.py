"""A first registration sent back and then accepted is the unit's registration, not a mid-year addition: additions
start once a register was first accepted. Through the CLI (an invented commune committee, Đảng ủy xã Hòa Mỹ), the
consolidated, adjustments and history workbooks reopened."""

from datetime import date

from clerk_helpers import fill, invoke, outbox, reg
from conftest import rows_of

from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("HM", "Đảng ủy xã Hòa Mỹ", "Xã", "", "Đinh Văn Mỹ", "Bí thư Đảng ủy", "vp@hoamy.vn"),
    ("CB-T1", "Chi bộ thôn Tân Lập", "Chi bộ", "HM", "Phan Văn Lập", "Bí thư Chi bộ", "tanlap@hoamy.vn"),
    ("CB-T2", "Chi bộ thôn Đồng Me", "Chi bộ", "HM", "Mai Thị Me", "Bí thư Chi bộ", "dongme@hoamy.vn"),
]
LEADERS = [("LD1", "Đinh Văn Mỹ", "Bí thư Đảng ủy", "HM", "có")]


def test_first_registration_sent_back_then_accepted_is_no_addition(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Đảng ủy xã Hòa Mỹ"
    invoke("init", ws, "--office", "Đảng ủy xã Hòa Mỹ", "--units", registry, "--period", "2026",
           "--deadline", "2026=31/01/2026")
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    tpl = outbox(ws, "2026", ["CB-T1", "CB-T2"])
    inbox = ws / "rounds/2026/inbox"
    t1 = [reg("T1-01", "Kết nạp 2 đảng viên mới ở thôn Tân Lập", date(2026, 11, 30), target=2),
          reg("T1-02", "Vận động 20 hộ hiến đất làm đường thôn Tân Lập", date(2026, 9, 30), target=20,
              **{"Lĩnh vực": "Giao thông"})]  # not in the list: the file is sent back
    fill(tpl["CB-T1"], inbox / "tanlap.xlsx", date(2026, 1, 15), t1)
    fill(tpl["CB-T2"], inbox / "dongme.xlsx", date(2026, 1, 16), [
        reg("T2-01", "Sửa chữa nhà văn hóa thôn Đồng Me", date(2026, 8, 31), target=1, measure="công trình")])
    invoke("collect", ws, "--period", "2026", code=1)
    t1[1]["Lĩnh vực"] = "Kinh tế – xã hội"
    fill(tpl["CB-T1"], inbox / "tanlap_sua.xlsx", date(2026, 1, 20), t1)  # the first accepted registration
    # Đồng Me, accepted already, adds a task: that is an addition
    fill(tpl["CB-T2"], inbox / "dongme_bo_sung.xlsx", date(2026, 1, 25), [
        reg("T2-01", "Sửa chữa nhà văn hóa thôn Đồng Me", date(2026, 8, 31), target=1, measure="công trình"),
        reg("T2-02", "Thành lập 1 tổ hòa giải ở cơ sở thôn Đồng Me", date(2026, 6, 30), target=1, measure="tổ")])
    invoke("collect", ws, "--period", "2026")

    invoke("merge", ws, "--period", "2026")
    changes = rows_of(ws / "rounds/2026/output/tong_hop_dang_ky_2026.xlsx", "Điều chỉnh")
    assert [(r["Mã đơn vị"], r["Mã nhiệm vụ"], r["Nội dung"]) for r in changes] == [
        ("CB-T2", "T2-02", "Bổ sung nhiệm vụ")]
    invoke("adjust", ws, "--period", "2026")
    history = rows_of(ws / "rounds/2026/output/dieu_chinh_nhiem_vu_2026.xlsx", "Lịch sử thay đổi")
    assert [(r["Mã đơn vị"], r["Mã nhiệm vụ"], r["Nội dung thay đổi"], r["Nguồn"]) for r in history] == [
        ("CB-T2", "T2-02", "Bổ sung nhiệm vụ", "Đơn vị gửi lại bản đăng ký")]
    invoke("history", ws, "--period", "2026")
    trail = ws / "rounds/2026/output/lich_su_nhiem_vu_2026.xlsx"
    assert [(r["Mã đơn vị"], r["Mã nhiệm vụ"], r["Nội dung"]) for r in rows_of(trail, "Thay đổi")] == [
        ("CB-T2", "T2-02", "Bổ sung nhiệm vụ")]
