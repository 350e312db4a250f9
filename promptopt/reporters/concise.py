"""One line per finding, as ruff's concise format: ``path:line:col: CODE [*] message``."""

from __future__ import annotations

from ..results import AuditResult
from .base import ReportOptions, display_path, is_safe_fix, ordered_findings, plural


def render(result: AuditResult, options: ReportOptions) -> str:
    lines: list[str] = []
    for file in result.files:
        path = display_path(file.path, options.root)
        if file.error:
            if not options.errors_on_stderr:
                lines.append(f"{path}: error: {file.error}")
            continue
        for finding in ordered_findings(file):
            loc = finding.location
            marker = " [*]" if is_safe_fix(finding) else ""
            saved = f" (-{plural(finding.tokens_saved, 'token')})" if finding.tokens_saved else ""
            lines.append(f"{path}:{loc.line}:{loc.column}: {finding.code}{marker} {finding.message}{saved}")

    findings = result.findings
    suppressed = f" ({result.suppressed:,} suppressed by the baseline)" if result.suppressed else ""
    if findings:
        lines.append(f"Found {plural(len(findings), 'finding')}{suppressed}.")
        fixable = sum(1 for f in findings if is_safe_fix(f))
        if fixable:
            lines.append(f"[*] {fixable:,} fixable with `promptopt audit --fix`.")
    elif not result.errors:
        lines.append(f"All checks passed!{suppressed}")
    return "\n".join(lines) + "\n"
