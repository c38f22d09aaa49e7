"""The definitions a round is made of: the forms, the shared lists (with each status's meaning), the
scoring rules and the judging of a task's state. Loaded from the workspace's definitions workbook (cau_hinh.xlsx)
when it has one, else from YAML, and checked once."""

from . import workbook  # noqa: F401  (registers the workbook as the source of the forms and the scoring rules)
