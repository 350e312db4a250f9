"""`promptopt diff` sorts findings by identity (rule and the text they point at), not by message:
a finding whose message changed is neither fixed nor introduced, and a finding that points only at
text the change left alone was not introduced by it. Real git repositories, the real CLI and audit."""

from __future__ import annotations

import json

import pytest
from test_diff import LITELLM, commit, git, run

from promptopt.config import Config
from promptopt.cost.matching import compare_findings
from promptopt.engine import Auditor

pytestmark = pytest.mark.skipif(LITELLM is None, reason="litellm (price map and BPE files) is not installed")

RULE = "Always answer with the label only, and never add an explanation, a greeting or any other words.\n"
TICKETS = [
    ("My card was charged twice this month.", "billing"),
    ("The parcel has not arrived after ten days.", "delivery"),
    ("Can I change my username?", "other"),
    ("Why is there a fee on my invoice?", "billing"),
    ("The courier left the box at the wrong door.", "delivery"),
    ("Do you have a dark mode?", "other"),
    ("I need a copy of my receipt for March.", "billing"),
    ("I want to send back the blue jacket.", "returns"),
    ("How do I reset my password?", "other"),
    ("Tracking says delivered but nothing came.", "delivery"),
    ("My refund has not shown up on my statement.", "billing"),
    ("The lid of the kettle arrived cracked.", "returns"),
]


def classifier(tickets: list[tuple[str, str]], rule_twice: bool) -> str:
    head = "Classify each customer ticket as billing, delivery, returns or other.\n" + RULE
    if rule_twice:
        head += "Tickets may be in any language.\n" + RULE
    shots = "".join(f"Ticket: {text}\nLabel: {label}\n\n" for text, label in tickets)
    return head + "\n" + shots + "Ticket: {{ ticket }}\nLabel:\n"


def test_a_fix_that_also_shortens_a_count_is_one_fixed_and_one_changed(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    commit(tmp_path, {"prompts/triage.md": classifier(TICKETS, rule_twice=True),
                      "promptopt.toml": 'model = "gpt-4o"\nextend-select = ["PO101", "PO205"]\n'}, "base")
    # the pull request drops the repeated rule and the third example (before the one PO205 points at)
    commit(tmp_path, {"prompts/triage.md": classifier(TICKETS[:2] + TICKETS[3:], rule_twice=False)}, "trim")
    code, out = run(tmp_path, monkeypatch, "--base", "HEAD~1", "--format", "json")
    assert code == 0, out
    change = json.loads(out)["changes"][0]
    assert [f["code"] for f in change["fixed"]] == ["PO101"], change["fixed"]
    assert change["introduced"] == []
    assert [(f["code"], f["message"].split(" few-shot")[0], f["was"].split(" few-shot")[0])
            for f in change["changed"]] == [("PO205", "11", "12")]
    _, text = run(tmp_path, monkeypatch, "--base", "HEAD~1")
    assert "1 finding fixed, 0 introduced, 1 changed" in text
    assert "introduced PO205" not in text


def test_a_new_finding_on_a_new_line_is_still_introduced(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    commit(tmp_path, {"prompts/triage.md": classifier(TICKETS[:6], rule_twice=False),
                      "promptopt.toml": 'model = "gpt-4o"\nextend-select = ["PO101", "PO205"]\n'}, "base")
    commit(tmp_path, {"prompts/triage.md": classifier(TICKETS[:6], rule_twice=True)}, "repeat the rule")
    _, out = run(tmp_path, monkeypatch, "--base", "HEAD~1", "--format", "json")
    change = json.loads(out)["changes"][0]
    assert [(f["code"], f["line"]) for f in change["introduced"]] == [("PO101", 4)]
    assert change["fixed"] == [] and change["changed"] == []


FILLERS = (
    "You are a support assistant for Acme Garden Tools.\n"
    "Please answer in the customer's language.\n"
    "Kindly keep every answer under 80 words.\n"
    "Please do not promise a delivery date.\n"
    "Refunds are possible within 30 days of delivery.\n"
    "\nCustomer: {{ message }}\n"
)


def test_small_findings_crossing_the_floor_on_untouched_lines_are_not_introduced(tmp_path):
    """Three small filler findings (1-2 tokens each) are grouped into one finding once together they
    reach `min-tokens`. The group that appears at the head points only at lines the change left as
    they were: it is listed as changed, not introduced."""
    base_text = FILLERS
    head_text = FILLERS.replace("30 days", "14 days")  # the change edits another line only
    path = tmp_path / "support.md"

    def findings(text: str, floor: int):
        config = Config(select=["PO401"], min_tokens=floor)
        return Auditor(config).audit_source(path, text).findings

    at_base, at_head = findings(base_text, 5), findings(head_text, 3)
    assert at_base == [] and len(at_head) == 1 and at_head[0].related, "the prompt no longer makes a group"
    changes = compare_findings(at_base, at_head, base_text, head_text)
    assert changes.introduced == [] and changes.fixed == []
    assert changes.changed == [(None, at_head[0])]
    # the same group on a line the change added is introduced
    added = FILLERS.replace("Refunds", "Please be patient.\nRefunds")
    group = findings(added, 3)
    assert compare_findings([], group, base_text, added).introduced == group
