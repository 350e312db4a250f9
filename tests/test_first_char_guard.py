"""A pattern compiled behind its first-character guard (`lazy_compile(..., guard=True)`) finds exactly what
`re.compile` finds: every guarded pattern of the rules, on the corpus, the bundled prompts and text
written to trip case folding (the Kelvin sign is a `k`, the long s an `s` under IGNORECASE)."""

from __future__ import annotations

import gc
import random
import re
from pathlib import Path

from promptopt.lazyre import LazyPattern, compile_kept, first_char_guard
from promptopt.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"


def guarded_patterns() -> list[LazyPattern]:
    all_rules()
    import promptopt.document  # noqa: F401  (the document model's patterns)

    return [o for o in gc.get_objects() if isinstance(o, LazyPattern) and o._guard]


def texts() -> list[str]:
    folders = [f for f in (CORPUS, ROOT / "fixtures" / "prompts") if f.is_dir()]
    found = [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.rglob("*"))
             if p.is_file()]
    rng = random.Random(3)
    words = re.findall(r"[a-z]{2,}", " ".join(o.pattern for o in guarded_patterns()))
    folded = {"k": "\u212a", "s": "\u017f", "i": "\u0131", "K": "\u212a"}
    pieces = []
    for _ in range(3000):
        word = rng.choice(words)
        word = "".join(folded.get(c, c) if rng.random() < 0.2 else c.upper() if rng.random() < 0.3 else c
                       for c in word)
        pieces.append(word + rng.choice([" ", "  ", ", ", ".\n", "-", " 3 ", " 12 ", ": "]))
    return found + ["".join(pieces)]


def test_every_guarded_pattern_finds_what_re_compile_finds():
    patterns = guarded_patterns()
    assert len(patterns) >= 15
    corpus = texts()
    for lazy in patterns:
        guarded, plain = compile_kept(lazy.pattern, lazy._flags, guard=True), re.compile(lazy.pattern, lazy._flags)
        for text in corpus:
            assert [m.span() for m in guarded.finditer(text)] == [m.span() for m in plain.finditer(text)], lazy.pattern
        assert (guarded.groups, guarded.groupindex) == (plain.groups, plain.groupindex)


def test_the_guard_is_the_class_of_first_characters_or_nothing():
    assert first_char_guard(r"\b(?:never|only)\b", re.I) == r"(?=[no])(?:\b(?:never|only)\b)"
    assert first_char_guard(r"\d|\bone\b") == r"(?=[\do])(?:\d|\bone\b)"
    for unguarded in (r"(?:a)?b", r".x", r"[^a]b", r"(?i)ab", r"x*", r"(?i:ab)c"):
        assert first_char_guard(unguarded) == unguarded
