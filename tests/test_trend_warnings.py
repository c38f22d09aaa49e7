"""No false warnings at intake: a target that falls (a poverty rate 11,2 → 8,5) is followed in its own direction
(falling is progress, rising is warned), and a task finished earlier and reported finished again with the same
result is not a copy of its own report. Through the CLI, for an invented commune committee (Đảng ủy xã Nà Hang)."""

import json
from datetime import date

from clerk_helpers import fill, invoke, outbox, prog, reg
from conftest import rows_of

from toolkit.workspace.units import write_sample_registry

UNITS = [
    ("NH", "Đảng ủy xã Nà Hang", "Xã", "", "Ma Văn Hang", "Bí thư Đảng ủy", "vp@nahang.vn"),
    ("T.01", "Chi bộ thôn Nà Lầu", "Chi bộ", "NH", "Hoàng Văn Lầu", "Bí thư Chi bộ", "nalau@nahang.vn"),
]
LEADERS = [("L1", "Hoàng Văn Lầu", "Bí thư Chi bộ", "T.01", "có")]
ON, DONE = "Đang thực hiện – đúng tiến độ", "Hoàn thành"
DONE_TEXT = ("Đã tổ chức đủ 4 hội nghị đối thoại giữa Bí thư chi bộ với nhân dân trong quý 1, tiếp nhận 23 ý kiến, "
             "đã trả lời 23 ý kiến tại hội nghị.")
SAME_TEXT = ("Tiếp tục vận động các hộ tham gia mô hình chăn nuôi trâu vỗ béo, hướng dẫn kỹ thuật chuồng trại, phối "
             "hợp với hội nông dân xã hỗ trợ con giống.")


def codes(files: dict, name: str) -> list[tuple[str, str]]:
    return sorted((i["code"], i["cell"]) for i in files[name]["issues"]
                  if i["code"] not in ("resubmission", "late-submission"))


def test_target_direction_and_finished_tasks(tmp_path):
    registry = tmp_path / "don_vi.xlsx"
    write_sample_registry(registry, UNITS, LEADERS)
    ws = tmp_path / "Đảng ủy xã Nà Hang"
    invoke("init", ws, "--office", "Đảng ủy xã Nà Hang", "--units", registry, "--period", "2026",
           "--period", "2026-Q1", "--period", "2026-H1", "--period", "2026-9M", "--deadline", "2026=31/01/2026",
           "--deadline", "2026-Q1=10/04/2026", "--deadline", "2026-H1=10/07/2026", "--deadline", "2026-9M=10/10/2026")
    invoke("templates", ws, "--form", "registration", "--period", "2026")
    tpl = outbox(ws, "2026", ["T.01"])
    fill(tpl["T.01"], ws / "rounds/2026/inbox/nalau.xlsx", date(2026, 1, 20), [
        reg("NL-01", "Giảm tỷ lệ hộ nghèo của thôn Nà Lầu từ 11,2% xuống 8,5%", date(2026, 12, 31), baseline=11.2,
            target=8.5, measure="%", **{"Chỉ tiêu đo lường": "Tỷ lệ hộ nghèo"}),
        reg("NL-02", "Tổ chức 4 hội nghị đối thoại với nhân dân thôn Nà Lầu", date(2026, 3, 31), target=4,
            measure="hội nghị"),
        reg("NL-03", "Phát triển 10 hộ chăn nuôi trâu vỗ béo ở thôn Nà Lầu", date(2026, 12, 31), target=10,
            measure="hộ"),
        reg("NL-04", "Giảm số vụ vi phạm trật tự an toàn giao thông ở thôn Nà Lầu từ 12 xuống 4 vụ", date(2026, 6, 30),
            baseline=12, target=4, measure="vụ")])
    invoke("collect", ws, "--period", "2026")

    def progress_round(period, day, rows):
        invoke("templates", ws, "--form", "progress", "--period", period)
        fill(outbox(ws, period, ["T.01"])["T.01"], ws / f"rounds/{period}/inbox/nalau.xlsx", day, rows, by_code=True)
        out = json.loads(invoke("collect", ws, "--period", period, "--json"))
        return {f["file"]: f for f in out["files"]}

    files = progress_round("2026-Q1", date(2026, 4, 5), [
        prog("NL-01", ON, 26, 10.5), prog("NL-02", DONE, 100, 4, date(2026, 3, 25), DONE_TEXT),
        prog("NL-03", ON, 20, 2, results=SAME_TEXT), prog("NL-04", ON, 30, 10)])
    assert codes(files, "nalau.xlsx") == []
    # H1: the poverty rate falls (10,5 -> 9,6: progress, no warning); NL-02, finished in Q1, is reported again with
    # the same result (no copy); NL-03, not finished, repeats its Q1 text word for word (a copy, rows 7-9: I9)
    files = progress_round("2026-H1", date(2026, 7, 5), [
        prog("NL-01", ON, 60, 9.6), prog("NL-02", DONE, 100, 4, date(2026, 3, 25), DONE_TEXT),
        prog("NL-03", ON, 40, 4, results=SAME_TEXT),
        prog("NL-04", DONE, 100, 8, date(2026, 6, 25), "Cả 6 tháng chỉ xảy ra 8 vụ vi phạm.")])
    assert codes(files, "nalau.xlsx") == [("copied-report", "J9")], files["nalau.xlsx"]["issues"]
    # the score follows the target's direction too. By hand: NL-04 (due 30/06, done on time) reached (12 − 8) /
    # (12 − 4) = 50 % of its target (not 8 / 4 capped at 100 %); NL-02 done on time at 4/4; NL-01 and NL-03 not due,
    # on schedule -> quantity 1, schedule 1, quality (1 + 1 + 1 + 0,5) / 4 -> 40 + 30 + 26,25 = 96,25
    result = json.loads(invoke("score", ws, "--period", "2026-H1", "--json"))
    assert [(s["subject_id"], s["score"]) for s in result["units"]] == [("T.01", 96.25)]
    invoke("merge", ws, "--period", "2026-H1")
    data = {r["Mã nhiệm vụ"]: r["Mức đạt chỉ tiêu (%)"]
            for r in rows_of(ws / "rounds/2026-H1/output/tong_hop_tien_do_2026-H1.xlsx", "Dữ liệu", 1)}
    # NL-01: (11,2 − 9,6) / (11,2 − 8,5) = 59,3 %;  NL-03: 4/10
    assert data == {"NL-01": 59.3, "NL-02": 100.0, "NL-03": 40.0, "NL-04": 50.0}
    # 9 months: the rate rises again (9,6 -> 9,9): that is the warning, in the target's own direction
    files = progress_round("2026-9M", date(2026, 10, 5), [
        prog("NL-01", ON, 55, 9.9), prog("NL-02", DONE, 100, 4, date(2026, 3, 25), DONE_TEXT),
        prog("NL-03", ON, 70, 7, results="Đã có 7 hộ tham gia mô hình, 3 hộ đang làm chuồng trại."),
        prog("NL-04", DONE, 100, 8, date(2026, 6, 25), "Cả 6 tháng chỉ xảy ra 8 vụ vi phạm.")])
    issues = [i for i in files["nalau.xlsx"]["issues"] if i["code"] not in ("resubmission", "late-submission")]
    assert sorted((i["code"], i["cell"]) for i in issues) == [("progress-actual-up", "H7"),
                                                              ("progress-percent-down", "G7")]
    up = next(i for i in issues if i["code"] == "progress-actual-up")
    assert up["message"] == ("Giá trị đạt được tăng từ 9,6 (6 tháng đầu năm 2026) lên 9,9, trong khi mục tiêu là giảm từ "
                             "11,2 xuống 8,5.")
    assert up["hint"] == "Kiểm tra lại số liệu; nếu đúng là tăng, ghi rõ lý do ở cột 'Khó khăn, vướng mắc'."  # its title
