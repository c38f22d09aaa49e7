"""Issue 5: classification thresholds, conditions and quota; Word documents reopened with python-docx."""

import shutil
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from conftest import make_return, task

from toolkit.errors import TemplateError, ToolkitError
from toolkit.intake.collect import collect
from toolkit.outputs.report import lint, template_path, write_reports
from toolkit.outputs.score import Score, classify, load_rules, score
from toolkit.round import open_round

RULES = load_rules()
XS, TOT, HT, KHT = (lv["name"] for lv in RULES["levels"])


def s(sid, points, late=0.0, schedule=1.0, quality=1.0):
    return Score("unit", sid, sid, score=points, late_share=late, schedule=schedule, quality=quality)


def test_thresholds_and_conditions():
    out = {x.subject_id: x.level for x in classify(
        [s("a", 95), s("b", 89.99), s("c", 70), s("d", 69.9), s("e", 50), s("f", 49.9),
         s("g", 92, late=0.1), s("h", 75, late=0.2), s("i", 60, late=0.25)], RULES)}
    assert out["a"] == TOT  # the only top candidate, but 20% of 3 at "tốt" or better leaves no place
    assert (out["b"], out["c"], out["d"], out["e"], out["f"]) == (TOT, TOT, HT, HT, KHT)
    assert out["g"] == HT  # 92 points but 10% late: neither "xuất sắc" nor "tốt" (all on time), 10% <= 20%
    assert out["h"] == HT and out["i"] == KHT
    # why a level was passed over, in a sentence a committee reads as it is
    g = next(x for x in classify([s("g", 92, late=0.1)], RULES) if x.subject_id == "g")
    assert "có 10% nhiệm vụ chậm, quá hạn hoặc chưa hoàn thành (mức này không cho phép nhiệm vụ nào chậm) nên " \
           "xét mức dưới" in " ".join(g.why)


def test_quota_top_level_capped_after_ranking_with_ties_explained():
    units = [s(f"x{i}", 95 - i) for i in range(4)] + [s(f"t{i}", 80) for i in range(6)]
    ranked = classify(units, RULES)
    levels = {x.subject_id: x.level for x in ranked}
    # base = 4 candidates + 6 at "tốt" = 10 -> 20% = 2 places
    assert [k for k, v in levels.items() if v == XS] == ["x0", "x1"]
    assert levels["x2"] == levels["x3"] == TOT
    assert "xếp thứ 3 trong 4 đơn vị đủ điều kiện" in " ".join(next(x for x in ranked if x.subject_id == "x2").why)
    assert "chỉ có 2 suất (20% của 10 đơn vị" in " ".join(next(x for x in ranked if x.subject_id == "x2").why)
    tied = classify([s("a", 95), s("b", 93), s("c", 93)] + [s(f"t{i}", 80) for i in range(7)], RULES)
    got = {x.subject_id: x.level for x in tied}
    assert (got["a"], got["b"], got["c"]) == (XS, TOT, TOT)  # 2 places, b and c tie at the boundary
    why_b = " ".join(next(x for x in tied if x.subject_id == "b").why)
    assert "Bằng điểm, tiến độ, chất lượng (93 điểm, tiến độ 100%, chất lượng 100%) với c" in why_b
    assert "còn 1 suất cho 2 đơn vị" in why_b and "đề nghị Ban Thường vụ xem xét, quyết định" in why_b
    assert [x.subject_id for x in tied if x.pending] == ["b", "c"]
    assert [x.rank for x in tied][:3] == [1, 2, 3]


def _round(ctx):
    make_return(ctx, "registration", "XLS", "2025", [
        task("XLS-01", deadline=date(2025, 3, 31), leader_id="LD12"),
        task("XLS-02", title="Hoàn thành 12 km đường liên thôn & <cầu> dân sinh", deadline=date(2025, 5, 31),
             target=12)])
    make_return(ctx, "registration", "XCP", "2025", [task("XCP-01", title="Kết nạp 30 đảng viên ở Cao Phong",
                                                          deadline=date(2025, 4, 30))])
    collect(open_round(ctx.ws, "2025"))
    make_return(ctx, "progress", "XLS", "2025-H1", [
        {"task_code": "XLS-01", "status": "Hoàn thành", "percent": 100, "actual": 50, "completed_on": date(2025, 3, 1)},
        {"task_code": "XLS-02", "status": "Hoàn thành", "percent": 100, "actual": 12, "completed_on": date(2025, 5, 1),
         "proposals": "Đề nghị hỗ trợ vốn & vật tư <gấp>"}], received=date(2025, 7, 5))
    make_return(ctx, "progress", "XCP", "2025-H1", [
        {"task_code": "XCP-01", "status": "Chậm tiến độ", "percent": 40, "actual": 12,
         "delay_cause": "Thiếu nguồn lực (kinh phí, nhân lực)"}], received=date(2025, 7, 5))
    collect(open_round(ctx.ws, "2025-H1"))


def test_score_end_to_end_writes_workbook_and_store(ctx):
    _round(ctx)
    result = score(open_round(ctx.ws, "2025-H1"))
    levels = {x.subject_id: (x.score, x.level) for x in result.units}
    assert levels["XLS"] == (100.0, TOT)  # sole top candidate, but 20% of 1 leaves no place: explained
    assert "chỉ có 0 suất (20% của 1 đơn vị" in " ".join(next(x for x in result.units if x.subject_id == "XLS").why)
    assert levels["XCP"][1] == KHT
    wb = openpyxl.load_workbook(result.path)
    head, *rows = list(wb["Xếp loại đơn vị"].iter_rows(min_row=4, values_only=True))
    rows = [dict(zip(head, r)) for r in rows]
    assert [(r["Mã"], r["Xếp loại"]) for r in rows] == [("XLS", levels["XLS"][1]), ("XCP", KHT)]
    assert rows[1]["Chưa hoàn thành"] == 1 and rows[0]["Hoàn thành đúng hạn"] == 2  # XCP-01 was due 30/04
    assert "Quy tắc" in wb.sheetnames and [x.subject_id for x in result.leaders] == ["LD12"]


def _text(path):
    d = docx.Document(path)
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_word_documents_contain_the_figures(ctx):
    _round(ctx)
    score(open_round(ctx.ws, "2025-H1"))
    result = write_reports(open_round(ctx.ws, "2025-H1"))
    names = sorted(Path(p).name for p in result.documents)
    assert names == ["LD12_2025-H1.docx", "XCP_2025-H1.docx", "XLS_2025-H1.docx", "bao_cao_tong_hop_2025-H1.docx",
                     "danh_sach_chua_nop_tien_do_2025-H1.docx"]
    report = _text(next(p for p in result.documents if "bao_cao" in p))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in report and "Số 125" not in report
    assert "Có 2/2 đơn vị gửi báo cáo (đạt 100%), trong đó 2 đơn vị đúng hạn." in report
    assert ("Tổng số 3 nhiệm vụ, trong đó 3 nhiệm vụ đến hạn hoặc đã kết thúc trong kỳ: hoàn thành đúng hạn 2, "
            "hoàn thành quá hạn 0, chưa hoàn thành 1 (tỷ lệ hoàn thành nhiệm vụ đến hạn 66,7%).") in report
    assert "Đề nghị hỗ trợ vốn & vật tư <gấp>" in report  # autoescape keeps & and <
    assert "Thiếu nguồn lực (kinh phí, nhân lực) | 1" in report
    assert "Đảng ủy xã Lương Sơn | 100 | Hoàn thành tốt nhiệm vụ" in report
    card = _text(next(p for p in result.documents if p.endswith("XLS_2025-H1.docx")))
    assert "Hoàn thành 12 km đường liên thôn & <cầu> dân sinh" in card and "Đảng ủy xã Lương Sơn" in card
    missing = _text(next(p for p in result.documents if "chua_nop" in p))
    # both units with registered tasks reported; units that registered nothing are not asked for progress
    assert "Tất cả các đơn vị đã gửi." in missing and "Đảng ủy xã Mai Châu" not in missing
    doc = docx.Document(next(p for p in result.documents if "bao_cao" in p))
    assert doc.sections[0].page_width.mm == pytest.approx(210, abs=1)
    assert len(doc.inline_shapes) == 2  # both charts


def test_the_report_keeps_no_round_frame_and_formats_each_value_once(ctx, monkeypatch):
    """The report is the round's last stage: once its documents' data is made, the session keeps no round frame
    while its charts are drawn and its documents render (370 MB at 3,000 units); a card's deadline or percentage is
    one text shared by every task that has it."""
    import toolkit.outputs.report as report
    from toolkit.outputs.report import _card_rows
    from toolkit.register.frame import round_frame

    drawn = []

    def draw(*args):
        drawn.append(bool(rnd.ctx.frames))
        return real(*args)

    real = report._draw_charts
    monkeypatch.setattr(report, "_draw_charts", draw)

    _round(ctx)
    rnd = open_round(ctx, "2025-H1")
    score(rnd)
    df = round_frame(rnd, rnd.store, rnd.form)
    assert rnd.ctx.frames  # kept for the stages that follow in the same session
    lines = [line for card in _card_rows(df)["unit"].values() for line in card]
    assert [x["percent"] for x in lines] == ["40%", "100%", "100%"] and lines[1]["percent"] is lines[2]["percent"]
    write_reports(rnd)
    assert not rnd.ctx.frames and drawn == [False]
    doc = docx.Document(rnd.output / "van_ban" / "bao_cao_tong_hop_2025-H1.docx")
    assert len(doc.inline_shapes) == 2  # both charts, drawn from the data taken before the frame was let go


def test_a_card_formats_values_equal_in_python_each_its_own_way():
    """0.0 and -0.0 (a unit may type "-0"), 1 and 1.0 are equal keys of a dict: each reads as formatting says (a
    value that rounds to zero reads "0%", whatever its sign: the card printed "-0%" before)."""
    import pandas as pd

    from toolkit.outputs.report import _card_rows

    df = pd.DataFrame({"title": list("abcde"), "deadline": [date(2025, 6, 30)] * 5, "status": ["x"] * 5,
                       "percent": [-0.0, 0.0, float("nan"), 12.0, -0.0], "_state": ["behind"] * 5, "_unit": ["U"] * 5})
    assert [x["percent"] for x in _card_rows(df)["unit"]["U"]] == ["0%", "0%", "", "12%", "0%"]


def test_commitment_forms_for_registration_round(ctx):
    _round(ctx)
    result = write_reports(open_round(ctx.ws, "2025"))
    form = next(p for p in result.documents if "ban_cam_ket_XLS" in p)
    text = _text(form)
    assert "BẢN CAM KẾT" in text and "Đảng ủy xã Lương Sơn".upper() in text
    assert "Hoàn thành 12 km đường liên thôn & <cầu> dân sinh" in text and "Quách Thị Nga" in text


def test_template_with_unknown_variable_fails_loudly_naming_it(ctx, tmp_path):
    bad = tmp_path / "bad.docx"
    d = docx.Document()
    d.add_paragraph("{{ office.name }} {{ khong_co }}")
    d.save(bad)
    with pytest.raises(TemplateError, match="bad.docx.*khong_co"):
        lint(bad, {"office": {}})
    (ctx.ws.root / "word").mkdir()
    shutil.copyfile(bad, ctx.ws.root / "word" / "danh_sach_chua_nop.docx")
    assert template_path(ctx.ws.root, "danh_sach_chua_nop.docx").parent == ctx.ws.root / "word"
    from toolkit.outputs.templates import build_templates

    build_templates(open_round(ctx.ws, "2025", "registration"), unit_codes=["XLS"])  # a round that has begun
    with pytest.raises(TemplateError, match="khong_co"):
        write_reports(open_round(ctx.ws, "2025"))


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_pdf_conversion_counts_outputs(ctx):
    _round(ctx)
    result = write_reports(open_round(ctx.ws, "2025"), pdf=True)
    assert len(result.pdfs) == len(result.documents) and result.pdf_message.startswith("Đã chuyển")
    assert all(Path(p).read_bytes()[:4] == b"%PDF" for p in result.pdfs)


def test_manual_general_points_and_workspace_rules(ctx):
    _round(ctx)
    wb = openpyxl.Workbook()
    wb.active.append(["Mã", "Điểm"])
    wb.active.append(["XLS", 24])
    wb.save(ctx.ws.root / "diem_tieu_chi_chung.xlsx")
    (ctx.ws.root / "scoring.yaml").write_text("general_when_missing: zero\n", encoding="utf-8")
    result = score(open_round(ctx.ws, "2025-H1"))
    got = {x.subject_id: (x.general_points, x.score) for x in result.units}
    assert got["XLS"] == (24.0, 94.0)  # 24 manual + 70 task points
    # XCP: its one task due and not done -> quantity 0, schedule 0, quality 24 % -> 70 x 0.3 x 0.24 = 5.04, + 0 general
    assert got["XCP"] == (0.0, 5.04)
    (ctx.ws.root / "scoring.yaml").write_text("components: {quantity: 0.5, schedule: 0.3, quality: 0.3}\n",
                                              encoding="utf-8")
    with pytest.raises(ToolkitError, match=r"^scoring.yaml: tổng tỷ trọng components phải bằng 1 \(đang là 1.1\)\.$"):
        score(open_round(ctx.ws, "2025-H1"))
