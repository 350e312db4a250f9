"""A fix that deletes an item of a numbered list renumbers the items after it (1, 2, 3, 5, 6 becomes
1..5): the renumbering is part of the fix's edits, so `--diff`, the saving and the fidelity guard see
it; other lists stay as they are; a second `--fix` changes nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from promptopt.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "prompts"
RULES = (
    "You are the support assistant for Acme Garden Tools.\n\n"
    "Follow these rules:\n"
    "1. Answer in the customer's language, and keep every answer short and friendly.\n"
    "2. Refunds are possible within 30 days of delivery, counted from the day the parcel arrives.\n"
    "3. Never promise a delivery date.\n"
    "4. Refunds are possible within 30 days of delivery, counted from the day the parcel arrives.\n"
    "5. Escalate anything about injuries to a human agent.\n"
    "6. Answer in the customer's language, and keep every answer short and friendly.\n"
    "7. Keep every answer under 80 words.\n\n"
    "Steps:\n1. Read the message.\n2. Answer it.\n\n"
    "Customer: {{ message }}\n"
)


def audit(*args: str):
    # PO101's deletions are what renumber a list; it is opt-in (held-out precision, docs/precision.md)
    return CliRunner().invoke(main, ["audit", "--no-color", "--extend-select", "PO101", *args])


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?m)^[ \t]*(\d+)\. ", text)]


def test_the_bundled_yaml_prompt_keeps_its_list_numbered(tmp_path):
    prompt = tmp_path / "research_agent.yaml"
    shutil.copy(FIXTURES / "research_agent.yaml", prompt)
    before = prompt.read_text(encoding="utf-8")
    assert markers(before) == [1, 2, 3, 4, 5, 6], "the fixture changed: update the test"
    shown = audit(str(prompt), "--diff")
    assert "+      4. If you are not able to find an answer" in shown.output, shown.output
    audit(str(prompt), "--fix", "--exit-zero")
    after = prompt.read_text(encoding="utf-8")
    assert markers(after) == [1, 2, 3, 4, 5]
    assert "4. If you are not able to find an answer after 5 tool calls" in after
    assert audit(str(prompt), "--diff").exit_code == 0, "a second fix changes nothing"


def test_two_deletions_in_one_list_renumber_it_once_and_leave_the_other_list_alone(tmp_path):
    prompt = tmp_path / "support.md"
    prompt.write_text(RULES, encoding="utf-8")
    report = json.loads(audit(str(prompt), "--format", "json", "--exit-zero").output)
    found = report["files"][0]["findings"]
    assert [f["code"] for f in found] == ["PO101", "PO101"]
    assert all(f["tokens_saved"] > 0 for f in found), "both deletions are counted, none overlaps the other"
    replacements = {e["replacement"] for e in found[0]["fix"]["edits"]}
    assert {"4", "5", "6"} <= replacements, "the renumbering is part of the fix"
    audit(str(prompt), "--fix", "--exit-zero")
    text = prompt.read_text(encoding="utf-8")
    assert markers(text) == [1, 2, 3, 4, 5, 1, 2]
    assert "4. Escalate anything about injuries" in text and "5. Keep every answer under 80 words." in text
    assert audit(str(prompt), "--diff").exit_code == 0


def test_a_list_the_prompt_refers_to_by_number_is_not_renumbered(tmp_path):
    prompt = tmp_path / "support.md"
    prompt.write_text(RULES.replace("Steps:", "Rule 5 wins over the others.\n\nSteps:"), encoding="utf-8")
    audit(str(prompt), "--fix", "--exit-zero")
    text = prompt.read_text(encoding="utf-8")
    assert "5. Escalate anything about injuries" in text, "'rule 5' still points at the same rule"


def test_deleting_an_item_and_the_one_after_it_in_one_round_leaves_a_clean_list(tmp_path):
    """The first deletion's renumbering (4 -> 3) falls inside the second deletion: the list is renumbered
    once for both, never edited twice in one place."""
    first, second = (line.split(". ", 1)[1] for line in RULES.splitlines()[3:5])
    prompt = tmp_path / "support.md"
    # items 3 and 4 repeat items 2 and 1
    prompt.write_text(f"Rules:\n1. {first}\n2. {second}\n3. {second}\n4. {first}\n\nCustomer: {{{{ message }}}}\n",
                      encoding="utf-8")
    assert markers(prompt.read_text(encoding="utf-8")) == [1, 2, 3, 4]
    audit(str(prompt), "--fix", "--exit-zero")
    text = prompt.read_text(encoding="utf-8")
    assert markers(text) == [1, 2] and text.count("Refunds are possible") == 1, text
