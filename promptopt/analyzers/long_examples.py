"""Few-shot examples that take most of the prompt.

Long worked examples (chain-of-thought solutions, full documents) are the largest single cost of
many prompts. When the examples take more than `max-share` of the prompt's tokens and at least
`min-tokens` tokens, consider fewer, shorter examples, or model-based compression of their
reasoning (`promptopt compress --method llmlingua`), and check with `promptopt eval`. Tokens saved
counts keeping only the `keep` shortest examples. No automatic fix.

Bad: eight 250-token worked solutions ahead of a one-line question.

Good: three short worked solutions, verified with an eval to score as well.
"""

from __future__ import annotations

from ..core import Severity, Span
from ._examples import examples

CODE = "PO206"
NAME = "long-examples"
SEVERITY = Severity.INFO
OPTIONS = {"max-share": 0.5, "min-tokens": 500, "keep": 3}


def check(doc, ctx):
    exs = examples(doc)
    if len(exs) < 2 or not ctx.doc_tokens:
        return
    counts = [ctx.counter.count(doc.text[ex.span.start : ex.span.end]) for ex in exs]
    total = sum(counts)
    share = total / ctx.doc_tokens
    if share <= float(ctx.options["max-share"]) or total < int(ctx.options["min-tokens"]):
        return
    keep = int(ctx.options["keep"])
    saved = total - sum(sorted(counts)[:keep]) if len(exs) > keep else 0
    span = Span(exs[0].span.start, exs[-1].span.end)
    yield ctx.report(doc, Span(exs[0].span.start, exs[0].span.start),
                     f"{len(exs)} examples take {total:,} of {ctx.doc_tokens:,} tokens ({share:.0%}); "
                     f"the {min(keep, len(exs))} shortest would cost {total - saved:,}",
                     tokens_saved=saved, related=[span])
