"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff.

Escaping follows @actions/core (toolkit's command.ts): data escapes ``%``, CR and LF; property
values also escape ``:`` and ``,``, which would otherwise end the value.
"""

from __future__ import annotations

from ..core import Severity
from ..results import AuditResult
from .base import ReportOptions, display_path, ordered_findings, plural

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: object) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def render(result: AuditResult, options: ReportOptions) -> str:
    lines: list[str] = []
    for file in result.files:
        path = display_path(file.path, options.root)
        if file.error:
            lines.append(command("error", f"could not audit this file: {file.error}", file=path))
            continue
        for finding in ordered_findings(file):
            loc = finding.location
            message = finding.message
            if finding.tokens_saved:
                message += f" (-{plural(finding.tokens_saved, 'token')} per request)"
            properties: dict[str, object] = {"file": path, "line": loc.line, "col": loc.column}
            if loc.end_line:
                properties.update(endLine=loc.end_line, endColumn=loc.end_column)
            properties["title"] = f"{finding.code} {finding.name}"
            lines.append(command(LEVEL[finding.severity], message, **properties))
    return "".join(line + "\n" for line in lines)
