"""Collect a round: scan the inbox, identify and validate each file, archive it by SHA-256, store it,
write feedback for the units and an issues workbook for the office.

Order per file (crash-safe): archive the original (atomic, read-only) -> write the feedback copy
(atomic) -> one store transaction. A crash before the commit leaves the store as it was; the file is
simply processed again next time. A file whose content was stored before is skipped by its hash
without being parsed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..context import Context, load_context
from ..definitions.forms import Form
from ..definitions.versions import check_version, status_meaning, todays_word
from ..files import atomic_path
from ..formatting import seconds
from ..issue_labels import issue_label
from ..issues import Issue, Report, Severity, make_issue
from ..machine import MachineFault, as_fault, is_storage_error
from ..mail.unpack import expand_inbox, is_mail_file
from ..memory import fewer_collections
from ..paths import distinct_names
from ..periods import Period, parse_period
from ..read import SPREADSHEET_EXTS, Limits, open_workbook
from ..round import Round, as_round, template_name
from ..sheets import Workbook, fit_row, print_setup
from ..store import Store
from ..store.lock import round_lock
from ..text import fold, known_folds, xml_safe
from .checks import CHECKED_TASK_FIELDS, Lookups, TasksByUnit, compared_folds
from .feedback import WRONG_PERIOD, feedback_path, write_feedback
from .pool import Bounds, default_workers, failure_issue, process_pool
from .similarity import TextGroups, TextLinks
from .submission import counted_text, first_return
from .validate import Submission, parse_workbook, validate

STATUS_LABELS = {"accepted": "Tiếp nhận", "warnings": "Tiếp nhận, có cảnh báo", "rejected": "Không tiếp nhận",
                 "skipped": "Bỏ qua", "duplicate": "Đã tiếp nhận trước đó",
                 "duplicate_rejected": "Đã xét trước đó: không tiếp nhận, chờ bản sửa",
                 "not_judged": "Chưa xét (sự cố của máy, sẽ đọc lại)"}


@dataclass
class FileResult:
    file: str
    status: str  # accepted | warnings | rejected | skipped | duplicate | duplicate_rejected | not_judged
    unit: str = ""
    unit_name: str = ""
    form: str = ""
    period: str = ""
    sha256: str = ""
    errors: int = 0
    warnings: int = 0
    late_days: int = 0
    counted: str = ""  # the date that counted for timeliness, and its file ("30/01/2026 (tệp pt.xlsx)")
    replaced: str = ""
    feedback: str = ""
    issues: list[Issue] = field(default_factory=list)
    readable: bool = False
    format: str = ""
    path: Path | None = None

    @property
    def status_label(self) -> str:
        """What was decided, never contradicting the replacement named beside it."""
        if self.status == "duplicate_rejected" and self.replaced:
            return "Đã xét trước đó: không tiếp nhận; đã có bản sửa được tiếp nhận"
        if self.status == "duplicate_rejected" and not self.unit:
            return "Đã xét trước đó: không tiếp nhận, không rõ đơn vị"
        return STATUS_LABELS[self.status]

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("issues", "readable", "format", "path")}
        d["status_label"] = self.status_label
        d["issues"] = [i.to_dict() for i in self.issues]
        return d


@dataclass
class CollectResult:
    period: str
    files: list[FileResult] = field(default_factory=list)
    issues_workbook: str = ""
    seconds: float = 0.0

    @property
    def report(self) -> Report:
        return Report([i for f in self.files for i in f.issues])

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def has_errors(self) -> bool:
        """A file rejected now, or rejected before and not yet replaced by an accepted return (of a unit: a file
        nobody was found to have sent has no correction to wait for)."""
        return any(f.status == "rejected" or (f.status == "duplicate_rejected" and not f.replaced and f.unit)
                   for f in self.files)

    def summary(self) -> str:
        """One Vietnamese line for the CLI, the Excel panel, the demo and `toolkit run`."""
        parts = [f"{self.count('accepted') + self.count('warnings')} tiếp nhận",
                 f"{self.count('rejected')} không tiếp nhận"]
        if self.count("duplicate"):
            parts.append(f"{self.count('duplicate')} đã tiếp nhận trước đó")
        if self.count("duplicate_rejected"):
            parts.append(f"{self.count('duplicate_rejected')} đã xét trước đó (không tiếp nhận)")
        if self.count("skipped"):
            parts.append(f"{self.count('skipped')} bỏ qua")
        if self.count("not_judged"):
            parts.append(f"{self.count('not_judged')} chưa xét do sự cố của máy (sẽ đọc lại)")
        return f"{len(self.files)} tệp: {', '.join(parts)} ({seconds(self.seconds)})"

    def to_dict(self) -> dict:
        return {"period": self.period, "seconds": round(self.seconds, 3), "issues_workbook": self.issues_workbook,
                "summary": {s: self.count(s) for s in STATUS_LABELS}, "ok": not self.has_errors,
                "files": [f.to_dict() for f in self.files]}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan_inbox(inbox: Path) -> tuple[list[Path], list[FileResult]]:
    """Spreadsheet candidates (oldest first) and notes for the files skipped."""
    files, skipped = [], []
    for path in sorted(inbox.rglob("*")):
        rel = str(path.relative_to(inbox))
        odd = _not_regular(path)
        if odd is None:
            continue
        if odd:
            skipped.append(FileResult(file=rel, status="skipped", issues=[make_issue("file-not-regular", file=rel,
                                                                                     kind=odd)]))
            continue
        if path.name.startswith("~$") or path.name.startswith(".~lock"):
            reason = "tệp tạm của Excel/LibreOffice"
        elif is_mail_file(path):  # archives, saved messages, fetch sidecars: opened by toolkit.mail.unpack
            continue
        elif path.name.startswith("."):
            reason = "tệp ẩn"
        elif path.suffix.lower() not in SPREADSHEET_EXTS:
            reason = f"đuôi {path.suffix or '(không có)'}"
        else:
            files.append(path)
            continue
        skipped.append(FileResult(file=rel, status="skipped",
                                  issues=[make_issue("file-skipped", file=rel, reason=reason)]))
    files.sort(key=lambda p: (p.stat().st_mtime, str(p)))
    return files, skipped


def _not_regular(path: Path) -> str | None:
    """'' for a regular file, None for a folder (walked into), else what the entry is (said to the clerk)."""
    try:
        st = path.lstat()
    except OSError:
        return "mục không còn trong thư mục"
    if stat.S_ISDIR(st.st_mode):
        return None
    if stat.S_ISLNK(st.st_mode):
        return "lối tắt (symlink) trỏ tới tệp khác" if path.exists() else "lối tắt (symlink) hỏng"
    if stat.S_ISFIFO(st.st_mode):
        return "đường ống (FIFO), không phải tệp"
    if not stat.S_ISREG(st.st_mode):
        return "mục đặc biệt của hệ thống, không phải tệp"
    return ""


@fewer_collections
def collect(rnd: Round, inbox: str | Path | None = None, feedback: bool = True,
            progress: Callable[[int, int, str], None] | None = None, workers: int | None = None,
            _hook: Callable[[str, str], None] | None = None, stored: Callable[[], None] | None = None
            ) -> CollectResult:
    """Collect every returned workbook of a round (a Round, or a workspace and a period). Bad files become
    issues; this raises only for tool faults (no workspace, broken form definitions or registry). A form named
    by the round restricts what is accepted; otherwise any form of the period's kind is. ``stored()`` is called
    once the store holds all this collect keeps (every file judged, the text links), before the feedback copies
    and the office's workbook are written: `toolkit run` starts its merge there."""
    started = time.perf_counter()
    rnd = as_round(rnd)
    ctx, period = rnd.ctx, rnd.period
    form_id = rnd.form.id if rnd.explicit else None
    for form in rnd.forms:  # returns are never read by a definition changed under their version number
        check_version(ctx, form)
    if period.code not in (ctx.ws.settings.get("periods") or {}) and not rnd.started:
        from ..errors import ToolkitError  # a mistyped period would otherwise start a second round

        raise ToolkitError(f"Kỳ {period.code} ({period.label}) không có trong settings.yaml, chưa phát hành biểu mẫu "
                           f"và chưa tiếp nhận tệp nào. Kiểm tra lại kỳ (--period); nếu đúng là kỳ mới, thêm kỳ bằng: "
                           f"toolkit init <thư mục> --period {period.code}.")
    if not ctx.ws.has_deadline(period):  # keep the deadline the returns are judged by
        ctx.ws.set_period(period)
    inbox = Path(inbox) if inbox else rnd.inbox
    with round_lock(ctx, period.code):  # the workspace's lock file, or the PostgreSQL server's advisory lock
        return _collect_locked(ctx, period, form_id, inbox, feedback, progress, workers, _hook, started, stored)


def _collect_locked(ctx, period, form_id, inbox, feedback, progress, workers, _hook, started, stored=None
                    ) -> CollectResult:
    result = CollectResult(period=period.code)
    try:
        _collect_files(ctx, period, form_id, inbox, feedback, progress, workers, _hook, result, stored)
    except BaseException as exc:  # the office's table is written whatever happened to the files, unless the
        if not isinstance(exc, MachineFault) and not is_storage_error(exc):  # disk itself is what failed
            try:
                write_issues_workbook(ctx, period, result)
            except Exception:
                pass
        raise
    result.issues_workbook = str(write_issues_workbook(ctx, period, result))
    result.seconds = time.perf_counter() - started
    return result


def _collect_files(ctx, period, form_id, inbox, feedback, progress, workers, _hook, result, stored=None) -> None:
    result.files.extend(FileResult(**note) for note in expand_inbox(inbox, ctx.ws.settings))  # zip, eml, msg...
    files, skipped = scan_inbox(inbox)
    result.files.extend(skipped)
    staging = snapshots_folder(ctx.ws.round_dir(period, "archive"))
    store = ctx.store  # the session's one handle: collect does not close it
    parsed = None
    try:
        store.snapshot_registry(period.code, ctx.registry)
        for form in ctx.forms.values():  # the definitions the round was read with, kept in the history
            store.save_form(form.id, form.version, form.definition)
        seen = store.seen_hashes()
        limits = ctx.ws.read_limits
        lookups: dict[str, Lookups] = {}
        claimed = {str(p.relative_to(inbox)) for p in files}  # file names present in the inbox now
        todo: list[tuple[Path, str, str]] = []
        context = _context(ctx, period, form_id)
        reread: dict[str, tuple[int, str]] = {}  # digest -> the earlier rejection forgotten when it is stored
        twins: list[tuple[int, str, str, Path]] = []
        pending: dict[str, str] = {}  # digest -> the file of this collect judged for it
        _scan(ctx, files, inbox, store, staging, seen, context, result, todo, reread, pending, twins)
        parsed = parse_all(ctx, [(snap, r) for _, r, _, snap, _ in todo], form_id, period, limits, workers)
        intake = Intake(ctx, store, period, form_id, lookups, claimed, _hook)
        for n, ((path, rel, digest, snap, before), (fmt, readable, sub)) in enumerate(zip(todo, parsed), start=1):
            if progress:
                progress(n, len(todo), rel)
            if isinstance(sub, NotJudged):
                fr = not_judged(rel, digest, sub.reason)
            elif _changed(path, before):  # copied over, truncated or restored while it was read
                fr = not_judged(rel, digest, CHANGED)
            else:
                try:
                    fr = judge_file(intake, FileJob(path, rel, digest, fmt, readable, sub, snap=snap,
                                                    mtime=before.st_mtime, forget=reread.get(digest)))
                except Exception as exc:  # the machine's fault, never the unit's: nothing was recorded
                    if is_storage_error(exc):
                        done = sum(1 for f in result.files if f and f.status in ("accepted", "warnings", "rejected"))
                        raise as_fault(exc, str(ctx.ws.db_path), before=(
                            f"Tiếp nhận dừng lại ở tệp {rel} ({done} tệp đã xét xong và đã lưu; "
                            f"{len(todo) - n + 1} tệp chưa xét, sẽ được đọc lại ở lần tiếp nhận sau):")) from None
                    fr = not_judged(rel, digest, f"lỗi của chương trình khi kiểm tra, lưu tệp ({_brief(exc)})")
            if fr.status == "not_judged":
                seen.discard(digest)
            drop_snapshot(snap)
            result.files.append(fr)
        _settle(ctx, store, result, twins, pending, period.code)
        _keep_links(ctx, store, period, lookups)
        if stored is not None:
            stored()
        if feedback:
            write_all_feedback(ctx, store, period, result, workers, _hook)
    finally:
        if parsed is not None:
            parsed.close()  # workers still reading are ended
        shutil.rmtree(staging, ignore_errors=True)


def _keep_links(ctx: Context, store: Store, period: Period, lookups: dict[str, Lookups]) -> None:
    """The near-duplicate links of the round's texts, as this collect's indexes hold them (every accepted text of
    the round): kept in the store for merge's copy sheets (see similarity.TextLinks)."""
    for form_id, lk in lookups.items():
        for rule_id, index in (("similar-across-units", lk.titles), ("copied-text", lk.reports)):
            columns = {rule["column"] for _, rule in ctx.forms[form_id].rules(rule_id)}
            if columns and len(index):
                links = TextLinks.of(index)
                for column in sorted(columns):
                    try:
                        links.save(store, form_id, period.code, column)
                    except Exception:  # a cache: the returns are stored; merge searches again without it
                        pass


def _scan(ctx, files, inbox: Path, store: Store, staging: Path, seen: set, context: dict, result, todo: list,
          reread: dict, pending: dict, twins: list) -> None:
    """Hash each inbox file and take a private copy of those to judge (``todo``); a file seen before is answered
    from the store, one that cannot be read or changes while copied is not judged (the office's problem)."""
    for path in files:
        rel = str(path.relative_to(inbox))
        try:
            before = path.stat()
            digest = sha256_file(path)
        except OSError as exc:  # the inbox could not be read: the office's problem, not the unit's
            result.files.append(not_judged(rel, "", _cannot_read(exc)))
            continue
        if digest in pending:  # a twin of a file judged in this collect: judged like it, afterwards
            twins.append((len(result.files), rel, digest, path))
            result.files.append(None)
            continue
        again = _read_again(store, digest, context) if digest in seen else None
        if digest in seen and not again:
            result.files.append(_seen_before(ctx, store, rel, digest, path, context["period"]))
            continue
        try:  # the bytes judged are the bytes archived and hashed: a private copy, read once
            snap = snapshot(path, staging, digest, before)
        except OSError as exc:  # the inbox file could not be read (locked by Excel...): that file waits;
            if is_storage_error(exc) and exc.filename != str(path):  # the workspace cannot be written: stop
                raise as_fault(exc, before="Tiếp nhận dừng lại, chưa xét tệp nào tiếp theo:") from None
            result.files.append(not_judged(rel, digest, _cannot_read(exc)))
            continue
        if snap is None:
            result.files.append(not_judged(rel, digest, CHANGED))
            continue
        if again:
            reread[digest] = again
        pending[digest] = rel
        todo.append((path, rel, digest, snap, before))


def _settle(ctx, store: Store, result, twins: list, pending: dict, period: str) -> None:
    """Twins of a file judged in this collect are answered like it; files seen before are named like the others,
    and a rejected one whose unit sent a corrected file since says so."""
    for i, rel, digest, path in twins:
        if store.submission_by_sha(digest) is None:  # the original could not be judged either
            result.files[i] = not_judged(rel, digest, f"cùng nội dung với tệp {pending[digest]} chưa xét được")
        else:
            result.files[i] = _seen_before(ctx, store, rel, digest, path, period)
    for i, fr in enumerate(result.files):  # another round's file whose unit's return of this round came with it
        if fr.issues and fr.issues[0].code == "file-other-round":
            result.files[i] = _other_round(ctx, store, store.submission_by_sha(fr.sha256), fr.file, fr.sha256,
                                           fr.path, period)
    for fr in result.files:  # a file rejected before whose unit sent a corrected one later in this collect
        if fr.unit and not fr.unit_name and fr.unit in ctx.registry.units:
            fr.unit_name = ctx.registry.units[fr.unit].name  # files seen before: named like the others
        if fr.status == "duplicate_rejected" and not fr.replaced and fr.unit:
            later = store.active_submission(fr.unit, fr.form, fr.period)
            if later:
                fr.replaced = later["file_name"]
                fr.issues = [make_issue("file-seen-rejected-replaced", file=fr.file, other=later["file_name"])]


CHANGED = ("tệp thay đổi trong lúc đang đọc (có thể đang được chép hoặc lưu đè); kết quả không được ghi cho đơn vị. "
           "Chờ chép xong rồi tiếp nhận lại")


@dataclass
class NotJudged:
    """What happened to a file (not what it is): the office's problem; nothing is recorded for the unit."""

    reason: str


def _cannot_read(exc: OSError) -> str:
    import errno

    what = {errno.EACCES: "không có quyền đọc, hoặc tệp đang được mở bằng chương trình khác",
            errno.EPERM: "không có quyền đọc, hoặc tệp đang được mở bằng chương trình khác",
            errno.ENOENT: "tệp đã bị xoá hoặc chuyển đi trong lúc tiếp nhận",
            errno.EIO: "ổ đĩa báo lỗi khi đọc"}.get(exc.errno, "máy báo lỗi khi đọc tệp")
    return f"không đọc được tệp trong thư mục inbox ({what}); đóng Excel hoặc chờ chép xong rồi tiếp nhận lại"


def not_judged(rel: str, digest: str, reason: str) -> FileResult:
    return FileResult(file=rel, status="not_judged", sha256=digest,
                      issues=[make_issue("file-not-judged", file=rel, what=reason)])


def snapshots_folder(archive_dir: Path) -> Path:
    """A private folder for this collect's copies of the files it reads (left over by a killed collect:
    emptied; the workspace lock keeps other collects out)."""
    folder = archive_dir / ".dang_doc"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def snapshot(path: Path, staging: Path, digest: str, before: os.stat_result) -> Path | None:
    """Copy ``path`` once into a private folder (same file name, same modification time) while hashing it: the
    copy is what is judged, archived and recorded. None when the bytes differ from those hashed at the scan (the
    file is changing). The copies lie side by side; a name already there (the same name in two folders of the inbox,
    or in two cases on Windows) gets a folder of its own: a folder made for every file cost a directory's creation
    each, as dear as a file's on a busy disk (on this machine's ext4, up to ~0.4 ms of the kernel's time)."""
    staging.mkdir(parents=True, exist_ok=True)
    folder, n = staging, 0
    while True:  # the file system says whether the name is taken (in any case, on Windows and macOS)
        copy = folder / path.name
        try:
            dst = open(copy, "xb")
            break
        except FileExistsError:
            n += 1
            folder = staging / f"{digest[:16]}-{n}"
            folder.mkdir(exist_ok=True)
    h = hashlib.sha256()
    with open(path, "rb") as src, dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            h.update(chunk)
            dst.write(chunk)
    if h.hexdigest() != digest or _changed(path, before):
        drop_snapshot(copy)
        return None
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    return copy


def drop_snapshot(snap: Path) -> None:
    """The private copy, once judged (archived copies were renamed away): its empty folder is left for the
    collect's end, which removes the staging folder whole (a folder removed per file cost ~2 ms of each)."""
    try:
        snap.unlink(missing_ok=True)
    except OSError:
        pass  # removed with the staging folder at the end


def _changed(path: Path, before: os.stat_result) -> bool:
    try:
        now = path.stat()
    except OSError:
        return True
    return (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns)


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:200]


# rejections that depend on the round or on the office's registry, not on the file alone: a file rejected for
# these alone is read again once that context has changed (collected with another --form or in another period's
# round, the unit list edited since), unless its unit has had a file accepted for that form and period since
CONTEXT_ERRORS = {"form-mismatch", "form-period-mismatch", "period-mismatch", "unit-unknown", "unit-unidentified"}


def _context(ctx: Context, period: Period, form_id: str | None) -> dict:
    """What a collect's verdicts depend on besides the file: the form asked for, the round, the unit list."""
    try:
        registry = int(ctx.ws.registry_path.stat().st_mtime)
    except OSError:
        registry = 0
    return {"form": form_id or "", "period": period.code, "registry": registry}


def _read_again(store: Store, digest: str, context: dict) -> tuple[int, str] | None:
    """(the earlier rejection's id, why) when a file seen before is to be read again, else None."""
    earlier = store.submission_by_sha(digest)
    if not earlier or earlier["status"] != "rejected" or not earlier.get("collected_as"):
        return None
    codes = store.error_codes(earlier["id"])
    if not codes or not codes <= CONTEXT_ERRORS or json.loads(earlier["collected_as"]) == context:
        return None
    if earlier["unit_code"] and store.active_submission(earlier["unit_code"], earlier["form_id"], context["period"]):
        return None  # the unit's accepted file of this round stands: this one stays "rejected, replaced"
    return earlier["id"], ", ".join(sorted(codes))


def _seen_before(ctx, store: Store, rel: str, digest: str, path: Path, period: str) -> FileResult:
    """A file whose content was processed before: say what was decided then (in another round: see _other_round)."""
    earlier = store.submission_by_sha(digest)
    if earlier and earlier["unit_code"] and earlier["period"] and earlier["period"] != period and (
            earlier["status"] == "accepted" or not store.error_codes(earlier["id"]) <= CONTEXT_ERRORS):
        # (a file refused for the round it was dropped in is stored under that round, not its own: not said to be
        # that round's; it is read again where it belongs, _read_again)
        return _other_round(ctx, store, earlier, rel, digest, path, period)
    if earlier and earlier["status"] == "rejected":
        later = earlier["unit_code"] and store.active_submission(earlier["unit_code"], earlier["form_id"],
                                                                   earlier["period"])
        fr = FileResult(file=rel, status="duplicate_rejected", sha256=digest, path=path,
                        unit=earlier["unit_code"] or "", form=earlier["form_id"] or "", period=earlier["period"] or "",
                        errors=earlier["errors"] or 0, replaced=later["file_name"] if later else "",
                        issues=[make_issue("file-seen-rejected", file=rel, errors=earlier["errors"] or 0,
                                           other=later["file_name"] if later else "")])
        if later:
            fr.issues[0] = make_issue("file-seen-rejected-replaced", file=rel, other=later["file_name"])
        elif not fr.unit:
            fr.errors, fr.warnings, fr.issues = 0, 1, [make_issue("file-seen-rejected-unknown", file=rel)]
        return fr
    earlier = earlier or {}
    return FileResult(file=rel, status="duplicate", sha256=digest, path=path, unit=earlier.get("unit_code") or "",
                      form=earlier.get("form_id") or "", period=earlier.get("period") or "",
                      issues=[make_issue("file-already-collected", file=rel)])


def _other_round(ctx, store: Store, earlier: dict, rel: str, digest: str, path: Path, period: str) -> FileResult:
    """A file received before in another round (a unit sending last round's workbook again, the wrong attachment):
    this round has nothing from it. Refused for this round, nothing stored, its feedback this round's template as
    for a file of another period; only noted once the unit's returns of this round are accepted (of every form the
    office sent it for the round, or, sent none, of one)."""
    unit = earlier["unit_code"]
    accepted = {s["form_id"]: s for s in store.submissions(period=period)
                if s["unit_code"] == unit and s["active"] and s["status"] == "accepted"}
    sent = _sent_forms(ctx, unit, period)
    now = None
    if accepted and (not sent or sent <= set(accepted)):
        now = accepted[sorted(sent)[0]] if sent else next(iter(accepted.values()))
    said = dict(file=rel, other=earlier["file_name"], found=_period_named(earlier["period"]),
                expected=_period_named(period))
    fr = FileResult(file=rel, status="rejected", unit=unit, form=earlier["form_id"] or "", period=period,
                    sha256=digest, path=path)
    if now is not None:
        fr.status, fr.issues = "duplicate", [make_issue("file-other-round-replaced", now=now["file_name"], **said)]
    else:
        fr.errors, fr.readable, fr.format = 1, True, earlier["format"] or ""
        fr.issues = [make_issue("file-other-round", **said)]
    return fr


def _sent_forms(ctx, unit: str, period: str) -> set[str]:
    """The forms of the templates the office sent ``unit`` for the round (in its outbox, as round.template_name
    names them)."""
    who, when = ctx.registry.units.get(unit), parse_period(period)
    outbox = ctx.ws.round_dir(when, "outbox")
    return {f.id for f in ctx.forms.values() if who and (outbox / template_name(f, who, when)).is_file()}


def _period_named(code: str) -> str:
    """A period as the messages name it: "2025-H1 (6 tháng đầu năm 2025)"."""
    try:
        return f"{code} ({parse_period(code).label})"
    except Exception:
        return code


_WORKER_CTX: dict = {}


def _parse_one(ctx: Context, path: Path, rel: str, form_id: str | None, period: Period, limits: Limits):
    """Everything that needs only the file itself: open, identify, read, coerce, local rules, timeliness.
    A fault on an untrusted file (a reader or rule raising) becomes a file-level issue of that file."""
    wb = open_workbook(path, limits)
    try:
        sub = parse_workbook(wb, ctx, form_id, period, rel_name=rel)
        if sub.form is not None and sub.unit is not None and sub.period is not None:
            validate(sub, ctx, part="local")
            _timeliness(ctx, sub, path, period)
            sub.folds = compared_folds(sub)
    except Exception as exc:
        sub = Submission(path=path, file_name=rel, format=wb.format)
        sub.add("file-failed", stage="đọc và kiểm tra", detail=_brief(exc))
    return wb.format, bool(wb.sheets), sub


def _parse_in_worker(job):
    root, path, rel, form_id, period, limits = job
    if _WORKER_CTX.get("root") != root:
        _WORKER_CTX.update(root=root, ctx=load_context(root))
    fmt, readable, sub = _parse_one(_WORKER_CTX["ctx"], path, rel, form_id, period, limits)
    for ps in sub.sheets.values():  # lighter to send back: cell references follow from the column map,
        for row in ps.rows:          # form, sheet and unit are sent as their ids and linked again
            row.raw, row.cells = {}, {}
        ps.spec = ps.spec.id
    sub.form = sub.form.id if sub.form is not None else None
    sub.unit = sub.unit.code if sub.unit is not None else None
    return fmt, readable, sub


def _relink(ctx: Context, sub: Submission) -> Submission:
    if isinstance(sub.form, str):
        sub.form = ctx.forms[sub.form]
        for ps in sub.sheets.values():
            ps.spec = sub.form.sheet(ps.spec)
    if isinstance(sub.unit, str):
        sub.unit = ctx.registry.units[sub.unit]
    return sub


def _init_worker(root: str) -> None:
    _WORKER_CTX.update(root=root, ctx=load_context(root))


def parse_all(ctx: Context, items: list[tuple[Path, str]], form_id, period, limits, workers: int | None):
    """Read and parse files in worker processes, each bounded in time and memory on every OS (toolkit.intake.pool);
    workers=0 parses here, without those bounds. Validation against other files and the store stay in the caller."""
    if workers == 0:
        for p, r in items:
            yield _parse_one(ctx, p, r, form_id, period, limits)
        return
    from .pool import machine_failure, run_bounded  # looked up when called (a test spies on it)

    intake = ctx.ws.settings["intake"]
    bounds = Bounds(limits.timeout_s, int(intake.get("worker_memory_mb") or 0), default_workers(len(items), workers),
                    intake.get("worker_start") or None)
    jobs = [(str(ctx.ws.root), p, r, form_id, period, limits) for p, r in items]
    # a read that fails is given once more to a fresh worker: only a failure that repeats is the file's
    outcomes = run_bounded(_parse_in_worker, jobs, bounds, _init_worker, (str(ctx.ws.root),), True)  # retry
    for (path, rel), out in zip(items, outcomes):  # the caller stores one while workers read the next
        if out.ok:
            yield out.value[0], out.value[1], _relink(ctx, out.value[2])
        elif machine_failure(out):
            yield "", False, NotJudged(machine_failure(out))
        else:
            yield "", False, Submission(path=path, file_name=rel, issues=[failure_issue(out, bounds, rel)])


@dataclass
class Intake:
    """What every file of one collect is judged against: the session, its store, the round and what the files
    judged so far have taught (lookups of tasks and texts, the file names present in the inbox)."""

    ctx: Context
    store: Store
    period: Period
    form_id: str | None = None
    lookups: dict[str, Lookups] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    hook: Callable | None = None
    register_keys: dict[str, list[str]] = field(default_factory=dict)  # period -> the registers it reports on


@dataclass
class FileJob:
    """One read file to judge and record: where it is, what it holds, and how it was read."""

    path: Path  # the file in the inbox (or the archived copy when the store is rebuilt)
    rel: str  # its name relative to the inbox: what the office sees
    digest: str
    fmt: str
    readable: bool
    sub: Submission
    snap: Path | None = None  # the private copy it was read from
    mtime: float | None = None  # its modification time when it was read
    forget: tuple[int, str] | None = None  # an earlier rejection of the same content to replace


def judge_file(run: Intake, job: FileJob) -> FileResult:
    """Validate one read file against the round, decide its status, archive it and record it in the store."""
    ctx, store, period, form_id, lookups, claimed, hook = (run.ctx, run.store, run.period, run.form_id, run.lookups,
                                                           run.claimed, run.hook)
    path, rel, digest, fmt, readable, sub = job.path, job.rel, job.digest, job.fmt, job.readable, job.sub
    snap, mtime, forget = job.snap, job.mtime, job.forget
    lk = None
    if sub.form is not None and sub.unit is not None and sub.period is not None:
        lk = lookups.get(sub.form.id) or lookups.setdefault(sub.form.id, prepare_lookups(ctx, store, sub.form, period))
        known_folds(sub.folds)  # folded by the worker that read the file
        validate(sub, ctx, lk, part="global")
        mine = store.unit_submissions(sub.unit.code, sub.form.id, sub.period.code)
        first = _earlier_return(mine, path)
        if first is not None:  # timeliness was decided by the first return; a correction is never late
            sub.issues = [i for i in sub.issues if i.code != "late-submission"]
        if not sub.has_errors and not _correction_asked(store, sub, mine):
            # another accepted file of this unit still in the inbox, and nobody asked for a new one: a duplicate
            twins = [s for s in mine if s["status"] == "accepted" and s["file_name"] in claimed]
            when = datetime.fromtimestamp(path.stat().st_mtime if mtime is None else mtime)
            when = when.replace(microsecond=0).isoformat(sep=" ")
            if twins and (twins[-1]["file_mtime"], twins[-1]["file_name"]) < (when, rel):
                sub.add("duplicate-submission", other=twins[-1]["file_name"])  # this later file is used
            # an older copy is said so once, after it is stored ("older-submission": history only)
    _cap(sub, ctx.ws.settings["intake"]["max_issues_per_file"])
    errors, warnings = len(sub.errors), len(sub.warnings)
    status = "rejected" if errors or sub.unit is None or sub.form is None else ("warnings" if warnings else "accepted")
    if sub.unit is None:  # unreadable or unidentified: the file name still tells the office who sent it
        from .validate import _unit_from_name

        guess, _ = _unit_from_name(path, ctx)
        if guess is not None:
            sub.unit = guess
            if sub.form is None and form_id:
                sub.form = ctx.forms.get(form_id)
    if sub.form is None and sub.unit is not None:
        from ..round import usual_forms

        usual = usual_forms(ctx, period)
        sub.form = ctx.forms.get(form_id) if form_id else (usual[0] if usual else None)
    fr = FileResult(file=rel, status=status, unit=sub.unit.code if sub.unit else "",
                    unit_name=sub.unit.name if sub.unit else "", form=sub.form.id if sub.form else "",
                    period=sub.period.code if sub.period else period.code, sha256=digest, errors=errors,
                    warnings=warnings, issues=sub.issues)
    archived = archive(ctx.ws.round_dir(period, "archive"), snap or path, digest, private=snap not in (None, path))
    if hook:
        hook("archived", rel)
    fr.readable, fr.format, fr.path = readable, fmt, archived if snap else path
    late = next((i for i in sub.issues if i.code == "late-submission"), None)
    fr.late_days = int(late.params["days"]) if late else 0
    first = _earlier_return(store.unit_submissions(fr.unit, fr.form, fr.period), path) \
        if fr.unit and fr.form and status != "rejected" else None
    if first is not None:
        fr.late_days = first["late_days"] or 0
    fr.counted = counted_text(first) if first is not None else (
        f"{date.fromtimestamp(path.stat().st_mtime):%d/%m/%Y} (tệp này)" if fr.unit and fr.form else "")
    record = {
        "sha256": digest, "file_name": rel, "rel_path": rel, "archived_path": str(archived), "format": fmt,
        "unit_code": fr.unit or None, "form_id": fr.form or None, "form_version": sub.form_version,
        "period": fr.period, "received_at": datetime.now().replace(microsecond=0).isoformat(sep=" "),
        "file_mtime": datetime.fromtimestamp(path.stat().st_mtime if mtime is None else mtime)
        .replace(microsecond=0).isoformat(sep=" "),
        "status": "rejected" if status == "rejected" else "accepted", "errors": errors, "warnings": warnings,
        "late_days": fr.late_days, "identified_by": sub.identified_by,
        "collected_as": json.dumps(_context(ctx, period, form_id)),
    }
    rows = _rows_for_store(sub) if record["status"] == "accepted" else []
    register = _register_payload(sub, ctx, run.register_keys) if record["status"] == "accepted" else None
    if register and "tasks" in register:
        run.register_keys.clear()  # a registration may open a register (a term's): asked again when needed
    write_sidecar(archived, record, period)  # the archive, not the store, is the source of truth
    recorded = store.record(record, rows, [i.to_dict() for i in sub.issues], register,
                            hook=(lambda stage: hook(stage, rel)) if hook else None, forget=forget)
    sid, previous = recorded.id, recorded.previous
    if sid is None:
        fr.status = "duplicate"
        fr.issues = [make_issue("file-already-collected", file=rel)]
        return fr
    earlier = [s for s in store.unit_submissions(fr.unit, fr.form, fr.period) if s["id"] < sid] \
        if fr.unit and fr.form else []
    if recorded.newer:
        fr.issues.append(make_issue("older-submission", file=rel, unit=fr.unit, other=recorded.newer["file_name"]))
    elif previous or (earlier and record["status"] == "accepted"):
        other = previous or earlier[-1]
        fr.replaced = other["file_name"]
        fr.issues.append(make_issue("resubmission", file=rel, unit=fr.unit, other=other["file_name"]))
    if lk is not None and record["status"] == "accepted":
        _index(lk, sub)
    return fr


@dataclass
class FeedbackJob:
    """What the feedback writer needs (also rebuilt from the store when a crash interrupted a collect)."""

    source: Path
    file_name: str
    format: str
    unit_name: str
    issues: list[Issue]
    output_name: str = ""  # the feedback copy's file name, distinct within the round (toolkit.paths)
    template: str = ""  # a file of another period: the right period's template the copy is made from
    limits: Limits | None = None  # the intake's (settings): an .xls/.ods is read again as collect read it

    @property
    def unit(self):
        return type("Unit", (), {"name": self.unit_name})() if self.unit_name else None


def _feedback_job(job_and_folder) -> str:
    """The feedback copy's path, or "!" and the reason it could not be written (never an exception: one unit's
    odd workbook must not cost the other units their feedback)."""
    job, folder = job_and_folder
    try:
        return str(write_feedback(job, job.source, folder))
    except Exception as exc:
        return "!" + _brief(exc)


def write_all_feedback(ctx: Context, store: Store, period: Period, result: CollectResult, workers, hook=None) -> None:
    """Annotated copies for every file of this collect that has errors or warnings, in parallel when many.
    A file stored by an interrupted collect (seen again as a duplicate) gets its copy from the stored issues."""
    folder = ctx.ws.round_dir(period, "feedback")
    jobs: list[tuple[FileResult, FeedbackJob]] = []
    for fr in result.files:
        if fr.status in ("rejected", "warnings") and fr.readable and fr.path is not None and fr.unit:
            right = _right_template(ctx, period, fr)
            if right is not None:  # the other period's workbook corrected would be refused again: send this one
                jobs.append((fr, FeedbackJob(right, fr.file, "xlsx", fr.unit_name, fr.issues, template=right.name)))
                continue
            jobs.append((fr, FeedbackJob(fr.path, fr.file, fr.format, fr.unit_name, fr.issues)))
        elif fr.status in ("duplicate", "duplicate_rejected") and fr.path is not None:
            sub = store.submission_by_sha(fr.sha256)
            if not sub or not (sub["errors"] or sub["warnings"]) or sub["format"] in ("", None) or \
                    sub["period"] != fr.period or not sub["unit_code"]:  # (another round's file: its copy was
                continue  # that round's; a file of no known unit: no copy to send anybody, as when it was judged)
            issues = store.issues_of(sub["id"])
            job = FeedbackJob(fr.path, sub["file_name"], sub["format"], ctx.registry.units[sub["unit_code"]].name
                              if sub["unit_code"] in ctx.registry.units else "", issues)
            if not feedback_path(folder, job).exists():
                jobs.append((fr, job))
    names = distinct_names([feedback_path(folder, job).name for _, job in jobs], os.listdir(folder))
    limits = ctx.ws.read_limits
    for (_, job), name in zip(jobs, names):  # BTC.xlsx and btc.xlsx: two copies, also on Windows
        job.output_name, job.limits = name, limits
    if hook:
        hook("feedback", "")
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    args = [(job, folder) for _, job in jobs]
    if workers < 2 or len(jobs) < 8:
        paths = [_feedback_job(a) for a in args]
    else:
        try:
            with process_pool(workers) as pool:
                paths = list(pool.map(_feedback_job, args, chunksize=4))
        except BrokenProcessPool:  # a worker killed from outside (the OOM killer): the copies written here instead
            paths = [_feedback_job(a) for a in args]
    for (fr, _), p in zip(jobs, paths):
        if p.startswith("!"):
            fr.issues.append(make_issue("feedback-failed", file=fr.file, unit=fr.unit, detail=p[1:]))
            fr.warnings += 1
        else:
            fr.feedback = p


def _earlier_return(submissions: list[dict], path: Path) -> dict | None:
    """The unit's first return of the form and period (accepted or sent back for correction), when it came
    before this file: that return decided the unit's timeliness (status.first_return)."""
    first = first_return(submissions)
    mtime = datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0).isoformat(sep=" ")
    return first if first is not None and (first.get("file_mtime") or "") <= mtime else None


def _correction_asked(store: Store, sub: Submission, submissions: list[dict]) -> bool:
    """Whether the office asked the unit for a new version: its earlier return was sent back or annotated (errors
    or warnings, with a feedback copy), or a task of its registration was sent back at confirmation."""
    if any(s["status"] == "rejected" or s["errors"] or s["warnings"] for s in submissions):
        return True
    if sub.form.role in ("registration", "breakthrough"):
        return any(t.get("confirmation") in ("revise", "refused")
                   for t in store.register(sub.period.register_key, unit=sub.unit.code, active_only=False))
    return False


def _right_template(ctx: Context, period: Period, fr: FileResult) -> Path | None:
    """For a file refused only because it belongs to another period (or its form is not this period's), the
    template the office sent this unit for this round, from the outbox; None otherwise."""
    codes = {i.code for i in fr.issues if i.severity is Severity.ERROR}
    if not codes & set(WRONG_PERIOD) or not codes <= CONTEXT_ERRORS | set(WRONG_PERIOD):
        return None
    outbox = ctx.ws.round_dir(period, "outbox")
    found = sorted(p for p in outbox.glob("*.xlsx") if p.name.startswith(f"{fr.unit}_")
                   and p.stem.endswith(f"_{period.code}") and p.stem[len(fr.unit) + 1:].count("_") >= 1) \
        if outbox.is_dir() else []
    form = ctx.forms.get(fr.form) if fr.form else None
    same = [p for p in found if form is not None and f"_{form.slug or form.id}_" in p.name]
    pick = same or found
    return pick[0] if len(pick) == 1 else None


def _timeliness(ctx: Context, sub: Submission, path: Path, period: Period) -> None:
    deadline = ctx.ws.deadline(sub.period or period)
    received = date.fromtimestamp(path.stat().st_mtime)
    if received > deadline:
        sub.add("late-submission", days=(received - deadline).days, deadline=deadline.strftime("%d/%m/%Y"))


def _cap(sub: Submission, limit: int) -> None:
    if limit and len(sub.issues) > limit:
        sub.issues = sub.issues[:limit]
        sub.add("issues-capped", limit=limit)


def archive(folder: Path, path: Path, digest: str, private: bool = False) -> Path:
    """The file kept under its hash, read-only, dated when it was archived (an empty store younger than every
    archived file is one whose first writes failed, see store.core.refuse_lost_store; a file without a sidecar is
    replayed at that time by a rebuild). A ``private`` copy (collect's own, on the archive's disk) is renamed
    into place, which is atomic and copies nothing; where that fails (a file still open on Windows) it is copied
    like any other."""
    target = folder / digest[:2] / f"{digest}{path.suffix.lower()}"
    if not target.exists():
        moved = private and _rename(path, target)
        if moved:
            os.utime(target)  # the copy carried the unit's own time: now, as a copy made now has
        else:
            with atomic_path(target) as tmp:
                shutil.copyfile(path, tmp)
        os.chmod(target, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
    return target


def _rename(path: Path, target: Path) -> bool:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    except OSError:
        return False
    return True


SIDECAR_FIELDS = ("sha256", "file_name", "format", "unit_code", "form_id", "form_version", "period", "received_at",
                  "file_mtime", "status", "errors", "warnings", "late_days", "identified_by", "collected_as")


def sidecar_path(archived: Path) -> Path:
    return archived.with_name(archived.stem + ".json")


def write_sidecar(archived: Path, record: dict, period: Period) -> Path:
    """What the store knows of an archived file (name as received, unit, form, period, received time, verdict),
    beside it: the store can be rebuilt from the archive alone (toolkit.rebuild). Written before the store's
    transaction, so no verdict is ever in the store without it."""
    data = {k: record.get(k) for k in SIDECAR_FIELDS}
    data.update(round=period.code, archived=archived.name, seq=time.time_ns())
    path = sidecar_path(archived)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _rows_for_store(sub: Submission) -> list[dict]:
    out = []
    for sheet_id, ps in sub.sheets.items():
        key = ps.spec.key[0] if ps.spec.key else None
        for row in ps.rows:
            values = dict(row.values)
            if row.original:  # the text as typed, kept beside every value the toolkit converted
                values["_original"] = dict(row.original)
            out.append({"sheet_id": sheet_id, "sheet": ps.name, "excel_row": row.excel_row,
                        "task_code": row.values.get("task_code") or (str(row.values.get(key)) if key else None),
                        "values": values})
    return out


def _register_payload(sub: Submission, ctx: Context, known: dict | None = None) -> dict | None:
    """What the store records in the register for an accepted file. ``known`` keeps, within one collect, the
    registers each progress period reports on: asking the calendar costs two scans of the whole register (its
    version and its keys), which made every file of a large round slower than the one before."""
    if sub.form.role == "progress" and "adjust" in sub.sheets:
        from ..register.requests import requests_of
        from ..round import Round

        if known is None or sub.period.code not in known:
            keys = Round(ctx, sub.period, (sub.form,)).register_keys
            if known is not None:
                known[sub.period.code] = keys
        keys = list(known[sub.period.code]) if known is not None else keys
        return {"key": sub.period.register_key, "keys": keys,
                "requests": requests_of([r.values for r in sub.sheets["adjust"].rows])}
    if sub.form.role not in ("registration", "breakthrough"):
        return None
    tasks_sheet = sub.sheets.get("tasks")
    if tasks_sheet is None:
        return None
    tasks = []
    for row in tasks_sheet.rows:
        v = dict(row.values)
        if not v.get("task_code"):
            continue
        if sub.form.role == "breakthrough":
            v["kind"] = "Đột phá"
        tasks.append(v)
    payload = {"key": sub.period.register_key, "tasks": tasks}
    if "items" in sub.sheets:
        payload["items"] = [r.values for r in sub.sheets["items"].rows if r.values.get("item_code")]
    return payload


def prepare_lookups(ctx: Context, store: Store, form: Form, period: Period) -> Lookups:
    q = ctx.ws.settings["quality"]
    lk = Lookups(unit_names={u.code: u.name for u in ctx.registry.units.values()},
                 titles=TextGroups(q["similar_title_threshold"]), reports=TextGroups(q["copied_report_threshold"]))
    key = period.register_key
    if form.role == "progress":  # of each task, the fields the checks read, a unit at a time
        from ..register.frame import task_index

        keys = Round(ctx, period, (form,)).register_keys

        def tasks_of(unit: str) -> dict[str, dict]:
            return {code: dict(zip(CHECKED_TASK_FIELDS, t))
                    for (_, code), t in task_index(store, keys, unit=unit, fields=CHECKED_TASK_FIELDS).items()}

        lk.register = TasksByUnit(tasks_of)
    lk.register_codes = {code for code, in store.iter_register(key, ("task_code",))}
    for sheet, rule in form.rules("similar-across-units"):
        if rule.get("parent"):
            for unit, code, parent in store.iter_register(key, ("unit_code", "task_code", "parent_code")):
                lk.add_parent(unit, fold(code or ""), fold(parent or ""))
    for sheet, rule in form.rules("progress-trend"):
        earlier = []
        for p in store.periods_with_returns(form.id):
            try:
                pp = parse_period(p)
            except Exception:
                continue
            if pp.code != period.code and pp.start.year == period.start.year and pp.end < period.end:
                earlier.append(pp)
        today = todays_word(form, status_meaning(form, ctx), rule["status"]) \
            if earlier else None  # a word renamed since: today's word of its meaning
        for pp in sorted(earlier, key=lambda x: x.end):
            for r in store.rows(form.id, pp.code, sheet.id):
                lk.last_values[(r["_unit"], str(r.get("task_code") or ""))] = (
                    pp.label, today(r.get(rule["status"])), r.get(rule["percent"]), r.get(rule.get("actual", "")))
    # this round's texts: every accepted file so far (as the in-run index holds them), so that a collect
    # resumed after a crash sees exactly what an uninterrupted one saw
    for sheet, rule in form.rules("similar-across-units"):
        for p, unit, code, text in store.texts_for_copy_check(form.id, rule["column"], period.code, active_only=False):
            lk.titles.add(unit, code, text)
    for sheet, rule in form.rules("copied-text"):
        latest: dict[tuple[str, str], tuple[Period, str]] = {}
        key = rule["key"] if rule["key"] != "task_code" else None
        for p, unit, code, text in store.texts_for_copy_check(form.id, rule["column"], period.code, active_only=False,
                                                              key=key):
            lk.reports.add(unit, str(code or ""), text)
        for p, unit, code, text in store.texts_for_copy_check(form.id, rule["column"], key=key):
            try:
                pp = parse_period(p)
            except Exception:
                continue
            k = (unit, fold(str(code or "")))
            if p != period.code and pp.end < period.end and (k not in latest or latest[k][0].end < pp.end):
                latest[k] = (pp, text)
        lk.previous = {k: (v[0].code, v[1]) for k, v in latest.items()}
    return lk


def _index(lk: Lookups, sub: Submission) -> None:
    for sheet, rule in sub.form.rules("similar-across-units"):
        ps = sub.sheets.get(sheet.id)
        for row in ps.rows if ps else []:
            if row.values.get(rule["column"]):
                lk.titles.add(sub.unit.code, str(row.values.get("task_code") or ""), row.values[rule["column"]])
            if rule.get("parent"):
                lk.add_parent(sub.unit.code, fold(row.values.get("task_code") or ""),
                              fold(row.values.get(rule["parent"]) or ""))
    for sheet, rule in sub.form.rules("copied-text"):
        ps = sub.sheets.get(sheet.id)
        for row in ps.rows if ps else []:
            if row.values.get(rule["column"]):
                lk.reports.add(sub.unit.code, str(row.values.get(rule["key"]) or ""), row.values[rule["column"]])


def write_issues_workbook(ctx: Context, period: Period, result: CollectResult) -> Path:
    """The office's table of every file and every issue of this collect (filterable)."""
    path = ctx.ws.round_dir(period, "output") / f"ket_qua_tiep_nhan_{period.code}.xlsx"
    with atomic_path(path) as tmp:
        wb = Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                              "font_name": "Times New Roman"})
        body = wb.add_format({"font_name": "Times New Roman", "text_wrap": True, "valign": "top"})
        red = wb.add_format({"font_name": "Times New Roman", "font_color": "#C00000", "bold": True})
        files_ws = wb.add_worksheet("Tệp")
        cols = ["Tệp", "Mã đơn vị", "Đơn vị", "Biểu mẫu", "Kỳ", "Kết quả", "Số lỗi", "Số cảnh báo",
                "Nộp muộn (ngày)", "Ngày nộp được tính", "Thay thế bản", "Tệp phản hồi"]
        names = {form.id: form.name for form in ctx.forms.values()}  # "đăng ký nhiệm vụ", not "registration"
        rows = [[f.file, f.unit, f.unit_name, names.get(f.form, f.form), f.period, f.status_label, f.errors,
                 f.warnings,
                 f.late_days, f.counted, f.replaced, os.path.basename(f.feedback)] for f in result.files]
        _table(files_ws, cols, rows, head, body, [30, 10, 32, 13, 9, 22, 8, 10, 10, 26, 24, 30])
        for r, f in enumerate(result.files, start=1):
            if f.status == "rejected":
                files_ws.write_string(r, 5, STATUS_LABELS[f.status], red)
        issues_ws = wb.add_worksheet("Lỗi")
        cols = ["Tệp", "Mã đơn vị", "Mức độ", "Loại lỗi", "Trang", "Ô", "Dòng", "Nội dung", "Cách sửa"]
        rows = [[i.file, i.unit or f.unit, i.severity.label, issue_label(i.code), i.sheet, i.cell, i.row or "", i.message, i.hint]
                for f in result.files for i in f.issues]
        _table(issues_ws, cols, rows, head, body, [28, 10, 10, 22, 14, 7, 7, 60, 50])
        wb.close()
    return path


def _table(ws, cols, rows, head, body, widths) -> None:
    for c, w in enumerate(widths):
        ws.set_column(c, c, w, body)
    for c, title in enumerate(cols):
        ws.write_string(0, c, title, head)
    fit_row(ws, 0, list(zip(cols, widths)), points=12, least=20)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, xml_safe("" if v is None else str(v)))
        fit_row(ws, r, [(v, w) for v, w in zip(row, widths) if isinstance(v, str)], points=11)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)
    print_setup(ws, widths, 0)

