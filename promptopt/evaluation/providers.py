"""promptfoo provider ids and their `config`, as litellm model names and call parameters.

promptfoo names a model ``provider:[api:]model`` (``openai:chat:gpt-4o``, ``anthropic:messages:claude-...``,
``openai:responses:gpt-4.1``, ``azure:chat:deployment``, ``vertex:gemini-...``, ``bedrock:converse:...``);
litellm names it ``provider/model``. A provider that is not a language model API (a Python or JS file,
an HTTP endpoint, a shell command) cannot be run here: it is listed as skipped, never replaced. The
exception is promptfoo's `echo`, which answers with the rendered prompt (offline, no key, no cost):
promptfoo's examples use it to test assertions.

Config keys that are model parameters are passed through (temperature, max_tokens, response_format,
tools, functions...); promptfoo's connection keys become litellm's (apiKey -> api_key, apiBaseUrl or
apiHost -> api_base, apiVersion -> api_version). A key with no litellm meaning is listed as ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# promptfoo prefix -> litellm prefix; the api word after it (chat, messages...) is dropped or mapped.
PREFIXES = {
    "openai": "openai", "anthropic": "anthropic", "azure": "azure", "azureopenai": "azure",
    "vertex": "vertex_ai", "google": "gemini", "gemini": "gemini", "bedrock": "bedrock", "groq": "groq",
    "mistral": "mistral", "ollama": "ollama", "openrouter": "openrouter", "together": "together_ai",
    "deepseek": "deepseek", "xai": "xai", "perplexity": "perplexity", "cohere": "cohere",
    "fireworks": "fireworks_ai", "huggingface": "huggingface", "replicate": "replicate",
    "cloudflare-ai": "cloudflare", "cerebras": "cerebras", "databricks": "databricks", "litellm": "",
    "voyage": "voyage", "watsonx": "watsonx", "sambanova": "sambanova", "hyperbolic": "hyperbolic",
}  # fmt: skip
# api words promptfoo puts between provider and model, and the litellm route they need ("" = default).
API_WORDS = {
    ("openai", "chat"): "", ("openai", "responses"): "responses/", ("openai", "completion"): "text-completion",
    ("anthropic", "messages"): "", ("anthropic", "completion"): "", ("azure", "chat"): "",
    ("azure", "completion"): "text-completion", ("azureopenai", "chat"): "", ("vertex", "chat"): "",
    ("bedrock", "converse"): "converse/", ("ollama", "chat"): "chat", ("ollama", "completion"): "",
    ("huggingface", "text-generation"): "", ("cloudflare-ai", "chat"): "", ("google", "chat"): "",
}  # fmt: skip
NOT_A_MODEL = ("file://", "python:", "exec:", "http:", "https:", "webhook:", "golang:", "ws:", "wss:",
               "sequence", "browser", "mcp", "promptfoo:", "script:", "simulated-user")  # fmt: skip
# promptfoo's `echo` answers with the rendered prompt itself: assertions tested with no model and no key
ECHO = "echo"
NOT_CHAT = ("embedding", "embeddings", "image", "audio", "realtime", "assistant", "transcription", "video")
MODEL_PARAMS = {
    "temperature", "max_tokens", "max_completion_tokens", "top_p", "top_k", "stop", "seed", "presence_penalty",
    "frequency_penalty", "response_format", "tools", "tool_choice", "functions", "function_call",
    "reasoning_effort", "logit_bias", "n", "parallel_tool_calls", "thinking",
}  # fmt: skip
RENAMED = {"max_new_tokens": "max_tokens", "maxTokens": "max_tokens", "apiKey": "api_key",
           "apiBaseUrl": "api_base", "apiHost": "api_base", "apiVersion": "api_version",
           "organization": "organization", "stop_sequences": "stop"}  # fmt: skip
FILE_PARAMS = ("tools", "functions", "response_format")


class ProviderError(ValueError):
    """A provider entry that cannot be read; the message is one line."""


@dataclass
class Provider:
    id: str  # as written in the suite
    model: str | None  # litellm name; None when the provider cannot run here
    label: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    prompts: tuple[str, ...] | None = None  # promptfoo's `prompts:` filter (labels), None = all
    skip_reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.label or self.id


def litellm_model(provider_id: str) -> str:
    """`openai:chat:gpt-4o` -> `openai/gpt-4o`; an id already in litellm form is kept."""
    model = _litellm_name(provider_id)
    if not model:  # `""`, `litellm:`: nothing to call
        raise ProviderError(f"{provider_id!r} names no model")
    return model


def _litellm_name(provider_id: str) -> str:
    if ":" not in provider_id:
        return provider_id
    prefix, _, rest = provider_id.partition(":")
    target = PREFIXES.get(prefix)
    if target is None:  # unknown prefix: maybe a litellm name with a colon (replicate versions, ollama tags)
        return provider_id
    word, sep, model = rest.partition(":")
    route = API_WORDS.get((prefix, word)) if sep else None
    if route is None:  # no api word: the rest is the model (it may itself hold colons)
        model, route = rest, ""
    if route == "text-completion":
        return f"text-completion-{target}/{model}" if target == "openai" else f"{target}/{model}"
    if route == "chat":
        return f"{target}_chat/{model}"
    return f"{target}/{route}{model}" if target else model


def unsupported_reason(provider_id: str) -> str:
    lowered = provider_id.lower()
    if lowered.startswith(NOT_A_MODEL) or lowered.endswith((".py", ".js", ".ts", ".mjs")):
        return "not a model API (a script, HTTP endpoint or built-in promptfoo provider)"
    parts = lowered.split(":")
    if len(parts) > 2 and parts[1] in NOT_CHAT:
        return f"a {parts[1]} provider, not a text model"
    return ""


def load_provider(entry: Any, base: Path, where: str) -> Provider:
    """One `providers:` entry: a string, `{id, label, config, prompts}`, or promptfoo's `{id: {config...}}`."""
    if isinstance(entry, str):
        entry = {"id": entry}
    if isinstance(entry, dict) and "id" not in entry and len(entry) == 1:  # {"openai:gpt-4o": {config: ...}}
        (pid, body), = entry.items()
        entry = {"id": pid, **(body if isinstance(body, dict) else {})}
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise ProviderError(f"{where}: a provider is a string id or a mapping with `id`")
    pid = entry["id"].strip()
    prompts = entry.get("prompts")
    provider = Provider(
        id=pid,
        model=None,
        label=str(entry.get("label") or ""),
        prompts=tuple(str(p) for p in ([prompts] if isinstance(prompts, str) else prompts)) if prompts else None,
    )
    provider.skip_reason = unsupported_reason(pid)
    if pid == ECHO:
        provider.model = ECHO
    elif not provider.skip_reason:
        try:
            provider.model = litellm_model(pid)
        except ProviderError as exc:
            raise ProviderError(f"{where}: {exc}") from None
        provider.params = provider_params(entry.get("config") or {}, base, f"{where} ({pid})", provider.notes)
    for key in ("transform", "delay", "env"):
        if entry.get(key) is not None:
            provider.notes.append(f"provider {provider.name}: `{key}` is not supported and was ignored")
    return provider


def provider_params(config: Any, base: Path, where: str, notes: list[str]) -> dict[str, Any]:
    """promptfoo's provider or prompt `config` as litellm keyword arguments."""
    if not isinstance(config, dict):
        raise ProviderError(f"{where}: `config` must be a mapping")
    params: dict[str, Any] = {}
    ignored = []
    for key, value in config.items():
        if key == "apiKeyEnvar":
            params["api_key"] = os.environ.get(str(value), "")
            continue
        name = RENAMED.get(key, key)
        if name not in MODEL_PARAMS and name not in RENAMED.values():
            ignored.append(key)
            continue
        if name in FILE_PARAMS and isinstance(value, str) and value.startswith("file://"):
            value = _load_file(base / value[len("file://") :], where)
        params[name] = value
    if name_host := params.get("api_base"):
        if isinstance(name_host, str) and "://" not in name_host:  # promptfoo's apiHost is a bare host
            params["api_base"] = f"https://{name_host}"
    if isinstance(params.get("tools"), list):
        params["tools"] = [_openai_tool(t) for t in params["tools"]]
    if isinstance(params.get("response_format"), dict):
        params["response_format"] = _chat_response_format(params["response_format"])
    if ignored:
        notes.append(f"{where}: config keys with no litellm meaning, ignored: {', '.join(map(str, ignored))}")
    return params


def _load_file(path: Path, where: str) -> Any:
    from ..bounded import load_data
    from ..core import LoadError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProviderError(f"{where}: cannot read {path}: {exc.strerror}") from None
    try:
        return load_data(text, path.suffix)
    except LoadError as exc:
        raise ProviderError(f"{where}: {path.name}: {' '.join(str(exc).split())}") from None


def _openai_tool(tool: Any) -> Any:
    """Anthropic's tool shape ({name, input_schema}) as OpenAI's, which litellm expects for every provider."""
    if isinstance(tool, dict) and "name" in tool and "function" not in tool:
        return {"type": "function", "function": {"name": tool["name"], "description": tool.get("description", ""),
                                                 "parameters": tool.get("input_schema") or tool.get("parameters")}}
    if isinstance(tool, dict) and isinstance(tool.get("function"), dict):
        function = dict(tool["function"])
        if "input_schema" in function and "parameters" not in function:
            function["parameters"] = function.pop("input_schema")
        return {**tool, "function": function}
    return tool


def _chat_response_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """The Responses API's flat json_schema format as Chat Completions' nested one."""
    if fmt.get("type") == "json_schema" and "json_schema" not in fmt and "schema" in fmt:
        inner = {k: v for k, v in fmt.items() if k != "type"}
        return {"type": "json_schema", "json_schema": inner}
    return fmt
