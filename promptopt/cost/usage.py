"""The `usage` and `pricing` tables of the config: how often each prompt runs, on which model, at what price.

```toml
[tool.promptopt.usage]            # defaults for every prompt (all optional)
requests-per-day = 1000
output-tokens = 300
caching = false

[[tool.promptopt.usage.prompts]]  # per glob; the first entry that matches a file wins
glob = "prompts/support/**/*.md"
requests-per-month = 600000
output-tokens = 250
model = "gpt-4o-mini"
caching = true

[tool.promptopt.pricing]
file = "prices/model_prices.json"  # a newer price map in litellm's format (optional)
[tool.promptopt.pricing.models."ft:gpt-4o-mini:acme"]
input-per-million = 0.30
output-per-million = 1.20
cached-input-per-million = 0.15
```
Globs are matched against the path relative to the config file's folder: ``*`` stays within a folder,
``**/`` spans folders, and a glob without ``/`` matches the file name anywhere.
A month is 30 days.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .prices import PriceOverride

DAYS_PER_MONTH = 30

_VOLUME_KEYS = {"requests-per-day", "requests-per-month", "output-tokens", "caching", "model"}
_ENTRY_KEYS = _VOLUME_KEYS | {"glob"}
_PRICING_KEYS = {"file", "models"}
_OVERRIDE_KEYS = {
    "input-per-million",
    "output-per-million",
    "cached-input-per-million",
    "provider",
    "cache-min-tokens",
}


class UsageConfigError(ValueError):
    """The usage or pricing table is malformed; the message says where."""


@dataclass(frozen=True)
class Volume:
    """What the config says about one prompt's traffic; None where it says nothing."""

    requests_per_month: float | None = None
    output_tokens: int | None = None
    caching: bool | None = None
    model: str | None = None

    def over(self, fallback: Volume) -> Volume:
        return Volume(
            self.requests_per_month if self.requests_per_month is not None else fallback.requests_per_month,
            self.output_tokens if self.output_tokens is not None else fallback.output_tokens,
            self.caching if self.caching is not None else fallback.caching,
            self.model if self.model is not None else fallback.model,
        )


@dataclass(frozen=True)
class PromptUsage:
    """The resolved traffic of one prompt file."""

    model: str
    requests_per_month: float | None  # None: no volume configured, so no monthly figure
    output_tokens: int
    caching: bool
    matched: str = ""  # the glob that matched, "" for the defaults


@dataclass(frozen=True)
class UsageEntry:
    glob: str
    volume: Volume

    def matches(self, relative_path: str) -> bool:
        return glob_matches(self.glob, relative_path)


@dataclass
class UsageConfig:
    defaults: Volume = field(default_factory=Volume)
    entries: list[UsageEntry] = field(default_factory=list)

    def for_path(self, relative_path: str, default_model: str) -> PromptUsage:
        volume, matched = self.defaults, ""
        for entry in self.entries:
            if entry.matches(relative_path):
                volume, matched = entry.volume.over(self.defaults), entry.glob
                break
        return PromptUsage(
            model=volume.model or default_model,
            requests_per_month=volume.requests_per_month,
            output_tokens=volume.output_tokens or 0,
            caching=bool(volume.caching),
            matched=matched,
        )


@dataclass
class PricingConfig:
    file: Path | None = None
    models: dict[str, PriceOverride] = field(default_factory=dict)


def _number(value: object, where: str, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageConfigError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise UsageConfigError(f"{where} must be a finite number, got {value!r}")
    if value < 0:
        raise UsageConfigError(f"{where} must not be negative, got {value!r}")
    if integer and value != int(value):
        raise UsageConfigError(f"{where} must be a whole number, got {value!r}")
    return int(value) if integer else float(value)


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageConfigError(
            f"unknown key(s) in {where}: {', '.join(unknown)} (known: {', '.join(sorted(allowed))})"
        )


def _parse_volume(table: dict, where: str) -> Volume:
    if "requests-per-day" in table and "requests-per-month" in table:
        raise UsageConfigError(f"{where}: give requests-per-day or requests-per-month, not both")
    monthly = None
    if "requests-per-day" in table:
        monthly = _number(table["requests-per-day"], f"{where}.requests-per-day") * DAYS_PER_MONTH
    elif "requests-per-month" in table:
        monthly = _number(table["requests-per-month"], f"{where}.requests-per-month")
    output = None
    if "output-tokens" in table:
        output = int(_number(table["output-tokens"], f"{where}.output-tokens", integer=True))
    caching = table.get("caching")
    if caching is not None and not isinstance(caching, bool):
        raise UsageConfigError(f"{where}.caching must be true or false, got {caching!r}")
    model = table.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise UsageConfigError(f"{where}.model must be a model name, got {model!r}")
    return Volume(monthly, output, caching, model)


def parse_usage(table: object) -> UsageConfig:
    """Validate `[tool.promptopt.usage]` (as a dict, or None when absent)."""
    if table is None:
        return UsageConfig()
    if not isinstance(table, dict):
        raise UsageConfigError("usage must be a table")
    _check_keys(table, _VOLUME_KEYS | {"prompts"}, "usage")
    defaults = _parse_volume({k: v for k, v in table.items() if k != "prompts"}, "usage")
    prompts = table.get("prompts", [])
    if not isinstance(prompts, list):
        raise UsageConfigError("usage.prompts must be an array of tables ([[usage.prompts]])")
    entries = []
    for index, item in enumerate(prompts):
        where = f"usage.prompts[{index}]"
        if not isinstance(item, dict):
            raise UsageConfigError(f"{where} must be a table")
        _check_keys(item, _ENTRY_KEYS, where)
        glob = item.get("glob")
        if not isinstance(glob, str) or not glob.strip():
            raise UsageConfigError(f"{where}.glob is required (a path pattern such as 'prompts/**/*.md')")
        entries.append(UsageEntry(glob.strip(), _parse_volume(item, where)))
    return UsageConfig(defaults, entries)


def parse_pricing(table: object, root: Path | None = None) -> PricingConfig:
    """Validate `[tool.promptopt.pricing]`; a relative `file` is read from the config's folder."""
    if table is None:
        return PricingConfig()
    if not isinstance(table, dict):
        raise UsageConfigError("pricing must be a table")
    _check_keys(table, _PRICING_KEYS, "pricing")
    file = None
    if "file" in table:
        if not isinstance(table["file"], str) or not table["file"]:
            raise UsageConfigError("pricing.file must be a path to a price JSON in litellm's format")
        file = Path(table["file"])
        if not file.is_absolute() and root is not None:
            file = root / file
        if not file.is_file():
            raise UsageConfigError(f"pricing.file {file} does not exist")
    models: dict[str, PriceOverride] = {}
    raw_models = table.get("models", {})
    if not isinstance(raw_models, dict):
        raise UsageConfigError("pricing.models must be a table of model name -> prices")
    for name, prices in raw_models.items():
        where = f"pricing.models.{name!r}"
        if not isinstance(prices, dict):
            raise UsageConfigError(f"{where} must be a table")
        _check_keys(prices, _OVERRIDE_KEYS, where)
        if "input-per-million" not in prices:
            raise UsageConfigError(f"{where}.input-per-million is required")
        input_price = _number(prices["input-per-million"], f"{where}.input-per-million")
        if input_price == 0:
            raise UsageConfigError(f"{where}.input-per-million is 0: a price of 0 is read as unknown")

        def optional(key: str, where: str = where, prices: dict = prices) -> float | None:
            return _number(prices[key], f"{where}.{key}") if key in prices else None

        cache_min = optional("cache-min-tokens")
        models[name] = PriceOverride(
            input_per_million=input_price,
            output_per_million=optional("output-per-million"),
            cached_input_per_million=optional("cached-input-per-million"),
            provider=str(prices.get("provider", "")),
            cache_min_tokens=int(cache_min) if cache_min is not None else None,
        )
    return PricingConfig(file, models)


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z")


def glob_matches(pattern: str, relative_path: str) -> bool:
    path = PurePosixPath(relative_path.replace("\\", "/")).as_posix().removeprefix("./")
    pattern = pattern.removeprefix("./")
    if "/" not in pattern.rstrip("/"):
        return bool(_glob_regex(pattern).match(path.rsplit("/", 1)[-1]))
    return bool(_glob_regex(pattern.lstrip("/")).match(path))
