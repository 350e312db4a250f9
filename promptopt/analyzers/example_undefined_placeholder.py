"""A placeholder inside a few-shot example that the template no longer provides.

Examples are usually literal. A `{{variable}}` in one that nothing else in the template uses, and
that the file's declared inputs (if any) do not define, is left over from an older version: at
render time it becomes empty text or an error.

Bad:

    Input: {{old_field}} wants a refund
    Output: refund
    Input: Where is my parcel?
    Output: other

Good:

    Input: Ann wants a refund
    Output: refund
    Input: Where is my parcel?
    Output: other
"""

from __future__ import annotations

from ..core import Severity
from ..placeholders import block_variables
from ._examples import examples

CODE = "PO207"
NAME = "example-undefined-placeholder"
SEVERITY = Severity.WARNING
KIND = "risk"  # a placeholder nobody fills, sent as is: a defect


def check(doc, ctx):
    exs = examples(doc)
    if not exs:
        return
    inside = [p for p in doc.placeholders if p.name and any(e.span.contains(p.span) for e in exs)]
    if not inside:
        return
    outside = {p.name for p in doc.placeholders if p.name and not any(e.span.contains(p.span) for e in exs)}
    defined = outside | block_variables(doc.placeholders) | (doc.variables_defined or set())
    for p in inside:
        if p.name not in defined:
            yield ctx.report(doc, p.span, f"placeholder {p.raw} in an example is not used or defined elsewhere "
                             "in the template", tokens_saved=0)
