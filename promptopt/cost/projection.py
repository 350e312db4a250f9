"""Dollars per request and per month for each prompt file, and what the safe fixes would save.

Per request: input tokens at the input price, the cached static prefix (if caching is on) at the cached
rate, and the expected output tokens at the output price. Per month: per request x requests per month.

Prompt caching: providers cache an exact prefix, so only the text before the first template placeholder
can be a cache hit (the variable part differs per request). It counts as cached when caching is on and
the static prefix reaches the provider's minimum (the price map's ``prompt_cache_min_tokens``, else
1,024 tokens: OpenAI's minimum and Anthropic's for most models). Cached rate: the map's
``cache_read_input_token_cost``; if absent, 0.5x input for OpenAI, 0.1x input for Anthropic, and no
discount for other providers. Anthropic's cache writes (1.25x, once per 5 minutes) are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core import PromptDocument
from ..tokenmap import SectionTokens
from ..tokens import TokenCounter, choose_encoding
from .prices import ModelPrice, PriceTable
from .usage import PromptUsage

DEFAULT_CACHE_MIN_TOKENS = 1024
CACHE_DISCOUNT = {"openai": 0.5, "anthropic": 0.1}
_STATIC_SYNTAXES = {"jinja-comment"}  # removed at render time: the prefix continues past them


@dataclass(frozen=True)
class Measure:
    """Tokens of one prompt file per request, and how many of them lead before any variable."""

    tokens: int
    static_prefix_tokens: int


def static_prefix(document: PromptDocument) -> str:
    """The document's text before its first template variable (all of it when it has none)."""
    starts = [p.span.start for p in document.placeholders if p.syntax not in _STATIC_SYNTAXES]
    return document.text[: min(starts)] if starts else document.text


def measure_documents(
    documents: list[PromptDocument], counter: TokenCounter, tokens: int | None = None
) -> Measure:
    total = tokens if tokens is not None else sum(counter.count(d.text) for d in documents)
    prefix = sum(counter.count(static_prefix(d)) for d in documents)
    return Measure(total, min(prefix, total))


def cache_read_rate(price: ModelPrice) -> float:
    if price.cache_read_per_token is not None:
        return price.cache_read_per_token
    return price.input_per_token * CACHE_DISCOUNT.get(price.family, 1.0)


def cached_tokens(measure: Measure, price: ModelPrice, caching: bool) -> int:
    if not caching:
        return 0
    minimum = price.cache_min_tokens or DEFAULT_CACHE_MIN_TOKENS
    return measure.static_prefix_tokens if measure.static_prefix_tokens >= minimum else 0


@dataclass(frozen=True)
class CachingOutcome:
    """What `caching = true` did to one prompt, so the report can say it (empty status: caching off)."""

    status: str = ""  # cached | under-minimum | no-prefix | no-discount
    static_prefix_tokens: int = 0
    minimum_tokens: int = 0
    cached_rate: float | None = None  # dollars per cached input token
    input_rate: float | None = None


def caching_outcome(measure: Measure, price: ModelPrice | None, caching: bool) -> CachingOutcome:
    if not caching or price is None:
        return CachingOutcome()
    minimum = price.cache_min_tokens or DEFAULT_CACHE_MIN_TOKENS
    prefix = measure.static_prefix_tokens
    rate = cache_read_rate(price)
    if prefix == 0:
        status = "no-prefix"
    elif prefix < minimum:
        status = "under-minimum"
    elif rate >= price.input_per_token:
        status = "no-discount"
    else:
        status = "cached"
    return CachingOutcome(status, prefix, minimum, rate, price.input_per_token)


def request_cost(measure: Measure, price: ModelPrice | None, usage: PromptUsage) -> float | None:
    """Dollars per request; None when a price it needs is unknown."""
    if price is None:
        return None
    if usage.output_tokens and price.output_per_token is None:
        return None
    cached = cached_tokens(measure, price, usage.caching)
    cost = (measure.tokens - cached) * price.input_per_token + cached * cache_read_rate(price)
    if usage.output_tokens:
        cost += usage.output_tokens * price.output_per_token  # type: ignore[operator]
    return cost


def unknown_reason(price: ModelPrice | None, usage: PromptUsage) -> str:
    if price is None:
        return f"no price known for model {usage.model!r}"
    if usage.output_tokens and price.output_per_token is None:
        return f"no output price known for model {usage.model!r}"
    return ""


@dataclass
class PromptCost:
    path: str
    model: str
    encoding: str
    tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    requests_per_month: float | None = None
    cost_per_request: float | None = None
    tokens_after_fixes: int = 0
    cost_per_request_after_fixes: float | None = None
    price_key: str = ""
    unknown: str = ""  # why the cost is unknown ("" when known)
    error: str | None = None
    findings: int = 0
    input_price: float | None = None  # dollars per input token, for the token map's per-section money
    sections: list[SectionTokens] = field(default_factory=list)  # the token map (promptopt/tokenmap.py)

    def section_monthly(self, tokens: int) -> float | None:
        """Input dollars per month for `tokens` of this prompt (no caching discount: a section's share of
        the bill, not what removing it would save when the prefix is cached)."""
        if self.input_price is None or self.requests_per_month is None:
            return None
        return tokens * self.input_price * self.requests_per_month
    caching: CachingOutcome = field(default_factory=CachingOutcome)

    @property
    def monthly_cost(self) -> float | None:
        if self.cost_per_request is None or self.requests_per_month is None:
            return None
        return self.cost_per_request * self.requests_per_month

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens - self.tokens_after_fixes)

    @property
    def saving_per_request(self) -> float | None:
        if self.cost_per_request is None or self.cost_per_request_after_fixes is None:
            return None
        return max(0.0, self.cost_per_request - self.cost_per_request_after_fixes)

    @property
    def monthly_saving(self) -> float | None:
        saving = self.saving_per_request
        if saving is None or self.requests_per_month is None:
            return None
        return saving * self.requests_per_month


@dataclass
class CostReport:
    prompts: list[PromptCost] = field(default_factory=list)
    price_source: str = ""

    @property
    def errors(self) -> list[PromptCost]:
        return [p for p in self.prompts if p.error]

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.prompts)

    @property
    def tokens_saved(self) -> int:
        return sum(p.tokens_saved for p in self.prompts)

    @property
    def monthly_cost(self) -> float:
        """Sum over the prompts whose monthly cost is known (see `unpriced`)."""
        return sum(p.monthly_cost for p in self.prompts if p.monthly_cost is not None)

    @property
    def monthly_saving(self) -> float:
        return sum(p.monthly_saving for p in self.prompts if p.monthly_saving is not None)

    @property
    def unpriced(self) -> list[PromptCost]:
        """Prompts left out of the monthly totals: unknown price or no volume configured."""
        return [p for p in self.prompts if not p.error and p.monthly_cost is None]


def price_prompt(
    path: str,
    measure: Measure,
    measure_after: Measure | None,
    usage: PromptUsage,
    prices: PriceTable,
) -> PromptCost:
    price = prices.lookup(usage.model)
    after = measure_after or measure
    return PromptCost(
        path=path,
        model=usage.model,
        encoding=choose_encoding(usage.model).label,
        tokens=measure.tokens,
        cached_tokens=cached_tokens(measure, price, usage.caching) if price else 0,
        output_tokens=usage.output_tokens,
        requests_per_month=usage.requests_per_month,
        cost_per_request=request_cost(measure, price, usage),
        tokens_after_fixes=after.tokens,
        cost_per_request_after_fixes=request_cost(after, price, usage),
        price_key=price.key if price else "",
        unknown=unknown_reason(price, usage),
        input_price=price.input_per_token if price else None,
        caching=caching_outcome(measure, price, usage.caching),
    )


def relative_to(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
