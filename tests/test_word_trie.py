"""Patterns rewritten for speed find what the plain ones found: a word list as a prefix tree
(`lazyre.word_trie`) matches where the alternation did, and the example leads ("For example:") of
`segment.data_spans`, searched only before colons that end a line, are the plain `finditer`'s; on the
corpus, the bundled prompts and generated text with case-folding traps (Kelvin sign, long s)."""

from __future__ import annotations

import random
import re
from pathlib import Path

from promptopt.analyzers import contradictory_bounds, embedded_material
from promptopt.lazyre import word_trie
from promptopt.segment import _EXAMPLE_LEAD, _example_lead_ends

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
VERBS = ("do not|don't|never|always|make sure|ensure|use|write|output|include|avoid|give|list|extract|create|return|"
         "respond|answer|provide|keep|focus|think|consider|follow|read|identify|summari[sz]e|generate|explain|"
         "describe|add|remove|only|start|end|put|place|format|limit|ask|reply|check|note|remember|take|do|rate|"
         "determine|analy[sz]e|select|find|translate")
PLAIN_IMPERATIVE = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])?\s*(?:\*\*)?(?:please\s+)?(?:" + VERBS + r")\b", re.I)
PLAIN_NUMBER = re.compile(r"\d|\b(?:" + "|".join(contradictory_bounds._NUMBER_WORDS) + r")\b", re.I)


def texts() -> list[str]:
    folders = [f for f in (CORPUS, ROOT / "fixtures" / "prompts") if f.is_dir()]
    found = [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.rglob("*"))
             if p.is_file()]
    rng = random.Random(5)
    pieces = ["e.g.", "for example", "For Instance", "example", "sample", "like this", "\u017fample", "li\u212ae this",
              "do", "do not", "don't", "please", "- ", "1. ", "**", "twelve", "thirty", "one", "on", "analyse",
              "summarize", ":", " ", "\t", "\n", "*", "_", "x", "\u2028", "\r"]
    generated = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    return found + generated


def test_word_trie_matches_the_plain_alternation() -> None:
    words = ["do", "do not", "don't", "one", "on", "ten", "thirteen", "twenty", "two"]
    plain = re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)
    tree = re.compile(r"\b" + word_trie(words) + r"\b", re.I)
    assert tree.pattern != plain.pattern
    for text in texts():
        for line in text.split("\n"):
            assert bool(plain.search(line)) == bool(tree.search(line)), line


def test_factored_rule_patterns_match_the_same_lines() -> None:
    for text in texts():
        for line in text.split("\n"):
            assert bool(PLAIN_IMPERATIVE.match(line)) == bool(embedded_material._IMPERATIVE.match(line)), line
            assert bool(PLAIN_NUMBER.search(line)) == bool(contradictory_bounds._HAS_NUMBER.search(line)), line


def test_example_leads_are_the_plain_search() -> None:
    for text in texts():
        assert _example_lead_ends(text) == [m.end() for m in _EXAMPLE_LEAD.finditer(text)], text


def test_noise_hint_matches_the_plain_substring_test() -> None:
    from promptopt import document

    samples = [line.lower() for text in texts() for line in text.split("\n") if line.strip()]
    samples += [f"x {word} y" for word in document._NOISE_WORDS]
    for sample in samples:
        assert any(w in sample for w in document._NOISE_WORDS) == bool(document._NOISE_HINT.search(sample)), sample
