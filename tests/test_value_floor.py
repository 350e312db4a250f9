"""The value floor (`--min-tokens N`): a waste finding whose fix saves N tokens or more is reported,
one that saves fewer is not (alone in its prompt, there is nothing to group it with).

The saving a finding is judged by is recomputed here with tiktoken itself: the prompt's token count
before minus after applying the finding's fix, so a wrong estimate of a rule's saving (the floor acts
on it before any fix is applied) shows up as a finding kept below the floor or dropped above it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from promptopt.cli import main

SUPPORT = (
    "You are a support assistant for Acme Cloud.\n"
    "Answer the customer's question using only the documentation below.\n"
    "Please note that refunds are only possible within 30 days of purchase.\n"
    "Keep answers under 120 words.\n"
    "In order to verify the account, ask for the order number first.\n"
    "Never share internal ticket notes with the customer.\n"
    "Answer the customer's question using only the documentation below.\n"
    "\n"
    "Documentation:\n"
    "{{docs}}\n"
    "\n"
    "Question: {{question}}\n"
)
TRAVEL = (
    "You are a travel booking assistant.\n"
    "Summarize the itinerary for the traveller in plain language.\n"
    "DO NOT UNDER ANY CIRCUMSTANCES BOOK ANYTHING without explicit confirmation.\n"
    "Itinerary: {{itinerary}}\n"
)
# the last line shouts and the file ends without a line break (as many editors save it)
CLOSING = (
    "You are a travel booking assistant.\n"
    "Itinerary: {{itinerary}}\n"
    "Summarize the itinerary for the traveller in plain language.\n"
    "Quote fares from the itinerary only. DO NOT GUESS PRICES"
)

# (prompt, the one rule selected, the line it finds, the prompt after its fix: written out by hand)
CASES = {
    "filler at a line's start": (
        SUPPORT, "PO401", 3,
        SUPPORT.replace("Please note that refunds", "Refunds"),
    ),
    "wordy phrase": (
        SUPPORT, "PO403", 5,
        SUPPORT.replace("In order to verify", "To verify"),
    ),
    "duplicate line, removed whole": (
        SUPPORT, "PO101", 7,
        SUPPORT.replace("Never share internal ticket notes with the customer.\n"
                        "Answer the customer's question using only the documentation below.\n",
                        "Never share internal ticket notes with the customer.\n"),
    ),
    "shouting in the middle of a line": (
        TRAVEL, "PO404", 3,
        TRAVEL.replace("DO NOT UNDER ANY CIRCUMSTANCES BOOK ANYTHING", "Do not under any circumstances book anything"),
    ),
    "shouting up to the end of a file with no final line break": (
        CLOSING, "PO404", 4,
        CLOSING.replace("DO NOT GUESS PRICES", "Do not guess prices"),
    ),
}


def audit(path, select: str, min_tokens: int) -> dict:
    result = CliRunner().invoke(main, ["audit", str(path), "--select", select, "--min-tokens", str(min_tokens),
                                       "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def lines_found(report: dict, code: str) -> list[int]:
    return [f["line"] for file in report["files"] for f in file["findings"] if f["code"] == code]


@pytest.mark.parametrize("case", CASES)
def test_a_finding_is_reported_exactly_when_its_fix_saves_at_least_min_tokens(tmp_path, case, o200k):
    text, code, line, fixed = CASES[case]
    path = tmp_path / "prompt.md"
    path.write_text(text, encoding="utf-8")
    everything = audit(path, code, 0)
    assert lines_found(everything, code) == [line]
    (finding,) = everything["files"][0]["findings"]
    after = text
    for edit in sorted(finding["fix"]["edits"], key=lambda e: e["start"], reverse=True):
        after = after[: edit["start"]] + edit["replacement"] + after[edit["end"] :]
    assert after == fixed  # the fix is the rewrite this case is about

    assert everything["encoding"] == "o200k_base"  # gpt-4o, the default model
    saved = len(o200k.encode(text)) - len(o200k.encode(fixed))
    assert saved > 0
    assert finding["tokens_saved"] == saved
    assert lines_found(audit(path, code, saved), code) == [line]  # at the floor: kept
    assert lines_found(audit(path, code, saved + 1), code) == []  # one token short: dropped


# -- small fixes of one rule are grouped: the group is judged, and reported, by what it saves ------

FILLERS = [
    "You are a support assistant for Acme Cloud.",
    "Please note that refunds take 30 days.",
    "Kindly keep answers short.",
    "Please ask for the order number.",  # not "Feel free to": its fix is unsafe (a permission)
    "Keep in mind that invoices are sent by email.",
    "Bear in mind that prices include tax.",
    "Please answer in English.",
    "Note that returns need a receipt.",
    "Thank you in advance.",
]


def findings_at(tmp_path, text: str, select: str, min_tokens: int) -> list[dict]:
    path = tmp_path / "prompt.md"
    path.write_text(text, encoding="utf-8")
    return [f for file in audit(path, select, min_tokens)["files"] for f in file["findings"]]


def apply_edits(text: str, edits: list[dict]) -> str:
    for edit in sorted(edits, key=lambda e: e["start"], reverse=True):
        text = text[: edit["start"]] + edit["replacement"] + text[edit["end"] :]
    return text


def test_small_fillers_are_grouped_into_one_finding_that_saves_what_applying_them_removes(tmp_path, o200k):
    text = "\n".join(FILLERS) + "\n"
    alone = findings_at(tmp_path, text, "PO401", 0)
    assert [f["line"] for f in alone] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert max(f["tokens_saved"] for f in alone[:7]) < 5 <= alone[7]["tokens_saved"]  # "Thank you in advance."

    group, thanks = findings_at(tmp_path, text, "PO401", 5)
    assert thanks["line"] == 9 and thanks["message"] == alone[7]["message"]
    assert group["line"] == 2
    assert group["message"] == "'Please note that' is filler: remove it (and 6 more like it, lines 3, 4, 5, 6, 7, ...)"
    assert group["fix"]["title"] == "Remove 'Please note that' (7 places)"
    assert group["fix"]["applicability"] == "safe"
    assert [r["line"] for r in group["related"]] == [3, 4, 5, 6, 7, 8]
    saved = len(o200k.encode(text)) - len(o200k.encode(apply_edits(text, group["fix"]["edits"])))
    assert group["tokens_saved"] == saved == sum(f["tokens_saved"] for f in alone[:7])
    # without the last line, the group is judged by what it saves: kept at its saving, dropped one token above
    text = "\n".join(FILLERS[:8]) + "\n"
    assert [f["line"] for f in findings_at(tmp_path, text, "PO401", saved)] == [2]
    assert findings_at(tmp_path, text, "PO401", saved + 1) == []


def test_a_group_of_six_names_the_five_other_lines_in_full(tmp_path):
    text = "\n".join(FILLERS[:7]) + "\n"
    (group,) = findings_at(tmp_path, text, "PO401", 5)
    assert group["message"] == "'Please note that' is filler: remove it (and 5 more like it, lines 3, 4, 5, 6, 7)"
    assert group["fix"]["title"] == "Remove 'Please note that' (6 places)"


def test_small_findings_are_grouped_per_rule(tmp_path):
    text = "\n".join(FILLERS) + "\nIn order to help, ask for the order number.\n"
    found = findings_at(tmp_path, text, "PO401,PO403", 5)
    # the wordy phrase alone saves less than 5 tokens: dropped, not folded into the fillers' group
    assert [(f["code"], f["line"]) for f in found] == [("PO401", 2), ("PO401", 9)]
    assert "(and 6 more like it" in found[0]["message"]


def test_two_adjacent_duplicate_lines_group_and_both_go(tmp_path, o200k):
    text = ("You are a support assistant for Acme Cloud.\nAnswer in English.\n"
            + "Refunds take 30 days.\n" * 3 + "Keep answers short.\n")
    alone = findings_at(tmp_path, text, "PO101", 0)
    assert [(f["line"], f["tokens_saved"]) for f in alone] == [(4, 7), (5, 7)]
    (group,) = findings_at(tmp_path, text, "PO101", 10)
    assert group["message"] == "duplicate of the instruction at line 3: remove it (and 1 more like it, lines 5)"
    assert [r["line"] for r in group["related"]] == [5]
    fixed = apply_edits(text, group["fix"]["edits"])
    assert fixed.count("Refunds take 30 days.\n") == 1
    assert group["tokens_saved"] == len(o200k.encode(text)) - len(o200k.encode(fixed)) == 14


def test_a_group_with_one_unsafe_fix_is_an_unsafe_fix(tmp_path):
    text = ("You are a travel booking assistant.\nDO NOT BOOK A FLIGHT without confirmation.\n"
            "Summarize the itinerary in plain language.\nALWAYS QUOTE THE FARE from the itinerary.\n")
    alone = findings_at(tmp_path, text, "PO404", 0)
    assert [f["tokens_saved"] for f in alone] == [1, 3] and {f["fix"]["applicability"] for f in alone} == {"unsafe"}
    (group,) = findings_at(tmp_path, text, "PO404", 4)
    assert group["fix"]["applicability"] == "unsafe"
    assert group["fix"]["title"] == "Write it in sentence case (2 places)"


def test_a_hedge_has_no_fix_so_any_floor_drops_it(tmp_path):
    text = "You are a travel booking assistant.\nPerhaps try to answer briefly.\nAnswer in English.\n"
    assert [f["line"] for f in findings_at(tmp_path, text, "PO402", 0)] == [2]
    assert findings_at(tmp_path, text, "PO402", 1) == []


def test_a_fix_the_guard_rejects_claims_no_saving_and_says_why(tmp_path):
    text = "You are a support agent.\nGreet {{name}} politely.\nAnswer the question.\nGreet {{name}} politely.\n"
    (finding,) = findings_at(tmp_path, text, "PO101", 0)
    assert finding["tokens_saved"] == 0
    assert finding["message"] == (
        "duplicate of the instruction at line 2: remove it (no saving counted: the fidelity guard rejects "
        "the fix, placeholder {{name}} changed (count 2 -> 1))"
    )


def test_a_fix_inside_one_an_earlier_fix_removes_claims_no_saving_and_says_why(tmp_path, o200k):
    text = ("You are a support assistant for Acme Cloud.\nPlease note that refunds take 30 days.\n"
            "Answer in English.\nPlease note that refunds take 30 days.\n")
    filler, duplicate, inside = findings_at(tmp_path, text, "PO101,PO401", 0)
    assert (filler["code"], duplicate["code"], inside["code"]) == ("PO401", "PO101", "PO401")
    assert inside["line"] == 4 and inside["tokens_saved"] == 0
    assert inside["message"] == (
        "'Please note that' is filler: remove it (no saving counted: its fix overlaps an earlier finding's)"
    )
    both = apply_edits(text, filler["fix"]["edits"] + duplicate["fix"]["edits"])
    assert filler["tokens_saved"] + duplicate["tokens_saved"] == len(o200k.encode(text)) - len(o200k.encode(both))


def test_fixes_that_together_save_nothing_are_not_reported_at_any_floor(tmp_path, o200k):
    text = ("You are a travel booking assistant.\nUSE THE LOCAL TIME when you reply.\n"
            "Summarize the itinerary.\nUSE THE HOTEL NAME in the summary.\n")
    alone = findings_at(tmp_path, text, "PO404", 0)
    assert [f["line"] for f in alone] == [2, 4]
    fixed = apply_edits(text, [e for f in alone for e in f["fix"]["edits"]])
    assert len(o200k.encode(text)) - len(o200k.encode(fixed)) == 0 == sum(f["tokens_saved"] for f in alone)
    assert findings_at(tmp_path, text, "PO404", 1) == []


def test_a_finding_without_a_fix_is_judged_by_its_rules_estimate_and_claims_nothing(tmp_path, o200k):
    text = ("You are a support assistant for Acme Cloud.\n"
            "Answer the question, and check the order status in the admin panel before you reply.\n"
            "If the customer asks about a refund, check the order status in the admin panel first.\n"
            "Escalate to a human when you cannot check the order status in the admin panel.\n")
    # said once instead of three times: two repeats of the phrase go
    estimate = 2 * len(o200k.encode(" check the order status in the admin"))
    (finding,) = findings_at(tmp_path, text, "PO104", estimate)
    assert finding["fix"] is None and finding["tokens_saved"] == 0
    assert findings_at(tmp_path, text, "PO104", estimate + 1) == []


ACRONYMS = (
    "Write an acronym for the product described.\n\n"
    "Input: an intelligent bot that helps with productivity.\n"
    "Output: P.A.L. = Personal Assistant Light.\n\n"
    "Input: an intelligent bot that helps with productivity.\n"
    "Output: C.O.R.E. = Central Optimization Routines and Efficiency.\n\n"
    "Input: a tool that sorts email.\n"
    "Output: S.O.R.T. = Smart Organiser of Received Texts.\n\n"
    "Input: a tool that sorts email.\n"
    "Output: M.A.I.L. = Message Assistant for Inbox Life.\n"
)


def test_grouped_deletions_of_repeated_examples_are_still_example_deletions(tmp_path, o200k):
    """Deleting a repeated few-shot example removes the names in its answer: the guard lets that pass
    for examples (data, not instructions), grouped or not, so the group's saving counts."""
    alone = findings_at(tmp_path, ACRONYMS, "PO204", 0)
    assert [f["line"] for f in alone] == [6, 12] and max(f["tokens_saved"] for f in alone) < 30
    (group,) = findings_at(tmp_path, ACRONYMS, "PO204", 30)
    assert group["message"] == "1 example(s) repeat the example at line 3: keep one (and 1 more like it, lines 12)"
    fixed = apply_edits(ACRONYMS, group["fix"]["edits"])
    assert "Central" not in fixed and "Inbox" not in fixed
    assert group["tokens_saved"] == len(o200k.encode(ACRONYMS)) - len(o200k.encode(fixed)) >= 30


def test_an_unsafe_filler_fix_does_not_make_the_safe_group_unsafe(tmp_path):
    """ "Feel free to" has an unsafe fix (it grants a permission): grouped with the safe fillers, it
    would keep `audit --fix` from applying any of them."""
    text = "\n".join([*FILLERS[:8], "Feel free to ask for the order number."]) + "\n"
    groups = findings_at(tmp_path, text, "PO401", 5)
    safe = [g for g in groups if g["fix"]["applicability"] == "safe"]
    assert [g["line"] for g in safe] == [2]
    assert safe[0]["fix"]["title"] == "Remove 'Please note that' (7 places)"


def test_a_correctness_finding_shows_at_the_default_floor():
    """PO201 (an example label outside the declared set) risks the output: no fix, saves 0, still shown."""
    from pathlib import Path

    from promptopt.config import Config
    from promptopt.engine import Auditor

    path = Path(__file__).resolve().parents[1] / "fixtures" / "prompts" / "ticket_classifier.j2"
    config = Config()
    assert config.min_tokens >= 10
    result = Auditor(config).audit_file(path)
    found = [f for f in result.findings if f.code == "PO201"]
    assert found and "product_question" in found[0].message


def test_template_comments_are_not_counted_or_priced(tmp_path):
    """`{# ... #}` never reaches the model: a file's tokens are the same with or without one."""
    from promptopt.config import Config
    from promptopt.engine import Auditor

    body = "Classify the ticket into billing, shipping or other.\nTicket: {{ ticket }}\n"
    comment = "{# promptopt: ignore PO803 #}\n{# Notes for maintainers: the label set changed in March; "
    comment += "keep the old labels until the dashboard migrates. #}\n"
    plain, commented = tmp_path / "a.j2", tmp_path / "b.j2"
    plain.write_text(body, encoding="utf-8")
    commented.write_text(comment + body, encoding="utf-8")
    auditor = Auditor(Config())
    assert auditor.audit_file(plain).tokens == auditor.counter.count(body)
    # the comments go; the line breaks after them stay (Jinja keeps them by default)
    assert auditor.audit_file(commented).tokens == auditor.counter.count("\n\n" + body)
