"""The paired comparison behind eval's verdict: which cases it reports as changed, and the verdict's
inputs (difference, discordant pairs) on hand-made scores. The verdict itself: test_eval_verdict.py."""

from __future__ import annotations

import pytest

from promptopt.evaluation.assertions import Assertion, AssertionResult, Outcome
from promptopt.evaluation.compare import CaseScore, VariantScore, compare, score_variant


def variant(name: str, scores: list[tuple[bool, float]]) -> VariantScore:
    cases = {f"c{i}": CaseScore(f"c{i}", ["x"], [Outcome(p, s)], 1) for i, (p, s) in enumerate(scores)}
    return VariantScore(name, name, cases)


def test_changed_lists_score_changes_and_pass_flips_but_not_unchanged_cases():
    original = variant("original", [(True, 1.0), (True, 1.0), (True, 1.0), (False, 0.0)])
    candidate = variant("candidate", [(True, 1.0), (True, 0.5), (False, 0.0), (True, 1.0)])
    result = compare(original, candidate)
    # c1 scored less but still passes; c2 fails now; c3 passes now; c0 is the same
    assert [d.case_id for d in result.changed] == ["c1", "c2", "c3"]
    assert (result.lost, result.gained) == (1, 1)
    assert result.difference == pytest.approx((0 - 0.5 - 1 + 1) / 4)


def test_cases_only_one_side_completed_are_left_out():
    original = variant("original", [(True, 1.0), (True, 1.0)])
    candidate = variant("candidate", [(True, 1.0), (False, 0.0)])
    candidate.cases["c1"] = CaseScore("c1", [None], [], 1)  # the call failed: no outcome
    result = compare(original, candidate)
    assert [d.case_id for d in result.paired] == ["c0"] and result.lost == 0 and not result.regression


def test_no_completed_pair_means_no_difference_and_no_regression():
    original = variant("original", [(True, 1.0)])
    candidate = VariantScore("candidate", "candidate", {"c0": CaseScore("c0", [None], [], 1)})
    result = compare(original, candidate)
    assert (result.paired, result.difference, result.regression) == ([], 0.0, False)


def test_a_case_reason_is_its_first_failing_repeats_and_empty_when_it_passed():
    equals = Assertion("equals", "a")
    failed = Outcome(False, 0.0, [AssertionResult(equals, False, 0.0, "expected 'a', got 'b'")])
    repeats = [Outcome(True, 1.0, [AssertionResult(equals, True, 1.0)]), failed]
    assert CaseScore("c", ["a", "b"], repeats, 2).reason == "equals: expected 'a', got 'b'"
    assert CaseScore("c", ["a"], [Outcome(True, 1.0)], 1).reason == ""


# -- scoring the answers -----------------------------------------------------------------------


def test_scores_average_repeats_and_cases_and_skip_unanswered_ones():
    from promptopt.evaluation.runner import CallOutcome, PlannedCall
    from promptopt.evaluation.suite import TestCase

    cases = [TestCase("a", {}, (Assertion("equals", "yes"),)), TestCase("b", {}, (Assertion("equals", "yes"),))]
    calls = [PlannedCall("original", case, repeat, [], f"{case}{repeat}") for case in "ab" for repeat in (0, 1)]
    calls.append(PlannedCall("other", "a", 0, [], "x"))  # another variant's call is not this one's
    answers = {"a0": CallOutcome("yes"), "a1": CallOutcome("no"), "b0": CallOutcome("yes"), "x": CallOutcome("yes")}
    scored = score_variant("original", "prompt.txt", calls, answers, cases)
    assert scored.source == "prompt.txt" and set(scored.cases) == {"a", "b"}
    a, b = scored.cases["a"], scored.cases["b"]
    assert (a.case_id, a.repeats, a.outputs, a.score, a.pass_rate, a.passed) == ("a", 2, ["yes", "no"], 0.5, 0.5, True)
    assert (b.repeats, b.outputs, b.complete, b.score, b.passed) == (2, ["yes", None], False, None, None)
    assert (scored.completed, scored.passed, scored.mean_score) == (1, 1, 0.5)  # b is left out, not counted as 0
    assert VariantScore("none", "none").mean_score is None


# -- the verdict's numbers -----------------------------------------------------------------------


def test_reported_figures_are_rounded_to_six_places():
    original = variant("original", [(True, 1.0)] * 9 + [(False, 0.0)] * 5)
    result = compare(original, variant("candidate", [(False, 0.0)] * 9 + [(False, 0.0)] * 4 + [(False, 0.5)]))
    assert result.p_value == 0.003906  # 2 / 2**9
    assert result.difference == round((-9 + 0.5) / 14, 6)
    assert all(bound == round(bound, 6) for bound in result.ci)
