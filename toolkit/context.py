"""The session every stage works in: the workspace, its forms and its unit registry, loaded once, with the one
store handle of the session (opened on first use), the Calendar of its periods and the cached round frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .definitions.forms import Form, canonical_form_id, load_forms
from .errors import ToolkitError, WorkspaceError
from .periods import parse_period
from .store import Store, is_server, store_target
from .workspace.calendar import Calendar
from .workspace.config import Workspace
from .workspace.units import Registry, load_registry, problem_lines


@dataclass
class Context:
    ws: Workspace
    forms: dict[str, Form]
    registry: Registry
    _store: Store | None = field(default=None, repr=False)
    _calendar: tuple | None = field(default=None, repr=False)
    frames: dict = field(default_factory=dict, repr=False)  # the round frame, memoised on the store's state

    # --- the store ---------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The session's one store handle, opened (and the database created) on first use."""
        if self._store is None:
            self._store = Store(self.store_target, root=self.ws.root)
        return self._store

    @property
    def store_target(self):
        """The SQLite file of the workspace, or the PostgreSQL URL of settings.yaml's ``store``."""
        return store_target(self.ws)

    @property
    def has_store(self) -> bool:
        """Whether anything was ever stored (a read never creates a SQLite file; a server's store always is)."""
        return self._store is not None or is_server(self.store_target) or self.ws.db_path.exists()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the periods -------------------------------------------------------------------------------
    @property
    def calendar(self) -> Calendar:
        """The periods of settings.yaml and of the register, built again only when the store changed."""
        version = (self.store.version() if self.has_store else None, tuple(self.ws.settings.get("periods") or ()))
        if self._calendar is None or self._calendar[0] != version:
            stored = self.store.register_keys() if self.has_store else set()
            self._calendar = (version, Calendar.of(self.ws.settings, sorted(stored)))
        return self._calendar[1]

    def round(self, period: str):
        """The analysts' read-only view of one round: ``.rows()``, ``.scores()``, ``.submissions()``, ``.tasks()``,
        ``.adjustments()`` as pandas DataFrames (toolkit.analysis)."""
        from .analysis import RoundData

        return RoundData(self, parse_period(period))

    def form(self, form_id: str) -> Form:
        try:
            return self.forms[form_id] if form_id in self.forms else self.forms[canonical_form_id(form_id)]
        except KeyError:
            raise ToolkitError(f"Không có biểu mẫu '{form_id}'. Các biểu mẫu: {', '.join(sorted(self.forms))}.") from None


def load_context(workspace) -> Context:
    if isinstance(workspace, Workspace):
        ws = workspace
    else:
        from .definitions.schema import SettingsError

        try:
            ws = Workspace.open(Path(workspace))
        except SettingsError as exc:  # the forms' and lists' mistakes said in the same breath
            from .definitions.forms import check_forms

            raise SettingsError(exc.problems + check_forms(Path(workspace))) from None
    forms = load_forms(ws.root)
    if not ws.registry_path.exists():
        raise WorkspaceError(f"Thiếu danh sách đơn vị {ws.registry_path}.")
    registry, report = load_registry(ws.registry_path)
    if not report.ok:
        raise ToolkitError(f"Danh sách đơn vị {ws.registry_path.name} có lỗi:\n{problem_lines(report, hints=True)}")
    return Context(ws=ws, forms=forms, registry=registry)

