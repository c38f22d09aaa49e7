"""Word outputs (docxtpl): the consolidated report, scorecards, commitment forms, the not-reported list.

Templates live in templates/word/ and may be overridden by <workspace>/word/<same name>.docx.
Rendering is strict (a missing variable is an error naming the template) and autoescaped ("&" and "<"
from units survive). Many documents are rendered by a pool of processes; PDF conversion goes through
LibreOffice headless in batches of at most 200 files, counting the outputs.
"""

from __future__ import annotations

import importlib.resources
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import jinja2

from .config import atomic_path
from .context import Context, load_context
from .errors import TemplateError
from .merge import STATES, SUBMISSION_STATES, default_form, round_frame, round_status, summarise
from .periods import Period, parse_period
from .store import Store

TEMPLATES = {"report": "bao_cao_tong_hop.docx", "scorecard": "phieu_danh_gia.docx",
             "commitment": "ban_cam_ket.docx", "not_reported": "danh_sach_chua_nop.docx"}
PDF_CHUNK = 200


def template_path(ws_root: Path | None, name: str) -> Path:
    if ws_root and (Path(ws_root) / "word" / name).is_file():
        return Path(ws_root) / "word" / name
    path = Path(str(importlib.resources.files("toolkit.resources"))) / "word" / name
    if not path.is_file():
        raise TemplateError(f"Không tìm thấy mẫu Word {name}.")
    return path


def _env() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)


def lint(path: Path, context: dict) -> None:
    """Raise TemplateError naming the template and the variables it uses that the data lacks."""
    from docxtpl import DocxTemplate

    try:
        tpl = DocxTemplate(str(path))
        wanted = tpl.get_undeclared_template_variables(_env())
    except Exception as exc:
        raise TemplateError(f"Mẫu Word {path.name} bị hỏng hoặc có thẻ sai cú pháp: {exc}") from None
    missing = sorted(set(wanted) - set(context))
    if missing:
        raise TemplateError(f"Mẫu Word {path} dùng biến không có dữ liệu: {', '.join(missing)}. "
                            f"Sửa lại thẻ {{{{ }}}} trong mẫu hoặc dùng mẫu gốc.")


# --- rendering (in worker processes) -----------------------------------------------------------------

_CACHE: dict[str, bytes] = {}


def _render_job(job: tuple[str, str, dict, dict[str, str]]) -> str:
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    template, out, context, images = job
    if template not in _CACHE:
        _CACHE[template] = Path(template).read_bytes()
    tpl = DocxTemplate(io.BytesIO(_CACHE[template]))
    ctx = dict(context)
    for key, img in images.items():
        ctx[key] = InlineImage(tpl, img, width=Mm(150)) if img else ""
    try:
        tpl.render(ctx, jinja_env=_env(), autoescape=True)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"Mẫu Word {Path(template).name}: {exc}") from None
    with atomic_path(Path(out)) as tmp:
        tpl.save(str(tmp))
    return out


def render_many(jobs: list[tuple[str, str, dict, dict]], progress=None, workers: int | None = None) -> list[str]:
    """Render documents; a process pool when there are many (template objects are not thread-safe)."""
    workers = workers or min(os.cpu_count() or 1, 4)
    out = []
    if len(jobs) < 8 or workers < 2:
        for i, job in enumerate(jobs, start=1):
            out.append(_render_job(job))
            if progress:
                progress(i, len(jobs))
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, path in enumerate(pool.map(_render_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))), start=1):
            out.append(path)
            if progress:
                progress(i, len(jobs))
    return out


# --- PDF --------------------------------------------------------------------------------------------

def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(paths: list[Path], outdir: Path) -> tuple[list[Path], str]:
    """Convert with LibreOffice in chunks of PDF_CHUNK; returns (PDFs written, Vietnamese message)."""
    exe = soffice()
    if not exe:
        return [], ("Không có LibreOffice nên chưa chuyển sang PDF. Cài LibreOffice (Debian: libreoffice-writer-nogui) "
                    "hoặc mở tệp .docx bằng Word và lưu dạng PDF.")
    outdir.mkdir(parents=True, exist_ok=True)
    done: list[Path] = []
    with tempfile.TemporaryDirectory() as profile:
        for start in range(0, len(paths), PDF_CHUNK):
            chunk = paths[start:start + PDF_CHUNK]
            subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                            "--convert-to", "pdf", "--outdir", str(outdir), *map(str, chunk)],
                           capture_output=True, timeout=600, check=False)
            for p in chunk:
                pdf = outdir / (p.stem + ".pdf")
                if pdf.exists():
                    done.append(pdf)
    missing = len(paths) - len(done)
    msg = f"Đã chuyển {len(done)}/{len(paths)} văn bản sang PDF trong {outdir}."
    if missing:
        msg += f" {missing} văn bản không chuyển được: mở bằng Word để kiểm tra."
    return done, msg


# --- charts -----------------------------------------------------------------------------------------

def _charts(folder: Path, by_unit: list[dict], causes: list[dict]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = ["Liberation Serif", "DejaVu Serif", "serif"]
    folder.mkdir(parents=True, exist_ok=True)
    images = {"chart_units": "", "chart_causes": ""}
    if by_unit:
        rows = sorted(by_unit, key=lambda r: r["done_rate"])[-30:]
        fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.28 * len(rows) + 1)))
        ax.barh([r["name"][:38] for r in rows], [r["done_rate"] for r in rows], color="#2E75B6")
        ax.set_xlabel("Tỷ lệ hoàn thành (%)")
        ax.set_xlim(0, 100)
        ax.set_title("Tỷ lệ nhiệm vụ hoàn thành theo đơn vị")
        fig.tight_layout()
        images["chart_units"] = str(folder / "ty_le_hoan_thanh.png")
        fig.savefig(images["chart_units"], dpi=130)
        plt.close(fig)
    if causes:
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(causes) + 1.2))
        ax.barh([c["cause"][:45] for c in causes][::-1], [c["count"] for c in causes][::-1], color="#C55A11")
        ax.set_xlabel("Số nhiệm vụ")
        ax.set_title("Nguyên nhân chậm tiến độ")
        fig.tight_layout()
        images["chart_causes"] = str(folder / "nguyen_nhan_cham.png")
        fig.savefig(images["chart_causes"], dpi=130)
        plt.close(fig)
    return images


# --- data for the documents ----------------------------------------------------------------------------

def _fmt_date(d: Any) -> str:
    return d.strftime("%d/%m/%Y") if isinstance(d, date) else ("" if d is None else str(d))


def _num(v: Any) -> Any:
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:.1f}".rstrip("0").rstrip(".") if not v.is_integer() else str(int(v))
    return "" if v is None else v


def base_context(ctx: Context, period: Period) -> dict:
    today = date.today()
    office = dict(ctx.ws.office)
    office.setdefault("issuing_body_title", office.get("issuing_body", ""))
    office["issuing_body_title"] = f"Ban Thường vụ {office.get('name', '')}"
    return {"office": office, "period_label": period.label, "doc_number": office.get("doc_number") or "    ",
            "doc_suffix": office.get("doc_suffix", "-BC/TU"), "day": f"{today.day:02d}", "month": f"{today.month:02d}",
            "year": str(today.year)}


def round_context(ctx: Context, store: Store, period: Period) -> dict:
    form = ctx.form(default_form(period))
    df = round_frame(ctx, store, form, period)
    status = round_status(ctx.ws, period, form.id, write=False)
    context = base_context(ctx, period)
    context["status"] = status.rates()
    if df.empty:
        totals = {"tasks": 0, **{s: 0 for s in STATES}, "done": 0, "done_rate": 0, "on_time_rate": 0, "avg_percent": 0}
        by_unit, by_parent, overdue, causes, proposals = [], [], [], [], []
    else:
        totals = summarise(df.assign(_all="all"), "_all")[0]
        names = dict(zip(df["unit_code"], df["unit_name"]))
        by_unit = [{**d, "name": names.get(d["key"], d["key"])} for d in summarise(df, "unit_code")]
        by_parent = [{**d, "key": d["key"] or "(cấp cao nhất)"} for d in summarise(df, "parent_name")]
        od = df[df["state"] == "overdue"]
        overdue = [{"title": r.title, "unit": r.unit_name, "deadline": _fmt_date(r.deadline), "percent": _num(r.percent),
                    "cause": r.delay_cause or ""} for r in od.itertuples()]
        causes = [{"cause": k, "count": v} for k, v in Counter(df["delay_cause"].dropna()).most_common()]
        proposals = [{"unit": r.unit_name, "text": r.proposals} for r in df[df["proposals"].notna()].itertuples()]
    context.update(totals=totals, by_unit=by_unit, by_parent=by_parent, overdue=overdue, causes=causes,
                   proposals=proposals)
    scores = [s for s in store.scores(period.code) if s["subject_kind"] == "unit"]
    names = {u.code: u.name for u in ctx.registry.units.values()}
    ranked = sorted(scores, key=lambda s: -s["score"])
    context["classification"] = [{"rank": i, "name": names.get(s["subject_id"], s["subject_id"]),
                                  "score": _num(s["score"]), "level": s["level"]} for i, s in enumerate(ranked, 1)]
    levels = Counter(s["level"] for s in scores)
    context["classification_summary"] = ("; ".join(f"{k}: {v} đơn vị" for k, v in levels.most_common()) + "."
                                         if levels else "Chưa chấm điểm, xếp loại kỳ này.")
    context["_frame"] = df
    return context


@dataclass
class ReportResult:
    folder: str
    documents: list[str] = field(default_factory=list)
    pdfs: list[str] = field(default_factory=list)
    pdf_message: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def write_reports(workspace, period: str | Period, pdf: bool = False,
                  progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> ReportResult:
    started = time.perf_counter()
    ctx = load_context(workspace)
    period = period if isinstance(period, Period) else parse_period(period)
    out = ctx.ws.round_dir(period, "output") / "van_ban"
    out.mkdir(parents=True, exist_ok=True)
    root = ctx.ws.root
    jobs: list[tuple[str, str, dict, dict]] = []
    with Store(ctx.ws.db_path) as store:
        form = ctx.form(default_form(period))
        status = round_status(ctx.ws, period, form.id, write=False)
        base = base_context(ctx, period)
        nr = {**base, "deadline": status.deadline, "as_of": date.today().strftime("%d/%m/%Y"),
              "units": [{"name": u.name, "state": SUBMISSION_STATES[u.state], "head": u.head, "email": u.email}
                        for u in status.not_reported]}
        jobs.append(_job(root, "not_reported", out / f"danh_sach_chua_nop_{period.code}.docx", nr))
        if form.role == "progress":
            rc = round_context(ctx, store, period)
            df = rc.pop("_frame")
            images = _charts(out / "_bieu_do", rc["by_unit"], rc["causes"])
            jobs.append(_job(root, "report", out / f"bao_cao_tong_hop_{period.code}.docx", rc, images))
            jobs.extend(_scorecards(ctx, store, period, base, df, out, root))
        else:
            jobs.extend(_commitments(ctx, store, period, base, out, root))
    docs = render_many(jobs, progress, workers)
    result = ReportResult(folder=str(out), documents=docs)
    if pdf:
        pdfs, result.pdf_message = to_pdf([Path(d) for d in docs], out / "pdf")
        result.pdfs = [str(p) for p in pdfs]
    result.seconds = time.perf_counter() - started
    return result


def _job(root, kind: str, path: Path, context: dict, images: dict | None = None):
    tpl = template_path(root, TEMPLATES[kind])
    lint(tpl, {**context, **(images or {"chart_units": "", "chart_causes": ""})})
    return (str(tpl), str(path), context, images or {})


def _scorecards(ctx, store, period, base, df, out: Path, root) -> list:
    jobs = []
    linted = False
    for s in store.scores(period.code):
        d = __import__("json").loads(s["detail"])
        kind = s["subject_kind"]
        if df.empty:
            rows = df
        elif kind == "unit":
            rows = df[df["unit_code"] == s["subject_id"]]
        else:
            rows = df[df["leader_id"] == s["subject_id"]]
        subject = {"id": s["subject_id"], "name": d["name"], "tasks": d["tasks"], "assigned": d["assigned"],
                   "done": d["done"], "on_time": d["on_time"], "late": d["late"],
                   "quantity": _num(round(100 * d["quantity"], 1)), "schedule": _num(round(100 * d["schedule"], 1)),
                   "quality": _num(round(100 * d["quality"], 1)), "task_points": _num(round(d["task_points"], 1)),
                   "score": _num(s["score"]), "level": s["level"], "why": " ".join(d["why"])}
        tasks = [{"title": r.title, "deadline": _fmt_date(r.deadline), "status": r.status or "",
                  "percent": _num(r.percent), "state": STATES.get(r.state, "")} for r in rows.itertuples()]
        context = {**base, "subject": subject, "tasks": tasks,
                   "subject_label": "Đơn vị" if kind == "unit" else "Đồng chí"}
        folder = out / ("phieu_danh_gia_don_vi" if kind == "unit" else "phieu_danh_gia_lanh_dao")
        tpl = template_path(root, TEMPLATES["scorecard"])
        if not linted:
            lint(tpl, context)
            linted = True
        jobs.append((str(tpl), str(folder / f"{s['subject_id']}_{period.code}.docx"), context, {}))
        folder.mkdir(parents=True, exist_ok=True)
    return jobs


def _commitments(ctx, store, period, base, out: Path, root) -> list:
    jobs = []
    tasks = store.register(period.register_key)
    items = store.work_items(period.register_key)
    folder = out / "ban_cam_ket"
    folder.mkdir(parents=True, exist_ok=True)
    for code in sorted({t["unit_code"] for t in tasks}):
        unit = ctx.registry.units.get(code)
        if unit is None:
            continue
        mine = [t for t in tasks if t["unit_code"] == code and t["kind"] != "Đột phá"]
        leaders = ctx.registry.leaders
        context = {**base, "unit": {"name": unit.name, "name_upper": unit.name.upper(), "head_name": unit.head_name,
                                    "head_title_upper": (unit.head_title or "Người đứng đầu").upper()},
                   "tasks": [{"title": t["title"],
                              "indicator": " ".join(str(x) for x in (t["indicator"] or "", _num(t["target"]),
                                                                     t["unit_measure"] or "") if x != ""),
                              "deadline": _fmt_date(date.fromisoformat(t["deadline"])) if t["deadline"] else "",
                              "leader": leaders[t["leader_id"]].name if t["leader_id"] in leaders else ""}
                             for t in mine],
                   "items": [{"code": i["item_code"], "description": i["description"], "roadmap": i["roadmap"] or "",
                              "owner": i["owner"] or "",
                              "deadline": _fmt_date(date.fromisoformat(i["deadline"])) if i["deadline"] else ""}
                             for i in items if i["unit_code"] == code]}
        jobs.append(_job(root, "commitment", folder / f"ban_cam_ket_{code}_{period.code}.docx", context))
    return jobs
