"""`promptopt diff --optimize`: a pull request changes a prompt with an eval suite mapped to it, and the
comment's saving on offer lists the levers `promptopt optimize` verified with that suite on held-out
cases, and the levers it tried that were not verified (never counted in the saving).

A real git repository, the real CLI, and the eval through litellm to the OpenAI-compatible server on
127.0.0.1 (tests/openai_server.py: deterministic few-shot readers, fast enough for CI). The cases are
the bundled fewshot_sentiment reviews (the project's own data).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_diff import CI_VARIABLES, LITELLM, commit, git

from promptopt.cli import main

pytestmark = pytest.mark.skipif(LITELLM is None, reason="litellm (price map and BPE files) is not installed")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "evals" / "fewshot_sentiment"
RULE = "Do not explain your answer.\n"
CONFIG = """[tool.promptopt]
model = "gpt-4o"

[tool.promptopt.usage]
requests-per-day = 2000

[tool.promptopt.eval-suites]
"prompts/sentiment.txt" = "evals/sentiment.yaml"
"""
SUITE = f"""prompt: ../prompts/sentiment.txt
model: openai/gpt-4o
dataset: {{path: {FIXTURE / "reviews.jsonl"}, vars: {{text: text}}, expected: label, id: id, limit: 120}}
defaultTest:
  assert: [{{type: equals, value: "{{{{expected}}}}"}}]
"""
DIFF = ("diff", "--base", "HEAD~1", "--head", "HEAD", "--optimize", "--max-drop", "0.15", "--no-lingua")


def one_shot() -> str:
    """The bundled prompt with its first example only: without it the readers answer "unknown"."""
    paragraphs = (FIXTURE / "prompt.txt").read_text(encoding="utf-8").split("\n\n")
    examples = [i for i, p in enumerate(paragraphs) if p.startswith("Review:")]
    text = "\n\n".join(paragraphs[: examples[1]] + paragraphs[-1:])
    assert text.count("Sentiment: ") == 1 and text.count(RULE) == 1
    return text



@pytest.fixture
def repo(tmp_path, readers, monkeypatch):
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMPTOPT_CACHE_DIR", str(tmp_path / "cache"))  # outside the repository
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    base = one_shot()
    commit(repo, {"pyproject.toml": CONFIG, "evals/sentiment.yaml": SUITE, "prompts/sentiment.txt": base}, "base")
    restated = base.replace(RULE, RULE + RULE)  # the pull request: a rule said twice
    commit(repo, {"prompts/sentiment.txt": restated}, "restate a rule")
    monkeypatch.chdir(repo)
    return repo


def diff(*args: str):
    result = CliRunner().invoke(main, [*DIFF, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_the_comment_lists_the_levers_optimize_verified_and_by_which_suite(repo, readers):
    result = diff("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    optimization = report["changes"][0]["optimization"]
    assert optimization["suite"] == "evals/sentiment.yaml" and optimization["status"] == "verified"
    assert optimization["held_out_cases"] == 24 and optimization["pick_cases"] == 96
    verified = {lever["lever"]: lever for lever in optimization["verified_levers"]}
    # the rule this pull request restated: removing it changes no answer of the readers
    assert "restated rules" in verified and verified["restated rules"]["verdict"] == "pass"
    assert verified["restated rules"]["input_tokens_saved"] > 0
    held = optimization["held_out"]
    assert held["verdict"] == "pass" and held["n"] == 24 and held["ci"][0] > -0.15
    # zero-shot leaves the readers nothing to go on: tried, a regression, not verified
    (examples,) = optimization["not_verified_levers"]
    assert examples["name"] == "zero-shot (no examples)" and examples["verdict"] == "regression"
    assert examples["monthly_saving"] > 0 and "examples" not in verified

    comment = diff("--format", "markdown").stdout
    assert comment.startswith("<!-- promptopt-diff -->")
    heading = next(line for line in comment.splitlines() if line.startswith("#### Verified levers:"))
    assert heading == "#### Verified levers: $0.90 per month in `prompts/sentiment.txt` (`evals/sentiment.yaml`, " \
                      "24 held-out cases)"
    assert "| `restated rules` | restated rules removed (PO101) | -6 | 0 | $0.90 |" in comment
    together = next(line for line in comment.splitlines() if line.startswith("Together:"))
    assert "verified by `evals/sentiment.yaml` on 24 held-out cases: score +0.0 points (95% interval" in together
    assert "`promptopt optimize prompts/sentiment.txt --suite evals/sentiment.yaml --max-drop 0.15 --no-lingua " \
           "-o prompts/sentiment.txt`" in together
    tried = comment.split("Tried, not verified (not counted in any saving):\n", 1)[1].split("\n\n", 1)[0]
    assert tried == "- `examples` zero-shot (no examples): regression on the picking cases"
    assert "Verified compression" not in comment  # --verify not asked: its "not run" line gives way
    print("\n" + comment)


def test_an_unverified_lever_is_never_counted_in_the_verified_saving(repo, readers):
    report = json.loads(diff("--format", "json").stdout)
    optimization = report["changes"][0]["optimization"]
    verified_alone = sum(lever["monthly_saving"] for lever in optimization["verified_levers"])
    unverified = [lever for lever in optimization["not_verified_levers"] if lever["monthly_saving"]]
    assert unverified, "the test needs a lever that saves money and was not verified"
    total = report["offer"]["verified_levers"]["monthly_saving"]
    # the verified saving is the combination measured on the held-out cases, and only that
    assert total == pytest.approx(optimization["monthly_saving"])
    assert total == pytest.approx(verified_alone, rel=0.25)  # the same cut, measured on other cases
    biggest = max(lever["monthly_saving"] for lever in unverified)
    assert total < verified_alone + biggest  # an unverified saving was not added
    assert report["offer"]["verified_levers"]["prompts"] == ["prompts/sentiment.txt"]


def test_a_rerun_costs_no_call_and_plain_diff_runs_no_eval(repo, readers):
    first = diff("--format", "json")
    assert first.exit_code == 0, first.output
    calls = len(readers.calls)
    again = diff("--format", "json")
    assert len(readers.calls) == calls  # every answer from the cache
    assert json.loads(again.stdout)["changes"][0]["optimization"] == json.loads(first.stdout)["changes"][0][
        "optimization"]
    plain = CliRunner().invoke(main, ["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"])
    assert plain.exit_code == 0 and len(readers.calls) == calls  # default diff: offline, no eval
    assert json.loads(plain.stdout)["changes"][0]["optimization"] is None


def test_optimize_options_without_optimize_are_an_error(repo):
    result = CliRunner().invoke(main, ["diff", "--base", "HEAD~1", "--max-drop", "0.1"])
    assert result.exit_code == 2 and "--optimize" in result.stderr


def test_a_suite_that_does_not_run_the_prompt_fails_the_job_and_says_why(repo, readers):
    suite = SUITE.replace("../prompts/sentiment.txt", "../prompts/other.txt")
    commit(repo, {"prompts/other.txt": one_shot(), "evals/sentiment.yaml": suite}, "the suite runs another prompt")
    calls = len(readers.calls)
    result = diff("--format", "markdown", "--base", "HEAD~2")  # the restated rule and the new suite
    assert result.exit_code == 2
    assert "prompts/sentiment.txt is not the prompt of suite" in result.stderr
    line = next(each for each in result.stdout.splitlines() if each.startswith("**Verified levers:**"))
    assert line.startswith("**Verified levers:** `prompts/sentiment.txt` against `evals/sentiment.yaml`: the eval "
                           "did not complete, nothing verified: ")
    assert len(readers.calls) == calls and "#### Verified levers" not in result.stdout


def test_text_format_names_the_verified_and_the_unverified_levers(repo, readers):
    lines = diff().stdout.splitlines()
    assert "Verified levers: prompts/sentiment.txt against evals/sentiment.yaml: restated rules (restated rules " \
           "removed (PO101))" in lines
    assert "  tried, not verified: examples zero-shot (no examples): regression on the picking cases" in lines
