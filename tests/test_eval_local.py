"""Issue 4's "done when", end to end with real generations from the in-process local model.

The suite (fixtures/evals/snips/suite.yaml) samples 16 of the project's own labelled requests and
runs the project's few-shot prompt through `local/smollm2-text`. Three runs of `promptopt eval`:
1. the prompt against an identical copy: every answer a real generation, and no change, but 16
   cases cannot rule out a 5-point drop: inconclusive (exit 1), with the cases that would;
2. the same again: no model call at all (every answer from the on-disk cache);
3. the prompt against a copy without its examples and label list: a regression (exit 1).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import local_model_missing

from promptopt.evaluation.cli import eval_command

ROOT = Path(__file__).resolve().parents[1]
SUITE_DIR = ROOT / "fixtures" / "evals" / "snips"
REQUESTS = SUITE_DIR / "requests.jsonl"  # the project's own: the suite runs from a clone

pytestmark = pytest.mark.slow  # the labelled requests are bundled: it runs from a clone


def run(cache: Path, candidate: str) -> tuple[int, dict, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(
        eval_command,
        [str(SUITE_DIR / "suite.yaml"), "--candidate", str(SUITE_DIR / candidate), "--format", "json",
         "--cache-dir", str(cache)],
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert result.exit_code in (0, 1), result.output + result.stderr
    return result.exit_code, json.loads(result.stdout), seconds


def test_identical_copy_is_inconclusive_rerun_is_free_and_stripped_copy_regresses(tmp_path, monkeypatch):
    reason = local_model_missing(REQUESTS)
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "cache"

    code, first, first_seconds = run(cache, "intent_fewshot_copy.txt")
    cases = len(first["variants"]["original"]["cases"])
    assert cases == 16
    assert first["stats"]["real_calls"] == cases and first["stats"]["cache_hits"] == 0
    assert code == 1 and first["verdict"] == "inconclusive" and first["comparison"]["difference"] == 0
    assert first["comparison"]["power"]["cases_needed"] == 73  # no case changed: the best case
    original = first["variants"]["original"]
    assert original["passed"] >= cases // 2, "the few-shot prompt should get most intents right"
    assert first["variants"]["candidate"]["passed"] == original["passed"]

    code, second, second_seconds = run(cache, "intent_fewshot_copy.txt")
    assert second["stats"]["real_calls"] == 0 and second["stats"]["cache_hits"] == cases
    assert code == 1 and second["variants"] == first["variants"]

    code, stripped, stripped_seconds = run(cache, "intent_bare.txt")
    assert stripped["stats"]["real_calls"] == cases and stripped["stats"]["cache_hits"] == cases
    assert code == 1 and stripped["verdict"] == "regression"
    assert stripped["comparison"]["lost"] > stripped["comparison"]["gained"]
    assert stripped["comparison"]["ci"][1] < 0 and stripped["comparison"]["mcnemar_p"] < 0.05
    assert stripped["tokens"]["saved"] > 0
    print(
        f"\nlocal eval: first run {first_seconds:.1f} s ({cases} calls), rerun {second_seconds:.2f} s "
        f"(0 calls), stripped copy {stripped_seconds:.1f} s ({cases} calls); "
        f"original {original['passed']}/{cases}, stripped {stripped['variants']['candidate']['passed']}/{cases}"
    )
