"""Cost projection's promises, on litellm's real price map: dollars = tokens x price (+ cached prefix at
the cached rate + output), the cache only counts from the provider's minimum, unknown stays unknown
(never $0), and the saving is what the fixes remove."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.cost.prices import ModelPrice, load_price_table
from promptopt.cost.projection import (
    DEFAULT_CACHE_MIN_TOKENS,
    Measure,
    PromptCost,
    cache_read_rate,
    cached_tokens,
    measure_documents,
    price_prompt,
    request_cost,
    static_prefix,
)
from promptopt.cost.usage import PromptUsage
from promptopt.loaders import load_source
from promptopt.tokens import TokenCounter


@pytest.fixture(scope="module")
def prices():
    return load_price_table()


@pytest.fixture(scope="module")
def price_json() -> dict:
    import importlib.util

    folder = Path(list(importlib.util.find_spec("litellm").submodule_search_locations)[0])
    return json.loads((folder / "model_prices_and_context_window_backup.json").read_text(encoding="utf-8"))


def other_provider(input_cost: float = 1e-6) -> ModelPrice:
    """A provider with no cache price in the map and no default discount (not OpenAI, not Anthropic)."""
    return ModelPrice("acme-llm", "acme-llm", "acme", input_cost, 2e-6, None, None, "test")


def test_the_cache_counts_from_the_minimum_prefix_inclusive(prices):
    price = prices.lookup("gpt-4o")
    minimum = price.cache_min_tokens or DEFAULT_CACHE_MIN_TOKENS
    assert cached_tokens(Measure(5000, minimum), price, caching=True) == minimum  # reaching it is enough
    assert cached_tokens(Measure(5000, minimum - 1), price, caching=True) == 0
    assert cached_tokens(Measure(5000, minimum), price, caching=False) == 0


def test_cached_rate_is_the_maps_else_the_providers_default_else_no_discount(prices, price_json):
    gpt = prices.lookup("gpt-4o")
    assert cache_read_rate(gpt) == price_json["gpt-4o"]["cache_read_input_token_cost"]
    openai_without = replace(gpt, cache_read_per_token=None)
    assert cache_read_rate(openai_without) == pytest.approx(gpt.input_per_token * 0.5)
    claude = replace(prices.lookup("claude-sonnet-4-5"), cache_read_per_token=None)
    assert cache_read_rate(claude) == pytest.approx(claude.input_per_token * 0.1)
    assert cache_read_rate(other_provider(3e-6)) == 3e-6  # no discount where none is known


def test_request_cost_is_input_cached_and_output(prices):
    price = prices.lookup("gpt-4o")
    usage = PromptUsage("gpt-4o", 1000, output_tokens=200, caching=True)
    minimum = price.cache_min_tokens or DEFAULT_CACHE_MIN_TOKENS
    measure = Measure(minimum + 300, minimum)
    expected = 300 * price.input_per_token + minimum * cache_read_rate(price) + 200 * price.output_per_token
    assert request_cost(measure, price, usage) == pytest.approx(expected)
    no_output_price = replace(price, output_per_token=None)
    assert request_cost(measure, no_output_price, usage) is None
    assert request_cost(measure, no_output_price, replace(usage, output_tokens=0)) == pytest.approx(
        300 * price.input_per_token + minimum * cache_read_rate(price)
    )
    assert request_cost(measure, None, usage) is None


def test_price_prompt_reports_what_it_priced(prices):
    usage = PromptUsage("gpt-4o-mini", 3000, output_tokens=150, caching=False)
    cost = price_prompt("p.md", Measure(800, 100), Measure(700, 100), usage, prices)
    price = prices.lookup("gpt-4o-mini")
    assert (cost.path, cost.model, cost.encoding, cost.price_key) == ("p.md", "gpt-4o-mini", "o200k_base", price.key)
    assert (cost.tokens, cost.cached_tokens, cost.output_tokens, cost.tokens_after_fixes) == (800, 0, 150, 700)
    assert cost.tokens_saved == 100 and cost.unknown == ""
    per_request = 800 * price.input_per_token + 150 * price.output_per_token
    assert cost.cost_per_request == pytest.approx(per_request)
    assert cost.monthly_cost == pytest.approx(per_request * 3000)
    assert cost.saving_per_request == pytest.approx(100 * price.input_per_token)
    assert cost.monthly_saving == pytest.approx(100 * price.input_per_token * 3000)
    # no fixes: nothing saved, not a token more
    same = price_prompt("p.md", Measure(800, 100), None, usage, prices)
    assert (same.tokens_saved, same.saving_per_request, same.monthly_saving) == (0, 0.0, 0.0)


def test_an_unknown_price_is_unknown_not_free(prices):
    usage = PromptUsage("no-such-model-xyz", 1000, output_tokens=0, caching=True)
    cost = price_prompt("p.md", Measure(5000, 5000), Measure(4000, 4000), usage, prices)
    assert cost.price_key == "" and cost.cached_tokens == 0
    assert cost.cost_per_request is None and cost.monthly_cost is None and cost.monthly_saving is None
    assert cost.unknown == "no price known for model 'no-such-model-xyz'"
    # a saving needs both prices: one unknown side makes it unknown
    assert PromptCost("p", "m", "e", cost_per_request=1.0, cost_per_request_after_fixes=None).saving_per_request is None
    assert PromptCost("p", "m", "e", cost_per_request=None, cost_per_request_after_fixes=1.0).saving_per_request is None
    no_volume = PromptCost("p", "m", "e", cost_per_request=1.0, cost_per_request_after_fixes=0.5)
    assert no_volume.monthly_cost is None and no_volume.monthly_saving is None


def test_measure_counts_every_document_and_the_prefix_before_the_first_variable():
    counter = TokenCounter("gpt-4o")
    text = "You are a helpful support agent for Acme.\nAnswer briefly.\n\nQuestion: {{question}}\nThanks.\n"
    (doc,) = load_source(Path("p.md"), text)
    assert static_prefix(doc) == text[: text.index("{{question}}")]
    measure = measure_documents([doc, doc], counter)
    assert measure == Measure(2 * counter.count(text), 2 * counter.count(static_prefix(doc)))
    given = measure_documents([doc], counter, tokens=7)
    assert given.tokens == 7 and given.static_prefix_tokens == 7  # the prefix never exceeds the total
    (plain,) = load_source(Path("q.md"), "No variables at all here.\n")
    assert static_prefix(plain) == plain.text


def test_cost_json_shows_the_entry_encoding_and_cached_tokens(tmp_path, monkeypatch, prices, o200k):
    """Through the CLI: a prompt whose static prefix reaches the cache minimum is billed partly cached."""
    price = prices.lookup("gpt-4o")
    minimum = price.cache_min_tokens or DEFAULT_CACHE_MIN_TOKENS
    count = lambda text: len(o200k.encode(text))  # noqa: E731 (tiktoken itself, not promptopt's counter)
    line = "Answer questions about orders, returns, delivery times and invoices for the shop.\n"
    body = line * math.ceil((minimum + 50) / count(line)) + "Customer: {{message}}\n"
    (tmp_path / "long.md").write_text(body, encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text(
        'model = "gpt-4o"\n[usage]\nrequests-per-month = 1000\noutput-tokens = 0\ncaching = true\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["cost", "long.md", "--format", "json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["prompts"]
    prefix = count(body[: body.index("{{message}}")])
    assert prefix >= minimum
    assert (entry["encoding"], entry["price_entry"], entry["cached_tokens_per_request"]) == ("o200k_base", "gpt-4o",
                                                                                             prefix)
    tokens = count(body)
    assert entry["cost_per_request"] == pytest.approx((tokens - prefix) * price.input_per_token
                                                      + prefix * cache_read_rate(price))
