"""Word outputs (docxtpl): the consolidated report, scorecards, commitment forms, the not-reported list.

Templates live in templates/word/ and may be overridden by <workspace>/word/<same name>.docx.
Rendering is strict (a missing variable is an error naming the template) and autoescaped ("&" and "<"
from units survive). Many documents are rendered by a pool of processes; PDF conversion is toolkit.pdf's
(LibreOffice, or Word on Windows).
"""

from __future__ import annotations

import importlib.resources
import io
import re
import os
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
from .paths import safe_filename
from .pdf import to_pdf
from .periods import Period, parse_period
from .store import Store

TEMPLATES = {"report": "bao_cao_tong_hop.docx", "scorecard": "phieu_danh_gia.docx",
             "commitment": "ban_cam_ket.docx", "not_reported": "danh_sach_chua_nop.docx"}


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
_PATCHED: dict[str, str] = {}


class _CachingEnv(jinja2.Environment):
    """Compiles each distinct template source once per process (docxtpl compiles on every render)."""

    _compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 - jinja's signature
        key = source if isinstance(source, str) else None
        if key is not None and key in self._compiled:
            return self._compiled[key]
        tpl = super().from_string(source, globals, template_class)
        if key is not None:
            self._compiled[key] = tpl
        return tpl


def _fast_template_class():
    from docxtpl import DocxTemplate

    class FastTemplate(DocxTemplate):
        """docxtpl with the per-template work done once: XML patching is memoised by source, and the
        line-break/tab pass is skipped when the rendered XML holds no such characters."""

        def patch_xml(self, src_xml):
            out = _PATCHED.get(src_xml)
            if out is None:
                out = _PATCHED[src_xml] = super().patch_xml(src_xml)
            return out

        def fix_tables(self, xml):
            if getattr(self, "_has_tc", True):
                return super().fix_tables(xml)
            from lxml import etree

            return etree.fromstring(xml, parser=etree.XMLParser(recover=True))  # no {%tc %}: nothing to fix

        def resolve_listing(self, xml):
            if not any(ch in xml for ch in "\n\t\a\f"):
                return xml
            return super().resolve_listing(xml)

    return FastTemplate


_ENV: list = []


def _env_cached() -> jinja2.Environment:
    if not _ENV:
        _ENV.append(_CachingEnv(undefined=jinja2.StrictUndefined, autoescape=True))
    return _ENV[0]


class _BodyRenderer:
    """Fast path for documents without images: docxtpl prepares the template once (patching the Jinja tags
    out of Word's runs, compiling); each document is then the compiled body rendered into a copy of the
    template package. The full docxtpl render (python-docx load and save) is used for documents with images,
    headers or footers with tags, or column loops."""

    def __init__(self, data: bytes):
        import zipfile

        tpl = _fast_template_class()(io.BytesIO(data))
        tpl.render_init()
        body = tpl.patch_xml(tpl.get_xml())
        self.source = re.sub(r"<w:p([ >])", r"\n<w:p\1", body)
        self.template = _env_cached().from_string(self.source)
        self.listing = tpl.resolve_listing.__get__(tpl)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.parts = [(i, zf.read(i.filename)) for i in zf.infolist()]
        doc = next(b for i, b in self.parts if i.filename == "word/document.xml").decode("utf-8")
        start, end = doc.index("<w:body"), doc.rindex("</w:body>") + len("</w:body>")
        self.head, self.tail = doc[:start], doc[end:]
        tagged = [b for i, b in self.parts if i.filename.startswith(("word/header", "word/footer", "docProps/core",
                                                                      "word/footnotes"))]
        self.usable = b"{%tc" not in data and not any(b"{{" in b or b"{%" in b for b in tagged)

    def render(self, context: dict, out: Path) -> None:
        import zipfile

        xml = self.template.render(context)
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        xml = self.listing(xml)
        body = self.head + xml + self.tail
        with atomic_path(out) as tmp:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for info, data in self.parts:
                    zf.writestr(info.filename, body.encode("utf-8") if info.filename == "word/document.xml" else data)


_BODY: dict[str, _BodyRenderer] = {}


def _render_job(job: tuple[str, str, dict, dict[str, str]]) -> str:
    from docx.shared import Mm
    from docxtpl import InlineImage

    template, out, context, images = job
    if not images:
        if template not in _BODY:
            _BODY[template] = _BodyRenderer(Path(template).read_bytes())
        fast = _BODY[template]
        if fast.usable:
            try:
                fast.render({k: _ns(v) for k, v in context.items()}, Path(out))
            except jinja2.UndefinedError as exc:
                raise TemplateError(f"Mẫu Word {Path(template).name}: {exc}") from None
            return out
    if template not in _CACHE:
        _CACHE[template] = Path(template).read_bytes()
    tpl = _fast_template_class()(io.BytesIO(_CACHE[template]))
    tpl._has_tc = b"{%tc" in _CACHE[template] or b"%tc " in _CACHE[template]
    ctx = {k: _ns(v) for k, v in context.items()}
    for key, img in images.items():
        ctx[key] = InlineImage(tpl, img, width=Mm(150)) if img else ""
    try:
        tpl.render(ctx, jinja_env=_env_cached(), autoescape=True)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"Mẫu Word {Path(template).name}: {exc}") from None
    with atomic_path(Path(out)) as tmp:
        tpl.save(str(tmp))
    return out


def _ns(value):
    """dicts -> attribute objects (jinja's getattr on a dict first fails, then falls back: slow per access)."""
    from types import SimpleNamespace

    if isinstance(value, dict):
        return SimpleNamespace(**{k: _ns(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_ns(v) for v in value]
    return value


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
        pdfs, result.pdf_message = to_pdf([Path(d) for d in docs], out / "pdf", ctx.ws.settings.get("pdf"))
        result.pdfs = [str(p) for p in pdfs]
    result.seconds = time.perf_counter() - started
    return result


def _job(root, kind: str, path: Path, context: dict, images: dict | None = None):
    tpl = template_path(root, TEMPLATES[kind])
    lint(tpl, {**context, **(images or {"chart_units": "", "chart_causes": ""})})
    return (str(tpl), str(path), context, images or {})


def _scorecards(ctx, store, period, base, df, out: Path, root) -> list:
    import json

    jobs = []
    linted = False
    groups = {"unit": {}, "leader": {}}
    if not df.empty:
        groups["unit"] = {k: g for k, g in df.groupby("unit_code")}
        groups["leader"] = {k: g for k, g in df[df["leader_id"].notna()].groupby("leader_id")}
    for s in store.scores(period.code):
        d = json.loads(s["detail"])
        kind = s["subject_kind"]
        rows = groups[kind].get(s["subject_id"], df.iloc[0:0])
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
        jobs.append((str(tpl), str(folder / safe_filename(f"{s['subject_id']}_{period.code}.docx")), context, {}))
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
        jobs.append(_job(root, "commitment", folder / safe_filename(f"ban_cam_ket_{code}_{period.code}.docx"), context))
    return jobs
