"""SARIF 2.1.0, the format GitHub code scanning and most IDE viewers read.

Columns are Python string offsets + 1, so the run declares ``columnKind: unicodeCodePoints``; region
ends are exclusive (the column after the last character), as SARIF defines them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..core import Finding, Location, Severity
from ..results import AuditResult
from .base import ReportOptions, RuleInfo, display_path, ordered_findings
from .indented_json import dumps_indented

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(result: AuditResult, options: ReportOptions) -> str:
    return dumps_indented(sarif_log(result, options)) + "\n"


def sarif_log(result: AuditResult, options: ReportOptions) -> dict[str, Any]:
    findings = [f for file in result.files for f in ordered_findings(file)]
    codes = sorted({f.code for f in findings})
    rule_index = {code: i for i, code in enumerate(codes)}
    first_of = {}
    for finding in findings:
        first_of.setdefault(finding.code, finding)

    driver: dict[str, Any] = {"name": "promptopt"}
    if options.tool_version:
        driver["version"] = options.tool_version
    driver["rules"] = [_rule(code, first_of[code], options) for code in codes]

    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rule_index[f.code], options) for f in findings],
        "invocations": [_invocation(result, options)],
        "properties": {
            "model": options.model_name(result),
            "encoding": result.encoding.encoding,
            "estimate": result.encoding.estimate,
            "tokens": result.tokens,
            "tokens_saved": result.tokens_saved,
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(code: str, example: Finding, options: ReportOptions) -> dict[str, Any]:
    info: RuleInfo | None = options.rule_docs(code) if options.rule_docs else None
    name = info.name if info else example.name
    summary = (info.summary if info else "") or name
    severity = info.severity if info else example.severity
    if isinstance(severity, str):
        severity = Severity.parse(severity)
    rule: dict[str, Any] = {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary},
        "defaultConfiguration": {"level": LEVEL[severity]},
    }
    docs = info.docs if info else ""
    if docs:
        rule["fullDescription"] = {"text": docs}
        rule["help"] = {"text": f"{docs}\n\nRun `promptopt rules {code}` for this rule's documentation."}
    else:
        rule["help"] = {"text": f"Run `promptopt rules {code}` for this rule's documentation."}
    return rule


def _artifact(finding_path, options: ReportOptions) -> dict[str, str]:
    # relative URIs resolve against the checkout in GitHub code scanning; a file outside the
    # root keeps an absolute file: URI
    shown = display_path(finding_path, options.root, escape=False)
    # the name's bytes, percent-encoded: a name that is not UTF-8 (`caf%FF.md`) is still a valid URI
    return {"uri": Path(shown).as_uri() if Path(shown).is_absolute() else quote(os.fsencode(shown))}


def _region(loc: Location) -> dict[str, int]:
    region = {"startLine": max(1, loc.line), "startColumn": max(1, loc.column)}
    if loc.end_line >= loc.line and loc.end_line > 0:
        region["endLine"] = loc.end_line
        if loc.end_column > 0:
            region["endColumn"] = loc.end_column
    return region


def _result(finding: Finding, index: int, options: ReportOptions) -> dict[str, Any]:
    artifact = _artifact(finding.path, options)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact, "region": _region(finding.location)}}
        ],
        "properties": {"tokens_saved": finding.tokens_saved},
    }
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": {"artifactLocation": artifact, "region": _region(loc)},
                "message": {"text": f"other place of this {finding.code} finding"},
            }
            for i, loc in enumerate(finding.related, start=1)
        ]
    if finding.fix is not None:
        result["fixes"] = [
            {
                "description": {"text": f"{finding.fix.title} ({finding.fix.applicability.value} fix)"},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {
                                "deletedRegion": {
                                    "charOffset": edit.span.start,
                                    "charLength": edit.span.end - edit.span.start,
                                },
                                "insertedContent": {"text": edit.replacement},
                            }
                            for edit in finding.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


def _invocation(result: AuditResult, options: ReportOptions) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not result.errors}
    if result.errors:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f"could not audit this file: {file.error}"},
                "locations": [{"physicalLocation": {"artifactLocation": _artifact(file.path, options)}}],
            }
            for file in result.errors
        ]
    return invocation
