"""Word outputs of a round, for the purpose of each of its forms: the progress report with the classification
and a scorecard per unit and per leader; a commitment per unit for registrations; the report on breakthrough
tasks given to leaders; the follow-up ("nắm, góp, kiểm") report; and for every form the list of units that have
not sent it. Letterheads follow the office's identity (office.py); figures are written the Vietnamese way
(formatting.py); nothing prints "nan" or "None".
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .. import formatting as fmt
from ..charts import chart_labels
from ..definitions.forms import Form
from ..definitions.judge import FAILED, STATES
from ..definitions.workbook import S_SETTINGS, workbook_path
from ..errors import TemplateError
from ..memory import fewer_collections
from ..paths import safe_filename
from ..register.frame import round_frame, summarise
from ..register.history import compare_with_previous
from ..round import as_round
from ..store import Store
from ..workspace.office import doc_number, missing_identity, unit_letterhead
from .pdf import to_pdf
from .render import TEMPLATES, RenderPool, lint, render_many, template_path
from .score import StoredScore, load_rules, stored_scores
from .status import SUBMISSION_STATES, form_status

PENDING = " (tạm xếp; chờ Ban Thường vụ quyết định)"  # tied at the quota's last place
AHEAD_UNITS = 50  # from this many units in the registry the render processes start before the data is built
CHART_FONTS = ["Times New Roman", "Liberation Serif", "Tinos", "Noto Serif", "DejaVu Serif"]  # preference; see charts.py


@dataclass
class ReportResult:
    folder: str
    documents: list[str] = field(default_factory=list)
    pdfs: list[str] = field(default_factory=list)
    pdf_message: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# --- the parts every document shares -------------------------------------------------------------------

def head(office: dict, kind: str, today: date | None = None, letterhead: dict | None = None) -> dict:
    """Top-left block and the place-and-date line of a document of ``kind`` (office.DOC_TYPES)."""
    today = today or date.today()
    number, suffix = doc_number(office, kind)
    lh = letterhead or {}
    place = lh.get("place") or office.get("place") or ""
    when = f"ngày {today.day:02d} tháng {today.month:02d} năm {today.year}"
    return {"parent_body": lh.get("parent_body", office.get("parent_body") or ""),
            "issuing_body": lh.get("issuing_body", office.get("issuing_body") or ""),
            "number": f"Số {number or ' ' * 8}{suffix}" if suffix else "",
            "place_date": f"{place}, {when}" if place else when.capitalize()}


def sign(office: dict) -> dict:
    return {"prefix": office.get("signer_prefix") or "", "title": office.get("signer_title") or "",
            "name": office.get("signer_name") or "", "recipients": list(office.get("recipients") or [])}


def _prepared(root, kind: str) -> str:
    try:
        return str(template_path(root, TEMPLATES[kind]))
    except TemplateError:
        return ""  # said when the document is made


def _base(rnd, kind: str) -> dict:
    office = rnd.ws.office
    return {"head": head(office, kind), "sign": sign(office), "period_label": rnd.period.label}


def _job(root, kind: str, path: Path, context: dict, images: dict | None = None):
    tpl = template_path(root, TEMPLATES[kind])
    lint(tpl, {**context, **(images or {"chart_units": "", "chart_causes": ""})})
    return (str(tpl), str(path), context, images or {})


# --- the round's documents --------------------------------------------------------------------------------

@fewer_collections
def write_reports(rnd, pdf: bool = False, progress: Callable[[int, int], None] | None = None,
                  workers: int | None = None, give_way: bool = False) -> ReportResult:
    """The round's Word documents (and their PDFs). ``give_way``: the render processes run at a lower priority, for
    a caller with a longer job beside them (`toolkit run`'s merge: see pool.lower_priority)."""
    started = time.perf_counter()
    rnd = as_round(rnd)
    rnd.require_started("xuất văn bản")
    out = rnd.output / "van_ban"
    out.mkdir(parents=True, exist_ok=True)
    root = rnd.ws.root
    jobs: list[tuple[str, str, dict, dict]] = []
    notes: list[str] = []
    many = len(rnd.ctx.registry.units) >= AHEAD_UNITS  # a document or two per unit: start the renderers now
    templates = tuple(_prepared(root, k) for k in ("scorecard", "commitment")) if many else ()
    with RenderPool(workers, ahead=many, templates=templates, give_way=give_way) as pool:
        with rnd.store_handle() as store:
            for form in rnd.forms:
                jobs.append(_not_reported(rnd, form, out, root))
                pool.submit(jobs[-1:])  # (rendered while the rest is built)
                if form.role == "progress":
                    jobs.extend(_progress_documents(rnd, store, form, out, root, pool.submit))
                elif form.role == "registration":
                    jobs.extend(_commitments(rnd, store, form, out, root, notes))
                elif form.role == "breakthrough":
                    jobs.append(_breakthrough(rnd, store, form, out, root))
                elif form.role == "followup":
                    jobs.append(_followup(rnd, store, form, out, root))
        rnd.ctx.frames.clear()  # the round's last stage: its documents' data is made, the round frame is not kept
        docs = render_many(jobs, progress, workers, pool)
    result = ReportResult(folder=str(out), documents=docs, notes=notes)
    blank = missing_identity(rnd.ws.office)
    if blank:
        book = workbook_path(rnd.ws.root)
        where = (f"ở trang '{S_SETTINGS}' của {book.name}" if book.exists()  # the office's own definitions workbook
                 else "trong settings.yaml (mục office)")
        result.notes.append("Văn bản còn để trống: " + "; ".join(blank) + f". Điền {where} hoặc bằng tay trước khi "
                            "phát hành.")
    if pdf:
        pdfs, result.pdf_message = to_pdf([Path(d) for d in docs], out / "pdf", rnd.ws.settings.get("pdf"))
        result.pdfs = [str(p) for p in pdfs]
    result.seconds = time.perf_counter() - started
    return result


def _not_reported(rnd, form: Form, out: Path, root):
    status = form_status(rnd, form, write=False)
    units = [{"name": u.name, "state": SUBMISSION_STATES[u.state],
              "contact": "\n".join(x for x in (u.head, u.email) if x)} for u in status.not_reported]
    context = {**_base(rnd, "not_reported"), "deadline": status.deadline, "as_of": date.today().strftime("%d/%m/%Y"),
               "title_line": f"đơn vị chưa gửi {form.name} {rnd.period.label}", "units": units}
    path = out / safe_filename(f"danh_sach_chua_nop_{form.slug}_{rnd.code}.docx")
    return _job(root, "not_reported", path, context)


def status_sentence(status, noun: str = "báo cáo") -> str:
    r = status.rates()
    parts = [f"Có {r['reported']}/{r['expected']} đơn vị gửi {noun} (đạt {fmt.percent(r['reporting_rate'])})"]
    if r["reported"]:
        parts[0] += f", trong đó {r['on_time']} đơn vị đúng hạn"
        if r["late"]:
            parts[0] += f", {r['late']} đơn vị nộp muộn"
    tail = []
    if r["rejected"]:
        tail.append(f"{r['rejected']} đơn vị có {noun} bị trả lại chưa gửi bản sửa")
    if r["missing"]:
        tail.append(f"{r['missing']} đơn vị chưa gửi")
    if r.get("not_registered"):
        tail.append(f"{r['not_registered']} đơn vị chưa đăng ký nhiệm vụ nên chưa có {noun}")
    return parts[0] + (("; " + ", ".join(tail) + " (danh sách kèm theo)") if tail else "") + "."


# --- progress: the report and the scorecards ----------------------------------------------------------------

def _progress_documents(rnd, store: Store, form: Form, out: Path, root,
                        start: Callable[[list], None] | None = None) -> list:
    """The report and the scorecards; the scorecards (their data built first) handed to ``start`` so that they
    are rendered while the report's tables and charts are made. The report, the longest document to render (0.45 s
    at 1,000 units; a scorecard ~3 ms), is handed over between the first half of the scorecards and the second: last
    in line it was rendered alone at the end of the run, one core idle."""
    df = round_frame(rnd, store, form)
    status = form_status(rnd, form, write=False)
    scores = stored_scores(store, rnd.code)
    cards = _scorecards(rnd, df, scores, out, root)
    half = len(cards) // 2
    if start is not None:
        start(cards[:half])
    context = progress_context(rnd, df, status, scores, store)
    chart, empty = unit_chart_data(df), df.empty
    del df  # report is the round's last stage: the frame is let go before matplotlib draws (at 3,000 units the
    rnd.ctx.frames.clear()  # drawing came on top of the frame: the stage's peak, 609 MB)
    images = _draw_charts(out / "_bieu_do", chart, context.pop("_causes_counts"), empty)
    jobs = [_job(root, "report", out / safe_filename(f"bao_cao_tong_hop_{rnd.code}.docx"), context, images)]
    if start is not None:
        start([*jobs, *cards[half:]])
    jobs.extend(cards)
    return jobs


def progress_context(rnd, df: pd.DataFrame, status, scores: list[StoredScore], store: Store | None = None) -> dict:

    prelim = rnd.preliminary
    label = rnd.period.label
    ctx = {**_base(rnd, "report"),
           "title_line": f"kết quả thực hiện nhiệm vụ trọng tâm, cam kết trách nhiệm {label}",
           "preliminary": (f"(Số liệu tính đến ngày {rnd.as_of:%d/%m/%Y}; đánh giá, xếp loại là sơ bộ)"
                           if prelim else ""),
           "intro": f"Thực hiện chế độ báo cáo định kỳ, {rnd.ws.office.get('name', '')} tổng hợp kết quả thực hiện "
                    f"nhiệm vụ trọng tâm, cam kết trách nhiệm {label} của các cơ quan, đơn vị như sau:",
           "status_sentence": status_sentence(status)}
    totals = summarise(df.assign(_all="all"), "_all")[0] if len(df) else None
    ctx["totals_sentence"] = totals_sentence(totals)
    if totals and totals["tasks"] > totals["due"]:  # tasks not yet due: say how they were judged
        from ..definitions.judge import interim_rule
        from ..definitions.rules import not_started_share

        ctx["totals_sentence"] += " " + " ".join(interim_rule(not_started_share(load_rules(rnd.ws.root))))
    ctx["changes_sentence"] = changes_sentence(rnd, store) if store is not None else ""
    ctx["comparison"] = comparison(rnd, df, store) if store is not None else []
    ctx.update(_progress_tables(df))
    ctx.update(_classification(rnd, scores, status))
    return ctx


def _progress_tables(df: pd.DataFrame) -> dict:
    """The report's tables of a progress round: by superior unit, by unit, tasks failed, causes, proposals."""
    ctx: dict = {}
    by_parent = summarise(df, "_parent_name")
    ctx["by_parent"] = [{"key": d["key"] or "(cấp cao nhất)", "tasks": d["tasks"], "due": d["due"],
                         "done_on_time": d["done_on_time"], "failed": _failed(d),
                         "rate": fmt.percent(d["due_done_rate"], empty="—")} for d in by_parent]
    names = dict(zip(df["_unit"], df["_unit_name"])) if len(df) else {}
    ctx["by_unit"] = [{"name": names.get(d["key"], d["key"]), "tasks": d["tasks"], "due": d["due"],
                       "done_on_time": d["done_on_time"], "done_late": d["done_late"], "failed": _failed(d),
                       "behind": d["behind"], "rate": fmt.percent(d["due_done_rate"], empty="—")}
                      for d in summarise(df, "_unit")]
    failed = df[df["_state"].isin(FAILED | {"not_reported"}) & df["_judged"].astype(bool)] if len(df) else df
    ctx["overdue"] = [{"title": fmt.text(r["title"]), "unit": r["_unit_name"], "deadline": fmt.day(r["deadline"]),
                       "percent": fmt.percent(r.get("percent"), 0),
                       "cause": "; ".join(x for x in (
                           fmt.text(r.get("delay_cause")) or ("Chưa báo cáo" if r["_state"] == "not_reported"
                                                              else STATES[r["_state"]]),
                           fmt.text(r.get("_pending"))) if x)}
                      for r in _records(failed, "title", "_unit_name", "deadline", "percent", "delay_cause", "_state",
                                        "_pending")]
    causes = Counter(x for x in df.get("delay_cause", pd.Series(dtype=object)).dropna() if not fmt.missing(x)) \
        if len(df) else Counter()
    ctx["causes"] = [{"cause": k, "count": v} for k, v in causes.most_common()]
    ctx["_causes_counts"] = causes.most_common()
    props = df[df["proposals"].notna()] if len(df) and "proposals" in df else df.iloc[0:0]
    ctx["proposals"] = [{"unit": r["_unit_name"], "text": fmt.text(r["proposals"])}
                        for r in _records(props, "_unit_name", "proposals") if not fmt.missing(r["proposals"])]
    return ctx


def _records(df: pd.DataFrame, *names: str) -> list[dict]:
    """``df.to_dict("records")`` of the columns a table reads, those the round has (not all 45 of the frame's: the
    same values, a fraction of the work)."""
    return df[[n for n in names if n in df]].to_dict("records")


def _classification(rnd, scores: list[StoredScore], status) -> dict:
    """The classification of the units as the report states it (sơ bộ before the year ends)."""
    prelim = rnd.preliminary
    reg = rnd.ctx.registry
    ctx: dict = {}
    rules = load_rules(rnd.ws.root)
    order = [lv["name"] for lv in rules["levels"]]
    units = sorted((s for s in scores if s.subject_kind == "unit"),
                   key=lambda s: s.rank or 0)
    ctx["classification"] = [{"rank": s.rank or i,
                              "name": reg.units[s.subject_id].name if s.subject_id in reg.units else s.subject_id,
                              "score": fmt.points(s.score),
                              "level": s.level + (PENDING if s.pending else "")}
                             for i, s in enumerate(units, 1)]
    levels = Counter(s.level for s in units)
    if levels:
        lead = "Kết quả xếp loại sơ bộ" if prelim else "Kết quả xếp loại"
        ctx["classification_summary"] = lead + ": " + "; ".join(
            f"{name}: {levels[name]} đơn vị" for name in order if levels[name]) + "."
    else:
        ctx["classification_summary"] = "Chưa chấm điểm, xếp loại kỳ này."
    unregistered = [f"{u.name} ({u.code})" for u in status.units if u.state == "not_registered"]
    if unregistered:  # named, not only counted: the committee decides on them apart
        ctx["classification_summary"] += (f" Chưa xếp loại {len(unregistered)} đơn vị chưa đăng ký nhiệm vụ: "
                                          f"{', '.join(unregistered)}; đề nghị Ban Thường vụ xem xét riêng.")
    pending = [reg.units[s.subject_id].name if s.subject_id in reg.units else s.subject_id
               for s in units if s.pending]
    ctx["pending"] = (f"Các đơn vị bằng điểm ở suất cuối cùng của mức cao nhất, đề nghị Ban Thường vụ xem xét, quyết "
                      f"định: {', '.join(pending)}.") if pending else ""
    return ctx


def _failed(d: dict) -> int:
    return d["failed"]


def totals_sentence(t: dict | None) -> str:
    if not t or not t["tasks"]:
        return "Chưa có nhiệm vụ nào được báo cáo."
    head = f"Tổng số {t['tasks']} nhiệm vụ"
    if t["dropped"]:
        head += f" (không tính {t['dropped']} nhiệm vụ được đồng ý đưa ra khỏi danh mục)"
    parts = []
    if t["due"]:
        failed = t["failed"]
        due = (f"{t['due']} nhiệm vụ đến hạn hoặc đã kết thúc trong kỳ: hoàn thành đúng hạn {t['done_on_time']}, "
               f"hoàn thành quá hạn {t['done_late']}, chưa hoàn thành {failed} (tỷ lệ hoàn thành nhiệm vụ đến hạn "
               f"{fmt.percent(t['due_done_rate'])})")
        parts.append(due)
    not_due = t["tasks"] - t["due"]
    if not_due:
        bits = [f"{t['in_progress']} đang thực hiện đúng tiến độ"]
        if t["behind"]:
            bits.append(f"{t['behind']} chậm tiến độ")
        if t["not_started"]:
            bits.append(f"{t['not_started']} chưa triển khai")
        if t["adjust"]:
            bits.append(f"{t['adjust']} có đề nghị điều chỉnh đang chờ ý kiến")
        if t["unreported_not_due"]:
            bits.append(f"{t['unreported_not_due']} chưa được báo cáo")
        parts.append(f"{not_due} nhiệm vụ chưa đến hạn: " + ", ".join(bits))
    return head + ", trong đó " + "; ".join(parts) + "."


def changes_sentence(rnd, store: Store) -> str:
    """Adjusted, added and dropped tasks of the year, as approved (see the cycle's adjustments)."""
    counts = store.adjustment_counts(rnd.register_keys)
    parts = []
    if counts.get("adjusted"):
        parts.append(f"điều chỉnh {counts['adjusted']} nhiệm vụ")
    if counts.get("added"):
        parts.append(f"bổ sung {counts['added']} nhiệm vụ")
    if counts.get("dropped"):
        parts.append(f"đưa ra khỏi danh mục {counts['dropped']} nhiệm vụ")
    sentence = ("Đến kỳ này, đã " + ", ".join(parts) + " theo đề nghị của đơn vị, có ý kiến đồng ý của "
                f"{rnd.ws.office.get('name') or 'cấp có thẩm quyền'}.") if parts else ""
    if counts.get("pending"):
        sentence += f" Còn {counts['pending']} đề nghị điều chỉnh đang chờ ý kiến."
    return sentence.strip()


def comparison(rnd, df: pd.DataFrame, store: Store) -> list[str]:
    """Sentences comparing this period with the previous one of the same year (see cycle.history)."""
    return compare_with_previous(rnd, df, store)


UNIT_CATEGORIES = [("done_on_time", "Hoàn thành đúng hạn", "#2E75B6"), ("done_late", "Hoàn thành quá hạn", "#5B9BD5"),
                   ("on_track", "Đúng tiến độ, chưa đến hạn", "#9DC3E6"),
                   ("late", "Chậm, quá hạn, chưa hoàn thành", "#C55A11"), ("not_reported", "Chưa báo cáo", "#BFBFBF")]


def unit_category(state: str, on_track: bool) -> str:
    """The one bar segment a task belongs to in the per-unit chart (a task completed late is not also late)."""
    if state in ("done_on_time", "done_late", "not_reported"):
        return state
    return "on_track" if on_track else "late"


def unit_chart_data(df: pd.DataFrame) -> list[dict]:
    """Per unit: its task count (tasks taken out of the list excluded) and how many fall in each category;
    the categories add up to the count."""
    live = df.loc[df["_state"] != "dropped", ["_unit_name", "_state", "_on_track"]] if len(df) else df  # (not a
    out = []  # copy of every column: at 3,000 units that copy made the report stage's peak)
    for name, g in (live.groupby("_unit_name", sort=True) if len(live) else []):
        cats = Counter(unit_category(s, bool(t)) for s, t in zip(g["_state"], g["_on_track"]))
        out.append({"unit": name, "tasks": len(g), **{k: int(cats[k]) for k, _, _ in UNIT_CATEGORIES}})
    return out


def _draw_charts(folder: Path, data: list[dict], causes: list[tuple[str, int]], empty: bool) -> dict[str, str]:
    """The report's charts: by unit (``data``: unit_chart_data) and the causes of delay."""
    images = {"chart_units": "", "chart_causes": ""}
    if empty and not causes:
        return images
    folder.mkdir(parents=True, exist_ok=True)
    if data:
        data = sorted(data, key=lambda d: (d["done_on_time"] + d["done_late"], d["on_track"], d["unit"]))[-30:]
        names = chart_labels([d["unit"] for d in data], 38)
        plt = _pyplot(names + [c[1] for c in UNIT_CATEGORIES] + ["Số nhiệm vụ", "Tình hình thực hiện nhiệm vụ theo đơn vị"])
        from matplotlib.ticker import MaxNLocator

        fig, ax = plt.subplots(figsize=(7.5, max(2.8, 0.3 * len(data) + 1.6)), layout="constrained")
        rows = list(range(len(data)))  # (a bar a unit, even if two names read alike once shortened)
        left = [0] * len(data)
        for key, label, color in UNIT_CATEGORIES:
            values = [d[key] for d in data]
            if any(values):
                ax.barh(rows, values, left=left, color=color, label=label)
                left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(rows, names, parse_math=False)  # a name is drawn as typed: "$" is no maths notation
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Số nhiệm vụ")
        ax.set_title("Tình hình thực hiện nhiệm vụ theo đơn vị")
        fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)  # under the axis label
        images["chart_units"] = str(folder / "tinh_hinh_thuc_hien.png")
        fig.savefig(images["chart_units"], dpi=130, bbox_inches="tight")
        plt.close(fig)
        (folder / "tinh_hinh_thuc_hien.json").write_text(json.dumps(
            {"categories": {k: label for k, label, _ in UNIT_CATEGORIES}, "font": plt.rcParams["font.family"][0],
             "units": data}, ensure_ascii=False, indent=1), encoding="utf-8")
    if causes:
        labels = chart_labels([c for c, _ in causes], 45, lines=2)[::-1]
        plt = _pyplot(labels + ["Số nhiệm vụ", "Nguyên nhân chậm tiến độ"])
        from matplotlib.ticker import MaxNLocator

        second = sum(label.count("\n") for label in labels)  # a cause on two lines takes a little more room
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(causes) + 0.15 * second + 1.2))
        rows = list(range(len(causes)))
        ax.barh(rows, [n for _, n in causes][::-1], color="#C55A11")
        ax.set_yticks(rows, labels, parse_math=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Số nhiệm vụ")
        ax.set_title("Nguyên nhân chậm tiến độ")
        fig.tight_layout()
        images["chart_causes"] = str(folder / "nguyen_nhan_cham.png")
        fig.savefig(images["chart_causes"], dpi=130)
        plt.close(fig)
    return images


def _pyplot(texts: list[str] = ()):
    """matplotlib drawing in a serif font that has every letter of ``texts`` (see charts.chart_font)."""
    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib.pyplot as plt

    from ..charts import chart_fonts

    plt.rcParams["font.family"] = chart_fonts(texts, CHART_FONTS)
    return plt


def _card_rows(df: pd.DataFrame) -> dict[str, dict[str, list[dict]]]:
    """The scorecards' task lines, by unit and by leader: each row of the round formatted once (a task shows on
    its unit's card and on its leader's), in the round's order."""
    out: dict[str, dict[str, list[dict]]] = {"unit": {}, "leader": {}}
    if df.empty:
        return out
    n = len(df)

    def column(name: str) -> list:
        return df[name].tolist() if name in df else [None] * n

    day, percent = fmt.once(fmt.day), fmt.once(lambda v: fmt.percent(v, 0))  # few distinct: formatted once each

    lines = [{"title": fmt.text(title), "deadline": day(deadline), "status": fmt.text(status),
              "percent": percent(percent_), "state": STATES.get(state, "")}
             for title, deadline, status, percent_, state in zip(df["title"].tolist(), df["deadline"].tolist(),
                                                                column("status"), column("percent"),
                                                                df["_state"].tolist())]
    out["unit"] = {k: [lines[i] for i in ix] for k, ix in df.groupby("_unit").indices.items()}
    if "leader_id" in df:
        led = df["leader_id"].notna()
        where = np.flatnonzero(led.to_numpy(dtype=bool))
        out["leader"] = {k: [lines[i] for i in where[ix]] for k, ix in df[led].groupby("leader_id").indices.items()}
    return out


def _scorecards(rnd, df: pd.DataFrame, scores: list[StoredScore], out: Path, root) -> list:
    jobs = []
    tasks_of = _card_rows(df)
    base = _base(rnd, "scorecard")
    suffix = " (sơ bộ)" if rnd.preliminary else ""
    linted = False
    tpl = template_path(root, TEMPLATES["scorecard"])
    for s in scores:
        d = s.detail
        kind = s.subject_kind
        counts = (f"Số nhiệm vụ: {d['tasks']}; đến hạn hoặc đã kết thúc trong kỳ: {d['assigned']}, trong đó hoàn thành "
                  f"đúng hạn {d['on_time']}, hoàn thành quá hạn {d.get('done_late', 0)}, chưa hoàn thành "
                  f"{d.get('failed', 0)}; chưa đến hạn: {d.get('not_due', 0)} (đúng tiến độ {d.get('on_track', 0)}, "
                  f"chậm tiến độ {d.get('behind', 0)}).")
        general = "" if d.get("general_points") is None else \
            f"; điểm tiêu chí chung {fmt.points(d['general_points'])}"
        points = (f"Số lượng {fmt.ratio(d['quantity'])}, tiến độ {fmt.ratio(d['schedule'])}, chất lượng "
                  f"{fmt.ratio(d['quality'])}; điểm kết quả nhiệm vụ {fmt.points(d['task_points'])}{general}; "
                  f"tổng điểm {fmt.points(s.score)}.")
        subject = {"id": s.subject_id, "name": d["name"], "counts": counts, "points": points,
                   "level": s.level + suffix + (PENDING if d.get("pending") else ""), "why": d["why"]}
        tasks = tasks_of[kind].get(s.subject_id, [])
        context = {**base, "title_line": f"kết quả thực hiện nhiệm vụ {rnd.period.label}{suffix}", "subject": subject,
                   "tasks": tasks, "subject_label": "Đơn vị" if kind == "unit" else "Đồng chí"}
        if not linted:
            lint(tpl, context)
            linted = True
        folder = out / ("phieu_danh_gia_don_vi" if kind == "unit" else "phieu_danh_gia_lanh_dao")
        folder.mkdir(parents=True, exist_ok=True)
        jobs.append((str(tpl), str(folder / safe_filename(f"{s.subject_id}_{rnd.code}.docx")), context, {}))
    return jobs


# --- registration: a commitment per unit ------------------------------------------------------------------

def _commitments(rnd, store: Store, form: Form, out: Path, root, notes: list[str]) -> list:
    """A commitment per unit, of its tasks the office has not refused nor sent back for correction."""
    jobs = []
    key = rnd.register_key
    registered = store.register(key)
    tasks = [t for t in registered if t.get("confirmation") not in ("refused", "revise")]
    sent_back = [f"{t['unit_code']} {t['task_code']}" for t in registered if t.get("confirmation") == "revise"]
    if sent_back:
        notes.append(f"{len(sent_back)} nhiệm vụ đang đề nghị đơn vị sửa chưa đưa vào bản cam kết ("
                     f"{', '.join(sent_back[:10])}{', …' if len(sent_back) > 10 else ''}): tiếp nhận bản sửa, xác "
                     f"nhận lại (toolkit confirm) rồi xuất lại văn bản.")
    items = store.work_items(key)
    folder = out / "ban_cam_ket"
    folder.mkdir(parents=True, exist_ok=True)
    reg = rnd.ctx.registry
    office = rnd.ws.office
    kept = {(t["unit_code"], t["task_code"]) for t in tasks}
    items = [i for i in items if (i["unit_code"], i.get("task_code")) in kept or not i.get("task_code")]
    for code in sorted({t["unit_code"] for t in tasks}):
        unit = reg.units.get(code)
        if unit is None:
            continue
        mine = [t for t in tasks if t["unit_code"] == code and t["kind"] != "Đột phá"]
        if not mine:
            continue
        lh = unit_letterhead(reg, unit, office)
        context = {"head": head(office, "commitment", letterhead=lh), "period_label": rnd.period.label,
                   "superior": superior_signer(reg, unit, office),
                   "title_line": f"thực hiện nhiệm vụ trọng tâm {rnd.period.label}", "addressee": lh["addressee"],
                   "superior_signer": lh["superior_signer"],
                   "unit": {"name": unit.name, "head_name": unit.head_name,
                            "head_title_upper": (unit.head_title or "Người đứng đầu").upper()},
                   "tasks": [{"title": t["title"], "indicator": _indicator(t), "deadline": fmt.day(t["deadline"]),
                              "leader": reg.leaders[t["leader_id"]].name if t["leader_id"] in reg.leaders else ""}
                             for t in mine],
                   "items": [{"code": i["item_code"], "description": fmt.text(i["description"]),
                              "roadmap": fmt.text(i["roadmap"]), "owner": fmt.text(i["owner"]),
                              "deadline": fmt.day(i["deadline"])} for i in items if i["unit_code"] == code]}
        jobs.append(_job(root, "commitment", folder / safe_filename(f"ban_cam_ket_{code}_{rnd.code}.docx"), context))
    return jobs


def superior_signer(reg, unit, office: dict) -> dict:
    """Who signs a commitment for the superior: the office's configured signer when the superior is the office's
    own committee (the top of the unit list), else the superior unit's head as the unit list names them."""
    parent = reg.units.get(unit.parent) if unit.parent else None
    if parent is None or not parent.parent:
        s = sign(office)
        if s["title"] or s["name"] or parent is None:
            return {"title": s["title"].upper(), "name": s["name"]}
    return {"title": (parent.head_title or "").upper(), "name": parent.head_name or ""}


def _indicator(t: dict) -> str:
    target = fmt.number(t.get("target"), 2) if not fmt.missing(t.get("target")) else ""
    return " ".join(x for x in (fmt.text(t.get("indicator")), target, fmt.text(t.get("unit_measure"))) if x)


# --- breakthrough tasks -------------------------------------------------------------------------------------

def _breakthrough(rnd, store: Store, form: Form, out: Path, root):
    df = round_frame(rnd, store, form)
    status = form_status(rnd, form, write=False)
    reg = rnd.ctx.registry
    latest = _latest_states(store, rnd)
    rows = df.sort_values(["leader_id", "_unit", "task_code"]).to_dict("records") if len(df) else []
    tasks = []
    for r in rows:
        ldr = reg.leaders.get(r.get("leader_id"))
        tasks.append({"leader": f"{ldr.name} – {ldr.title}" if ldr else fmt.text(r.get("leader_id")),
                      "title": fmt.text(r["title"]), "indicator": _indicator(r), "deadline": fmt.day(r["deadline"]),
                      "focal": fmt.text(r.get("focal_point")),
                      "state": latest.get((r["_unit"], r["task_code"]), "Chưa có báo cáo tiến độ")})
    leaders = {r.get("leader_id") for r in rows if r.get("leader_id")}
    by_area = []
    if rows:
        for area, g in df.groupby("area", dropna=False, sort=True):
            by_area.append({"area": fmt.text(area) or "(chưa rõ)", "tasks": len(g), "leaders": g["leader_id"].nunique()})
    warnings_ = [f"{t['leader']}: việc \"{t['title']}\" (thời hạn {t['deadline']}) — {t['state'][:1].lower()}"
                 f"{t['state'][1:]}." for t in tasks if t["state"].startswith(WATCHED_STATES)]  # overdue, behind...
    warnings_ += [f"{reg.units[r['unit_code']].name if r['unit_code'] in reg.units else r['unit_code']}: "
                  f"{r['message']}" for r in store.issues(form.id, rnd.code)
                  if r["code"] in ("qualitative-task", "leader-other-unit", "copied-task", "outside-period")]
    context = {**_base(rnd, "breakthrough"),
               "title_line": f"việc đột phá, đổi mới giao cho lãnh đạo {rnd.period.label}",
               "intro": f"{rnd.ws.office.get('name', '')} tổng hợp việc đột phá, đổi mới giao cho các đồng chí lãnh đạo "
                        f"{rnd.period.label} như sau:",
               "status_sentence": status_sentence(status, "đăng ký việc đột phá"),
               "totals_sentence": (f"Có {len(tasks)} việc đột phá, đổi mới giao cho {len(leaders)} đồng chí lãnh đạo "
                                   f"của {df['_unit'].nunique() if len(df) else 0} đơn vị." if tasks
                                   else "Chưa có việc đột phá, đổi mới nào được đăng ký."),
               "by_area": by_area, "tasks": tasks, "warnings": warnings_}
    return _job(root, "breakthrough", out / safe_filename(f"bao_cao_viec_dot_pha_{rnd.code}.docx"), context)


WATCHED_STATES = tuple(STATES[k] for k in ("overdue", "not_done", "behind", "not_reported", "adjust"))


def _latest_states(store: Store, rnd) -> dict[tuple[str, str], str]:
    """The most recent judged state of each task, from the progress reports received so far."""
    try:
        from ..register.history import latest_states
    except ImportError:
        return {}
    return latest_states(store, rnd)


# --- follow-up ("nắm, góp, kiểm") -----------------------------------------------------------------------------

def _followup(rnd, store: Store, form: Form, out: Path, root):
    df = round_frame(rnd, store, form)
    status = form_status(rnd, form, write=False)
    reg = rnd.ctx.registry
    rows = df.sort_values(["commune_code", "meeting_date", "cadre"]).to_dict("records") if len(df) else []

    def commune(r):
        u = reg.units.get(r.get("commune_code"))
        return u.name if u else fmt.text(r.get("commune_code"))

    def listing(col):
        return [{"commune": commune(r), "cadre": fmt.text(r.get("cadre")), "date": fmt.day(r.get("meeting_date")),
                 "text": fmt.text(r.get(col))} for r in rows if not fmt.missing(r.get(col))]

    by_commune = []
    if rows:
        for code, g in df.groupby("commune_code", sort=True):
            recs = g.to_dict("records")
            by_commune.append({"commune": commune(recs[0]), "cadres": ", ".join(sorted({fmt.text(r["cadre"]) for r in recs})),
                               "visits": len(recs),
                               "recommendations": sum(1 for r in recs if not fmt.missing(r.get("recommendations")))})
    cadre_of = {(r["_unit"], r["_row"]): fmt.text(r.get("cadre")) for r in rows}
    active = {s["id"] for s in store.submissions(form.id, rnd.code) if s["active"]}
    copies = []
    for r in store.issues(form.id, rnd.code):
        if r["code"] != "copied-report" or r["submission_id"] not in active or \
                (r["unit_code"], r["excel_row"]) not in cadre_of:
            continue  # only what the active returns say (a replaced version's copies are history)
        unit = reg.units.get(r["unit_code"])
        who = f"{unit.name if unit else r['unit_code']}, cán bộ {cadre_of[(r['unit_code'], r['excel_row'])]}"
        copies.append(f"{who} (ô {r['cell']}): {r['message']}")
    cadres = {fmt.text(r.get("cadre")) for r in rows}
    context = {**_base(rnd, "followup"),
               "title_line": f"kết quả nắm, góp, kiểm cơ sở {rnd.period.label}",
               "intro": f"{rnd.ws.office.get('name', '')} tổng hợp báo cáo nắm, góp, kiểm của cán bộ được phân công theo "
                        f"dõi cơ sở {rnd.period.label} như sau:",
               "status_sentence": status_sentence(status),
               "totals_sentence": (f"{len(cadres)} cán bộ đã dự họp, làm việc {len(rows)} lần tại {len(by_commune)} cơ sở."
                                   if rows else "Chưa có báo cáo nắm, góp, kiểm nào được tiếp nhận."),
               "by_commune": by_commune, "grasped": listing("grasped"), "contributed": listing("contributed"),
               "checked": listing("checked"), "recommendations": listing("recommendations"), "copies": copies}
    return _job(root, "followup", out / safe_filename(f"bao_cao_nam_gop_kiem_{rnd.code}.docx"), context)


__all__ = ["write_reports", "ReportResult", "head", "progress_context", "totals_sentence", "status_sentence"]
