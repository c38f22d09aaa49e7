"""The scoring rules file: templates/scoring.yaml (shipped defaults) overridden by <workspace>/scoring.yaml, loaded
and checked once. Below score.py and frame.py, which both read it (the interim rule judges tasks not yet due)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .. import resources
from ..errors import ToolkitError
from .forms import workbook_source
from .judge import NOT_STARTED_SHARE

TIE_LABELS = {"score": "điểm", "schedule": "tiến độ", "quality": "chất lượng", "quantity": "số lượng",
              "late_share": "tỷ lệ chậm"}


def deep_merge(base: dict, override: dict) -> dict:
    """``override`` laid over ``base``, table by table (settings.yaml over the defaults, scoring.yaml over the shipped rules)."""
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def shipped_rules() -> dict:
    return yaml.safe_load((resources() / "scoring.yaml").read_text(encoding="utf-8"))


def load_rules(workspace_root: Path | None = None, use_workbook: bool = True) -> dict:
    """The scoring rules: the workspace's definitions workbook (sheet 'Chấm điểm') when it has one; otherwise the
    shipped scoring.yaml with the workspace's scoring.yaml laid over it."""
    found = workbook_source(workspace_root) if use_workbook else None
    if found is not None:
        rules = copy.deepcopy(found.definitions.scoring)
        _check_rules(rules)
        return rules
    rules = shipped_rules()
    if workspace_root and (Path(workspace_root) / "scoring.yaml").is_file():
        path = Path(workspace_root) / "scoring.yaml"
        try:
            rules = deep_merge(rules, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except yaml.YAMLError as exc:
            raise ToolkitError(f"Tệp quy tắc chấm điểm {path} không hợp lệ: {exc}") from None
    _check_rules(rules)
    return rules


def _check_rules(rules: dict) -> None:
    comps = rules["components"]
    if abs(sum(comps.values()) - 1) > 1e-6:
        raise ToolkitError(f"scoring.yaml: tổng tỷ trọng components phải bằng 1 (đang là {sum(comps.values()):g}).")
    names = [lv["name"] for lv in rules["levels"]]
    for key in ("level", "of_level"):
        if rules["quota"][key] not in names:
            raise ToolkitError(f"scoring.yaml: quota.{key} '{rules['quota'][key]}' không có trong levels.")
    mins = [lv["min"] for lv in rules["levels"]]
    if mins != sorted(mins, reverse=True):
        raise ToolkitError("scoring.yaml: các mức trong levels phải xếp theo điểm tối thiểu giảm dần.")
    share = (rules.get("interim") or {}).get("not_started_share", NOT_STARTED_SHARE)
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
        raise ToolkitError(f"scoring.yaml: interim.not_started_share phải là số từ 0 đến 1 (đang là {share!r}).")
    for k in rules["quota"].get("tie_break") or []:
        if k not in TIE_LABELS:
            raise ToolkitError(f"scoring.yaml: quota.tie_break '{k}' không hợp lệ (chọn trong {sorted(TIE_LABELS)}).")


def not_started_share(rules: dict) -> float:
    """The share of a task's span that may elapse before a task reported "Chưa triển khai" is behind."""
    return float((rules.get("interim") or {}).get("not_started_share", NOT_STARTED_SHARE))


__all__ = ["TIE_LABELS", "load_rules", "not_started_share"]
