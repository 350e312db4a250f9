"""Issue 11, item 7: provider manners, against a misbehaving OpenAI-compatible server on 127.0.0.1 called
through the real litellm: Retry-After honoured, empty or null answers never cached, the cache keyed by
the endpoint too. The server stops with the test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from promptopt.evaluation.cache import ResponseCache
from promptopt.evaluation.runner import Runner, _import_litellm
from promptopt.evaluation.session import run_eval
from promptopt.evaluation.suite import load_suite

MODEL = "openai/test-model"


def _completion_body(content) -> dict:
    return {"id": "c1", "object": "chat.completion", "created": 1, "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}


class Server:
    """Answers POSTs from a script of (status, headers, body); after the script, `default`."""

    def __init__(self, script, default=None):
        self.script = list(script)
        self.default = default or (200, {}, _completion_body("Paris"))
        self.arrivals: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.arrivals.append(time.monotonic())
                status, headers, body = outer.script.pop(0) if outer.script else outer.default
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module", autouse=True)
def litellm():
    return _import_litellm()


@pytest.fixture
def suite(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    (tmp_path / "p.txt").write_text("Capital of {{country}}? One word.", encoding="utf-8")
    path = tmp_path / "suite.yaml"
    path.write_text(f"prompt: p.txt\nmodel: {MODEL}\ntests:\n"
                    "  - {id: France, vars: {country: France}, assert: [{type: icontains, value: Paris}]}\n",
                    encoding="utf-8")
    return load_suite(path)


def _runner(tmp_path, **options) -> Runner:
    return Runner(MODEL, cache=ResponseCache(tmp_path / "cache"), concurrency=1, timeout=20,
                  backoff_seconds=0.01, **options)


def test_retry_after_is_honoured(tmp_path, suite, monkeypatch):
    rate_limited = (429, {"Retry-After": "2"}, {"error": {"message": "slow down", "type": "rate_limit_error"}})
    with Server([rate_limited]) as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.base)
        result = run_eval(suite, _runner(tmp_path), None, 1)
    assert result.original.passed == 1 and result.stats.retries == 1
    # the second request came no earlier than the server asked (the backoff alone is 0.01 s)
    assert server.arrivals[1] - server.arrivals[0] >= 1.9


@pytest.mark.parametrize("body", [
    {**_completion_body("x"), "choices": []},
    _completion_body(None),
], ids=["no choices", "null content"])
def test_an_empty_answer_is_an_error_that_is_never_cached(tmp_path, suite, monkeypatch, body):
    with Server([], default=(200, {}, body)) as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.base)
        result = run_eval(suite, _runner(tmp_path, max_retries=1), None, 1)
        assert result.stats.failed == 1 and "provider answered with" in (result.stats.error or "")
        assert "index out of range" not in (result.stats.error or "")
        asked = len(server.arrivals)
    with Server([]) as good:  # the same endpoint address is not needed: the error must not be in the cache
        monkeypatch.setenv("OPENAI_API_BASE", server.base)
        result = run_eval(suite, _runner(tmp_path), None, 1)
    assert result.stats.cache_hits == 0 and asked == 2
    del good


def test_the_cache_is_keyed_by_the_endpoint(tmp_path, suite, monkeypatch):
    with Server([], default=(200, {}, _completion_body("Paris"))) as first, \
            Server([], default=(200, {}, _completion_body("Lyon"))) as second:
        monkeypatch.setenv("OPENAI_API_BASE", first.base)
        assert run_eval(suite, _runner(tmp_path), None, 1).original.passed == 1
        monkeypatch.setenv("OPENAI_API_BASE", second.base)
        switched = run_eval(suite, _runner(tmp_path), None, 1)
        assert switched.stats.cache_hits == 0 and len(second.arrivals) == 1
        assert switched.original.passed == 0  # the second server's own answer, not the first's
        monkeypatch.setenv("OPENAI_API_BASE", first.base)
        assert run_eval(suite, _runner(tmp_path), None, 1).stats.cache_hits == 1
