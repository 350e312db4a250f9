"""`local/smollm2`: SmolLM2-135M-Instruct in-process, behind a litellm custom provider.

A smoke-test model: it shows the pipeline runs end to end offline, never whether a prompt is good.
Generation is greedy (temperature 0 whatever is asked), one at a time (a lock: torch already uses
every core), with ``max_new_tokens`` from the request and the request's ``stop`` strings applied.

- ``local/smollm2``: the messages go through the tokenizer's own chat template.
- ``local/smollm2-text``: completion style: the message texts joined by a blank line, continued as
  written. A 135M model follows a few-shot pattern far better this way (measured on 16 SNIPS
  requests with the project's few-shot prompt: 9/16 as text, 0/16 through the chat template).
"""

from __future__ import annotations

import threading
import time
from typing import Any

LOCAL_PROVIDER = "local"
_model_lock = threading.Lock()
_loaded: tuple[Any, Any] | None = None


def _model_and_tokenizer() -> tuple[Any, Any]:
    global _loaded
    if _loaded is None:
        from promptopt.localmodel import load_causal_lm

        try:  # transformers' weight-loading progress bar would clutter the eval's own output
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:
            pass
        _loaded = load_causal_lm(None)
    return _loaded


def generate(
    messages: list[dict[str, str]], max_new_tokens: int, chat: bool = True, stop: list[str] | None = None
) -> tuple[str, int, int]:
    """The model's greedy answer, with prompt and completion token counts."""
    import torch

    with _model_lock:
        model, tokenizer = _model_and_tokenizer()
        if chat:
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:
            prompt = "\n\n".join(m["content"] for m in messages)
        inputs = tokenizer(prompt, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        new_tokens = output[0][inputs["input_ids"].shape[1] :]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        for marker in stop or []:
            if marker and marker in text.lstrip():  # a leading newline or space is not the end yet
                text = text[: len(text) - len(text.lstrip()) + text.lstrip().index(marker)]
        return text, int(inputs["input_ids"].shape[1]), int(new_tokens.shape[0])


def _handler_class():
    from litellm import CustomLLM, ModelResponse

    class LocalModelHandler(CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
            params = kwargs.get("optional_params") or {}
            max_new_tokens = int(params.get("max_tokens") or params.get("max_completion_tokens") or 256)
            started = time.perf_counter()
            stop = params.get("stop")
            stop = [stop] if isinstance(stop, str) else list(stop or [])
            chat = not model.endswith("-text")
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
