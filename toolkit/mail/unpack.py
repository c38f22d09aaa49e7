"""Archives and saved messages in the inbox become received files, traced to their container.

Each container in the inbox (``thu.zip``, ``Bao cao.eml``, ``Fw.msg``, in any sub-folder) is opened once; the
workbooks inside, at any nesting depth within the limits, are written to ``inbox/_giai_nen/<container path>/``
(so a collect lists them as ``_giai_nen/thu.zip/inner.zip/A.xlsx``) with the date the unit SENT them as their
modification time, which is what a collect judges on-time status by. The date sent comes from the message
(its Date header), from the sidecar ``thu.json`` that ``toolkit mail fetch`` writes beside a fetched
message's attachments, and otherwise is the container's own modification time. A manifest per container keeps
what was found, so a second collect opens nothing twice; a container that changed is opened again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..issues import make_issue
from ..read import SPREADSHEET_EXTS
from .archives import ARCHIVE_EXTS, ArchiveLimits, Budget, open_archive
from .messages import MESSAGE_EXTS, MailInfo, read_message

CONTAINER_EXTS = ARCHIVE_EXTS | MESSAGE_EXTS
UNPACKED = "_giai_nen"  # inside the inbox: the workbooks taken out of containers
SIDECAR = "thu.json"  # beside a fetched message's attachments: its headers
MANIFEST = ".nguon.json"  # inside an unpacked container's folder: where each file came from
_BAD_CHARS = re.compile(r'[<>:"|?*\x00-\x1f]')


def is_mail_file(path: Path) -> bool:
    """Files the inbox scan leaves to this module: containers, sidecars, manifests."""
    return path.suffix.lower() in CONTAINER_EXTS or path.name in (SIDECAR, MANIFEST)


@dataclass
class _Walk:
    inbox: Path
    rel: str  # the container's path in the inbox
    target: Path
    limits: ArchiveLimits
    budget: Budget
    sent: float  # timestamp given to every workbook taken out
    notes: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    count: int = 0


def expand_inbox(inbox: Path, settings: dict) -> list[dict]:
    """Open every container of the inbox; return notes for the collect's table as FileResult fields
    (file, status, issues): one per container, one per refused or skipped member."""
    limits = ArchiveLimits.from_settings(settings)
    notes: list[dict] = []
    if not inbox.is_dir():
        return notes
    for path in sorted(inbox.rglob("*")):
        rel_parts = path.relative_to(inbox).parts
        if rel_parts[0] == UNPACKED or path.suffix.lower() not in CONTAINER_EXTS or not path.is_file() \
                or path.is_symlink() or path.name.startswith((".", "~$")):
            continue
        try:
            notes.extend(expand_container(inbox, path, limits))
        except Exception as exc:  # a disk fault or a reader library's own fault: said, the other containers opened
            rel = path.relative_to(inbox).as_posix()
            notes.append({"file": rel, "status": "skipped", "warnings": 1, "issues": [
                make_issue("file-failed", file=rel, stage="mở tệp nén/thư",
                           detail=f"{type(exc).__name__}: {exc}"[:200])]})
    return notes


def _issues(notes: list[dict]) -> list[dict]:
    return [{**n, "issues": [make_issue(code, file=n["file"], **params) for code, params in n["issues"]]}
            for n in notes]


def expand_container(inbox: Path, path: Path, limits: ArchiveLimits) -> list[dict]:
    rel = path.relative_to(inbox).as_posix()
    target = inbox / UNPACKED / rel
    data = path.read_bytes() if path.stat().st_size <= limits.max_total_mb * 1048576 else None
    digest = hashlib.sha256(data).hexdigest() if data is not None else ""
    manifest = target / MANIFEST
    if data is not None and manifest.is_file():
        try:
            kept = json.loads(manifest.read_text(encoding="utf-8"))
            if kept.get("sha256") == digest and all((target / f["path"]).is_file() for f in kept["files"]):
                return _issues(kept["notes"])
        except (ValueError, KeyError, OSError):
            pass
    if target.exists():
        shutil.rmtree(target)
    walk = _Walk(inbox, rel, target, limits, Budget(int(limits.max_total_mb * 1048576), limits.max_members),
                 sent=path.stat().st_mtime)
    if data is None:
        walk.notes.append({"file": rel, "status": "rejected", "errors": 1, "issues": [
            ("file-too-large", {"detail": f"tệp nén lớn hơn {limits.max_total_mb:g} MB"})]})
        return _issues(walk.notes)
    sidecar = _sidecar(path.parent)
    if sidecar.get("date"):
        walk.sent = datetime.fromisoformat(sidecar["date"]).timestamp()
    origin = _open(walk, path.suffix.lower(), data, [], 0, top=not sidecar)
    if sidecar:
        origin = {k: sidecar.get(k, "") for k in ("from", "subject", "date", "message_id")}
    walk.notes.insert(0, {"file": rel, "status": "skipped", "issues": [
        ("container-opened", {"count": walk.count, "detail": _describe(origin)})]})
    target.mkdir(parents=True, exist_ok=True)
    (target / MANIFEST).write_text(json.dumps({"sha256": digest, "container": rel, "origin": origin,
                                               "files": walk.files, "notes": walk.notes}, ensure_ascii=False,
                                              indent=1), encoding="utf-8")
    return _issues(walk.notes)


def _sidecar(folder: Path) -> dict:
    try:
        return json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _describe(origin: dict) -> str:
    if not origin:
        return ""
    bits = [f"thư của {origin['from']}" if origin.get("from") else "thư"]
    if origin.get("date"):
        bits.append(f"gửi {datetime.fromisoformat(origin['date']).astimezone():%d/%m/%Y %H:%M}")
    if origin.get("subject"):
        bits.append(f"tiêu đề \"{origin['subject']}\"")
    if origin.get("message_id"):
        bits.append(f"Message-ID <{origin['message_id']}>")
    return "; " + ", ".join(bits)


def _open(walk: _Walk, ext: str, data: bytes, chain: list[str], depth: int, top: bool = False) -> dict:
    """Take the workbooks out of one container (recursively); return the message's origin when it is one."""
    where = "/".join([walk.rel, *chain])
    if depth > walk.limits.max_depth:
        walk.notes.append({"file": where, "status": "rejected", "errors": 1, "issues": [
            ("archive-member-refused", {"member": chain[-1], "reason": f"lồng nhau quá {walk.limits.max_depth} lớp"})]})
        return {}
    if ext in MESSAGE_EXTS:
        try:
            info = read_message(ext, data)
        except Exception as exc:  # a damaged message: reported, the other containers still opened
            walk.notes.append({"file": where, "status": "rejected", "errors": 1, "issues": [
                ("file-unreadable", {"detail": f"thư điện tử hỏng ({type(exc).__name__})"})]})
            return {}
        if top and info.date is not None:
            walk.sent = info.date.timestamp()
        for att in info.attachments:
            _member(walk, att.name, att.data, chain, depth)
        return _origin(info)
    for entry in open_archive(ext, data, walk.limits, walk.budget):
        if entry.problem is not None:
            code, params = entry.problem
            member = "/".join([walk.rel, *chain, entry.name]) if entry.name else where
            office = code == "archive-tool-missing"  # the office's machine lacks a program: not the unit's fault
            walk.notes.append({"file": member, "status": "skipped" if office else "rejected",
                               "errors": 0 if office else 1, "warnings": 1 if office else 0,
                               "issues": [(code, params)]})
            continue
        _member(walk, entry.name, entry.data, chain, depth)
    return {}


def _origin(info: MailInfo) -> dict:
    return {"from": info.sender, "subject": info.subject, "date": info.date.isoformat() if info.date else "",
            "message_id": info.message_id}


def _member(walk: _Walk, name: str, data: bytes, chain: list[str], depth: int) -> None:
    ext = PurePosixPath(name).suffix.lower()
    if ext in CONTAINER_EXTS:
        _open(walk, ext, data, [*chain, name], depth + 1)
        return
    where = "/".join([walk.rel, *chain, name])
    if ext not in SPREADSHEET_EXTS:
        walk.notes.append({"file": where, "status": "skipped", "issues": [
            ("file-skipped", {"reason": f"trong tệp nén/thư, đuôi {ext or '(không có)'}"})]})
        return
    rel = PurePosixPath(*[_clean(p) for p in [*chain, name] for p in PurePosixPath(p).parts])
    out = walk.target / rel
    n = 1
    while out.exists():  # two members with one name (two messages' "Bao cao.xlsx")
        n += 1
        out = out.with_name(f"{PurePosixPath(name).stem}_{n}{ext}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.utime(tmp, (walk.sent, walk.sent))
    os.replace(tmp, out)
    walk.files.append({"path": out.relative_to(walk.target).as_posix(), "member": "/".join([*chain, name])})
    walk.count += 1


def _clean(part: str) -> str:
    """A name Windows can create: no reserved characters, no trailing dots or spaces."""
    part = _BAD_CHARS.sub("_", part).rstrip(". ")
    return part or "_"


def origin_of(inbox: Path, rel: str) -> dict:
    """Where a received file came from: the message (from, subject, date, message_id) of a fetched or
    unpacked file, {} for a file the clerk put in the inbox by hand."""
    p = PurePosixPath(rel.replace("\\", "/"))
    if p.parts and p.parts[0] == UNPACKED:
        for i in range(len(p.parts) - 1, 1, -1):
            manifest = inbox / Path(*p.parts[:i]) / MANIFEST
            if manifest.is_file():
                try:
                    origin = json.loads(manifest.read_text(encoding="utf-8")).get("origin") or {}
                except ValueError:
                    origin = {}
                if origin:
                    return origin
                return _sidecar(inbox / Path(*p.parts[1:i]).parent)
        return {}
    return _sidecar((inbox / Path(*p.parts)).parent)
