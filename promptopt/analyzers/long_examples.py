"""Few-shot examples that take most of the prompt.

Long worked examples (chain-of-thought solutions, full documents) are the largest single cost of
many prompts. When the examples take more than `max-share` of the prompt's tokens and at least
`min-tokens` tokens, consider fewer, shorter examples, or model-based compression of their
reasoning (`promptopt compress --method llmlingua`), and check with `promptopt eval`. Tokens saved
counts keeping only the `keep` shortest examples; the fix (unsafe: re-run your eval) does that,
keeping them in their original order.

Bad: eight 250-token worked solutions ahead of a one-line question.

Good: three short worked solutions, verified with an eval to score as well.
"""

from __future__ import annotations

from ..core import Applicability, Severity, Span
from ._examples import examples
from .duplicate_example import _delete_example

CODE = "PO206"
NAME = "long-examples"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
FIXABLE = "unsafe"
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
    shortest = set(sorted(range(len(exs)), key=lambda i: (counts[i], i))[:keep])
    drop = [ex for i, ex in enumerate(exs) if i not in shortest]
    saved = sum(counts[i] for i in range(len(exs)) if i not in shortest)
    span = Span(exs[0].span.start, exs[-1].span.end)
    yield ctx.report(doc, Span(exs[0].span.start, exs[0].span.start),
                     f"{len(exs)} examples take {total:,} of {ctx.doc_tokens:,} tokens ({share:.0%}); "
                     f"the {min(keep, len(exs))} shortest would cost {total - saved:,}",
                     edits=[_delete_example(doc, ex) for ex in drop] or None, tokens_saved=saved,
                     applicability=Applicability.UNSAFE, fix_scope="examples",
                     fix_title=f"Keep the {keep} shortest examples", related=[span])
