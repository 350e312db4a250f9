"""`promptopt diff`: every prompt added, removed or changed between two git refs, priced on both sides.

Findings are matched by rule code and offending text, not by line, so moving a paragraph neither
"fixes" nor "introduces" anything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..core import Finding
from ..engine import Auditor
from ..gitdiff import ChangedFile, changed_files, read_at, repo_root
from ..loaders import PROMPT_SUFFIXES
from .estimate import CostSettings, cost_of_result
from .projection import PromptCost


@dataclass
class PromptChange:
    status: str  # added, removed, changed, renamed
    path: str
    old_path: str | None
    before: PromptCost | None
    after: PromptCost | None
    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)

    @property
    def tokens_before(self) -> int:
        return self.before.tokens if self.before else 0

    @property
    def tokens_after(self) -> int:
        return self.after.tokens if self.after else 0

    @property
    def token_delta(self) -> int:
        return self.tokens_after - self.tokens_before

    @property
    def error(self) -> str | None:
        return (self.before and self.before.error) or (self.after and self.after.error) or None

    def _monthly(self, side: PromptCost | None) -> float | None:
        return 0.0 if side is None else side.monthly_cost

    @property
    def monthly_before(self) -> float | None:
        return self._monthly(self.before)

    @property
    def monthly_after(self) -> float | None:
        return self._monthly(self.after)

    @property
    def monthly_delta(self) -> float | None:
        if self.monthly_before is None or self.monthly_after is None:
            return None
        return self.monthly_after - self.monthly_before

    @property
    def model(self) -> str:
        side = self.after or self.before
        return side.model if side else ""


@dataclass
class DiffReport:
    base: str
    head: str  # "working tree" when comparing against files on disk
    changes: list[PromptChange] = field(default_factory=list)
    price_source: str = ""

    @property
    def errors(self) -> list[PromptChange]:
        return [c for c in self.changes if c.error]

    @property
    def priced(self) -> list[PromptChange]:
        return [c for c in self.changes if c.monthly_delta is not None and not c.error]

    @property
    def unpriced(self) -> list[PromptChange]:
        return [c for c in self.changes if c.monthly_delta is None and not c.error]

    @property
    def monthly_before(self) -> float:
        return sum(c.monthly_before or 0.0 for c in self.priced)

    @property
    def monthly_after(self) -> float:
        return sum(c.monthly_after or 0.0 for c in self.priced)

    @property
    def monthly_delta(self) -> float:
        return self.monthly_after - self.monthly_before

    @property
    def monthly_percent(self) -> float | None:
        if self.monthly_before == 0:
            return None
        return 100.0 * self.monthly_delta / self.monthly_before

    @property
    def tokens_before(self) -> int:
        return sum(c.tokens_before for c in self.changes)

    @property
    def tokens_after(self) -> int:
        return sum(c.tokens_after for c in self.changes)

    @property
    def token_percent(self) -> float | None:
        if self.tokens_before == 0:
            return None
        return 100.0 * (self.tokens_after - self.tokens_before) / self.tokens_before

    @property
    def introduced(self) -> int:
        return sum(len(c.introduced) for c in self.changes)

    @property
    def fixed(self) -> int:
        return sum(len(c.fixed) for c in self.changes)


def _key(finding: Finding) -> tuple[str, str]:
    return finding.code, " ".join(finding.snippet.split()) or finding.message


def compare_findings(before: list[Finding], after: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(introduced, fixed): findings by (code, snippet) that only one side has, counting repeats."""
    base_count = Counter(_key(f) for f in before)
    head_count = Counter(_key(f) for f in after)
    introduced, fixed = [], []
    seen: Counter[tuple[str, str]] = Counter()
    for finding in after:
        key = _key(finding)
        seen[key] += 1
        if seen[key] > base_count[key]:
            introduced.append(finding)
    seen.clear()
    for finding in before:
        key = _key(finding)
        seen[key] += 1
        if seen[key] > head_count[key]:
            fixed.append(finding)
    return introduced, fixed


def is_prompt_path(path: str, settings: CostSettings, root: Path) -> bool:
    full = root / path
    return full.suffix.lower() in PROMPT_SUFFIXES and not settings.config.is_excluded(full)


_STATUS = {"A": "added", "D": "removed", "M": "changed", "R": "renamed"}


def diff_refs(base: str, head: str | None, settings: CostSettings, start: Path | None = None) -> DiffReport:
    """Audit and price each changed prompt at base and at head (None: the working tree)."""
    root = repo_root(start)
    auditor = Auditor(settings.config)
    report = DiffReport(base, head or "working tree", price_source=settings.prices.source)
    for change in changed_files(base, head, root):
        if not is_prompt_path(change.path, settings, root):
            continue
        priced = _price_change(change, base, head, settings, auditor, root)
        if priced is not None:
            report.changes.append(priced)
    return report


def _price_change(
    change: ChangedFile, base: str, head: str | None, settings: CostSettings, auditor: Auditor, root: Path
) -> PromptChange | None:
    """The change's cost at both sides; None when neither side holds a prompt (a Python module with
    no prompt constant, a CSV with no prompt column): such a file gets no row."""
    sides: list[tuple[PromptCost | None, list[Finding]]] = []
    holds_prompt = False
    for ref, path in ((base, change.old_path), (head, change.new_path)):
        text = read_at(ref, path, root) if path else None
        if text is None:
            sides.append((None, []))
            continue
        result = auditor.audit_source(root / path, text)
        holds_prompt = holds_prompt or bool(result.documents) or bool(result.error)
        # the saving of fixes is not part of a diff: skip the second audit
        sides.append((cost_of_result(result, settings, auditor, path, with_fixes=False), result.findings))
    if not holds_prompt:
        return None
    (before, base_findings), (after, head_findings) = sides
    introduced, fixed = compare_findings(base_findings, head_findings)
    return PromptChange(
        _STATUS[change.status], change.path, change.old_path, before, after, introduced, fixed
    )
