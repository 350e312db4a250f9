"""A few-shot example answers with a label the instructions do not declare.

When the label set changes ("positive, negative, neutral" becomes "positive, negative") the old
examples stay behind and teach the model a label it must no longer use. Only examples whose
output is a short label (up to three words) are checked, case-insensitively. A set declared as a
range ("Options: A-J", "1 to 5", "a through e") holds each of its members, and the first item after
"one of" is a label ("one of A, B, C": A is declared).

Bad:

    Label the sentiment as one of: positive, negative
    Text: It was fine.
    Sentiment: neutral
    Text: Loved it.
    Sentiment: positive

Good:

    Label the sentiment as one of: positive, negative, neutral
    Text: It was fine.
    Sentiment: neutral
    Text: Loved it.
    Sentiment: positive
"""

from __future__ import annotations

from ..core import Severity
from ._examples import declared_labels, examples, part

CODE = "PO201"
NAME = "example-label-outside-set"
SEVERITY = Severity.WARNING
KIND = "risk"  # an example that teaches a label the model must not use: a defect


def check(doc, ctx):
    if not examples(doc):
        return  # every finding is an example's: the label set is not read (most prompts have no examples)
    declared = declared_labels(doc)
    if not declared:
        return
    labels, where = declared
    for ex in examples(doc):
        output = part(doc, ex, "output").strip().strip("\"'`.").lower()
        if not output or len(output.split()) > 3 or output in labels:
            continue
        span = ex.parts["output"]
        yield ctx.report(doc, span, f"example answers '{output}', which is not a declared label "
                         f"({', '.join(labels[:8])}{'...' if len(labels) > 8 else ''})",
                         tokens_saved=0, related=[where])
