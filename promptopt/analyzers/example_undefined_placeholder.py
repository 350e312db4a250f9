"""A placeholder inside a few-shot example that the template no longer provides.

Examples are usually literal. A `{{variable}}` in one that nothing else in the template uses, and
that the file's declared inputs (if any) do not define, is left over from an older version: at
render time it becomes empty text or an error. The template's runtime input is not one: a placeholder
that is the whole value of its line (`Entry: {{ diary_entry }}`) in the last record, where the user's
input goes after the examples, is the query even when an answer hint or a closing instruction follows it.

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
from ..lazyre import lazy_compile
from ..placeholders import block_variables
from ._examples import examples

CODE = "PO207"
NAME = "example-undefined-placeholder"
SEVERITY = Severity.WARNING
KIND = "risk"  # a placeholder nobody fills, sent as is: a defect


_LABEL = lazy_compile(r"^[ \t]*(?:[\w ]{1,30}:)?[ \t]*[\"'`<]*$")


def _whole_line_value(text: str, span) -> bool:
    """Is the placeholder all its line holds, but for a label before it (`Entry: {{ x }}`) and quotes?"""
    start = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.end)
    after = text[span.end : len(text) if end == -1 else end]
    return bool(_LABEL.match(text[start : span.start])) and not after.strip(" \t\"'`>.")


def check(doc, ctx):
    exs = examples(doc)
    if not exs:
        return
    inside = [p for p in doc.placeholders if p.name and any(e.span.contains(p.span) for e in exs)]
    if not inside:
        return
    outside = {p.name for p in doc.placeholders if p.name and not any(e.span.contains(p.span) for e in exs)}
    defined = outside | block_variables(doc.placeholders) | (doc.variables_defined or set())
    last = max(exs, key=lambda e: e.span.start)
    for p in inside:
        if p.name not in defined and not (last.span.contains(p.span) and _whole_line_value(doc.text, p.span)):
            yield ctx.report(doc, p.span, f"placeholder {p.raw} in an example is not used or defined elsewhere "
                             "in the template", tokens_saved=0)
