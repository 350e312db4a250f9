"""`promptopt eval` end to end through litellm against an OpenAI-compatible server on 127.0.0.1.

The server's models read few-shot prompts deterministically (tests/openai_server.py): no LLM and no
network, but real HTTP, litellm's OpenAI client, the answer cache, scoring, the verdict and the
report. The requests are SNIPS intents from the shared corpus; the few-shot prompt is built from
corpus rows at test time (two examples per intent), and those rows are kept out of the cases.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.evaluation.cli import eval_command

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "evals" / "snips_slots154.jsonl"
INSTRUCTION = "Classify each request into one of these intents: {labels}.\nAnswer with the intent name only.\n\n"
SUITE = """prompt: {prompt}
model: {model}
dataset: {{path: cases.jsonl, vars: {{text: text}}, expected: intent, shuffle: 7, limit: {limit}}}
defaultTest:
  assert: [{{type: equals, value: "{{{{expected}}}}"}}]
"""



@pytest.fixture
def folder(tmp_path, readers, monkeypatch):
    """Prompts (few-shot, identical copy, one example per intent, stripped) and the cases, from the corpus."""
    if not CORPUS.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_intent: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(row)
    examples = {intent: items[:2] for intent, items in by_intent.items()}
    used = {row["id"] for items in examples.values() for row in items}
    head = INSTRUCTION.format(labels=", ".join(sorted(by_intent)))

    def prompt(per_intent: int) -> str:
        shots = [r for pair in zip(*examples.values(), strict=False) for r in pair][: per_intent * len(examples)]
        return head + "".join(f"Request: {r['text']}\nIntent: {r['intent']}\n\n" for r in shots)

    tail = "Request: {{text}}\nIntent:\n"
    (tmp_path / "fewshot.txt").write_text(prompt(2) + tail, encoding="utf-8")
    (tmp_path / "copy.txt").write_text(prompt(2) + tail, encoding="utf-8")
    (tmp_path / "one_example.txt").write_text(prompt(1) + tail, encoding="utf-8")
    (tmp_path / "stripped.txt").write_text(tail, encoding="utf-8")
    cases = [json.dumps(r) for r in rows if r["id"] not in used]
    (tmp_path / "cases.jsonl").write_text("\n".join(cases) + "\n", encoding="utf-8")
    return tmp_path


def write_suite(folder: Path, limit: int, model: str = "openai/gpt-4o", prompt: str = "fewshot.txt") -> Path:
    path = folder / f"suite_{limit}.yaml"
    path.write_text(SUITE.format(prompt=prompt, model=model, limit=limit), encoding="utf-8")
    return path


def run(folder: Path, suite: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(eval_command, [str(suite), "--cache-dir", str(folder / "cache"), *args])
    assert result.exit_code in (0, 1), result.output + result.stderr
    return result.exit_code, result.stdout


def compare_json(folder: Path, limit: int, candidate: str, *args: str) -> tuple[int, dict]:
    code, out = run(folder, write_suite(folder, limit), "--candidate", str(folder / candidate), "--format", "json",
                    *args)  # fmt: skip
    return code, json.loads(out)


@pytest.mark.corpus
def test_identical_prompt_passes_only_once_the_suite_can_rule_out_the_drop(folder):
    code, small = compare_json(folder, 16, "copy.txt")
    assert small["comparison"]["verdict"] == "inconclusive" and code == 1
    assert small["comparison"]["difference"] == 0
    needed = small["comparison"]["power"]["cases_needed"]
    assert small["comparison"]["power"]["ruled_out_drop"] > 0.05 and 16 < needed <= 100
    assert compare_json(folder, 16, "copy.txt", "--allow-inconclusive")[0] == 0

    code, large = compare_json(folder, needed, "copy.txt")
    assert large["comparison"]["verdict"] == "pass" and code == 0
    assert large["comparison"]["ci"][0] > -0.05
    assert large["variants"]["original"]["passed"] >= needed // 2, "the few-shot reader should be mostly right"


@pytest.mark.corpus
def test_a_real_but_uncertain_drop_on_a_small_suite_is_inconclusive(folder):
    code, result = compare_json(folder, 16, "one_example.txt")
    c = result["comparison"]
    assert c["verdict"] == "inconclusive" and code == 1
    assert c["lost"] > c["gained"] and c["ci"][0] < -0.05 < c["ci"][1]


@pytest.mark.corpus
def test_a_stripped_prompt_is_a_regression_and_the_text_says_why(folder):
    code, result = compare_json(folder, 16, "stripped.txt")
    assert result["comparison"]["verdict"] == "regression" and code == 1
    assert result["variants"]["candidate"]["passed"] == 0
    code, text = run(folder, write_suite(folder, 16), "--candidate", str(folder / "stripped.txt"))
    assert code == 1 and "verdict: REGRESSION (the interval ends at" in text
    assert "evidence: 16 cases can rule out a drop of" in text


@pytest.mark.corpus
def test_two_cheaper_models_against_the_reference(folder, readers):
    (folder / "promptopt.toml").write_text("[usage]\nrequests-per-day = 10000\n", encoding="utf-8")
    models = "[openai/gpt-4o, openai/gpt-4o-mini, openai/gpt-4.1-nano]"
    suite = write_suite(folder, 100, model=models)
    code, out = run(folder, suite, "--format", "json")
    assert code == 0
    data = json.loads(out)
    runs = {m["model"]: m for m in data["models"]}
    assert data["reference"] == "openai/gpt-4o" and list(runs) == ["openai/gpt-4o", "openai/gpt-4o-mini",
                                                                    "openai/gpt-4.1-nano"]  # fmt: skip
    ref, mini, nano = runs.values()
    assert ref["comparison"] is None and ref["requests_per_month"] == 300000
    assert mini["passed"] == ref["passed"] and mini["comparison"]["verdict"] == "pass"
    assert nano["passed"] < ref["passed"] and nano["comparison"]["verdict"] == "regression"
    for cheaper in (mini, nano):  # the same prompt, so the same tokens in; cheaper per token
        assert cheaper["prompt_tokens"] == ref["prompt_tokens"]
        assert 0 < cheaper["dollars_per_request"] < ref["dollars_per_request"]
        saving = ref["dollars_per_month"] - cheaper["dollars_per_month"]
        assert cheaper["comparison"]["monthly_saving"] == pytest.approx(saving) and saving > 0

    code, text = run(folder, suite)
    c = mini["comparison"]
    sentence = (f"openai/gpt-4o-mini holds quality on this suite ({c['difference'] * 100:+.1f} points, 95% CI "
                f"{c['ci'][0] * 100:+.1f} .. {c['ci'][1] * 100:+.1f}): -${c['monthly_saving']:,.2f}/month")  # fmt: skip
    assert sentence in text
    assert "openai/gpt-4.1-nano loses quality on this suite" in text
    assert "$/month" in text.splitlines()[3 + len(data["notes"])]  # the table's header

    code, markdown = run(folder, suite, "--format", "markdown")
    assert code == 0 and f"**{sentence}**" in markdown
    assert "| `openai/gpt-4o-mini` |" in markdown
