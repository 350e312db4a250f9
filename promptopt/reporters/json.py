"""Machine-readable report; the shape is documented in docs/json-format.md (bump VERSION on change)."""

from __future__ import annotations

from typing import Any

from ..core import Finding, Fix, Location
from ..results import AuditResult, FileResult
from .base import (
    ReportOptions,
    count_by_severity,
    display_path,
    dollars_per_1k_requests,
    is_safe_fix,
    is_unsafe_fix,
    monthly_dollars,
    ordered_findings,
    tally_by_rule,
)
from .indented_json import dumps_indented

VERSION = 1


def render(result: AuditResult, options: ReportOptions) -> str:
    return dumps_indented(report_dict(result, options)) + "\n"


def report_dict(result: AuditResult, options: ReportOptions) -> dict[str, Any]:
    return {
        "version": VERSION,
        "promptopt_version": options.tool_version or None,
        "model": options.model_name(result),
        "encoding": result.encoding.encoding,
        "estimate": result.encoding.estimate,
        "files": [_file(file, options) for file in result.files],
        "summary": _summary(result, options),
    }


def _file(file: FileResult, options: ReportOptions) -> dict[str, Any]:
    return {
        "path": display_path(file.path, options.root),
        "tokens": file.tokens,
        "tokens_saved": file.tokens_saved,
        "error": file.error,
        "findings": [_finding(f) for f in ordered_findings(file)],
        "token_map": _token_map(file, options),
    }


def _token_map(file: FileResult, options: ReportOptions) -> dict[str, Any]:
    """Every section's tokens, share of the file and input dollars (per 1k requests, and per month at
    the configured volume); `role` is the document model's role holding most of the section (null for an empty one)."""
    from ..tokenmap import by_role

    price, volume = options.known_price(), options.volume(file.path)

    def share(tokens: int) -> float | None:
        return round(tokens / file.tokens, 4) if file.tokens else None

    def money(tokens: int) -> dict[str, float | None]:
        return {"dollars_per_1k_requests": _money(dollars_per_1k_requests(tokens, price)),
                "dollars_per_month": _money(monthly_dollars(tokens, price, volume))}

    return {
        "requests_per_month": volume,
        "sections": [
            {"section": s.section, "document": s.document or None, "line": s.line, "end_line": s.end_line,
             "tokens": s.tokens, "share": share(s.tokens), **money(s.tokens), "role": s.role}
            for s in file.sections
        ],
        "by_role": [{"role": role, "tokens": tokens, "share": share(tokens), **money(tokens)}
                    for role, tokens in by_role(file.sections)],
    }


def _location(loc: Location) -> dict[str, int]:
    return {"line": loc.line, "column": loc.column, "end_line": loc.end_line, "end_column": loc.end_column}


def _finding(finding: Finding) -> dict[str, Any]:
    # Finding.snippet is left out on purpose: it may hold the very secret a message masks.
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": str(finding.severity),
        **_location(finding.location),
        "message": finding.message,
        "tokens_saved": finding.tokens_saved,
        "fix": _fix(finding.fix),
        "related": [_location(r) for r in finding.related],
        "document": finding.document or None,
    }


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "title": fix.title,
        "edits": [
            {"start": e.span.start, "end": e.span.end, "replacement": e.replacement} for e in fix.edits
        ],
    }


def _money(amount: float | None) -> float | None:
    return None if amount is None else round(amount, 6)


def _summary(result: AuditResult, options: ReportOptions) -> dict[str, Any]:
    findings = result.findings
    price = options.known_price()
    return {
        "files": len(result.files),
        "files_with_errors": len(result.errors),
        "tokens": result.tokens,
        "tokens_saved": result.tokens_saved,
        "findings": len(findings),
        "suppressed_by_baseline": result.suppressed,
        "by_severity": count_by_severity(findings),
        "by_rule": [
            {"code": t.code, "name": t.name, "count": t.count, "tokens_saved": t.tokens_saved}
            for t in tally_by_rule(findings)
        ],
        "fixable": {
            "safe": sum(1 for f in findings if is_safe_fix(f)),
            "unsafe": sum(1 for f in findings if is_unsafe_fix(f)),
        },
        "price_per_token": price,
        "dollars_per_1k_requests": _money(dollars_per_1k_requests(result.tokens, price)),
        "dollars_saved_per_1k_requests": _money(dollars_per_1k_requests(result.tokens_saved, price)),
        "exit_code": result.exit_code,
    }
