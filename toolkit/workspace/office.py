"""The office's identity on its documents: letterheads, document numbers, addressees.

A party committee is named "<kind> ủy <place>" (Tỉnh ủy Sơn Hà, Huyện ủy Lạc Sơn, Thành ủy …, Quận ủy …, Thị ủy
…) or "Đảng ủy <what>" (Đảng ủy xã Tân Lạc, Đảng ủy Khối …); its party organisation is "Đảng bộ <locality>".
Under the Party's format rules the top-left block of a document is the superior party organisation (upright),
the issuing body (bold), an asterisk and "Số <n>-<type>/<body code>". Everything derived here can be
overridden in settings.yaml (section ``office``).
"""

from __future__ import annotations

import re
from typing import Any

from ..text import fold

# committee word -> (locality word in "Đảng bộ <locality> <place>", body code in document numbers)
_COMMITTEES = {
    "tinh uy": ("tỉnh", "TU"),
    "thanh uy": ("thành phố", "TU"),
    "thi uy": ("thị xã", "TU"),
    "huyen uy": ("huyện", "HU"),
    "quan uy": ("quận", "QU"),
}
# document type abbreviations of the Party's format rules, per document the toolkit writes ("" = unnumbered)
DOC_TYPES = {"report": "BC", "not_reported": "TB", "scorecard": "", "commitment": "", "breakthrough": "BC",
             "followup": "BC", "term": "BC", "term_scorecard": "", "review": ""}
_UPPER_WORDS = re.compile(r"\s+")


def _upper(text: str) -> str:
    return _UPPER_WORDS.sub(" ", text.strip()).upper()


def parse_committee(name: str) -> dict[str, str] | None:
    """'Huyện ủy Lạc Sơn' -> {'locality': 'huyện', 'place': 'Lạc Sơn', 'code': 'HU', 'committee': 'Huyện ủy'}."""
    words = name.strip().split()
    if len(words) >= 3 and fold(" ".join(words[:2])) in _COMMITTEES:
        locality, code = _COMMITTEES[fold(" ".join(words[:2]))]
        return {"committee": " ".join(words[:2]), "locality": locality, "place": " ".join(words[2:]), "code": code}
    if len(words) >= 3 and fold(" ".join(words[:2])) == "dang uy":
        rest = " ".join(words[2:])
        return {"committee": "Đảng ủy", "locality": "", "place": rest, "code": "ĐU"}
    return None


def party_body(name: str) -> str:
    """The party organisation of a committee: 'Huyện ủy Lạc Sơn' -> 'Đảng bộ huyện Lạc Sơn'."""
    c = parse_committee(name)
    if c is None:
        return ""
    return f"Đảng bộ {c['locality']} {c['place']}" if c["locality"] else f"Đảng bộ {c['place']}"


def derive_identity(name: str, parent_body: str | None = None) -> dict[str, Any]:
    """Office settings implied by the committee's name (what `toolkit init --office` fills in).

    The superior organisation of a provincial committee is its own provincial party organisation; that of a
    district or commune committee is the level above, which the name does not tell (``parent_body``)."""
    c = parse_committee(name)
    out: dict[str, Any] = {"name": name.strip()}
    if c is None:
        out.update(issuing_body=_upper(name), body_code="", place="")
        if parent_body is not None:
            out["parent_body"] = _upper(parent_body)
        return out
    out["place"] = c["place"] if c["locality"] else _place_of(name)
    out["body_code"] = c["code"]
    if c["locality"] in ("tỉnh", "thành phố"):
        out["parent_body"] = _upper(party_body(name))
        out["issuing_body"] = _upper(c["committee"])
    else:
        out["issuing_body"] = _upper(name)
        out["parent_body"] = _upper(parent_body) if parent_body else ""
    out["signer_prefix"] = "T/M BAN THƯỜNG VỤ"
    standing = f"Ban Thường vụ {name.strip()}"
    office_name = "Văn phòng " + name.strip()
    out["recipients"] = [standing, f"Các cơ quan, đơn vị trực thuộc {name.strip()}", f"Lưu {office_name}"]
    out["contact"] = office_name
    return out


def doc_number(office: dict, kind: str) -> tuple[str, str]:
    """('125', '-BC/TU') for a document kind; ('', '') for unnumbered kinds (scorecards, commitments)."""
    types = {**DOC_TYPES, **(office.get("doc_types") or {})}
    abbr = types.get(kind, "")
    if not abbr:
        return "", ""
    code = office.get("body_code") or ""
    legacy = office.get("doc_suffix")  # settings written before doc_types existed
    if not code and legacy and "/" in legacy:
        code = legacy.split("/", 1)[1]
    suffix = f"-{abbr}/{code}" if code else f"-{abbr}"
    return str(office.get("doc_number") or ""), suffix


def missing_identity(office: dict) -> list[str]:
    """Settings a clerk still has to fill in before documents can be issued, in Vietnamese."""
    labels = {"parent_body": "tổ chức đảng cấp trên (office.parent_body, ví dụ ĐẢNG BỘ TỈNH HÒA BÌNH)",
              "issuing_body": "cơ quan ban hành (office.issuing_body)", "place": "địa danh (office.place)",
              "signer_name": "họ tên người ký (office.signer_name)",
              "signer_title": "chức vụ người ký (office.signer_title)",
              "doc_number": "số văn bản (office.doc_number; để trống thì văn thư ghi số khi phát hành)"}
    return [label for key, label in labels.items() if not str(office.get(key) or "").strip()]


def unit_letterhead(registry, unit, office: dict) -> dict[str, str]:
    """Letterhead and addressee of a document a unit signs with its superior (a commitment): the unit's own
    party body under its superior's organisation, addressed to the superior's standing committee."""
    parent = registry.units.get(unit.parent) if unit.parent else None
    if parent is not None:
        above = party_body(parent.name) or parent.name
        addressee = f"Ban Thường vụ {parent.name}" if parse_committee(parent.name) else parent.name
        superior_signer = f"T/M BAN THƯỜNG VỤ {_upper(parent.name)}" if parse_committee(parent.name) else \
            _upper(parent.name)
    else:
        above = office.get("parent_body") or ""
        addressee = f"Ban Thường vụ {office.get('name', '')}"
        superior_signer = f"T/M BAN THƯỜNG VỤ {office.get('issuing_body', '')}"
    c = parse_committee(unit.name)
    pc = parse_committee(parent.name) if parent is not None else None
    place = ((c["place"] if c and c["locality"] else "") or _place_of(unit.name)  # its own locality, else
             or (pc["place"] if pc and pc["locality"] else "") or (_place_of(parent.name) if parent else "")
             or office.get("place", ""))  # its committee's (a board of a district committee), else the office's
    return {"parent_body": _upper(above), "issuing_body": _upper(unit.name), "addressee": addressee,
            "superior_signer": superior_signer, "place": place}


_LOCALITY = re.compile(r"\b(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh)\s+", re.IGNORECASE)


def _place_of(name: str) -> str:
    """'Đảng ủy xã Tân Lộc' -> 'Tân Lộc'; '' for a name whose locality word is a committee's ('Ban Tổ chức Huyện
    ủy', 'Ủy ban Kiểm tra Tỉnh ủy': their place is their committee's)."""
    for m in _LOCALITY.finditer(name):  # every locality word, not only the first: "… Tỉnh ủy tỉnh Hòa Bình"
        place = name[m.end():].strip()
        if place and fold(place).split()[:1] != ["uy"]:
            return place
    return ""


__all__ = ["derive_identity", "doc_number", "missing_identity", "unit_letterhead", "party_body", "parse_committee"]
