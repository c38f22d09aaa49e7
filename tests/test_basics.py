from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import PeriodError
from toolkit.intake import coerce
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


def test_fold_the_quick_way_gives_the_tables_key_for_every_character():
    """fold takes a quicker way (NFD, marks dropped) for texts of Vietnamese and Latin letters; for every code point,
    between letters (and in the basic plane after a decomposed Vietnamese letter), it gives the key the table gives, and texts of
    any mix of characters (marks, CJK, Greek, signs that lower-case to Latin, surrogates, spaces) too."""
    import random

    from toolkit.text import _fold, _fold_by_table

    differ = []
    for cp in range(0x110000):  # (after a decomposed letter: the planes where letters decompose)
        for text in (f"a{chr(cp)}b", f"Ê{chr(cp)}\u0301 1") if cp < 0x10000 else (f"a{chr(cp)}b",):
            if _fold(text) != _fold_by_table(text):
                differ.append((hex(cp), text))
    assert differ == []
    rng = random.Random(7)
    pool = list("aAđĐoOêÊ ,.-_\t\n\x0b\x1c\u00a0\u200b09zZ") + [
        "\u0301", "\u0323", "\u0302", "\u0306", "\u031b", "\u20d0", "中", "Σ", "ß", "İ", "\u212b", "\u212a", "\ud800",
        "ǅ", "ẞ", "ﬁ", "①", "Å", "é", "ữ", "Ỵ", "Ð"]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 14))) for _ in range(50_000)]
    assert [_fold(t) for t in texts] == [_fold_by_table(t) for t in texts]
    pool = list("–—“”…°²№\u00a0\u2009\u202f\u2212\u2028")  # office punctuation between letters, as Word writes it
    texts = ["".join(rng.choice(pool + list("aĐê ữ.")) for _ in range(rng.randint(0, 10))) for _ in range(20_000)]
    assert [_fold(t) for t in texts] == [_fold_by_table(t) for t in texts]
    assert _fold("中文 a") == "a"


def test_fold_takes_the_quick_way_for_vietnamese_with_the_punctuation_word_writes(monkeypatch):
    """Vietnamese office text with the dashes, quotes, ellipses and no-break spaces Word puts in it is folded the quick
    way (the table is not asked)."""
    from toolkit import text as text_module

    def table(value):
        raise AssertionError(f"folded through the table: {value!r}")

    monkeypatch.setattr(text_module, "_fold_by_table", table)
    assert text_module._fold("Đảng ủy xã Ea Tân – “KẾ HOẠCH” số 12/KH-ĐU…\u00a0đạt 95°, № 3") == \
        "dang uy xa ea tan ke hoach so 12 kh du dat 95 3"
    assert text_module._fold("Thuỷ  lợi\u00a0(2025) — Kinh tế – xã hội") == "thuy loi 2025 kinh te xa hoi"


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
    assert coerce.to_date("31/2/2025")[1] == "tháng 2/2025 chỉ có 28 ngày"  # which part is wrong, said
    assert coerce.to_date("15/13/2025")[1] == "không có tháng 13"
    assert coerce.to_bool("Có") == (True, None) and coerce.to_bool("x") == (True, None)
    assert coerce.to_choice("hoàn  THÀNH", ("Chưa triển khai", "Hoàn thành")) == ("Hoàn thành", None)


def test_coercions_of_every_form_units_type():
    assert [coerce.to_text(v) for v in (True, False, 4.0, 4.5, float("inf"), datetime(2025, 6, 15),
                                        datetime(2025, 6, 15, 9, 30), date(2025, 6, 15), 12)] == [
        "có", "không", "4", "4.5", "inf", "15/06/2025", "2025-06-15 09:30:00", "15/06/2025", "12"]
    cases = {True: (None, "giá trị đúng/sai"), float("nan"): (None, "không phải số hữu hạn"),
             date(2025, 1, 1): (None, "là ngày tháng"), "": (None, "rỗng"), "-1.234,5": (-1234.5, None),
             "1,234.5": (1234.5, None), "1,234,567": (1234567.0, None), "1,23,4": (None, "không phải số"),
             "1.234.567": (1234567.0, None), "1.23.4": (None, "không phải số"), "1.234": (1234.0, None),
             "0.234": (0.234, None), "12.5": (12.5, None), "abc": (None, "không phải số"), "50 người": (50.0, None),
             "50%": (50.0, None), "+7": (7.0, None), "1 000 000 đ": (1000000.0, None)}
    assert {k: coerce.to_number(k) for k in cases} == cases
    assert [coerce.to_integer(v) for v in ("2,5", "x", "12")] == [(None, "không phải số nguyên"),
                                                                 (None, "không phải số"), (12, None)]


def test_numbers_dates_and_text_in_vietnamese_style():
    import pandas as pd

    from toolkit import formatting as f

    assert [f.missing(v) for v in (None, float("nan"), "nan", " ", pd.NaT, pd.NA, [], 0)] == [True] * 6 + [False] * 2
    assert [f.number(1234567.5), f.number(4.0), f.number(4.55), f.number(True), f.number("abc"),
            f.number(None, empty="—"), f.number(1234.5, 0)] == ["1.234.567,5", "4", "4,6", "có", "abc", "—", "1.235"]
    assert [f.percent(29.25), f.percent(None), f.ratio(0.292), f.ratio(None, empty="-"), f.points(23.65)] == [
        "29,3%", "", "29,2%", "-", "23,7"]
    # what rounds to zero is zero, whatever its sign: never "-0%" on a scorecard
    assert [f.percent(-0.04), f.percent(-0.0), f.ratio(-1e-9), f.number(-0.4, 0), f.points(-0.04), f.percent(-0.05)] \
        == ["0%", "0%", "0%", "0", "0", "-0,1%"]
    assert [f.day(v) for v in (datetime(2025, 6, 15, 8), "2025-06-15T00:00", "2025-13-45xx", "hôm qua", None, 5)] \
        == ["15/06/2025", "15/06/2025", "2025-13-45xx", "hôm qua", "", "5"]
    assert [f.text(v) for v in (date(2025, 6, 15), 3.14159, True, False, None, "x")] == [
        "15/06/2025", "3,14", "có", "không", "", "x"]
    assert f.count(1200, "nhiệm vụ") == "1.200 nhiệm vụ"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.floats(allow_nan=True), st.integers(), st.booleans(), st.dates()))
def test_coercions_never_raise(value):
    for fn in (coerce.to_number, coerce.to_integer, coerce.to_percent, coerce.to_date, coerce.to_bool):
        result, problem = fn(value)
        assert result is None or problem is None
    clean_text(str(value))
    guess_legacy(str(value))


def test_issue_catalogue_rejects_unknown_codes():
    with pytest.raises(ValueError, match="no-such-code"):
        make_issue("no-such-code")
    issue = make_issue("missing-value", file="a.xlsx", sheet="Nhiệm vụ", cell="D7", title="Tên nhiệm vụ")
    assert issue.message == "Chưa điền 'Tên nhiệm vụ'." and issue.is_error
    assert all(c.code == c.code.lower() and " " not in c.code for c in CATALOGUE.values())


def test_the_utf8_of_a_text_safe_for_xml_is_the_encoding_of_xml_safe():
    """A Word document's body is checked for what XML forbids on the UTF-8 it is written with (encoded once):
    the bytes are those of xml_safe's text, for clean texts and for texts holding control characters, U+FFFE/U+FFFF
    and lone surrogates, short and long (xml_safe's quick check starts above 4,096 characters)."""
    import random

    from toolkit.text import xml_safe, xml_safe_utf8

    rng = random.Random(5)
    pool = list("aĐê ữ<>&\n\t\r") + ["\x00", "\x07", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff", "中", "–"]
    for n in (0, 1, 50, 5000):
        for _ in range(300):
            text = "".join(rng.choice(pool if rng.random() < 0.3 else pool[:12]) for _ in range(n))
            assert xml_safe_utf8(text) == xml_safe(text).encode("utf-8"), text[:80]
    assert xml_safe_utf8("Đã xong\x07 ngày 5/6\ufffe") == "Đã xong ngày 5/6".encode()
