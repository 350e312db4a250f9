"""A template variable ahead of a long static part, which defeats prompt caching.

OpenAI and Anthropic cache an exact prompt prefix: everything before the first variable can be
cached (OpenAI from 1,024 tokens; Anthropic bills cached reads at 0.1x), everything after it
cannot. A variable near the top followed by `min-static-tokens` or more of fixed instructions makes
the whole prompt full price on every request. Move the variable parts to the end. Tokens saved is
0 (the tokens stay), but `promptopt cost` with caching on shows the dollars.

Bad:

    You are helping {{customer_name}}.
    ... 1,500 tokens of fixed policy ...

Good:

    ... 1,500 tokens of fixed policy ...
    You are helping {{customer_name}}.
"""

from __future__ import annotations

from ..core import Severity, Span

CODE = "PO502"
NAME = "cache-unfriendly-placeholder"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
OPTIONS = {"min-static-tokens": 300}


def check(doc, ctx):
    variables = [p for p in doc.placeholders if p.syntax != "jinja-comment" and p.name]
    if not variables:
        return
    first = variables[0]
    last_end = max(p.span.end for p in doc.placeholders)
    # the static text between the first variable and the last placeholder is what cannot be cached
    trailing_static = doc.text[first.span.end : last_end]
    for p in doc.placeholders:
        trailing_static = trailing_static.replace(p.raw, "")
    static_after = ctx.counter.count(doc.text[first.span.end :]) if len(variables) == 1 else ctx.counter.count(
        trailing_static)
    if static_after >= int(ctx.options["min-static-tokens"]):
        yield ctx.report(doc, Span(first.span.start, first.span.end),
                         f"{first.raw} comes before {static_after:,} tokens of static text: put variables last "
                         "so providers can cache the prefix", tokens_saved=0)
