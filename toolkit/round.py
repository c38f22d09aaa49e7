"""The round: one reporting period of a workspace with its forms, folders, deadline, expected units and the
task register it reads. Every stage takes a Round, so the period is parsed and the forms are chosen once.

Which forms a round has: the one named (``--form``), else the forms whose templates were issued for the
period (recorded in settings.yaml), else the forms with returns in the store for the period, else the usual
form of the period's kind (registration for a year or a term, progress for a quarter, 6, 9 months or year end).
A form is only ever used in a period of a kind its definition allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .context import Context, load_context
from .definitions.forms import Form
from .errors import ToolkitError
from .paths import safe_filename
from .periods import Period, parse_period
from .store import Store, guard_store
from .workspace.units import Unit

ROLE_ORDER = ("registration", "breakthrough", "progress", "followup")
PERIOD_KIND_LABELS = {"year": "năm", "quarter": "quý", "half": "6 tháng", "nine": "9 tháng", "yearend": "tổng kết năm",
                      "term": "nhiệm kỳ"}


@dataclass
class Round:
    ctx: Context
    period: Period
    forms: tuple[Form, ...]
    explicit: bool = False  # the form was named by the user
    _expected: dict[str, list[Unit]] = field(default_factory=dict, repr=False)

    # --- identity ---------------------------------------------------------------------------------
    @property
    def ws(self):
        return self.ctx.ws

    @property
    def code(self) -> str:
        return self.period.code

    @property
    def form(self) -> Form:
        """The round's main form (the first of its forms)."""
        return self.forms[0]

    def has(self, role: str) -> bool:
        return any(f.role == role for f in self.forms)

    def form_for(self, role: str) -> Form | None:
        return next((f for f in self.forms if f.role == role), None)

    def with_form(self, form: Form | str) -> Round:
        form = self.ctx.form(form) if isinstance(form, str) else form
        check_form_period(form, self.period)
        return Round(self.ctx, self.period, (form,), explicit=True)

    @property
    def started(self) -> bool:
        """Templates were issued for the period, or files of it were received (asked each time: a collect may
        have just received the first ones)."""
        named, stored = _issued_forms(self.ctx, self.period)
        return bool(named or stored)

    def require_started(self, what: str) -> None:
        """Refuse to report on a period nothing was issued for nor received in (a mistyped period would
        otherwise give a document that counts every unit as not reported and every task as not done)."""
        if not self.started:
            raise ToolkitError(f"Kỳ {self.code} ({self.period.label}) chưa phát hành biểu mẫu nào và chưa tiếp nhận "
                               f"tệp nào, nên chưa có gì để {what}. Kiểm tra lại kỳ (--period), hoặc tạo biểu mẫu "
                               f"trước: toolkit templates <thư mục> --form <biểu mẫu> --period {self.code}.")

    # --- time -------------------------------------------------------------------------------------
    @property
    def deadline(self) -> date:
        return self.ws.deadline(self.period)

    @property
    def preliminary(self) -> bool:
        """A classification made before the year ends (Q1, 6 and 9 months) is preliminary."""
        return self.period.kind in ("quarter", "half", "nine")

    @property
    def as_of(self) -> date:
        return self.period.end

    # --- folders ----------------------------------------------------------------------------------
    def folder(self, name: str) -> Path:
        return self.ws.round_dir(self.period, name)

    @property
    def inbox(self) -> Path:
        return self.folder("inbox")

    @property
    def outbox(self) -> Path:
        return self.folder("outbox")

    @property
    def feedback_dir(self) -> Path:
        return self.folder("feedback")

    @property
    def archive_dir(self) -> Path:
        return self.folder("archive")

    @property
    def output(self) -> Path:
        return self.folder("output")

    # --- the register -----------------------------------------------------------------------------
    @property
    def register_key(self) -> str:
        """The register this round's registrations are written to (the year, or the term itself)."""
        return self.period.register_key

    @property
    def register_keys(self) -> list[str]:
        """The registers a progress round reports on: its year, and every term that covers that year."""
        return self.ctx.calendar.register_keys(self.period)

    # --- the store --------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The session's one store handle (shared by every round of the session)."""
        return self.ctx.store

    def store_handle(self) -> nullcontext[Store]:
        """``with rnd.store_handle() as store:`` — the session's store for a block; leaving it does not close it."""
        return nullcontext(self.ctx.store)

    # --- units ------------------------------------------------------------------------------------
    def expected(self, form: Form | None = None, codes: Iterable[str] | None = None) -> list[Unit]:
        """Units that must return ``form`` in this round (see :func:`expected_units`)."""
        form = form or self.form
        if codes:
            return expected_units(self, form, codes)
        if form.id not in self._expected:
            self._expected[form.id] = expected_units(self, form)
        return self._expected[form.id]


def template_name(form: Form, unit: Unit, period: Period) -> str:
    """The file name of a unit's template for a round (the outbox holds one per unit and form)."""
    return safe_filename(f"{unit.code}_{form.slug or form.id}_{period.code}.xlsx")


def check_form_period(form: Form, period: Period) -> None:
    if form.periods and period.kind not in form.periods:
        kinds = ", ".join(PERIOD_KIND_LABELS[k] for k in form.periods)
        raise ToolkitError(f"Biểu mẫu '{form.id}' ({form.title.lower()}) không dùng cho kỳ {period.code} "
                           f"({PERIOD_KIND_LABELS[period.kind]}); biểu mẫu này dùng cho kỳ: {kinds}.")


def usual_forms(ctx: Context, period: Period) -> list[Form]:
    role = "registration" if period.kind in ("year", "term") else "progress"
    return [f for f in ctx.forms.values() if f.role == role and (not f.periods or period.kind in f.periods)]


def _sorted(forms: Iterable[Form]) -> tuple[Form, ...]:
    unique = {f.id: f for f in forms}
    return tuple(sorted(unique.values(), key=lambda f: (ROLE_ORDER.index(f.role) if f.role in ROLE_ORDER else 9, f.id)))


def open_round(workspace, period: str | Period, form_id: str | None = None, ctx: Context | None = None) -> Round:
    """The round of ``period`` in a workspace (a path, a Workspace or a Context)."""
    if ctx is None:
        ctx = workspace if isinstance(workspace, Context) else load_context(workspace)
    guard_store(ctx.store_target, ctx.ws.root)  # deleted, emptied or damaged while the archive holds returns: refused, once per command
    period = period if isinstance(period, Period) else parse_period(period)
    if form_id:
        form = ctx.form(form_id)
        check_form_period(form, period)
        return Round(ctx, period, (form,), explicit=True)
    return Round(ctx, period, _sorted(round_forms(ctx, period)))


def _issued_forms(ctx: Context, period: Period) -> tuple[list[Form], list[Form]]:
    """The forms whose templates were issued for the period, and those with files received for it."""
    fits = {f.id: f for f in ctx.forms.values() if not f.periods or period.kind in f.periods}
    entry = (ctx.ws.settings.get("periods") or {}).get(period.code) or {}
    named = [fits[i] for i in (entry.get("forms") or []) if i in fits] if isinstance(entry, dict) else []
    stored = [fits[i] for i in ctx.store.forms_with_returns(period.code) if i in fits] if ctx.has_store else []
    return named, stored


def round_forms(ctx: Context, period: Period) -> list[Form]:
    named, stored = _issued_forms(ctx, period)
    return named + stored or usual_forms(ctx, period)


def as_round(target) -> Round:
    """The Round a stage was given. A stage works in a Round opened once (:func:`open_round`), never in a path and
    a period string it would open and parse again."""
    if not isinstance(target, Round):
        raise TypeError(f"a stage takes a Round (toolkit.round.open_round), not {type(target).__name__}")
    return target


def expected_units(rnd: Round, form: Form, codes: Iterable[str] | None = None) -> list[Unit]:
    """Units that must return a form: the codes given; else the units of the kinds set for the form in
    settings.yaml (``expected_kinds``); else every unit below the top one. Progress reports are expected only
    from units that have tasks in the register the round reads; breakthrough tasks from units with leaders."""
    ctx = rnd.ctx
    kinds = (ctx.ws.settings.get("expected_kinds") or {}).get(form.id) or []
    units = ctx.registry.expected(kinds=kinds, codes=list(codes) if codes else None)
    if codes and not units:
        raise ToolkitError(f"Không có đơn vị nào có mã trong: {', '.join(codes)}.")
    if not codes and form.role == "progress":
        with_tasks = register_units(rnd)
        if with_tasks:
            units = [u for u in units if u.code in with_tasks]
    if not codes and form.role == "breakthrough":
        with_leaders = {ldr.unit for ldr in ctx.registry.leaders.values()}
        if with_leaders:
            units = [u for u in units if u.code in with_leaders]
    return sorted(units, key=lambda u: u.code)


def unregistered_units(rnd: Round, form: Form) -> list[Unit]:
    """Units that were sent the year's registration template but have no task in the round's registers (they
    never registered, or their registration was rejected): no progress template can be made for them, yet they
    are not to vanish from the round's status, its not-reported list and its report."""
    registered = register_units(rnd)
    if form.role != "progress" or not registered:
        return []
    kinds = (rnd.ctx.ws.settings.get("expected_kinds") or {}).get(form.id) or []
    asked: dict[str, Unit] = {}  # units that were sent the year's registration template
    year = parse_period(rnd.register_keys[0])
    outbox = rnd.ws.round_dir(year, "outbox")
    for reg_form in (f for f in rnd.ctx.forms.values() if f.role == "registration"):
        for unit in rnd.ctx.registry.expected(kinds=kinds):  # the units below the office, of the form's kinds
            if unit.code not in registered and (outbox / template_name(reg_form, unit, year)).exists():
                asked[unit.code] = unit
    return sorted(asked.values(), key=lambda u: u.code)


def register_units(rnd: Round) -> set[str]:
    if not rnd.ctx.has_store:
        return set()
    return {unit for key in rnd.register_keys for unit in rnd.store.register_units(key)}


__all__ = ["Round", "open_round", "as_round", "expected_units", "unregistered_units", "check_form_period",
           "round_forms"]
