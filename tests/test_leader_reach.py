"""Which leaders are classified: the registry's column "Thuộc diện BTV quản lý" decides who is classified and
counted in the leaders' quota ("không" leaves a leader out, the tasks still count for the unit); leaders of the
top unit, which gets no template, can never receive a task and are named at init and templates. Through the CLI,
for an invented town committee (Thị ủy Sông Cầu, tỉnh Lam Giang)."""

import json
from datetime import date

import openpyxl
from clerk_helpers import fill, invoke, outbox, prog, reg
from conftest import rows_of

from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("TX", "Thị ủy Sông Cầu", "Thị xã", "", "Hồ Văn Cầu", "Bí thư Thị ủy", "vp@songcau.vn"),
    ("P-01", "Đảng ủy phường Xuân Phú", "Phường", "TX", "Lý Văn Phú", "Bí thư Đảng ủy", "xp@songcau.vn"),
    ("P-02", "Đảng ủy phường Xuân Yên", "Phường", "TX", "Tô Thị Yên", "Bí thư Đảng ủy", "xy@songcau.vn"),
    ("X-03", "Đảng ủy xã Xuân Lâm", "Xã", "TX", "Kha Văn Lâm", "Bí thư Đảng ủy", "xl@songcau.vn"),
    ("X-04", "Đảng ủy xã Xuân Hải", "Xã", "TX", "Âu Thị Hải", "Bí thư Đảng ủy", "xh@songcau.vn"),
    ("QS", "Đảng ủy Quân sự thị xã", "Đảng ủy quân sự", "TX", "Lưu Văn Quân", "Bí thư Đảng ủy", "qs@songcau.vn"),
]
LEADERS = [
    ("L.1", "Hồ Văn Cầu", "Bí thư Thị ủy", "TX", "có"),
    ("L.2", "Mạc Thị Sông", "Phó Bí thư Thường trực Thị ủy", "TX", "có"),
    ("L.3", "Lý Văn Phú", "Bí thư Đảng ủy phường Xuân Phú", "P-01", "có"),
    ("L.4", "Lưu Văn Quân", "Chỉ huy trưởng Ban CHQS thị xã", "QS", "không"),
    ("L.5", "Tô Thị Yên", "Bí thư Đảng ủy phường Xuân Yên", "P-02", ""),  # blank: classified
    ("L.6", "Kha Văn Lâm", "Bí thư Đảng ủy xã Xuân Lâm", "X-03", "có"),
    ("L.7", "Âu Thị Hải", "Bí thư Đảng ủy xã Xuân Hải", "X-04", "có"),
]
XS, TOT = "Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ"
DONE = "Hoàn thành"
TOP = ("2 đồng chí lãnh đạo không biểu mẫu nào giao nhiệm vụ được nên sẽ không được chấm điểm, xếp loại: Hồ Văn Cầu "
       "(L.1, Thị ủy Sông Cầu: đơn vị cấp cao nhất, không nhận biểu mẫu); Mạc Thị Sông (L.2, Thị ủy Sông Cầu: đơn vị "
       "cấp cao nhất, không nhận biểu mẫu).")


def test_who_is_classified_among_leaders(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Thị ủy Sông Cầu"
    out = invoke("init", ws, "--office", "Thị ủy Sông Cầu", "--units", registry, "--period", "2026", "--period",
                 "2026-Q1", "--deadline", "2026=31/01/2026", "--deadline", "2026-Q1=10/04/2026")
    assert TOP in " ".join(out.split())
    out = invoke("templates", ws, "--form", "registration", "--period", "2026")
    assert TOP in " ".join(out.split())
    codes = [u[0] for u in UNITS[1:]]
    tpl = outbox(ws, "2026", codes)
    inbox = ws / "rounds/2026/inbox"
    leader = {"P-01": "L.3", "P-02": "L.5", "X-03": "L.6", "X-04": "L.7", "QS": "L.4"}
    for code in codes:
        fill(tpl[code], inbox / f"{code}.xlsx", date(2026, 1, 20), [
            reg(f"{code}.1", f"Tổ chức 10 buổi tuyên truyền pháp luật ở {code}", date(2026, 3, 15), leader[code])])
    invoke("collect", ws, "--period", "2026")
    invoke("templates", ws, "--form", "progress", "--period", "2026-Q1")
    tpl = outbox(ws, "2026-Q1", codes)
    inbox = ws / "rounds/2026-Q1/inbox"
    done = {"P-01": 10, "QS": 10, "P-02": 5, "X-03": 5, "X-04": 5}  # of a target of 10
    for code in codes:
        fill(tpl[code], inbox / f"{code}.xlsx", date(2026, 4, 5), [
            prog(f"{code}.1", DONE, 100, done[code], date(2026, 3, 10))], by_code=True)
    invoke("collect", ws, "--period", "2026-Q1")
    result = json.loads(invoke("score", ws, "--period", "2026-Q1", "--json"))
    # by hand: each task done on time -> 40 + 30 + 30 × actual/target: 10/10 -> 100, 5/10 -> 85.
    # Leaders classified: L.3 (100), L.5, L.6, L.7 (85) -> 1 at "xuất sắc" + 3 at "tốt" = 4; 20 % of 4 = 0,8 -> no
    # place: L.3 "tốt". (Counting L.4 of the military committee, "không", would give 5 -> 1 place, tied at 100.)
    leaders = {s["subject_id"]: (s["score"], s["level"], s["detail"]["pending"]) for s in result["leaders"]}
    assert leaders == {"L.3": (100.0, TOT, False), "L.5": (85.0, TOT, False), "L.6": (85.0, TOT, False),
                       "L.7": (85.0, TOT, False)}
    why = " ".join(next(s for s in result["leaders"] if s["subject_id"] == "L.3")["detail"]["why"])
    assert "chỉ có 0 suất (20% của 4 đồng chí" in why
    # the military committee itself is a unit and is classified with the units (its task counts for it)
    units = {s["subject_id"]: s["score"] for s in result["units"]}
    assert units == {"P-01": 100.0, "QS": 100.0, "P-02": 85.0, "X-03": 85.0, "X-04": 85.0}
    notes = " ".join(result["notes"])
    assert ("1 đồng chí không thuộc diện Ban Thường vụ quản lý (danh sách lãnh đạo, cột 'Thuộc diện BTV quản lý': "
            "không) nên không xếp loại, không tính vào tỷ lệ; nhiệm vụ các đồng chí phụ trách vẫn tính cho đơn vị: "
            "Lưu Văn Quân (L.4).") in notes
    assert ("2 đồng chí lãnh đạo không phụ trách nhiệm vụ nào trong kỳ nên không chấm điểm, xếp loại: Hồ Văn Cầu "
            "(L.1), Mạc Thị Sông (L.2).") in notes
    classification = ws / "rounds/2026-Q1/output/xep_loai_2026-Q1.xlsx"
    wb = openpyxl.load_workbook(classification)
    assert [r["Mã"] for r in rows_of(classification, "Xếp loại lãnh đạo", 4)] == ["L.3", "L.5", "L.6", "L.7"]
    assert "Lưu Văn Quân (L.4)" in wb["Xếp loại lãnh đạo"]["A2"].value
    rules = [c.value for c in wb["Quy tắc"]["A"] if c.value]
    assert any(line.startswith("Xếp loại lãnh đạo: chỉ các đồng chí thuộc diện Ban Thường vụ quản lý") for line in rules)
