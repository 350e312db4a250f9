"""The guard keeps the labels a prompt declares: one-word labels as words, others as whole phrases."""

from __future__ import annotations

from promptopt.guard import check_rewrite, reason_kind, verify

DECLARED = "Answer with one of: billing, not sure, n/a.\n"


def test_a_multi_word_label_must_stay_as_a_phrase():
    after = DECLARED.replace("not sure, ", "sure, not ")  # both words stay, the label does not
    assert check_rewrite(DECLARED, after, labels=["billing", "not sure", "n/a"]) == "lost label 'not sure'"
    assert check_rewrite(DECLARED, after.replace("sure, not ", "not sure, "), labels=["not sure"]) is None


def test_a_label_that_is_not_a_plain_word_is_matched_as_written():
    after = DECLARED.replace(", n/a", "")
    assert check_rewrite(DECLARED, after, labels=["n/a"]) == "lost label 'n/a'"


def test_a_one_word_label_is_a_whole_word_not_part_of_one():
    after = DECLARED.replace("billing,", "billing-related,")
    assert check_rewrite(DECLARED, after, labels=["billing"]) == "lost label 'billing'"


def test_a_label_the_text_never_had_is_not_lost():
    assert check_rewrite(DECLARED, DECLARED.replace("billing, ", ""), labels=["refund"]) is None


def test_verdict_json_and_reason_kinds():
    verdict = verify("Reply within 3 days to {{name}}.", "Reply soon.")
    assert verdict.to_json() == {"accepted": False, "reasons": verdict.reasons}
    assert sorted(reason_kind(r) for r in verdict.reasons) == ["lost number", "placeholder"]
    assert verify("Same.", "Same.").to_json() == {"accepted": True, "reasons": []}


def test_reasons_show_short_items_whole_and_long_ones_cut_at_40_characters():
    forty = "{{ " + "x" * 34 + " }}"  # a placeholder of exactly 40 characters
    assert len(forty) == 40
    assert check_rewrite(f"Use {forty} here.", "Use it here.") == f"placeholder {forty} removed"
    over = "{{ " + "x" * 35 + " }}"  # one character more: cut, with the quotes that show where
    assert check_rewrite(f"Use {over} here.", "Use it here.") == f"placeholder '{over[:37]}...' removed"
    block = "```\nprint('a fairly long line of code, more than forty characters')\n```"
    flat = " ".join(block.split())
    assert check_rewrite(f"Run:\n{block}\n", "Run it.\n") == f"code block '{flat[:37]}...' removed"


def test_structured_files_must_still_load_after_a_fix():
    from pathlib import Path

    from promptopt.fixes import guarded_accept, loads

    source = "system: Answer in one word.\nuser: '{{question}}'\n"
    path = Path("agent.yaml")
    assert loads(path, source) and not loads(path, source + "broken: [\n")
    accept = guarded_accept(path, source)
    assert accept(source, source.replace("Answer in", "Answer with")) is None
    assert accept(source, source.replace("system: Answer", "system: - Answer: in")) == (
        "the yaml file would no longer load"
    )


def test_a_json_example_at_the_very_start_is_protected_too():
    before = '{"intent": "refund", "amount": 12} is the shape of every answer.'
    assert check_rewrite(before, before.replace('"amount": 12', '"amount":12')).startswith("JSON example")


def test_adding_text_to_an_empty_prompt_loses_nothing():
    assert check_rewrite("", "Be brief.") is None and check_rewrite("   ", "Be brief.") is None


def test_a_name_is_protected_even_mid_sentence_and_inside_capitals():
    assert check_rewrite("Write to Alice today.", "Write to her today.") == "lost name 'Alice'"
    assert check_rewrite("Ask OpenAI support.", "Ask support.") == "lost name 'OpenAI'"
    assert check_rewrite("DBpedia lists it.", "It is listed.") == "lost name 'DBpedia'"  # not sentence case
    assert check_rewrite("Then I answer.", "Then answer.") is None  # "I" is not a name
