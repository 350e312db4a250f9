"""`promptopt eval SUITE --compress rules` end to end through litellm, against a deterministic model.

The model is a small OpenAI-compatible HTTP server on 127.0.0.1 started by the test (litellm's real
`openai/` provider talks to it over HTTP). It answers a review's sentiment right only while the
prompt still says "please": the rule compressor deletes that filler, so the compressed prompt scores
worse on every case and the run must exit 1. With a model that is always right it must exit 0.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from promptopt.cli import main

PROMPT = """Please label the review as positive or negative, in one lowercase word.

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
OPPOSITE = {"positive": "negative", "negative": "positive"}


def polite_only(prompt: str) -> str:
    """Right while the prompt says please, wrong otherwise."""
    right = REVIEWS[re.findall(r"^Review: (.*)$", prompt, re.M)[-1]]
    return right if "please" in prompt.lower() else OPPOSITE[right]


def always_right(prompt: str) -> str:
    return REVIEWS[re.findall(r"^Review: (.*)$", prompt, re.M)[-1]]


class FakeOpenAI(BaseHTTPRequestHandler):
    answer: Callable[[str], str] = staticmethod(always_right)
    prompts: list[str] = []
    messages: list[list[dict]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        type(self).prompts.append(prompt)
        type(self).messages.append(body["messages"])
        reply = {
            "id": "chatcmpl-local",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": type(self).answer(prompt)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }  # fmt: skip
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def server(monkeypatch) -> Iterator[type[FakeOpenAI]]:
    handler = type("Handler", (FakeOpenAI,), {"prompts": [], "messages": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_API_BASE", f"http://127.0.0.1:{httpd.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test-server")
    try:
        yield handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def write_suite(folder: Path) -> Path:
    (folder / "review.txt").write_text(PROMPT, encoding="utf-8")
    # the rule compressor reads the prompt folder's config: PO401 (filler) deletes "Please"
    (folder / "promptopt.toml").write_text('select = ["PO401"]\n', encoding="utf-8")
    tests = [{"vars": {"review": text}, "assert": [{"type": "equals", "value": label}]}
             for text, label in REVIEWS.items()]
    suite = {"prompt": "review.txt", "model": "openai/local-sentiment", "max_tokens": 3, "tests": tests}
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


def run_eval(suite: Path, *args: str):
    return CliRunner().invoke(main, ["eval", str(suite), "--compress", "rules", "--no-cache", "--retries", "0",
                                     "--concurrency", "2", *args])


def test_a_compressed_prompt_that_scores_worse_exits_1(tmp_path, server):
    server.answer = staticmethod(polite_only)
    result = run_eval(write_suite(tmp_path), "--format", "json")
    assert result.exit_code == 1, result.output + result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "regression" and report["exit_code"] == 1
    assert (report["variants"]["original"]["passed"], report["variants"]["candidate"]["passed"]) == (8, 0)
    # both prompts reached the model: the original with "Please", the compressed one without
    assert len(server.prompts) == 2 * len(REVIEWS)
    assert sum(p.startswith("Please label") for p in server.prompts) == len(REVIEWS)
    assert sum(p.startswith("Label the review") for p in server.prompts) == len(REVIEWS)
    assert (tmp_path / "review.txt").read_text(encoding="utf-8") == PROMPT  # compressed in memory only


def test_a_compressed_prompt_that_holds_exits_0(tmp_path, server):
    # 8 unchanged cases rule out a drop of 40 points, not of 10 (a smaller max-drop is inconclusive)
    server.answer = staticmethod(always_right)
    result = run_eval(write_suite(tmp_path), "--max-drop", "0.4", "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "pass" and report["exit_code"] == 0
    assert report["variants"]["candidate"]["passed"] == len(REVIEWS)
    assert len(server.prompts) == 2 * len(REVIEWS)


def test_a_system_prompt_file_goes_first_to_both_prompts(tmp_path, server):
    server.answer = staticmethod(always_right)
    (tmp_path / "system.txt").write_text("You are a terse sentiment classifier.\n", encoding="utf-8")
    result = run_eval(write_suite(tmp_path), "--system", str(tmp_path / "system.txt"), "--max-drop", "0.4")
    assert result.exit_code == 0, result.output + result.stderr
    assert len(server.messages) == 2 * len(REVIEWS)
    for messages in server.messages:
        assert messages[0] == {"role": "system", "content": "You are a terse sentiment classifier."}


def test_candidate_and_compress_together_is_an_error(tmp_path):
    suite = write_suite(tmp_path)
    result = CliRunner().invoke(main, ["eval", str(suite), "--compress", "rules", "--candidate", str(suite)])
    assert result.exit_code == 2
    assert result.stderr == "promptopt eval: error: give one of --candidate, --compress, not several\n"


def test_a_candidate_file_gets_the_same_system_prompt(tmp_path, server):
    server.answer = staticmethod(polite_only)
    suite = write_suite(tmp_path)
    (tmp_path / "system.txt").write_text("You are a terse sentiment classifier.\n", encoding="utf-8")
    rude = tmp_path / "rude.txt"
    rude.write_text(PROMPT.replace("Please label", "Label"), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(suite), "--candidate", str(rude), "--system",
                                       str(tmp_path / "system.txt"), "--no-cache", "--format", "json"])
    assert result.exit_code == 1, result.output + result.stderr  # the candidate lost every case
    assert len(server.messages) == 2 * len(REVIEWS)
    assert all(m[0] == {"role": "system", "content": "You are a terse sentiment classifier."} for m in server.messages)
    assert sum(m[-1]["content"].startswith("Label the review") for m in server.messages) == len(REVIEWS)


def test_without_a_candidate_the_suite_runs_once_and_fails_on_a_failing_case(tmp_path, server):
    suite = write_suite(tmp_path)
    server.answer = staticmethod(always_right)
    passed = CliRunner().invoke(main, ["eval", str(suite), "--no-cache", "--format", "json"])
    assert passed.exit_code == 0, passed.output + passed.stderr
    assert len(server.prompts) == len(REVIEWS) and json.loads(passed.stdout)["exit_code"] == 0
    server.answer = staticmethod(lambda prompt: "neutral")
    failed = CliRunner().invoke(main, ["eval", str(suite), "--no-cache", "--format", "json"])
    assert failed.exit_code == 1, failed.output + failed.stderr
