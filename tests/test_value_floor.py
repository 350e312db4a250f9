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
