"""Per-token prices from litellm's bundled price map, read as JSON (importing litellm costs seconds).

The map is ``litellm/model_prices_and_context_window_backup.json`` inside the installed wheel. A user
refreshes prices by upgrading litellm, by pointing ``[tool.promptopt.pricing] file`` at a newer JSON in
the same format, or by giving a model's prices in ``[tool.promptopt.pricing.models."name"]``.
A price that is missing or 0 means "unknown", never "free".
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..digest import blake2b

PRICE_MAP_NAME = "model_prices_and_context_window_backup.json"
PER_MILLION = 1_000_000


class PricingError(ValueError):
    """A price file or a price override that cannot be used."""


@dataclass(frozen=True)
class ModelPrice:
    model: str  # the name asked for
    key: str  # the entry that answered (may differ: a provider prefix stripped)
    provider: str
    input_per_token: float
    output_per_token: float | None  # None: unknown
    cache_read_per_token: float | None  # None: the map does not say; see projection's defaults
    cache_min_tokens: int | None  # the provider's minimum cacheable prefix, when the map says
    source: str

    @property
    def family(self) -> str:
        """openai, anthropic or other: decides the default cache discount."""
        provider = self.provider.lower()
        bare = self.key.split("/")[-1].lower()
        if "anthropic" in provider or "claude" in bare:
            return "anthropic"
        if provider in {"openai", "azure", "text-completion-openai"} or bare.startswith(
            ("gpt-", "o1", "o3", "o4")
        ):
            return "openai"
        return "other"


def bundled_price_file() -> Path | None:
    """litellm's price map, found without importing litellm."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / PRICE_MAP_NAME
    return path if path.is_file() else None


def _positive(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@functools.lru_cache(maxsize=4)
def _read_map(path: str) -> dict[str, dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        raise PricingError(f"cannot read price file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PricingError(f"price file {path} is not a JSON object of model -> prices")
    return {k: v for k, v in data.items() if isinstance(v, dict)}


@dataclass(frozen=True)
class PriceOverride:
    """A model's prices given in config, in dollars per million tokens (as providers publish them)."""

    input_per_million: float
    output_per_million: float | None = None
    cached_input_per_million: float | None = None
    provider: str = ""
    cache_min_tokens: int | None = None

    def to_price(self, model: str) -> ModelPrice:
        def per_token(value: float | None) -> float | None:
            return None if value is None else value / PER_MILLION

        return ModelPrice(
            model=model,
            key=model,
            provider=self.provider,
            input_per_token=self.input_per_million / PER_MILLION,
            output_per_token=per_token(self.output_per_million),
            cache_read_per_token=per_token(self.cached_input_per_million),
            cache_min_tokens=self.cache_min_tokens,
            source="config",
        )


class PriceTable:
    """Looks a model up by exact name, then without its provider prefix (``openai/gpt-4o``)."""

    def __init__(
        self,
        entries: dict[str, dict],
        source: str,
        overrides: dict[str, PriceOverride] | None = None,
    ):
        self.entries = entries
        self.source = source
        self.overrides = overrides or {}
        self._lower = {k.lower(): k for k in entries}

    def lookup(self, model: str) -> ModelPrice | None:
        """The model's price, or None when unknown (absent, or an input price of 0)."""
        if model in self.overrides:
            return self.overrides[model].to_price(model)
        key = self._find_key(model)
        if key is None:
            return None
        entry = self.entries[key]
        input_price = _positive(entry.get("input_cost_per_token"))
        if input_price is None:
            return None
        min_tokens = entry.get("prompt_cache_min_tokens")
        return ModelPrice(
            model=model,
            key=key,
            provider=str(entry.get("litellm_provider", "")),
            input_per_token=input_price,
            output_per_token=_positive(entry.get("output_cost_per_token")),
            cache_read_per_token=_positive(entry.get("cache_read_input_token_cost")),
            cache_min_tokens=int(min_tokens)
            if isinstance(min_tokens, (int, float)) and min_tokens > 0
            else None,
            source=self.source,
        )

    def _find_key(self, model: str) -> str | None:
        if model in self.entries:
            return model
        if model.lower() in self._lower:
            return self._lower[model.lower()]
        if "/" in model:
            prefix, bare = model.split("/", 1)
            key = self._find_key(bare)
            if key is not None:
                provider = str(self.entries[key].get("litellm_provider", "")).lower()
                # `openai/gpt-4o` may use the `gpt-4o` entry; `groq/gpt-4o` may not (another price)
                if provider and (provider.startswith(prefix.lower()) or prefix.lower().startswith(provider)):
                    return key
        return None


def load_price_table(
    file: Path | None = None, overrides: dict[str, PriceOverride] | None = None
) -> PriceTable:
    """The price table: `file` (litellm's format) if given, else litellm's bundled map."""
    if file is not None:
        return PriceTable(_read_map(str(file)), str(file), overrides)
    bundled = bundled_price_file()
    if bundled is None:
        if overrides:
            return PriceTable({}, "config only", overrides)
        raise PricingError(
            "litellm's price map was not found: install litellm, set [tool.promptopt.pricing] file "
            "to a price JSON in litellm's format, or give prices in [tool.promptopt.pricing.models]"
        )
    return PriceTable(_read_map(str(bundled)), f"litellm {_litellm_version()} bundled price map", overrides)


def _litellm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("litellm")
    except PackageNotFoundError:
        return "?"


def input_price(model: str) -> float | None:
    """Dollars per input token for a model from the bundled map; None when unknown.

    The audit report asks for this on every run (the pre-commit hook included), and parsing the
    1.4 MB map is a tenth of a cold run: the answer is cached per map file (path, size, mtime)."""
    bundled = bundled_price_file()
    cache = _price_cache_file(bundled, model) if bundled else None
    if cache is not None and cache.is_file():
        try:
            return json.loads(cache.read_text(encoding="utf-8"))["input_per_token"]
        except (OSError, ValueError, KeyError):
            pass  # damaged: look it up again
    try:
        price = load_price_table().lookup(model)
    except PricingError:
        return None
    value = price.input_per_token if price else None
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"model": model, "input_per_token": value}), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only home just means no cache
    return value


def _price_cache_file(price_file: Path, model: str) -> Path | None:
    try:
        stat = price_file.stat()
    except OSError:
        return None
    key = blake2b(f"{price_file}:{stat.st_size}:{stat.st_mtime_ns}:{model}".encode(), digest_size=16).hexdigest()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "promptopt" / "prices" / f"{key}.json"
