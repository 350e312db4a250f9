"""Configuration as ruff users expect it: the closest file wins, selection by code prefix,
per-file ignores, rule options, inline suppressions; anything unknown is an error (exit 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.config import ConfigError, load_config

BLOATED = (
    "You are a support agent.\n"
    "Please note that answers must be in English.\n"
    "In order to help, answer politely.\n"
    "Keep answers under 80 words.\n"
    "Keep answers under 80 words.\n"
)


def audit_json(folder, *args):
    result = CliRunner().invoke(main, ["audit", str(folder), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted({f["code"] for file in json.loads(result.output)["files"] for f in file["findings"]})


def test_closest_config_wins_over_the_parent_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.promptopt]\nignore = ["PO401"]\n')
    team = tmp_path / "team"
    team.mkdir()
    (team / "promptopt.toml").write_text('select = ["ALL"]\nmin-tokens = 0\nignore = ["PO403"]\n')
    (team / "bot.md").write_text(BLOATED)
    assert load_config(team).ignore == ["PO403"]
    codes = audit_json(team)
    assert "PO401" in codes and "PO403" not in codes


def test_select_and_ignore_take_code_prefixes(tmp_path):
    (tmp_path / "bot.md").write_text(BLOATED)
    assert audit_json(tmp_path, "--select", "PO4", "--min-tokens", "0") == ["PO401", "PO403"]
    assert "PO401" not in audit_json(tmp_path, "--select", "ALL", "--min-tokens", "0", "--ignore", "PO40")


def test_per_file_ignores(tmp_path):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.md").write_text(BLOATED)
    (tmp_path / "new.md").write_text(BLOATED)
    (tmp_path / "promptopt.toml").write_text('select = ["ALL"]\nmin-tokens = 0\n'
                                             '[per-file-ignores]\n"legacy/*" = ["PO1", "PO4"]\n')
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    files = {f["path"].split("/")[-1]: {x["code"] for x in f["findings"]} for f in json.loads(result.output)["files"]}
    assert not files["old.md"] & {"PO101", "PO401", "PO403"}
    assert {"PO101", "PO401", "PO403"} <= files["new.md"]


def test_rule_options_change_what_is_flagged(tmp_path):
    (tmp_path / "bot.md").write_text(BLOATED)
    assert "PO501" not in audit_json(tmp_path)
    (tmp_path / "promptopt.toml").write_text("[rules.PO501]\nbudget = 10\n")
    assert "PO501" in audit_json(tmp_path)


def test_a_prompt_is_held_to_a_token_budget_only_when_the_project_sets_one(tmp_path):
    """Before: a default budget of 8,192 flagged every long prompt; readers of untuned prompts called
    that figure arbitrary. Now only `token-budget` (or the rule's `budget`) is checked."""
    long_prompt = "You answer questions about the city library's opening hours and loans.\n" + (
        "- A loan of a book lasts three weeks and may be renewed twice online or at the desk.\n" * 600)
    (tmp_path / "library.md").write_text(long_prompt)
    assert "PO501" not in audit_json(tmp_path)
    (tmp_path / "promptopt.toml").write_text("token-budget = 4000\n")
    assert "PO501" in audit_json(tmp_path)


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ('modle = "gpt-4o"\n', "unknown key 'modle'"),
        ("[rules.PO501]\nbugdet = 10\n", "no option 'bugdet'"),
        ('fail-on = "loud"\n', "unknown severity"),
        ("token-budget = [\n", "promptopt.toml"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path, config, said):
    (tmp_path / "promptopt.toml").write_text(config)
    (tmp_path / "bot.md").write_text(BLOATED)
    result = CliRunner().invoke(main, ["audit", str(tmp_path)])
    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_key_error_names_the_file(tmp_path):
    (tmp_path / "promptopt.toml").write_text("colour = true\n")
    with pytest.raises(ConfigError, match="promptopt.toml"):
        load_config(tmp_path)


def test_jinja_and_yaml_comments_suppress_findings(tmp_path):
    (tmp_path / "a.j2").write_text(
        "{# promptopt: ignore PO401 #}\nPlease note that answers must be in English.\n"
        "Please note that {{ name }} is the customer.\n"
    )
    (tmp_path / "b.yaml").write_text(
        "system_prompt: |\n"
        "  # not a comment: this line is part of the prompt\n"
        "  Please note that answers must be in English.\n"
        "# promptopt: ignore-file PO403\n"
        "user_prompt: In order to help, answer {{ question }} in under 80 words.\n"
    )
    (tmp_path / "promptopt.toml").write_text('select = ["ALL"]\nmin-tokens = 0\n')
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    found = {(f["path"].split("/")[-1], x["code"], x["line"]) for f in json.loads(result.output)["files"]
             for x in f["findings"]}
    assert ("a.j2", "PO401", 2) not in found and ("a.j2", "PO401", 3) in found
    assert not any(code == "PO403" and name == "b.yaml" for name, code, _ in found)
    assert ("b.yaml", "PO401", 3) in found


def test_the_default_set_leaves_style_rules_and_tiny_findings_out(tmp_path):
    """As in ruff, only precise rules are on by default; style rules are opt-in, and a waste finding
    worth under `min-tokens` (10) is not reported on its own."""
    (tmp_path / "bot.md").write_text(BLOATED)
    assert audit_json(tmp_path) == []  # filler (3 tokens), wordy (2), a 7-token duplicate
    assert audit_json(tmp_path, "--min-tokens", "0") == []  # PO101 is opt-in too (held-out precision)
    assert audit_json(tmp_path, "--extend-select", "PO101", "--min-tokens", "0") == ["PO101"]
    assert audit_json(tmp_path, "--extend-select", "PO101,PO401", "--min-tokens", "0") == ["PO101", "PO401"]
    (tmp_path / "promptopt.toml").write_text('extend-select = ["PO101", "PO4"]\nmin-tokens = 0\n')
    assert audit_json(tmp_path) == ["PO101", "PO401", "PO403"]


def test_small_findings_of_one_rule_are_grouped_when_they_add_up(tmp_path):
    rules = ["answers are in English", "prices include tax", "refunds take 5 days", "we ship to the EU only",
             "orders over $50 ship free", "support works on weekdays", "gift cards never expire",
             "returns need the receipt"]
    lines = [f"Please note that {rule}." for rule in rules]
    (tmp_path / "bot.md").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json", "--extend-select", "PO401"])
    (finding,) = json.loads(result.output)["files"][0]["findings"]
    assert finding["code"] == "PO401" and "and 7 more like it" in finding["message"]
    assert finding["tokens_saved"] >= 10 and len(finding["fix"]["edits"]) == 8
    fixed = CliRunner().invoke(main, ["audit", str(tmp_path), "--fix", "--extend-select", "PO401"])
    assert fixed.exit_code == 0, fixed.output
    assert "Please note" not in (tmp_path / "bot.md").read_text()


@pytest.mark.parametrize("value", ["-1", "1.5", '"ten"', "true"])
def test_min_tokens_must_be_a_whole_number(tmp_path, value):
    (tmp_path / "promptopt.toml").write_text(f"min-tokens = {value}\n")
    (tmp_path / "bot.md").write_text(BLOATED)
    result = CliRunner().invoke(main, ["audit", str(tmp_path)])
    assert result.exit_code == 2 and "min-tokens" in result.output


def test_doubled_braces_are_opt_in_since_the_file_may_be_a_str_format_template(tmp_path):
    """`{{` is the right escape in a file a program renders with str.format: the linter cannot tell."""
    (tmp_path / "reply.md").write_text('Answer as JSON, for example:\n\n{{"label": "spam", "score": 0.9}}\n')
    assert audit_json(tmp_path, "--min-tokens", "0") == []
    assert audit_json(tmp_path, "--extend-select", "PO705", "--min-tokens", "0") == ["PO705"]
