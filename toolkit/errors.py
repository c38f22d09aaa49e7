"""Exceptions for tool and configuration faults only (bad data is reported as Issues)."""


class ToolkitError(Exception):
    """A fault the user can fix in the configuration or the command (message in Vietnamese)."""


class PeriodError(ToolkitError, ValueError):
    """A reporting period that does not parse."""


class FormDefinitionError(ToolkitError):
    """A form definition (YAML) with mistakes; ``problems`` lists each with its exact path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Định nghĩa biểu mẫu có lỗi:\n" + "\n".join(f"  - {p}" for p in problems))


class WorkspaceError(ToolkitError):
    """A missing or damaged workspace."""


class TemplateError(ToolkitError):
    """A Word template that cannot be rendered (missing variables, broken file)."""


class WorkerError(ToolkitError):
    """Worker processes that read received files could not start (a fault of the installation, not of a file)."""
