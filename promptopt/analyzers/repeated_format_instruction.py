"""The output format is stated more than once.

"Only output Markdown." near the top, "Respond in Markdown." in the middle, "Use Markdown
formatting." at the end: one statement is enough. Flags every statement of the same format after
the first, outside examples and code. The fix (unsafe: the placement may matter) removes the later
statements when they are whole sentences.

Bad:

    Respond in JSON.
    ...
    Remember to format your answer as JSON.

Good:

    Respond in JSON.
"""

from __future__ import annotations

import re

from ..core import Applicability, Severity
from ..document import sentences
from ..lazyre import lazy_compile
from ._common import delete_unit, negated

CODE = "PO302"
NAME = "repeated-format-instruction"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.WARNING
FIXABLE = "unsafe"
_FORMAT = lazy_compile(
    r"\b(?:respond|reply|output|return|answer|format|write|give|provide|use)\b[^.\n]{0,40}?"
    r"\b(json|markdown|yaml|xml|csv|html|plain text|bullet(?:ed)? (?:points|list)|numbered list|table)\b",
    re.I,
)


def check(doc, ctx):
    first: dict[str, object] = {}
    for span, holder in sentences(doc):
        text = doc.text[span.start : span.end]
        m = _FORMAT.search(text)
        if not m or negated(text) or len(text.split()) > 20:
            continue
        fmt = m.group(1).lower().replace("bulleted", "bullet")
        if fmt not in first:
            first[fmt] = span
            continue
        line, _ = doc.line_col(doc.locate(first[fmt].start))
        yield ctx.report(doc, span, f"the {fmt} output format is already stated at line {line}",
                         edits=delete_unit(doc, span, holder), applicability=Applicability.UNSAFE,
                         fix_title="Remove the repeated format instruction", related=[first[fmt]])
