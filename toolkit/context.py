"""What every stage needs: the workspace, its forms and its unit registry, loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import Workspace
from .errors import ToolkitError, WorkspaceError
from .forms import Form, canonical_form_id, load_forms
from .units import Registry, load_registry


@dataclass
class Context:
    ws: Workspace
    forms: dict[str, Form]
    registry: Registry

    def form(self, form_id: str) -> Form:
        try:
            return self.forms[form_id] if form_id in self.forms else self.forms[canonical_form_id(form_id)]
        except KeyError:
            raise ToolkitError(f"Không có biểu mẫu '{form_id}'. Các biểu mẫu: {', '.join(sorted(self.forms))}.") from None


def load_context(workspace) -> Context:
    if isinstance(workspace, Workspace):
        ws = workspace
    else:
        from .schema import SettingsError

        try:
            ws = Workspace.open(Path(workspace))
        except SettingsError as exc:  # the forms' and lists' mistakes said in the same breath
            from .forms import check_forms

            raise SettingsError(exc.problems + check_forms(Path(workspace))) from None
    forms = load_forms(ws.root)
    if not ws.registry_path.exists():
        raise WorkspaceError(f"Thiếu danh sách đơn vị {ws.registry_path}.")
    registry, report = load_registry(ws.registry_path)
    if not report.ok:
        lines = "\n".join(f"  - {i.sheet}!{i.cell}: {i.message} {i.hint}" for i in report.errors)
        raise ToolkitError(f"Danh sách đơn vị {ws.registry_path.name} có lỗi:\n{lines}")
    return Context(ws=ws, forms=forms, registry=registry)

