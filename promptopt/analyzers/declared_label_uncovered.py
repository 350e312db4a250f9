"""A declared label that no few-shot example shows.

When every example is a label and some declared labels never appear, the examples are stale or
unbalanced: the model sees how to answer some classes and guesses the others. Checked when at
least `min-examples` examples all answer with declared labels and the set has at most
`max-labels` labels (large label sets are not expected to be covered).

Bad:

    Answer with one of: question, statement, command
    Message: Did Nina sleep well?
    Type: question
    Message: Nina slept well.
    Type: statement
    Message: Is it late?
    Type: question

Good: add an example for "command", or drop "command" from the set if it is gone.
"""

from __future__ import annotations

from ..core import Severity
from ._examples import declared_labels, examples, part

CODE = "PO202"
NAME = "declared-label-uncovered"
SEVERITY = Severity.INFO
KIND = "risk"  # a class the examples never show: a quality risk, not a token saving
OPTIONS = {"min-examples": 3, "max-labels": 12}


def check(doc, ctx):
    exs = examples(doc)
    if len(exs) < int(ctx.options["min-examples"]):
        return  # before the label set is read: most prompts have too few examples
    declared = declared_labels(doc)
    if not declared:
        return
    labels, where = declared
    if len(labels) > int(ctx.options["max-labels"]):
        return
    used = {part(doc, ex, "output").strip().strip("\"'`.").lower() for ex in exs}
    if not used <= set(labels):
        return  # not a pure classification prompt, or PO201 already says what is wrong
    missing = [lbl for lbl in labels if lbl not in used]
    if missing:
        yield ctx.report(doc, where, f"no example shows the label(s) {', '.join(missing)}", tokens_saved=0)
