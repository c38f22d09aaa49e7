"""One small function per validation rule; each yields Issues. Rules are named in the form YAML."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..definitions.judge import date_in_text
from ..definitions.vocabulary import COMPLETED
from ..formatting import number
from ..issues import Issue, Severity, make_issue
from ..periods import parse_period
from ..register.frame import as_date
from ..register.requests import ADD, missing_values
from ..text import fold
from ..workspace.calendar import period_of
from ..workspace.config import DEFAULT_SETTINGS
from .similarity import TextGroups, jaccard

if TYPE_CHECKING:  # pragma: no cover
    from .submission import ParsedSheet, Submission

_QUALITY = DEFAULT_SETTINGS["quality"]


# the fields of a registered task the checks read (Lookups.register): a check that reads another adds it here
CHECKED_TASK_FIELDS = ("title", "deadline", "baseline", "target")


class TasksByUnit:
    """unit -> task code -> CHECKED_TASK_FIELDS, as the dict it stands for is read (``get``), each unit's tasks read
    (``load(unit)``) when a file of that unit is judged and the last unit's kept: the register of 3,000 units held
    whole took 190 MB of collect."""

    def __init__(self, load: Callable[[str], dict[str, dict]]):
        self._load = load
        self._unit: str | None = None
        self._tasks: dict[str, dict] = {}

    def get(self, unit: str, default: Any = None) -> Any:
        if unit != self._unit:
            self._unit, self._tasks = unit, self._load(unit)
        return self._tasks if self._tasks else default  # a unit without tasks is no key of the dict


@dataclass
class Lookups:
    """What the rules need beyond the file itself, prepared once per collect."""

    register: dict[str, dict[str, dict]] | TasksByUnit = field(default_factory=dict)  # unit -> code -> fields
    register_codes: set[str] = field(default_factory=set)
    titles: TextGroups = field(default_factory=lambda: TextGroups(_QUALITY["similar_title_threshold"]))
    reports: TextGroups = field(default_factory=lambda: TextGroups(_QUALITY["copied_report_threshold"]))
    previous: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (unit, key) -> (period, text)
    # (unit, task) -> (period label, status, percent, actual) of the unit's latest earlier accepted report
    last_values: dict[tuple[str, str], tuple[str, Any, Any, Any]] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)
    parents: dict[tuple[str, str], str] = field(default_factory=dict)  # (unit, folded task code) -> folded parent
    # folded task code -> units holding a task of that code or a task cascaded from it (who a cascade can skip)
    cascade: dict[str, set[str]] = field(default_factory=dict)

    def add_parent(self, unit: str, code: str, parent: str) -> None:
        """Record a task's (folded) code and parent code."""
        self.parents[(unit, code)] = parent
        for key in (code, parent):
            if key:
                self.cascade.setdefault(key, set()).add(unit)


def _issue(sub: Submission, code: str, ps: ParsedSheet, cell: str = "", row: int | None = None, **kw) -> Issue:
    return make_issue(code, file=sub.file_name, unit=sub.unit.code if sub.unit else "", sheet=ps.name,
                      cell=cell, row=row, **kw)


def required(sub, ps) -> Iterator[Issue]:
    for col in ps.spec.columns:
        if not col.required or col.name not in ps.columns:
            continue
        for row in ps.rows:
            if row.values.get(col.name) is None and _blank(row.raw.get(col.name)) and col.name not in row.formulas:
                yield _issue(sub, "missing-value", ps, ps.cell(row, col.name), row.excel_row, title=col.title)


def unique_keys(sub, ps) -> Iterator[Issue]:
    for key in ps.spec.key:
        if key not in ps.columns:
            continue
        seen: dict[str, int] = {}
        for row in ps.rows:
            value = row.values.get(key)
            if value is None:
                continue
            k = fold(value)
            if k in seen:
                yield _issue(sub, "duplicate-key", ps, ps.cell(row, key), row.excel_row, value=value,
                             other_row=seen[k], title=ps.spec.column(key).title)
            else:
                seen[k] = row.excel_row


def date_order(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    col, after = rule["column"], rule["after"]
    for row in ps.rows:
        a, b = row.values.get(col), row.values.get(after)
        if isinstance(a, date) and isinstance(b, date) and a < b:
            yield _issue(sub, "date-order", ps, ps.cell(row, col), row.excel_row,
                         title=ps.spec.column(col).title, value=a.strftime("%d/%m/%Y"),
                         other_title=ps.spec.column(after).title, other=b.strftime("%d/%m/%Y"))


def within_period(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    col = rule["column"]
    period = sub.period
    if period is None:
        return
    if sub.form.role in ("registration", "breakthrough"):
        period = parse_period(period.register_key)
    label = period.label
    for row in ps.rows:
        d = row.values.get(col)
        if isinstance(d, date) and not period.contains(d):
            yield _issue(sub, "outside-period", ps, ps.cell(row, col), row.excel_row,
                         title=ps.spec.column(col).title, value=d.strftime("%d/%m/%Y"), period_label=label,
                         start=period.start.strftime("%d/%m/%Y"), end=period.end.strftime("%d/%m/%Y"))


def measurable(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    phrases = sorted((fold(p) for p in ctx.ws.settings["quality"]["generic_phrases"]), key=len, reverse=True)
    for row in ps.rows:
        title = row.values.get(rule["title"]) or ""
        if not title:
            continue
        indicator, target = row.values.get(rule["indicator"]), row.values.get(rule["target"])
        missing = []
        # a formula with no computed value is reported as such (formula-no-value): the unit did give a value
        if not indicator and rule["indicator"] not in row.formulas:
            missing.append("thiếu chỉ tiêu đo lường")
        if target is None and _blank(row.raw.get(rule["target"])) and rule["target"] not in row.formulas:
            missing.append("thiếu giá trị mục tiêu")
        if missing:
            where = rule["indicator"] if not indicator else rule["target"]
            yield _issue(sub, "qualitative-task", ps, ps.cell(row, where), row.excel_row,
                         title_text=title, detail=", ".join(missing))
            folded = fold(title)
            phrase = next((p for p in phrases if folded.startswith(p)), None)
            if phrase and not re.search(r"\d", title):
                yield _issue(sub, "generic-wording", ps, ps.cell(row, rule["title"]), row.excel_row,
                             phrase=" ".join(title.split()[: len(phrase.split())]))


NEAR_DUPLICATE_RULES = ("similar-across-units", "copied-text")


def compared_folds(sub) -> dict[str, str]:
    """The folded keys of the texts a file's near-duplicate rules compare (its report texts, its task titles), made
    where the file is read: collect's workers, while the collector checks the files one after another (folding
    60,000 texts of a 1,000-unit round takes it ~0.9 s). See text.known_folds."""
    out: dict[str, str] = {}
    for spec in sub.form.sheets if sub.form is not None else ():
        ps = sub.sheets.get(spec.id)
        columns = {rule["column"] for rule in spec.rules if rule["rule"] in NEAR_DUPLICATE_RULES} if ps else ()
        for col in columns:
            for row in ps.rows:
                value = row.values.get(col)
                if value.__class__ is str and value and value not in out:
                    out[value] = fold(value)
    return out


def similar_across_units(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """Titles near (lk.titles' threshold) those of other units accepted before this file in the round. With a
    ``parent`` column, a task cascaded from a superior task is not a copy of that task nor of the other tasks
    cascaded from it (the district's "Kết nạp 10 đảng viên mới" taken up word for word by every commune)."""
    col, parent_col = rule["column"], rule.get("parent")
    for row in ps.rows:
        title = row.values.get(col)
        if not title or len(fold(title).split()) < 4:
            continue
        skip, related = None, None
        if parent_col:  # only units in this task's cascade can have uses to skip: others take the fast path
            code, parent = fold(row.values.get("task_code") or ""), fold(row.values.get(parent_col) or "")
            related = lk.cascade.get(code, set()) | lk.cascade.get(parent, set())
            skip = _cascade(lk, code, parent) if related else None
        hits = lk.titles.similar(title, exclude_owner=sub.unit.code, skip=skip, related=related)
        if hits:
            names = ", ".join(lk.unit_names.get(owner, owner) for owner, _, _ in hits.first)
            more = hits.count - len(hits.first)
            yield _issue(sub, "copied-task", ps, ps.cell(row, col), row.excel_row,
                         similarity=round(hits.similarity * 100),
                         others=names + (f" và {more} đơn vị khác" if more > 0 else ""))


def _cascade(lk, code: str, parent: str):
    """Whether another unit's task (owner, code) belongs to the same cascade as this one: it is this task's
    parent, a task cascaded from the same parent, or a task cascaded from this one."""
    def same_cascade(owner: str, label: str) -> bool:
        theirs = lk.parents.get((owner, fold(label)), "")
        return bool((parent and (fold(label) == parent or theirs == parent)) or (code and theirs == code))
    return same_cascade


def parent_exists(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    col = rule["column"]
    own = {fold(r.values.get("task_code")) for r in ps.rows if r.values.get("task_code")}
    known = {fold(c) for c in lk.register_codes} | own
    if not lk.register_codes:
        return  # nothing registered above yet: cannot check the cascade
    for row in ps.rows:
        parent = row.values.get(col)
        if parent and fold(parent) not in known:
            yield _issue(sub, "parent-unknown", ps, ps.cell(row, col), row.excel_row, value=parent)


def ref_exists(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    target = sub.sheets.get(rule["sheet"])
    if target is None:
        return
    codes = {fold(r.values.get(rule["ref"])) for r in target.rows if r.values.get(rule["ref"])}
    for row in ps.rows:
        value = row.values.get(rule["column"])
        if value and fold(value) not in codes:
            yield _issue(sub, "task-unknown", ps, ps.cell(row, rule["column"]), row.excel_row, value=value)


def status_percent(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    s_col, p_col = rule["status"], rule["percent"]
    meaning = _meaning(ps, s_col)
    col = next((c for c in ps.spec.columns if c.name == s_col), None)
    done = [w for w, m in (col.meanings if col is not None else ()) if m in COMPLETED]  # the office's own words
    words = {"done": done[0] if done else "…", "done_words": " hoặc ".join(f"'{w}'" for w in done) or "…"}
    for row in ps.rows:
        status, pct = row.values.get(s_col), row.values.get(p_col)
        if status is None or pct is None:
            continue
        if meaning(status) in COMPLETED and pct < 100:
            yield _issue(sub, "status-percent", ps, ps.cell(row, p_col), row.excel_row,
                         detail=f"Tình trạng '{status}' nhưng chỉ đạt {pct:g}%.", **words)
        elif meaning(status) not in COMPLETED and pct >= 100 and meaning(status) != "adjust":
            yield _issue(sub, "status-percent", ps, ps.cell(row, s_col), row.excel_row,
                         detail=f"Đã đạt {pct:g}% nhưng tình trạng là '{status}'.", **words)


def completed_date(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """'Hoàn thành' without a completion date on a task due within the period: the date is taken from the result
    text when it gives one (and the task judged by it), else the task cannot be counted on time."""

    s_col, d_col = rule["status"], rule["column"]
    meaning = _meaning(ps, s_col)
    as_of = sub.period.end if sub.period else None
    register = lk.register.get(sub.unit.code, {}) if sub.unit else {}
    for row in ps.rows:
        status = row.values.get(s_col)
        if meaning(status) not in COMPLETED or row.values.get(d_col) is not None or as_of is None:
            continue
        code = str(row.values.get("task_code") or "")
        task = register.get(code) or {}
        deadline = as_date(task.get("deadline")) or as_date(row.values.get(rule.get("deadline", "deadline")))
        if deadline is None or deadline > as_of:
            continue  # finished before a deadline still to come: on time whatever the day
        found = date_in_text(row.values.get(rule.get("results", "results")), as_of.year, as_of)
        if found is None:
            detail = (f"thời hạn {deadline:%d/%m/%Y} nên không xác định được là đúng hạn: được tính là hoàn thành "
                      f"quá hạn")
        elif found > deadline:
            detail = (f"theo nội dung báo cáo, hoàn thành ngày {found:%d/%m/%Y}, sau thời hạn {deadline:%d/%m/%Y}: "
                      f"được tính là hoàn thành quá hạn")
        else:
            detail = f"theo nội dung báo cáo, hoàn thành ngày {found:%d/%m/%Y}, trong thời hạn {deadline:%d/%m/%Y}"
        yield _issue(sub, "completed-date-missing", ps, ps.cell(row, d_col), row.excel_row,
                     task=task.get("title") or row.values.get("title") or code, status=status, detail=detail)


def required_when(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    col, when, values = rule["column"], rule["when"], set(rule["values"])
    if col not in ps.columns:
        return
    folded = {fold(str(v)) for v in values}
    spec = ps.spec.column(col)
    for row in ps.rows:
        value = row.values.get(when)
        if value is not None and (value in values or fold(str(value)) in folded) and row.values.get(col) is None \
                and _blank(row.raw.get(col)):
            if spec.type == "choice":
                yield _issue(sub, "delay-cause-missing", ps, ps.cell(row, col), row.excel_row,
                             status=value, title=spec.title)
            else:  # a "required if" of the definitions workbook on another kind of column
                yield _own_issue(sub, ps, rule, row, col, f"'{ps.spec.column(when).title}' là '{value}' nên phải "
                                                          f"điền '{spec.title}'.")


# --- rules office staff write in the definitions workbook (no code): their message, fix and severity are theirs ---

_OPS = {"=": lambda a, b: a == b, "≠": lambda a, b: a != b, "<": lambda a, b: a < b, "≤": lambda a, b: a <= b,
        ">": lambda a, b: a > b, "≥": lambda a, b: a >= b}
_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


def _own_issue(sub, ps, rule, row, column: str, default: str) -> Issue:
    return _issue(sub, "definition-rule", ps, ps.cell(row, column), row.excel_row,
                  severity=_SEVERITY[rule.get("severity", "error")], detail=rule.get("message") or default,
                  help=rule.get("fix") or "")


def _comparable(a, b):
    """Two cell values in one kind (numbers, dates, folded text), or None when they cannot be compared."""
    if isinstance(a, datetime):
        a = a.date()
    if isinstance(b, datetime):
        b = b.date()
    if _num(a) is not None and _num(b) is not None:
        return _num(a), _num(b)
    if isinstance(a, date) and isinstance(b, date):
        return a, b
    if isinstance(b, date) and isinstance(a, str):
        return (as_date(a), b) if as_date(a) else None
    if isinstance(a, str) and isinstance(b, str):
        return fold(a), fold(b)
    if isinstance(a, (int, float)) and isinstance(b, str):
        try:
            return float(a), float(b.replace(",", "."))
        except ValueError:
            return None
    return None


def compare(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """A column against another column or a constant (=, ≠, <, ≤, >, ≥); rows where either side is empty pass."""
    col, op = rule["column"], _OPS[rule["op"]]
    for row in ps.rows:
        a = row.values.get(col)
        b = row.values.get(rule["other"]) if "other" in rule else rule.get("value")
        pair = _comparable(a, b) if a is not None and b is not None else None
        if pair is not None and not op(*pair):
            other = ps.spec.column(rule["other"]).title if "other" in rule else _fmt_value(b)
            yield _own_issue(sub, ps, rule, row, col, f"'{ps.spec.column(col).title}' phải {rule['op']} {other}.")


def one_of_two(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """At least one of two columns is filled on every row that has anything."""
    col, other = rule["column"], rule["other"]
    for row in ps.rows:
        if all(row.values.get(c) is None and _blank(row.raw.get(c)) for c in (col, other)):
            yield _own_issue(sub, ps, rule, row, col, f"Cần điền '{ps.spec.column(col).title}' hoặc "
                                                      f"'{ps.spec.column(other).title}'.")


def in_range(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """A number within [min, max] (either bound may be left out)."""
    col, lo, hi = rule["column"], rule.get("min"), rule.get("max")
    for row in ps.rows:
        v = _num(row.values.get(col))
        if v is not None and ((lo is not None and v < float(lo)) or (hi is not None and v > float(hi))):
            yield _own_issue(sub, ps, rule, row, col, f"'{ps.spec.column(col).title}' phải từ "
                             f"{_fmt_value(lo) if lo is not None else '…'} đến {_fmt_value(hi) if hi is not None else '…'}.")


def _fmt_value(v) -> str:
    if isinstance(v, (date, datetime)):
        return v.strftime("%d/%m/%Y")
    return number(v) if _num(v) is not None else f"'{v}'"


def _with_own_words(fn):
    """A built-in rule whose row of the definitions workbook gives its own severity, message or fix."""
    def run(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
        if not any(k in rule for k in ("severity", "message", "fix")):
            yield from fn(sub, ps, rule, ctx, lk)
            return
        for issue in fn(sub, ps, rule, ctx, lk):
            if "severity" in rule:
                issue.severity = _SEVERITY[rule["severity"]]
            if rule.get("message"):
                issue.message = rule["message"]
            if rule.get("fix"):
                issue.hint = rule["fix"]
            yield issue
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def register_complete(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    col = rule["column"]
    registered = lk.register.get(sub.unit.code)
    if not registered:
        return
    by_fold = {fold(k): k for k in registered}
    listed = set()
    for row in ps.rows:
        code = row.values.get(col)
        if not code:
            continue
        real = by_fold.get(fold(code))
        if real is None:
            yield _issue(sub, "task-unknown", ps, ps.cell(row, col), row.excel_row, value=code)
        else:
            listed.add(real)
            row.values[col] = real
    for code, task in registered.items():
        if code not in listed:
            yield _issue(sub, "task-missing", ps, value=code, title_text=task.get("title") or "")


def copied_text(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """A report's text near the same subject's (``key``: a task, or the cadre of a follow-up report) text of an
    earlier period, another subject's text in the same file (``within_file``), or another unit's this round.
    ``subject`` names what the key is in messages ("cán bộ"); without it the key is a task."""
    q = ctx.ws.settings["quality"]
    threshold, min_len = q["copied_report_threshold"], q["copied_report_min_length"]
    col, key, subject = rule["column"], rule["key"], rule.get("subject")
    within = TextGroups(threshold) if rule.get("within_file") else None

    def who(k: str) -> str:
        return f"{subject} {k}" if subject and k else ""

    for row in ps.rows:
        text = row.values.get(col)
        if not text or len(text) < min_len:
            continue
        k = str(row.values.get(key) or "").strip()
        prev = lk.previous.get((sub.unit.code, fold(k)))
        if prev and not subject and _finished_before(lk, sub.unit.code, k, row.values.get("status"),
                                                     _meaning(ps, "status")):
            prev = None  # a task finished earlier and reported finished again: the same result is no copy
        found = None
        if prev and jaccard(text, prev[1]) >= threshold:
            own = f"của chính {who(k)}" if subject else "của chính nhiệm vụ này"
            found = (jaccard(text, prev[1]), f"báo cáo {_label(prev[0])} {own}")
        if found is None and within is not None:
            hits = within.similar(text, exclude_owner=fold(k), first=1)
            if hits:
                found = (hits.similarity, f"báo cáo của {who(hits.first[0][1]) or 'dòng khác'} trong cùng tệp")
        if found is None:
            hits = lk.reports.similar(text, exclude_owner=sub.unit.code, first=1)
            if hits:
                owner, label, sim = hits.first[0]
                found = (sim, f"báo cáo của {lk.unit_names.get(owner, owner)} ({who(label) or label})")
        if within is not None:
            within.add(fold(k), k, text)
        if found:
            yield _issue(sub, "copied-report", ps, ps.cell(row, col), row.excel_row, similarity=round(found[0] * 100),
                         source=found[1])


def progress_trend(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """Against the unit's own latest earlier report of the year: percent or cumulative actual value going down,
    a task reported done then not done."""
    status_col, pct_col, actual_col = rule["status"], rule["percent"], rule.get("actual")
    meaning = _meaning(ps, status_col)
    titles = {c.name: c.title for c in ps.spec.columns}  # as the office titled them
    note_title = titles.get("difficulties") or titles.get("results") or "…"
    for row in ps.rows:
        code = row.values.get("task_code")
        last = lk.last_values.get((sub.unit.code, str(code or "")))
        if not last:
            continue
        label, old_status, old_pct, old_actual = last
        status, pct = row.values.get(status_col), row.values.get(pct_col)
        if meaning(old_status) in COMPLETED and status and meaning(status) not in COMPLETED \
                and meaning(status) != "adjust":
            yield _issue(sub, "progress-done-undone", ps, ps.cell(row, status_col), row.excel_row, task=code,
                         old=old_status, new=status, period_label=label,
                         results_title=titles.get("results") or note_title)
        elif _num(pct) is not None and _num(old_pct) is not None and _num(pct) < _num(old_pct):
            yield _issue(sub, "progress-percent-down", ps, ps.cell(row, pct_col), row.excel_row,
                         old=_fmt(old_pct), new=_fmt(pct), period_label=label, note_title=note_title)
        if actual_col:
            new, old = _num(row.values.get(actual_col)), _num(old_actual)
            task = lk.register.get(sub.unit.code, {}).get(str(code or "")) or {}
            base, target = _real(task.get("baseline")), _real(task.get("target"))
            falling = base is not None and target is not None and target < base  # e.g. a poverty rate 11,2 -> 8,5
            if new is not None and old is not None and falling and new > old:
                yield _issue(sub, "progress-actual-up", ps, ps.cell(row, actual_col), row.excel_row,
                             old=_fmt(old), new=_fmt(new), period_label=label, baseline=_fmt(base),
                             target=_fmt(target), note_title=note_title)
            elif new is not None and old is not None and not falling and new < old:
                yield _issue(sub, "progress-actual-down", ps, ps.cell(row, actual_col), row.excel_row,
                             old=_fmt(old), new=_fmt(new), period_label=label)


def adjust_request(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """A task whose status means an adjustment is requested ("Đề nghị điều chỉnh") has a request on the requests
    sheet."""
    other = sub.sheets.get(rule["sheet"])
    asked = {fold(str(r.values.get("task_code") or "")) for r in (other.rows if other else [])}
    name = next((s.name for s in sub.form.sheets if s.id == rule["sheet"]), rule["sheet"])
    meaning = _meaning(ps, rule["status"])
    for row in ps.rows:
        code = row.values.get("task_code")
        if meaning(row.values.get(rule["status"])) == "adjust" and fold(str(code or "")) not in asked:
            yield _issue(sub, "adjust-no-request", ps, ps.cell(row, rule["status"]), row.excel_row, task=code,
                         sheet_name=name)


def adjust_values(sub, ps, rule, ctx, lk) -> Iterator[Issue]:
    """Each request names a task of the unit's register (a new code for an addition) and its new values."""
    registered = {fold(k): k for k in lk.register.get(sub.unit.code, {})}
    for row in ps.rows:
        code, kind = row.values.get("task_code"), row.values.get(rule["column"])
        if not code or not kind:
            continue
        known = registered.get(fold(str(code)))
        if kind == ADD and known:
            yield _issue(sub, "adjust-code-exists", ps, ps.cell(row, "task_code"), row.excel_row, value=code)
        elif kind != ADD and registered and not known:
            yield _issue(sub, "adjust-task-unknown", ps, ps.cell(row, "task_code"), row.excel_row, value=code)
        elif known:
            row.values["task_code"] = known
        for col in missing_values(row.values):
            yield _issue(sub, "adjust-missing-value", ps, ps.cell(row, col), row.excel_row, change=kind, task=code,
                         title=ps.spec.column(col).title.lower())


def _label(code: str) -> str:
    p = period_of(code)
    return p.label if p else f"kỳ {code}"


def _finished_before(lk: Lookups, unit: str, code: str, status: Any, meaning: Callable[[Any], str | None]) -> bool:
    """The task was reported finished in the unit's latest earlier report and is reported finished now."""
    last = lk.last_values.get((unit, code))
    return bool(last) and meaning(last[1]) in COMPLETED and meaning(status) in COMPLETED


def _meaning(ps: ParsedSheet, column: str) -> Callable[[Any], str | None]:
    """What a value of a choice column means, from the definitions (lists.yaml)."""
    col = next((c for c in ps.spec.columns if c.name == column), None)
    return col.meaning if col is not None else (lambda value: None)


def _real(v) -> float | None:
    """A register value (stored as a number, or as text by older versions) as a number."""
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return _num(v)


def _num(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _fmt(v) -> str:
    return number(v)


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


GLOBAL_RULES = {"similar-across-units", "parent-exists", "register-complete", "copied-text", "progress-trend",
                "completed-date",
                "adjust-request", "adjust-values"}

RULES = {
    "date-order": date_order,
    "within-period": within_period,
    "measurable": measurable,
    "similar-across-units": similar_across_units,
    "parent-exists": parent_exists,
    "ref-exists": ref_exists,
    "status-percent": status_percent,
    "completed-date": completed_date,
    "required-when": required_when,
    "register-complete": register_complete,
    "copied-text": copied_text,
    "progress-trend": progress_trend,
    "adjust-request": adjust_request,
    "adjust-values": adjust_values,
}
RULES = {name: _with_own_words(fn) for name, fn in RULES.items()}
RULES.update({"compare": compare, "one-of-two": one_of_two, "range": in_range})
