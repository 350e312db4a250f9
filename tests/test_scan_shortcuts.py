"""The document model's shortcuts answer as the full tests they stand in front of: `_breaks`' first-
character check as every block pattern, `_section_role`'s padded needles as the phrase test, on the
corpus's lines and on generated lines (indents of any white space, digits of other scripts, markers)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from promptopt import document as d

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "prompts"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"


def every_pattern(line: str) -> bool:
    return bool(d._FENCE.match(line) or d._ITEM.match(line) or d._ATX.match(line) or d._QUOTE.match(line)
                or d._CLOSE_TAG.match(line) or d._OPEN_TAG.match(line) or d._BRACKET_OPEN.match(line)
                or d._RULE.match(line) or d._title_of(line) is not None)


def generated_lines(count: int = 20000) -> list[str]:
    rng = random.Random(11)
    indents = ["", " ", "  ", "    ", "\t", "\u00a0", "\u3000", " \x0c", "\u2003 "]
    heads = ["- ", "* ", "+ ", "• ", "1. ", "12) ", "\u0663. ", "\uff11. ", "# ", "### ", "> ", "<tag>", "</tag>",
             "[SECTION]", "[END SECTION]", "---", "***", "___", "===", "```", "~~~", "**Bold**", "TITLE", "Title",
             "word", "\u00c9TAPE", "_x", "=x", "`x`", "<", "[", "7", "\u0663"]
    tails = ["", " text", ":", " two words", " ---", "**", "  ", "\u00a0x"]
    return [rng.choice(indents) + rng.choice(heads) + rng.choice(tails) for _ in range(count)]


def sample_lines() -> list[str]:
    folders = [f for f in (CORPUS, FIXTURES) if f.is_dir()]
    lines = [line for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()
             for line in p.read_text(encoding="utf-8", errors="replace").split("\n")]
    return lines + generated_lines()


def test_a_line_breaks_a_paragraph_exactly_when_a_block_pattern_matches():
    lines = sample_lines()
    assert len(lines) > 20000
    differ = [line for line in lines if d._breaks(line) != every_pattern(line)]
    assert differ == []


@pytest.mark.parametrize("title", ["Examples", "EXAMPLE OUTPUT", "Output format", "Rules", "Change log",
                                   "Author's notes", "User's query", "Input variables", "Guardrails", "Intro",
                                   "Few-shot samples", "Release notes", "Do's and Don'ts", "about the product"])
def test_a_title_gets_the_role_the_phrase_test_gives(title):
    words = "".join(c if c.isalnum() else " " for c in title.lower().replace("'", "").replace("’", ""))
    padded = f" {' '.join(words.split())} "
    expected = next((role for role, phrases in d._SECTION_ROLES
                     if any(f" {p.rstrip('+')} " in padded or (p[-1] == "+" and f" {p[:-1]}s " in padded)
                            for p in phrases)), None)
    assert d._section_role(title) == expected
