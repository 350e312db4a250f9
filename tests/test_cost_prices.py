"""Prices come from litellm's own map file; unknown or $0 prices stay unknown."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from promptopt.cost.prices import PriceOverride, PricingError, bundled_price_file, load_price_table
from promptopt.cost.usage import UsageConfigError, glob_matches, parse_pricing, parse_usage

pytestmark = pytest.mark.skipif(
    bundled_price_file() is None, reason="litellm (its price map) is not installed"
)


def raw_map() -> dict:
    return json.loads(bundled_price_file().read_text(encoding="utf-8"))


def test_known_model_has_the_map_prices():
    entry = raw_map()["gpt-4o-mini"]
    price = load_price_table().lookup("gpt-4o-mini")
    assert price is not None
    assert price.input_per_token == entry["input_cost_per_token"]
    assert price.output_per_token == entry["output_cost_per_token"]
    assert price.cache_read_per_token == entry.get("cache_read_input_token_cost")
    assert price.family == "openai"


def test_provider_prefix_is_accepted_only_for_the_same_provider():
    table = load_price_table()
    assert table.lookup("openai/gpt-4o-mini").key == "gpt-4o-mini"
    # a prefix naming another provider must not borrow OpenAI's price
    assert table.lookup("madeupprovider/gpt-4o-mini") is None


def test_missing_and_zero_prices_are_unknown_not_free():
    data = raw_map()
    zero = next(k for k, v in data.items() if v.get("input_cost_per_token") == 0 and k != "sample_spec")
    table = load_price_table()
    assert table.lookup(zero) is None
    assert table.lookup("no-such-model-anywhere") is None


def test_a_price_file_in_litellm_format_replaces_the_map(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"acme-1": {"input_cost_per_token": 2e-6, "output_cost_per_token": 0}}))
    table = load_price_table(prices)
    price = table.lookup("acme-1")
    assert price.input_per_token == 2e-6
    assert price.output_per_token is None  # 0 is unknown
    assert table.lookup("gpt-4o") is None
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(PricingError):
        load_price_table(broken)
    with pytest.raises(PricingError):
        load_price_table(tmp_path / "missing.json")


def test_config_override_wins_over_the_map():
    table = load_price_table(overrides={"gpt-4o": PriceOverride(1.0, 2.0)})
    price = table.lookup("gpt-4o")
    assert price.input_per_token == pytest.approx(1e-6)
    assert price.output_per_token == pytest.approx(2e-6)
    assert price.source == "config"


def test_reading_prices_does_not_import_litellm():
    code = (
        "import sys; from promptopt.cost.prices import load_price_table;"
        "assert load_price_table().lookup('gpt-4o') is not None;"
        "print('litellm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_usage_table_resolves_first_matching_glob_over_defaults():
    usage = parse_usage(
        {
            "requests-per-day": 100,
            "output-tokens": 50,
            "prompts": [
                {
                    "glob": "support/**/*.md",
                    "requests-per-month": 9000,
                    "model": "gpt-4o-mini",
                    "caching": True,
                },
                {"glob": "*.md", "requests-per-day": 1},
            ],
        }
    )
    support = usage.for_path("support/deep/a.md", "gpt-4o")
    assert (support.model, support.requests_per_month, support.output_tokens, support.caching) == (
        "gpt-4o-mini",
        9000,
        50,
        True,
    )
    other = usage.for_path("notes/b.md", "gpt-4o")
    assert (other.model, other.requests_per_month, other.caching) == ("gpt-4o", 30, False)
    plain = usage.for_path("x.txt", "gpt-4o")
    assert plain.requests_per_month == 3000


@pytest.mark.parametrize(
    "table",
    [
        {"requests_per_dya": 3},
        {"requests-per-day": 3, "requests-per-month": 90},
        {"requests-per-day": -1},
        {"requests-per-day": True},
        {"prompts": [{"requests-per-day": 1}]},
        {"prompts": [{"glob": "*.md", "colour": "red"}]},
        {"caching": "yes"},
    ],
)
def test_malformed_usage_is_an_error(table):
    with pytest.raises(UsageConfigError):
        parse_usage(table)


def test_pricing_table_validation(tmp_path):
    with pytest.raises(UsageConfigError):
        parse_pricing({"models": {"m": {"input-per-million": 0}}})
    with pytest.raises(UsageConfigError):
        parse_pricing({"models": {"m": {"output-per-million": 3}}})
    with pytest.raises(UsageConfigError):
        parse_pricing({"file": "missing.json"}, tmp_path)
    (tmp_path / "p.json").write_text("{}")
    parsed = parse_pricing(
        {"file": "p.json", "models": {"m": {"input-per-million": 3, "cache-min-tokens": 2048}}}, tmp_path
    )
    assert parsed.file == tmp_path / "p.json"
    assert parsed.models["m"].cache_min_tokens == 2048


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.md", "a/b/c.md", True),
        ("prompts/*.md", "prompts/a.md", True),
        ("prompts/*.md", "prompts/x/a.md", False),
        ("prompts/**/*.md", "prompts/a.md", True),
        ("prompts/**/*.md", "prompts/x/y/a.md", True),
        ("prompts/**", "prompts/x/y/a.txt", True),
        ("other/*.md", "prompts/a.md", False),
    ],
)
def test_globs(pattern, path, expected):
    assert glob_matches(pattern, path) is expected


def test_input_price_cache_never_changes_the_answer(tmp_path, monkeypatch):
    from promptopt.cost.prices import input_price, load_price_table

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = load_price_table().lookup("gpt-4o").input_per_token
    assert input_price("gpt-4o") == expected  # cold: looked up and cached
    cached = list((tmp_path / "promptopt" / "prices").glob("*.json"))
    assert len(cached) == 1
    assert input_price("gpt-4o") == expected  # warm: from the cache
    cached[0].write_text("{broken")
    assert input_price("gpt-4o") == expected  # damaged: looked up again
    assert input_price("no-such-model-xyz") is None
