"""The fix loop's promises, with hand-made findings (the rules are tested elsewhere): safe fixes only
unless asked, edits that touch but do not overlap go in one round, one refused or unusable fix does not
hold up the others, and a loop that does not settle stops after MAX_ROUNDS."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptopt.core import Applicability, Edit, Finding, Fix, Location, Severity, Span
from promptopt.fixes import MAX_ROUNDS, FixLoopError, apply_once, declared_labels_of, fix_to_fixed_point, guarded_accept

PATH = Path("p.md")


def finding(start: int, end: int, replacement: str = "", unsafe: bool = False, code: str = "T1") -> Finding:
    fix = Fix((Edit(Span(start, end), replacement),), Applicability.UNSAFE if unsafe else Applicability.SAFE, "fix")
    return Finding(code, "test", Severity.INFO, PATH, Location(1, start + 1, 1, end + 1), "x", fix=fix,
                   snippet=str(start))


def test_unsafe_fixes_need_asking_for():
    text = "aaa bbb ccc"
    findings = [finding(0, 4, unsafe=True), finding(4, 8)]
    assert apply_once(text, findings)[0] == "aaa ccc"  # the default is safe only
    assert apply_once(text, findings, unsafe=True)[0] == "ccc"
    once = fix_to_fixed_point(PATH, text, lambda p, t: [f for f in findings if t == text])
    assert once.text == "aaa ccc" and [f.snippet for f in once.applied] == ["4"]


def test_edits_that_only_touch_go_in_the_same_round_overlapping_ones_wait():
    text = "0123456789"
    new, chosen, _ = apply_once(text, [finding(0, 3, "a"), finding(3, 6, "b"), finding(5, 8, "c")])
    assert new == "ab6789" and [f.snippet for f in chosen] == ["0", "3"]  # [5, 8) overlaps [3, 6)
    # two insertions at one place would have no defined order: the second waits for the next round
    new, chosen, _ = apply_once(text, [finding(4, 4, "x"), finding(4, 4, "y", code="T2")])
    assert new == "0123x456789" and len(chosen) == 1
    # an insertion right after a replaced span does not collide with it
    new, chosen, _ = apply_once(text, [finding(2, 4, "-"), finding(4, 4, "+")])
    assert new == "01-+456789" and len(chosen) == 2


def test_an_unusable_or_refused_fix_does_not_hold_up_the_next_one():
    text = "keep 3 days. drop this. drop that."
    findings = [finding(0, 13, unsafe=True), finding(5, 12), finding(13, 23), finding(23, 33)]

    def refuse_numbers(before, after):
        return "lost number '3'" if "3" in before and "3" not in after else None

    new, chosen, rejected = apply_once(text, findings, accept=refuse_numbers)
    assert [r for _f, r in rejected] == ["lost number '3'"]
    assert new == "keep 3 days. ." and len(chosen) == 2


def test_rounds_are_counted_and_a_loop_that_never_settles_stops():
    def chain(length: int):
        """Each round one 'x' goes; a check reports only the first: `length` rounds to settle."""
        def check(path, text):
            return [finding(text.index("x"), text.index("x") + 1)] if "x" in text else []
        return "x" * length, check

    assert fix_to_fixed_point(PATH, "clean", chain(0)[1]).rounds == 0
    text, check = chain(MAX_ROUNDS - 1)
    outcome = fix_to_fixed_point(PATH, text, check)
    assert (outcome.text, outcome.rounds, len(outcome.applied)) == ("", MAX_ROUNDS - 1, MAX_ROUNDS - 1)
    text, check = chain(MAX_ROUNDS)
    with pytest.raises(FixLoopError, match=f"did not settle after {MAX_ROUNDS} rounds"):
        fix_to_fixed_point(PATH, text, check)


def test_the_guard_on_every_fix_path_knows_the_declared_labels():
    source = "Classify the ticket as one of: billing, refund, other.\nRefund requests cite an order.\n"
    assert set(declared_labels_of(PATH, source)) >= {"billing", "refund", "other"}
    accept = guarded_accept(PATH, source)
    dropped = source.replace("billing, refund, other", "billing, other").replace("Refund requests", "Requests")
    assert accept(source, dropped) == "lost label 'refund'"


def test_after_an_overlapping_fix_the_later_ones_still_apply():
    text = "0123456789"
    new, chosen, _ = apply_once(text, [finding(0, 3, "a"), finding(2, 4, "z"), finding(6, 8, "c")])
    assert new == "a345c89" and [f.snippet for f in chosen] == ["0", "6"]


def test_order_of_findings_is_not_order_of_edits():
    """A finding reported first may edit further on: an edit ending where it starts still fits."""
    text = "0123456789"
    late = finding(3, 6, "b")
    early_edit = Finding("T2", "test", Severity.INFO, PATH, Location(1, 9, 1, 9), "x",
                         fix=Fix((Edit(Span(0, 3), "a"),), Applicability.SAFE, "fix"), snippet="e")
    new, chosen, _ = apply_once(text, [late, early_edit])
    assert new == "ab6789" and len(chosen) == 2


def test_a_fix_fine_alone_but_not_with_another_waits_and_does_not_hold_up_the_next():
    """A sentence and its duplicate: each deletion alone keeps the number, both together lose it."""
    text = "Reply within 3 days.\nReply within 3 days.\nPlease note that you must sign.\n"
    accept = guarded_accept(PATH, text)
    sign = text.index("Please")
    first, second = finding(0, 21), finding(21, 42)
    filler = finding(sign, sign + len("Please note that you"), "You", code="T2")
    new, chosen, rejected = apply_once(text, [first, second, filler], accept=accept)
    assert chosen == [first, filler] and rejected == []  # the duplicate's deletion waits; the filler goes now
    assert new == "Reply within 3 days.\nYou must sign.\n"

    def check(path, current):  # the duplicate is reported while there is one
        return [first, second] if current.startswith("Reply within 3 days.\nReply") else []

    outcome = fix_to_fixed_point(PATH, "Reply within 3 days.\nReply within 3 days.\n", check, accept=accept)
    assert outcome.text == "Reply within 3 days.\n" and outcome.rejected == [] and outcome.rounds == 1
