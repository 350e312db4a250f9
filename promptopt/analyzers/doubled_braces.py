"""The doubled braces of a `str.format` template left in text the model receives: `{{"name": "Ann"}}`.

In Python, `"...".format()` turns `{{` into `{`, so JSON inside a format template is written with
doubled braces. Copied into a prompt file that is sent as written (Markdown, text, YAML, a prompty or
Jinja file, where `{{` even starts an expression), the doubles reach the model, which copies them into
its JSON, or break the template. Read: `{{` that opens a JSON object (a quoted key and a colon follow)
in a prompt that is not a Python string; Python modules are left alone, since the program may format
them. One finding per block, with an unsafe fix that halves every doubled brace of the block.

Opt-in (off by default): the linter cannot know how a file is rendered. Many prompt files are loaded
by a program that calls `str.format` on them, and there `{{ }}` is the correct escape; readers judged
12 of 12 such findings on untuned packages wrong. A file that has single-brace `str.format` placeholders
(`{document}`) beside its doubled braces is a format template and is never flagged, even when selected.

Bad:

    Return the customer record as JSON, for example:

    {{"name": "Ann Lee", "plan": "pro", "seats": 4}}

Good:

    Return the customer record as JSON, for example:

    {"name": "Ann Lee", "plan": "pro", "seats": 4}
"""

from __future__ import annotations

from ..core import Applicability, Edit, Severity, Span
from ..document import document_model
from ..lazyre import lazy_compile

CODE = "PO705"
NAME = "doubled-braces"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model copies the doubled braces into its JSON
FIXABLE = "unsafe"
OPTIONS: dict = {}
DEFAULT = False  # opt-in: the file may be rendered with str.format, where `{{` is right (docs/precision.md)

_JSON_OPEN = lazy_compile(r"\{\{\s*\"[^\"\n]{1,60}\"\s*:")
_DOUBLE = lazy_compile(r"\{\{|\}\}")
_FORMAT_FIELD = lazy_compile(r"\{[A-Za-z_]\w*(?:\.\w+|\[\w+\])*(?:![rsa])?(?::[^{}\n]{0,12})?\}")


def check(doc, ctx):
    if doc.format == "python" or "{{" not in doc.text or _FORMAT_FIELD.search(_DOUBLE.sub("", doc.text)):
        return  # single-brace fields beside the doubles: a str.format template, where `{{` is the escape
    model = document_model(doc)
    reported: set[int] = set()
    for m in _JSON_OPEN.finditer(doc.text):
        block = model.block_at(m.start())
        span = block.span if block is not None else Span(m.start(), m.end())
        if span.start in reported:
            continue
        reported.add(span.start)
        doubles = list(_DOUBLE.finditer(doc.text, span.start, span.end))
        edits = [Edit(Span(d.start(), d.end()), d.group(0)[0]) for d in doubles]
        yield ctx.report(doc, Span(m.start(), m.start() + 2),
                         f"{len(doubles)} doubled braces ({{{{ }}}}) of a str.format template reach the model "
                         "as written here: write single braces", edits=edits, applicability=Applicability.UNSAFE,
                         fix_title="Halve the doubled braces", tokens_saved=0)
