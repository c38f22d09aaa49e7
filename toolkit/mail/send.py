"""Answer the units by e-mail: a message with the feedback workbook to each unit whose return has errors or
warnings, a reminder to each unit that has not sent. Messages are written as .eml files to the round's mail
outbox for the clerk to check (the dry run); with ``send=True`` they go over SMTP (TLS or STARTTLS), each one
recorded in the workspace's history database and never sent twice.

The texts come from plain-text templates in the workspace (``mau_thu/phan_hoi.txt``, ``mau_thu/nhac_nop.txt``,
written with the defaults below on first use, edited by the office like a Word letter): the first line
``Tiêu đề: ...`` is the subject, the rest the body; fields in braces ({ten_don_vi}, {ky}, {han_nop},
{tiep_nhan}, {loi_can_sua}, {van_phong}) are filled in.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from ..errors import ToolkitError
from ..files import atomic_path
from ..intake.feedback import feedback_path
from ..outputs.status import round_statuses
from ..paths import safe_filename
from .connection import MailError, Server, explain, login_failed, server_settings
from .unpack import origin_of

TEMPLATE_FOLDER = "mau_thu"
OUTBOX = "thu_gui"  # in the round's folder: the messages prepared, as .eml files
KIND_FILES = {"feedback": "phan_hoi", "reminder": "nhac_nop"}  # the drafts' names: <unit>_<kind>_<form>.eml
_DRAFT = re.compile(r".+_(phan_hoi|nhac_nop)_.+\.eml")  # a draft not sent (a sent one is moved to SENT)
SENT = "da_gui"  # in the mail outbox: each message sent, as it was sent (the office's copy)
FIELDS = ("ten_don_vi", "ma_don_vi", "ky", "bieu_mau", "han_nop", "tiep_nhan", "loi_can_sua", "tep", "van_phong")
DEFAULTS = {
    "phan_hoi.txt": """Tiêu đề: {van_phong} phản hồi báo cáo {bieu_mau} kỳ {ky} của {ten_don_vi}
Kính gửi: {ten_don_vi}

{van_phong} đã nhận tệp "{tep}" của đơn vị.

Kết quả tiếp nhận: {tiep_nhan}.

Nội dung cần sửa:
{loi_can_sua}

Tệp phản hồi gửi kèm đã tô màu các ô cần sửa, có chú thích cách sửa và trang "Lỗi cần sửa". Đề nghị đơn vị sửa
ngay trong tệp phản hồi và gửi lại trước ngày {han_nop}.

Trân trọng.
{van_phong}
""",
    "nhac_nop.txt": """Tiêu đề: Nhắc nộp báo cáo {bieu_mau} kỳ {ky} (hạn {han_nop})
Kính gửi: {ten_don_vi}

Đến nay {van_phong} chưa nhận được báo cáo {bieu_mau} kỳ {ky} của đơn vị (hạn nộp {han_nop}).
Đề nghị đơn vị hoàn thành biểu mẫu đã được gửi và gửi lại qua thư điện tử trong thời gian sớm nhất.

Trân trọng.
{van_phong}
""",
}
_FIELD = re.compile(r"{([^{}]*)}")


@dataclass
class Prepared:
    unit: str
    unit_name: str
    kind: str  # feedback | reminder
    to: list[str]
    subject: str
    eml: str = ""
    attachment: str = ""
    state: str = "prepared"  # prepared | sent | already_sent | no_address | failed
    detail: str = ""
    key: str = ""


@dataclass
class SendResult:
    period: str
    outbox: str
    messages: list[Prepared] = field(default_factory=list)
    sent: bool = False

    def count(self, state: str) -> int:
        return sum(1 for m in self.messages if m.state == state)

    def summary(self) -> str:
        if self.sent:
            kinds = {"feedback": sum(m.kind == "feedback" for m in self.messages),
                     "reminder": sum(m.kind == "reminder" for m in self.messages)}
            line = f"{kinds['feedback']} thư phản hồi, {kinds['reminder']} thư nhắc nộp"
            line += f": đã gửi {self.count('sent')}, gửi từ trước {self.count('already_sent')}"
            if self.count("failed"):
                line += f", gửi không được {self.count('failed')}"
        else:  # what this run wrote: a message sent before is not written again
            new = [m for m in self.messages if m.state != "already_sent"]
            line = (f"{sum(m.kind == 'feedback' for m in new)} thư phản hồi, {sum(m.kind == 'reminder' for m in new)} "
                    f"thư nhắc nộp đã soạn trong {self.outbox} (chưa gửi; kiểm tra rồi chạy lại với --send)")
            if self.count("already_sent"):
                line += f"; {self.count('already_sent')} thư đã gửi từ trước, không soạn lại"
        if self.count("no_address"):
            line += f"; {self.count('no_address')} đơn vị không có địa chỉ thư"
        return line

    def to_dict(self) -> dict:
        return {"period": self.period, "outbox": self.outbox, "sent": self.sent,
                "messages": [m.__dict__ for m in self.messages]}


def templates(ws) -> dict[str, str]:
    folder = ws.root / TEMPLATE_FOLDER
    folder.mkdir(exist_ok=True)
    out = {}
    for name, text in DEFAULTS.items():
        path = folder / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        out[name] = path.read_text(encoding="utf-8-sig")
        unknown = sorted(set(_FIELD.findall(out[name])) - set(FIELDS))
        if unknown:
            raise ToolkitError(f"Mẫu thư {path} có trường không biết: {', '.join(unknown)}. "
                               f"Các trường dùng được: {', '.join('{' + f + '}' for f in FIELDS)}.")
    return out


def _render(template: str, values: dict) -> tuple[str, str]:
    text = _FIELD.sub(lambda m: str(values.get(m.group(1), "")), template)
    first, _, body = text.partition("\n")
    if first.lower().startswith("tiêu đề:"):
        return " ".join(first.split(":", 1)[1].split()), body.lstrip("\n")
    return f"Kỳ {values['ky']}: {values['ten_don_vi']}", text


def send_round(rnd, send: bool = False, progress: Callable[[int, int, str], None] | None = None,
               env: dict | None = None) -> SendResult:
    """Prepare (and with ``send``, send) the round's feedback messages and reminders."""
    ws = rnd.ctx.ws
    texts = templates(ws)
    outbox = rnd.ctx.ws.round_dir(rnd.period) / OUTBOX
    outbox.mkdir(exist_ok=True)
    server = server_settings(ws.settings, "smtp", env) if send else None
    sender = (server.sender if server else str(((ws.settings.get("mail") or {}).get("smtp") or {}).get("from")
                                               or ((ws.settings.get("mail") or {}).get("smtp") or {}).get("user") or ""))
    office = ws.office.get("contact") or ws.office.get("name") or ""
    result = SendResult(period=rnd.code, outbox=str(outbox), sent=send)
    plans: list[tuple[Prepared, EmailMessage]] = []
    written: set[str] = set()
    with rnd.store_handle() as store:
        ledger = store  # the mail ledger is kept in the store
        for status in round_statuses(rnd, write=False):
            for us in status.units:
                plan = _plan(rnd, store, status, us, texts, office, sender)
                if plan is None:
                    continue
                prepared, msg = plan
                earlier = ledger.was_sent(prepared.key) or _reminded_today(ledger, prepared)
                if earlier:
                    prepared.state, prepared.detail = "already_sent", f"đã gửi {_when(earlier['sent_at'])}"
                    result.messages.append(prepared)
                    continue
                form = rnd.ctx.forms.get(status.form)
                path = outbox / safe_filename(f"{us.code}_{KIND_FILES[prepared.kind]}_"
                                              f"{(form.slug or form.id) if form else status.form}.eml")
                with atomic_path(path) as tmp:
                    Path(tmp).write_bytes(msg.as_bytes())
                prepared.eml = str(path)
                written.add(path.name)
                if not prepared.to:
                    prepared.state, prepared.detail = "no_address", "không có email liên hệ trong danh sách đơn vị"
                result.messages.append(prepared)
                plans.append((prepared, msg))
        for stale in outbox.glob("*.eml"):  # a draft of an earlier run nobody needs now (the unit has sent since)
            if stale.name not in written and _DRAFT.fullmatch(stale.name):
                try:
                    stale.unlink()
                except OSError:  # (open in Outlook on Windows: left for the next run)
                    pass
        if send:
            _deliver(server, [(p, m) for p, m in plans if p.state == "prepared"], ledger, rnd.code, progress)
    return result


def _keep_sent(prepared: Prepared) -> None:
    """The draft of a message sent, moved to the outbox's SENT folder under the time it went (the office's copy
    of what each unit was sent; the outbox itself keeps only what is still to check or send)."""
    if not prepared.eml:
        return
    draft = Path(prepared.eml)
    target = draft.parent / SENT / f"{draft.stem}_{datetime.now():%Y%m%d-%H%M%S}.eml"
    try:
        target.parent.mkdir(exist_ok=True)
        os.replace(draft, target)
        prepared.eml = str(target)
    except OSError:  # (the draft open in Outlook on Windows: it stays where it is, sent all the same)
        pass


def _today() -> date:
    return date.today()


def _reminded_today(ledger, prepared: Prepared) -> dict | None:
    """A reminder sent today under the key of an earlier version (one reminder a unit, never a second one)."""
    if prepared.kind != "reminder":
        return None
    earlier = ledger.was_sent(prepared.key.rsplit("|", 1)[0])
    return earlier if earlier and str(earlier["sent_at"]).startswith(_today().isoformat()) else None


def _when(at) -> str:
    """A time of the ledger ("2026-12-05 11:45:02") as the clerk writes it: 05/12/2026 11:45."""
    try:
        return datetime.fromisoformat(str(at)).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return str(at)


def _plan(rnd, store, status, us, texts: dict, office: str, sender: str) -> tuple[Prepared, EmailMessage] | None:
    values = {"ten_don_vi": us.name, "ma_don_vi": us.code, "ky": rnd.period.label, "bieu_mau": status.form_name,
              "han_nop": status.deadline, "tep": Path(us.file).name if us.file else "", "van_phong": office}
    if us.state == "missing":
        subject, body = _render(texts["nhac_nop.txt"], values)
        # a reminder a day at most: run again on a later day, the units still missing are reminded again
        kind, attachment, key = "reminder", None, f"{rnd.code}|{status.form}|{us.code}|reminder|{_today().isoformat()}"
        to, origin = ([us.email] if us.email else []), {}
    elif us.state in ("on_time", "late", "rejected") and us.file:
        sub = next((s for s in store.unit_submissions(us.code, status.form, rnd.code) if s["file_name"] == us.file),
                   None)
        if sub is None or not (sub["errors"] or sub["warnings"]):
            return None  # accepted without remarks: nothing to answer
        attachment = _feedback_file(rnd.feedback_dir, us.file)
        if attachment is None:
            return None
        issues = store.issues_of(sub["id"])
        values["tiep_nhan"] = ("không tiếp nhận, có " + f"{sub['errors']} lỗi phải sửa" if sub["status"] == "rejected"
                               else f"đã tiếp nhận, có {sub['warnings']} cảnh báo cần xem lại")
        values["loi_can_sua"] = _issue_lines(issues)
        subject, body = _render(texts["phan_hoi.txt"], values)
        kind, key = "feedback", f"{rnd.code}|{status.form}|{us.code}|feedback|{sub['sha256']}"
        origin = origin_of(rnd.inbox, us.file)
        to = [a for a in dict.fromkeys([us.email, origin.get("from", "")]) if a]
    else:
        return None
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr((office, sender)) if sender else office
    if to:
        msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=hashlib.sha256(key.encode()).hexdigest()[:16],
                                   domain=(sender.split("@")[-1] if "@" in sender else "toolkit.local"))
    if kind == "feedback" and origin.get("message_id"):  # the answer threads with the unit's own message
        mid = str(origin["message_id"]).strip()
        mid = mid if mid.startswith("<") else f"<{mid}>"
        msg["In-Reply-To"] = msg["References"] = mid
    msg.set_content(body)
    if kind == "feedback":
        msg.add_attachment(attachment.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=attachment.name)
    prepared = Prepared(us.code, us.name, kind, to, subject, attachment=attachment.name if kind == "feedback" else "",
                        key=key)
    return prepared, msg


def _issue_lines(issues, limit: int = 30) -> str:
    lines = []
    for i in issues:
        sev = getattr(i, "severity", None)
        if sev is not None and getattr(sev, "value", sev) == "info":
            continue
        where = f" (trang {i.sheet}, ô {i.cell})" if getattr(i, "cell", "") else ""
        lines.append(f"- {i.message}{where}")
    more = len(lines) - limit
    return "\n".join(lines[:limit] + ([f"- ... và {more} nội dung khác (xem tệp phản hồi)"] if more > 0 else [])) \
        or "- (xem tệp phản hồi)"


def _feedback_file(folder: Path, file_name: str) -> Path | None:
    """The feedback copy of a received file: named after it (with _2, _3 when names clashed); when several
    copies share the stem, the one whose heading names the file."""
    first = feedback_path(folder, type("Sub", (), {"file_name": file_name})())
    stem = first.stem
    candidates = sorted(p for p in folder.glob("*.xlsx") if p.stem == stem or re.fullmatch(
        re.escape(stem) + r"_\d+", p.stem))
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    import python_calamine as pc

    wanted = f"Tệp: {file_name} —"
    for p in candidates:
        try:
            book = pc.CalamineWorkbook.from_path(str(p))
            for name in book.sheet_names:
                if any(isinstance(v, str) and v.startswith(wanted) for row in
                       book.get_sheet_by_name(name).to_python()[:5] for v in row):
                    return p
        except Exception:
            continue
    return None


def connect_smtp(server: Server) -> smtplib.SMTP:
    try:
        if server.security == "tls":
            conn = smtplib.SMTP_SSL(server.host, server.port, context=server.context(), timeout=server.timeout)
        else:
            conn = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            conn.starttls(context=server.context())
        conn.ehlo()
    except (OSError, ssl.SSLError, smtplib.SMTPException) as exc:
        raise explain(exc, server) from None
    try:
        if server.password.isascii():
            conn.login(server.user, server.password)
        else:  # smtplib encodes credentials as ASCII: a Vietnamese password goes as SASL PLAIN in UTF-8
            token = base64.b64encode(f"\0{server.user}\0{server.password}".encode()).decode("ascii")
            code, _ = conn.docmd("AUTH", "PLAIN " + token)
            if code != 235:
                raise smtplib.SMTPAuthenticationError(code, b"")
    except smtplib.SMTPAuthenticationError:
        conn.close()
        raise login_failed(server) from None
    except smtplib.SMTPException as exc:
        conn.close()
        raise MailError(f"Máy chủ thư {server.host} không cho đăng nhập: {exc}") from None
    return conn


def _deliver(server: Server, plans, ledger, period: str, progress) -> None:
    if not plans:
        return
    conn = connect_smtp(server)
    try:
        for n, (prepared, msg) in enumerate(plans, start=1):
            if progress:
                progress(n, len(plans), prepared.unit_name)
            try:
                conn.send_message(msg, from_addr=server.sender, to_addrs=prepared.to)
            except smtplib.SMTPRecipientsRefused as exc:
                prepared.state, prepared.detail = "failed", f"địa chỉ bị từ chối: {', '.join(exc.recipients)}"
                continue
            except smtplib.SMTPException as exc:
                prepared.state, prepared.detail = "failed", str(exc)[:200]
                continue
            ledger.mark_sent(prepared.key, period, prepared.unit, prepared.kind, prepared.to, prepared.subject,
                             msg["Message-ID"], prepared.attachment)
            prepared.state = "sent"
            _keep_sent(prepared)
    finally:
        try:
            conn.quit()
        except Exception:
            pass
