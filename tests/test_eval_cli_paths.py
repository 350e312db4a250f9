"""`promptopt eval` paths that need no model: what a dry run plans and says, and the errors that name
the flag at fault. In-process (CliRunner), so that mutation testing sees them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from promptopt.evaluation.cli import eval_command

TWO_PROMPTS = """\
prompts:
  - "Name the capital of {{country}} in one word."
  - "What is the capital city of {{country}}? One word."
providers:
  - openai:gpt-4o-mini
tests:
  - vars: {country: France}
    assert:
      - type: icontains
        value: Paris
      - type: llm-rubric
        value: names a city
"""
ONE_PROMPT = """\
prompts:
  - "Name the capital of {{country}} in one word."
tests:
  - vars: {country: France}
    assert:
      - type: icontains
        value: Paris
"""


def run(tmp_path, text: str, *args: str):
    suite = tmp_path / "suite.yaml"
    suite.write_text(text, encoding="utf-8")
    return CliRunner().invoke(eval_command, [str(suite), "--cache-dir", str(tmp_path / "cache"), *args])


def test_two_prompts_on_one_provider_plan_every_cell(tmp_path):
    result = run(tmp_path, TWO_PROMPTS, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("2 prompt(s) x 1 provider(s): every cell planned\n")
    assert result.stdout.count("  call ") == 2


def test_the_dry_run_names_the_grader_that_would_judge(tmp_path):
    result = run(tmp_path, TWO_PROMPTS, "--dry-run", "--grader", "openai:gpt-4o")
    note = "1 model-graded assertion(s): up to 1 grader call(s) per prompt and provider on openai/gpt-4o,"
    assert note in result.stdout


def test_the_dry_run_says_why_its_model_was_chosen_and_ends_with_one_line_break(tmp_path, monkeypatch):
    from promptopt.evaluation.runner import DEFAULT_MODELS_BY_KEY

    for key, _model in DEFAULT_MODELS_BY_KEY:  # no provider key: the local smoke-test model is chosen
        monkeypatch.delenv(key, raising=False)
    text = run(tmp_path, ONE_PROMPT, "--dry-run")
    assert text.exit_code == 0
    assert text.stdout.startswith("dry run: model local/smollm2 (no model named and no provider key set")
    assert text.stdout.endswith("\n") and not text.stdout.endswith("\n\n")
    named = run(tmp_path, ONE_PROMPT, "--dry-run", "--model", "gpt-4o-mini")
    assert named.stdout.startswith("dry run: model gpt-4o-mini (named)")
    as_json = run(tmp_path, ONE_PROMPT, "--dry-run", "--format", "json")
    assert as_json.stdout.endswith("}\n")
    json.loads(as_json.stdout)


def test_an_unknown_candidate_prompt_is_named_with_its_flag(tmp_path):
    result = run(tmp_path, TWO_PROMPTS, "--dry-run", "--candidate-prompt", "nope")
    assert result.exit_code == 2
    assert "--candidate-prompt 'nope' is none of the suite's prompts" in result.stderr
    result = run(tmp_path, TWO_PROMPTS, "--dry-run", "--baseline-prompt", "nope")
    assert result.exit_code == 2
    assert "--baseline-prompt 'nope' is none of the suite's prompts" in result.stderr
