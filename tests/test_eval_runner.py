"""The runner's failure paths through litellm's own mock_response / mock_timeout (no network, no model).

Real answers come from the local model in test_eval_local.py; here litellm raises its real exception
classes (rate limit, timeout, bad key) so the retry, stop and partial-result logic runs as in use.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.evaluation import runner as runner_module
from promptopt.evaluation.cache import ResponseCache
from promptopt.evaluation.cli import eval_command
from promptopt.evaluation.report import render
from promptopt.evaluation.runner import Runner, describe_error, resolve_model
from promptopt.evaluation.session import run_eval
from promptopt.evaluation.suite import SuiteError, load_suite

MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def litellm():
    return runner_module._import_litellm()


@pytest.fixture
def suite(tmp_path):
    (tmp_path / "p.txt").write_text("Capital of {{country}}? One word.", encoding="utf-8")
    tests = "\n".join(
        f"  - {{id: {c}, vars: {{country: {c}}}, assert: [{{type: icontains, value: {a}}}]}}"
        for c, a in [("France", "Paris"), ("Japan", "Tokyo"), ("Peru", "Lima"), ("Kenya", "Nairobi")]
    )
    path = tmp_path / "suite.yaml"
    path.write_text(f"prompt: p.txt\nmodel: {MODEL}\ntests:\n{tests}\n", encoding="utf-8")
    return load_suite(path)


def scripted(litellm, answers):
    """A completion function: litellm.completion with the next mock answer (text or error) per call."""
    script = iter(answers)
    lock = threading.Lock()
    seen = []

    def completion(**kwargs):
        with lock:
            mock = next(script)
            seen.append(kwargs["messages"][-1]["content"])
        if mock == "timeout":
            return litellm.completion(**kwargs, mock_timeout=True, mock_response="late")
        return litellm.completion(**kwargs, mock_response=mock)

    completion.seen = seen  # type: ignore[attr-defined]
    return completion


def make_runner(tmp_path, completion, **options):
    options.setdefault("concurrency", 1)
    return Runner(MODEL, cache=ResponseCache(tmp_path / "cache"), completion=completion, backoff_seconds=0.01,
                  **options)  # fmt: skip


def test_rate_limits_are_retried_with_backoff_then_answers_are_cached(tmp_path, suite, litellm):
    answers = ["litellm.RateLimitError", "litellm.RateLimitError", "Paris", "Tokyo", "Lima", "Nairobi"]
    runner = make_runner(tmp_path, scripted(litellm, answers))
    result = run_eval(suite, runner, None, 1)
    assert result.stats.retries == 2 and result.stats.real_calls == 4 and result.exit_code == 0
    assert result.original.passed == 4

    again = run_eval(suite, make_runner(tmp_path, scripted(litellm, [])), None, 1)  # any call would fail
    assert again.stats.cache_hits == 4 and again.stats.real_calls == 0 and again.original.passed == 4


def test_rate_limit_that_persists_stops_the_run_and_keeps_partial_results(tmp_path, suite, litellm):
    answers = ["Paris", "Tokyo", *["litellm.RateLimitError"] * 10]
    runner = make_runner(tmp_path, scripted(litellm, answers), max_retries=2)
    result = run_eval(suite, runner, None, 1)
    assert result.exit_code == 2
    assert result.stats.error.startswith(f"{MODEL}: rate limited") and "gave up after 3 attempts" in result.stats.error
    assert result.original.completed == 2 and result.original.passed == 2  # the answers so far are scored
    assert result.stats.not_run == 1  # the fourth case was never sent
    text = render(result, "text")
    assert "verdict: ERROR" in text and "results so far are shown" in text
    assert json.loads(render(result, "json"))["variants"]["original"]["completed"] == 2


def test_timeouts_are_reported_clearly(tmp_path, suite, litellm):
    runner = make_runner(tmp_path, scripted(litellm, ["Paris", "timeout", "timeout"]), max_retries=1, timeout=0.05)
    result = run_eval(suite, runner, None, 1)
    assert result.exit_code == 2
    assert "timed out" in result.stats.error and "gave up after 2 attempts" in result.stats.error
    assert result.original.passed == 1


def test_bad_key_is_not_retried(tmp_path, suite, litellm):
    bad_key = litellm.AuthenticationError(message="Incorrect API key provided: sk-xx", llm_provider="openai",
                                          model=MODEL)  # fmt: skip
    completion = scripted(litellm, [bad_key, "never used"])
    result = run_eval(suite, make_runner(tmp_path, completion), None, 1)
    assert result.stats.error.startswith(f"{MODEL}: authentication failed") and result.stats.retries == 0
    assert len(completion.seen) == 1 and result.exit_code == 2


def test_ctrl_c_keeps_the_answers_so_far(tmp_path, suite, litellm, monkeypatch):
    real_wait = runner_module.wait
    calls = itertools.count()

    def wait_then_interrupt(*args, **kwargs):
        done, pending = real_wait(*args, **kwargs)
        if done and next(calls) >= 1:
            raise KeyboardInterrupt
        return done, pending

    monkeypatch.setattr(runner_module, "wait", wait_then_interrupt)

    def slow_completion(**kwargs):
        return litellm.completion(**kwargs, mock_response="Paris", mock_delay=0.3)

    result = run_eval(suite, make_runner(tmp_path, slow_completion), None, 1)
    assert result.stats.interrupted and result.exit_code == 2
    assert 1 <= result.original.completed < 4
    assert "interrupted (Ctrl-C)" in render(result, "text")


def test_candidate_sharing_the_original_text_costs_no_extra_call(tmp_path, suite, litellm):
    completion = scripted(litellm, ["Paris", "Tokyo", "Lima", "Nairobi"])
    result = run_eval(suite, make_runner(tmp_path, completion), suite.prompt, 1)
    assert result.stats.real_calls == 4 and result.tokens.saved == 0
    # Four unchanged cases cannot rule out a 5-point drop: inconclusive, which fails unless allowed.
    assert result.comparison.difference == 0 and result.comparison.verdict == "inconclusive"
    assert result.exit_code == 1
    result.allow_inconclusive = True
    assert result.exit_code == 0


def test_missing_key_is_one_line_and_exit_2(tmp_path, suite, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(eval_command, [str(suite.path), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"promptopt eval: error: missing API key for {MODEL}: set OPENAI_API_KEY"


def test_dry_run_shows_calls_tokens_and_dollars_without_a_key(tmp_path, suite, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    candidate = Path(suite.path.parent / "short.txt")
    candidate.write_text("{{country}} capital?", encoding="utf-8")
    args = [str(suite.path), "--candidate", str(candidate), "--dry-run", "--repeat", "2", "--format", "json"]
    result = CliRunner().invoke(eval_command, [*args, "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["calls"] == 16 and data["cache_hits"] == 0  # 4 cases x 2 prompts x 2 repeats
    assert data["prompt_tokens"] > 16 * 4
    assert 0 < data["max_dollars"] < 0.01  # gpt-4o-mini's price from litellm's bundled map


def test_no_model_and_no_key_means_the_local_model(monkeypatch):
    for env in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(env, raising=False)
    assert resolve_model(None)[0] == "local/smollm2"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert resolve_model(None)[0] == "gpt-4o-mini"
    assert resolve_model("anthropic/claude-haiku-4-5")[0] == "anthropic/claude-haiku-4-5"


def test_error_messages_are_single_lines(litellm):
    error = litellm.RateLimitError(message="slow down\nplease", llm_provider="openai", model=MODEL)
    message, transient = describe_error(error)
    assert transient and message.startswith("rate limited") and "\n" not in message


def test_eval_cli_imports_neither_litellm_nor_torch():
    # The CLI module must stay light: litellm is imported only when a run starts.
    import subprocess
    import sys

    code = "import sys, promptopt.evaluation.cli; print('litellm' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert out.stdout.split() == ["False", "False"]



def test_run_eval_refuses_no_repeat_before_any_call(tmp_path, suite, litellm):
    """The API's caller (not only the CLI, where click and the suite's loader check it) gets an error
    naming the value, and no model is called: an eval of zero calls would be a verdict on no evidence.
    The check sits where every mode plans its calls (`Runner.plan`)."""
    completion = scripted(litellm, [])
    with pytest.raises(SuiteError) as raised:
        run_eval(suite, make_runner(tmp_path, completion), None, 0)
    assert str(raised.value) == "repeat must be at least 1, not 0"
    assert completion.seen == []
