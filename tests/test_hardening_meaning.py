"""Issue 11, item 2: a safe fix never touches quoted text, inline code or an embedded document, and
never changes the YAML type of a value. The guard enforces it for every rule (not rule by rule)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.compressors.rules import compress_rules
from promptopt.config import Config, for_rewriting
from promptopt.fixes import guarded_accept
from promptopt.guard import check_rewrite

FABRIC_HTML = Path(__file__).resolve().parents[2] / "shared/corpus/prompts/fabric/sanitize_broken_html_to_markdown.md"


def _fix(path: Path, *extra: str) -> str:
    CliRunner().invoke(main, ["audit", str(path), "--select", "ALL", "--min-tokens", "0", "--fix", *extra])
    return path.read_text(encoding="utf-8")


def test_fix_keeps_a_quoted_word_and_still_fixes_the_rest(tmp_path):
    prompt = tmp_path / "p.md"
    prompt.write_text('Never say "please" to the user. Please note that you must answer.\n', encoding="utf-8")
    fixed = _fix(prompt)
    assert 'Never say "please" to the user.' in fixed
    assert "Please note that" not in fixed  # the filler outside the quotes is still removed


@pytest.mark.parametrize("quoted", ["`Please note that done`", "'please'", "“please”"])
def test_fix_keeps_inline_code_and_other_quotes(tmp_path, quoted):
    prompt = tmp_path / "p.md"
    prompt.write_text(f"When you are finished, print {quoted} exactly and nothing else.\n", encoding="utf-8")
    assert quoted in _fix(prompt, "--unsafe-fixes")


def test_fix_never_turns_a_yaml_string_into_a_boolean(tmp_path):
    config = tmp_path / "prompts.yaml"
    config.write_text("prompts:\n  - Please note that yes\n  - Please note that you must answer politely.\n",
                      encoding="utf-8")
    fixed = yaml.safe_load(_fix(config))
    assert all(isinstance(value, str) for value in fixed["prompts"]), fixed
    assert fixed["prompts"][1] == "You must answer politely."


def test_guard_names_the_type_change(tmp_path):
    path = tmp_path / "p.yaml"
    before = "prompts:\n  - Please note that yes\n"
    reason = guarded_accept(path, before)(before, "prompts:\n  - Yes\n")
    assert reason is not None and "str -> bool" in reason


def test_fix_inside_a_quoted_yaml_prompt_is_checked_on_the_prompt(tmp_path):
    """In YAML the quotes delimit the value: a fix inside it is fine unless it edits a quote in the prompt."""
    config = tmp_path / "agent.yaml"
    config.write_text('system_prompt: "Please note that you must never say \'sorry\' to a customer."\n',
                      encoding="utf-8")
    fixed = yaml.safe_load(_fix(config))["system_prompt"]
    assert fixed == "You must never say 'sorry' to a customer."


@pytest.mark.corpus
@pytest.mark.skipif(not FABRIC_HTML.is_file(), reason=f"shared corpus not found at {FABRIC_HTML}")
def test_rules_compression_keeps_every_line_of_the_embedded_html_document():
    text = FABRIC_HTML.read_text(encoding="utf-8")
    result = compress_rules(FABRIC_HTML, text, for_rewriting(Config()))  # every rule, as compress runs
    lines = Counter(line.strip() for line in text.splitlines() if line.strip())
    kept = Counter(line.strip() for line in result.text.splitlines() if line.strip())
    assert lines - kept == Counter(), "lines of the embedded HTML/Vue document were deleted"
    # and should a rule propose it, the guard refuses a deletion inside the embedded document
    first_tag = next(line for line in text.splitlines() if line.strip().startswith("<script"))
    reason = check_rewrite(text, text.replace(first_tag + "\n", "", 1))
    assert reason is not None and "embedded document line" in reason


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        # the place of the value, from the root of the file's one document
        ("agent:\n  prompts:\n    - Please note that yes\n    - Be brief.\n",
         "agent:\n  prompts:\n    - Yes\n    - Be brief.\n",
         "the YAML value at agent.prompts[0] would change type (str -> bool)"),
        ("- Please note that 12\n- Be brief.\n", "- 12\n- Be brief.\n",
         "the YAML value at [0] would change type (str -> int)"),
        ("Please note that yes\n", "Yes\n", "the YAML value at the top would change type (str -> bool)"),
        # with several documents the place starts with the document's index
        ("system: Be brief.\n---\nsystem: Please note that yes\n", "system: Be brief.\n---\nsystem: Yes\n",
         "the YAML value at [1].system would change type (str -> bool)"),
        # a duplicate removed from a list, a key removed
        ("prompts:\n  - Be brief.\n  - Be brief.\n", "prompts:\n  - Be brief.\n",
         "the YAML list at prompts would change length"),
        ("- Be brief.\n- Be brief.\n", "- Be brief.\n", "the YAML list at the top would change length"),
        ("system: Be brief.\nuser: Be brief.\n", "system: Be brief.\n", "the YAML keys at the top would change"),
        ("agent:\n  system: Be brief.\n  user: Be brief.\n", "agent:\n  system: Be brief.\n",
         "the YAML keys at agent would change"),
        # still YAML, but no longer data: a mapping key that is a list
        ("prompts:\n  - Be brief.\n", "prompts:\n  - Be brief.\n? [a]\n: b\n", "the yaml file would no longer load"),
    ],
)  # fmt: skip
def test_guard_refuses_a_yaml_rewrite_that_changes_the_data_and_says_where(tmp_path, before, after, reason):
    assert guarded_accept(tmp_path / "prompts.yaml", before)(before, after) == reason


def test_yaml_prompts_keep_their_quoted_text_and_placeholders(tmp_path):
    path = tmp_path / "prompts.yaml"
    # the second prompt's text starts with a quoted word: protected, and no obstacle to a fix elsewhere
    before = "prompts:\n  - Please note that you must be kind.\n  - \"'Sorry' is a word you never say.\"\n"
    accept = guarded_accept(path, before)
    assert accept(before, before.replace("Please note that you must", "You must")) is None
    assert accept(before, before.replace("'Sorry'", "Sorry")) == "changed quoted text or inline code 'Sorry'"
    before = "system: Answer about {{topic}} in one word.\n"
    assert guarded_accept(path, before)(before, "system: Answer in one word.\n") == "placeholder {{topic}} removed"
