"""Word rendering engine (docxtpl): templates from templates/word/ (or the workspace's word/ folder), strict and
autoescaped rendering (a missing variable is an error naming the template; "&" and "<" from units survive),
a compiled-template cache and a fast body renderer, a pool of processes for many documents, and PDF conversion.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import jinja2

from .. import resources
from ..errors import TemplateError
from ..files import atomic_path
from ..intake.pool import process_pool

TEMPLATES = {"report": "bao_cao_tong_hop.docx", "scorecard": "phieu_danh_gia.docx",
             "commitment": "ban_cam_ket.docx", "not_reported": "danh_sach_chua_nop.docx",
             "breakthrough": "bao_cao_dot_pha.docx", "followup": "bao_cao_nam_gop_kiem.docx",
             "term": "bao_cao_nhiem_ky.docx", "term_scorecard": "phieu_nhiem_ky.docx"}


def template_path(ws_root: Path | None, name: str) -> Path:
    if ws_root and (Path(ws_root) / "word" / name).is_file():
        return Path(ws_root) / "word" / name
    path = resources() / "word" / name
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
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")  # the paragraph marks put in above
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


def _warm(templates: tuple[str, ...]) -> None:
    """In a render process: the imports and each template's preparation, done while the documents' data is built."""
    import docx.shared  # noqa: F401
    import docxtpl  # noqa: F401

    for template in templates:
        if template and template not in _BODY:
            _BODY[template] = _BodyRenderer(Path(template).read_bytes())


class RenderPool:
    """The render processes started ahead of the documents' data (``ahead``: a round of many documents), so that
    their start, imports and template preparation overlap the building of the data in this process."""

    def __init__(self, workers: int | None = None, ahead: bool = False, templates: tuple[str, ...] = ()):
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.pool = None
        self.started: dict[int, tuple] = {}  # id(job) -> (job, its future): rendered as soon as it was built
        if ahead and self.workers >= 2:
            self.pool = process_pool(self.workers)
            for _ in range(self.workers):
                self.pool.submit(_warm, tuple(templates))

    def submit(self, jobs: list) -> None:
        """Start rendering these documents now (their data is ready; the rest of the round's is being built)."""
        if self.pool is not None:
            for job in jobs:
                self.started[id(job)] = (job, self.pool.submit(_render_job, job))

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def render_many(jobs: list[tuple[str, str, dict, dict]], progress=None, workers: int | None = None,
                pool: RenderPool | None = None) -> list[str]:
    """Render documents; a process pool when there are many (template objects are not thread-safe), the one
    started ahead when given."""
    workers = (pool.workers if pool is not None else None) or workers or min(os.cpu_count() or 1, 4)
    out = []
    if progress:
        progress(0, len(jobs))  # the count is known before the first document is done
    if pool is not None and pool.pool is not None and (len(jobs) >= 8 or pool.started):
        rest = [job for job in jobs if id(job) not in pool.started]
        chunks = max(1, len(rest) // (workers * 4))
        later = pool.pool.map(_render_job, rest, chunksize=chunks)  # the documents not started early
        for i, job in enumerate(jobs, start=1):
            early = pool.started.get(id(job))
            out.append(early[1].result() if early is not None and early[0] is job else next(later))
            if progress:
                progress(i, len(jobs))
        return out
    if len(jobs) < 8 or workers < 2:
        for i, job in enumerate(jobs, start=1):
            out.append(_render_job(job))
            if progress:
                progress(i, len(jobs))
        return out
    with process_pool(workers) as pool:
        for i, path in enumerate(pool.map(_render_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))), start=1):
            out.append(path)
            if progress:
                progress(i, len(jobs))
    return out


# --- PDF --------------------------------------------------------------------------------------------


