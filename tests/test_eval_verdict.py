"""The eval's verdict is a non-inferiority claim: pass only with evidence that no large drop happened.

Per-case results are fed to `compare` directly (no model): what matters here is the statistics and
what the report says about them. tests/test_eval_http.py runs the same verdicts end to end.
"""

from __future__ import annotations

import random

import pytest
from paired_scores import pair

from promptopt.evaluation.compare import (
    INCONCLUSIVE,
    PASS,
    REGRESSION,
    cases_needed,
    mcnemar_exact,
    paired_score_interval,
    ruled_out_drop,
)

Z95 = 1.959964


def test_exact_mcnemar_matches_the_binomial_tail():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(9, 0) == pytest.approx(2 / 2**9)
    assert mcnemar_exact(3, 1) == pytest.approx(2 * (1 + 4) / 16)  # two-sided, 4 discordant pairs
    assert mcnemar_exact(5, 5) == 1.0


def test_no_changed_case_still_leaves_a_drop_possible_that_shrinks_with_n():
    # With nothing changed the score interval has a closed form, z^2 / (n + z^2), as Wilson's has.
    for n in (8, 24, 100):
        low, high = paired_score_interval(0, 0, n, 0.95)
        assert low == pytest.approx(-(Z95**2) / (n + Z95**2), abs=1e-5) and high == pytest.approx(-low)
    assert ruled_out_drop(24, 0.0, 0.95) > ruled_out_drop(100, 0.0, 0.95)


def test_interval_covers_the_true_difference_about_as_often_as_it_says():
    rng = random.Random(7)
    n, p_gain, p_loss, runs, covered = 30, 0.10, 0.20, 400, 0
    for _ in range(runs):
        draws = [rng.random() for _ in range(n)]
        gained = sum(d < p_gain for d in draws)
        lost = sum(p_gain <= d < p_gain + p_loss for d in draws)
        low, high = paired_score_interval(gained, lost, n, 0.95)
        covered += low <= p_gain - p_loss <= high
    assert 0.92 <= covered / runs <= 0.985


def test_cases_needed_is_the_first_size_that_rules_out_the_drop():
    needed = cases_needed(0.05, 0.0, 0.95)
    assert ruled_out_drop(needed, 0.0, 0.95) < 0.05 <= ruled_out_drop(needed - 1, 0.0, 0.95)
    assert cases_needed(0.05, 0.2, 0.95) > needed  # a model that changes answers needs more cases
    assert cases_needed(0.0, 0.0, 0.95) is None  # no suite rules out every drop


def test_identical_prompts_pass_only_with_enough_cases():
    small = pair([1.0, 0.0] * 8, [1.0, 0.0] * 8)  # 16 cases, nothing changed
    assert small.verdict == INCONCLUSIVE and small.difference == 0
    assert small.power.ruled_out > 0.05 and small.power.cases_needed == cases_needed(0.05, 0.0, 0.95)
    large = pair([1.0, 0.0] * 50, [1.0, 0.0] * 50)  # 100 cases: a 5-point drop is ruled out
    assert large.verdict == PASS and large.ci[0] > -0.05
    assert pair([1.0] * 16, [1.0] * 16, max_drop=0.25).verdict == PASS  # a generous margin needs fewer


def test_a_real_difference_in_doubt_on_a_small_suite_is_inconclusive():
    result = pair([1.0] * 16, [1.0] * 14 + [0.0] * 2)
    assert result.verdict == INCONCLUSIVE and result.lost == 2
    assert result.ci[0] < -0.05 < result.ci[1]


def test_a_stripped_prompt_that_loses_most_cases_is_a_regression():
    result = pair([1.0] * 16, [0.0] * 10 + [1.0] * 6)
    assert result.verdict == REGRESSION and result.regression and result.ci[1] < -0.05
    assert pair([1.0] * 16, [0.0] * 2 + [1.0] * 14, max_drop=0.5).verdict == PASS  # a drop that is allowed

