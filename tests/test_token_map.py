"""The token map: where each prompt's tokens go, by section, in the audit's text and JSON reports and in
the PR comment. Token counts are checked against tiktoken itself, money against tokens x litellm's
price x the configured volume."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.config import Config
from promptopt.engine import audit_paths
from promptopt.tokenmap import PREAMBLE, WHOLE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
PRODUCTS = "".join(
    f"- Item {n}: {name}, {kg} kg, {price} EUR, ships in {days} days\n"
    for n, (name, kg, price, days) in enumerate(
        [("garden rake", 1.4, 24.9, 2), ("hedge shears", 0.9, 31.5, 3), ("leaf blower", 4.2, 149.0, 5),
         ("watering can", 0.6, 12.0, 1), ("wheelbarrow", 14.5, 89.0, 7), ("pruning saw", 0.5, 19.9, 2)] * 12, 1)
)
# A support prompt whose bulk is a pasted catalogue: the map must say so.
BIG_PROMPT = (
    "# Acme Garden support\n"
    "You answer questions from Acme Garden customers.\n\n"
    "## Rules\n"
    "- Answer in the customer's language.\n"
    "- Quote prices from the catalogue only.\n"
    "### Tone\n"
    "Friendly and short.\n\n"
    "## Format\n"
    "```markdown\n"
    "# Answer\n"
    "one paragraph\n"
    "```\n\n"
    "## Catalogue\n"
    f"{PRODUCTS}\n"
    "Customer: {{ question }}\n"
)
CONFIG = '[tool.promptopt]\nmodel = "gpt-4o"\n\n[tool.promptopt.usage]\nrequests-per-day = 1000\n'


def _audit(path: Path):
    return audit_paths([path], Config(model="gpt-4o")).files[0]


def _heading_lines(text: str, prefix: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(prefix)]


def test_a_markdown_prompt_is_mapped_by_its_headings(o200k):
    path = FIXTURES / "support_bot.md"
    text = path.read_text(encoding="utf-8")
    file = _audit(path)
    assert [s.line for s in file.sections] == _heading_lines(text, "# ")
    assert [s.section for s in file.sections] == [text.splitlines()[n - 1] for n in _heading_lines(text, "# ")]
    assert sum(s.tokens for s in file.sections) == file.tokens == len(o200k.encode(text))
    assert all(s.role is not None and s.document == "" for s in file.sections)


def test_the_level_that_repeats_is_the_cut_and_code_fences_hold_no_heading(tmp_path, o200k):
    path = tmp_path / "support.md"
    path.write_text(BIG_PROMPT, encoding="utf-8")
    file = _audit(path)
    # the lone "# Acme Garden support" title keeps its intro; "### Tone" stays inside "## Rules";
    # "# Answer" inside the fence is an example's text, not a section
    assert [s.section for s in file.sections] == ["# Acme Garden support", "## Rules", "## Format", "## Catalogue"]
    catalogue = file.sections[-1]
    assert catalogue.tokens == len(o200k.encode(BIG_PROMPT[BIG_PROMPT.index("## Catalogue"):]))
    assert catalogue.tokens > 0.8 * file.tokens
    assert (catalogue.line, catalogue.end_line) == (16, BIG_PROMPT.count("\n"))


def test_xml_blocks_are_sections_and_a_lone_tag_is_not(tmp_path):
    text = ("You are a code reviewer.\n<rules>\nFlag unused imports.\n</rules>\n<examples>\nimport os\n"
            "Finding: os is unused.\n</examples>\n<note>\nkeep it short\n")
    path = tmp_path / "review.md"
    path.write_text(text, encoding="utf-8")
    file = _audit(path)
    assert [(s.section, s.line) for s in file.sections] == [(PREAMBLE, 1), ("<rules>", 2), ("<examples>", 5)]


def test_a_file_of_several_prompts_maps_each_by_name():
    file = _audit(FIXTURES / "research_agent.yaml")
    names = [d.name for d in file.documents]
    assert len(names) >= 2
    assert [s.document for s in file.sections] == names
    assert sum(s.tokens for s in file.sections) == file.tokens


def test_a_prompt_without_headings_is_one_section(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("Summarise the ticket in one sentence.\n\nTicket: {{ ticket }}\n", encoding="utf-8")
    file = _audit(path)
    assert [(s.section, s.line, s.end_line, s.tokens) for s in file.sections] == [(WHOLE, 1, 3, file.tokens)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "support.md").write_text(BIG_PROMPT, encoding="utf-8")
    (tmp_path / "prompts" / "small.md").write_text((FIXTURES / "support_bot.md").read_text(encoding="utf-8"),
                                                   encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, ["audit", "--no-cache", "--exit-zero", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _input_price() -> float:
    from promptopt.cost.prices import input_price

    return input_price("gpt-4o")


def test_the_text_report_shows_the_costliest_sections_with_their_money(project, o200k):
    out = _cli("prompts", "--no-color")
    price, volume = _input_price(), 1000 * 30
    tokens = len(o200k.encode(BIG_PROMPT))
    catalogue = len(o200k.encode(BIG_PROMPT[BIG_PROMPT.index("## Catalogue"):]))
    block = out[out.index("prompts/support.md  "):]
    lines = block.splitlines()
    assert lines[0].startswith(f"prompts/support.md  {tokens:,} tokens per request (${tokens * price * volume:,.2f}"
                               f"/mo at 30,000 requests)")
    assert lines[1] == "  where the tokens go (3 largest of 4 sections):"
    first = lines[2].split()
    assert first[:3] == [f"{catalogue:,}", f"{catalogue / tokens:.0%}", f"${catalogue * price * volume:,.2f}/mo"]
    assert lines[2].endswith(f"## Catalogue (lines 16-{BIG_PROMPT.count(chr(10))}, reference)")
    assert lines[5].endswith("1 other section")
    # a prompt under 1,000 tokens is cheap enough whole: no map unless asked
    small = out[out.index("prompts/small.md  "):].splitlines()
    assert "where the tokens go" not in small[1]


def test_token_map_all_and_off(project):
    every = _cli("prompts/small.md", "--no-color", "--token-map", "all")
    assert "where the tokens go (all 4 sections):" in every
    assert "# Output format" in every
    assert "where the tokens go" not in _cli("prompts", "--no-color", "--token-map", "off")


def test_json_carries_the_whole_map_priced_at_the_configured_volume(project, o200k):
    report = json.loads(_cli("prompts/support.md", "--format", "json"))
    file = report["files"][0]
    token_map = file["token_map"]
    assert token_map["requests_per_month"] == 30000
    sections = token_map["sections"]
    assert [s["section"] for s in sections] == ["# Acme Garden support", "## Rules", "## Format", "## Catalogue"]
    assert sum(s["tokens"] for s in sections) == file["tokens"]
    assert sum(s["share"] for s in sections) == pytest.approx(1, abs=0.001)
    for s in sections:
        assert s["dollars_per_month"] == pytest.approx(s["tokens"] * _input_price() * 30000, rel=1e-4)
        assert s["role"] in ("instruction", "constraint", "output", "example", "reference", "quoted", "template",
                             "noise")
    assert sum(r["tokens"] for r in token_map["by_role"]) == file["tokens"]


def test_no_volume_configured_means_no_monthly_figure(tmp_path, monkeypatch):
    (tmp_path / "support.md").write_text(BIG_PROMPT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = json.loads(_cli("support.md", "--format", "json"))
    token_map = report["files"][0]["token_map"]
    assert token_map["requests_per_month"] is None
    assert all(s["dollars_per_month"] is None and s["dollars_per_1k_requests"] > 0 for s in token_map["sections"])
    text = _cli("support.md", "--no-color")
    assert "/1k req  ## Catalogue" in text and "/mo" not in text


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True, env={**os.environ, "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00",
                                             "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00"})


def test_the_pr_comment_says_where_the_head_sides_tokens_go(project, o200k):
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "first")
    grown = BIG_PROMPT.replace("## Format\n", "## Format\nAlways end with a question.\n")
    (project / "prompts" / "support.md").write_text(grown, encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", "--base", "HEAD", "--format", "markdown"])
    assert result.exit_code in (0, 1), result.output
    line = next(x for x in result.output.splitlines() if x.startswith("- where the tokens go: "))
    catalogue = len(o200k.encode(grown[grown.index("## Catalogue"):]))
    monthly = catalogue * _input_price() * 30000
    assert line.startswith(f"- where the tokens go: `## Catalogue` {catalogue:,} tokens "
                           f"({catalogue / len(o200k.encode(grown)):.0%}, ${monthly:,.0f}/month)")
    grew = len(o200k.encode("Always end with a question.\n"))
    assert "`## Format`" in line and f"+{grew} tokens)" in line
    assert line.endswith("%)") and "1 other section" in line


def test_a_cached_result_keeps_its_map(project, monkeypatch):
    monkeypatch.setenv("PROMPTOPT_CACHE_DIR", str(project / ".promptopt_cache"))
    first = json.loads(CliRunner().invoke(main, ["audit", "--exit-zero", "prompts", "--format", "json"]).output)
    again = json.loads(CliRunner().invoke(main, ["audit", "--exit-zero", "prompts", "--format", "json"]).output)
    assert any((project / ".promptopt_cache").rglob("*.json")), "the second run read the cache"
    assert [f["token_map"] for f in again["files"]] == [f["token_map"] for f in first["files"]]
    assert all(len(f["token_map"]["sections"]) == 4 for f in again["files"])


def test_template_comments_count_in_no_section(tmp_path):
    """The file's tokens leave `{# ... #}` out (the model never gets them): its sections must too, or the
    map stops adding up to the file and the 'other sections' line is wrong."""
    path = tmp_path / "triage.j2"
    path.write_text("# Task\n{# Maintainers: the label set changed in March; keep the old labels until the "
                    "dashboard migrates. #}\nClassify the ticket.\n\n# Input\nTicket: {{ ticket }}\n",
                    encoding="utf-8")
    file = _audit(path)
    assert len(file.sections) == 2 and sum(s.tokens for s in file.sections) == file.tokens
