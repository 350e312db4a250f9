"""`promptopt optimize` on the bundled suites with the real offline model (local/smollm2, 135M).

A smoke test of the pipeline, not of prompt quality: every lever that applies to the prompt is built,
judged by real generations through the non-inferiority eval, and the combination is confirmed on cases
it was not picked on. The suites are cut to a few dozen cases here (the lever logic is the same at any
size); the measured figures for the full suites are in docs/optimize.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import local_model_missing

from promptopt.optimize.cli import optimize_command

EVALS = Path(__file__).resolve().parents[1] / "fixtures" / "evals"
RESTATED = "Answer with exactly one word: positive or negative.\n"

pytestmark = pytest.mark.slow


def suite_copy(tmp_path: Path, name: str, limit: int, restate: bool = False) -> Path:
    """The bundled suite with `limit` cases, its prompt copied beside it (optionally with a rule said twice)."""
    folder = EVALS / name
    spec = yaml.safe_load((folder / "suite.yaml").read_text(encoding="utf-8"))
    spec["dataset"]["path"] = str((folder / spec["dataset"]["path"]).resolve())
    spec["dataset"]["limit"] = limit
    text = (folder / "prompt.txt").read_text(encoding="utf-8")
    if restate:  # the same rule again after the others: what PO101 removes
        text = text.replace("Do not explain your answer.\n", "Do not explain your answer.\n" + RESTATED)
    (tmp_path / "prompt.txt").write_text(text, encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text("[usage]\nrequests-per-day = 2000\n", encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return tmp_path


def optimize(folder: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        optimize_command,
        [str(folder / "prompt.txt"), "--suite", str(folder / "suite.yaml"), "--model", "local/smollm2",
         "--format", "json", "--cache-dir", str(folder / "cache"), *args],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output + result.stderr
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def offline_model(monkeypatch):
    """The local model with no provider key set, so nothing can reach a provider; skip where it is missing."""
    reason = local_model_missing(EVALS / "fewshot_sentiment" / "reviews.jsonl")
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(key, raising=False)


def test_every_prompt_lever_on_the_fewshot_suite(tmp_path, offline_model):
    folder = suite_copy(tmp_path, "fewshot_sentiment", 60, restate=True)
    code, report = optimize(folder, "--max-drop", "0.2", "-o", str(folder / "out.txt"))
    levers = {c["lever"] for c in report["candidates"]}
    assert {"examples", "restated rules", "prose"} <= levers
    for candidate in report["candidates"]:  # each one judged by the eval on the picking cases
        assert candidate["comparison"] is not None and candidate["cases"] == "pick"
        assert candidate["input_tokens"] <= report["original"]["input_tokens"]
    zero_shot = report["candidates"][0]
    assert zero_shot["name"].startswith("zero-shot")
    (restated,) = [c for c in report["candidates"] if c["lever"] == "restated rules"]
    assert "PO101" in restated["name"]
    # one-token answers that stop at the newline: a max_tokens would save nothing, so it is not a candidate
    assert any(n.startswith("max_tokens: every answer already ends within") for n in report["notes"])
    assert report["pick_cases"] == 48 and report["holdout_cases"] == 12
    confirmed = report["confirmed"]
    if confirmed is not None:  # confirmed on the 12 held-out cases only
        assert confirmed["cases"] == "held out" and confirmed["comparison"]["n"] == 12
    written = (folder / "out.txt").is_file()
    assert written == report["verified"] == (code == 0)
    if written:
        assert (folder / "out.txt").read_text(encoding="utf-8") == report["chosen_text"]
    # a rerun makes no model call: every answer comes from the cache
    code_again, again = optimize(folder, "--max-drop", "0.2")
    assert again["stats"]["real_calls"] == 0 and again["candidates"] == report["candidates"]


def test_output_cap_and_brevity_on_the_short_answers_suite(tmp_path, offline_model):
    folder = suite_copy(tmp_path, "short_answers", 40)
    code, report = optimize(folder, "--max-drop", "0.3", "--no-lingua")
    original = report["original"]
    assert original["output_tokens"] > 5  # the chat-style answers are sentences
    (cap,) = [c for c in report["candidates"] if c["lever"] == "max_tokens"]
    assert cap["max_tokens"] < 48 and cap["output_tokens"] < original["output_tokens"]
    # the cap is the longest passing answer's need: no case that passed can fail under it
    assert cap["comparison"]["lost"] == 0
    assert any(c["lever"] == "brevity" for c in report["candidates"])
