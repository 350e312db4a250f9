"""An OpenAI-compatible chat server on 127.0.0.1 whose "models" are deterministic few-shot readers.

Not an LLM and not a mock of one: each model answers a few-shot classification prompt by reading it.
It finds the labelled examples (``Request: ...`` / ``Intent: ...`` pairs, whatever the two words are),
then gives the label of the example whose words overlap most with the final request. A prompt
without examples leaves it nothing to go on, so it answers ``unknown``. Models differ in how much of
the request they read (``READS``): a model that reads fewer words is a weaker model. The answers are
a function of the prompt alone, so every run of a test sees the same outputs.

litellm reaches it as any OpenAI deployment: ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READS = {"gpt-4o": None, "gpt-4o-mini": None, "gpt-4.1-nano": 1}  # words of the request read; None: all
# Two "rewriters" for optimize's rewrite lever, as deterministic as the readers: given promptopt's rewrite
# request, one drops the second sentence of the first paragraph (background, in the prompts tests give
# it), the other also drops every line that says "never" (a lost constraint).
REWRITERS = ("rewriter-faithful", "rewriter-lossy")
PAIR = re.compile(r"^(\w[\w ]*): (.+)\n(\w[\w ]*): (.+)$", re.M)
QUERY = re.compile(r"^(\w[\w ]*): (.+)\n(\w[\w ]*):\s*\Z", re.M)


def words(text: str, limit: int | None = None) -> set[str]:
    found = re.findall(r"[a-z0-9']+", text.lower())
    return set(found[:limit] if limit else found)


def rewrite(model: str, prompt: str) -> str:
    body = prompt.split("PROMPT:\n", 1)[-1].split("\n\n(Keep the line", 1)[0]
    first, _, rest = body.partition("\n\n")
    sentences = re.split(r"(?<=\.)\s+", first)
    body = " ".join(sentences[:1] + sentences[2:]) + "\n\n" + rest  # the background sentence goes
    if model.endswith("lossy"):
        body = "\n".join(line for line in body.split("\n") if "never" not in line.lower())
    return body


def answer(model: str, prompt: str) -> str:
    if model.split("/")[-1] in REWRITERS:
        return rewrite(model, prompt)
    query = QUERY.search(prompt.rstrip() + "\n")
    if not query:
        return "unknown"
    in_key, text, out_key = query.group(1), query.group(2), query.group(3)
    pairs = PAIR.finditer(prompt)
    examples = [(m.group(2), m.group(4)) for m in pairs if (m.group(1), m.group(3)) == (in_key, out_key)]
    if not examples:
        return "unknown"
    seen = words(text, READS.get(model.split("/")[-1]))
    best = max(examples, key=lambda e: len(seen & words(e[0])))  # the first of equals wins
    return best[1].strip()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        model = str(body.get("model", ""))
        if model.split("/")[-1] not in READS and model.split("/")[-1] not in REWRITERS:
            return self._send(404, {"error": {"message": f"model {model} not found", "type": "invalid_request_error"}})
        prompt = "\n\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        text = answer(model, prompt)
        self.server.calls.append(model)  # type: ignore[attr-defined]
        self._send(200, {
            "id": "chatcmpl-local", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 1,
                      "total_tokens": len(prompt.split()) + 1},
        })  # fmt: skip

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass


@contextmanager
def openai_server() -> Iterator[ThreadingHTTPServer]:
    """The server on a free port; stopped when the block ends. ``server.calls`` lists the models asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.calls = []  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def point_openai_at(server: ThreadingHTTPServer, monkeypatch) -> str:
    """Send litellm's OpenAI calls (with a key) to `server`; the base URL."""
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_BASE", url)
    return url
