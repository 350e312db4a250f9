"""`promptopt compress --verify SUITE`: the strongest compression whose eval shows no regression.

Fast tests replace the model with a small scoring function (through the runner's completion hook):
it answers a sentiment review correctly only while the prompt still shows at least three labelled
examples, so pruning examples is a real regression and rewording is not. The slow test runs the
real local model (`local/smollm2-text`) on the SNIPS suite in fixtures/evals/snips.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner
from conftest import local_model_missing

from promptopt.cli import main
from promptopt.compressors.verify import VerifyOptions, verify
from promptopt.config import Config, for_rewriting
from promptopt.evaluation.cache import ResponseCache
from promptopt.evaluation.runner import Runner
from promptopt.evaluation.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
SNIPS = ROOT / "fixtures" / "evals" / "snips"
CORPUS = SNIPS / "requests.jsonl"  # the bundled requests: the test runs from a clone

# Filler and a shouted line (fixed by the safe PO401 and the unsafe PO404 fixes) and a duplicated
# example (removed by the unsafe PO204 fix: the example family).
PROMPT = """Label the review as positive or negative.
Please note that you should answer with one word.
NOTE THAT THE ANSWER IS ALWAYS ONE LOWERCASE WORD.

Review: Great battery and a bright screen.
Label: positive

Review: It broke after a week.
Label: negative

Review: Great battery and a bright screen.
Label: positive

Review: {{review}}
Label:
"""
REVIEWS = {
    "Lovely colours and fast shipping": "positive",
    "Stopped working in a day": "negative",
    "Works well and looks great": "positive",
    "The lid cracked at once": "negative",
    "Best purchase this year": "positive",
    "Arrived broken and late": "negative",
    "Comfortable and quiet": "positive",
    "Battery died after an hour": "negative",
}


class ExampleCountingModel:
    """Right on every review while the prompt shows 3+ labelled examples (and `needs`, when set), else wrong."""

    def __init__(self, needs: str | None = None):
        self.needs = needs
        self.calls: list[str] = []

    def __call__(self, model: str, messages: list[dict[str, str]], **params):
        prompt = messages[-1]["content"]
        self.calls.append(prompt)
        review = re.findall(r"^Review: (.*)$", prompt, re.M)[-1]
        right = REVIEWS[review]
        examples = len(re.findall(r"^Label: \w+$", prompt, re.M))
        good = examples >= 3 and (self.needs is None or self.needs in prompt)
        answer = right if good else ("negative" if right == "positive" else "positive")
        return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=answer))])


def write_suite(folder: Path, prompt: str = PROMPT) -> Path:
    (folder / "review.txt").write_text(prompt, encoding="utf-8")
    tests = [{"vars": {"review": text}, "assert": [{"type": "equals", "value": label}]}
             for text, label in REVIEWS.items()]
    suite = {"prompt": "review.txt", "model": "fake/reviews", "max_tokens": 3, "tests": tests}
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def fake_model(monkeypatch):
    model = ExampleCountingModel()
    monkeypatch.setattr(Runner, "_litellm_completion", lambda self: model)
    return model


def run_cli(*args: str):
    return CliRunner().invoke(main, ["compress", *args])


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["candidates"]}


def test_keeps_the_family_that_held_and_rejects_example_pruning_with_its_reason(tmp_path, fake_model):
    suite = write_suite(tmp_path)
    result = run_cli(str(tmp_path / "review.txt"), "--verify", str(suite), "--format", "json",
                     "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    candidates = by_name(report)
    assert candidates["safe"]["verdict"] == "pass"
    assert candidates["unsafe"]["verdict"] == "regression"
    assert candidates["unsafe"]["lost"] == len(REVIEWS) and candidates["unsafe"]["mcnemar_p"] < 0.05
    assert candidates["unsafe PO2xx"]["verdict"] == "regression"
    assert candidates["unsafe PO4xx"]["verdict"] == "pass"
    # strongest that held: fewer tokens than the safe fixes alone, more than the rejected ones
    assert report["chosen"] == "unsafe PO4xx"
    chosen = candidates["unsafe PO4xx"]
    assert candidates["unsafe"]["tokens"] < chosen["tokens"] < candidates["safe"]["tokens"] < report["tokens_before"]
    assert "PO404" in chosen["applied"] and "PO204" not in chosen["applied"]
    assert "rejected for regressing: unsafe (" in report["reason"] and "8 case(s) lost" in report["reason"]
    # nothing written without --write
    assert (tmp_path / "review.txt").read_text(encoding="utf-8") == PROMPT
    # the original runs once, each distinct candidate once: 5 texts x 8 reviews
    assert len(fake_model.calls) == 5 * len(REVIEWS) == report["stats"]["real_calls"]
    assert len(set(fake_model.calls)) == len(fake_model.calls)


def test_duplicate_texts_are_evaluated_once_and_a_rerun_comes_from_the_cache(tmp_path, fake_model):
    no_shouting = PROMPT.replace("NOTE THAT THE ANSWER IS ALWAYS ONE LOWERCASE WORD.\n", "")
    suite = write_suite(tmp_path, no_shouting)
    args = ["--verify", str(suite), "--format", "json", "--cache-dir", str(tmp_path / "cache")]
    first = run_cli(*args)  # no path: the suite's prompt is the file compressed
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    candidates = by_name(report)
    # the only unsafe fix is the example family's, so that family alone is the same text as `unsafe`
    assert candidates["unsafe PO2xx"]["status"] == "duplicate"
    assert candidates["unsafe PO2xx"]["note"] == "same text as unsafe"
    assert candidates["unsafe PO2xx"]["real_calls"] == 0
    assert report["chosen"] == "safe"
    assert len(fake_model.calls) == 3 * len(REVIEWS)  # original, safe, unsafe
    second = run_cli(*args)
    assert second.exit_code == 0
    again = json.loads(second.stdout)
    assert again["stats"]["real_calls"] == 0 and again["stats"]["cache_hits"] == 3 * len(REVIEWS)
    assert again["chosen"] == "safe" and len(fake_model.calls) == 3 * len(REVIEWS)


def test_write_replaces_the_file_with_the_chosen_text_and_text_report_says_why(tmp_path, fake_model):
    suite = write_suite(tmp_path)
    prompt = tmp_path / "review.txt"
    result = run_cli(str(prompt), "--verify", str(suite), "--write", "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    written = prompt.read_text(encoding="utf-8")
    assert "Please note" not in written and "The answer is always one lowercase word." in written
    assert len(re.findall(r"^Label: \w+$", written, re.M)) == 3, "the examples the model needs stay"
    assert "{{review}}" in written
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.strip().startswith("unsafe PO2xx"))
    assert "regression (8 lost, 0 gained)" in row
    assert any(line.startswith("chosen: unsafe PO4xx: fewest tokens") for line in lines)
    assert f"wrote unsafe PO4xx to {prompt}" in result.stdout


def test_when_every_candidate_regresses_the_original_stays_and_exit_is_0(tmp_path, monkeypatch):
    model = ExampleCountingModel(needs="Please note that")  # the filler the safe fixes delete
    monkeypatch.setattr(Runner, "_litellm_completion", lambda self: model)
    suite = write_suite(tmp_path)
    prompt = tmp_path / "review.txt"
    result = run_cli(str(prompt), "--verify", str(suite), "--write", "--format", "json",
                     "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["chosen"] is None and report["written"] is None
    assert report["reason"].startswith("no candidate saved tokens without a regression")
    candidates = by_name(report)
    assert candidates["safe"]["verdict"] == "regression"
    # every rule candidate contains the safe fixes: the chain stops
    assert candidates["unsafe"]["status"] == "not tried" and "safe fixes" in candidates["unsafe"]["note"]
    assert len(model.calls) == 2 * len(REVIEWS)
    assert prompt.read_text(encoding="utf-8") == PROMPT


def test_llmlingua_rates_run_on_the_best_rule_result_and_stop_after_a_regression(tmp_path):
    suite = load_suite(write_suite(tmp_path))
    model = ExampleCountingModel()
    runner = Runner("fake/reviews", max_tokens=3, cache=ResponseCache(tmp_path / "cache"), completion=model)
    seen: list[tuple[str, float]] = []

    def fake_lingua(text: str, rate: float):
        """Drops the first line at 0.8 (harmless), and an example too below it (the model needs 3)."""
        seen.append((text, rate))
        shorter = text.split("\n", 1)[1]
        if rate < 0.8:
            shorter = shorter.replace("Review: It broke after a week.\nLabel: negative\n\n", "")
        return shorter, []

    source = suite.prompt_path.read_text(encoding="utf-8")
    config = for_rewriting(Config())
    report = verify(suite.prompt_path, source, suite, runner, config, VerifyOptions(rates=(0.4, 0.8, 0.6)),
                    lingua=fake_lingua)
    names = [c.name for c in report.candidates]
    assert names[-3:] == ["llmlingua 0.8 on unsafe PO4xx", "llmlingua 0.6 on unsafe PO4xx",
                          "llmlingua 0.4 on unsafe PO4xx"]
    rule_base = next(c for c in report.candidates if c.name == "unsafe PO4xx")
    assert [rate for _text, rate in seen] == [0.8, 0.6], "0.4 is not tried once 0.6 regressed"
    assert all(text == rule_base.text for text, _rate in seen)
    statuses = {c.name: c.status for c in report.candidates}
    assert statuses["llmlingua 0.6 on unsafe PO4xx"] == "regression"
    assert statuses["llmlingua 0.4 on unsafe PO4xx"] == "not tried"
    assert report.chosen is not None and report.chosen.name == "llmlingua 0.8 on unsafe PO4xx"
    assert report.chosen.tokens < rule_base.tokens


def test_a_suite_for_another_prompt_or_a_bad_suite_is_one_line_and_exit_2(tmp_path, fake_model):
    suite = write_suite(tmp_path)
    other = tmp_path / "other.txt"
    other.write_text(PROMPT, encoding="utf-8")
    result = run_cli(str(other), "--verify", str(suite))
    assert result.exit_code == 2
    assert "is not the prompt of suite" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    broken = tmp_path / "broken.yaml"
    broken.write_text("prompt: missing.txt\ntests: []\n", encoding="utf-8")
    result = run_cli("--verify", str(broken))
    assert result.exit_code == 2 and "prompt file not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not fake_model.calls


def test_missing_api_key_is_reported_before_any_call(tmp_path, fake_model, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    suite = write_suite(tmp_path)
    text = suite.read_text(encoding="utf-8").replace("model: fake/reviews", "model: openai/gpt-4o-mini")
    suite.write_text(text, encoding="utf-8")
    result = run_cli("--verify", str(suite), "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 2
    assert "missing API key for openai/gpt-4o-mini" in result.stderr
    assert not fake_model.calls


# -- the real local model ---------------------------------------------------------------------------


@pytest.mark.slow
def test_verify_on_the_snips_suite_with_the_local_model(tmp_path, monkeypatch):
    reason = local_model_missing(CORPUS)
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # The project's SNIPS few-shot prompt with a filler phrase (safe fix) and one example repeated
    # (unsafe fix, example family); the suite is the fixture's, with its own sample and `limit`.
    fewshot = (SNIPS / "intent_fewshot.txt").read_text(encoding="utf-8")
    repeated = "Request: will it snow in Denver tomorrow\nIntent: GetWeather\n\n"
    assert repeated in fewshot
    bloated = fewshot.replace("Answer with the intent name only.", "Please note that you should answer with "
                              "the intent name only.").replace("Request: {{text}}", repeated + "Request: {{text}}")
    prompt = tmp_path / "intent.txt"
    prompt.write_text(bloated, encoding="utf-8")
    spec = yaml.safe_load((SNIPS / "suite.yaml").read_text(encoding="utf-8"))
    spec["prompt"] = prompt.name
    spec["dataset"]["path"] = str(CORPUS)
    for assertion in spec["defaultTest"]["assert"]:
        if assertion["type"] == "one-of":
            assertion["value"] = str(SNIPS / assertion["value"])
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    cases = spec["dataset"]["limit"]

    started = time.perf_counter()
    result = run_cli(str(prompt), "--verify", str(suite), "--format", "json", "--write",
                     "--cache-dir", str(tmp_path / "cache"))
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads(result.stdout)
    candidates = by_name(report)
    evaluated = [c for c in report["candidates"] if "verdict" in c]
    assert {c["name"] for c in evaluated} >= {"safe", "unsafe"}
    assert candidates["safe"]["tokens"] < report["tokens_before"]
    assert candidates["unsafe"]["tokens"] < candidates["safe"]["tokens"]
    assert "PO204" in candidates["unsafe"]["applied"]
    # every answer is a real generation, the original's once: (1 + distinct candidates) x cases
    assert report["stats"]["real_calls"] == (1 + len(evaluated)) * cases
    assert candidates["unsafe"]["real_calls"] == cases  # the original's answers were reused
    # whatever the model answers, a verdict must follow from the answers: a regression lost more cases
    # than it gained, and a candidate that lost none is not a regression
    for candidate in evaluated:
        if candidate["verdict"] == "regression":
            assert candidate["lost"] > candidate["gained"], candidate
        if candidate["lost"] == 0:
            assert candidate["verdict"] != "regression", candidate
    passing = [c for c in evaluated if c["verdict"] == "pass"]
    best = min(passing, key=lambda c: c["tokens"], default=None)
    assert report["chosen"] == (best["name"] if best else None)
    assert report["written"] == (str(prompt) if best else None)
    assert (prompt.read_text(encoding="utf-8") != bloated) == (best is not None)
    assert "{{text}}" in prompt.read_text(encoding="utf-8")

    rerun_started = time.perf_counter()
    prompt.write_text(bloated, encoding="utf-8")
    again = run_cli(str(prompt), "--verify", str(suite), "--format", "json", "--cache-dir", str(tmp_path / "cache"))
    rerun_seconds = time.perf_counter() - rerun_started
    assert again.exit_code == 0, again.output + again.stderr
    assert json.loads(again.stdout)["stats"]["real_calls"] == 0
    print("\nverify on snips: " + "; ".join(
        f"{c['name']} {c['tokens']} tokens ({c['saved_percent']}%), score {c.get('score')}, "
        f"{c.get('verdict', c['status'])}" for c in report["candidates"])
        + f"; original {report['tokens_before']} tokens, score {report['original']['score']}; "
        f"chosen {report['chosen']}; {seconds:.1f} s, rerun {rerun_seconds:.2f} s")
