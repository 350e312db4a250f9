"""Two instructions that say the same thing in other words.

After lemmatising ("Write" / "writes" / "writing"), the two sentences share almost all their
content words (Jaccard similarity at least `threshold`). One of them can go. The fix (unsafe:
review it) deletes the later one. Sentences whose negations differ ("use X" vs "never use X")
are contradictions, not duplicates, and are left to the contradiction rules.

Lemmas come from spaCy's English lookup table (spacy-lookups-data), read without loading spaCy.

Bad:

    Write each summary bullet in plain English.
    List every decision with its owner.
    Each summary bullet should be written in plain English.

Good:

    Write each summary bullet in plain English.
    List every decision with its owner.
"""

from __future__ import annotations

import re

from ..core import Applicability, Severity
from ..document import sentences
from ._common import content_lemmas, delete_unit, negated, normalize, whole_unit

CODE = "PO102"
NAME = "near-duplicate-instruction"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
FIXABLE = "unsafe"
OPTIONS = {"threshold": 0.85, "min-content-words": 4}


def check(doc, ctx):
    threshold = float(ctx.options["threshold"])
    min_words = int(ctx.options["min-content-words"])
    units = []
    for span, holder in sentences(doc):
        text = doc.text[span.start : span.end]
        lemmas = content_lemmas(text)
        if len(lemmas) >= min_words and whole_unit(doc, span, holder):
            units.append((span, holder, text, lemmas, normalize(text)))
    reported = set()
    # a sentence that repeats an earlier one word for word is PO101's, whatever else it resembles
    seen_norms: set[str] = set()
    for _, _, _, _, norm in units:
        if norm in seen_norms:
            reported.add(norm)
        seen_norms.add(norm)
    for i, (span_a, _, text_a, lem_a, norm_a) in enumerate(units):
        for span_b, holder_b, text_b, lem_b, norm_b in units[i + 1 :]:
            if span_b.start in reported or norm_b in reported or norm_a == norm_b:
                continue  # exact duplicates are PO101's
            jaccard = len(lem_a & lem_b) / len(lem_a | lem_b)
            if jaccard < threshold or negated(text_a) != negated(text_b) or _numbers(text_a) != _numbers(text_b):
                continue
            reported.add(span_b.start)
            line, _ = doc.line_col(doc.locate(span_a.start))
            yield ctx.report(doc, span_b, f"says what line {line} says ({jaccard:.0%} of content words shared)",
                             edits=delete_unit(doc, span_b, holder_b), applicability=Applicability.UNSAFE,
                             fix_title="Remove the near-duplicate", related=[span_a])


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)*", text)
