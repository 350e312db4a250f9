"""A wall of text: one long paragraph with no structure that mixes several instructions.

Models (and the people who maintain the prompt) follow rules in a 250-word paragraph less reliably
than the same rules as a list: instructions in the middle get lost, and a rule repeated to make up
for it costs tokens on every request. Flagged: a prose paragraph of more than `max-words` words
(default 200) with at least `min-sentences` sentences, outside code and examples. Split it into a
short lead and a list of rules, one per line.

Bad:

    You are a support agent and you answer billing questions and you must check the account first
    and then ... (230 more words in one paragraph)

Good:

    You are a support agent for billing questions.

    - Check the account before answering.
    - ...
"""

from __future__ import annotations

import re

from ..core import SegmentKind, Severity, Span
from ..lazyre import lazy_compile
from ._examples import examples

CODE = "PO903"
NAME = "wall-of-text"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
FIXABLE = ""
OPTIONS = {"max-words": 200, "min-sentences": 5}

_SENTENCE_END = lazy_compile(r"[.!?](?=\s|$)")


def check(doc, ctx):
    limit = int(ctx.options["max-words"])
    min_sentences = int(ctx.options["min-sentences"])
    for seg in doc.segments_of(SegmentKind.PROSE):
        if doc.in_code(seg.span) or doc.in_example(seg.span) or any(
            e.span.overlaps(seg.span) for e in examples(doc)  # once per document, not per segment
        ):
            continue
        words = len(re.findall(r"\S+", seg.text))
        sentences = len(_SENTENCE_END.findall(seg.text))
        if words <= limit or sentences < min_sentences:
            continue
        first_line_end = seg.text.find("\n")
        head = Span(seg.span.start, seg.span.start + (first_line_end if first_line_end != -1 else len(seg.text)))
        yield ctx.report(doc, head, f"a paragraph of {words} words and {sentences} sentences with no structure: "
                         "split it into a short lead and a list of rules", tokens_saved=0)
