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
    monthly_dollars,
    ordered_findings,
    plural,
    shown_sections,
    tally_by_rule,
)

WIDTH = 100  # fixed so the report reads the same on every terminal and in golden files
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

Piece = tuple[str, str]  # (text, rich style)
Line = list[Piece]


def render(result: AuditResult, options: ReportOptions) -> str:
    # rich only for colour: without it the report is plain text, and importing rich alone would cost
    # the pre-commit hook a third of a cached run
    out = _RichOutput(color=True) if options.color else _PlainOutput()
    audited = [f for f in result.files if not f.error]
    for file in audited:
        out.block(_file_lines(file, options))
    _print_summary(out, result, options)
    if not options.errors_on_stderr:
        _print_errors(out, result, options)
    return out.getvalue()


class _PlainOutput:
    """The text rich prints with colour off, for the lines this report is made of (all short, but the
    soft-wrapped ones, which rich does not wrap either)."""

    def __init__(self) -> None:
        self.buffer = StringIO()

    def block(self, lines: list[Line]) -> None:
        self.buffer.write("".join(_plain(line) + "\n" for line in lines) + "\n")

    def line(self, *pieces: Piece | str, soft_wrap: bool = False) -> None:
        self.buffer.write(_plain(_pieces(pieces)) + "\n")

    def table(self, columns: list[tuple[str, str]], rows: list[tuple[str, ...]]) -> None:
        """As rich's box.SIMPLE table without edges, padding (0, 2, 0, 0): columns one space apart,
        two spaces of padding after each but the last, a rule under the header."""
        if _table_width(columns, rows) > WIDTH:  # rich would shrink the columns: let it
            fallback = _RichOutput(color=False)
            fallback.table(columns, rows)
            self.buffer.write(fallback.getvalue())
            return
        widths = [max(len(header), *(len(row[i]) for row in rows)) for i, (header, _) in enumerate(columns)]
        last = len(columns) - 1

        def row_text(cells: tuple[str, ...]) -> str:
            parts = []
            for i, (cell, (_, justify)) in enumerate(zip(cells, columns, strict=True)):
                text = cell.rjust(widths[i]) if justify == "right" else cell.ljust(widths[i])
                parts.append(text if i == last else text + "  ")
            return " ".join(parts)

        lines = [row_text(tuple(h for h, _ in columns)), "\u2500" * _table_width(columns, rows)]
        lines.extend(row_text(row) for row in rows)
        self.buffer.write("".join(line + "\n" for line in lines))

    def getvalue(self) -> str:
        return self.buffer.getvalue()


def _table_width(columns: list[tuple[str, str]], rows: list[tuple[str, ...]]) -> int:
    widths = [max(len(header), *(len(row[i]) for row in rows)) for i, (header, _) in enumerate(columns)]
    return sum(widths) + 2 * (len(widths) - 1) + (len(widths) - 1)


class _RichOutput:
    def __init__(self, color: bool) -> None:
        from rich.console import Console

        self.console = Console(
            file=StringIO(),
            force_terminal=color,
            color_system="standard" if color else None,
            no_color=not color,
            width=WIDTH,
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
            _environ={},  # NO_COLOR, FORCE_COLOR, COLUMNS must not change the report
        )

    def block(self, lines: list[Line]) -> None:
        from rich.text import Text

        # rich costs ~100 us a line: print a file's lines at once
        self.console.print(Text("\n").join(_rich_text(line) for line in lines), soft_wrap=True)
        self.console.print()

    def line(self, *pieces: Piece | str, soft_wrap: bool = False) -> None:
        self.console.print(_rich_text(_pieces(pieces)), soft_wrap=soft_wrap)

    def table(self, columns: list[tuple[str, str]], rows: list[tuple[str, ...]]) -> None:
        from rich import box
        from rich.table import Table

        table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, padding=(0, 2, 0, 0))
        for header, justify in columns:
            table.add_column(header, justify=justify)
        for row in rows:
            table.add_row(*row)
        self.console.print(table)

    def getvalue(self) -> str:
        return self.console.file.getvalue()


def _pieces(pieces: tuple[Piece | str, ...]) -> Line:
    return [(p, "") if isinstance(p, str) else p for p in pieces]


def _plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def _rich_text(line: Line):
    from rich.text import Text

    return Text.assemble(*((text, style) if style else text for text, style in line))


def _file_lines(file: FileResult, options: ReportOptions) -> list[Line]:
    path = display_path(file.path, options.root)
    header = [
        (path, "bold"),
        (f"  {plural(file.tokens, 'token')} per request{_monthly(file, options)}", ""),
        (f", fixes would save {file.tokens_saved:,}" if file.findings else ", no findings", "green"),
    ]
    lines = [header, *_token_map_lines(file, options)]
    for finding in ordered_findings(file):
        lines.append(_finding_line(path, finding))
        if options.show_fixes and finding.fix is not None:
            applicability = finding.fix.applicability.value
            lines.append([(f"    = fix ({applicability}): {finding.fix.title}", "green")])
        lines.append([(f"    = docs: promptopt rules {finding.code}", "dim")])
    return lines


def _monthly(file: FileResult, options: ReportOptions) -> str:
    """The file's input cost per month at the configured volume; nothing when volume or price is unknown."""
    volume = options.volume(file.path)
    monthly = monthly_dollars(file.tokens, options.known_price(), volume)
    return "" if monthly is None else f" ({format_dollars(monthly)}/mo at {volume:,.0f} requests)"


def _token_map_lines(file: FileResult, options: ReportOptions) -> list[Line]:
    """Where the file's tokens go: tokens, share and money of its costliest sections, one a line."""
    from ..tokenmap import display_name

    sections = shown_sections(file, options)
    if not sections:
        return []
    price, volume = options.known_price(), options.volume(file.path)
    rows = [(f"{s.tokens:,}", s.tokens, display_name(s), _place(s)) for s in sections]
    rest = file.sections and len(sections) < len(file.sections)
    if rest:  # what the listed sections leave: the map still adds up to the file
        others = max(file.tokens - sum(s.tokens for s in sections), 0)
        rows.append((f"{others:,}", others, f"{plural(len(file.sections) - len(sections), 'other section')}", ""))
    if price is None:
        money = [""] * len(rows)
    elif volume is not None:
        money = [f"{format_dollars(monthly_dollars(n, price, volume))}/mo" for _, n, _, _ in rows]
    else:
        money = [f"{format_dollars(dollars_per_1k_requests(n, price))}/1k req" for _, n, _, _ in rows]
    shares = [f"{n / file.tokens:.0%}" if file.tokens else "" for _, n, _, _ in rows]
    widths = [max(len(r[0]) for r in rows), max(map(len, shares)), max(map(len, money))]
    shown = "all " if not rest else f"{len(sections)} largest of "
    lines: list[Line] = [[(f"  where the tokens go ({shown}{plural(len(file.sections), 'section')}):", "dim")]]
    for (count, _, name, place), share, cost in zip(rows, shares, money, strict=True):
        figures = f"{count.rjust(widths[0])} {share.rjust(widths[1])}" + (f"  {cost.rjust(widths[2])}" if cost else "")
        where = (f" ({place})", "dim") if place else ("", "")
        lines.append([(f"    {figures}  ", ""), (name, "bold" if place else ""), where])
    return lines


def _place(s) -> str:
    return f"line {s.line}" if s.end_line == s.line else f"lines {s.line}-{s.end_line}"


def _finding_line(path: str, finding: Finding) -> Line:
    loc = finding.location
    line = [
        (f"{path}:{loc.line}:{loc.column}:", "bold"),
        (" ", ""),
        (finding.code, "bold " + SEVERITY_STYLE[finding.severity]),
    ]
    if is_safe_fix(finding):
        line.append((" [*]", "green"))
    line.append((f" [{finding.severity}]", SEVERITY_STYLE[finding.severity]))
    line.append((f" {finding.message}", ""))
    if finding.tokens_saved:
        line.append((f" (-{plural(finding.tokens_saved, 'token')})", "green"))
    if finding.related:
        also = ", ".join(f"{r.line}:{r.column}" for r in finding.related)
        line.append((f" (see also {also})", "dim"))
    return line


def _print_summary(out, result: AuditResult, options: ReportOptions) -> None:
    findings = result.findings
    price = options.known_price()
    audited = len(result.files) - len(result.errors)
    out.line(("Summary", "bold underline"))
    files_line = f"  Files: {audited:,} audited"
    if result.errors:
        files_line += f", {len(result.errors):,} could not be read"
    out.line(files_line)

    encoding, model = result.encoding, options.model_name(result)
    counted = (
        f"estimate: {encoding.encoding} stands in for {model}" if encoding.estimate else encoding.encoding
    )
    out.line(f"  Tokens per request: {result.tokens:,} ({counted})", soft_wrap=True)
    if price is None:
        out.line(f"  Input cost per 1k requests: unknown (no price for {model})", soft_wrap=True)
    else:
        cost = format_dollars(dollars_per_1k_requests(result.tokens, price))
        out.line(f"  Input cost per 1k requests: {cost} ({model})", soft_wrap=True)
    if not findings:
        suppressed = f" ({result.suppressed:,} suppressed by the baseline)" if result.suppressed else ""
        out.line((f"  No findings{suppressed}.", "green"))
        return

    severities = ", ".join(f"{n} {level}" for level, n in count_by_severity(findings).items() if n)
    suppressed = f"; {result.suppressed:,} more suppressed by the baseline" if result.suppressed else ""
    out.line(f"  Findings: {len(findings):,} ({severities}){suppressed}")
    share = f" ({result.tokens_saved / result.tokens:.1%})" if result.tokens else ""
    out.line(
        "  Fixes would save: ",
        (f"{plural(result.tokens_saved, 'token')} per request{share}", "bold green"),
        f", {format_dollars(dollars_per_1k_requests(result.tokens_saved, price))} per 1k requests"
        if price is not None
        else "",
        soft_wrap=True,
    )

    columns = [("Rule", "left"), ("Name", "left"), ("Findings", "right"), ("Tokens saved", "right")]
    rows = [(t.code, t.name, f"{t.count:,}", f"{t.tokens_saved:,}") for t in tally_by_rule(findings)]
    out.line()
    out.table(columns, rows)
    out.line()

    safe = sum(1 for f in findings if is_safe_fix(f))
    unsafe = sum(1 for f in findings if is_unsafe_fix(f))
    if safe:
        out.line(("[*]", "green"), f" {safe:,} fixable with `promptopt audit --fix`.")
    if unsafe:
        out.line(f"({plural(unsafe, 'hidden fix', 'hidden fixes')} can be enabled with `--unsafe-fixes`.)")


def _print_errors(out, result: AuditResult, options: ReportOptions) -> None:
    if not result.errors:
        return
    out.line()
    out.line(("Errors", "bold red underline"))
    for file in result.errors:
        out.line("  ", (display_path(file.path, options.root), "bold"), f": {file.error}", soft_wrap=True)
