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
    (team / "promptopt.toml").write_text('ignore = ["PO403"]\n')
    (team / "bot.md").write_text(BLOATED)
    assert load_config(team).ignore == ["PO403"]
    codes = audit_json(team)
    assert "PO401" in codes and "PO403" not in codes


def test_select_and_ignore_take_code_prefixes(tmp_path):
    (tmp_path / "bot.md").write_text(BLOATED)
    assert audit_json(tmp_path, "--select", "PO4") == ["PO401", "PO403"]
    assert "PO401" not in audit_json(tmp_path, "--ignore", "PO40")


def test_per_file_ignores(tmp_path):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.md").write_text(BLOATED)
    (tmp_path / "new.md").write_text(BLOATED)
    (tmp_path / "promptopt.toml").write_text('[per-file-ignores]\n"legacy/*" = ["PO1", "PO4"]\n')
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    files = {f["path"].split("/")[-1]: {x["code"] for x in f["findings"]} for f in json.loads(result.output)["files"]}
    assert not files["old.md"] & {"PO101", "PO401", "PO403"}
    assert {"PO101", "PO401", "PO403"} <= files["new.md"]


def test_rule_options_change_what_is_flagged(tmp_path):
    (tmp_path / "bot.md").write_text(BLOATED)
    assert "PO501" not in audit_json(tmp_path)
    (tmp_path / "promptopt.toml").write_text("[rules.PO501]\nbudget = 10\n")
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
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--format", "json"])
    found = {(f["path"].split("/")[-1], x["code"], x["line"]) for f in json.loads(result.output)["files"]
             for x in f["findings"]}
    assert ("a.j2", "PO401", 2) not in found and ("a.j2", "PO401", 3) in found
    assert not any(code == "PO403" and name == "b.yaml" for name, code, _ in found)
    assert ("b.yaml", "PO401", 3) in found
