from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from toolkit import coerce
from toolkit.errors import PeriodError
from toolkit.issues import CATALOGUE, make_issue
from toolkit.periods import parse_period
from toolkit.samples import encode_tcvn3, encode_vni
from toolkit.text import clean_text, decode_tcvn3, decode_vni, fold, font_encoding, guess_legacy


def test_periods_parse_strictly():
    assert (parse_period("2025-Q2").start, parse_period("2025-Q2").end) == (date(2025, 4, 1), date(2025, 6, 30))
    assert parse_period("2025-h1").code == "2025-H1"
    assert parse_period("2025-9M").end == date(2025, 9, 30)
    assert parse_period("2021-2025").register_key == "2021-2025"
    assert parse_period("2025-Y").register_key == "2025"
    for bad in ("2025-Q5", "25", "2025-2020", "Q1-2025", "", "2025 H1"):
        with pytest.raises(PeriodError, match="Kỳ"):
            parse_period(bad)


def test_legacy_encodings_decode_known_samples():
    assert decode_tcvn3("KÕt n¹p ®¶ng viªn") == "Kết nạp đảng viên"
    assert decode_tcvn3("kÕt n¹p", upper=True) == "KẾT NẠP"
    assert decode_vni("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam") == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert font_encoding(".VnTime") == "tcvn3" and font_encoding(".VnTimeH") == "tcvn3-upper"
    assert font_encoding("VNI-Times") == "vni" and font_encoding("Times New Roman") is None


@pytest.mark.parametrize("text", ["Đảng bộ tỉnh kết nạp đảng viên mới", "Người đứng đầu cấp ủy, hòa giải ở cơ sở",
                                  "Hoàn thành đường giao thông nông thôn liên thôn"])
def test_legacy_round_trip(text):
    assert decode_tcvn3(encode_tcvn3(text)) == text
    assert decode_vni(encode_vni(text)) == text


def test_content_guess_does_not_misfire_on_foreign_names():
    assert guess_legacy("KÕt n¹p ®¶ng viªn míi") == "tcvn3"
    assert guess_legacy("Coäng hoøa xaõ hoäi chuû nghóa") == "vni"
    for foreign in ("José Muñoz García Peña", "Müller Straße Größe", "Hoàn thành", "Crème brûlée à la carte"):
        assert guess_legacy(foreign) is None


def test_clean_and_fold():
    text, ctrl = clean_text("\u00a0 Ke\u0302\u0301t\u200b  na\u0323p\x07 ")
    assert (text, ctrl) == ("Kết nạp", True)
    assert fold("  Huyện  THUỶ Nguyên ") == fold("huyen thuy nguyen") == "huyen thuy nguyen"


def test_coercions_vietnamese_habits():
    assert coerce.to_number("1.234,5") == (1234.5, None)
    assert coerce.to_number("1,5") == (1.5, None)
    assert coerce.to_percent("80%") == coerce.to_percent(80) == coerce.to_percent(0.8) == (80.0, None)
    for text in ("15/6/2025", "15-06-25", "15.6.2025", "ngày 15 tháng 6 năm 2025", 45823.0, "2025-06-15"):
        assert coerce.to_date(text) == (date(2025, 6, 15), None), text
    assert coerce.to_date("31/2/2025")[1] == "ngày không tồn tại"
    assert coerce.to_bool("Có") == (True, None) and coerce.to_bool("x") == (True, None)
    assert coerce.to_choice("hoàn  THÀNH", ("Chưa triển khai", "Hoàn thành")) == ("Hoàn thành", None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.floats(allow_nan=True), st.integers(), st.booleans(), st.dates()))
def test_coercions_never_raise(value):
    for fn in (coerce.to_number, coerce.to_integer, coerce.to_percent, coerce.to_date, coerce.to_bool):
        result, problem = fn(value)
        assert result is None or problem is None
    clean_text(str(value))
    guess_legacy(str(value))


def test_issue_catalogue_rejects_unknown_codes():
    with pytest.raises(ValueError):
        make_issue("no-such-code")
    issue = make_issue("missing-value", file="a.xlsx", sheet="Nhiệm vụ", cell="D7", title="Tên nhiệm vụ")
    assert issue.message == "Chưa điền 'Tên nhiệm vụ'." and issue.is_error
    assert all(c.code == c.code.lower() and " " not in c.code for c in CATALOGUE.values())
