"""`toolkit demo` runs the year's cycle on sample_workbooks/ through the CLI: registration, confirmation (one task
sent back), the 6-month round with one adjustment approved, the year end judged on the adjusted register, and
the history. The outputs it prints are reopened and checked against the sample manifest."""

import json
import re
from datetime import datetime

import openpyxl
from click.testing import CliRunner
from conftest import ROOT

from toolkit.cli import cli
from toolkit.demo import REVISE_NOTE


def _rows(path, sheet, first_title):
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == first_title)
    return [dict(zip(rows[top], r)) for r in rows[top + 1:] if r[0] is not None]


def test_demo_runs_the_year_cycle_on_the_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    manifest = json.loads((ROOT / "sample_workbooks/manifest.json").read_text(encoding="utf-8"))
    adj = manifest["adjustment"]
    ws = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", str(ws), "--no-pdf"], terminal_width=400)
    assert result.exit_code == 0, result.output
    out = result.output
    for phrase in ("Bảng xác nhận đăng ký (142 nhiệm vụ", "'Đề nghị sửa' nhiệm vụ XLS-02 của XLS, 'Đồng ý' 141",
                   "đã xác nhận 141, đề nghị sửa 1, không đồng ý 0, chờ ý kiến 0",
                   "Bảng đề nghị điều chỉnh (1 đề nghị chờ ý kiến)",
                   "lần này áp dụng 1 đề nghị được đồng ý", "xếp loại 19 đơn vị, 19 lãnh đạo"):
        assert phrase in out, phrase
    for step in range(1, 18):
        assert f"[{step}] " in out
    # every round ran through pipeline.run_round, as `toolkit run` does: who has not reported, for each round
    assert [(ws / f"rounds/{p}/output/danh_sach_chua_nop_{f}_{p}.xlsx").is_file() for p, f in (
        ("2025", "dang_ky"), ("2025-H1", "tien_do"), ("2025-Y", "tien_do"))] == [True, True, True]

    # confirmation: the clerk's opinions applied, the task sent back in the unit's annotated copy
    review = ws / "rounds/2025/output/xac_nhan_dang_ky_2025.xlsx"
    assert str(review) in out
    rows = _rows(review, "Xác nhận đăng ký", "Mã đơn vị")
    assert len(rows) == 142
    states = {(r["Mã đơn vị"], r["Mã nhiệm vụ"]): (r["Ý kiến"], r["Tình trạng"]) for r in rows}
    assert states.pop(("XLS", "XLS-02")) == ("Đề nghị sửa", "Đã đề nghị đơn vị sửa")
    assert set(states.values()) == {("Đồng ý", "Đã xác nhận")}
    xls = next(r for r in rows if r["Mã nhiệm vụ"] == "XLS-02")
    assert "đo lường được" in xls["Cảnh báo khi tiếp nhận"] and xls["Nội dung đề nghị sửa, lý do"] == REVISE_NOTE
    sent = openpyxl.load_workbook(ws / "rounds/2025/feedback/xac_nhan/XLS_y_kien_xac_nhan_2025.xlsx")
    text = "\n".join(str(c.value) for row in sent["Lỗi cần sửa"].iter_rows() for c in row if c.value)
    assert "Văn phòng đề nghị sửa nhiệm vụ 'XLS-02': Nhiệm vụ chưa có chỉ tiêu" in text
    comments = [c.comment.text for c in sent["Nhiệm vụ"]["D"] if c.comment]
    assert any(REVISE_NOTE in c for c in comments)  # the whole opinion on the task's title cell

    # the adjustment: asked in BTC's 6-month report, approved with the decision's reference, kept in history
    book = ws / "rounds/2025/output/dieu_chinh_nhiem_vu_2025.xlsx"
    (request,) = _rows(book, "Đề nghị điều chỉnh", "Số đề nghị")
    old, new = (datetime.fromisoformat(adj[k]).strftime("%d/%m/%Y") for k in ("deadline", "new_deadline"))
    assert (request["Mã đơn vị"], request["Mã nhiệm vụ"], request["Nội dung đề nghị"], request["Giá trị hiện tại"],
            request["Giá trị đề nghị"], request["Lý do"], request["Đề nghị trong"], request["Ý kiến"],
            request["Số, ngày văn bản"]) == (adj["unit"], adj["task"], "Điều chỉnh thời hạn", old, new, adj["reason"],
                                            "6 tháng đầu năm 2025", "Đồng ý", adj["decision_ref"])
    assert request["Tình trạng"].startswith("Đã áp dụng ngày")
    changes = list(openpyxl.load_workbook(book)["Lịch sử thay đổi"].iter_rows(min_row=2, values_only=True))
    assert [c[:5] + c[6:] for c in changes] == [(adj["unit"], adj["task"], "Thời hạn", old, new, adj["decision_ref"],
                                                 "Điều chỉnh được đồng ý")]
    assert re.fullmatch(r"\d\d/\d\d/20\d\d \d\d:\d\d", changes[0][5])  # when, as office staff write it

    # the year-end template carries the adjusted deadline; the year end is judged on it
    template = openpyxl.load_workbook(ws / f"rounds/2025-Y/outbox/{adj['unit']}_tien_do_2025-Y.xlsx")["Tiến độ"]
    row = next(r for r in template.iter_rows(min_row=7, values_only=True) if r[0] == adj["task"])
    assert row[4].date().isoformat() == adj["new_deadline"]
    issues = openpyxl.load_workbook(ws / "rounds/2025-Y/output/ket_qua_tiep_nhan_2025-Y.xlsx")["Lỗi"]
    assert sorted((r[1], r[3]) for r in issues.iter_rows(min_row=2, values_only=True)) == [
        ("XCP", "% hoàn thành giảm"), ("XLG", "Báo cáo sao chép")]  # the issue's Vietnamese name
    units = _rows(ws / "rounds/2025-Y/output/xep_loai_2025-Y.xlsx", "Xếp loại đơn vị", "Thứ hạng")
    assert len(units) == 19
    btc = next(u for u in units if u["Mã"] == adj["unit"])
    assert (f"Nhiệm vụ {adj['task']} được đánh giá theo thời hạn từ {old} thành {new} ({adj['decision_ref']}).") \
        in btc["Giải thích"]
    assert btc["Hoàn thành đúng hạn"] == 5  # BTC-01, done on 20/11/2025, is on time by the adjusted deadline
    assert "xep_loai_2025-H1.xlsx" in out and (ws / "rounds/2025-H1/output/xep_loai_2025-H1.xlsx").exists()

    # the history: the adjusted task's trail across the rounds
    hist = openpyxl.load_workbook(ws / "rounds/2025/output/lich_su_nhiem_vu_2025.xlsx")["Diễn biến nhiệm vụ"]
    trail = [r for r in hist.iter_rows(min_row=4, values_only=True) if r[3] == adj["task"]]
    assert [(r[7], r[8]) for r in trail] == [("Đăng ký", None), ("6 tháng đầu năm 2025", "Đề nghị điều chỉnh"),
                                             ("tổng kết năm 2025", "Hoàn thành")]
    assert trail[2][11] == "Hoàn thành đúng hạn" and f"Đồng ý: Điều chỉnh thời hạn {new}" in trail[2][13]
