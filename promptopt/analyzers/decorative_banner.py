"""A decorative banner: a line that is only a row of `=`, `*`, `#`, `-`, `~` or `_` characters.

`==========` or `##########` separates nothing the model needs (a heading or a blank line already
does), and such rows tokenize badly: a 40-character row costs 5 to 20 tokens on every request.
Rows of 5 or more characters are flagged. A setext heading underline (a row right under a line of
text), the `---` of front matter and a `---` horizontal rule (3 or 4 characters) are structure, not
decoration, and are left alone; so is anything in a code block. The safe fix deletes the line.

Bad:

    ==================================================
    You are a meticulous copy editor.
    ==================================================

Good:

    You are a meticulous copy editor.
"""

from __future__ import annotations

import re

from ..core import Edit, SegmentKind, Severity, Span
from ..lazyre import lazy_compile

CODE = "PO904"
NAME = "decorative-banner"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
FIXABLE = "safe"
OPTIONS = {"min-length": 5}

_ROW = lazy_compile(r"^[ \t]*(?:([=*#~_-])(?:[ \t]?\1){4,})[ \t]*$", re.M)


def check(doc, ctx):
    min_length = int(ctx.options["min-length"])
    text = doc.text
    front = [s.span for s in doc.segments_of(SegmentKind.FRONT_MATTER)]
    for m in _ROW.finditer(text):
        span = Span(m.start(), m.end())
        row = m.group(0).strip()
        if len(row.replace(" ", "").replace("\t", "")) < min_length:
            continue
        if doc.in_code(span) or any(f.overlaps(span) for f in front) or doc.in_example(span):
            continue
        if _next_to_placeholder(doc, span):
            continue  # a row next to a template variable delimits the inserted data
        if row[0] in "=-" and _setext_underline(text, m.start()):
            continue  # setext heading underline: structure
        end = m.end() + 1 if m.end() < len(text) else m.end()
        start = m.start()
        if end == m.end() and start > 0:
            start -= 1  # the last line: take the newline before it instead
        yield ctx.report(doc, span, f"decorative banner '{row[:12]}{'…' if len(row) > 12 else ''}' costs tokens "
                         "and instructs nothing: delete the line", edits=[Edit(Span(start, end), "")],
                         fix_title="Delete the banner line")


def _next_to_placeholder(doc, span: Span) -> bool:
    text = doc.text
    above_start = text.rfind("\n", 0, max(span.start - 1, 0)) + 1
    below_end = text.find("\n", span.end + 1)
    below_end = len(text) if below_end == -1 else below_end
    around = [Span(above_start, span.start), Span(min(span.end + 1, len(text)), below_end)]
    return any(p.span.overlaps(a) for p in doc.placeholders for a in around)


def _setext_underline(text: str, start: int) -> bool:
    """A row right under a line of text, unless a row above that line frames it as a banner."""
    if start == 0 or text[:start].endswith("\n\n"):
        return False
    above = text[: start - 1].split("\n")
    heading = above[-1] if above else ""
    if not heading.strip() or _ROW.match(heading):
        return False
    return not (len(above) >= 2 and _ROW.match(above[-2]))
