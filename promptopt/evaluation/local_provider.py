"""`local/smollm2`: SmolLM2-135M-Instruct in-process, behind a litellm custom provider.

A smoke-test model: it shows the pipeline runs end to end offline, never whether a prompt is good.
Generation is greedy (temperature 0 whatever is asked), one at a time (a lock), with
``max_new_tokens`` from the request and the request's ``stop`` strings ending generation early.

- ``local/smollm2``: completion style for a completion-style prompt (no assistant turn, and the last
  message ends with a cue such as ``Intent:``), else the tokenizer's chat template. Through the chat
  template a 135M model guesses on a few-shot prompt (12/24 on two-way sentiment) where, as text,
  it follows the pattern (22/24; issue 16).
- ``local/smollm2-text``: always completion style: the message texts joined by a blank line,
  trailing whitespace dropped (a prompt file's last newline would otherwise start a new paragraph),
  continued as written. ``local/smollm2-chat``: always the chat template.

Speed, for a suite of short answers (the reasons it was 2-13 s per case and is now a fraction):
- the prompts of a suite share a long prefix (instructions, examples); the key/value cache of the
  previous call is cut back to the tokens it shares with this one and reused, so a case costs its
  own few tokens, not the whole prompt. Greedy outputs are the same as without reuse up to float
  rounding, which can flip a near tie;
- stop strings are checked on the decoded answer after each token and end generation there;
- a run's calls come in batches (`generate_batch`, called by the runner directly): the shared prefix
  runs once and one decode step serves every row; litellm's one-call path stays for other callers;
- torch runs on one thread (``PROMPTOPT_LOCAL_THREADS`` to change): on a shared 2-core machine two
  threads waiting on each other made one forward pass ten times slower.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

LOCAL_PROVIDER = "local"
THREADS_ENV = "PROMPTOPT_LOCAL_THREADS"
MIN_SHARED_TOKENS = 16  # below this, reusing the previous cache is not worth the bookkeeping
_model_lock = threading.Lock()
_loaded: tuple[Any, Any] | None = None
_previous: dict[str, Any] = {"ids": [], "cache": None}  # the last call's tokens and key/value cache


def load_model() -> None:
    """Load the model now (seconds), rather than inside the first call."""
    with _model_lock:
        _model_and_tokenizer()


def tokenizer() -> Any:
    """The local model's tokenizer (loading the model if needed): what its max_tokens counts."""
    with _model_lock:
        return _model_and_tokenizer()[1]


def _model_and_tokenizer() -> tuple[Any, Any]:
    global _loaded
    if _loaded is None:
        from promptopt.localmodel import load_causal_lm

        _loaded = load_causal_lm(None)  # quiet: no progress bar or library warning on the eval's stderr
    return _loaded


def completion_style(messages: list[dict[str, str]]) -> bool:
    """A prompt written to be continued: no assistant turn, and it ends on a cue like ``Label:``."""
    if not messages or any(m.get("role") == "assistant" for m in messages):
        return False
    return messages[-1]["content"].rstrip().endswith(":")


def completion_text(messages: list[dict[str, str]]) -> str:
    return "\n\n".join(m["content"] for m in messages).rstrip()


def cut_at_stop(text: str, stop: list[str]) -> str:
    """The answer up to the first stop string; a leading newline or space is not the end yet."""
    body = text.lstrip()
    ends = [body.index(marker) for marker in stop if marker and marker in body]
    return text[: len(text) - len(body) + min(ends)] if ends else text


@contextlib.contextmanager
def _torch_threads(torch: Any) -> Iterator[None]:
    wanted = int(os.environ.get(THREADS_ENV) or 1)
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, wanted))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _shared_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _reusable_cache(ids: list[int]) -> Any:
    """The previous call's cache cut back to the tokens it shares with ``ids``; None if too little."""
    cache = _previous["cache"]
    shared = min(_shared_prefix(_previous["ids"], ids), len(ids) - 1)  # the last token must be fed
    if cache is None or shared < MIN_SHARED_TOKENS:
        return None
    extra = cache.get_seq_length() - shared
    if extra > 0:
        cache.crop(-extra)  # negative: remove that many tokens (the form every transformers accepts)
    return cache


def _stopper(tokenizer: Any, start: int, stop: list[str]) -> Any:
    from transformers import StoppingCriteria

    class StopAtStrings(StoppingCriteria):
        """Decodes the few new tokens and stops once a stop string follows some answer text.

        transformers' own ``stop_strings`` precomputes a table over the whole vocabulary on every
        call (0.4-0.7 s here); for answers of a few tokens decoding them is far cheaper."""

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            import torch

            text = tokenizer.decode(input_ids[0, start:], skip_special_tokens=True)
            done = cut_at_stop(text, stop) != text
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool)

    return StopAtStrings()


def generate(
    messages: list[dict[str, str]], max_new_tokens: int, chat: bool | None = None, stop: list[str] | None = None
) -> tuple[str, int, int]:
    """The model's greedy answer, with prompt and completion token counts.

    ``chat`` None picks completion style for a completion-style prompt, else the chat template."""
    import torch
    from transformers import StoppingCriteriaList

    from promptopt.localmodel import quiet_ml_libraries

    stop = [s for s in stop or [] if s]
    if chat is None:
        chat = not completion_style(messages)
    with _model_lock, _torch_threads(torch):
        quiet_ml_libraries()
        model, tokenizer = _model_and_tokenizer()
        if chat:
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:
            prompt = completion_text(messages)
        ids = list(tokenizer(prompt)["input_ids"])
        cache = _reusable_cache(ids)
        _previous.update(ids=[], cache=None)  # if generation fails, nothing half-updated is reused
        input_ids = torch.tensor([ids])
        options: dict[str, Any] = {}
        if stop:
            options["stopping_criteria"] = StoppingCriteriaList([_stopper(tokenizer, len(ids), stop)])
        if cache is not None:
            options[_cache_keyword()] = cache
        output = _greedy(model, input_ids, torch.ones_like(input_ids), max_new_tokens,
                         tokenizer.pad_token_id or tokenizer.eos_token_id, **options)
        sequence = output.sequences[0].tolist()
        kept = getattr(output, "cache", None) or getattr(output, "past_key_values", None)
        if kept is not None:  # the cache holds every token but the last generated one
            _previous.update(ids=sequence[: kept.get_seq_length()], cache=kept)
        new_tokens = sequence[len(ids) :]
        text = cut_at_stop(tokenizer.decode(new_tokens, skip_special_tokens=True), stop)
        return text, len(ids), len(new_tokens)


BATCH_SIZE_ENV = "PROMPTOPT_LOCAL_BATCH"
DEFAULT_BATCH_SIZE = 32
_prefix: dict[str, Any] = {"ids": None, "cache": None}  # the last batch's shared prefix and its cache


def batch_size() -> int:
    return max(1, int(os.environ.get(BATCH_SIZE_ENV) or DEFAULT_BATCH_SIZE))


def generate_batch(
    conversations: list[list[dict[str, str]]], max_new_tokens: int, chat: bool | None = None,
    stop: list[str] | None = None,
) -> list[tuple[str, int, int]]:  # fmt: skip
    """Greedy answers for several prompts in one pass per token: (text, prompt tokens, answer tokens).

    The prompts of a suite share a long prefix (instructions, examples). It is run once (and kept
    for the next batch with the same prefix); each prompt's own tail goes after it, left-padded to
    the longest tail, with the padding masked out so every row sees positions as if it ran alone.
    A decode step costs about the same for 16 rows as for one on a CPU, which is the saving.
    Outputs equal one-at-a-time generation up to float rounding (padding changes the summation
    order), which can flip a near tie."""
    import copy

    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    stop = [s for s in stop or [] if s]
    if len(conversations) == 1:
        return [generate(conversations[0], max_new_tokens, chat, stop)]
    with _model_lock, _torch_threads(torch):
        model, tokenizer = _model_and_tokenizer()
        ids_list = []
        for messages in conversations:
            as_chat = not completion_style(messages) if chat is None else chat
            if as_chat:
                prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            else:
                prompt = completion_text(messages)
            ids_list.append(list(tokenizer(prompt)["input_ids"]))
        shared = min(min(_shared_prefix(ids_list[0], ids) for ids in ids_list), min(map(len, ids_list)) - 1)
        prefix = ids_list[0][:shared]
        if _prefix["ids"] != prefix:
            _prefix.update(ids=None, cache=None)
            if shared:
                with torch.inference_mode():
                    out = model(input_ids=torch.tensor([prefix]), use_cache=True)
                kept = out.cache if "cache" in out else out.past_key_values  # renamed in transformers 5.2x
                _prefix.update(ids=prefix, cache=kept)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        tails = [ids[shared:] for ids in ids_list]
        width = max(map(len, tails))
        rows = [prefix + [pad] * (width - len(t)) + t for t in tails]
        mask = [[1] * shared + [0] * (width - len(t)) + [1] * len(t) for t in tails]
        input_ids = torch.tensor(rows)
        options: dict[str, Any] = {}
        if _prefix["cache"] is not None:
            cache = copy.deepcopy(_prefix["cache"])
            cache.batch_repeat_interleave(len(rows))
            options[_cache_keyword()] = cache
        start = input_ids.shape[1]

        class StopRows(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                texts = tokenizer.batch_decode(input_ids[:, start:], skip_special_tokens=True)
                return torch.tensor([bool(stop) and cut_at_stop(t, stop) != t for t in texts])

        output = _greedy(model, input_ids, torch.tensor(mask), max_new_tokens, pad,
                         eos_token_id=tokenizer.eos_token_id,
                         stopping_criteria=StoppingCriteriaList([StopRows()]), **options)
        results = []
        for ids, sequence in zip(ids_list, output.sequences.tolist(), strict=True):
            new_tokens = sequence[start:]
            text = tokenizer.decode(new_tokens, skip_special_tokens=True)
            results.append((cut_at_stop(text, stop), len(ids), _tokens_used(tokenizer, new_tokens, stop)))
        return results


def _tokens_used(tokenizer: Any, new_tokens: list[int], stop: list[str]) -> int:
    """Tokens this row generated before it stopped (rows that finished early are padded after)."""
    for used in range(1, len(new_tokens) + 1):
        if new_tokens[used - 1] == tokenizer.eos_token_id:
            return used
        text = tokenizer.decode(new_tokens[:used], skip_special_tokens=True)
        if stop and cut_at_stop(text, stop) != text:
            return used
    return len(new_tokens)


def _cache_keyword() -> str:
    """transformers 5.2x renamed generate's ``past_key_values`` to ``cache``."""
    from transformers.generation.utils import GenerateDecoderOnlyOutput

    return "cache" if "cache" in GenerateDecoderOnlyOutput.__dataclass_fields__ else "past_key_values"


def _handler_class():
    from litellm import CustomLLM, ModelResponse

    class LocalModelHandler(CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
            params = kwargs.get("optional_params") or {}
            max_new_tokens = int(params.get("max_tokens") or params.get("max_completion_tokens") or 256)
            started = time.perf_counter()
            stop = params.get("stop")
            stop = [stop] if isinstance(stop, str) else list(stop or [])
            chat = False if model.endswith("-text") else True if model.endswith("-chat") else None
            text, prompt_tokens, completion_tokens = generate(messages, max_new_tokens, chat, stop)
            response = kwargs.get("model_response") or ModelResponse()
            response.choices[0].message.content = text
            response.choices[0].finish_reason = "stop" if completion_tokens < max_new_tokens else "length"
            response.model = f"{LOCAL_PROVIDER}/{model}"
            response.usage = {  # type: ignore[assignment]
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
            response._response_ms = (time.perf_counter() - started) * 1000  # type: ignore[attr-defined]
            return response

    return LocalModelHandler


def register_local_provider(litellm: Any) -> None:
    """Make `litellm.completion(model="local/smollm2")` run the in-process model (idempotent)."""
    if any(entry.get("provider") == LOCAL_PROVIDER for entry in litellm.custom_provider_map):
        return
    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": LOCAL_PROVIDER, "custom_handler": _handler_class()()},
    ]


def _greedy(model: Any, input_ids: Any, attention_mask: Any, max_new_tokens: int, pad: int, **options: Any) -> Any:
    """One greedy `generate` call (single request or batch), returning the dict with the cache."""
    import torch

    with torch.inference_mode():
        return model.generate(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=max_new_tokens,
                              do_sample=False, pad_token_id=pad, return_dict_in_generate=True, **options)
