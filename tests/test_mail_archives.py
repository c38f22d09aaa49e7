"""Archives and saved messages dropped in the inbox by hand, collected through the CLI: names in the encodings
Vietnamese Windows tools write, limits (depth, member count), encrypted and damaged archives, the date sent of
a saved message as the submission time, nothing opened twice."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timedelta, timezone

import py7zr
from click.testing import CliRunner
from conftest import make_return, task
from msgfile import build_msg
from test_mail_round import _message, _zip

from toolkit.cli import cli
from toolkit.mail.messages import fix_text, read_eml

VN = timezone(timedelta(hours=7))


def _collect(ws):
    result = CliRunner().invoke(cli, ["collect", str(ws.root), "--period", "2025", "--json"])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return json.loads(result.output)


def _book(ctx, unit):
    path = make_return(ctx, "registration", unit, "2025", [task(f"{unit}-01")], name=f"_{unit}.xlsx")
    data = path.read_bytes()
    path.unlink()
    return data


def _stamp(path, when: datetime):
    os.utime(path, (when.timestamp(), when.timestamp()))


def _cp1258_zip(name: str, data: bytes) -> bytes:
    """A zip as old Windows tools write it: the name in the Vietnamese code page, no UTF-8 flag."""
    plain = name.encode("cp1258").decode("ascii", "replace").replace("\ufffd", "_")  # as many bytes
    raw = bytes(_zip({plain: data}))
    return raw.replace(plain.encode("ascii"), name.encode("cp1258"))  # local and central headers


def test_archives_and_messages_in_the_inbox(ws, ctx):
    inbox = ws.round_dir("2025", "inbox")
    units = [u for u in sorted(ctx.registry.units) if ctx.registry.units[u].parent][:9]
    book = {u: _book(ctx, u) for u in units}
    on_time, late = datetime(2025, 1, 25, 10, tzinfo=VN), datetime(2025, 2, 10, 10, tzinfo=VN)

    (inbox / "cu.zip").write_bytes(_cp1258_zip(f"Báo cáo {units[0]}.xlsx", book[units[0]]))
    _stamp(inbox / "cu.zip", on_time)
    deep = {f"{units[1]}.xlsx": book[units[1]]}
    for level in range(5):
        deep = {f"lop{level}.zip": _zip(deep)}
    (inbox / "sau.zip").write_bytes(_zip(deep))
    many = {f"{u}.xlsx": book[u] for u in units[2:6] + units[8:9]}
    ws.settings["mail"] = {"archives": {"max_members": 4}}
    ws.save()
    (inbox / "nhieu.zip").write_bytes(_zip(many))
    seven = io.BytesIO()
    with py7zr.SevenZipFile(seven, "w", password="mat-khau") as z:
        z.writestr(book[units[6]], "x.xlsx")
    (inbox / "khoa.7z").write_bytes(seven.getvalue())
    (inbox / "hong.zip").write_bytes(b"PK\x03\x04 not really a zip")
    eml = _message(ctx.registry.units[units[6]].email, "Báo cáo", late, [(f"{units[6]}.xlsx", book[units[6]])])
    (inbox / "thu luu.eml").write_bytes(eml.as_bytes())
    _stamp(inbox / "thu luu.eml", on_time)  # saved on time, SENT late: the date sent counts
    outlook = build_msg("Đăng ký", ctx.registry.units[units[7]].email, on_time, [(f"{units[7]}.xlsx", book[units[7]])])
    (inbox / "outlook.msg").write_bytes(outlook)
    _stamp(inbox / "outlook.msg", late)

    res = _collect(ws)
    files = {f["file"]: f for f in res["files"]}
    got = {f["unit"]: f for f in res["files"] if f["status"] in ("accepted", "warnings")}
    assert f"_giai_nen/cu.zip/Báo cáo {units[0]}.xlsx" in files  # cp1258 name decoded
    assert got[units[0]]["late_days"] == 0
    assert units[1] not in got
    codes = [(i["code"], f["file"]) for f in res["files"] for i in f["issues"]]
    assert any(c == "archive-member-refused" and f.endswith("lop2.zip/lop1.zip") for c, f in codes)  # too deep: refused, said
    assert [u for u in units[2:6] + units[8:9] if u in got] == units[2:6]  # the first 4 members, the 5th refused
    assert ("archive-too-many", f"nhieu.zip/{units[8]}.xlsx") in codes
    assert ("archive-encrypted", "khoa.7z") in codes
    assert ("file-unreadable", "hong.zip") in codes
    assert got[units[6]]["late_days"] == 10 and got[units[6]]["file"] == f"_giai_nen/thu luu.eml/{units[6]}.xlsx"
    assert got[units[7]]["late_days"] == 0  # the .msg's own date, not when it was saved
    assert not any(c == "file-skipped" and f.endswith((".zip", ".eml", ".msg", ".7z")) for c, f in codes)

    again = _collect(ws)
    assert again["summary"]["accepted"] + again["summary"]["warnings"] == 0
    (inbox / "cu.zip").write_bytes(_cp1258_zip(f"Báo cáo {units[0]} (sua).xlsx", book[units[0]]))
    third = _collect(ws)  # a container that changed is opened again
    assert any(f["file"].endswith("(sua).xlsx") and f["status"] == "duplicate" for f in third["files"])
    assert not (inbox / "_giai_nen" / "cu.zip" / f"Báo cáo {units[0]}.xlsx").exists()


def test_broken_header_encodings_are_decoded():
    raw = ("From: =?utf-8?b?VsSDbiB0aMawIA==?= <vt@x.vn>\r\n"
           "Subject: =?windows-1258?q?B=E1o_c=E1o?=\r\nDate: Mon, 20 Jan 2025 09:00:00 +0700\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           "Content-Type: text/plain\r\n\r\nx\r\n--b\r\n"
           "Content-Type: application/octet-stream; name=\"=?utf-8?q?B=C3=A1o_c=C3=A1o.xlsx?=\"\r\n"
           "Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nUEs=\r\n--b\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; filename*=utf-8''%C4%90%C4%83ng%20k%C3%BD.xlsx\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nUEs=\r\n--b--\r\n").encode("ascii")
    info = read_eml(raw)
    assert info.subject == "Báo cáo" and info.sender == "vt@x.vn" and info.date.day == 20
    assert [a.name for a in info.attachments] == ["Báo cáo.xlsx", "Đăng ký.xlsx"]
    assert fix_text("BÃ¡o cÃ¡o") == "Báo cáo"  # UTF-8 read as Latin-1


def test_rar_archives_with_and_without_an_unrar_program(ws, ctx, monkeypatch):
    import rarfile
    from rar5 import build_rar

    inbox = ws.round_dir("2025", "inbox")
    book = _book(ctx, "XLS")
    (inbox / "luu.rar").write_bytes(build_rar({"Báo cáo XLS.xlsx": book, "../../ngoai.xlsx": book}))
    (inbox / "nen.rar").write_bytes(build_rar({"XCP.xlsx": b"compressed bytes"}, compressed=True))
    # a machine without unrar, unar, 7-Zip or bsdtar: rarfile finds no program for compressed members
    for name in ("UNRAR_TOOL", "UNAR_TOOL", "SEVENZIP_TOOL", "SEVENZIP2_TOOL", "BSDTAR_TOOL"):
        monkeypatch.setattr(rarfile, name, "khong-co-chuong-trinh-nay")
    monkeypatch.setattr(rarfile, "CURRENT_SETUP", None)
    res = _collect(ws)
    files = {f["file"]: f for f in res["files"]}
    stored = files["_giai_nen/luu.rar/Báo cáo XLS.xlsx"]  # a stored member: read without a program
    assert stored["unit"] == "XLS" and stored["status"] in ("accepted", "warnings")
    assert files["luu.rar/../../ngoai.xlsx"]["issues"][0]["code"] == "archive-member-refused"
    missing = files["nen.rar/XCP.xlsx"]
    assert (missing["status"], missing["warnings"], missing["issues"][0]["code"]) == \
        ("skipped", 1, "archive-tool-missing")  # the office's machine lacks a program: not the unit's fault
    assert not (ws.root / "rounds" / "ngoai.xlsx").exists()


def test_a_7z_archive_on_a_python_without_py7zr_is_the_offices_problem(ws, ctx, monkeypatch):
    """py7zr is not installed on Python 3.14 on Windows (no pyppmd wheel yet): the .7z is named, with what to
    install, as the office's missing program; the zip beside it is still read."""
    import io
    import sys
    import zipfile

    inbox = ws.round_dir("2025", "inbox")
    seven = io.BytesIO()
    with py7zr.SevenZipFile(seven, "w") as z:
        z.writestr(_book(ctx, "XCP"), "XCP.xlsx")
    (inbox / "goi.7z").write_bytes(seven.getvalue())
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("XLS.xlsx", _book(ctx, "XLS"))
    (inbox / "goi.zip").write_bytes(plain.getvalue())
    monkeypatch.setitem(sys.modules, "py7zr", None)  # `import py7zr` now raises ImportError, as without the package
    files = {f["file"]: f for f in _collect(ws)["files"]}
    missing = [f for name, f in files.items() if name.startswith("goi.7z")]
    assert [(f["status"], f["issues"][0]["code"]) for f in missing] == [("skipped", "archive-tool-missing")]
    assert "chưa có chương trình giải nén 7z" in missing[0]["issues"][0]["message"]
    assert "py -m pip install py7zr" in missing[0]["issues"][0]["hint"]
    assert files["_giai_nen/goi.zip/XLS.xlsx"]["status"] in ("accepted", "warnings")
