"""`promptopt diff`: every prompt added, removed or changed between two git refs, priced on both sides.

Findings are matched by identity (rule and the text they point at, `matching.py`), not by line or
message, so moving a paragraph neither "fixes" nor "introduces" anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core import Finding
from ..discovery import classify, classify_by_path
from ..engine import Auditor
from ..gitdiff import ChangedFile, changed_files, read_at, repo_root
from .estimate import CostSettings, cost_of_result
from .matching import compare_findings
from .offer import FindingWorth, SavingOffer, offer_of, top_findings
from .optimized import Optimization, optimize_prompt
from .projection import PromptCost
from .verified import Verification, suite_for, verify_prompt


@dataclass
class PromptChange:
    status: str  # added, removed, changed, renamed
    path: str
    old_path: str | None
    before: PromptCost | None
    after: PromptCost | None
    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    # (base finding or None, head finding): the same finding re-described, or one on unchanged text
    changed: list[tuple[Finding | None, Finding]] = field(default_factory=list)
    offer: SavingOffer | None = None  # what the fixes would still save at the head side
    verification: Verification | None = None  # the mapped eval suite's verdict (`--verify`)
    optimization: Optimization | None = None  # the levers optimize verified with that suite (`--optimize`)

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
    show_offer: bool = True  # False: the offer is under `--min-saving`
    config_arg: str | None = None  # `--config` as given, repeated in the commands the comment shows
    link: Callable[[str, int], str | None] = field(default=lambda path, line: None, repr=False)

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

    @property
    def changed(self) -> int:
        return sum(len(c.changed) for c in self.changes)

    # -- the saving on offer in the prompts at the head side

    @property
    def offers(self) -> list[SavingOffer]:
        return [c.offer for c in self.changes if c.offer is not None and not c.error]

    @property
    def safe_tokens(self) -> int:
        return sum(o.safe_tokens for o in self.offers)

    @property
    def unsafe_tokens(self) -> int:
        return sum(o.unsafe_tokens for o in self.offers)

    @property
    def safe_monthly(self) -> float | None:
        return _known_sum(o.safe_monthly for o in self.offers)

    @property
    def unsafe_monthly(self) -> float | None:
        return _known_sum(o.unsafe_monthly for o in self.offers)

    @property
    def offer_monthly(self) -> float | None:
        return _known_sum(o.total_monthly for o in self.offers)

    @property
    def offer_unpriced(self) -> list[str]:
        """Prompts whose offer has no monthly figure (unknown price or no volume): left out of the $ sums."""
        return [o.path for o in self.offers if o.total_monthly is None]

    @property
    def offer_percent(self) -> float | None:
        """The offer as a percentage of the offered prompts' monthly cost (of their tokens when unpriced)."""
        priced = [c for c in self.changes if c.offer and not c.error and c.offer.total_monthly is not None]
        cost = sum(c.after.monthly_cost or 0.0 for c in priced if c.after)
        if cost:
            return 100.0 * (self.offer_monthly or 0.0) / cost
        tokens = sum(o.tokens for o in self.offers)
        return 100.0 * (self.safe_tokens + self.unsafe_tokens) / tokens if tokens else None

    @property
    def top_findings(self) -> list[FindingWorth]:
        return top_findings(self.offers)

    @property
    def verifications(self) -> list[Verification]:
        return [c.verification for c in self.changes if c.verification is not None]

    @property
    def optimizations(self) -> list[Optimization]:
        return [c.optimization for c in self.changes if c.optimization is not None]


def _known_sum(values) -> float | None:
    """The sum of the known values; None when none is known (unknown is never $0)."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@dataclass(frozen=True)
class OptimizeOptions:
    """`diff --optimize`'s settings for each optimize run (as `promptopt optimize` names them)."""

    max_drop: float
    lingua: bool = True


_STATUS = {"A": "added", "D": "removed", "M": "changed", "R": "renamed"}


def diff_refs(base: str, head: str | None, settings: CostSettings, start: Path | None = None,
              verify: bool = False, optimize: OptimizeOptions | None = None) -> DiffReport:
    """Audit and price each changed prompt at base and at head (None: the working tree), measure what
    the fixes would still save at head, and with `verify` run the eval suites mapped to the prompts
    (`compress --verify`); with `optimize`, run `promptopt optimize` with those suites.

    Only files that discovery takes as prompts count (at either side, judged on that side's text, as
    `promptopt audit .` at the repository's root would); a file with no prompt on either side gets no row."""
    root = repo_root(start)
    auditor = Auditor(settings.config)
    report = DiffReport(base, head or "working tree", price_source=settings.prices.source)
    for change in changed_files(base, head, root):
        if not any(_may_be_prompt(root, path, settings) for path in (change.old_path, change.new_path)):
            continue  # decided by the path alone: not read at all (images, lockfiles, docs)
        texts = [read_at(base, change.old_path, root) if change.old_path else None,
                 read_at(head, change.new_path, root) if change.new_path else None]
        if not any(_is_prompt(root, path, text, settings) for path, text in
                   ((change.old_path, texts[0]), (change.new_path, texts[1]))):
            continue
        row = _price_change(change, texts, settings, auditor, root)
        if row is not None:
            suite = suite_for(settings.eval_suites, change.new_path) if change.new_path else None
            if suite is not None and texts[1] is not None and row.after is not None and not row.error:
                usage = settings.usage.for_path(change.new_path, settings.config.model)
                row.verification = verify_prompt(change.new_path, texts[1], suite, root, settings.config, usage,
                                                 settings.prices.lookup(usage.model), run=verify)
                if optimize is not None:
                    row.optimization = optimize_prompt(change.new_path, texts[1], suite, root, usage,
                                                       optimize.max_drop, optimize.lingua)
            report.changes.append(row)
    return report


def _may_be_prompt(root: Path, path: str | None, settings: CostSettings) -> bool:
    if path is None:
        return False
    decided = classify_by_path(root / path, Path(path).parent.parts, settings.config)
    return decided is None or decided.audit


def _is_prompt(root: Path, path: str | None, text: str | None, settings: CostSettings) -> bool:
    if path is None or text is None:
        return False
    folders = Path(path).parent.parts
    return classify(root / path, folders, settings.config, source=text).audit


def _price_change(
    change: ChangedFile, texts: list[str | None], settings: CostSettings, auditor: Auditor, root: Path
) -> PromptChange | None:
    sides: list[tuple[PromptCost | None, list[Finding]]] = []
    documents = 0
    offer = None
    for side, (text, path) in enumerate(zip(texts, (change.old_path, change.new_path), strict=True)):
        if text is None or path is None:
            sides.append((None, []))
            continue
        result = auditor.audit_source(root / path, text)
        if result.error:
            documents += 1  # an error is worth a row: the file could not be priced
        documents += len(result.documents)
        # `cost`'s safe-fix figure is left out: the offer below measures the head side's fixes
        sides.append((cost_of_result(result, settings, auditor, path, with_fixes=False), result.findings))
        if side == 1 and not result.error and result.documents:  # the head side: what is left to take
            usage = settings.usage.for_path(path, settings.config.model)
            offer = offer_of(result, text, path, auditor, usage, settings.prices.lookup(usage.model))
    if documents == 0:
        return None  # no prompt in the file at either side: nothing to price
    (before, base_findings), (after, head_findings) = sides
    findings = compare_findings(base_findings, head_findings, texts[0], texts[1])
    return PromptChange(_STATUS[change.status], change.path, change.old_path, before, after, findings.introduced,
                        findings.fixed, findings.changed, offer)
