"""The document model's shortcuts answer as the full tests they stand in front of: `_breaks`' first-
character check as every block pattern, `_section_role`'s runs of words as the padded phrase test, on the
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
    assert d._section_role(title) == phrase_role(title)


def phrase_role(title: str):
    words = "".join(c if c.isalnum() else " " for c in title.lower().replace("'", "").replace("’", ""))
    padded = f" {' '.join(words.split())} "
    return next((role for role, phrases in d._SECTION_ROLES
                 if any(f" {p.rstrip('+')} " in padded or (p[-1] == "+" and f" {p[:-1]}s " in padded)
                        for p in phrases)), None)


def test_every_heading_and_tag_of_the_corpus_gets_the_role_the_phrase_test_gives():
    titles = {raw.title for line in sample_lines() for raw in d.scan_blocks(line) if raw.kind in ("heading", "tag")}
    titles |= {"  must\u00a0not  ", "Notes for maintainers!", "the FAQ / glossary", "user’s query", "x"}
    assert len(titles) > 400 and sum(phrase_role(t) is not None for t in titles) > 50
    assert [t for t in titles if d._section_role(t) != phrase_role(t)] == []


# the first characters (after the indent) `scan_blocks` tries each block pattern on
OPENERS = {"_FENCE": "`~", "_ATX": "#", "_CLOSE_TAG": "<[", "_OPEN_TAG": "<", "_BRACKET_OPEN": "[", "_RULE": "-*_=",
           "_QUOTE": ">", "_TABLE": "|", "_ITEM": "-*+•0123456789"}


def test_scan_blocks_tries_a_pattern_on_every_line_it_can_match():
    lines = sample_lines()
    missed = []
    for line in lines:
        first = line.lstrip()[:1]
        for name, openers in OPENERS.items():
            opens = first in openers or (name == "_ITEM" and first.isdecimal())
            if getattr(d, name).match(line) and not opens:
                missed.append((name, line))
        if d._title_of(line) is not None and not (first in "#*" or "A" <= first <= "Z"):
            missed.append(("title", line))
    assert missed == []


def folded_texts() -> list[str]:
    """Corpus paragraphs, and words of the patterns in odd cases and scripts: `re.IGNORECASE` pairs
    "İ", "ı", "ſ" and the Kelvin sign with ASCII letters."""
    rng = random.Random(5)
    words = ["never", "ONLY", "Must", "should", "output format", "Respond With", "in JSON", "wrap it between tags",
             "İnput", "ſhould", "\u212aeys", "mıght", "at moſt", "respond ın"]
    generated = [" ".join(rng.choice(words + ["the", "answer", "—", "café"]) for _ in range(6)) for _ in range(3000)]
    folders = [f for f in (CORPUS, FIXTURES) if f.is_dir()]
    paragraphs = [par for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()
                  for par in p.read_text(encoding="utf-8", errors="replace").split("\n\n")]
    return paragraphs + generated


@pytest.mark.parametrize("name", ["_CONSTRAINT", "_OUTPUT_SHAPE", "_OBLIGATION"])
def test_a_folded_pattern_finds_what_the_case_insensitive_pattern_finds(name):
    import re

    folded = getattr(d, name)
    anycase = re.compile(folded.pattern, re.I)
    texts = folded_texts()
    assert sum(folded.found(t) for t in texts) > 100
    assert [t for t in texts if folded.found(t) != bool(anycase.search(t))] == []


def test_the_segmenter_tries_a_pattern_on_every_line_it_can_match():
    from promptopt import segment as s
    from promptopt import tokenmap as tm

    missed = []
    for line in sample_lines() + ["Key: value", "  Q: x", "A:", "{\"a\": 1}", " - {\"q\": \"x\"}", "===", " # ### "]:
        first = line.strip()[:1]
        if s._FENCE.match(line) and first not in s._FENCE_MARKS:
            missed.append(("fence", line))
        if s._LIST_ITEM.match(line) and not (first in s._ITEM_MARKS or first.isdecimal()):
            missed.append(("item", line))
        if s.heading_title(line) is not None and not (first in "#*" or "A" <= first <= "Z"):
            missed.append(("heading", line))
        if s._RECORD_KEY.match(line.strip()) and not s._may_be_key(line):
            missed.append(("key", line))
        if s._JSON_LINE.match(line) and not ("{" in line and line.lstrip()[:1] in "{-*+•"):
            missed.append(("json", line))
        if s._SEPARATOR.match(line) and line.lstrip()[:1] not in s._SEPARATOR_MARKS:
            missed.append(("separator", line))
        if tm._FENCE.match(line) and first not in tm._FENCE_MARKS:
            missed.append(("token map fence", line))
        if (tm._ATX.match(line.strip()) and first != "#") or (tm._XML_OPEN.match(line.strip()) and first != "<"):
            missed.append(("token map heading", line))
    assert missed == []


def test_sentence_ends_are_where_the_look_behind_pattern_finds_them():
    """`segment._SENTENCE_END` matches the mark that ends a sentence (so `re` skips to marks) instead of
    looking behind for it: the same cuts as the look-behind form on the corpus and on generated text."""
    import re

    from promptopt import segment as s

    look_behind = re.compile(r"(?<=[.!?])[\"')\]]*(?:[ \t]*\n\s*|\s+(?=[\"'(\[]?[A-Z0-9]))")
    rng = random.Random(3)
    pieces = ["Do it", ".", "!", "?", "..", " ", "\n", "\n\n", "\t", '"', "'", ")", "]", "(", "[", "A", "a", "1", "é",
              "\u00a0", "e.g. x", "Wait!?", "\u3002"]
    texts = [line for line in sample_lines() if any(c in line for c in ".!?")]
    texts.append("\n".join(sample_lines()[:3000]))
    texts += ["".join(rng.choice(pieces) for _ in range(40)) for _ in range(3000)]
    for text in texts:
        assert [(m.start(1), m.end()) for m in s._SENTENCE_END.finditer(text)] == \
               [(m.start(), m.end()) for m in look_behind.finditer(text)], text


def test_format_fields_are_those_the_look_behind_pattern_finds():
    """`placeholders._FORMAT_FIELD` tests "no `{` before" after matching its `{` (so `re` skips to braces):
    the same fields as the look-behind form, on the corpus and on generated brace soup."""
    import re

    from promptopt import placeholders as p

    look_behind = re.compile("(?<!\\{)\\{" + p._FORMAT_FIELD.pattern.removeprefix("\\{(?<!\\{\\{)"))
    assert look_behind.pattern != p._FORMAT_FIELD.pattern
    rng = random.Random(7)
    pieces = ["{", "}", "{{", "}}", "x", "name", "_a", "1", ".b", "[0]", "!r", ":>10", ":.2f", " ", "\n", "{x}"]
    texts = ["\n".join(sample_lines())]
    texts += ["".join(rng.choice(pieces) for _ in range(30)) for _ in range(5000)]
    for text in texts:
        assert [m.span() for m in p._FORMAT_FIELD.finditer(text)] == [m.span() for m in look_behind.finditer(text)]
