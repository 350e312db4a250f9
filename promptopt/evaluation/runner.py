"""Runs a suite's calls through litellm: cache first, a bounded thread pool, retries with backoff.

litellm is imported only here, inside functions (the import costs seconds). A provider that fails
for good (bad key, retries used up) or a Ctrl-C stops the run; the answers received so far are kept
and scored, and the run says it is partial.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from .cache import ResponseCache, cache_key
from .outputs import ModelOutput
from .prompts import PromptTemplate
from .providers import ECHO
from .suite import SuiteError, TestCase

LOCAL_MODEL = "local/smollm2"
MAX_RETRY_AFTER = 120.0  # seconds: a provider asking for a longer pause fails the call instead
# With no model named: the first provider whose key is set, else the in-process local model.
DEFAULT_MODELS_BY_KEY = (("OPENAI_API_KEY", "gpt-4o-mini"), ("ANTHROPIC_API_KEY", "anthropic/claude-haiku-4-5"))


class EvalRunError(RuntimeError):
    """The run cannot start or cannot go on; the message is one line for the user."""


class EmptyAnswer(RuntimeError):
    """A 200 response with no choices or a null content: an error to report (and retry), never an
    answer to cache as ""."""


def endpoint() -> dict[str, str]:
    """Where calls go besides the model name (OPENAI_API_BASE, ANTHROPIC_BASE_URL...): part of the cache
    key, so that answers of one server are never reused for another."""
    return {k: v for k, v in sorted(os.environ.items()) if k.endswith(("_API_BASE", "_BASE_URL")) and v}


def retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked to wait (`Retry-After`, `retry-after-ms`), if it said."""
    from email.utils import parsedate_to_datetime

    response = getattr(exc, "response", None)
    for headers in (getattr(exc, "litellm_response_headers", None), getattr(response, "headers", None)):
        if not headers:
            continue
        try:
            millis = headers.get("retry-after-ms")
            if millis is not None:
                return max(0.0, float(millis) / 1000)
            value = headers.get("retry-after")
            if value is None:
                continue
            try:
                return max(0.0, float(value))
            except ValueError:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError, AttributeError):
            continue
    return None


@dataclass(frozen=True)
class PlannedCall:
    variant: str
    case_id: str
    repeat: int
    messages: list[dict[str, str]]
    key: str
    params: dict[str, Any] = field(default_factory=dict)  # the prompt's own config (response_format...)


@dataclass
class CallOutcome:
    output: ModelOutput | str | None = None
    error: str | None = None
    cached: bool = False


@dataclass
class RunStats:
    unique_calls: int = 0
    cache_hits: int = 0
    real_calls: int = 0  # calls that reached the model (retries not counted)
    retries: int = 0
    failed: int = 0
    not_run: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    error: str | None = None  # why the run stopped early

    @property
    def partial(self) -> bool:
        return self.interrupted or self.error is not None or self.not_run > 0


@dataclass
class RunResult:
    outcomes: dict[str, CallOutcome] = field(default_factory=dict)  # by cache key
    stats: RunStats = field(default_factory=RunStats)


def resolve_model(named: str | None) -> tuple[str, str]:
    """The model to use and why (for the report)."""
    if named:
        return named, "named"
    for env, model in DEFAULT_MODELS_BY_KEY:
        if os.environ.get(env):
            return model, f"no model named; {env} is set"
    return LOCAL_MODEL, "no model named and no provider key set: local smoke-test model"


def _import_litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.disable_hf_tokenizer_download = True
    litellm.suppress_debug_info = True
    return litellm


def check_credentials(model: str, params: dict[str, Any] | None = None) -> None:
    """Fail before any call when the provider's key is missing."""
    if model == ECHO or model.startswith("local/") or (params and (params.get("api_key") or params.get("api_base"))):
        return
    litellm = _import_litellm()
    try:
        found = litellm.validate_environment(model)
    except Exception:  # unknown provider: let the call itself report it
        return
    missing = [k for k in found.get("missing_keys", []) if k.endswith(("_KEY", "_TOKEN"))]
    if missing:
        raise EvalRunError(f"missing API key for {model}: set {' or '.join(missing)}")


def describe_error(exc: BaseException) -> tuple[str, bool]:
    """A one-line message and whether retrying may help."""
    name = type(exc).__name__
    text = " ".join(str(exc).split()) or name
    text = text.replace("litellm.", "")
    if len(text) > 200:
        text = text[:197] + "..."
    transient = {"RateLimitError", "Timeout", "APIConnectionError", "ServiceUnavailableError",
                 "InternalServerError", "BadGatewayError", "APITimeoutError", "EmptyAnswer"}  # fmt: skip
    fatal_words = ("api_key", "Missing credentials", "Incorrect API key", "invalid x-api-key")
    if name in {"AuthenticationError", "PermissionDeniedError"} or any(w in text for w in fatal_words):
        return f"authentication failed: {text}", False
    if name == "RateLimitError":
        return f"rate limited: {text}", True
    if name in {"Timeout", "APITimeoutError"}:
        return f"timed out: {text}", True
    return text, name in transient


class Runner:
    def __init__(
        self,
        model: str,
        *,
        max_tokens: int = 256,
        stop: list[str] | None = None,
        concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        cache: ResponseCache | None = None,
        extra_params: dict[str, Any] | None = None,
        completion: Callable[..., Any] | None = None,
        show_progress: bool = False,
    ):
        self.model = model
        self.max_tokens = max_tokens
        self.stop = list(stop or [])
        # The in-process model answers one call at a time: more threads would only queue on its lock,
        # and the time spent queueing would count against each call's timeout.
        self.concurrency = 1 if model.startswith("local/") else max(1, concurrency)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        # an echo is free and instant: nothing worth keeping on disk
        self.cache = ResponseCache(enabled=False) if model == ECHO else cache or ResponseCache()
        self.extra_params = extra_params or {}  # e.g. litellm's mock_response, in tests
        self._completion = completion
        self.show_progress = show_progress
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def params(self, repeat: int) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": 0, "max_tokens": self.max_tokens, **self.extra_params}
        if self.stop:
            params["stop"] = self.stop
        if repeat:  # repeats must reach the model: at temperature 0 a provider may still vary
            params["repeat"] = repeat
        if where := endpoint():  # another server gives other answers (only set when one is named)
            params["endpoint"] = where
        return params

    def plan(self, variants: dict[str, PromptTemplate], cases: list[TestCase], repeat: int) -> list[PlannedCall]:
        if repeat < 1:  # every mode plans here: no calls would be a verdict on no evidence
            raise SuiteError(f"repeat must be at least 1, not {repeat}")
        calls = []
        for variant, template in variants.items():
            for case in cases:
                messages = template.render(case.vars)
                for index in range(repeat):
                    key = cache_key(self.model, messages, {**self.params(index), **template.config})
                    calls.append(PlannedCall(variant, case.id, index, messages, key, dict(template.config)))
        return calls

    def call_params(self, call: PlannedCall) -> dict[str, Any]:
        """What reaches litellm: defaults, then the provider's config, then the prompt's."""
        params: dict[str, Any] = {"temperature": 0, "max_tokens": self.max_tokens}
        if self.stop:
            params["stop"] = self.stop
        return {**params, **self.extra_params, **call.params}

    def cached(self, calls: list[PlannedCall]) -> set[str]:
        return {c.key for c in calls if self.cache.get(c.key) is not None}

    def run(self, calls: list[PlannedCall]) -> RunResult:
        result = RunResult()
        stats = result.stats
        unique: dict[str, PlannedCall] = {}
        for call in calls:
            unique.setdefault(call.key, call)
        stats.unique_calls = len(unique)
        started = time.perf_counter()
        todo = []
        for key, call in unique.items():
            entry = self.cache.get(key)
            if entry is not None:
                meta = entry.get("meta") or {}
                output = ModelOutput(entry["output"], **meta, params=self.call_params(call))
                result.outcomes[key] = CallOutcome(output=output, cached=True)
                stats.cache_hits += 1
            else:
                todo.append(call)
        if todo and self.model.startswith("local/") and self._completion is None:
            from .local_provider import load_model

            load_model()  # no litellm import (seconds): the batches call the model directly
            self._run_local_batches(todo, result)
        elif todo:
            completion = self._completion or self._litellm_completion()
            self._run_calls(todo, completion, result)
        stats.not_run = sum(1 for k in unique if k not in result.outcomes)
        stats.seconds = time.perf_counter() - started
        return result

    def _litellm_completion(self) -> Callable[..., Any]:
        if self.model == ECHO:
            return echo_completion
        litellm = _import_litellm()
        if self.model.startswith("local/"):
            from .local_provider import load_model, register_local_provider

            register_local_provider(litellm)
            load_model()  # before the first call, so the load does not count against its timeout
        return litellm.completion

    def _run_calls(self, todo: list[PlannedCall], completion: Callable[..., Any], result: RunResult) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(
            TextColumn("eval {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True, disable=not self.show_progress,
        )  # fmt: skip
        executor = ThreadPoolExecutor(max_workers=self.concurrency)
        pending: set[Future] = set()
        try:
            with progress:
                task = progress.add_task(self.model, total=len(todo))
                pending = {executor.submit(self._one_call, call, completion, result) for call in todo}
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    progress.advance(task, len(done))
                    if self._stop.is_set():
                        break
        except KeyboardInterrupt:
            self._stop.set()
            result.stats.interrupted = True
            _second_interrupt_exits()
        finally:
            for future in pending:
                future.cancel()
            # Calls already in flight finish in the background; their answers still reach the cache.
            executor.shutdown(wait=False, cancel_futures=True)

    def _run_local_batches(self, todo: list[PlannedCall], result: RunResult) -> None:
        """The in-process model answers a batch of calls with the same parameters in one generation
        (local_provider.generate_batch): a decode step costs about the same for 16 rows as for one."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from .local_provider import batch_size, generate_batch

        groups: dict[str, list[PlannedCall]] = {}
        for call in todo:
            groups.setdefault(json.dumps(self.call_params(call), sort_keys=True, default=str), []).append(call)
        chat = False if self.model.endswith("-text") else True if self.model.endswith("-chat") else None
        progress = Progress(
            TextColumn("eval {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True, disable=not self.show_progress,
        )  # fmt: skip
        size = batch_size()
        try:
            with progress:
                task = progress.add_task(self.model, total=len(todo))
                for calls in groups.values():
                    params = self.call_params(calls[0])
                    stop = params.get("stop")
                    stop = [stop] if isinstance(stop, str) else list(stop or [])
                    max_tokens = int(params.get("max_tokens") or params.get("max_completion_tokens") or 256)
                    for i in range(0, len(calls), size):
                        batch = calls[i : i + size]
                        result.stats.real_calls += len(batch)
                        started = time.perf_counter()
                        try:
                            answers = generate_batch([c.messages for c in batch], max_tokens, chat, stop)
                        except Exception as exc:  # the model failing is this run's error, in one line
                            message, _ = describe_error(exc)
                            result.stats.failed += len(batch)
                            result.stats.error = f"{self.model}: {message}"
                            for call in batch:
                                result.outcomes[call.key] = CallOutcome(error=message)
                            return
                        latency_ms = round((time.perf_counter() - started) * 1000 / len(batch), 1)
                        for call, (text, _prompt_tokens, _answer_tokens) in zip(batch, answers, strict=True):
                            output = ModelOutput(text, latency_ms=latency_ms, params=params)
                            self.cache.put(call.key, {"model": self.model, "output": text, "meta": output.meta()})
                            result.outcomes[call.key] = CallOutcome(output=output)
                        progress.advance(task, len(batch))
        except KeyboardInterrupt:
            result.stats.interrupted = True
            _second_interrupt_exits()

    def _one_call(self, call: PlannedCall, completion: Callable[..., Any], result: RunResult) -> None:
        stats = result.stats
        for attempt in range(self.max_retries + 1):
            if self._stop.is_set():
                return
            try:
                with self._lock:
                    stats.real_calls += 1 if attempt == 0 else 0
                    stats.retries += 1 if attempt else 0
                params = self.call_params(call)
                started = time.perf_counter()
                response = completion(
                    model=self.model,
                    messages=call.messages,
                    **params,
                    timeout=self.timeout,
                    num_retries=0,  # retries are ours, with backoff we control
                )
                latency_ms = round((time.perf_counter() - started) * 1000, 1)
                output = _output_of(response, params, latency_ms, self.model)
            except Exception as exc:  # litellm maps every provider's errors to its own classes
                message, transient = describe_error(exc)
                asked = retry_after(exc)
                if asked is not None and asked > MAX_RETRY_AFTER:
                    message, transient = f"{message} (the provider asks to wait {asked:.0f} s)", False
                if transient and attempt < self.max_retries:
                    delay = self.backoff_seconds * (2**attempt) * (1 + random.random() * 0.25)
                    if asked is not None:  # the provider knows when it will answer: never earlier
                        delay = max(asked, self.backoff_seconds)
                    if self._stop.wait(delay):
                        return
                    continue
                if transient:
                    message = f"{message} (gave up after {attempt + 1} attempts)"
                with self._lock:
                    stats.failed += 1
                    if stats.error is None:
                        stats.error = f"{self.model}: {message}"
                    result.outcomes[call.key] = CallOutcome(error=message)
                self._stop.set()  # a provider that fails for good fails the rest too: stop spending
                return
            self.cache.put(call.key, {"model": self.model, "output": str(output), "meta": output.meta()})
            with self._lock:
                result.outcomes[call.key] = CallOutcome(output=output)
            return


def echo_completion(model: str, messages: list[dict[str, Any]], **_params: Any) -> Any:
    """promptfoo's `echo` provider: the answer is the rendered prompt (its text when it is one message,
    else the messages as JSON, as promptfoo renders a chat prompt); no model, no network, no cost."""
    from types import SimpleNamespace

    text = messages[0]["content"] if len(messages) == 1 else json.dumps(messages, ensure_ascii=False)
    return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=text))], usage=None)


def _output_of(response: Any, params: dict[str, Any], latency_ms: float, model: str) -> ModelOutput:
    """The answer's text, or the function / tool calls it made (as JSON text, as promptfoo shows them)."""
    choices = getattr(response, "choices", None)
    if not choices:
        raise EmptyAnswer("the provider answered with no choices")
    message = choices[0].message
    payload: Any = None
    tool_calls = getattr(message, "tool_calls", None)
    function_call = getattr(message, "function_call", None)
    if tool_calls:
        payload = [
            {"id": getattr(t, "id", None), "type": "function",
             "function": {"name": t.function.name, "arguments": t.function.arguments}}
            for t in tool_calls
        ]  # fmt: skip
        if params.get("functions") and not params.get("tools"):  # offered as functions: one call, promptfoo's shape
            payload = payload[0]["function"]
    elif function_call:
        payload = {"name": function_call.name, "arguments": function_call.arguments}
    if payload is None and message.content is None:
        raise EmptyAnswer("the provider answered with a null content")  # an error, retried, never cached
    text = json.dumps(payload) if payload is not None else message.content
    return ModelOutput(text, latency_ms=latency_ms, cost=_cost(response, model), tool_payload=payload, params=params)


def _cost(response: Any, model: str) -> float | None:
    """Dollars for this answer from its reported usage and the bundled price map; None when unknown."""
    from .pricing import price_for

    usage = getattr(response, "usage", None)
    price = price_for(model)
    if usage is None or price is None:
        return None
    prompt = getattr(usage, "prompt_tokens", 0) or 0
    completion = getattr(usage, "completion_tokens", 0) or 0
    return prompt * price.input_per_token + completion * (price.output_per_token or 0.0)


def _second_interrupt_exits() -> None:
    """After a first Ctrl-C the partial results are being reported: a second one ends the process at
    once (exit 130) instead of raising a KeyboardInterrupt traceback out of a thread join."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return

    def now(signum, frame) -> None:
        os._exit(130)

    signal.signal(signal.SIGINT, now)
