"""Audit reporters: one module per output format, each ``render(result, options) -> str``.

Adding a format is adding a module with a ``render`` function and one entry in ``REPORTERS``.
None of them prints ``Finding.snippet``: it may hold the secret a rule's message masks. And whatever a
reporter prints passes through ``redact`` (a rule's message may quote a line that holds a key).
"""

from __future__ import annotations

from collections.abc import Callable

from ..results import AuditResult
from . import concise, github, sarif, text
from . import json as json_reporter
from .base import ReportOptions, RuleInfo

Reporter = Callable[[AuditResult, ReportOptions], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "concise": concise.render,
    "json": json_reporter.render,
    "github": github.render,
    "sarif": sarif.render,
}


def render(fmt: str, result: AuditResult, options: ReportOptions | None = None) -> str:
    """The report of `result` in format `fmt` (a key of REPORTERS)."""
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r} (choose from {', '.join(REPORTERS)})") from None
    from ..redact import redact

    return redact(reporter(result, options or ReportOptions()))


__all__ = ["REPORTERS", "ReportOptions", "RuleInfo", "render"]
