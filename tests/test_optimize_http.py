"""`promptopt optimize` through litellm against the OpenAI-compatible server on 127.0.0.1.

The server's models read few-shot prompts deterministically (tests/openai_server.py) and its two
rewriters condense a prompt, one faithfully, one dropping the line that says "never". So the rewrite
lever's two paths are real HTTP calls: the guard refuses the rewrite that lost a constraint before
any eval call; the faithful one is a candidate the eval decides. The cases are the bundled
fewshot_sentiment reviews (the project's own data).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.optimize.cli import optimize_command

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "evals" / "fewshot_sentiment"
NEVER_LINE = "Never answer with a word that is not one of the two labels.\n"
SUITE = """prompt: prompt.txt
model: {model}
dataset: {{path: {data}, vars: {{text: text}}, expected: label, id: id, limit: 120}}
defaultTest:
  assert: [{{type: equals, value: "{{{{expected}}}}"}}]
"""



@pytest.fixture
def folder(tmp_path, readers, monkeypatch):
    text = (FIXTURE / "prompt.txt").read_text(encoding="utf-8")
    text = text.replace("Do not explain your answer.\n", "Do not explain your answer.\n" + NEVER_LINE)
    assert NEVER_LINE in text
    (tmp_path / "prompt.txt").write_text(text, encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text("[usage]\nrequests-per-day = 2000\n", encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(
        SUITE.format(model="openai/gpt-4o", data=FIXTURE / "reviews.jsonl"), encoding="utf-8"
    )
    return tmp_path


def optimize(folder: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        optimize_command,
        [str(folder / "prompt.txt"), "--suite", str(folder / "suite.yaml"), "--format", "json", "--no-lingua",
         "--max-drop", "0.15", "--cache-dir", str(folder / "cache"), *args],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output + result.stderr
    return result.exit_code, json.loads(result.stdout)


def by_lever(report: dict, lever: str) -> list[dict]:
    return [c for c in report["candidates"] if c["lever"] == lever]


def test_a_rewrite_that_drops_a_constraint_is_refused_by_the_guard(folder, readers):
    code, report = optimize(folder, "--rewrite-model", "openai/rewriter-lossy")
    (rewrite,) = by_lever(report, "rewrite")
    assert rewrite["note"].startswith("refused by the guard")
    assert "never" in rewrite["note"].lower()
    assert rewrite["comparison"] is None and rewrite["verdict"] == "not tried"  # no eval call spent on it
    assert "rewrite" not in (report["combination"] or {}).get("levers", [])


def test_a_rewrite_that_keeps_the_constraints_is_decided_by_the_eval(folder, readers):
    code, report = optimize(folder, "--rewrite-model", "openai/rewriter-faithful")
    (rewrite,) = by_lever(report, "rewrite")
    assert rewrite["note"] is None and rewrite["comparison"] is not None
    # the reader answers from the examples and the request, which the rewrite kept: no case changed
    assert rewrite["comparison"]["lost"] == rewrite["comparison"]["gained"] == 0
    assert rewrite["verdict"] == "pass"
    assert rewrite["input_tokens"] < report["original"]["input_tokens"]


def test_levers_over_http_examples_and_a_cheaper_model(folder, readers):
    code, report = optimize(folder, "--cheaper-model", "openai/gpt-4o-mini", "--cheaper-model",
                            "openai/gpt-4.1-nano")  # fmt: skip
    examples = by_lever(report, "examples")
    zero_shot = examples[0]
    assert zero_shot["name"].startswith("zero-shot") and zero_shot["verdict"] == "regression"  # "unknown" answers
    models = {c["model"]: c for c in by_lever(report, "model")}
    assert models["openai/gpt-4o-mini"]["verdict"] == "pass"  # the same reader, a lower price
    assert models["openai/gpt-4o-mini"]["dollars_per_month"] < report["original"]["dollars_per_month"]
    assert models["openai/gpt-4.1-nano"]["verdict"] != "pass"  # reads one word of each review
    assert report["pick_cases"] + report["holdout_cases"] == 120 and report["holdout_cases"] == 24
    confirmed = report["confirmed"]
    assert confirmed is not None and confirmed["cases"] == "held out" and confirmed["comparison"]["n"] == 24
    assert "model" in confirmed["levers"]
    assert code == (0 if report["verified"] else 1)
