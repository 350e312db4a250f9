"""The saving still on offer in a prompt: what `audit --fix` and `audit --fix --unsafe-fixes` would remove.

Every figure is measured by applying fixes, never estimated: the file's text is fixed to a fixed point
exactly as `promptopt audit --fix [--unsafe-fixes]` fixes it (same auditor, same rule set and
`min-tokens` floor, same fidelity guard), then its prompts are counted and priced again. A finding's
worth is its own fix applied alone to the file, so the top findings need not add up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core import Applicability, Finding, LoadError
from ..engine import Auditor
from ..results import FileResult
from ..savings import apply_text_edits
from ..tokens import TokenCounter
from .projection import Measure, measure_documents, request_cost
from .usage import PromptUsage


@dataclass
class FindingWorth:
    """One finding of a changed prompt, with what its fix alone saves."""

    path: str  # relative to the repository's root
    line: int
    code: str
    name: str
    title: str  # the fix's title
    unsafe: bool
    tokens_saved: int
    saving_per_request: float | None
    requests_per_month: float | None

    @property
    def monthly_saving(self) -> float | None:
        if self.saving_per_request is None or self.requests_per_month is None:
            return None
        return self.saving_per_request * self.requests_per_month


@dataclass
class SavingOffer:
    """One prompt file at the head side: tokens and dollars the safe fixes, then the unsafe ones, remove."""

    path: str
    tokens: int  # per request, as the file is
    safe_tokens: int  # removed by `audit --fix`
    safe_per_request: float | None
    unsafe_tokens: int  # removed by `audit --fix --unsafe-fixes` beyond the safe fixes
    unsafe_per_request: float | None
    requests_per_month: float | None
    findings: list[FindingWorth] = field(default_factory=list)
    error: str | None = None  # the fixes did not settle: no figure

    def _monthly(self, per_request: float | None) -> float | None:
        if per_request is None or self.requests_per_month is None:
            return None
        return per_request * self.requests_per_month

    @property
    def safe_monthly(self) -> float | None:
        return self._monthly(self.safe_per_request)

    @property
    def unsafe_monthly(self) -> float | None:
        return self._monthly(self.unsafe_per_request)

    @property
    def total_monthly(self) -> float | None:
        if self.safe_monthly is None or self.unsafe_monthly is None:
            return None
        return self.safe_monthly + self.unsafe_monthly


def fixed_text(path: Path, source: str, auditor: Auditor, unsafe: bool) -> str:
    """The file's text after `audit --fix` (with `--unsafe-fixes` when asked); raises FixLoopError."""
    from ..fixes import fix_to_fixed_point, guarded_accept

    outcome = fix_to_fixed_point(path, source, lambda p, t: auditor.audit_source(p, t).findings, unsafe=unsafe,
                                 accept=guarded_accept(path, source))
    return outcome.text


def measure_text(path: Path, text: str, counter: TokenCounter) -> Measure | None:
    """Tokens of the prompts in a file's text (None when the text no longer loads)."""
    from ..loaders import load_source

    try:
        return measure_documents(load_source(path, text), counter)
    except LoadError:
        return None


def _saving(before: Measure, after: Measure | None, price, usage: PromptUsage) -> float | None:
    if after is None:
        return None
    high, low = request_cost(before, price, usage), request_cost(after, price, usage)
    return None if high is None or low is None else high - low


def offer_of(result: FileResult, source: str, relative_path: str, auditor: Auditor, usage: PromptUsage,
             price) -> SavingOffer:
    """What the fixes would still save in one audited file (`result` audited from `source`)."""
    from ..fixes import FixLoopError

    counter = TokenCounter(usage.model)
    before = measure_text(result.path, source, counter) or Measure(0, 0)
    offer = SavingOffer(relative_path, before.tokens, 0, None, 0, None, usage.requests_per_month)
    # the fix loop's first round sees `result.findings`: with no fix there (no safe fix), it stops at once
    fixes = [f.fix for f in result.findings if f.fix is not None]
    has_safe = any(fix.applicability == Applicability.SAFE for fix in fixes)
    try:
        safe_text = fixed_text(result.path, source, auditor, unsafe=False) if has_safe else source
        every_text = fixed_text(result.path, source, auditor, unsafe=True) if fixes else source
    except FixLoopError as exc:
        offer.error = str(exc)
        return offer
    safe = measure_text(result.path, safe_text, counter) or before
    every = measure_text(result.path, every_text, counter) or safe
    offer.safe_tokens = before.tokens - safe.tokens
    offer.unsafe_tokens = safe.tokens - every.tokens
    offer.safe_per_request = _saving(before, safe, price, usage)
    offer.unsafe_per_request = _saving(safe, every, price, usage)
    offer.findings = [w for f in result.findings if (w := _worth(f, result.path, source, relative_path, before,
                                                                   counter, usage, price)) is not None]
    return offer


def _worth(finding: Finding, path: Path, source: str, relative_path: str, before: Measure,
           counter: TokenCounter, usage: PromptUsage, price) -> FindingWorth | None:
    # the audit counts nothing for a fix the guard rejects or that overlaps an earlier one: skip those
    if finding.fix is None or finding.tokens_saved <= 0:
        return None
    after = measure_text(path, apply_text_edits(source, finding.fix.edits), counter)
    if after is None or after.tokens >= before.tokens:
        return None
    return FindingWorth(relative_path, finding.location.line, finding.code, finding.name, finding.fix.title,
                        finding.fix.applicability == Applicability.UNSAFE, before.tokens - after.tokens,
                        _saving(before, after, price, usage), usage.requests_per_month)


def top_findings(offers: list[SavingOffer], limit: int = 3) -> list[FindingWorth]:
    """The findings worth most per month (by tokens where no dollar figure is known)."""
    every = [f for offer in offers for f in offer.findings]
    return sorted(every, key=lambda f: (f.monthly_saving is not None, f.monthly_saving or 0.0, f.tokens_saved),
                  reverse=True)[:limit]
