"""Per-token prices for the dry run and the saving, from the project's price table (promptopt.cost)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float | None


def price_for(model: str) -> Price | None:
    """None when the price is unknown (missing, or 0 in the map): never treat that as free."""
    if model.startswith("local/") or model == "echo":
        return Price(0.0, 0.0)  # runs in-process (the local model, promptfoo's echo): really free
    from promptopt.cost.prices import PricingError, load_price_table

    model = model.replace("/responses/", "/").replace("/converse/", "/")  # litellm routes, not model names
    try:
        found = load_price_table().lookup(model)
    except PricingError:
        return None
    return Price(found.input_per_token, found.output_per_token) if found else None
