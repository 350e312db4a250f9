"""A template condition that is a constant: `{% if 'use_few_shot' %}` tests a string, not the flag.

A quoted name in a Jinja `if` is a string literal: a non-empty string is always true, so the block
always renders and the flag the author meant (`use_few_shot`) is never read; an empty string is always
false, so the block never renders. Either way the switch the template seems to offer does nothing, and
the model gets (or never gets) that text whatever the caller passes. Read: an `{% if %}` or
`{% elif %}` whose whole condition is one quoted string (with or without `not`), outside fenced code;
a literal inside a comparison or a test (`'json' in formats`, `mode == 'short'`) is a real test. It
has no fix: unquoting the name changes what renders when the caller does not pass the variable.

Bad (grader.jinja2):

    {% if 'use_few_shot' %}
    Example: "Paris is the capital of France." Score: 5
    {% endif %}

Good:

    {% if use_few_shot %}
    Example: "Paris is the capital of France." Score: 5
    {% endif %}
"""

from __future__ import annotations

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO706"
NAME = "constant-condition"
SEVERITY = Severity.WARNING
KIND = "risk"  # a switch that does nothing: text always (or never) sent, whatever the caller passes
OPTIONS: dict = {}

_CONSTANT_IF = lazy_compile(r"""\{%-?\s*(if|elif)\s+(not\s+)?(["'])([^"'\n]*)\3\s*-?%\}""")


def check(doc, ctx):
    if "{%" not in doc.text:
        return
    for m in _CONSTANT_IF.finditer(doc.text):
        span = Span(m.start(), m.end())
        if doc.in_code(span):
            continue
        literal, negated = m.group(4), bool(m.group(2))
        true = bool(literal) != negated
        what = f"the string {m.group(3)}{literal}{m.group(3)}, which is always {'true' if true else 'false'}"
        effect = "its block always renders" if true else "its block never renders"
        flag = "; test a variable or remove the branch"
        if literal.isidentifier():
            meant = f"{{% {m.group(1)} {m.group(2) or ''}{literal} %}}"
            flag = f" and the flag '{literal}' is never read; test the variable ({meant}) if that was meant"
        yield ctx.report(doc, span, f"'{m.group(0)}' tests {what}: {effect}{flag}", tokens_saved=0)
