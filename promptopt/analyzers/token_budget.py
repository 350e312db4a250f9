"""A prompt over its token budget.

Every request pays for every token of the prompt. A budget (`token-budget` in the config, or this
rule's `budget` option) makes growth a decision instead of an accident; the pre-commit hook then
blocks a change that pushes a prompt over it. The overage is in the message; it is not a saving
(no fix removes it), so the finding claims none.

Bad: a system prompt that grew to 5,200 tokens with a 4,096 budget.

Good: the same prompt after `promptopt audit --fix`, at 3,900 tokens.
"""

from __future__ import annotations

from ..core import Severity, Span

CODE = "PO501"
NAME = "token-budget"
SEVERITY = Severity.ERROR
OPTIONS = {"budget": 4096}


def check(doc, ctx):
    budget = ctx.config.token_budget or int(ctx.options["budget"])
    if ctx.doc_tokens > budget:
        where = f" ({doc.name})" if doc.name else ""
        yield ctx.report(doc, Span(0, 0), f"prompt{where} is {ctx.doc_tokens:,} tokens, over its budget of "
                         f"{budget:,} ({ctx.doc_tokens - budget:,} over)", tokens_saved=0)
