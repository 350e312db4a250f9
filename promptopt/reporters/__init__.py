"""Audit reporters: one module per output format, each ``render(result, options) -> str``.

Adding a format is adding a module with a ``render`` function and one entry in ``REPORTERS``.
None of them prints ``Finding.snippet``: it may hold the secret a rule's message masks. And whatever a
reporter prints passes through ``redact`` (a rule's message may quote a line that holds a key).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..results import AuditResult
from .base import ReportOptions, RuleInfo

Reporter = Callable[[AuditResult, ReportOptions], str]


def _loaded_when_used(module: str) -> Reporter:
    """The module's `render`, imported on the first report in its format (a hook run prints one)."""

    def render(result: AuditResult, options: ReportOptions) -> str:
        return importlib.import_module(f"{__name__}.{module}").render(result, options)

    return render


REPORTERS: dict[str, Reporter] = {name: _loaded_when_used(name)
                                  for name in ("text", "concise", "json", "github", "sarif")}


def render(fmt: str, result: AuditResult, options: ReportOptions | None = None) -> str:
    """The report of `result` in format `fmt` (a key of REPORTERS)."""
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r} (choose from {', '.join(REPORTERS)})") from None
    from ..redact import redact

    return redact(reporter(result, options or ReportOptions()))


__all__ = ["REPORTERS", "ReportOptions", "RuleInfo", "render"]


def audit_options(model: str, tool_version: str, **options) -> ReportOptions:
    """The audit report's options as `promptopt audit` and the hook's quick path give them: the rule
    registry for rule metadata and the model's input price from the bundled map (None when unknown)."""
    from ..registry import get_rule

    return ReportOptions(show_fixes=True, model=model, tool_version=tool_version, rule_docs=get_rule,
                         price_per_token=_input_price(model), **options)


def _input_price(model: str) -> float | None:
    try:
        from ..cost.prices import input_price
    except ImportError:
        return None
    try:
        return input_price(model)
    except Exception:  # an unreadable or odd price map: the report says the price is unknown
        return None
