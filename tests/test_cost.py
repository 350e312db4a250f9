"""`promptopt cost`: its figures must equal tiktoken's count x litellm's price x the configured volume,
computed here without promptopt (tiktoken and the price JSON read directly)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

LITELLM = importlib.util.find_spec("litellm")
pytestmark = pytest.mark.skipif(LITELLM is None, reason="litellm (price map and BPE files) is not installed")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "prompts"


def litellm_dir() -> Path:
    return Path(list(LITELLM.submodule_search_locations)[0])


@pytest.fixture(scope="module")
def o200k():
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(litellm_dir() / "litellm_core_utils" / "tokenizers"))
    import tiktoken

    return tiktoken.get_encoding("o200k_base")


@pytest.fixture(scope="module")
def price_map() -> dict:
    return json.loads(
        (litellm_dir() / "model_prices_and_context_window_backup.json").read_text(encoding="utf-8")
    )


def run(folder: Path, *args: str, monkeypatch) -> tuple[int, str]:
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


SUPPORT = (
    "You are the support assistant for Acme, a company that sells garden tools online.\n"
    "Answer questions about orders, returns and delivery times.\n"
    "Refunds are possible within 30 days of delivery.\n\n"
    "Customer message: {{ message }}\n"
)
SUMMARY = "Summarise the following text in three bullet points.\n\nText: {text}\n"


def write_project(folder: Path, usage: str) -> None:
    (folder / "prompts" / "support").mkdir(parents=True)
    (folder / "prompts" / "support" / "reply.md").write_text(SUPPORT, encoding="utf-8")
    (folder / "prompts" / "summary.txt").write_text(SUMMARY, encoding="utf-8")
    (folder / "pyproject.toml").write_text(usage, encoding="utf-8")


USAGE = """
[tool.promptopt]
model = "gpt-4o"

[tool.promptopt.usage]
requests-per-month = 12000
output-tokens = 200

[[tool.promptopt.usage.prompts]]
glob = "prompts/support/**/*.md"
requests-per-day = 5000
output-tokens = 350
model = "gpt-4o-mini"
"""


def test_cost_is_tokens_times_price_times_volume(tmp_path, monkeypatch, o200k, price_map):
    write_project(tmp_path, USAGE)
    code, out = run(tmp_path, "cost", "prompts", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0, out
    report = json.loads(out)
    rows = {p["path"]: p for p in report["prompts"]}
    expected = {
        "prompts/support/reply.md": (SUPPORT, "gpt-4o-mini", 350, 5000 * 30),
        "prompts/summary.txt": (SUMMARY, "gpt-4o", 200, 12000),
    }
    assert set(rows) == set(expected)
    total = 0.0
    for path, (text, model, output_tokens, monthly_requests) in expected.items():
        prices = price_map[model]
        tokens = len(o200k.encode(text))
        per_request = (
            tokens * prices["input_cost_per_token"] + output_tokens * prices["output_cost_per_token"]
        )
        row = rows[path]
        assert row["model"] == model
        assert row["tokens_per_request"] == tokens
        assert row["requests_per_month"] == monthly_requests
        assert row["cost_per_request"] == pytest.approx(per_request, rel=1e-12)
        assert row["monthly_cost"] == pytest.approx(per_request * monthly_requests, rel=1e-12)
        total += per_request * monthly_requests
    assert report["totals"]["monthly_cost"] == pytest.approx(total, rel=1e-12)
    assert report["totals"]["tokens_per_request"] == len(o200k.encode(SUPPORT)) + len(o200k.encode(SUMMARY))


def test_text_and_markdown_show_the_same_monthly_total(tmp_path, monkeypatch):
    write_project(tmp_path, USAGE)
    _, as_json = run(tmp_path, "cost", "prompts", "--format", "json", monkeypatch=monkeypatch)
    total = json.loads(as_json)["totals"]["monthly_cost"]
    _, text = run(tmp_path, "cost", "prompts", monkeypatch=monkeypatch)
    _, markdown = run(tmp_path, "cost", "prompts", "--format", "markdown", monkeypatch=monkeypatch)
    shown = f"${total:,.2f}" if total < 100 else f"${total:,.0f}"
    assert shown in text.splitlines()[-2]  # the total row, above the note on prices
    assert f"**{shown}**" in markdown
    assert "| `prompts/summary.txt` | gpt-4o |" in markdown


def test_unknown_model_is_unknown_not_free(tmp_path, monkeypatch):
    write_project(tmp_path, USAGE.replace('model = "gpt-4o-mini"', 'model = "acme-secret-model-9"'))
    code, out = run(tmp_path, "cost", "prompts", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0
    row = next(p for p in json.loads(out)["prompts"] if p["path"].endswith("reply.md"))
    assert row["cost_per_request"] is None and row["monthly_cost"] is None
    assert "acme-secret-model-9" in row["unknown"]
    report = json.loads(out)
    assert report["totals"]["prompts_without_monthly_cost"] == ["prompts/support/reply.md"]
    _, text = run(tmp_path, "cost", "prompts", monkeypatch=monkeypatch)
    reply_line = next(line for line in text.splitlines() if "reply.md" in line)
    assert "unknown" in reply_line and "$0 " not in reply_line + " "


def test_no_volume_gives_per_request_cost_and_no_monthly_figure(tmp_path, monkeypatch, o200k, price_map):
    (tmp_path / "p.txt").write_text(SUMMARY, encoding="utf-8")
    code, out = run(tmp_path, "cost", "p.txt", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0
    row = json.loads(out)["prompts"][0]
    assert row["requests_per_month"] is None and row["monthly_cost"] is None
    assert row["cost_per_request"] == pytest.approx(
        len(o200k.encode(SUMMARY)) * price_map["gpt-4o"]["input_cost_per_token"]
    )
    _, overridden = run(
        tmp_path, "cost", "p.txt", "--format", "json", "--requests-per-day", "10", monkeypatch=monkeypatch
    )
    assert json.loads(overridden)["prompts"][0]["requests_per_month"] == 300


def long_static_prefix(o200k, minimum: int) -> str:
    line = "Rule {n}: keep the answer about the customer's own order number {n} and nothing else.\n"
    text, n = "", 0
    while len(o200k.encode(text)) < minimum + 50:
        n += 1
        text += line.format(n=n)
    return text


def test_caching_prices_the_static_prefix_at_the_cached_rate(tmp_path, monkeypatch, o200k, price_map):
    prefix = long_static_prefix(o200k, 1024)
    text = prefix + "Question: {{ question }}\nAnswer in one line."
    (tmp_path / "cached.md").write_text(text, encoding="utf-8")
    (tmp_path / "short.md").write_text("Answer: {{ question }} " + prefix, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.promptopt.usage]\nrequests-per-month = 1000\ncaching = true\n", encoding="utf-8"
    )
    code, out = run(tmp_path, "cost", ".", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0, out
    rows = {p["path"]: p for p in json.loads(out)["prompts"]}
    gpt4o = price_map["gpt-4o"]
    static = prefix + "Question: "  # everything before the first placeholder
    cached, total = len(o200k.encode(static)), len(o200k.encode(text))
    assert rows["cached.md"]["cached_tokens_per_request"] == cached
    expected = (total - cached) * gpt4o["input_cost_per_token"] + cached * gpt4o[
        "cache_read_input_token_cost"
    ]
    assert rows["cached.md"]["cost_per_request"] == pytest.approx(expected, rel=1e-12)
    # a variable first: nothing static to cache, full price
    assert rows["short.md"]["cached_tokens_per_request"] == 0
    short_tokens = rows["short.md"]["tokens_per_request"]
    assert rows["short.md"]["cost_per_request"] == pytest.approx(short_tokens * gpt4o["input_cost_per_token"])


def test_caching_defaults_anthropic_to_a_tenth_and_respects_the_minimum(tmp_path, monkeypatch, o200k):
    prefix = long_static_prefix(o200k, 1024)
    (tmp_path / "long.md").write_text(prefix + "{{ q }}", encoding="utf-8")
    (tmp_path / "small.md").write_text("Answer briefly and politely.\n{{ q }}", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.promptopt]\nmodel = "house-claude"\n'
        "[tool.promptopt.usage]\nrequests-per-month = 1\ncaching = true\n"
        '[tool.promptopt.pricing.models."house-claude"]\ninput-per-million = 3.0\nprovider = "anthropic"\n',
        encoding="utf-8",
    )
    code, out = run(tmp_path, "cost", ".", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0, out
    rows = {p["path"]: p for p in json.loads(out)["prompts"]}
    long = rows["long.md"]
    cached = len(o200k.encode(prefix))
    assert long["cached_tokens_per_request"] == cached
    expected = (long["tokens_per_request"] - cached) * 3e-6 + cached * 3e-6 * 0.1
    assert long["cost_per_request"] == pytest.approx(expected, rel=1e-9)
    assert rows["small.md"]["cached_tokens_per_request"] == 0  # under 1,024 tokens: no cache


def test_saving_equals_what_audit_fix_removes(tmp_path, monkeypatch, o200k):
    wordy = (
        "Please note that you should answer in English.\n"
        "In order to help the user, it is important to note that you must cite the order number.\n"
        "Due to the fact that answers are read on phones, keep them short.\n"
    )
    (tmp_path / "wordy.txt").write_text(wordy, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.promptopt]\nextend-select = ["PO4"]\nmin-tokens = 0\n[tool.promptopt.usage]\nrequests-per-day = 1000\n',
        encoding="utf-8"
    )
    code, out = run(tmp_path, "cost", "wordy.txt", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0
    row = json.loads(out)["prompts"][0]
    fixed_copy = tmp_path / "copy"
    fixed_copy.mkdir()
    shutil.copy(tmp_path / "wordy.txt", fixed_copy / "wordy.txt")
    shutil.copy(tmp_path / "pyproject.toml", fixed_copy / "pyproject.toml")
    run(fixed_copy, "audit", "--fix", "wordy.txt", monkeypatch=monkeypatch)
    after = (fixed_copy / "wordy.txt").read_text(encoding="utf-8")
    assert after != wordy, "the safe fixes of this build changed nothing: the test prompt needs updating"
    saved = len(o200k.encode(wordy)) - len(o200k.encode(after))
    assert saved > 0
    assert row["tokens_saved_by_safe_fixes"] == saved
    assert row["monthly_saving"] == pytest.approx(saved * 2.5e-6 * 30000, rel=0.2)  # gpt-4o input price


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[tool.promptopt.usage]\nrequests-per-dya = 3\n", "requests-per-dya"),
        ('[tool.promptopt.pricing]\nfile = "nowhere.json"\n', "nowhere.json"),
    ],
)
def test_bad_usage_or_pricing_config_exits_2(tmp_path, monkeypatch, config, message):
    write_project(tmp_path, config)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["cost", "prompts"])
    assert result.exit_code == 2
    assert message in result.output


def test_unreadable_file_exits_2(tmp_path, monkeypatch):
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00binary\x00")
    code, out = run(tmp_path, "cost", "bad.txt", monkeypatch=monkeypatch)
    assert code == 2


def test_fixture_prompts_cost_their_tiktoken_count(monkeypatch, o200k, price_map, tmp_path):
    files = sorted(p for p in FIXTURES.rglob("*") if p.suffix in {".md", ".txt"}) if FIXTURES.is_dir() else []
    if not files:
        pytest.skip(f"no .md/.txt prompt fixtures in {FIXTURES}")
    # copies, so that fixtures/promptopt.toml (the demo's volumes and output tokens) does not apply
    copies = []
    for file in files:
        copies.append(tmp_path / file.name)
        copies[-1].write_bytes(file.read_bytes())
    code, out = run(
        tmp_path,
        "cost",
        *[str(f) for f in copies],
        "--format",
        "json",
        "--requests-per-month",
        "1000",
        "--model",
        "gpt-4o",
        monkeypatch=monkeypatch,
    )
    assert code == 0, out
    input_price = price_map["gpt-4o"]["input_cost_per_token"]
    for row, file in zip(json.loads(out)["prompts"], files, strict=True):
        tokens = len(o200k.encode(file.read_text(encoding="utf-8")))
        assert row["tokens_per_request"] == tokens, file
        assert row["monthly_cost"] == pytest.approx(tokens * input_price * 1000, rel=1e-12)


def test_cost_names_files_as_audit_does_from_the_current_folder(tmp_path, monkeypatch):
    """Run from above the config's folder, `cost` and `audit` show each file under one name (relative
    to the current folder), and the usage globs still match from the config's folder."""
    write_project(tmp_path / "app", USAGE)
    code, out = run(tmp_path, "cost", "app/prompts", "--format", "json", monkeypatch=monkeypatch)
    assert code == 0, out
    rows = {p["path"]: p for p in json.loads(out)["prompts"]}
    _, audited = run(tmp_path, "audit", "app/prompts", "--format", "json", "--exit-zero", monkeypatch=monkeypatch)
    assert set(rows) == {f["path"] for f in json.loads(audited)["files"]}
    assert set(rows) == {"app/prompts/support/reply.md", "app/prompts/summary.txt"}
    assert rows["app/prompts/support/reply.md"]["model"] == "gpt-4o-mini"  # the glob still applies
    _, text = run(tmp_path, "cost", "app/prompts", monkeypatch=monkeypatch)
    assert "app/prompts/support/reply.md" in text


def test_caching_says_what_it_did_and_why_a_short_prompt_is_not_cached(tmp_path, monkeypatch, o200k, price_map):
    prefix = long_static_prefix(o200k, 1024)
    (tmp_path / "long.md").write_text(prefix + "Question: {{ question }}", encoding="utf-8")
    short = "Answer briefly and politely.\n"
    (tmp_path / "short.md").write_text(short + "Question: {{ question }}", encoding="utf-8")
    (tmp_path / "first.md").write_text("{{ question }}\n" + prefix, encoding="utf-8")
    config = '[tool.promptopt]\nmodel = "gpt-4o"\n[tool.promptopt.usage]\nrequests-per-month = 1000\n'
    (tmp_path / "pyproject.toml").write_text(config + "caching = true\n", encoding="utf-8")
    code, out = run(tmp_path, "cost", ".", monkeypatch=monkeypatch)
    assert code == 0, out
    notes = [line for line in out.splitlines() if line.startswith("note: caching")]
    cached = len(o200k.encode(prefix + "Question: "))
    total = len(o200k.encode(prefix + "Question: {{ question }}"))
    gpt4o = price_map["gpt-4o"]
    rates = (gpt4o["cache_read_input_token_cost"] * 1e6, gpt4o["input_cost_per_token"] * 1e6)
    assert notes == [
        f"note: caching: long.md: {cached:,} of {total:,} tokens (the static prefix) at the cached rate, "
        f"${rates[0]:g} instead of ${rates[1]:g} per 1M input tokens",
        f"note: caching: nothing cached in short.md (static prefix {len(o200k.encode(short + 'Question: '))} "
        "tokens): under gpt-4o's caching minimum of 1,024 tokens (the static prefix is the text before the "
        "first variable)",
        "note: caching: nothing cached in first.md: the prompt starts with a template variable, so no prefix is "
        "the same on every request (rule PO502)",
    ], out
    _, as_json = run(tmp_path, "cost", ".", "--format", "json", monkeypatch=monkeypatch)
    rows = {p["path"]: p["caching"] for p in json.loads(as_json)["prompts"]}
    assert [rows[name]["status"] for name in ("long.md", "short.md", "first.md")] == [
        "cached", "under-minimum", "no-prefix"]
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")  # caching off: nothing to say
    _, off = run(tmp_path, "cost", ".", monkeypatch=monkeypatch)
    assert "caching" not in off
