"""An output format written as long prose where a compact schema would do.

Output sections ("# OUTPUT INSTRUCTIONS", "RESPONSE FORMAT:") grow one sentence per patch. When a
section runs to more than `min-tokens` tokens, a compact statement of the same constraints (a JSON
schema, or a terse list of fields and limits; or structured output, which moves the format out of
the prompt) usually costs a fraction. Tokens saved is the difference between the section and an
estimate of its compact form: the same lines reduced to their content words (numbers, names,
quoted and capitalised terms kept). The unsafe rewrite is `promptopt compress --unsafe`.

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

from ..core import SegmentKind, Severity
from ._common import NEGATIONS, STOPWORDS

CODE = "PO301"
NAME = "prose-output-spec"
SEVERITY = Severity.INFO
OPTIONS = {"min-tokens": 150}
_KEEP = {"only", "must", "always", "never", "exactly", "json", "markdown", "one", "each", "every"} | set(NEGATIONS)


def compact_form(text: str) -> str:
    lines = []
    for line in text.splitlines():
        kept = [w for w in re.findall(r"\S+", line)
                if w.lower().strip(".,;:()") not in STOPWORDS or w.lower().strip(".,;:()") in _KEEP]
        if kept:
            lines.append(" ".join(kept))
    return "\n".join(lines)


def check(doc, ctx):
    for spec in doc.segments_of(SegmentKind.OUTPUT_SPEC):
        tokens = ctx.counter.count(spec.text)
        if tokens < int(ctx.options["min-tokens"]):
            continue
        compact = ctx.counter.count(compact_form(spec.text))
        yield ctx.report(doc, spec.span.__class__(spec.span.start, spec.span.start + len(spec.text.split("\n")[0])),
                         f"output spec '{spec.section}' is {tokens} tokens of prose; a compact schema or "
                         f"list of constraints would be about {compact}", tokens_saved=max(0, tokens - compact))
