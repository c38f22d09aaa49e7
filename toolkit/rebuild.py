"""The store checked against the archive, rebuilt from it, and moved to another engine.

The archive of each round (``rounds/<kỳ>/archive/``) is the source of truth: every received file, named by its
SHA-256, with a sidecar ``<sha256>.json`` of what the store knows of it (name as received, unit, form, period,
received time, verdict), and ``y_kien.jsonl``, the office's decisions on the register (confirmations, adjustment
decisions) in the order they were taken. The store (SQLite) is derived from them:

- :func:`check_store` — SQLite's integrity check, then the store against the archive (files the store lacks, files
  it has without an archived copy, verdicts that differ, decisions not in the store);
- :func:`rebuild_store` — a new store from the archive: every round re-derived in the order the files were received,
  each file judged again as collect judges it (in bounded workers), the decisions applied between them in the
  order they were taken; the old store kept aside under another name.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .context import load_context
from .errors import ToolkitError, WorkspaceError
from .machine import StoreError, describe_db_error, is_db_error
from .periods import parse_period
from .store import GUARD, JOURNAL, Store, integrity, is_server, open_store, probe, read_submissions, store_target
from .store.engine import check_url, shown
from .store.lock import round_lock
from .store.transfer import copy_store, empty_store, keep_aside
from .workspace.config import Workspace, atomic_path, workspace_lock

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".xltx", ".xltm"}


@dataclass
class ArchivedFile:
    round: str
    path: Path  # the archived bytes
    sha256: str
    sidecar: dict  # {} for a file archived before sidecars existed

    @property
    def seq(self) -> int:
        return int(self.sidecar.get("seq") or self.path.stat().st_mtime_ns)

    @property
    def file_name(self) -> str:
        return self.sidecar.get("file_name") or self.path.name


@dataclass
class Decision:
    round: str
    event: dict

    @property
    def seq(self) -> int:
        return int(self.event.get("seq") or 0)


def archive_events(root: Path) -> tuple[list[ArchivedFile], list[Decision], list[str]]:
    """Every archived file and every decision of a workspace, and the lines that could not be read."""
    files, decisions, problems = [], [], []
    for archive in sorted((Path(root) / "rounds").glob("*/archive")):
        code = archive.parent.name
        for sub in sorted(archive.glob("??")):
            for path in sorted(sub.iterdir()):
                if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
                    continue
                side, meta = path.with_name(path.stem + ".json"), {}
                if side.exists():
                    try:
                        meta = json.loads(side.read_text(encoding="utf-8"))
                    except (ValueError, OSError):
                        problems.append(f"{side}: tệp kèm theo không đọc được; tệp được đọc lại theo tên lưu trữ")
                files.append(ArchivedFile(code, path, path.stem, meta))
        journal = archive / JOURNAL
        if journal.exists():
            for n, line in enumerate(journal.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    decisions.append(Decision(code, json.loads(line)))
                except ValueError:  # a line cut short by a crash while it was written
                    problems.append(f"{journal}, dòng {n}: không đọc được, bỏ qua")
    return files, decisions, problems


# --- check ---------------------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    store: str
    integrity: list[str] = field(default_factory=list)  # SQLite's findings ("ok" when sound)
    missing_in_store: list[str] = field(default_factory=list)
    missing_in_archive: list[str] = field(default_factory=list)
    verdicts_differ: list[str] = field(default_factory=list)
    decisions_missing: list[str] = field(default_factory=list)
    without_sidecar: int = 0
    files: int = 0
    decisions: int = 0

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not (self.missing_in_store or self.missing_in_archive
                                                 or self.verdicts_differ or self.decisions_missing)

    def lines(self) -> list[str]:
        out = [f"Kho dữ liệu: {self.store}"]
        engine = "PostgreSQL" if is_server(self.store) else "SQLite"
        if self.integrity == ["ok"]:
            out.append(f"Kiểm tra toàn vẹn {engine}: tốt.")
        else:
            out.append(f"Kiểm tra toàn vẹn {engine}: KHO BỊ HỎNG — " + "; ".join(self.integrity[:5]))
        out.append(f"Thư mục lưu trữ: {self.files} tệp đã nhận, {self.decisions} ý kiến của Văn phòng"
                   + (f", {self.without_sidecar} tệp lưu trữ từ phiên bản cũ (không có tệp kèm theo)"
                      if self.without_sidecar else "") + ".")
        for title, items in (("Có trong lưu trữ nhưng thiếu trong kho", self.missing_in_store),
                             ("Có trong kho nhưng thiếu trong lưu trữ", self.missing_in_archive),
                             ("Kết quả xét khác nhau giữa kho và lưu trữ", self.verdicts_differ),
                             ("Ý kiến của Văn phòng chưa có trong kho", self.decisions_missing)):
            if items:
                out.append(f"{title}: {len(items)}")
                out.extend(f"  - {i}" for i in items[:20])
                if len(items) > 20:
                    out.append(f"  … và {len(items) - 20} mục khác")
        if self.ok:
            out.append("Kho khớp với thư mục lưu trữ.")
        elif self.missing_in_archive and self.integrity == ["ok"]:  # not this folder's to rebuild alone
            out.append(f"Kho có {len(self.missing_in_archive)} tệp đã nhận không có trong thư mục lưu trữ này: kho có "
                       f"thể đang dùng chung với một thư mục làm việc khác. Không dựng lại kho từ thư mục này (các tệp "
                       f"đó sẽ mất khỏi kho); mọi người cùng làm mở chung một thư mục làm việc.")
        else:
            out.append("Kho không khớp với thư mục lưu trữ: dựng lại bằng 'toolkit store rebuild <thư mục>' "
                       "(kho cũ được giữ lại bên cạnh).")
        return out

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items()}, "ok": self.ok}


def check_store(root: str | os.PathLike) -> CheckResult:
    ws = Workspace.open(root)
    target = store_target(ws)
    result = CheckResult(store=str(target))
    files, decisions, problems = archive_events(ws.root)
    result.files, result.decisions = len(files), len(decisions)
    result.without_sidecar = sum(1 for f in files if not f.sidecar)
    result.missing_in_store.extend(problems)
    if not is_server(target) and (not ws.db_path.exists() or ws.db_path.stat().st_size == 0):
        result.integrity = ["kho dữ liệu không có (đã bị xoá) hoặc rỗng"]
        result.missing_in_store.extend(f"{f.round}: {f.file_name}" for f in files)
        return result
    try:
        result.integrity = integrity(target)
        if result.integrity != ["ok"]:
            return result
        with open_store(target, guard=False, root=ws.root) as store:
            _compare(store, files, decisions, result)
    except StoreError as exc:
        result.integrity = [str(exc)]
    except Exception as exc:

        if not is_db_error(exc):
            raise
        result.integrity = [describe_db_error(exc, str(target))]
    return result


def _compare(store: Store, files: list[ArchivedFile], decisions: list[Decision], result: CheckResult) -> None:
    stored = store.seen_submissions()
    archived = {f.sha256: f for f in files}
    for f in files:
        s = stored.get(f.sha256)
        if s is None:
            result.missing_in_store.append(f"{f.round}: {f.file_name} ({f.sha256[:12]})")
        elif f.sidecar and (f.sidecar.get("status"), f.sidecar.get("unit_code")) != (s["status"], s["unit_code"]):
            result.verdicts_differ.append(f"{f.file_name}: lưu trữ ghi {f.sidecar.get('status')} "
                                          f"({f.sidecar.get('unit_code') or '?'}), kho ghi {s['status']} "
                                          f"({s['unit_code'] or '?'})")
    for sha, s in stored.items():
        if sha not in archived:
            result.missing_in_archive.append(f"{s['period']}: {s['file_name']} ({sha[:12]})")
    latest: dict[tuple, dict] = {}
    for d in sorted(decisions, key=lambda d: d.seq):
        e = d.event
        if e.get("kind") == "confirm":
            latest[("confirm", e["key"], e["unit"], e["task"])] = e
        elif e.get("kind") == "adjust":
            latest[("adjust", e["key"], e["unit"], e["task"], e.get("change"), e.get("field"),
                    e.get("new_value"))] = e
    for k, e in latest.items():
        if k[0] == "confirm":
            if store.task(*k[1:]) is None or store.confirmation_of(*k[1:]) != e.get("state"):
                result.decisions_missing.append(f"xác nhận {e['unit']} {e['task']} ({e['key']}): {e.get('state')}")
        else:
            if not store.decision_recorded(*k[1:5], k[5], k[6], e.get("decision")):
                result.decisions_missing.append(f"điều chỉnh {e['unit']} {e['task']} ({e['key']}): "
                                                f"{e.get('decision')}")


# --- rebuild -------------------------------------------------------------------------------------------------

@dataclass
class RebuildResult:
    store: str
    kept_aside: str = ""
    files: int = 0
    accepted: int = 0
    rejected: int = 0
    decisions: int = 0
    rounds: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files judged otherwise than when they were received
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Đã dựng lại kho dữ liệu {self.store} từ thư mục lưu trữ: {self.files} tệp của các kỳ "
               f"{', '.join(self.rounds) or '(không có)'} ({self.accepted} tiếp nhận, {self.rejected} không tiếp nhận), "
               f"{self.decisions} ý kiến của Văn phòng (xác nhận, điều chỉnh)."]
        if self.kept_aside:
            out.append(f"Kho cũ được giữ lại: {self.kept_aside}")
        if self.changed:
            out.append(f"{len(self.changed)} tệp có kết quả khác lần tiếp nhận đầu (do danh sách đơn vị, biểu mẫu "
                       f"hoặc quy tắc đã đổi):")
            out.extend(f"  - {c}" for c in self.changed[:20])
        out.extend(f"Lưu ý: {p}" for p in self.problems)
        out.append("Chạy lại 'toolkit merge', 'toolkit score', 'toolkit report' của các kỳ để có lại bảng tổng hợp, "
                   "kết quả xếp loại và văn bản.")
        return out

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def rebuild_store(root: str | os.PathLike, progress: Callable[[int, int, str], None] | None = None,
                  workers: int | None = None, force: bool = False) -> RebuildResult:
    """A new store from the archive; the old one (damaged, emptied or sound) is kept aside. A sound store holding
    returns this archive lacks (another workspace's, on a shared server) is not rebuilt without ``force``."""

    ws = Workspace.open(root)
    ctx = load_context(ws)
    files, decisions, problems = archive_events(ws.root)
    if not files and not decisions:
        raise WorkspaceError(f"Thư mục lưu trữ của {ws.root} không có tệp nào đã nhận: không có gì để dựng lại kho.")
    target = store_target(ws)
    found = None if force else check_store(ws.root)
    others = found.missing_in_archive if found is not None and found.integrity == ["ok"] else []
    if others:  # a sound store holding returns this archive lacks (a damaged or empty one is what a rebuild is for)
        raise WorkspaceError(
            f"Kho {shown(target) if is_server(target) else target} có {len(others)} tệp đã nhận không có trong thư mục "
            f"lưu trữ của {ws.root} (ví dụ {'; '.join(others[:3])}): dựng lại từ thư mục này sẽ bỏ mất chúng khỏi kho. "
            f"Có thể kho đang dùng chung với một thư mục làm việc khác: dựng lại từ thư mục làm việc giữ các tệp đó. "
            f"Nếu chắc chắn không cần các tệp này nữa, chạy lại với --force.")
    with workspace_lock(ws.root):
        aside = _set_aside_server(target, ws) if is_server(target) else _set_aside(ws.db_path)
        _fill_from(aside, files)
        result = RebuildResult(store=str(target), kept_aside=str(aside or ""), problems=problems)
        GUARD["on"] = False
        try:
            _replay(ctx, files, decisions, result, progress, workers)
        except BaseException:
            if is_server(target):
                _restore_server(target, ws, aside)
            else:
                _discard(ws.db_path)
                if aside is not None:
                    _move_db(aside, ws.db_path)
            result.kept_aside = ""
            raise
        finally:
            GUARD["on"] = True
    return result


def _fill_from(old: Path | None, files: list[ArchivedFile]) -> None:
    """Files archived before sidecars existed: what the old store still knows of them (name as received, times,
    the form asked), when it can be read."""
    legacy = {f.sha256: f for f in files if not f.sidecar}
    if not legacy or old is None:
        return
    try:
        for r in read_submissions(old):
            f = legacy.get(r["sha256"])
            if f is not None:
                f.sidecar = {k: r[k] for k in r if k in ("file_name", "file_mtime", "received_at", "status",
                                                         "unit_code", "form_id", "period", "collected_as")}
                f.sidecar["seq"] = f.path.stat().st_mtime_ns
    except Exception:  # too damaged to say: the files are read under their archived names
        return


def _set_aside(db: Path) -> Path | None:
    if not db.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    target, n = db.with_name(f"{db.stem}.truoc_khi_dung_lai_{stamp}{db.suffix}"), 1
    while target.exists():  # an older store kept aside is never overwritten
        n += 1
        target = db.with_name(f"{db.stem}.truoc_khi_dung_lai_{stamp}_{n}{db.suffix}")
    _move_db(db, target)
    return target


def _set_aside_server(url: str, ws) -> Path:
    """A PostgreSQL store is kept aside as a SQLite copy in the workspace, then emptied for the rebuild."""

    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    copy = ws.db_path.with_name(f"{ws.db_path.stem}.truoc_khi_dung_lai_{stamp}{ws.db_path.suffix}")
    with open_store(url, guard=False, root=ws.root) as server, open_store(copy, guard=False, root=ws.root) as kept:
        copy_store(server, kept)
        empty_store(server)
    return copy


def _restore_server(url: str, ws, aside: Path) -> None:
    with open_store(url, guard=False, root=ws.root) as server, open_store(aside, guard=False, root=ws.root) as kept:
        empty_store(server)
        copy_store(kept, server)


def _move_db(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        s = Path(str(src) + suffix)
        if s.exists():
            os.replace(s, Path(str(dst) + suffix))


def _discard(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def _replay(ctx, files: list[ArchivedFile], decisions: list[Decision], result: RebuildResult, progress,
            workers) -> None:
    events: list[tuple[int, object]] = [(f.seq, f) for f in files] + [(d.seq, d) for d in decisions]
    events.sort(key=lambda e: e[0])
    store = ctx.store  # a new store (the guard is off while the rebuild writes it)
    try:
        batch: list[ArchivedFile] = []
        done = 0
        for _, ev in events:
            if isinstance(ev, ArchivedFile):
                if batch and (batch[-1].round, _asked(batch[-1])) != (ev.round, _asked(ev)):
                    done = _judge(ctx, store, batch, result, progress, done, len(files), workers)
                    batch = []
                batch.append(ev)
                continue
            if batch:
                done = _judge(ctx, store, batch, result, progress, done, len(files), workers)
                batch = []
            _apply(store, ev, result)
        if batch:
            _judge(ctx, store, batch, result, progress, done, len(files), workers)
        store.log("rebuild", f"dựng lại từ thư mục lưu trữ: {result.files} tệp, {result.decisions} ý kiến")
    finally:
        ctx.close()
    result.rounds = sorted({f.round for f in files})


def _asked(f: ArchivedFile) -> str:
    try:
        return json.loads(f.sidecar.get("collected_as") or "{}").get("form") or ""
    except ValueError:
        return ""


def _judge(ctx, store: Store, batch: list[ArchivedFile], result: RebuildResult, progress, done: int, total: int,
           workers) -> int:
    """Judge a run of files of one round (as one collect of that round would), in the order they were received."""
    from .intake.collect import FileJob, Intake, NotJudged, drop_snapshot, judge_file, parse_all

    code, form_id = batch[0].round, _asked(batch[0]) or None
    try:
        period = parse_period(code)
    except ToolkitError:
        result.problems.append(f"thư mục rounds/{code} không phải một kỳ báo cáo: {len(batch)} tệp lưu trữ của nó "
                               f"không được đọc lại")
        return done + len(batch)
    if form_id and form_id not in ctx.forms:
        form_id = None
    staging = ctx.ws.round_dir(period, "archive") / ".dung_lai"
    shutil.rmtree(staging, ignore_errors=True)
    store.snapshot_registry(period.code, ctx.registry)
    for form in ctx.forms.values():
        store.save_form(form.id, form.version, form.definition)
    inbox = ctx.ws.round_dir(period, "inbox")
    claimed = {str(p.relative_to(inbox)) for p in inbox.rglob("*") if p.is_file()}
    todo = []
    try:
        for f in batch:
            snap = _staged(f, staging)
            todo.append((f, snap))
        limits = ctx.ws.read_limits
        parsed = parse_all(ctx, [(snap, f.file_name) for f, snap in todo], form_id, period, limits, workers)
        run = Intake(ctx, store, period, form_id, claimed=claimed)  # one per round, as one collect of it
        for (f, snap), (fmt, readable, sub) in zip(todo, parsed):
            done += 1
            if progress:
                progress(done, total, f.file_name)
            if isinstance(sub, NotJudged):
                result.problems.append(f"{f.file_name}: chưa xét được ({sub.reason}); chạy lại lệnh dựng lại kho")
                continue
            fr = judge_file(run, FileJob(snap, f.file_name, f.sha256, fmt, readable, sub, snap=snap,
                                         mtime=snap.stat().st_mtime))
            _keep_time(store, f)
            result.files += 1
            result.accepted += fr.status in ("accepted", "warnings")
            result.rejected += fr.status == "rejected"
            was = f.sidecar.get("status")
            now = "rejected" if fr.status == "rejected" else "accepted" if fr.status in ("accepted", "warnings") \
                else fr.status
            if was and was != now:
                result.changed.append(f"{f.file_name}: lần đầu {was}, nay {now}")
            drop_snapshot(snap)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return done


def _staged(f: ArchivedFile, staging: Path) -> Path:
    """The archived bytes under the name they were received with and their own modification time."""
    from .intake.collect import sha256_file

    name = Path(f.file_name).name or f.path.name
    suffix = f.path.suffix
    if Path(name).suffix.lower() != suffix.lower():
        name = Path(name).stem + suffix
    folder = staging / f.sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / name
    shutil.copyfile(f.path, copy)
    mtime = f.sidecar.get("file_mtime")
    if mtime:
        ts = datetime.fromisoformat(mtime).timestamp()
        os.utime(copy, (ts, ts))
    if sha256_file(copy) != f.sha256:
        raise StoreError(f"Tệp lưu trữ {f.path} không còn đúng nội dung đã nhận (SHA-256 khác tên tệp): thư mục lưu "
                         f"trữ bị sửa. Khôi phục tệp từ bản sao lưu rồi chạy lại.")
    return copy


def _keep_time(store: Store, f: ArchivedFile) -> None:
    """The rebuilt submission keeps when it was received, and its sidecar keeps its place in the order."""
    from .intake.collect import sidecar_path

    if f.sidecar.get("received_at"):
        store.set_received_at(f.sha256, f.sidecar["received_at"])
    side = sidecar_path(f.path)
    if f.sidecar and side.exists():
        try:
            now = json.loads(side.read_text(encoding="utf-8"))
        except ValueError:
            now = {}
        now.update(seq=f.sidecar.get("seq"), received_at=f.sidecar.get("received_at"))

        with atomic_path(side) as tmp:
            tmp.write_text(json.dumps(now, ensure_ascii=False, indent=1), encoding="utf-8")


def _apply(store: Store, d: Decision, result: RebuildResult) -> None:
    e = d.event
    if e.get("kind") == "confirm":
        if store.set_confirmation(e["key"], e["unit"], e["task"], e.get("state"), e.get("note")):
            result.decisions += 1
        return
    if e.get("kind") == "adjust":
        for a in store.adjustments(e["key"], pending_only=True):
            if (a["unit_code"], a["task_code"], a["change"], a["field"] or None, a["new_value"]) == \
                    (e["unit"], e["task"], e.get("change"), e.get("field") or None, e.get("new_value")):
                if store.decide_adjustment(a["id"], e["decision"], e.get("ref"), e.get("note")):
                    result.decisions += 1
                return
        result.problems.append(f"ý kiến điều chỉnh {e['unit']} {e['task']} ({e.get('change')}) không còn đề nghị "
                               f"tương ứng trong kho dựng lại; bỏ qua")


def store_health(root: str | os.PathLike) -> None:
    """Raise StoreError when the store cannot be opened (damaged, missing or empty while the archive holds returns)."""
    ws = Workspace.open(root)
    probe(store_target(ws), ws.root)


# --- migrate -------------------------------------------------------------------------------------------------

@dataclass
class MigrateResult:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    kept: str = ""

    def lines(self) -> list[str]:
        total = sum(self.counts.values())
        out = [f"Đã chuyển kho dữ liệu: {self.source} → {self.target} ({total} dòng của {len(self.counts)} bảng; số "
               f"dòng từng bảng đã đối chiếu, khớp)."]
        out.extend(f"  {name}: {n}" for name, n in self.counts.items() if n)
        out.append(f"Kho cũ được giữ nguyên: {self.kept or self.source}. settings.yaml nay dùng kho mới.")
        return out

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def migrate_store(root: str | os.PathLike, to: str) -> MigrateResult:
    ctx = load_context(root)
    ws = ctx.ws
    source = store_target(ws)
    target = ws.db_path if to.strip().lower() in ("sqlite", "") else check_url(to)
    if str(source) == str(target):
        raise ToolkitError(f"Thư mục làm việc đã dùng kho {shown(source)}: không có gì để chuyển.")
    result = MigrateResult(source=shown(source), target=shown(target))
    with ctx, round_lock(ctx, None, "chuyển kho dữ liệu"):
        src = ctx.store
        if not is_server(target) and Path(target).exists():  # an earlier SQLite store of this workspace: kept aside
            aside = keep_aside(Path(target))
            result.kept = f"{shown(source)}; tệp SQLite trước đó: {aside}"
        with open_store(target, guard=False, root=ws.root) as dst:
            if dst.table_counts()["seen_files"] or dst.table_counts()["tasks"]:
                raise WorkspaceError(f"Kho đích {shown(target)} đã có dữ liệu: chọn một cơ sở dữ liệu trống (bộ công cụ "
                                     f"không ghi đè dữ liệu đã có).")
            copy_store(src, dst)
            want, have = src.table_counts(), dst.table_counts()
            differ = [f"{t}: {want[t]} → {have[t]}" for t in want if want[t] != have[t]]
            if differ:
                raise ToolkitError("Số dòng sau khi chép không khớp (" + "; ".join(differ) + "): settings.yaml vẫn dùng "
                                   "kho cũ.")
            result.counts = have
    if is_server(target):
        ws.settings["store"] = target
    else:
        ws.settings.pop("store", None)
    ws.save()
    return result
