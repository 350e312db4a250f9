"""An independent check of what a compressed prompt lost: written apart from promptopt's guard and
`compressors/scope.py` (own word lists, own regexes, a different matching method), so a bug there
cannot grade itself. Used by tests/test_lingua_scope.py and bench/lingua_compare.py.

Losses counted:
- scope: a negation or modal whose next (up to four) content words no longer follow it, in order,
  within the next 30 words of the output;
- literals: quoted strings ('x', "x") missing from the output (counted as substrings);
- code: calls, snake_case names and slash paths missing from the output (the same);
- numbers: digit runs missing from the output (multiset of whole numbers).
"""

from __future__ import annotations

import re
from collections import Counter

CUES = {
    "negation": {"not", "no", "never", "don't", "doesn't", "cannot", "can't", "won't", "without", "nor", "none"},
    "modal": {"must", "should", "shall", "always", "only", "may", "might", "need", "required"},
}
SKIP = set("a an the of to in on at by for with from and or is are be it this that these those your you any".split())
TOKEN = re.compile(r"[a-z0-9][a-z0-9'’_-]*", re.I)
QUOTE = re.compile(r"\"[^\"\n]+\"|(?<![a-z])'[^'\n]+'(?![a-z])", re.I)
CODE = re.compile(r"[a-z_][\w.]*\([^()\n]*\)|\b[a-z]+_[a-z_]+\b|\b[\w.-]+/[\w./-]+", re.I)
DIGITS = re.compile(r"\d+")
STOP = re.compile(r"[.;:!?\n]")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in TOKEN.findall(text)]


def scope_losses(before: str, after: str) -> list[str]:
    """'cue: governed words' for every negation/modal whose governed words are gone from `after`."""
    out_words = words(after)
    losses = []
    for clause in STOP.split(before):
        ws = words(clause)
        for i, word in enumerate(ws):
            if not any(word in cues for cues in CUES.values()):
                continue
            governed = [w for w in ws[i + 1 :] if w not in SKIP and not any(w in c for c in CUES.values())][:4]
            if not found_in_order(word, governed, out_words):
                losses.append(f"{word}: {' '.join(governed)}")
    return losses


def found_in_order(cue: str, governed: list[str], out_words: list[str]) -> bool:
    for start, word in enumerate(out_words):
        if word != cue:
            continue
        window = iter(out_words[start + 1 : start + 31])
        if all(any(w == g for w in window) for g in governed):  # consumes the window: keeps order
            return True
    return False


def missing(pattern: re.Pattern, before: str, after: str) -> list[str]:
    """Matches in `before` that `after` holds fewer times, counted as substrings (a quote mark lost
    elsewhere must not shift how the rest pair up)."""
    wanted = Counter(pattern.findall(before))
    return sorted(item for item, n in wanted.items() for _ in range(max(0, n - after.count(item))))


def losses(before: str, after: str) -> dict[str, list[str]]:
    return {
        "scope": scope_losses(before, after),
        "literals": missing(QUOTE, before, after),
        "code": missing(CODE, before, after),
        "numbers": sorted((Counter(DIGITS.findall(before)) - Counter(DIGITS.findall(after))).elements()),
    }
