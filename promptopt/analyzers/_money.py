"""What a stretch of a prompt costs and what each lever would save, for messages of waste findings.

Loaded only when a finding needs it: the price map is read through `promptopt.cost` (cached per map
file), never litellm itself. Volume comes from `[tool.promptopt.usage]` (docs/cost.md); without it the
figures are per 1,000 requests."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import PromptDocument, Span


@dataclass(frozen=True)
class Pricing:
    input_per_token: float
    cached_per_token: float
    cache_min_tokens: int
    requests_per_month: float | None

    def cost(self, tokens: int) -> str:
        """'$0.41 per 1k requests' or '$12.30/month at 30,000 requests'."""
        if self.requests_per_month:
            return (f"${tokens * self.input_per_token * self.requests_per_month:,.2f}/month at "
                    f"{self.requests_per_month:,.0f} requests")
        return f"${tokens * self.input_per_token * 1000:,.2f} per 1k requests"

    def cached_saving(self, tokens: int) -> str:
        saved = tokens * (self.input_per_token - self.cached_per_token)
        if self.requests_per_month:
            return f"${saved * self.requests_per_month:,.2f}/month"
        return f"${saved * 1000:,.2f} per 1k requests"


def pricing(ctx, doc: PromptDocument) -> Pricing | None:
    """The configured model's prices and volume, or None when the price is unknown or the config bad."""
    from ..cost.prices import PricingError, load_price_table
    from ..cost.projection import DEFAULT_CACHE_MIN_TOKENS, cache_read_rate
    from ..cost.usage import UsageConfigError, parse_pricing, parse_usage

    try:
        usage = parse_usage(ctx.config.raw.get("usage"))
        settings = parse_pricing(ctx.config.raw.get("pricing"), ctx.config.root)
        relative = str(doc.path)
        volume = usage.for_path(relative, ctx.config.model)
        price = load_price_table(settings.file, settings.models).lookup(volume.model)
    except (PricingError, UsageConfigError, OSError, ValueError):
        return None
    if price is None:
        return None
    return Pricing(price.input_per_token, cache_read_rate(price), price.cache_min_tokens or DEFAULT_CACHE_MIN_TOKENS,
                   volume.requests_per_month)


def levers(ctx, doc: PromptDocument, span: Span, tokens: int, keep_one: int | None = None) -> str:
    """The levers on a stretch of material, each with its own figure."""
    money = pricing(ctx, doc)
    parts = []
    if keep_one is not None:
        parts.append(f"keep one sample (saves {keep_one:,} tokens per request; unsafe fix, confirm with `eval`)")
    parts.append(f"retrieve it when a request needs it (up to {tokens:,} tokens per request)")
    from ..cost.projection import static_prefix  # the cost command's prefix, the same rule

    prefix_end = len(static_prefix(doc))
    if money is not None and span.end <= prefix_end:
        prefix_tokens = ctx.counter.count(doc.text[:prefix_end])
        if prefix_tokens >= money.cache_min_tokens:
            parts.append(f"prompt caching: it is in the static prefix ({prefix_tokens:,} tokens before any variable, "
                         f"above the provider's {money.cache_min_tokens:,}-token minimum), which saves "
                         f"{money.cached_saving(tokens)}")
    cost = f" ({money.cost(tokens)})" if money is not None else ""
    return f"sent with every request{cost}; levers: " + "; ".join(parts)
