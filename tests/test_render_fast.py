"""The fast Word renderer against docxtpl's own render: the same template and data give the same document (XML
compared in canonical form, relationships, content types, images), also when the document is written in many pieces
and carries pictures, table-row loops, line breaks and a picture of the template's own. And the round report of a
real year goes through it: its charts are in the document as Word reads it."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import docx_text
from docx.shared import Mm
from lxml import etree
from test_printed_documents import year  # noqa: F401 - the district's year, run through the CLI

import toolkit.text as text_module
from toolkit.outputs import render
from toolkit.text import xml_safe

PNG_WIDE, PNG_TALL = (640, 480), (300, 900)


def _png(path: Path, size, colour) -> str:
    from PIL import Image

    Image.new("RGB", size, colour).save(path, dpi=(130, 130))
    return str(path)


def _template(path: Path, logo: str) -> Path:
    """A report-like template made in python-docx: a letterhead picture of its own, a heading, a picture variable, a
    table whose rows loop over the units, a paragraph loop, and the second picture at the end."""
    d = docx.Document()
    d.add_picture(logo, width=Mm(20))
    d.add_paragraph("BÁO CÁO {{ title }}")
    d.add_paragraph("{{ chart_units }}")
    table = d.add_table(rows=3, cols=3)
    table.rows[0].cells[0].text = "{%tr for u in units %}"
    row = table.rows[1].cells
    row[0].text, row[1].text, row[2].text = "{{ u.code }}", "{{ u.name }}", "{{ u.note }}"
    table.rows[2].cells[0].text = "{%tr endfor %}"
    d.add_paragraph("{%p for u in units %}")
    d.add_paragraph("{{ u.name }}: {{ u.note }}")
    d.add_paragraph("{%p endfor %}")
    d.add_paragraph("{{ chart_causes }}")
    d.add_paragraph("Nơi nhận: {{ title }}")
    d.save(path)
    return path


def _context(n: int) -> dict:
    return {"title": "tình hình thực hiện nhiệm vụ <năm> & cam kết",
            "units": [{"code": f"X.{i:04d}", "name": f"Đảng ủy xã Ỹ Lữ số {i}",
                       "note": f"Đạt {i}% & vượt\nDòng hai" + ("\tcột" if i % 7 == 0 else "")} for i in range(n)]}


def _docxtpl(template: Path, out: Path, context: dict, images: dict) -> None:
    """docxtpl's own render of the template (python-docx load and save), with the toolkit's Jinja environment."""
    from docxtpl import DocxTemplate, InlineImage

    tpl = DocxTemplate(str(template))
    ctx = {**context, **{k: InlineImage(tpl, v, width=Mm(150)) if v else "" for k, v in images.items()}}
    tpl.render(ctx, jinja_env=render._env(), autoescape=True)
    tpl.save(str(out))


def _canonical(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


def _defaults(types: bytes) -> list[str]:
    return re.findall(r'Extension="([^"]+)"', types.decode())


@pytest.mark.parametrize("units, chunk", [(3, render._BodyRenderer.CHUNK), (400, 4000)])
def test_the_fast_render_gives_docxtpl_s_document(tmp_path, monkeypatch, units, chunk):
    """400 units written in 4,000-character pieces: every cut falls after a paragraph, the line breaks and tabs in
    the units' notes are still resolved, the drawings are numbered in order, the pictures added once each."""
    monkeypatch.setattr(render._BodyRenderer, "CHUNK", chunk)
    logo = _png(tmp_path / "logo.png", (120, 120), "red")
    template = _template(tmp_path / "mau.docx", logo)
    images = {"chart_units": _png(tmp_path / "tinh_hinh.png", PNG_TALL, "blue"),
              "chart_causes": _png(tmp_path / "nguyen_nhan.png", PNG_WIDE, "green")}
    context = _context(units)
    fast, slow = tmp_path / "out" / "nhanh.docx", tmp_path / "out" / "docxtpl.docx"
    render.render_many([(str(template), str(fast), context, images)])  # one document: in this process
    _docxtpl(template, slow, context, images)
    taken = render._BODY[str(template)]
    assert taken.usable and taken.drawable  # the fast path rendered it

    a, b = zipfile.ZipFile(fast), zipfile.ZipFile(slow)
    assert sorted(a.namelist()) == sorted(b.namelist())
    for name in ("word/document.xml", "word/_rels/document.xml.rels"):
        assert _canonical(a.read(name)) == _canonical(b.read(name)), name
    assert _defaults(a.read("[Content_Types].xml")) == _defaults(b.read("[Content_Types].xml"))
    media = sorted(n for n in a.namelist() if n.startswith("word/media/"))
    assert len(media) == 3 and all(a.read(n) == b.read(n) for n in media)

    doc = docx.Document(str(fast))  # as Word is given it
    assert len(doc.inline_shapes) == 3
    ids = re.findall(r'<wp:docPr id="(\d+)"', a.read("word/document.xml").decode())
    assert ids == ["1001", "1002", "1003"]
    xml = a.read("word/document.xml").decode()
    assert xml.count("<w:br/>") == 2 * units and xml.count("<w:tab/>") == 2 * len(range(0, units, 7))
    assert "&lt;năm&gt; &amp; cam kết" in xml and "{{" not in xml and "{%" not in xml


def test_the_template_s_unchanging_parts_are_compressed_once_and_carried_whole(tmp_path):
    """A round writes thousands of documents from one template: its styles, theme and settings go into every one
    byte for byte and are compressed once per process; each document still holds every part of the template exactly
    once, with or without pictures, and reads as Word reads it."""
    logo = _png(tmp_path / "logo.png", (120, 120), "red")
    template = _template(tmp_path / "mau.docx", logo)
    charts = {"chart_units": _png(tmp_path / "c.png", PNG_WIDE, "blue"), "chart_causes": ""}
    outs = [tmp_path / f"ra{i}.docx" for i in range(4)]
    for i, out in enumerate(outs):
        render.render_many([(str(template), str(out), _context(i + 1),
                             charts if i % 2 else dict.fromkeys(charts, ""))])
    taken = render._BODY[str(template)]
    assert set(taken.bases) == {False, True}  # one package base with pictures, one without, each made once
    with zipfile.ZipFile(template) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    own = {"word/document.xml", "word/_rels/document.xml.rels", "[Content_Types].xml"}
    for i, out in enumerate(outs):
        with zipfile.ZipFile(out) as z:
            assert z.testzip() is None
            names = z.namelist()
            assert len(names) == len(set(names)), out  # no part twice
            added = {n for n in names if n not in parts}
            assert added == ({"word/media/image2.png"} if i % 2 else set())
            assert set(parts) <= set(names)
            assert all(z.read(n) == data for n, data in parts.items() if n not in own)
        doc = docx.Document(str(out))
        assert len(doc.inline_shapes) == 1 + i % 2
        assert f"Đảng ủy xã Ỹ Lữ số {i}: Đạt {i}% & vượt" in "\n".join(p.text for p in doc.paragraphs)


def test_a_template_without_the_picture_namespaces_is_rendered_the_slow_way(tmp_path):
    """A template whose document does not declare the drawing namespaces (a clerk's template saved by another program)
    still gets its chart, through docxtpl."""
    template = tmp_path / "mau.docx"
    with zipfile.ZipFile(_chart_template(tmp_path / "plain.docx")) as src, zipfile.ZipFile(template, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = re.sub(rb'\sxmlns:wp="[^"]+"', b"", data, count=1)
            dst.writestr(info, data)
    assert not render._BodyRenderer(template.read_bytes()).drawable
    out = tmp_path / "ra.docx"
    render.render_many([(str(template), str(out), {}, {"chart_units": _png(tmp_path / "c.png", PNG_WIDE, "blue")})])
    assert len(docx.Document(str(out)).inline_shapes) == 1


def test_a_round_without_charts_leaves_no_picture_behind(tmp_path):
    logo = _png(tmp_path / "logo.png", (120, 120), "red")
    template = _template(tmp_path / "mau.docx", logo)
    out = tmp_path / "ra.docx"
    render.render_many([(str(template), str(out), _context(2), {"chart_units": "", "chart_causes": ""})])
    with zipfile.ZipFile(out) as z:
        assert [n for n in z.namelist() if n.startswith("word/media/")] == ["word/media/image1.png"]  # the logo
    assert len(docx.Document(str(out)).inline_shapes) == 1


def test_the_year_s_round_report_carries_its_two_charts(year):  # noqa: F811 - the fixture imported above
    shipped = render._BodyRenderer(render.template_path(None, render.TEMPLATES["report"]).read_bytes())
    assert shipped.usable and shipped.drawable  # the round report is written piece by piece, never held whole
    out = year["ws"] / "rounds/2026-Y/output/van_ban"
    report = out / "bao_cao_tong_hop_2026-Y.docx"
    doc = docx.Document(str(report))
    assert len(doc.inline_shapes) == 2
    charts = {p.read_bytes() for p in (out / "_bieu_do").glob("*.png")}
    with zipfile.ZipFile(report) as z:
        media = {z.read(n) for n in z.namelist() if n.startswith("word/media/")}
        rels = z.read("word/_rels/document.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    assert media == charts and len(charts) == 2
    assert rels.count("relationships/image") == 2 and 'Extension="png"' in types
    widths = {round(s.width.mm) for s in doc.inline_shapes}
    assert widths == {150}


# --- what a clerk's own template may hold (the workspace's word/ folder) --------------------------------------

def _render_both(tmp_path, d, context, images=None):
    template = tmp_path / "mau.docx"
    d.save(template)
    fast, slow = tmp_path / "nhanh.docx", tmp_path / "docxtpl.docx"
    render.render_many([(str(template), str(fast), context, images or {})])
    _docxtpl(template, slow, context, images or {})
    return template, fast, slow


def test_a_header_tag_word_split_over_two_runs_is_filled_in(tmp_path):
    d = docx.Document()
    header = d.sections[0].header.paragraphs[0]
    header.add_run("{")  # as Word leaves a tag after an edit or a spelling mark
    header.add_run("{ office }}")
    d.add_paragraph("Kính gửi {{ office }}")
    _, fast, slow = _render_both(tmp_path, d, {"office": "Huyện ủy Trà Bồng Hạ"})
    for out in (fast, slow):
        assert [p.text for p in docx.Document(str(out)).sections[0].header.paragraphs] == ["Huyện ủy Trà Bồng Hạ"]


def test_a_table_with_column_loops_gets_as_many_grid_columns_as_cells(tmp_path):
    d = docx.Document()
    table = d.add_table(rows=2, cols=4)
    for r, body in ((0, "{{ c }}"), (1, "x")):
        cells = table.rows[r].cells
        cells[0].text, cells[1].text, cells[2].text, cells[3].text = "Đơn vị", "{%tc for c in cols %}", body, \
            "{%tc endfor %}"
    _, fast, slow = _render_both(tmp_path, d, {"cols": ["Quý I", "Quý II", "Quý III", "Quý IV", "Năm"]})
    for out in (fast, slow):
        xml = zipfile.ZipFile(out).read("word/document.xml").decode()
        cells = [row.count("<w:tc>") for row in xml.split("<w:tr")[1:]]
        assert xml.count("<w:gridCol ") == cells[0] == cells[1] == 6, out.name
    assert [c.text for c in docx.Document(str(fast)).tables[0].rows[0].cells] == \
        ["Đơn vị", "Quý I", "Quý II", "Quý III", "Quý IV", "Năm"]


def test_control_characters_that_reach_a_document_are_dropped_not_written(tmp_path):
    """Text from elsewhere than a received workbook (settings, a clerk's note) is not cleaned at intake: a \\x01
    or a \\a the listing pass cannot turn into a paragraph would make the document one Word refuses."""
    d = docx.Document()
    d.add_paragraph("{{ note }}")
    p = d.add_paragraph("Ghi chú: ")
    p.add_run("{{ other }}")
    _, fast, _ = _render_both(tmp_path, d, {"note": "a\x01b\x1fc", "other": "x\x0by"})
    xml = zipfile.ZipFile(fast).read("word/document.xml")
    etree.fromstring(xml)  # well-formed
    assert "abc" in docx_text(fast) and "xy" in docx_text(fast)


def test_what_xml_forbids_is_dropped_wherever_it_comes_from(tmp_path):
    """Deep in the data (a list of rows, a lone surrogate), or made by the template itself (a string literal's
    escape, a filter): the rendered body is cleaned, and stays well-formed."""
    (tmp_path / "made").mkdir(), (tmp_path / "deep").mkdir()
    made = docx.Document()  # clean data, the template itself makes a \v and a \x01
    made.add_paragraph('{{ x }}{{ "a\\vb" }} {{ "%c"|format(n) }}c')
    _, fast, _ = _render_both(tmp_path / "made", made, {"x": "ok", "n": 1})
    etree.fromstring(zipfile.ZipFile(fast).read("word/document.xml"))  # well-formed
    assert "okab c" in docx_text(fast)
    deep = docx.Document()
    deep.add_paragraph("{% for r in rows %}{{ r.note }}; {% endfor %}")
    _, fast, _ = _render_both(tmp_path / "deep", deep, {"rows": [{"note": "một"}, {"note": "h\x02ai"},
                                                                 {"note": "b\ud800a"}]})
    etree.fromstring(zipfile.ZipFile(fast).read("word/document.xml"))
    assert "một; hai; ba;" in docx_text(fast)
    for text in ("ok", "một\nhai\tba", "x\x1fy", "x\ufffey", "x\uffffy", "x\ud800y", "\x00", "đ\x0b"):
        long = "đ" * 5000 + text  # the long texts' quick check, against the regular expression's answer
        assert xml_safe(long) == long.replace(text, "".join(c for c in text if not text_module.has_xml_illegal(c)))


def _chart_template(path: Path) -> Path:
    """A template printing one chart, saved by python-docx."""
    d = docx.Document()
    d.add_paragraph("{{ chart_units }}")
    d.save(path)
    return path


def test_a_template_holding_an_image_named_in_capitals_gets_the_next_number(tmp_path):
    plain = _chart_template(tmp_path / "plain.docx")
    template = tmp_path / "mau.docx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(template, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("word/media/Image1.png", Path(_png(tmp_path / "x.png", (10, 10), "red")).read_bytes())
    out = tmp_path / "ra.docx"
    render.render_many([(str(template), str(out), {}, {"chart_units": _png(tmp_path / "c.png", PNG_WIDE, "blue")})])
    with zipfile.ZipFile(out) as z:
        names = [n.lower() for n in z.namelist()]
    assert len(names) == len(set(names)) and "word/media/image2.png" in names
    assert len(docx.Document(str(out)).inline_shapes) == 1


def test_an_image_the_template_does_not_print_need_not_exist(tmp_path):
    template = _chart_template(tmp_path / "mau.docx")
    out = tmp_path / "ra.docx"
    images = {"chart_units": _png(tmp_path / "c.png", PNG_WIDE, "blue"), "chart_causes": str(tmp_path / "khong_co.png")}
    render.render_many([(str(template), str(out), {}, images)])
    assert len(docx.Document(str(out)).inline_shapes) == 1


def test_documents_started_early_in_batches_come_back_in_order_and_a_bad_one_fails_in_its_turn(tmp_path):
    """`toolkit run` hands the scorecards to the render processes as soon as their data is built, a few at a time
    (RenderPool.submit: eight, fewer when there are few documents for the processes). Each path comes back in the
    order of the jobs, every document reads as Word reads it; a document whose data the template cannot print raises
    its own TemplateError when its turn comes, after the ones before it, and does not take the others of its batch
    down with it."""
    template = _template(tmp_path / "mau.docx", _png(tmp_path / "logo.png", (120, 120), "red"))
    no_charts = {"chart_units": "", "chart_causes": ""}
    jobs = [(str(template), str(tmp_path / f"phieu_{i:02d}.docx"), _context(i % 3 + 1), no_charts) for i in range(67)]
    with render.RenderPool(2, ahead=True, templates=(str(template),)) as pool:
        pool.submit(jobs)
        assert len(pool.started) == 67 and len({id(s[1]) for s in pool.started.values()}) == 9  # batches of 8
        seen = []
        assert render.render_many(jobs, lambda i, n: seen.append(i), pool=pool) == [j[1] for j in jobs]
    assert seen == list(range(68))
    for i, (_, out, _, _) in enumerate(jobs):
        assert f"Đảng ủy xã Ỹ Lữ số {i % 3}: Đạt" in docx_text(out), out

    broken = [(t, str(tmp_path / f"lan2_{i:02d}.docx"), {"units": []} if i == 10 else c, im)
              for i, (t, _, c, im) in enumerate(jobs[:24])]  # the 11th lacks the title the template prints
    seen.clear()
    with render.RenderPool(2, ahead=True, templates=(str(template),)) as pool:
        pool.submit(broken)
        with pytest.raises(render.TemplateError, match="mau.docx.*title") as raised:
            render.render_many(broken, lambda i, n: seen.append(i), pool=pool)
    assert "_render_job" in str(raised.value.__cause__)  # where it failed in the render process, for a developer
    assert seen == list(range(11))  # the ten before it were done, in order
    assert all(Path(broken[k][1]).exists() for k in (*range(10), 9, 11))  # its batch (9-11) wrote the others
    assert not Path(broken[10][1]).exists()
