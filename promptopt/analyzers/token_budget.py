"""A prompt over its token budget.

Every request pays for every token of the prompt. A budget (`token-budget` in the config, or this
rule's `budget` option) makes growth a decision instead of an accident; the pre-commit hook then
blocks a change that pushes a prompt over it. Only a budget the project sets is checked: with none,
the rule is silent. (It had a default of 8,192 tokens; readers of prompts nobody tuned for judged
that figure arbitrary every time it fired without waste beside it, and the pasted material such
prompts carry is PO503's finding, with its levers.) The message names the largest section, or the
largest run of examples or reference material the document model finds (whole, so a bold line inside
a sample does not cut the span short), where the material usually is. The overage is not a saving
(no fix removes it), so the finding claims none.

Bad (prompt.md, with token-budget = 4000 in the config; the line marked × 800 stands for 800 lines of
pasted theme source):

    You answer questions about our documentation site.
    # Reference
    .nav-bar { display: flex; padding: 0 24px; border-bottom: 1px solid var(--divider); } (× 800)

Good: the rules the prompt needs, with the material trimmed or fetched when a request needs it.
"""

from __future__ import annotations

import re

from ..core import SegmentKind, Severity, Span
from ..document import DATA_ROLES, document_model

CODE = "PO501"
NAME = "token-budget"
SEVERITY = Severity.ERROR
OPTIONS = {"budget": 0}  # 0: no budget; only one the project sets is checked


def check(doc, ctx):
    budget = ctx.config.token_budget or ctx.options["budget"]
    if budget and ctx.doc_tokens > budget:
        where = f" ({doc.name})" if doc.name else ""
        message = (f"prompt{where} is {ctx.doc_tokens:,} tokens, over its budget "
                   f"of {budget:,} ({ctx.doc_tokens - budget:,} over)")
        largest = _largest_section(doc, ctx)
        if largest is not None:
            span, tokens = largest
            first, last = _line(doc, span.start), _line(doc, max(span.start, span.end - 1))
            message += f"; lines {first}-{last} hold {tokens:,} of them ({tokens / ctx.doc_tokens:.0%})"
        yield ctx.report(doc, Span(0, 0), message, tokens_saved=0)


def _largest_section(doc, ctx) -> tuple[Span, int] | None:
    """The heading section (or, with no headings, the paragraph), or the run of examples, reference
    material or noise (whole: a bold line inside a sample does not cut it), with the most tokens, if it
    holds at least half the prompt."""
    starts = [s.span.start for s in doc.segments_of(SegmentKind.HEADING)]
    if not starts:
        starts = [0] + [m.end() for m in re.finditer(r"\n\s*\n", doc.text)]
    bounds = sorted(set([0, *starts])) + [len(doc.text)]
    candidates = list(zip(bounds, bounds[1:], strict=False))
    candidates += [(span.start, span.end) for span in document_model(doc).spans(*DATA_ROLES)]
    best = None
    for start, end in candidates:
        tokens = ctx.counter.count(doc.text[start:end])
        if best is None or tokens > best[1]:
            best = (Span(start, end), tokens)
    return best if best and best[1] * 2 >= ctx.doc_tokens else None


def _line(doc, offset: int) -> int:
    return doc.line_col(doc.locate(offset))[0]
