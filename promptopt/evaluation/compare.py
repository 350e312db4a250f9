"""Scores per case and variant, and the paired comparison that gives the verdict.

- A case's score is its assertions' weighted score, averaged over repeats; it passes a repeat when
  all assertions pass (or the score reaches the test's threshold). Its pass rate is passes / repeats.
- For McNemar a case counts as passed when it passed at least half of its repeats.
- The difference is candidate minus original, in mean case score (0..1), with Tango's paired score
  interval. Unlike a bootstrap it does not shrink to a point when no case changed: 24 unchanged
  cases still leave a drop of up to 14 points possible at 95%.
- The verdict is a non-inferiority test with margin ``max_drop``: **pass** only when the interval's
  lower end is above ``-max_drop`` (a drop larger than allowed is ruled out); **regression** when
  its upper end is below ``-max_drop`` (a drop larger than allowed is shown); **inconclusive** when
  it straddles ``-max_drop``: this suite cannot tell. "Not shown worse" is not a pass.
- Power: the smallest drop n cases can rule out, and the cases ``max_drop`` needs, for a candidate
  that is truly as good and changes as many cases as this run did.
- McNemar's exact p on the flipped cases is reported beside the interval, for readers who know it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

from .assertions import Outcome, evaluate
from .runner import CallOutcome, PlannedCall
from .suite import TestCase

PASS, INCONCLUSIVE, REGRESSION = "pass", "inconclusive", "regression"
DEFAULT_MAX_DROP = 0.05  # 5 points of mean score: the largest drop a candidate may hide and still pass


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


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _score_statistic(gained: float, lost: float, n: int, delta: float) -> float:
    """Tango's score statistic for a paired difference ``delta`` (candidate minus original).

    The variance comes from the trinomial (gained / lost / unchanged) fitted under ``delta``, so it
    never collapses to zero when no case changed, unlike a bootstrap of all-zero differences.
    """
    w = -(gained + lost) + delta * (2 * n - gained + lost)
    q_lost = (-w + math.sqrt(max(0.0, w * w + 8 * n * lost * delta * (1 - delta)))) / (4 * n)
    variance = n * (2 * q_lost + delta * (1 - delta))
    numerator = gained - lost - n * delta
    if variance <= 0:
        return math.copysign(math.inf, numerator) if numerator else 0.0
    return numerator / math.sqrt(variance)


def paired_score_interval(gained: float, lost: float, n: int, confidence: float) -> tuple[float, float]:
    """Tango's (1998) score interval for a paired difference of proportions, by bisection.

    ``gained`` and ``lost`` are the summed per-case gains and losses: counts of flipped cases when
    scores are 0/1, fractions otherwise. A fractional score varies at most like a 0/1 one with the
    same mean, so with fractions the interval is conservative (a little wider than it needs to be).
    """
    if n <= 0:
        return (-1.0, 1.0)
    z = _z(confidence)
    estimate = (gained - lost) / n

    def solve(low: float, high: float, target: float) -> float:
        for _ in range(60):  # the statistic falls as delta rises; 60 halvings reach float precision
            mid = (low + high) / 2
            if _score_statistic(gained, lost, n, mid) > target:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    return (round(solve(-1.0, estimate, z), 6), round(solve(estimate, 1.0, -z), 6))


def ruled_out_drop(n: int, changed_rate: float, confidence: float) -> float:
    """The smallest drop ``n`` cases can rule out for a candidate that is truly as good and changes
    this share of cases (half gained, half lost): minus the lower end of that tie's interval."""
    half = changed_rate * n / 2
    return -paired_score_interval(half, half, n, confidence)[0]


def cases_needed(max_drop: float, changed_rate: float, confidence: float, limit: int = 1_000_000) -> int | None:
    """The fewest cases with which such a tie would rule out ``max_drop``; None when none would."""
    if max_drop <= 0 or ruled_out_drop(limit, changed_rate, confidence) >= max_drop:
        return None
    low, high = 1, 1
    while ruled_out_drop(high, changed_rate, confidence) >= max_drop:
        low, high = high, high * 2
    while low < high:  # the first n whose tie interval starts above -max_drop
        mid = (low + high) // 2
        if ruled_out_drop(mid, changed_rate, confidence) >= max_drop:
            low = mid + 1
        else:
            high = mid
    return high


@dataclass
class CaseDiff:
    case_id: str
    original: CaseScore
    candidate: CaseScore

    @property
    def delta(self) -> float:
        return (self.candidate.score or 0.0) - (self.original.score or 0.0)


@dataclass(frozen=True)
class Power:
    """What a suite of this size can show: the drop it rules out, and the cases ``max_drop`` needs.

    Both assume a candidate that is truly as good as the original and changes as many cases as this
    run did (a deterministic model on an identical prompt changes none: the best case).
    """

    n: int
    changed_rate: float
    ruled_out: float  # the smallest drop (0..1) these n cases can rule out
    cases_needed: int | None  # cases needed to rule out max_drop; None: unreachable (max_drop 0)


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
    verdict: str  # PASS, INCONCLUSIVE or REGRESSION
    power: Power

    @property
    def regression(self) -> bool:
        return self.verdict == REGRESSION

    @property
    def holds(self) -> bool:
        return self.verdict == PASS

    @property
    def changed(self) -> list[CaseDiff]:
        return [d for d in self.paired if d.delta != 0 or d.original.passed != d.candidate.passed]


def decide(ci: tuple[float, float], max_drop: float, n: int) -> str:
    """Non-inferiority: pass only when the whole interval lies above ``-max_drop``."""
    if n == 0:
        return INCONCLUSIVE
    if ci[0] > -max_drop:
        return PASS
    if ci[1] < -max_drop:
        return REGRESSION
    return INCONCLUSIVE


def compare(
    original: VariantScore, candidate: VariantScore, max_drop: float = DEFAULT_MAX_DROP, confidence: float = 0.95
) -> Comparison:
    paired = [
        CaseDiff(case_id, score, candidate.cases[case_id])
        for case_id, score in original.cases.items()
        if score.complete and case_id in candidate.cases and candidate.cases[case_id].complete
    ]
    deltas = [d.delta for d in paired]
    n = len(deltas)
    difference = sum(deltas) / n if n else 0.0
    gained_mass = sum(d for d in deltas if d > 0)
    lost_mass = -sum(d for d in deltas if d < 0)
    ci = paired_score_interval(gained_mass, lost_mass, n, confidence)
    lost = sum(1 for d in paired if d.original.passed and not d.candidate.passed)
    gained = sum(1 for d in paired if not d.original.passed and d.candidate.passed)
    changed_rate = (gained_mass + lost_mass) / n if n else 0.0
    power = Power(
        n, round(changed_rate, 6), round(ruled_out_drop(n, changed_rate, confidence), 6) if n else 1.0,
        cases_needed(max_drop, changed_rate, confidence),
    )  # fmt: skip
    return Comparison(
        original, candidate, paired, confidence, max_drop, round(difference, 6), ci, lost, gained,
        round(mcnemar_exact(lost, gained), 6), decide(ci, max_drop, n), power,
    )  # fmt: skip
