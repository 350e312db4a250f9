"""What every reporter shares: its options and the figures the summary is made of."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..core import Applicability, Finding, Severity, printable
from ..results import AuditResult, FileResult
from ..tokenmap import SectionTokens, largest


class RuleInfo(Protocol):
    """What a reporter needs to know about a rule (the registry's rule objects fit)."""

    code: str
    name: str
    severity: Severity | str
    summary: str
    docs: str


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    show_fixes: bool = False
    model: str = ""  # empty: the model of the result's encoding
    tool_version: str = ""
    # code -> rule metadata (SARIF rules); a callable so reporters do not import the registry
    rule_docs: Callable[[str], RuleInfo | None] | None = None
    # dollars per input token for the model; None (or 0) means unknown, never free
    price_per_token: float | None = None
    # paths are shown relative to this folder when they are inside it; None: the working directory
    root: Path | None = None
    # the token map in the text report: "auto" (the largest sections of files worth mapping), "all"
    # (every section of every file with two or more), "off"; JSON always carries the whole map
    token_map: str = "auto"
    # requests per month for a file at the configured volume ([tool.promptopt.usage]); None: unknown
    requests_per_month: Callable[[Path], float | None] | None = None
    # the caller has printed each unreadable file's error on stderr: the human formats do not repeat it
    errors_on_stderr: bool = False

    def model_name(self, result: AuditResult) -> str:
        return self.model or result.encoding.model

    def known_price(self) -> float | None:
        return self.price_per_token if self.price_per_token else None

    def volume(self, path: Path) -> float | None:
        return self.requests_per_month(path) if self.requests_per_month else None


def display_path(path: Path, root: Path | None, escape: bool = True) -> str:
    """A path as users typed it: relative to `root` when inside it, with forward slashes; a name that is
    not UTF-8 escaped (`caf\\xff.md`) unless `escape` is false (SARIF percent-encodes its bytes)."""
    path = Path(path)
    if path.is_absolute():
        base = Path(os.path.abspath(root if root is not None else os.getcwd()))
        try:
            path = path.relative_to(base)
        except ValueError:
            pass
    return printable(path.as_posix()) if escape else path.as_posix()


def ordered_findings(file: FileResult) -> list[Finding]:
    return sorted(file.findings, key=lambda f: (f.location.line, f.location.column, f.code))


def is_safe_fix(finding: Finding) -> bool:
    return finding.fix is not None and finding.fix.applicability == Applicability.SAFE


def is_unsafe_fix(finding: Finding) -> bool:
    return finding.fix is not None and finding.fix.applicability == Applicability.UNSAFE


@dataclass(frozen=True)
class RuleTally:
    code: str
    name: str
    count: int
    tokens_saved: int


def tally_by_rule(findings: Iterable[Finding]) -> list[RuleTally]:
    """Findings per rule, the rules that save most first."""
    counts: dict[str, list] = {}
    for finding in findings:
        entry = counts.setdefault(finding.code, [finding.name, 0, 0])
        entry[1] += 1
        entry[2] += finding.tokens_saved
    tallies = [RuleTally(code, name, n, saved) for code, (name, n, saved) in counts.items()]
    return sorted(tallies, key=lambda t: (-t.tokens_saved, -t.count, t.code))


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {str(level): 0 for level in sorted(Severity, reverse=True)}
    for finding in findings:
        counts[str(finding.severity)] += 1
    return counts


def dollars_per_1k_requests(tokens: int, price_per_token: float | None) -> float | None:
    if not price_per_token:
        return None
    return tokens * price_per_token * 1000


def format_dollars(amount: float | None) -> str:
    """Money for people: 'unknown' when the price is unknown, never $0 for a missing price."""
    if amount is None:
        return "unknown"
    if amount >= 1 or amount <= 0:
        return f"${amount:,.2f}"
    # three significant digits for cents and below, never scientific notation
    decimals = max(2, 2 - math.floor(math.log10(amount)))
    text = f"{amount:.{decimals}f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural_word or word + 's')}"


# A file is worth a token map in the text report when it is this large and has two sections or more:
# below it, the whole prompt is cheap enough that its parts are not a cost owner's question.
TOKEN_MAP_MIN_TOKENS = 1000
TOKEN_MAP_TOP = 3


def shown_sections(file: FileResult, options: ReportOptions) -> list[SectionTokens]:
    """The sections the text report lists for a file: the costliest few, or all with `--token-map all`."""
    if options.token_map == "off" or len(file.sections) < 2:
        return []
    if options.token_map == "all":
        return list(file.sections)
    return largest(file.sections, TOKEN_MAP_TOP) if file.tokens >= TOKEN_MAP_MIN_TOKENS else []


def monthly_dollars(tokens: int, price_per_token: float | None, requests_per_month: float | None) -> float | None:
    """Input dollars per month for `tokens` sent with every request; None when price or volume is unknown."""
    if not price_per_token or requests_per_month is None:
        return None
    return tokens * price_per_token * requests_per_month
