"""A promptfoo suite with a model-graded check, end to end through litellm over real HTTP.

The test starts an OpenAI-compatible server on 127.0.0.1: the model under test (`subject`) and the
grader (`judge`) are two model names on it. Faults are scripted per model: 429 with retry-after, 500,
a reply slower than --timeout, a body that is not JSON, a grader that does not answer in JSON.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from promptopt.evaluation.cli import eval_command


class FakeOpenAI:
    def __init__(self):
        self.requests: list[dict] = []
        self.faults: dict[str, list[str]] = {"subject": [], "judge": []}
        self.lock = threading.Lock()

    def answer(self, body: dict) -> str:
        text = body["messages"][-1]["content"]
        if body["model"] == "judge":
            return json.dumps({"pass": "Paris" in text.split("</output>")[0], "score": 1, "reason": "checked"})
        return "Paris is the capital of France." if "France" in text else "I am not sure."


def make_handler(fake: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with fake.lock:
                fake.requests.append(body)
                queue = fake.faults.get(body["model"], [])
                fault = queue.pop(0) if queue else None
            if fault == "429":
                return self._send(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after": "0"})
            if fault == "500":
                return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
            if fault == "slow":
                time.sleep(2.5)
            if fault == "garbage":
                return self._send_raw(200, b"<html>not json</html>")
            content = "Sure! Here you go." if fault == "prose" else fake.answer(body)
            self._send(200, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
            })  # fmt: skip

        def _send(self, status, payload, headers=None):
            self._send_raw(status, json.dumps(payload).encode(), headers)

        def _send_raw(self, status, data, headers=None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout test)
                pass

    return Handler


@pytest.fixture
def server():
    fake = FakeOpenAI()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield fake
    httpd.shutdown()
    httpd.server_close()


def write_suite(tmp_path, url: str) -> str:
    suite = tmp_path / "promptfooconfig.yaml"
    suite.write_text(textwrap.dedent(f"""\
        prompts:
          - 'What is the capital of {{{{country}}}}? One sentence.'
        providers:
          - id: openai:chat:subject
            config: {{apiBaseUrl: "{url}", apiKey: test-key, temperature: 0.2, max_tokens: 40}}
        defaultTest:
          options:
            provider:
              id: openai:chat:judge
              config: {{apiBaseUrl: "{url}", apiKey: test-key}}
        tests:
          - vars: {{country: France}}
            assert:
              - type: llm-rubric
                value: names Paris as the capital
              - type: icontains
                value: paris
          - vars: {{country: Atlantis}}
            assert:
              - type: llm-rubric
                value: names Paris as the capital
    """), encoding="utf-8")  # fmt: skip
    return str(suite)


def run(suite: str, tmp_path, *extra: str):
    args = [suite, "--format", "json", "--cache-dir", str(tmp_path / "cache"), "--concurrency", "1", *extra]
    return CliRunner().invoke(eval_command, args)


def by_model(fake: FakeOpenAI, model: str) -> list[dict]:
    return [r for r in fake.requests if r["model"] == model]


def test_grader_judges_over_http_config_reaches_the_model_and_a_rerun_is_free(server, tmp_path):
    suite = write_suite(tmp_path, server.url)
    result = run(suite, tmp_path)
    assert result.exit_code == 1, result.output  # Atlantis: the rubric fails, so a case fails
    data = json.loads(result.stdout)
    cases = data["variants"]["original"]["cases"]
    assert cases["test-1"]["passed"] is True and cases["test-2"]["passed"] is False
    subject = by_model(server, "subject")
    assert len(subject) == 2 and {r["temperature"] for r in subject} == {0.2} and subject[0]["max_tokens"] == 40
    judge = by_model(server, "judge")
    assert len(judge) == 2 and "names Paris as the capital" in judge[0]["messages"][-1]["content"]
    assert any("judged by openai/judge" in n for n in data["notes"])

    server.requests.clear()
    again = run(suite, tmp_path)
    assert again.exit_code == 1 and server.requests == []  # answers and verdicts both come from the cache


def test_grader_rate_limited_with_retry_after_is_retried(server, tmp_path):
    server.faults["judge"] = ["429"]
    result = run(write_suite(tmp_path, server.url), tmp_path)
    assert result.exit_code == 1, result.output
    assert len(by_model(server, "judge")) == 3  # one 429, then both verdicts
    assert json.loads(result.stdout)["variants"]["original"]["cases"]["test-1"]["passed"] is True


def test_grader_500_for_good_is_an_error_with_one_line(server, tmp_path):
    server.faults["judge"] = ["500"] * 5
    result = run(write_suite(tmp_path, server.url), tmp_path, "--retries", "1")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "grader" in result.stderr and "gave up after 2 attempts" in result.stderr


def test_model_slower_than_the_timeout_stops_the_run(server, tmp_path):
    server.faults["subject"] = ["slow"]
    result = run(write_suite(tmp_path, server.url), tmp_path, "--timeout", "1", "--retries", "0")
    assert result.exit_code == 2
    assert "timed out" in result.stderr.lower() and "Traceback" not in result.stderr


def test_malformed_body_from_the_grader_is_an_error(server, tmp_path):
    server.faults["judge"] = ["garbage"] * 5
    result = run(write_suite(tmp_path, server.url), tmp_path, "--retries", "0")
    assert result.exit_code == 2
    assert "grader" in result.stderr and "Traceback" not in result.stderr


def test_grader_that_answers_in_prose_fails_the_check_and_the_run(server, tmp_path):
    server.faults["judge"] = ["prose"]
    result = run(write_suite(tmp_path, server.url), tmp_path)
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert "grader error" in data["variants"]["original"]["cases"]["test-1"]["reason"]
    assert "not a JSON object" in result.stderr


def test_every_prompt_provider_cell_runs_and_tests_without_assertions_are_unscored(server, tmp_path):
    suite = write_pair_suite(tmp_path, server.url, providers=[
        f'{{id: openai:chat:subject, label: a, config: {{apiBaseUrl: "{server.url}", apiKey: k}}}}',
        f'{{id: openai:chat:subject, label: b, config: {{apiBaseUrl: "{server.url}", apiKey: k, temperature: 0.5}}}}',
    ])  # two providers: every prompt x provider cell
    result = run(suite, tmp_path)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cells = {(c["prompt"], c["provider"]): c for c in data["cells"]}
    assert set(cells) == {("short", "a"), ("long", "a"), ("short", "b"), ("long", "b")}
    assert all(c["passed"] == c["completed"] == 1 and c["unscored_answers"] == 1 for c in cells.values())
    assert len(by_model(server, "subject")) == 8  # 2 prompts x 2 providers x 2 tests, none dropped
    assert any("reported unscored" in n for n in data["notes"])
    pair = run(suite, tmp_path, "--candidate-prompt", "long", "--provider", "b")
    # one scored case cannot rule out a drop: inconclusive, which fails unless allowed
    assert pair.exit_code == 1 and json.loads(pair.stdout)["comparison"]["n"] == 1
    assert json.loads(pair.stdout)["comparison"]["verdict"] == "inconclusive"
    allowed = run(suite, tmp_path, "--candidate-prompt", "long", "--provider", "b", "--allow-inconclusive")
    assert allowed.exit_code == 0


def write_pair_suite(tmp_path, url: str, options: str = "", providers: list[str] | None = None) -> str:
    """Two prompts (short, long), one provider unless `providers` are given (flow-style YAML entries):
    --candidate-prompt compares the prompts; Atlantis has no assertion (unscored)."""
    providers = providers or [f'{{id: openai:chat:subject, config: {{apiBaseUrl: "{url}", apiKey: k}}}}']
    entries = "".join(f"\n          - {p}" for p in providers)
    suite = tmp_path / "pair.yaml"
    suite.write_text(textwrap.dedent(f"""\
        prompts:
          - {{raw: 'Capital of {{{{country}}}}?', label: short}}
          - {{raw: 'What is the capital city of {{{{country}}}}? Answer in one sentence.', label: long}}
        providers:{entries}
        tests:
          - vars: {{country: France}}
            assert: [{{type: icontains, value: paris}}]
          - vars: {{country: Atlantis}}
        {options}
    """), encoding="utf-8")  # fmt: skip
    return str(suite)


def test_a_compared_pair_reports_what_was_run_and_at_the_asked_confidence(server, tmp_path):
    suite = write_pair_suite(tmp_path, server.url)
    args = ["--candidate-prompt", "long", "--repeat", "2", "--allow-inconclusive"]
    result = run(suite, tmp_path, *args, "--confidence", "0.8")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # the report says which model (and why), how many repeats, which prompt is which, and the suite's notes
    assert (data["model"], data["model_reason"], data["repeat"]) == ("openai/subject", "named", 2)
    variants = data["variants"]
    assert variants["original"]["source"] != variants["candidate"]["source"]
    assert "Capital of" in variants["original"]["source"] and "capital city" in variants["candidate"]["source"]
    assert any("reported unscored" in n for n in data["notes"])
    assert len(by_model(server, "subject")) == 8  # 2 prompts x 2 tests x 2 repeats
    # --confidence sets the interval's level: 80% gives a narrower interval than the default 95%
    narrow = data["comparison"]
    assert narrow["confidence"] == 0.8
    default = json.loads(run(suite, tmp_path, *args).stdout)["comparison"]  # answers from the cache
    assert default["confidence"] == 0.95
    assert default["ci"][0] < narrow["ci"][0] <= narrow["ci"][1] < default["ci"][1]


@pytest.mark.parametrize("extra", [[], ["--dry-run"]], ids=["run", "dry run"])
def test_a_suite_repeat_below_one_is_an_error_that_names_where_it_comes_from(server, tmp_path, extra):
    suite = write_pair_suite(tmp_path, server.url, "evaluateOptions: {repeat: 0}")
    result = run(suite, tmp_path, "--candidate-prompt", "long", *extra)
    assert result.exit_code == 2 and server.requests == []
    assert result.stderr.strip() == (
        f"promptopt eval: error: {suite}: evaluateOptions.repeat must be a whole number, 1 or more, not 0"
    )
