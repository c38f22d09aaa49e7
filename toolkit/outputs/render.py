"""Word rendering engine (docxtpl): templates from templates/word/ (or the workspace's word/ folder), strict and
autoescaped rendering (a missing variable is an error naming the template; "&" and "<" from units survive),
a compiled-template cache and a fast body renderer, a pool of processes for many documents, and PDF conversion.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from pathlib import Path
from typing import Any

import jinja2

from .. import resources
from ..errors import TemplateError
from ..files import atomic_path
from ..intake.pool import process_pool
from ..text import xml_safe_utf8

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
    """Fast path: docxtpl prepares the template once (patching the Jinja tags out of Word's runs, compiling); each
    document is then the compiled body rendered, piece by piece, straight into a copy of the template package, with
    the charts added as image parts. The document is never held whole, as a string or a tree: the round report of
    a thousand units is 33 MB of XML, which the full docxtpl render parses into 500 MB of lxml. The full render
    (python-docx load and save) is kept for templates with tags in headers, footers or properties, or column loops."""

    CHUNK = 1 << 20  # characters of rendered XML finished and written at a time

    def __init__(self, data: bytes):
        import zipfile

        tpl = _fast_template_class()(io.BytesIO(data))
        tpl.render_init()
        body = tpl.patch_xml(tpl.get_xml())
        # compiled without the line break docxtpl puts before each paragraph (for the line numbers of its errors)
        # and strips from every document it renders: the same documents, two passes over each fewer
        self.template = _env_cached().from_string(body)
        self.listing = tpl.resolve_listing.__get__(tpl)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.parts = [(i, zf.read(i.filename)) for i in zf.infolist()]
        doc = next(b for i, b in self.parts if i.filename == "word/document.xml").decode("utf-8")
        start, end = doc.index("<w:body"), doc.rindex("</w:body>") + len("</w:body>")
        self.head, self.tail = doc[:start], doc[end:]
        tagged = [b.decode("utf-8", "replace") for i, b in self.parts
                  if i.filename.startswith(("word/header", "word/footer", "docProps/core", "word/footnotes"))]
        self.has_tc = column_loops(doc)
        self.usable = not self.has_tc and not any(_TAG.search(x) for x in tagged)
        names = {i.filename for i, _ in self.parts}
        ids = [int(x) for x in re.findall(r'\sid="(\d+)"', doc)]  # python-docx's next shape id: after the template's
        self.next_id = max(ids, default=0) + 1
        # pictures go in when the document declares the namespaces their XML uses and has the parts they are listed in
        self.drawable = ('xmlns:wp="' in self.head and 'xmlns:r="' in self.head
                         and {_RELS, _TYPES} <= names)
        self.bases: dict[bool, bytes] = {}  # with pictures or not -> the package's unchanging parts (_base)

    def render(self, context: dict, out: Path, images: dict[str, str] | None = None) -> None:
        import zipfile

        pictures = _Pictures(self.parts, self.next_id) if images and any(images.values()) else None
        if images:  # a chart not drawn (no data) prints as nothing
            context = {**context, **{k: _Picture(pictures, v) if v else "" for k, v in images.items()}}
        with atomic_path(out) as tmp:
            with open(tmp, "w+b") as fp:
                fp.write(self._base(pictures is not None))  # the parts no document changes, compressed once
                with zipfile.ZipFile(fp, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                    with zf.open("word/document.xml", "w") as part:
                        for piece in self._pieces(context):
                            part.write(piece)
                    if pictures is not None:  # the relationships and types of the pictures placed above
                        for info, data in self.parts:
                            if info.filename == _RELS:
                                zf.writestr(_RELS, pictures.relationships(data))
                            elif info.filename == _TYPES:
                                zf.writestr(_TYPES, pictures.content_types(data, images.values()))
                        for name, blob in pictures.media():
                            zf.writestr(name, blob)

    def _base(self, pictures: bool) -> bytes:
        """The package without the parts a document writes itself (the body; with pictures, the relationships and
        the content types too), compressed once per process: the template's styles are 0.8 MB of XML that every
        document carries unchanged (compressed again for each, they took 40 % of a scorecard's rendering)."""
        import zipfile

        if pictures not in self.bases:
            own = {"word/document.xml", _RELS, _TYPES} if pictures else {"word/document.xml"}
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for info, data in self.parts:
                    if info.filename not in own:
                        zf.writestr(info.filename, data)
            self.bases[pictures] = buf.getvalue()
        return self.bases[pictures]

    def _pieces(self, context: dict):
        """The document's XML (UTF-8) in pieces cut after a paragraph's end (the finishing passes work within
        paragraphs); a small document is one piece."""
        from itertools import islice

        template = self.template
        pieces = template.root_render_func(template.new_context(context))  # what render() joins, taken in batches
        ids = iter(range(1001, 1 << 31))  # drawing ids numbered in the document's order, as docxtpl numbers them
        head, text = self.head.encode("utf-8"), ""
        while batch := list(islice(pieces, 4096)):
            text += "".join(batch)
            if len(text) >= self.CHUNK and (cut := text.rfind("</w:p>")) >= 0:
                cut += len("</w:p>")
                yield head + self._finish(text[:cut], ids)
                head, text = b"", text[cut:]
        yield head + self._finish(text, ids) + self.tail.encode("utf-8")

    def _finish(self, xml: str, ids) -> bytes:
        """The rendered XML as docxtpl finishes it, encoded (UTF-8) for the package."""
        # docxtpl's escaped braces; a brace looked for first: one character is found 50× quicker than two (a pass
        # for two over a scorecard's XML, 136,000 characters, costs ~0.12 ms)
        if "{" in xml and "{_" in xml:
            xml = xml.replace("{_{", "{{").replace("{_%", "{%")
        if "}" in xml and "_}" in xml:
            xml = xml.replace("}_}", "}}").replace("%_}", "%}")
        xml = self.listing(xml)
        if "<wp:docPr " in xml:
            xml = _DOC_PR.sub(lambda m: f"{m.group(1)}{next(ids)}{m.group(2)}", xml)
        return xml_safe_utf8(xml)  # without what the listing pass left of \a, \f and other controls (docxtpl's
        # parser drops them); the check reads the encoding written


_RELS, _TYPES = "word/_rels/document.xml.rels", "[Content_Types].xml"
_TAG = re.compile(r"\{(?:<[^>]*>)*[{%]")  # a Jinja tag, also one Word has split over runs
_DOC_PR = re.compile(r'(<wp:docPr\b[^>]*?\bid=")\d+(")')
_IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def column_loops(document_xml: str) -> bool:
    """Whether the document uses docxtpl's table-column loops ({%tc … %}), also split over runs."""
    return bool(re.search(r"\{%-?\s*tc\s", re.sub(r"<[^>]+>", "", document_xml)))


class _Pictures:
    """The images of one document on the fast path, added as python-docx adds them: each distinct image once, as
    ``word/media/imageN.ext`` with the first free N, related from the document under the first free ``rIdN``, placed
    where its variable stands, 150 mm wide; its drawing XML is python-docx's own."""

    WIDTH_MM = 150

    def __init__(self, parts, shape_id: int):
        self.shape_id = shape_id
        rels = next(b for i, b in parts if i.filename == _RELS).decode("utf-8")
        self.rids = set(re.findall(r'\bId="([^"]+)"', rels))
        self.numbers = {int(m.group(1)) for i, _ in parts  # part names compare without case
                        if (m := re.match(r"word/media/image(\d+)\.", i.filename, re.I))}
        self.added: dict[str, tuple[str, str, object]] = {}  # sha1 -> (rId, part name, image)
        self.loaded: dict[str, object] = {}  # path -> python-docx's Image, read once

    def image(self, path: str):
        from docx.image.image import Image

        if path not in self.loaded:
            self.loaded[path] = Image.from_file(path)
        return self.loaded[path]

    def place(self, path: str) -> str:
        from docx.oxml.shape import CT_Inline
        from docx.shared import Mm

        image = self.image(path)
        if image.sha1 not in self.added:
            rid = next(f"rId{n}" for n in range(1, len(self.rids) + 2) if f"rId{n}" not in self.rids)
            number = next(n for n in range(1, len(self.numbers) + 2) if n not in self.numbers)
            self.rids.add(rid)
            self.numbers.add(number)
            self.added[image.sha1] = (rid, f"word/media/image{number}.{image.ext}", image)
        rid = self.added[image.sha1][0]
        cx, cy = image.scaled_dimensions(Mm(self.WIDTH_MM), None)
        inline = CT_Inline.new_pic_inline(self.shape_id, rid, image.filename, cx, cy)  # id renumbered in _finish
        return f'</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'

    def relationships(self, data: bytes) -> bytes:
        xml = data.decode("utf-8")
        new = "".join(f'<Relationship Id="{rid}" Type="{_IMAGE_REL}" Target="{name[len("word/"):]}"/>'
                      for rid, name, _ in self.added.values())
        return xml.replace("</Relationships>", new + "</Relationships>").encode("utf-8")

    def content_types(self, data: bytes, paths) -> bytes:
        """Every image's extension declared (before the document is written: the list comes first in the package)."""
        xml = data.decode("utf-8")
        for path in paths:
            if not path or not os.path.isfile(path):
                continue  # (placing a missing image is the error, named where it is placed)
            image = self.image(path)
            defaults = list(re.finditer(r'<Default\b[^>]*\bExtension="([^"]+)"[^>]*>', xml))
            if image.ext.lower() in {m.group(1).lower() for m in defaults}:
                continue
            entry = f'<Default Extension="{image.ext}" ContentType="{image.content_type}"/>'
            after = next((m for m in defaults if m.group(1).lower() > image.ext.lower()), None)  # in order, as
            at = (after.start() if after else defaults[-1].end() if defaults  # python-docx lists them
                  else re.search(r"<Types\b[^>]*>", xml).end())
            xml = xml[:at] + entry + xml[at:]
        return xml.encode("utf-8")

    def media(self):
        for _, name, image in self.added.values():
            yield name, image.blob


class _Picture:
    """An image variable: its drawing made (and the image added to the package) where the template prints it."""

    def __init__(self, pictures: _Pictures, path: str):
        self.pictures, self.path = pictures, path

    def __html__(self) -> str:
        return self.pictures.place(self.path)

    __str__ = __html__


_BODY: dict[str, _BodyRenderer | None] = {}


def _renderer(template: str) -> _BodyRenderer | None:
    """The template prepared for the fast path, once per process; None for a package the fast path cannot take
    apart (docxtpl's render then says what is wrong with it)."""
    if template not in _BODY:
        try:
            _BODY[template] = _BodyRenderer(Path(template).read_bytes())
        except Exception:
            _BODY[template] = None
    return _BODY[template]


def _render_job(job: tuple[str, str, dict, dict[str, str]]) -> str:
    from docx.shared import Mm
    from docxtpl import InlineImage

    template, out, context, images = job
    fast = _renderer(template)
    if fast is not None and fast.usable and (fast.drawable or not any(images.values())):
        try:
            fast.render({k: _ns(v) for k, v in context.items()}, Path(out), images)
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"Mẫu Word {Path(template).name}: {exc}") from None
        return out
    if template not in _CACHE:
        _CACHE[template] = Path(template).read_bytes()
    tpl = _fast_template_class()(io.BytesIO(_CACHE[template]))
    tpl._has_tc = fast.has_tc if fast is not None else True
    ctx = {k: _ns(v) for k, v in context.items()}
    for key, img in images.items():
        ctx[key] = InlineImage(tpl, img, width=Mm(_Pictures.WIDTH_MM)) if img else ""
    try:
        tpl.render(ctx, jinja_env=_env_cached(), autoescape=True)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"Mẫu Word {Path(template).name}: {exc}") from None
    with atomic_path(Path(out)) as tmp:
        tpl.save(str(tmp))
    return out


def _render_batch(jobs: list) -> list[tuple[bool, Any]]:
    """Render several documents in one hand-over: each one's path, or the error it raised and where (for its own
    turn, so that one document's error is not its batch's)."""
    import traceback

    out: list[tuple[bool, Any]] = []
    for job in jobs:
        try:
            out.append((True, _render_job(job)))
        except Exception as exc:
            try:
                pickle.loads(pickle.dumps(exc))  # sent back whole when it can come back whole
            except Exception:
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            out.append((False, (exc, traceback.format_exc())))
    return out


class _RemoteTraceback(Exception):
    """The traceback of an error raised in a render process (what concurrent.futures attaches to its own)."""

    def __str__(self) -> str:
        return f"\n{self.args[0]}" if self.args else ""


def _ns(value):
    """dicts -> attribute objects (jinja's getattr on a dict first fails, then falls back: slow per access)."""
    from types import SimpleNamespace

    if isinstance(value, dict):  # (a call only for what holds more: most values are plain; 5× faster)
        return SimpleNamespace(**{k: _ns(v) if isinstance(v, (dict, list)) else v for k, v in value.items()})
    if isinstance(value, list):
        return [_ns(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _warm(templates: tuple[str, ...]) -> None:
    """In a render process: the imports and each template's preparation, done while the documents' data is built."""
    import docx.shared  # noqa: F401
    import docxtpl  # noqa: F401

    for template in templates:
        if template:
            _renderer(template)


class RenderPool:
    """The render processes started ahead of the documents' data (``ahead``: a round of many documents), so that
    their start, imports and template preparation overlap the building of the data in this process."""

    BATCH = 8  # documents sent to a render process at a time (one by one, the hand-over cost ~0.4 ms a document)

    def __init__(self, workers: int | None = None, ahead: bool = False, templates: tuple[str, ...] = (),
                 give_way: bool = False):
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.give_way = give_way  # the render processes at a lower priority (pool.lower_priority)
        self.pool = None
        # id(job) -> (job, the future of its batch, its place in the batch): rendered as soon as it was built
        self.started: dict[int, tuple] = {}
        if ahead and self.workers >= 2:
            self.pool = process_pool(self.workers, give_way)
            for _ in range(self.workers):
                self.pool.submit(_warm, tuple(templates))

    def submit(self, jobs: list) -> None:
        """Start rendering these documents now (their data is ready; the rest of the round's is being built)."""
        if self.pool is not None:
            size = max(1, min(self.BATCH, len(jobs) // (self.workers * 4)))  # a few documents: spread over all
            for start in range(0, len(jobs), size):
                batch = jobs[start:start + size]
                future = self.pool.submit(_render_batch, batch)
                for i, job in enumerate(batch):
                    self.started[id(job)] = (job, future, i)

    @staticmethod
    def result(started: tuple) -> str:
        """The path of a document started early, or the error its rendering raised (raised here, in its turn)."""
        _, future, i = started
        ok, value = future.result()[i]
        if not ok:
            error, remote = value
            error.__cause__ = _RemoteTraceback(remote)  # where it failed in the render process, as the pool says it
            raise error
        return value

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
        pool.submit([job for job in jobs if id(job) not in pool.started])  # the documents not started early
        for i, job in enumerate(jobs, start=1):
            out.append(pool.result(pool.started[id(job)]))
            if progress:
                progress(i, len(jobs))
        return out
    if len(jobs) < 8 or workers < 2:
        for i, job in enumerate(jobs, start=1):
            out.append(_render_job(job))
            if progress:
                progress(i, len(jobs))
        return out
    give_way = pool is not None and pool.give_way
    with process_pool(workers, give_way) as processes:
        for i, path in enumerate(processes.map(_render_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))),
                                 start=1):
            out.append(path)
            if progress:
                progress(i, len(jobs))
    return out


# --- PDF --------------------------------------------------------------------------------------------


