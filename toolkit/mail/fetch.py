"""Fetch the units' returns from the office mailbox over IMAP into a round's inbox.

The folder is opened read-only (EXAMINE) and bodies are read with BODY.PEEK: no flag changes, nothing deleted
or moved. Each message that carries a workbook, an archive or a message attachment (those of forwarded
messages included) becomes one folder ``inbox/thu/<date>_<sender>_<id>/`` holding those attachments, with the
date sent as their modification time, and a sidecar ``thu.json`` of its headers. Every message looked at is
marked by its Message-ID in the workspace's history database, so a second run fetches nothing twice.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import json
import os
import re
import shutil
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

from ..paths import distinct_names
from ..read import SPREADSHEET_EXTS
from .connection import MailError, Server, explain, login_failed, server_settings
from .messages import MailInfo, message_id_of, read_eml
from .unpack import CONTAINER_EXTS, SIDECAR

MAIL_FOLDER = "thu"  # inside the inbox: one sub-folder per fetched message
WANTED_EXTS = SPREADSHEET_EXTS | CONTAINER_EXTS
SINCE_DAYS = 60  # by default, messages from this many days before the round's deadline on
_BATCH = 50


@dataclass
class FetchResult:
    period: str
    looked_at: int = 0
    fetched: list[dict] = field(default_factory=list)  # {folder, from, subject, date, files}
    without_files: int = 0
    already: int = 0
    since: str = ""

    def summary(self) -> str:
        return (f"Đã xem {self.looked_at} thư từ {self.since}: tải về {len(self.fetched)} thư có tệp đính kèm "
                f"({sum(len(f['files']) for f in self.fetched)} tệp), {self.already} thư đã tải trước đó, "
                f"{self.without_files} thư không có bảng tính hay tệp nén")

    def to_dict(self) -> dict:
        return {"period": self.period, "since": self.since, "looked_at": self.looked_at, "fetched": self.fetched,
                "already": self.already, "without_files": self.without_files}


def connect_imap(server: Server) -> imaplib.IMAP4:
    try:
        if server.security == "tls":
            conn = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=server.context(), timeout=server.timeout)
        else:
            conn = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
            if "STARTTLS" not in conn.capabilities:
                conn.shutdown()
                raise MailError(f"Máy chủ {server.host}:{server.port} không hỗ trợ STARTTLS; dùng security: tls "
                                "(cổng 993).")
            conn.starttls(ssl_context=server.context())
    except MailError:
        raise
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise explain(exc, server) from None
    try:
        if server.password.isascii():
            conn.login(server.user, server.password)
        else:  # LOGIN is ASCII-only in imaplib: a Vietnamese password goes as SASL PLAIN in UTF-8
            conn.authenticate("PLAIN", lambda _: f"\0{server.user}\0{server.password}".encode())
    except imaplib.IMAP4.error:
        _close(conn)
        raise login_failed(server) from None
    except (OSError, ssl.SSLError) as exc:
        raise explain(exc, server) from None
    return conn


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except Exception:
        pass


def fetch_round(rnd, since: date | None = None, progress: Callable[[int, int, str], None] | None = None,
                env: dict | None = None) -> FetchResult:
    """Fetch into the round's inbox every new message with attachments sent since ``since`` (default: 60 days
    before the round's deadline)."""
    ws = rnd.ctx.ws
    server = server_settings(ws.settings, "imap", env)
    since = since or ws.deadline(rnd.period) - timedelta(days=SINCE_DAYS)
    result = FetchResult(period=rnd.code, since=since.strftime("%d/%m/%Y"))
    target = rnd.inbox / MAIL_FOLDER
    conn = connect_imap(server)
    try:
        with rnd.store_handle() as ledger:  # the mail ledger is kept in the store
            _fetch(conn, server, ledger, rnd.code, target, since, progress, result)
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:  # abort is a subclass of error
        raise explain(exc, server) from None
    finally:
        _close(conn)
    return result


def _imap_date(d: date) -> str:
    return f"{d.day}-{['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.month - 1]}-{d.year}"


def _quote(folder: str) -> str:
    """A mailbox name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3) for "Báo cáo", quoted."""
    out, run = [], []

    def flush():
        if run:
            packed = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + packed.replace("/", ",") + "-")
            run.clear()

    for ch in folder:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return '"' + "".join(out).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch(conn, server, ledger, period, target, since, progress, result) -> None:
    typ, _ = conn.select(_quote(server.folder), readonly=True)  # EXAMINE: the mailbox is never changed
    if typ != "OK":
        raise MailError(f"Không mở được thư mục '{server.folder}' của hộp thư (mail.imap.folder).")
    typ, data = conn.uid("SEARCH", None, "SINCE", _imap_date(since))
    uids = data[0].split() if typ == "OK" and data and data[0] else []
    result.looked_at = len(uids)
    known = ledger.fetched_ids()
    fresh: list[bytes] = []
    for i in range(0, len(uids), _BATCH):  # Message-IDs first: what was fetched before is not downloaded again
        chunk = uids[i:i + _BATCH]
        typ, data = conn.uid("FETCH", b",".join(chunk), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        ids = _message_ids(data)
        for uid in chunk:
            mid = ids.get(uid)
            if mid and mid in known:
                result.already += 1
            else:
                fresh.append(uid)
    for n, uid in enumerate(fresh, start=1):
        typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = next((part[1] for part in data or [] if isinstance(part, tuple)), b"")
        if not raw:  # expunged by another client since the search: nothing to take
            continue
        info = read_eml(raw)
        if progress:
            progress(n, len(fresh), info.subject or info.sender)
        if info.message_id in known:  # no Message-ID header: known by its content's hash
            result.already += 1
            continue
        saved = _save(target, info, raw)
        known.add(info.message_id)
        sent = info.date.isoformat() if info.date else ""
        if saved is None:
            result.without_files += 1
            ledger.mark_fetched(info.message_id, period, "", info.sender, info.subject, sent, 0)
            continue
        folder, files = saved
        rel = f"{MAIL_FOLDER}/{folder.name}"
        ledger.mark_fetched(info.message_id, period, rel, info.sender, info.subject, sent, len(files))
        result.fetched.append({"folder": rel, "from": info.sender, "subject": info.subject, "date": sent,
                               "files": files})


def _message_ids(data) -> dict[bytes, str]:
    out = {}
    for part in data or []:
        if not isinstance(part, tuple):
            continue
        m = re.search(rb"UID (\d+)", part[0])
        if not m:
            continue
        header = part[1].decode("ascii", "replace")
        mid = re.search(r"Message-ID:\s*(.+)", header, re.I | re.S)
        if mid:
            out[m.group(1)] = message_id_of(" ".join(mid.group(1).split()))
    return out


def _folder_name(info: MailInfo) -> str:
    when = info.date.astimezone().strftime("%Y-%m-%d_%H%M") if info.date else "khong-ngay"
    who = re.sub(r"[^A-Za-z0-9._-]+", "_", info.sender.split("@")[0])[:30] or "khong-ro"
    return f"{when}_{who}_{hashlib.sha256(info.message_id.encode()).hexdigest()[:8]}"


def _save(target: Path, info: MailInfo, raw: bytes) -> tuple[Path, list[str]] | None:
    """The message's wanted attachments in their own folder (written whole or not at all), or None."""
    wanted = [a for a in info.attachments if PurePosixPath(a.name).suffix.lower() in WANTED_EXTS]
    if not wanted:
        return None
    folder = target / _folder_name(info)
    if (folder / SIDECAR).is_file():  # written by a run that stopped before marking it
        return folder, json.loads((folder / SIDECAR).read_text(encoding="utf-8")).get("files", [])
    names = distinct_names([_safe(a.name) for a in wanted])
    tmp = target / f".tai-{folder.name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    stamp = info.date.timestamp() if info.date else None
    for att, name in zip(wanted, names):
        (tmp / name).write_bytes(att.data)
        if stamp is not None:  # the date sent is what on-time status is judged by
            os.utime(tmp / name, (stamp, stamp))
    sidecar = {**info.headers(), "files": names,
               "forwarded": sorted({a.via for a in wanted if a.via}),
               "not_saved": [a.name for a in info.attachments if a not in wanted]}
    (tmp / SIDECAR).write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder)
    return folder, names


def _safe(name: str) -> str:
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", name).strip().rstrip(". ")
    return name or "tep_dinh_kem"



