"""The same quantity given bounds that cannot both hold: "20 to 50 ideas" and later "exactly 10 ideas".

Prompts grow by patching; a limit is changed in one place and left in another. The model then picks
one at random, or splits the difference, and every request pays for both sentences. Bounds are read
from "exactly N", "at least N", "at most N", "no more than N", "up to N", "N to M", "N-M",
"between N and M", "N or more", "under N" followed by the thing counted (ideas, bullets, words...).
Two bounds conflict when no number satisfies both. Length units (words, sentences, characters,
lines, paragraphs) are compared only within one section, and a per-item limit ("each bullet at most
15 words") is never compared with a limit on the whole. Two limits conflict only when their sentences
are about the same thing: they share a third or more of their content words and name no different
ALL-CAPS section; two limits in one sentence bound two things, and so do two sentences of one shape
that differ, numbers aside, only in a name swapped in place ("entity rows have exactly 4 parts",
"relation rows have exactly 5 parts": one rule per kind of record). Few-shot examples and code are data and are
skipped. The finding points at both places.

Bad:

    Extract 20 to 50 ideas from the text.
    ...
    Output exactly 10 ideas extracted from the text.

Good:

    Extract 20 to 50 ideas from the text.
    ...
    Output every idea you extracted from the text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..core import Severity, Span
from ..lazyre import lazy_compile, word_trie
from ._common import STOPWORDS, content_lemmas, lemma
from ._contradiction import in_jinja_branch, instruction_sentences, line_of

CODE = "PO601"
NAME = "contradictory-bounds"
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS: dict = {}
# share of content words two sentences must have in common to be about the same thing
SUBJECT_OVERLAP = 0.34
_CAPS = lazy_compile(r"\b[A-Z]{2,}(?:[ -][A-Z]{2,})*\b")

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100})
# the number words as a prefix tree (`word_trie`): under IGNORECASE `re` tries a list's words one by one
# at each place. The words that match at one place are prefixes of one another ("four", "fourteen"), and
# the tree tries them longest first, as the list sorted by length did: the same matches in about half
# the time (the corpus repeated to 3.1 MB: 0.61 -> 0.33 s)
_NUM = r"(\d{1,6}|" + word_trie(list(_NUMBER_WORDS)) + r")"
_BOUNDS = lazy_compile(
    r"\b(?:(?P<between>between)\s+" + _NUM + r"\s+and\s+" + _NUM
    + r"|(?P<exact>exactly)\s+" + _NUM
    + r"|(?P<low>at\s+least|no\s+fewer\s+than|no\s+less\s+than|a\s+minimum\s+of|minimum\s+of|min\.?)\s+" + _NUM
    + r"|(?P<high>at\s+most|no\s+more\s+than|not\s+more\s+than|up\s+to|a\s+maximum\s+of|maximum\s+of|max\.?|"
    r"fewer\s+than|less\s+than|under)\s+" + _NUM
    + r"|" + _NUM + r"\s*(?:to|-|–)\s*" + _NUM
    + r"|" + _NUM + r"\s+or\s+(?P<orwhat>more|fewer|less)"
    + r")(?:\s*-\s*|\s+)(?P<tail>(?:[A-Za-z][\w-]*\s+){0,2}[A-Za-z][\w-]*)",
    re.I, guard=True,
)
# cheap test first: most sentences hold no number, and _BOUNDS tries many branches at every word (the
# number words as a prefix tree: only whether one is there is read)
_HAS_NUMBER = lazy_compile(r"\d|\b" + word_trie(list(_NUMBER_WORDS)) + r"\b", re.I, guard=True)
_UNITS = {"word", "sentence", "character", "char", "line", "paragraph", "token", "letter", "syllable", "page"}
_NOT_NOUNS = {"is", "was", "this", "has", "does", "its", "as", "us", "less", "unless", "plus", "always", "times",
              "minutes", "seconds", "hours", "days", "years", "percent", "ms", "yes", "thus"}
_PER_ITEM = lazy_compile(r"\b(?:each|every|per|individual|apiece)\b", re.I)


@dataclass
class Bound:
    noun: str
    low: float
    high: float
    span: Span
    section: str
    per_item: bool
    sentence: Span  # the sentence holding it
    subject: frozenset[str]  # content words of that sentence, numbers and the counted noun aside
    caps: frozenset[str]  # ALL-CAPS names in it (section names: "STRATEGIC DECISIONS")
    words: tuple[str, ...] = ()  # the sentence's words, numbers as "#"


def _value(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token.lower()]


def _noun(tail: str) -> str:
    for word in tail.lower().split():
        base = lemma(word)
        if base in _UNITS or (word.endswith("s") and len(word) > 3 and word not in _NOT_NOUNS):
            return lemma(word) if lemma(word) != word else word.rstrip("s")
    return ""


def _bounds(doc) -> list[Bound]:
    found = []
    for span, text, section in instruction_sentences(doc):
        if not _HAS_NUMBER.search(text) or in_jinja_branch(doc, span):
            continue
        for m in _BOUNDS.finditer(text):
            nums = [_value(g) for g in m.groups()[:] if g and (g.isdigit() or g.lower() in _NUMBER_WORDS)]
            if not nums:
                continue
            if m.group("between") or (len(nums) == 2 and not m.group("orwhat")):
                low, high = min(nums), max(nums)
            elif m.group("exact"):
                low = high = nums[0]
            elif m.group("low") or m.group("orwhat") == "more":
                low, high = nums[0], math.inf
            else:
                strict = re.match(r"(?:fewer|less)\s+than|under", (m.group("high") or ""), re.I)
                low, high = 0, nums[0] - (1 if strict else 0)
            noun = _noun(m.group("tail"))
            if not noun:
                continue
            start = span.start + m.start()
            found.append(Bound(noun, low, high, Span(start, span.start + m.end()), section,
                               bool(_PER_ITEM.search(text)), span, _subject(text, noun),
                               frozenset(_CAPS.findall(text)), _masked_words(text)))
    return found


def _subject(text: str, noun: str) -> frozenset[str]:
    return frozenset(w for w in content_lemmas(text) if w != noun and w.rstrip("s") != noun
                     and not w[0].isdigit() and w not in _NUMBER_WORDS)


def _same_subject(a: Bound, b: Bound) -> bool:
    """Do the two sentences bound the same thing? Two limits on different things ("3-5 bullets per
    slide", "a FLOW of 10-20 bullets") both hold; sentences about one thing share most of their words."""
    if a.sentence == b.sentence:
        return False  # one sentence giving two things two limits
    if a.caps and b.caps and a.caps != b.caps:
        return False  # "STRATEGIC DECISIONS bullets" and "PIVOTAL MOMENTS bullets"
    if _parallel(a.words, b.words):
        return False  # "entity rows have exactly 4 parts" / "relation rows have exactly 5 parts"
    union = a.subject | b.subject
    return bool(union) and len(a.subject & b.subject) / len(union) >= SUBJECT_OVERLAP


def _masked_words(text: str) -> tuple[str, ...]:
    words = re.findall(r"[\w-]+", text.lower())
    return tuple("#" if w.isdigit() or w in _NUMBER_WORDS else w for w in words)


def _parallel(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two rules of one shape for two kinds of thing: the sentences match word for word, numbers
    aside, but for names swapped in place ("entity rows" / "relationship rows"). A patched limit
    changes the number, not what it is about."""
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.6:
        return False
    swapped = False
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changed = a[i1:i2] + b[j1:j2]
        if "#" in changed or any(w in _BOUND_WORDS for w in changed):
            return False  # the bound itself differs
        if op == "replace" and any(w not in STOPWORDS for w in a[i1:i2]) and any(w not in STOPWORDS for w in b[j1:j2]):
            swapped = True
    return swapped


_BOUND_WORDS = {"exactly", "least", "most", "more", "fewer", "less", "than", "up", "between", "minimum", "maximum",
                "min", "max", "under", "to", "or", "no", "not"}


def _describe(bound: Bound) -> str:
    if bound.low == bound.high:
        return f"exactly {bound.low:g}"
    if bound.high == math.inf:
        return f"at least {bound.low:g}"
    if bound.low == 0:
        return f"at most {bound.high:g}"
    return f"{bound.low:g} to {bound.high:g}"


def check(doc, ctx):
    seen: list[Bound] = []
    for bound in _bounds(doc):
        for earlier in seen:
            if earlier.noun != bound.noun or earlier.per_item != bound.per_item:
                continue
            if bound.noun in _UNITS and earlier.section != bound.section:
                continue
            if (earlier.high < bound.low or bound.high < earlier.low) and _same_subject(earlier, bound):
                yield ctx.report(
                    doc, bound.span,
                    f"{_describe(bound)} {bound.noun}s contradicts {_describe(earlier)} {earlier.noun}s at line "
                    f"{line_of(doc, earlier.span)}: keep one",
                    tokens_saved=0, related=[earlier.span])
                break
        seen.append(bound)
