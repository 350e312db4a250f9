"""An output format written as long prose where a compact schema would do.

Output sections ("# OUTPUT INSTRUCTIONS", "RESPONSE FORMAT:") grow one sentence per patch. When a
section runs to more than `min-tokens` tokens, a compact statement of the same constraints (a JSON
schema, or a terse list of fields and limits; or structured output, which moves the format out of
the prompt) usually costs a fraction. Tokens saved is the difference between the section and an
estimate of its compact form: the same lines reduced to their content words (numbers, names,
negations and modals kept). The fix (unsafe: re-run your eval) is a milder, line-by-line telegraphic
rewrite: it drops articles and empty intensifiers ("the", "a", "very", "just", "please") and leaves
every other word, list marker and heading as it was; tokens saved is what that rewrite removes.

Bad:

    # OUTPUT INSTRUCTIONS
    - Only output Markdown.
    - Write the IDEAS bullets as exactly 16 words.
    - Do not give warnings or notes; only output the requested sections.
    ... twenty more lines ...

Good:

    # OUTPUT
    Markdown sections IDEAS, INSIGHTS, QUOTES: bullets of exactly 16 words; nothing else.
"""

from __future__ import annotations

import re

from ..core import Applicability, Edit, SegmentKind, Severity, Span
from ..lazyre import lazy_compile
from ._common import NEGATIONS, STOPWORDS

CODE = "PO301"
NAME = "prose-output-spec"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
FIXABLE = "unsafe"
OPTIONS = {"min-tokens": 150}
_KEEP = {"only", "must", "always", "never", "exactly", "json", "markdown", "one", "each", "every",
         "should", "shall", "at", "least", "most", "than", "do", "does"} | set(NEGATIONS)
_DROP = lazy_compile(r"(?<![\w'-])(?:the|a|an|very|just|really|please|kindly|simply|basically|actually) (?=[\w\"'*`(])",
                   re.I)
_LINE_LEAD = lazy_compile(r"^\s*(?:#+\s+|[-*+•]\s+|\d{1,3}[.)]\s+)?")


def compact_form(text: str) -> str:
    lines = []
    for line in text.splitlines():
        kept = [w for w in re.findall(r"\S+", line)
                if w.lower().strip(".,;:()") not in STOPWORDS or w.lower().strip(".,;:()") in _KEEP]
        if kept:
            lines.append(" ".join(kept))
    return "\n".join(lines)


def telegraphic_edits(doc, spec) -> list[Edit]:
    """Per-line edits that drop articles and intensifiers, outside code, examples and placeholders."""
    protected = [s.span for s in doc.segments
                 if s.kind in (SegmentKind.CODE, SegmentKind.EXAMPLE, SegmentKind.PLACEHOLDER)]
    edits, pos = [], spec.span.start
    for line in spec.text.split("\n")[1:]:
        pos = doc.text.find(line, pos) if line else pos
        start = pos + _LINE_LEAD.match(line).end()
        body = doc.text[start : pos + len(line)]
        new = _DROP.sub("", body)
        new = new[:1].upper() + new[1:] if body[:1].isupper() else new
        span = Span(start, pos + len(line))
        if new != body and not any(p.overlaps(span) for p in protected):
            edits.append(Edit(span, new))
        pos += len(line)
    return edits


def check(doc, ctx):
    for spec in doc.segments_of(SegmentKind.OUTPUT_SPEC):
        tokens = ctx.counter.count(spec.text)
        if tokens < int(ctx.options["min-tokens"]):
            continue
        compact = ctx.counter.count(compact_form(spec.text))
        edits = telegraphic_edits(doc, spec)
        heading = Span(spec.span.start, spec.span.start + len(spec.text.split("\n")[0]))
        yield ctx.report(doc, heading,
                         f"output spec '{spec.section}' is {tokens} tokens of prose; a compact schema or "
                         f"list of constraints would be about {compact}",
                         edits=edits or None, tokens_saved=None if edits else 0,
                         applicability=Applicability.UNSAFE, fix_title="Rewrite the output spec tersely")
