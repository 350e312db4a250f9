"""Scores per case and variant, and the paired comparison that gives the verdict.

- A case's score is its assertions' weighted score, averaged over repeats; it passes a repeat when
  all assertions pass (or the score reaches the test's threshold). Its pass rate is passes / repeats.
- For McNemar a case counts as passed when it passed at least half of its repeats.
- The difference is candidate minus original, in mean case score (0..1), with a paired bootstrap
  confidence interval (cases resampled with a fixed seed, so a rerun prints the same interval).
- Regression: the interval's upper end is below ``-max_drop`` (we are confident the candidate lost
  more than allowed) and, with ``max_drop == 0``, the exact McNemar test agrees (p < 1 - confidence).
  Otherwise the verdict is pass: "not shown to be worse". A small eval can miss a real drop; the
  report gives n and the interval so a reader can judge.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .assertions import Outcome, evaluate
from .runner import CallOutcome, PlannedCall
from .suite import TestCase

BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20261


@dataclass
class CaseScore:
    case_id: str
    outputs: list[str | None]
    outcomes: list[Outcome]
    repeats: int

    @property
    def complete(self) -> bool:
        return len(self.outcomes) == self.repeats

    @property
    def score(self) -> float | None:
        return sum(o.score for o in self.outcomes) / len(self.outcomes) if self.complete else None

    @property
    def pass_rate(self) -> float | None:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.complete else None

    @property
    def passed(self) -> bool | None:
        rate = self.pass_rate
        return None if rate is None else rate >= 0.5

    @property
    def reason(self) -> str:
        return next((o.reason for o in self.outcomes if not o.passed), "")


@dataclass
class VariantScore:
    name: str
    source: str
    cases: dict[str, CaseScore] = field(default_factory=dict)

    def _complete(self) -> list[CaseScore]:
        return [c for c in self.cases.values() if c.complete]

    @property
    def completed(self) -> int:
        return len(self._complete())

    @property
    def mean_score(self) -> float | None:
        done = self._complete()
        return sum(c.score for c in done) / len(done) if done else None  # type: ignore[misc]

    @property
    def passed(self) -> int:
        return sum(1 for c in self._complete() if c.passed)


def score_variant(
    name: str, source: str, calls: list[PlannedCall], outcomes: dict[str, CallOutcome], cases: list[TestCase]
) -> VariantScore:
    by_id = {c.id: c for c in cases}
    variant = VariantScore(name, source)
    for call in calls:
        if call.variant != name:
            continue
        case = by_id[call.case_id]
        score = variant.cases.setdefault(case.id, CaseScore(case.id, [], [], 0))
        score.repeats += 1
        got = outcomes.get(call.key)
        output = got.output if got else None
        score.outputs.append(output)
        if output is not None:
            score.outcomes.append(evaluate(list(case.assertions), output, case.vars, case.threshold))
    return variant


def mcnemar_exact(lost: int, gained: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (a binomial test at 1/2)."""
    n = lost + gained
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(lost, gained) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_bootstrap_ci(
    differences: list[float], confidence: float, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float]:
    if not differences:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(differences)
    means = sorted(sum(rng.choices(differences, k=n)) / n for _ in range(samples))
    tail = (1 - confidence) / 2
    low = means[max(0, math.floor(tail * samples))]
    high = means[min(samples - 1, math.ceil((1 - tail) * samples) - 1)]
    return (round(low, 6), round(high, 6))


@dataclass
class CaseDiff:
    case_id: str
    original: CaseScore
    candidate: CaseScore

    @property
    def delta(self) -> float:
        return (self.candidate.score or 0.0) - (self.original.score or 0.0)


@dataclass
class Comparison:
    original: VariantScore
    candidate: VariantScore
    paired: list[CaseDiff]
    confidence: float
    max_drop: float
    difference: float
    ci: tuple[float, float]
    lost: int  # cases that passed with the original and fail with the candidate
    gained: int
    p_value: float
    regression: bool

    @property
    def changed(self) -> list[CaseDiff]:
        return [d for d in self.paired if d.delta != 0 or d.original.passed != d.candidate.passed]


def compare(
    original: VariantScore, candidate: VariantScore, max_drop: float = 0.0, confidence: float = 0.95
) -> Comparison:
    paired = [
        CaseDiff(case_id, score, candidate.cases[case_id])
        for case_id, score in original.cases.items()
        if score.complete and case_id in candidate.cases and candidate.cases[case_id].complete
    ]
    deltas = [d.delta for d in paired]
    difference = sum(deltas) / len(deltas) if deltas else 0.0
    ci = paired_bootstrap_ci(deltas, confidence)
    lost = sum(1 for d in paired if d.original.passed and not d.candidate.passed)
    gained = sum(1 for d in paired if not d.original.passed and d.candidate.passed)
    p_value = mcnemar_exact(lost, gained)
    confident_drop = ci[1] < -max_drop
    regression = bool(paired) and confident_drop and (max_drop > 0 or (p_value < 1 - confidence and lost > gained))
    return Comparison(
        original, candidate, paired, confidence, max_drop, round(difference, 6), ci, lost, gained,
        round(p_value, 6), regression,
    )  # fmt: skip
