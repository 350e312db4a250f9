"""Two instructions that ask for opposite qualities of the same thing: "Use common words" and, further
down, "Incorporate rare or unusual words".

Prompts grow by patching: a style list pasted from elsewhere asks for the opposite of the brief above
it. The model cannot satisfy both and follows whichever it weighs more on that request, so the output
drifts between the two. Read: a sentence asking for one pole of a quality of words, sentences or tone
(common / rare words, short / long sentences, formal / casual tone), with "avoid", "don't", "never"
flipping it, and another sentence asking for the other pole of the same thing (sentences against
sentences; "avoid short paragraphs" does not oppose "a short answer when the user asks for one"). A
sentence that names both poles ("mix short and long sentences"), a negated excess ("avoid overly short
paragraphs" asks for moderation, not for the other pole) and quoted text are left alone. It has no fix:
only the author knows which one is meant.

Bad:

    Keep it simple: use common words that anyone understands.
    Incorporate rare or unusual words to add richness.

Good:

    Keep it simple: use common words that anyone understands.
    Replace generic descriptions with specific details.
"""

from __future__ import annotations

import re

from ..core import Severity
from ..document import sentences
from ..gates import requires
from ..lazyre import lazy_compile, word_trie

CODE = "PO606"
NAME = "opposite-instructions"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model cannot follow both: an output-quality risk, not a token saving
OPTIONS: dict = {}

# (one pole, the other pole, what they qualify)
_QUALITIES = [
    ("common|everyday|simple|plain|familiar|basic", "rare|unusual|uncommon|obscure|fancy|sophisticated",
     r"words?|vocabulary|language|terms?|phrases?"),
    ("short|brief|concise|succinct", "long|lengthy|elaborate",
     r"sentences?|answers?|responses?|paragraphs?|repl(?:y|ies)"),
    ("formal", "informal|casual|colloquial", r"tone|language|style|register"),
]
_NEGATION = lazy_compile(r"\b(?:avoid|don't|do not|never|no|not|without|refrain from)\b", re.I)
_QUOTED = lazy_compile(r"\"[^\"\n]*\"|“[^”\n]*”")
_EXCESS = lazy_compile(r"\b(?:overly|too|excessively|unduly)\s+$", re.I)
# what a pole qualifies, as one scope: "short answers" and "long responses" are about one thing,
# "short paragraphs" and "a short answer" about two
_SCOPES = {"word": "words", "vocabulary": "words", "term": "words", "phrase": "words", "sentence": "sentences",
           "paragraph": "paragraphs", "answer": "answers", "response": "answers", "reply": "answers",
           "replie": "answers", "tone": "tone", "style": "tone", "register": "tone"}


def _scope(quality: int, pole: str) -> str:
    noun = pole.rsplit(None, 1)[-1].lower()
    if noun == "language":  # plain language is about words, formal language about tone
        return "words" if quality == 0 else "tone"
    noun = noun[:-1] if noun.endswith("s") and noun[:-1] in _SCOPES else noun
    return _SCOPES.get(noun, noun)


def _pole(words: str, thing: str) -> re.Pattern:
    # "rare or unusual words", "short, clear sentences"
    return lazy_compile(rf"\b(?:{words})(?:,?\s+(?:and|or)?\s*[\w-]+)?,?\s+(?:{thing})\b", re.I, guard=True)


_POLES = [(_pole(one, thing), _pole(other, thing)) for one, other, thing in _QUALITIES]
# every pole opens with one of these words: a sentence without any is asked nothing more (most are)
# (as a prefix tree, `word_trie`: only whether one is there is read)
_ANY_POLE = lazy_compile(r"\b" + word_trie("|".join(f"{one}|{other}" for one, other, _ in _QUALITIES).split("|")), re.I,
                         guard=True)
# a sentence (a part of the prompt's text) that does not match _ANY_POLE is skipped: a prompt with none
GATE = requires(_ANY_POLE)


def check(doc, ctx):
    asks: dict[int, list[tuple[bool, object, object]]] = {}
    for span, _holder in sentences(doc):
        sentence = doc.text[span.start : span.end]
        if not _ANY_POLE.search(sentence):
            continue  # blanking quoted text below only takes matches away
        text = _QUOTED.sub(lambda m: " " * len(m.group(0)), sentence)
        for idx, (one, other) in enumerate(_POLES):
            a, b = one.search(text), other.search(text)
            if bool(a) == bool(b):
                continue  # neither pole, or both ("a mix of short and long sentences")
            hit = a or b
            negated = bool(_NEGATION.search(text[: hit.start()]))
            if negated and _EXCESS.search(text[: hit.start()]):
                continue  # "avoid overly short paragraphs": not too short, which any length past that meets
            wants_one = bool(a) != negated
            asks.setdefault((idx, _scope(idx, hit.group(0))), []).append((wants_one, span, hit))
    for entries in asks.values():
        sides = {wants for wants, _, _ in entries}
        if len(sides) < 2:
            continue
        first = entries[0]
        minority = min(sides, key=lambda side: sum(1 for e in entries if e[0] == side))
        opposite = [e for e in entries if e[0] != minority]
        lines = ", ".join(str(ctx.location(doc, e[1]).line) for e in opposite)
        for wants, span, hit in entries:
            if wants != minority or wants == first[0]:
                continue
            yield ctx.report(doc, span,
                             f"asks for \"{hit.group(0)}\" here, while line{'s' if len(opposite) > 1 else ''} "
                             f"{lines} ask{'' if len(opposite) > 1 else 's'} for \"{opposite[0][2].group(0)}\": "
                             "the model cannot follow both; keep the one you mean",
                             tokens_saved=0, related=[e[1] for e in opposite])
