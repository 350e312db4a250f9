"""promptfoo's `echo` provider (the answer is the rendered prompt) runs offline, with no key and no
model, so a suite's assertions can be tested as promptfoo's examples do; and an assertion given both in
`defaultTest` and by a dataset's `expected` is checked and scored once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from promptopt.evaluation.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
ECHO_SUITE = ROOT / "fixtures" / "evals" / "echo_labels" / "suite.yaml"
SNIPS_SUITE = ROOT / "fixtures" / "evals" / "snips" / "suite.yaml"
SNIPS_DATA = ROOT.parent / "shared" / "corpus" / "evals" / "snips_slots154.jsonl"


def run_eval(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real CLI in a fresh interpreter with no provider key and an empty cache folder."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_BASE", "_BASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), PROMPTOPT_CACHE_DIR=str(cwd / "cache"), NO_PROXY="*",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")  # any network use fails
    return subprocess.run([sys.executable, "-m", "promptopt", "eval", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_echo_provider_answers_with_the_rendered_prompt_offline(tmp_path):
    done = run_eval(str(ECHO_SUITE), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # two of the four answers are wrong on purpose
    report = json.loads(done.stdout)
    assert report["model"] == "echo" and report["stats"]["error"] is None
    cases = report["variants"]["original"]["cases"]
    answers = {json.loads(line)["id"]: json.loads(line)["answer"]
               for line in (ECHO_SUITE.parent / "answers.jsonl").read_text(encoding="utf-8").splitlines()}
    assert {case: c["outputs"] for case, c in cases.items()} == {case: [a] for case, a in answers.items()}
    assert not (tmp_path / "cache").exists(), "an echo is not worth caching"


def test_an_assertion_in_default_test_and_in_the_dataset_is_scored_once(tmp_path):
    done = run_eval(str(ECHO_SUITE), "--format", "json", cwd=tmp_path)
    variant = json.loads(done.stdout)["variants"]["original"]
    cases = variant["cases"]
    # equals + one-of per case: a valid but wrong label passes one of the two checks
    assert [c["score"] for c in cases.values()] == [1.0, 1.0, 0.5, 0.0]
    assert (variant["passed"], variant["completed"]) == (2, 4)
    assert variant["mean_score"] == pytest.approx(2.5 / 4)
    assert cases["wrong-label"]["reason"] == "equals: expected 'returns', got 'billing'"
    assert cases["not-a-label"]["reason"].count("equals:") == 1
    text = run_eval(str(ECHO_SUITE), cwd=tmp_path).stdout
    assert "passed     2/4   mean score 0.625" in text
    assert "`equals` is given twice for 4 test(s)" in text


def test_the_snips_fixture_checks_each_case_once():
    if not SNIPS_DATA.is_file():
        pytest.skip(f"shared corpus not found at {SNIPS_DATA}")
    suite = load_suite(SNIPS_SUITE)
    assert suite.cases
    for case in suite.cases:
        assert [a.label for a in case.assertions] == ["equals", "one-of"], case.id
