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
