"""The same instruction, sentence or bullet stated twice.

Prompts grow by patching: a rule gets added again further down when it seemed ignored. The model
reads it once; every request pays for it twice. The fix deletes the later copy (the first stays
where it was) and is safe: the prompt keeps every instruction it had.

Case, spacing, list markers and end punctuation are ignored when comparing. Text inside few-shot
examples and code blocks is data, not instructions, and is never compared. Sentences shorter than
`min-words` words ("Be concise.") are left alone only if they are headings or labels.

Bad:

    - Answer in English.
    - Cite your sources.
    - Answer in English.

Good:

    - Answer in English.
    - Cite your sources.
"""

from __future__ import annotations

from ..core import Severity, Span
from ..segment import sentences
from ._common import delete_unit, normalize
from ._common import whole_unit as _whole_unit

CODE = "PO101"
NAME = "duplicate-instruction"
SEVERITY = Severity.WARNING
FIXABLE = "safe"
OPTIONS = {"min-words": 3}


def check(doc, ctx):
    seen: dict[str, Span] = {}
    min_words = int(ctx.options["min-words"])
    for span, holder in sentences(doc):
        key = normalize(doc.text[span.start : span.end])
        if len(key.split()) < min_words or not any(c.isalpha() for c in key):
            continue
        if key.endswith(":") or doc.text[span.start : span.end].rstrip().endswith(":"):
            continue  # "Examples:" introduces a list under each section: a label, not an instruction
        if not _whole_unit(doc, span, holder):
            continue  # a sentence inside a longer bullet may apply to that bullet's own subject
        first = seen.get(key)
        if first is None:
            seen[key] = span
            continue
        first_line, _ = doc.line_col(doc.locate(first.start))
        edits = delete_unit(doc, span, holder)
        yield ctx.report(doc, span, f"duplicate of the instruction at line {first_line}: remove it",
                         edits=edits, fix_title="Remove the duplicate", related=[first])
