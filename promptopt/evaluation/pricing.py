"""Per-token prices for the dry run and the saving: the project's price table, else a tiny reader."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float | None


def price_for(model: str) -> Price | None:
    """None when the price is unknown (missing, or 0 in the map): never treat that as free."""
    if model.startswith("local/"):
        return Price(0.0, 0.0)  # runs in-process: really free
    try:
        from promptopt.cost.prices import PricingError, load_price_table
    except ImportError:
        return _bundled_price(model)
    try:
        found = load_price_table().lookup(model)
    except PricingError:
        return None
    return Price(found.input_per_token, found.output_per_token) if found else None


def _bundled_price(model: str) -> Price | None:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model_prices_and_context_window_backup.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    entry = entries.get(model) or entries.get(model.split("/", 1)[-1])
    if not isinstance(entry, dict) or not entry.get("input_cost_per_token"):
        return None
    return Price(float(entry["input_cost_per_token"]), float(entry.get("output_cost_per_token") or 0) or None)
