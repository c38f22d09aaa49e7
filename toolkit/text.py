"""Vietnamese text: NFC cleaning, folded matching keys, legacy encodings (TCVN3/ABC and VNI).

The TCVN3 table is glibc iconv's TCVN5712-1 for bytes 0xA1–0xFF (checked on this platform); text typed
with ".VnTime" fonts is stored in workbooks as the Latin-1 characters with those byte values.
VNI ("VNI-Times") is composite: a base letter followed by a Latin-1 character that carries the marks.
"""

from __future__ import annotations

import re
import unicodedata

# bytes 0xA1..0xFF of TCVN3 (ABC), as decoded by glibc iconv TCVN5712-1
_TCVN3_HIGH = (
    "ĂÂÊÔƠƯĐăâêôơưđẶ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
TCVN3_TABLE = {chr(0xA1 + i): ch for i, ch in enumerate(_TCVN3_HIGH)}

# VNI: marks carried by the character after a vowel (lower-case and upper-case variants)
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_VNI_MARKS_LOWER = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRC, "á": _CIRC + _ACUTE, "à": _CIRC + _GRAVE, "å": _CIRC + _HOOK, "ã": _CIRC + _TILDE,
    "ä": _CIRC + _DOT,
    "ê": _BREVE, "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE, "ú": _BREVE + _HOOK, "ü": _BREVE + _TILDE,
    "ë": _BREVE + _DOT,
}
_VNI_MARKS = {**_VNI_MARKS_LOWER, **{k.upper(): v for k, v in _VNI_MARKS_LOWER.items()}}
_VNI_LETTERS_LOWER = {"ö": "ư", "ô": "ơ", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VNI_LETTERS = {**_VNI_LETTERS_LOWER, **{k.upper(): v.upper() for k, v in _VNI_LETTERS_LOWER.items()}}
_VNI_VOWELS = set("aeouyAEOUY") | set("ươƯƠ")

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")

# Unicode Vietnamese letters that never occur in TCVN3/VNI-as-Latin-1 text
_VN_UNICODE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


# the same without â, ê, ô (Latin-1 letters that VNI also uses as marks after a vowel)
_VN_ONLY_UNICODE = re.compile("[ăđơưĂĐƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


_PLAIN = re.compile(r"[^\x00-\x1f\x7f\u00a0\u00ad\u0300-\u036f\u2007\u200b-\u200d\u202f\u2060\u3000\ufeff\ud800-\udfff]*")


def clean_text(value: str) -> tuple[str, bool]:
    """NFC, invisible characters removed, spaces collapsed, trimmed. Returns (text, had_control_chars)."""
    if _PLAIN.fullmatch(value) and "  " not in value and value == value.strip() and \
            unicodedata.is_normalized("NFC", value):
        return value, False  # the common case: nothing to do
    had_control = bool(_CONTROL.search(value))
    if had_control:
        value = _CONTROL.sub("", value)
    value = unicodedata.normalize("NFC", value.translate(_INVISIBLE))
    lines = [_SPACES.sub(" ", line).strip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line or False).strip(), had_control


_TONE_FIX = {  # old-style tone placement -> new style, applied on folded keys only
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}


def _fold_table() -> dict[int, str]:
    table = {ord("đ"): "d", ord("Đ"): "d"}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base.lower()
    for cp in range(0x300, 0x370):  # stray combining marks (NFD input)
        table[cp] = ""
    return table


_FOLD = _fold_table()
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# the quick way to the same key, for a text of ASCII and letters that decompose (NFD) into ASCII and marks
# U+0300–U+036F (Vietnamese, most Latin), and đ: decomposed, the marks dropped, every other byte a space; the
# punctuation and spaces Word puts in office texts (NBSP, – — “ ” … °, № …: Latin-1's U+00A0–U+00BF, the General
# Punctuation block, №, −) made spaces first, as the table leaves them to be. Any other character (Greek, CJK, a mark
# outside that block, a lone surrogate) takes the table above. The two ways give the same key for every code point,
# alone and between letters (tests/test_basics.py checks them all).
_OTHER = re.compile("[^\x00-\x7f\u0300-\u036f]")
_SPACED = re.compile("[\u00a0-\u00bf\u2000-\u206f\u2116\u2212]+")
_ALNUM_BYTES = bytes(b if 48 <= b <= 57 or 97 <= b <= 122 else 32 for b in range(256))


FOLDS_KEPT = 65536  # folded texts kept at most: then forgotten all at once (a text's fold is cheap to make again)
_folds: dict[str, str] = {}  # text -> its fold (codes and statuses met again and again; texts folded elsewhere)


def clear_caches() -> None:
    """Forget the folded texts kept for speed (between two stages of one process: see pipeline.release_memory)."""
    _folds.clear()


def fold(value: object) -> str:
    """Matching key: lower case, no accents (đ->d), single spaces, punctuation dropped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    key = _folds.get(text)
    if key is None:
        key = _fold(text)
        if len(text) < 300:
            if len(_folds) >= FOLDS_KEPT:
                _folds.clear()
            _folds[text] = key
    return key


def _fold(text: str) -> str:
    low = text.lower()
    if not low.isascii():
        parts = unicodedata.normalize("NFD", low).replace("đ", "d")
        if _OTHER.search(parts):
            parts = _SPACED.sub(" ", parts)
            if _OTHER.search(parts):
                return _fold_by_table(text)
        low = parts
    return " ".join(low.encode("ascii", "ignore").translate(_ALNUM_BYTES).decode("ascii").split())


def _fold_by_table(text: str) -> str:
    """``fold`` one character at a time through the table (every text; the quick way is checked against it)."""
    return _NON_ALNUM.sub(" ", text.lower().translate(_FOLD)).strip()


def known_folds(folds: dict[str, str]) -> None:
    """Texts folded in another process (collect's workers fold the texts a file's near-duplicate checks compare,
    while the collector, which checks one file after another, has the other work): kept, so that ``fold`` of
    any of them is looked up. Each value must be ``fold`` of its key."""
    if len(_folds) + len(folds) > FOLDS_KEPT:
        _folds.clear()
    _folds.update(folds)


def normalise_name(value: object) -> str:
    """Display form of a name or code: NFC, trimmed, single spaces."""
    if value is None:
        return ""
    return clean_text(str(value))[0]


# --- legacy encodings -------------------------------------------------------------------------

def font_encoding(font_name: str | None) -> str | None:
    """'tcvn3', 'tcvn3-upper' or 'vni' from a cell's font name, else None."""
    if not font_name:
        return None
    name = font_name.strip().lower()
    if name.startswith(".vn"):
        # .VnTimeH, .VnArialH ... draw lower-case codes as capitals
        base = name.split()[0]
        return "tcvn3-upper" if base.endswith("h") else "tcvn3"
    if name.startswith("vni-") or name.startswith("vni "):
        return "vni"
    return None


def decode_tcvn3(text: str, upper: bool = False) -> str:
    out = "".join(TCVN3_TABLE.get(ch, ch) for ch in text)
    out = unicodedata.normalize("NFC", out)
    return out.upper() if upper else out


def decode_vni(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch in _VNI_MARKS and out and _base_letter(out[-1]) in _VNI_VOWELS:
            out.append(_VNI_MARKS[ch])
        elif ch in _VNI_LETTERS:
            out.append(_VNI_LETTERS[ch])
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _base_letter(ch: str) -> str:
    return unicodedata.normalize("NFD", ch)[0] if ch not in "ươƯƠ" else ch


def decode_legacy(text: str, encoding: str) -> str:
    if encoding == "vni":
        return decode_vni(text)
    return decode_tcvn3(text, upper=encoding == "tcvn3-upper")


_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
                       r"(a|e|i|o|u|y|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ya|ye|"
                       r"ieu|oai|oay|oeo|uoi|uou|uya|uye|uyu|yeu|uay)"
                       r"(ch|ng|nh|[cmnpt]|[iouy])?$")
_VNI_PAIR = re.compile("[aeouyAEOUY][ùøûõïâáàåãäêéèúüëÙØÛÕÏÂÁÀÅÃÄÊÉÈÚÜË]")


# Latin-1 letters that Vietnamese Unicode text uses itself, and symbols typed in ordinary text (m², 30°C, «»):
# text whose only non-ASCII characters are among these is taken as typed, whatever it would decode to
_VN_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ") | set("°²³±×÷«»©®§·µ¼½¾¹º\u00a0")


def legacy_evidence(text: str) -> bool:
    """Characters that cannot occur in Vietnamese Unicode text (the strong evidence needed to convert)."""
    return any("\u00a0" < ch <= "\u00ff" and ch not in _VN_LATIN1 for ch in text)


def guess_legacy(text: str) -> str | None:
    """Guess TCVN3 or VNI from content alone; only on strong evidence (a character Vietnamese Unicode text
    never holds) and a result that reads as Vietnamese. Callers keep the original and warn."""
    if len(text) < 6 or _VN_ONLY_UNICODE.search(text) or not legacy_evidence(text):
        return None
    letters = sum(ch.isalpha() for ch in text) or 1
    high = [ch for ch in text if "\u00a0" < ch <= "\u00ff"]
    if len(high) < 2 or len(high) / letters < 0.08:
        return None
    vni_pairs = len(_VNI_PAIR.findall(text))
    if vni_pairs >= 2 and vni_pairs >= len(high) * 0.5:
        candidate, enc = decode_vni(text), "vni"
    else:
        candidate, enc = decode_tcvn3(text), "tcvn3"
    # accept only when the result reads as Vietnamese: several Vietnamese letters, few leftovers
    vn = len(_VN_UNICODE.findall(candidate))
    leftovers = sum(1 for ch in candidate if "\u00a0" < ch <= "\u00ff" and ch not in "àáâãèéêìíòóôõùúý")
    if vn < 2 or leftovers:
        return None
    words = [w for w, orig in zip(candidate.split(), text.split()) if any("\u00a0" < c <= "\u00ff" for c in orig)]
    valid = sum(1 for w in words if all(_SYLLABLE.match(p) for p in fold(w).split()) and fold(w))
    return enc if words and valid / len(words) >= 0.8 else None


# --- what writers may put into files -----------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # what XML 1.0 forbids
_C0 = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20))  # its control characters, as UTF-8 bytes


def xml_safe(value):
    """Text with the characters XML 1.0 forbids (NUL, other C0 controls, lone surrogates) removed; other
    values unchanged. Every workbook writer passes received text through this."""
    if not isinstance(value, str) or (len(value) > 4096 and not _maybe_illegal(value)):
        return value
    return _XML_ILLEGAL.sub("", value) if _XML_ILLEGAL.search(value) else value


def _maybe_illegal(text: str) -> bool:
    """False when a long text (a Word document's body, ~130,000 characters for a scorecard) surely holds nothing XML
    forbids, found in a fifth of the regular expression's time: a lone surrogate fails the UTF-8 encoding, U+FFFE and
    U+FFFF are looked for as characters, and a forbidden control character is a byte below 0x20 of the encoding
    (every other byte of UTF-8 is 0x20 or above)."""
    return _clean_utf8(text) is None


def _clean_utf8(text: str) -> bytes | None:
    """The UTF-8 of a text that surely holds nothing XML forbids (see _maybe_illegal), else None."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if "\ufffe" in text or "\uffff" in text or len(data.translate(None, _C0)) != len(data):
        return None
    return data


def xml_safe_utf8(text: str) -> bytes:
    """``xml_safe(text).encode("utf-8")``, the text encoded once when it is clean (a Word document's body: the check
    reads the encoding the file is written with)."""
    data = _clean_utf8(text)
    return data if data is not None else _XML_ILLEGAL.sub("", text).encode("utf-8")


def has_xml_illegal(text: str) -> bool:
    return bool(_XML_ILLEGAL.search(text))
