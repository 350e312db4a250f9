"""A pattern compiled behind its first-character guard (`lazy_compile(..., guard=True)`) finds exactly what
`re.compile` finds: every guarded pattern of the rules, on the corpus, the bundled prompts and text
written to trip case folding (the Kelvin sign is a `k`, the long s an `s` under IGNORECASE)."""

from __future__ import annotations

import gc
import re

from pattern_texts import pattern_texts

from promptopt.lazyre import LazyPattern, compile_kept, first_char_guard
from promptopt.registry import all_rules


def guarded_patterns() -> list[LazyPattern]:
    all_rules()
    import promptopt.document  # noqa: F401  (the document model's patterns)

    return [o for o in gc.get_objects() if isinstance(o, LazyPattern) and o._guard]


def texts() -> list[str]:
    return pattern_texts(guarded_patterns(), seed=3)


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
