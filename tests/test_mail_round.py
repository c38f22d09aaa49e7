"""A round by e-mail, against real servers on 127.0.0.1: Dovecot (IMAP over TLS) holds 30 messages as units send
them (plain attachments, zips, a nested zip, an Outlook .msg inside a message, two units in one message, a
forwarded message, a duplicate, a PDF only, a zip-slip, a zip bomb, an encrypted zip, a 7z, a mangled file name);
the clerk fetches, collects, and answers by SMTP (aiosmtpd), all through the CLI."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import py7zr
import pytest
from click.testing import CliRunner
from conftest import make_return, task
from mailservers import PASSWORD, USER, Dovecot, SmtpServer, need_dovecot
from msgfile import build_msg

from toolkit.cli import cli

VN = timezone(timedelta(hours=7))
ENV = {"TOOLKIT_MAIL_PASSWORD": PASSWORD}


def _invoke(*args, env=ENV):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _workbook(ctx, unit, rows=None) -> bytes:
    path = make_return(ctx, "registration", unit, "2025", rows or [task(f"{unit}-01")], name=f"_{unit}.xlsx")
    data = path.read_bytes()
    path.unlink()
    return data


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _encrypted_zip() -> bytes:
    """A zip whose member is flagged encrypted (bit 0 in the local and central headers), as a zip made with a
    password is; the standard library writes no encrypted zips."""
    data = bytearray(_zip({"secret.xlsx": b"ciphertext" * 10}))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(sig) + off
        data[at] |= 0x1
    return bytes(data)


def _message(sender: str, subject: str, sent: datetime, attachments=(), msg_id: str | None = None,
             forwarded: EmailMessage | None = None, body: str = "Kính gửi Văn phòng Tỉnh ủy.") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, USER, subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<{msg_id or abs(hash((sender, subject, sent)))}@donvi.local>"
    msg.set_content(body)
    for name, data in attachments:
        maintype, subtype = ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)  # RFC 2231 for Vietnamese
    if forwarded is not None:
        msg.add_attachment(forwarded)  # message/rfc822
    return msg


def _mangled(sender: str, sent: datetime, name: str, data: bytes) -> bytes:
    """A mailer that puts raw UTF-8 in the header and an encoded-word subject (seen from webmail systems)."""
    msg = _message(sender, "Báo cáo đăng ký", sent, [("placeholder.xlsx", data)], msg_id="mangled")
    raw = msg.as_bytes()
    return raw.replace(b'filename="placeholder.xlsx"', b'filename="' + name.encode("utf-8") + b'"')


@pytest.fixture
def servers(tmp_path):
    need_dovecot()
    conf = tmp_path / "servers"
    conf.mkdir()
    imap = Dovecot(conf)
    smtp = SmtpServer(conf, implicit_tls=False)
    yield imap, smtp
    smtp.stop()
    imap.stop()


def test_round_by_mail_fetch_collect_answer(ws, ctx, servers, tmp_path, monkeypatch):
    imap, smtp = servers
    ws.settings["mail"] = {"imap": {"host": "127.0.0.1", "port": imap.tls_port, "security": "tls", "user": USER,
                                    "ca_file": str(imap.cert)},
                           "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "starttls", "user": USER,
                                    "from": USER, "ca_file": str(smtp.cert)}}
    ws.save()
    assert _invoke("templates", ws.root, "--form", "registration", "--period", "2025").exit_code == 0
    units = [u for u in sorted(ctx.registry.units) if ctx.registry.units[u].parent]
    assert len(units) == 19
    book = {u: _workbook(ctx, u) for u in units}
    book[units[3]] = _workbook(ctx, units[3], [task(f"{units[3]}-01", area="Không có lĩnh vực này")])
    on_time, late = datetime(2025, 1, 20, 9, 0, tzinfo=VN), datetime(2025, 2, 4, 16, 0, tzinfo=VN)
    mail = lambda u: ctx.registry.units[u].email  # noqa: E731
    msgs: list[tuple[bytes, datetime]] = []

    def put(msg, when=on_time):
        msgs.append((msg if isinstance(msg, bytes) else msg.as_bytes(), when))

    for i in range(8):  # plain attachments, Vietnamese names; two sent after the deadline
        u, when = units[i], (late if i in (6, 7) else on_time)
        sender = "vanthu.rieng@gmail.com" if i == 3 else mail(u)
        put(_message(sender, f"Đăng ký nhiệm vụ năm 2025 – {u}", when, [(f"Đăng ký {u} năm 2025.xlsx", book[u])],
                     msg_id=f"plain-{i}"), when)
    put(_message(mail(units[8]), "Gửi bản đăng ký (nén)", on_time, [(f"{units[8]}.zip", _zip({f"{units[8]}.xlsx": book[units[8]]}))]))
    put(_message(mail(units[9]), "Gửi bản đăng ký", on_time,
                 [("Hồ sơ.zip", _zip({f"Thư mục/Đăng ký – {units[9]}.xlsx": book[units[9]], "Ghi chú.docx": b"doc"}))]))
    put(_message(mail(units[10]), "Nén hai lớp", on_time,
                 [("ngoai.zip", _zip({"trong.zip": _zip({f"{units[10]}.xlsx": book[units[10]]})}))]))
    outlook = build_msg(f"Đăng ký {units[11]}", mail(units[11]), on_time - timedelta(days=1),
                        [(f"{units[11]}.xlsx", book[units[11]])], message_id="outlook-inner@donvi.local")
    put(_message(mail(units[11]), "Chuyển thư Outlook", on_time, [(f"Thư {units[11]}.msg", outlook)]))
    put(_message("vp.huyenuy@hoaan.dcs.vn", "Hai đơn vị gửi chung", on_time,
                 [(f"{units[12]}.xlsx", book[units[12]]), (f"{units[13]}.xlsx", book[units[13]])]))
    inner = _message(mail(units[14]), "Đăng ký của đơn vị", on_time - timedelta(days=2),
                     [(f"{units[14]}.xlsx", book[units[14]])], msg_id="fw-inner")
    put(_message("chanh.vanphong@hoaan.dcs.vn", "Fw: Đăng ký của đơn vị", on_time, forwarded=inner))
    put(_message(mail(units[15]), "Zip có đường dẫn lạ", on_time,
                 [("slip.zip", _zip({"../../evil.xlsx": book[units[15]], "/etc/abs.xlsx": b"x",
                                     f"{units[15]}.xlsx": book[units[15]]}))]))
    put(_message("la@ngoai.local", "Bom nén", on_time, [("bomb.zip", _zip({"bomb.xlsx": b"\0" * (10 << 20)}))]))
    put(_message("co.matkhau@donvi.local", "Có mật khẩu", on_time, [("matkhau.zip", _encrypted_zip())]))
    seven = io.BytesIO()
    with py7zr.SevenZipFile(seven, "w") as z:
        z.writestr(book[units[16]], f"{units[16]}.xlsx")
    put(_message(mail(units[16]), "Gửi 7z", on_time, [(f"{units[16]}.7z", seven.getvalue())]))
    put(_mangled(mail(units[17]), on_time, f"Báo cáo {units[17]}.xlsx", book[units[17]]))
    put(msgs[0][0], on_time)  # the same message delivered twice
    put(_message("ai.do@donvi.local", "Tài liệu", on_time, [("cong_van.pdf", b"%PDF-1.4 ...")]))
    for k in range(8):  # questions, thanks, newsletters: no attachment
        put(_message(f"hoi{k}@donvi.local", "Xin hỏi về biểu mẫu", on_time, body="Xin hỏi cột Trọng số."))
    put(_message(mail(units[5]), "Gửi lại", on_time + timedelta(hours=3), [(f"{units[5]} (2).xlsx", book[units[5]])]))
    assert len(msgs) == 30
    for raw, when in msgs:
        imap.append(raw, when)
    put_old = _message("cu@donvi.local", "Năm trước", datetime(2024, 3, 1, tzinfo=VN), [("cu.xlsx", book[units[0]])])
    imap.append(put_old.as_bytes(), datetime(2024, 3, 1, tzinfo=VN))

    first = _invoke("mail", "fetch", ws.root, "--period", "2025", "--json")
    assert first.exit_code == 0, first.output
    fetched = json.loads(first.output)
    assert fetched["looked_at"] == 30  # the message of 2024 is before the round
    # 20 messages with files (the duplicate delivery counted once), a PDF only and 8 without attachments
    assert len(fetched["fetched"]) == 20 and fetched["without_files"] == 9 and fetched["already"] == 1
    assert imap.count() == 31  # nothing deleted or moved
    inbox = ws.round_dir("2025", "inbox")
    sidecars = [json.loads(p.read_text(encoding="utf-8")) for p in inbox.rglob("thu.json")]
    assert any(s["subject"] == "Fw: Đăng ký của đơn vị" and s["forwarded"] == ["Đăng ký của đơn vị"] for s in sidecars)
    assert any(f"Báo cáo {units[17]}.xlsx" in s["files"] for s in sidecars)  # raw UTF-8 name decoded
    assert not list(tmp_path.rglob("evil.xlsx")) and not (tmp_path / "etc").exists()

    collected = _invoke("collect", ws.root, "--period", "2025", "--json")
    assert collected.exit_code == 1  # a rejected return and refused archive members
    res = json.loads(collected.output)
    by_unit = {}
    for f in res["files"]:
        if f["unit"] and f["status"] in ("accepted", "warnings", "rejected"):
            by_unit.setdefault(f["unit"], []).append(f)
    assert sorted(by_unit) == sorted(units[:18])  # every workbook judged, the missing unit aside
    assert [f["status"] for f in by_unit[units[3]]] == ["rejected"]
    late_days = {u: fs[0]["late_days"] for u, fs in by_unit.items()}
    assert late_days[units[6]] == late_days[units[7]] == 4  # judged by the date sent (deadline 31/01/2025)
    assert all(late_days[u] == 0 for u in units[:18] if u not in (units[6], units[7]))
    codes = {(i["code"], i["file"]) for f in res["files"] for i in f["issues"]}
    refused = {f: c for c, f in codes if c.startswith("archive-")}
    assert any(f.endswith("slip.zip/../../evil.xlsx") for f in refused)
    assert any(f.endswith("slip.zip//etc/abs.xlsx") or f.endswith("/etc/abs.xlsx") for f in refused)
    assert any("bomb.zip" in f and c == "archive-member-refused" for c, f in codes)
    assert any("matkhau.zip" in f and c == "archive-encrypted" for c, f in codes)
    traced = next(f for f in by_unit[units[10]])
    assert traced["file"].endswith(f"ngoai.zip/trong.zip/{units[10]}.xlsx")
    assert any(f["file"].endswith(f".msg/{units[11]}.xlsx") for f in by_unit[units[11]])
    opened = [i["message"] for f in res["files"] for i in f["issues"] if i["code"] == "container-opened"]
    # traced to the message it came in (the fetched one, whose date counts, not the .msg's own)
    assert any(f"thư của {mail(units[11])}" in m and "gửi 20/01/2025" in m and "Chuyển thư Outlook" in m
               for m in opened)
    assert any(c == "file-already-collected" for c, _ in codes)  # the unit that sent the same file again
    assert any(c == "file-skipped" and f.endswith("Ghi chú.docx") for c, f in codes)

    again = json.loads(_invoke("mail", "fetch", ws.root, "--period", "2025", "--json").output)
    assert again["fetched"] == [] and again["already"] == 30
    assert json.loads(_invoke("collect", ws.root, "--period", "2025", "--json").output)["summary"]["accepted"] == 0

    dry = _invoke("mail", "send", ws.root, "--period", "2025", "--json")
    assert dry.exit_code == 0 and smtp.messages == []
    planned = json.loads(dry.output)["messages"]
    answered = {f["unit"] for fs in by_unit.values() for f in fs if f["status"] in ("rejected", "warnings")}
    assert {m["unit"] for m in planned if m["kind"] == "feedback"} == answered
    assert [m["unit"] for m in planned if m["kind"] == "reminder"] == [units[18]]
    assert all(os.path.isfile(m["eml"]) for m in planned)
    assert {os.path.basename(m["eml"]).split("_")[1] for m in planned} == {"phan", "nhac"}  # _phan_hoi_, _nhac_nop_

    sent = _invoke("mail", "send", ws.root, "--period", "2025", "--send", "--json")
    assert sent.exit_code == 0, sent.output
    assert len(smtp.messages) == len(planned) == len(answered) + 1
    got = {}
    for m in smtp.messages:
        msg = email.message_from_bytes(m["data"], policy=email.policy.default)
        got[tuple(sorted(m["to"]))] = msg
    rejected = got[tuple(sorted([mail(units[3]), "vanthu.rieng@gmail.com"]))]  # registry contact and the sender
    assert rejected["Subject"].startswith("Văn phòng Tỉnh ủy phản hồi báo cáo")
    body = rejected.get_body(("plain",)).get_content()
    assert ctx.registry.units[units[3]].name in body and "Không có lĩnh vực này" in body and "31/01/2025" in body
    raw = next(m["data"] for m in smtp.messages if mail(units[3]) in m["to"])
    assert b"Subject: =?utf-8?" in raw and b"filename*=utf-8''" in raw  # RFC 2047 subject, RFC 2231 name
    (att,) = list(rejected.iter_attachments())
    assert att.get_filename().endswith("_phan_hoi.xlsx") and att.get_content()[:2] == b"PK"
    reminder = got[(mail(units[18]),)]
    assert "Nhắc nộp" in reminder["Subject"] and not list(reminder.iter_attachments())
    assert rejected["In-Reply-To"] and rejected["In-Reply-To"] == rejected["References"]  # threads with the unit's
    assert rejected["In-Reply-To"].endswith("@donvi.local>")
    assert json.loads(_invoke("mail", "send", ws.root, "--period", "2025", "--send", "--json").output)["messages"]
    assert len(smtp.messages) == len(planned)  # a second run sends nothing
    drafts = _invoke("mail", "send", ws.root, "--period", "2025")  # the day's dry run after sending: nothing new
    assert "0 thư phản hồi, 0 thư nhắc nộp đã soạn" in " ".join(drafts.output.split())
    assert f"{len(planned)} thư đã gửi từ trước, không soạn lại" in " ".join(drafts.output.split())
    outbox = ws.round_dir("2025").joinpath("thu_gui")
    assert not list(outbox.glob("*.eml"))  # nothing left to check or send
    kept = sorted(p.name.rsplit("_", 1)[0] for p in outbox.joinpath("da_gui").glob("*.eml"))  # what was sent, kept
    assert len(kept) == len(planned) and all("_phan_hoi_" in k or "_nhac_nop_" in k for k in kept)
    # days later the unit still has not sent: reminded again, the feedback not sent twice
    from toolkit.mail import send as mail_send

    monkeypatch.setattr(mail_send, "_today", lambda: __import__("datetime").date(2025, 2, 3))
    later = json.loads(_invoke("mail", "send", ws.root, "--period", "2025", "--send", "--json").output)["messages"]
    assert [(m["unit"], m["kind"]) for m in later if m["state"] == "sent"] == [(units[18], "reminder")]
    assert len(smtp.messages) == len(planned) + 1
