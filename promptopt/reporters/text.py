"""The terminal report: per file its tokens and findings, then a summary (rich, colour optional)."""

from __future__ import annotations

from io import StringIO

from ..core import Finding, Severity
from ..results import AuditResult, FileResult
from .base import (
    ReportOptions,
    count_by_severity,
    display_path,
    dollars_per_1k_requests,
    format_dollars,
    is_safe_fix,
    is_unsafe_fix,
    ordered_findings,
    plural,
    tally_by_rule,
)

WIDTH = 100  # fixed so the report reads the same on every terminal and in golden files
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(result: AuditResult, options: ReportOptions) -> str:
    from rich.console import Console

    buffer = StringIO()
    console = Console(
        file=buffer,
        force_terminal=options.color,
        color_system="standard" if options.color else None,
        no_color=not options.color,
        width=WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        _environ={},  # NO_COLOR, FORCE_COLOR, COLUMNS must not change the report
    )
    audited = [f for f in result.files if not f.error]
    for file in audited:
        _print_file(console, file, options)
    _print_summary(console, result, options)
    _print_errors(console, result, options)
    return buffer.getvalue()


def _print_file(console, file: FileResult, options: ReportOptions) -> None:
    from rich.text import Text

    path = display_path(file.path, options.root)
    header = Text.assemble(
        (path, "bold"),
        f"  {plural(file.tokens, 'token')} per request",
        (f", fixes would save {file.tokens_saved:,}" if file.findings else ", no findings", "green"),
    )
    lines = [header]
    for finding in ordered_findings(file):
        lines.append(_finding_line(path, finding))
        if options.show_fixes and finding.fix is not None:
            applicability = finding.fix.applicability.value
            lines.append(Text(f"    = fix ({applicability}): {finding.fix.title}", style="green"))
        lines.append(Text(f"    = docs: promptopt rules {finding.code}", style="dim"))
    # rich costs ~100 us a line: print a file's lines at once, and skip rendering without colour
    if options.color:
        console.print(Text("\n").join(lines), soft_wrap=True)
        console.print()
    else:
        console.file.write("".join(line.plain + "\n" for line in lines) + "\n")


def _finding_line(path: str, finding: Finding):
    from rich.text import Text

    loc = finding.location
    line = Text.assemble(
        (f"{path}:{loc.line}:{loc.column}:", "bold"),
        " ",
        (finding.code, "bold " + SEVERITY_STYLE[finding.severity]),
    )
    if is_safe_fix(finding):
        line.append(" [*]", style="green")
    line.append(f" [{finding.severity}]", style=SEVERITY_STYLE[finding.severity])
    line.append(f" {finding.message}")
    if finding.tokens_saved:
        line.append(f" (-{plural(finding.tokens_saved, 'token')})", style="green")
    if finding.related:
        also = ", ".join(f"{r.line}:{r.column}" for r in finding.related)
        line.append(f" (see also {also})", style="dim")
    return line


def _print_summary(console, result: AuditResult, options: ReportOptions) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    findings = result.findings
    price = options.known_price()
    audited = len(result.files) - len(result.errors)
    console.print(Text("Summary", style="bold underline"))
    files_line = f"  Files: {audited:,} audited"
    if result.errors:
        files_line += f", {len(result.errors):,} could not be read"
    console.print(files_line)

    encoding, model = result.encoding, options.model_name(result)
    counted = (
        f"estimate: {encoding.encoding} stands in for {model}" if encoding.estimate else encoding.encoding
    )
    console.print(f"  Tokens per request: {result.tokens:,} ({counted})", soft_wrap=True)
    if price is None:
        console.print(f"  Input cost per 1k requests: unknown (no price for {model})", soft_wrap=True)
    else:
        cost = format_dollars(dollars_per_1k_requests(result.tokens, price))
        console.print(f"  Input cost per 1k requests: {cost} ({model})", soft_wrap=True)
    if not findings:
        console.print(Text("  No findings.", style="green"))
        return

    severities = ", ".join(f"{n} {level}" for level, n in count_by_severity(findings).items() if n)
    console.print(f"  Findings: {len(findings):,} ({severities})")
    share = f" ({result.tokens_saved / result.tokens:.1%})" if result.tokens else ""
    console.print(
        Text.assemble(
            "  Fixes would save: ",
            (f"{plural(result.tokens_saved, 'token')} per request{share}", "bold green"),
            f", {format_dollars(dollars_per_1k_requests(result.tokens_saved, price))} per 1k requests"
            if price is not None
            else "",
        ),
        soft_wrap=True,
    )

    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("Rule")
    table.add_column("Name")
    table.add_column("Findings", justify="right")
    table.add_column("Tokens saved", justify="right")
    for tally in tally_by_rule(findings):
        table.add_row(tally.code, tally.name, f"{tally.count:,}", f"{tally.tokens_saved:,}")
    console.print()
    console.print(table)
    console.print()

    safe = sum(1 for f in findings if is_safe_fix(f))
    unsafe = sum(1 for f in findings if is_unsafe_fix(f))
    if safe:
        console.print(Text.assemble(("[*]", "green"), f" {safe:,} fixable with `promptopt audit --fix`."))
    if unsafe:
        console.print(
            f"({plural(unsafe, 'hidden fix', 'hidden fixes')} can be enabled with `--unsafe-fixes`.)"
        )


def _print_errors(console, result: AuditResult, options: ReportOptions) -> None:
    from rich.text import Text

    if not result.errors:
        return
    console.print()
    console.print(Text("Errors", style="bold red underline"))
    for file in result.errors:
        line = Text.assemble("  ", (display_path(file.path, options.root), "bold"), f": {file.error}")
        console.print(line, soft_wrap=True)
