"""Read e-mail messages (.eml, RFC 5322, and Outlook .msg): sender, subject, date sent, Message-ID and the
attachments, those of forwarded messages included. Vietnamese names are decoded whatever the sender's
program did: RFC 2047 encoded words, RFC 2231 parameters, raw UTF-8 or Windows-1258 bytes in headers."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

MESSAGE_EXTS = {".eml", ".msg"}
MAX_NESTED = 5  # forwarded messages inside forwarded messages


@dataclass
class Attachment:
    name: str
    data: bytes
    via: str = ""  # "" or the subject of the forwarded message it came in


@dataclass
class MailInfo:
    sender: str = ""  # the address only, lower case
    sender_name: str = ""
    to: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None  # when the unit sent it (aware)
    message_id: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    def headers(self) -> dict:
        """The sidecar: what the office needs to trace a file to the message it came in."""
        return {"from": self.sender, "from_name": self.sender_name, "to": self.to, "subject": self.subject,
                "date": self.date.isoformat() if self.date else "", "message_id": self.message_id,
                "attachments": [a.name for a in self.attachments]}


def fix_text(value: str) -> str:
    """Undo the common damage: bytes that were not declared (surrogate escapes, or UTF-8 read as Latin-1)."""
    if not value:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        raw = value.encode("utf-8", "surrogateescape")
        for enc in ("utf-8", "cp1258"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
        return raw.decode("utf-8", "replace")
    if re.search(r"[\u00c0-\u00ff][\u0080-\u00bf]", value):  # "Bá»\x99" is "Bộ" read as Latin-1
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return value


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception:  # a header the parser could not make sense of
        text = str(email.header.make_header(email.header.decode_header(msg.get_all(name)[0])))
    return fix_text(" ".join(text.split()))


def message_id_of(msg_id: str, fallback: bytes = b"") -> str:
    """The Message-ID without brackets, or (when the message has none) one derived from its content."""
    msg_id = (msg_id or "").strip().strip("<>").strip()
    return msg_id or "sha256-" + hashlib.sha256(fallback).hexdigest()[:32] + "@toolkit"


def _date(value: str) -> datetime | None:
    try:
        d = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if d is not None and d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d


def _filename(part: Message) -> str:
    name = ""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the policy left undecoded
        name = email.utils.collapse_rfc2231_value(name)
    name = str(name)
    if "=?" in name:  # encoded words inside a quoted parameter (not allowed, but what most mailers send)
        name = str(email.header.make_header(email.header.decode_header(name)))
    return fix_text(name).replace("/", "_").replace("\\", "_").strip()


def read_eml(data: bytes) -> MailInfo:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return _from_email(msg, data)


def _from_email(msg: EmailMessage, raw: bytes = b"") -> MailInfo:
    name, addr = parseaddr(_header(msg, "From"))
    info = MailInfo(sender=addr.lower(), sender_name=name, subject=_header(msg, "Subject"),
                    to=[a.lower() for _, a in getaddresses([_header(msg, "To")]) if a],
                    date=_date(_header(msg, "Date")), message_id=message_id_of(_header(msg, "Message-ID"), raw))
    _collect_parts(msg, info, "", 0)
    return info


def _collect_parts(msg: Message, info: MailInfo, via: str, depth: int) -> None:
    if msg.get_content_type() == "message/rfc822" or (msg.is_multipart() and msg.get_content_maintype() == "message"):
        if depth >= MAX_NESTED:
            return
        for inner in msg.get_payload() or []:
            _collect_parts(inner, info, _header(inner, "Subject") or "(không tiêu đề)", depth + 1)
        return
    if msg.is_multipart():
        for part in msg.get_payload():
            _collect_parts(part, info, via, depth)
        return
    name = _filename(msg)
    if not name:
        return
    try:
        payload = msg.get_payload(decode=True) or b""
    except Exception:
        return
    info.attachments.append(Attachment(name, payload, via))


def read_msg(data: bytes) -> MailInfo:
    """An Outlook .msg (extract-msg), its embedded messages' attachments included."""
    import extract_msg

    msg = extract_msg.openMsg(data)
    try:
        return _from_outlook(msg, data, "", 0)
    finally:
        msg.close()


def _from_outlook(msg, raw: bytes, via: str, depth: int) -> MailInfo:
    sender = fix_text(str(msg.sender or ""))
    name, addr = parseaddr(sender)
    date = msg.date if isinstance(getattr(msg, "date", None), datetime) else _date(str(msg.date or ""))
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    info = MailInfo(sender=(addr or sender).lower(), sender_name=name, subject=fix_text(msg.subject or ""),
                    to=[a.lower() for _, a in getaddresses([str(msg.to or "")]) if a], date=date,
                    message_id=message_id_of(str(getattr(msg, "messageId", "") or ""), raw))
    for att in msg.attachments:
        payload = att.data
        if hasattr(payload, "attachments"):  # an embedded message (a forwarded one)
            if depth < MAX_NESTED:
                inner = _from_outlook(payload, b"", fix_text(payload.subject or "(không tiêu đề)"), depth + 1)
                info.attachments.extend(inner.attachments)
            continue
        name = fix_text(att.getFilename() if hasattr(att, "getFilename") else (att.longFilename or att.shortFilename or ""))
        if name and isinstance(payload, (bytes, bytearray)):
            info.attachments.append(Attachment(name.replace("/", "_").replace("\\", "_"), bytes(payload), via))
    return info


def read_message(ext: str, data: bytes) -> MailInfo:
    return read_msg(data) if ext == ".msg" else read_eml(data)
