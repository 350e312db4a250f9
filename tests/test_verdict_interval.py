"""The numbers behind eval's verdict, checked against a second, independent computation.

`compare.paired_score_interval` is Tango's (1998) score interval, computed with the closed-form
restricted maximum-likelihood estimate. Here the same interval is found from its definition only:
the likelihood of the paired table is maximised numerically (no closed form), the score statistic is
formed from that, and its roots are searched for separately. A slip in the closed form, the bisection
or the verdict's boundaries then shows up as a different interval, power or verdict.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from paired_scores import pair, variant

from promptopt.evaluation.assertions import Outcome
from promptopt.evaluation.compare import (
    INCONCLUSIVE,
    PASS,
    REGRESSION,
    CaseScore,
    VariantScore,
    cases_needed,
    compare,
    paired_score_interval,
    ruled_out_drop,
)


def _restricted_mle(gained: float, lost: float, n: int, delta: float) -> float:
    """The probability of a lost case that maximises the likelihood of the paired table when the
    true difference (gained minus lost probability) is `delta`: golden-section search."""
    same = n - gained - lost

    def loglik(q: float) -> float:
        p_gain, p_same = q + delta, 1 - 2 * q - delta
        terms = [(gained, p_gain), (lost, q), (same, p_same)]
        if any(p <= 0 and k > 0 for k, p in terms):
            return -math.inf
        return sum(k * math.log(p) for k, p in terms if k > 0)

    low, high = max(0.0, -delta), (1 - delta) / 2  # q, q + delta and 1 - 2q - delta all in [0, 1]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(90):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if loglik(a) < loglik(b):
            low = a
        else:
            high = b
    return (low + high) / 2


def _statistic(gained: float, lost: float, n: int, delta: float) -> float:
    q = _restricted_mle(gained, lost, n, delta)
    return (gained - lost - n * delta) / math.sqrt(n * (2 * q + delta - delta * delta))


def _reference_interval(gained: float, lost: float, n: int, confidence: float) -> tuple[float, float]:
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    estimate = (gained - lost) / n

    def root(low: float, high: float, target: float) -> float:  # the statistic falls as delta rises
        for _ in range(55):
            mid = (low + high) / 2
            low, high = (mid, high) if _statistic(gained, lost, n, mid) > target else (low, mid)
        return (low + high) / 2

    eps = 1e-12
    return root(-1 + eps, estimate, z), root(estimate, 1 - eps, -z)


TABLES = [  # (gained, lost, n): counts of flipped cases, and fractional score masses
    (0, 0, 1), (0, 0, 24), (0, 2, 16), (2, 0, 16), (1, 3, 20), (0, 10, 16), (6, 1, 34), (40, 20, 160),
    (16, 0, 16), (0, 16, 16), (1.5, 2.25, 12), (0.4, 0, 30),
]


@pytest.mark.parametrize("table", TABLES, ids=str)
@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_the_interval_is_tangos_score_interval(table, confidence):
    gained, lost, n = table
    low, high = paired_score_interval(gained, lost, n, confidence)
    ref_low, ref_high = _reference_interval(gained, lost, n, confidence)
    assert low == pytest.approx(ref_low, abs=2e-6) and high == pytest.approx(ref_high, abs=2e-6)
    assert -1 <= low <= (gained - lost) / n <= high <= 1


def test_a_suite_with_no_case_to_compare_leaves_every_difference_possible():
    original = VariantScore("original", "a", {"c1": CaseScore("c1", ["x"], [Outcome(True, 1.0)], 1)})
    candidate = VariantScore("candidate", "b", {"c2": CaseScore("c2", ["y"], [Outcome(True, 1.0)], 1)})
    result = compare(original, candidate)
    assert (result.verdict, result.ci, result.power.n) == (INCONCLUSIVE, (-1.0, 1.0), 0)


def test_the_power_is_what_a_tie_with_as_many_changed_cases_rules_out():
    # 3 of 20 cases changed (2 lost, 1 gained): a candidate as good that changes 3 cases would be a
    # tie of 1.5 gained and 1.5 lost
    result = pair([1.0] * 2 + [0.0] + [1.0] * 17, [0.0] * 2 + [1.0] + [1.0] * 17)
    assert result.power.changed_rate == pytest.approx(3 / 20)
    assert result.power.ruled_out == pytest.approx(-_reference_interval(1.5, 1.5, 20, 0.95)[0], abs=2e-6)
    assert ruled_out_drop(20, 3 / 20, 0.95) == pytest.approx(-_reference_interval(1.5, 1.5, 20, 0.95)[0], abs=2e-6)


@pytest.mark.parametrize("changed_rate", [0.0, 0.3])
def test_cases_needed_is_a_whole_number_of_cases_the_first_that_rules_the_drop_out(changed_rate):
    needed = cases_needed(0.05, changed_rate, 0.95)
    assert isinstance(needed, int)
    half = changed_rate / 2
    assert -_reference_interval(half * needed, half * needed, needed, 0.95)[0] < 0.05
    assert -_reference_interval(half * (needed - 1), half * (needed - 1), needed - 1, 0.95)[0] >= 0.05


def test_a_drop_too_small_for_a_million_cases_is_unreachable():
    # a model that changes every answer, and a margin of 0.05 points: no suite of a realistic size
    assert cases_needed(0.0005, 1.0, 0.95) is None


def test_one_case_passes_only_under_a_margin_wider_than_its_interval():
    low, _ = paired_score_interval(0, 0, 1, 0.95)  # -z^2 / (1 + z^2), about -0.79
    assert pair([1.0], [1.0], max_drop=0.9).verdict == PASS
    assert pair([1.0], [1.0], max_drop=-low - 0.01).verdict == INCONCLUSIVE


def test_an_interval_that_reaches_the_margin_exactly_neither_passes_nor_fails():
    """Pass needs the lower end strictly above -max_drop, regression the upper end strictly below."""
    doubtful = pair([1.0] * 16, [1.0] * 14 + [0.0] * 2)
    low, high = doubtful.ci
    assert pair([1.0] * 16, [1.0] * 14 + [0.0] * 2, max_drop=-low).verdict == INCONCLUSIVE
    assert pair([1.0] * 16, [1.0] * 14 + [0.0] * 2, max_drop=-low + 1e-6).verdict == PASS
    worse = pair([1.0] * 16, [0.0] * 10 + [1.0] * 6)
    assert pair([1.0] * 16, [0.0] * 10 + [1.0] * 6, max_drop=-worse.ci[1]).verdict == INCONCLUSIVE
    assert pair([1.0] * 16, [0.0] * 10 + [1.0] * 6, max_drop=-worse.ci[1] - 1e-6).verdict == REGRESSION


def test_a_small_suite_whose_interval_straddles_the_margin_is_inconclusive_not_a_regression():
    # 8 lost of 100: a drop of 4 to 15 points; more than 5 is not shown, nor ruled out
    result = pair([1.0] * 100, [0.0] * 8 + [1.0] * 92)
    assert result.ci[0] < -0.05 < result.ci[1] < 0
    assert result.verdict == INCONCLUSIVE


def test_fractional_scores_give_the_interval_of_the_summed_gains_and_losses():
    # graded answers: one case gains half a point, three lose a quarter, 8 are unchanged
    original = [0.5] + [1.0] * 3 + [1.0] * 8
    candidate = [1.0] + [0.75] * 3 + [1.0] * 8
    result = pair(original, candidate)
    ref_low, ref_high = _reference_interval(0.5, 0.75, 12, 0.95)
    assert result.ci[0] == pytest.approx(ref_low, abs=2e-6) and result.ci[1] == pytest.approx(ref_high, abs=2e-6)
    assert result.difference == round((0.5 - 0.75) / 12, 6)
    assert result.power.changed_rate == round(1.25 / 12, 6)


def test_power_figures_are_rounded_to_six_places():
    result = pair([1.0] * 9 + [0.0] * 5, [0.0] * 9 + [0.0] * 4 + [0.5])
    assert result.power.changed_rate == round(9.5 / 14, 6)
    assert result.power.changed_rate != 9.5 / 14  # the rounding is visible
    assert result.power.ruled_out == round(ruled_out_drop(14, 9.5 / 14, 0.95), 6)


def test_a_suite_with_no_pair_claims_no_change_and_no_power():
    original = VariantScore("original", "a", {"c1": CaseScore("c1", ["x"], [Outcome(True, 1.0)], 1)})
    result = compare(original, VariantScore("candidate", "b"))
    assert (result.power.changed_rate, result.power.ruled_out) == (0.0, 1.0)


def test_the_mean_score_averages_the_completed_cases():
    scored = variant("v", [1.0, 0.5, 0.0, 0.5])
    assert scored.mean_score == 0.5
    assert variant("v", [1.0, 0.5]).mean_score == 0.75


def test_a_case_is_scored_with_its_vars_and_passes_at_its_threshold(tmp_path):
    from promptopt.evaluation.compare import score_variant
    from promptopt.evaluation.runner import CallOutcome, PlannedCall
    from promptopt.evaluation.suite import load_suite

    (tmp_path / "suite.yaml").write_text(
        'prompts:\n  - "Name the capital of {{country}} in one word."\n'
        "tests:\n"
        "  - vars: {country: France, city: Paris}\n"
        "    assert:\n      - type: icontains\n        value: \"{{city}}\"\n"
        "  - vars: {country: Japan}\n    threshold: 0.5\n"
        "    assert:\n      - type: icontains\n        value: Tokyo\n      - type: icontains\n        value: Kyoto\n",
        encoding="utf-8")
    suite = load_suite(tmp_path / "suite.yaml", None)
    calls = [PlannedCall("original", case.id, 0, [], case.id) for case in suite.cases]
    answers = {suite.cases[0].id: CallOutcome("Paris."), suite.cases[1].id: CallOutcome("Tokyo")}
    scored = score_variant("original", "p", calls, answers, suite.cases)
    paris, tokyo = (scored.cases[case.id] for case in suite.cases)
    assert (paris.score, paris.passed) == (1.0, True)  # "{{city}}" is Paris for this case
    assert (tokyo.score, tokyo.passed) == (0.5, True)  # half the assertions reach its threshold of 0.5


def test_a_suite_that_reaches_the_drop_exactly_does_not_rule_it_out():
    # 64 cases rule out exactly this drop (to six places), not less: ruling it out needs one more case
    exactly = ruled_out_drop(64, 0.0, 0.95)
    assert cases_needed(exactly, 0.0, 0.95) == 65
    assert ruled_out_drop(65, 0.0, 0.95) < exactly
