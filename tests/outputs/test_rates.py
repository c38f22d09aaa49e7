"""One Rates for every skin: the counts of who reported and the sentences the CLI, the run, the panel and the demo
print, composed in one place."""

from __future__ import annotations

from toolkit.outputs.status import Rates, StatusResult, UnitStatus


def _status() -> StatusResult:
    states = ["on_time", "on_time", "late", "rejected", "missing", "not_registered"]
    units = [UnitStatus(code=f"U{i}", name=f"Đơn vị {i}", parent="Huyện" if i < 3 else "", state=s)
             for i, s in enumerate(states)]
    return StatusResult(period="2025", form="registration", deadline="31/01/2025", form_name="đăng ký nhiệm vụ",
                        units=units)


def test_the_counts_and_their_dict():
    r = _status().rates()
    assert isinstance(r, Rates) and (r.expected, r.reported, r.on_time, r.late) == (6, 3, 2, 1)
    assert r["rejected"] == r.rejected == 1 and r.get("missing") == 1 and r.not_registered == 1
    assert list(r.to_dict()) == ["expected", "reported", "on_time", "late", "rejected", "missing", "not_registered",
                                 "reporting_rate", "on_time_rate"]
    assert (r.reporting_rate, r.on_time_rate) == (50.0, 33.3)
    assert {k: v.reported for k, v in _status().by_parent().items()} == {"Huyện": 3, "(cấp cao nhất)": 0}


def test_every_skin_sentence_comes_from_the_rates():
    r = _status().rates()
    assert r.line("đăng ký nhiệm vụ") == ("Tình hình nộp đăng ký nhiệm vụ: 3/6 đơn vị đã nộp, 1 chưa nộp, chưa đăng ký "
                                          "nhiệm vụ 1, 1 bị trả lại")
    assert r.brief() == "Đã nộp 3/6, chưa nộp 1, chưa đăng ký nhiệm vụ 1, bị trả lại 1"
    assert r.detail(lambda x: f"{x:g}%") == ("Đã nộp 3/6 (50%), đúng hạn 2 (33.3%), muộn 1, bị trả lại 1, chưa nộp 1, "
                                             "chưa đăng ký nhiệm vụ 1.")
    assert r.timeliness() == "3/6 đã nộp (2 đúng hạn, 1 muộn), 1 bị trả lại, 1 chưa nộp, chưa đăng ký nhiệm vụ 1"
