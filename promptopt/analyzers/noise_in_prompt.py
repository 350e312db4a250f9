"""Text the model has no use for, sent with every request: a changelog, author notes, page furniture.

Prompts copied from a prompt library or a web page bring their wrapping along: "## Changelog",
"v1.3 - tightened the tone", "Created by @ann", "Share this prompt", "© 2024 All rights reserved". The
model reads it on every request and may echo it. Read: blocks the document model (`promptopt.document`)
labels noise, from their heading (changelog, version history, release notes, author's notes, credits,
licence) or their own words (an author or version line, a copyright, share and subscribe links, a
dated changelog entry), outside code and pasted markup (a page's footer inside pasted HTML is part of
that material: PO503 names it). One finding per run of such blocks, with an unsafe fix that
removes them (check nothing in them was meant for the model).

Bad:

    You are a careful copy editor. Fix grammar and spelling; keep the author's voice.

    ## Changelog
    - v1.2 (2024-03-02): added the rule about keeping the author's voice
    - v1.1 (2024-01-15): first public version, shared on the prompt library

Good:

    You are a careful copy editor. Fix grammar and spelling; keep the author's voice.
"""

from __future__ import annotations

from ..core import Applicability, Edit, Severity, Span
from ..document import Role, document_model
from ..segment import data_spans

CODE = "PO504"
NAME = "noise-in-prompt"
SEVERITY = Severity.WARNING
FIXABLE = "unsafe"
KIND = "waste"  # tokens the model has no use for: the value floor applies
DEFAULT = False  # opt-in: 1 of 5 right on prompts nobody tuned for (the ninth set)
OPTIONS: dict = {}


def check(doc, ctx):
    model = document_model(doc)
    material = data_spans(doc)  # code, pasted markup, tagged documents: their furniture is the material's
    for span in model.spans(Role.NOISE):
        if doc.in_code(span) or any(m.overlaps(span) for m in material):
            continue
        tokens = ctx.counter.count(doc.text[span.start : span.end])
        end = span.end
        while end < len(doc.text) and doc.text[end] == "\n":
            end += 1
        if end == len(doc.text):  # the last block: keep the text ending as it did
            start = span.start
            while start > 0 and doc.text[start - 1] == "\n":
                start -= 1
            edit = Edit(Span(start, span.end), "")
        else:
            edit = Edit(Span(span.start, end), "")
        first_line = doc.text[span.start : span.end].split("\n", 1)[0].strip()
        yield ctx.report(doc, Span(span.start, span.start + len(doc.text[span.start : span.end].split("\n", 1)[0])),
                         f"{tokens:,} tokens of text the model has no use for ('{first_line[:50]}'), sent with every "
                         "request: remove it", edits=[edit], applicability=Applicability.UNSAFE,
                         fix_title="Remove the noise")
