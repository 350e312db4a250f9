"""A placeholder inside a few-shot example that the template no longer provides.

Examples are usually literal. A `{{variable}}` in one that nothing else in the template uses, and
that the file's declared inputs (if any) do not define, is left over from an older version: at
render time it becomes empty text or an error. The template's runtime input is not one: a placeholder
that is the whole value of its line (`Entry: {{ diary_entry }}`) in the last record, where the user's
input goes after the examples, is the query even when an answer hint or a closing instruction follows it.
A placeholder named after its own line's label (`Answer: ${Answer}`, `Summary: {{summary}}`) is a slot in
a format description, the shape of the field, not an example's leftover value. In a `str.format`
template (one with single-brace `{slots}` and no Jinja tags), `{{name}}` is an escape that renders as
`{name}` (an f-string's field in example code), not a placeholder.

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
DEFAULT = False  # opt-in: 0 of 3 right on prompts nobody tuned for (held out, all rounds)
KIND = "risk"  # a placeholder nobody fills, sent as is: a defect


_LABEL = lazy_compile(r"^[ \t]*(?:[\w ]{1,30}:)?[ \t]*[\"'`<]*$")
# the label that opens a placeholder's line (`Answer: `), with what stands between it and the slot
_LINE_LABEL = lazy_compile(r"^[ \t]*[-*]?[ \t]*([A-Za-z][\w ]{0,30}?)[ \t]*:[ \t]*[\"'`<$]*$")


def _slot_of_its_label(text: str, p) -> bool:
    """Is the placeholder named after its line's label (`Answer: ${Answer}`): a format slot?"""
    start = text.rfind("\n", 0, p.span.start) + 1
    m = _LINE_LABEL.match(text[start : p.span.start])
    return bool(m) and _norm(m.group(1)) == _norm(p.name)


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace(" ", "")


def _whole_line_value(text: str, span) -> bool:
    """Is the placeholder all its line holds, but for a label before it (`Entry: {{ x }}`) and quotes?"""
    start = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.end)
    after = text[span.end : len(text) if end == -1 else end]
    return bool(_LABEL.match(text[start : span.start])) and not after.strip(" \t\"'`>.")


def _format_template(doc) -> bool:
    """Single-brace `{slots}` outside the doubled braces and no Jinja tags: `.format` fills this text, so
    its `{{x}}` are escapes."""
    if any(p.syntax in ("jinja-block", "jinja-comment") for p in doc.placeholders):
        return False
    from ..placeholders import _FORMAT_FIELD

    return any(not any(p.span.start <= m.start() < p.span.end for p in doc.placeholders)
               for m in _FORMAT_FIELD.finditer(doc.text))


def check(doc, ctx):
    exs = examples(doc)
    if not exs:
        return
    inside = [p for p in doc.placeholders if p.name and any(e.span.contains(p.span) for e in exs)]
    if inside and any(p.syntax == "jinja" for p in inside) and _format_template(doc):
        inside = [p for p in inside if p.syntax != "jinja"]  # `{{x}}` escapes of a `.format` template
    if not inside:
        return
    outside = {p.name for p in doc.placeholders if p.name and not any(e.span.contains(p.span) for e in exs)}
    defined = outside | block_variables(doc.placeholders) | (doc.variables_defined or set())
    last = max(exs, key=lambda e: e.span.start)
    for p in inside:
        if p.name in defined or _slot_of_its_label(doc.text, p):
            continue
        if not (last.span.contains(p.span) and _whole_line_value(doc.text, p.span)):
            yield ctx.report(doc, p.span, f"placeholder {p.raw} in an example is not used or defined elsewhere "
                             "in the template", tokens_saved=0)
