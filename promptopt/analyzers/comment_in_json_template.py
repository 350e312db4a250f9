"""`//` comments inside a JSON template of the answer: JSON has no comments.

Prompts show the JSON they want back and annotate its fields in place (`"chart_type": "",  // from
[CHART TYPE REFERENCE]`). The model copies the template, comments and all, often enough, and the
program's `json.loads` rejects the answer (or a lenient extractor drops it). Read: a run of JSON lines
(braces, brackets, `"key":` lines) with a `//` comment after a key's value (a `//` inside a string, a
URL, is text), in a prompt that asks for JSON. A template whose comments all stand on lines of their own
(`{ // one object per item }`, `// ...`) uses them as placeholders the model replaces with content, and
is left alone. A fence
labelled as JavaScript, TypeScript, JSONC or JSON5, and a prompt that allows comments in its JSON, are
left alone. One finding per template, naming every commented line. It has no fix: move the notes out of
the JSON (a list of fields below it) so the template is JSON the model can copy.

Bad:

    Return JSON of this shape:
    {
      "title": "",      // at most eight words
      "tags": []        // lower-case, from the list above
    }

Good:

    Return JSON of this shape:
    {
      "title": "",
      "tags": []
    }
    - title: at most eight words
    - tags: lower-case, from the list above
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO306"
NAME = "comment-in-json-template"
SEVERITY = Severity.WARNING
KIND = "risk"  # a copied comment makes the answer JSON a parser rejects
OPTIONS: dict = {}
# opt-in: 1 of 3 right held out (0 of 2 on the twelfth set: JSON shown as input to look for; docs/precision.md)
DEFAULT = False

# a line of a JSON document: a brace, a bracket, a quoted key or value, an ellipsis, a full-line comment
_JSON_LINE = lazy_compile(r"\s*(?:[{}\[\]\"]|\.\.\.|…|//)")
_KEY_LINE = lazy_compile(r"\s*\"[^\"\n]+\"\s*:")
_STRING = lazy_compile(r"\"(?:[^\"\\\n]|\\.)*\"")
_COMMENT = lazy_compile(r"(?:^|[\s,\[\]{}])//")
_ASKS_JSON = lazy_compile(r"\bjson\b", re.I)
_COMMENTS_ALLOWED = lazy_compile(r"\b(?:JSONC|JSON5)\b|comments? (?:are|is) (?:allowed|fine|ok)", re.I)
_JS_FENCE = lazy_compile(r"```[ \t]*(?:js|javascript|ts|typescript|jsonc|json5)\b", re.I)


def check(doc, ctx):
    text = doc.text
    if "//" not in text or not _ASKS_JSON.search(text) or _COMMENTS_ALLOWED.search(text):
        return
    offset = 0
    run: list[tuple[int, str]] = []  # (offset, line) of the current run of JSON lines
    for line in [*text.split("\n"), ""]:
        if line.strip() and _JSON_LINE.match(line):
            run.append((offset, line))
        else:
            yield from _report_run(doc, ctx, run)
            run = []
        offset += len(line) + 1


def _report_run(doc, ctx, run: list[tuple[int, str]]):
    commented = [(start, line) for start, line in run if _COMMENT.search(_STRING.sub('""', line))]
    if not any(_KEY_LINE.match(line) for _, line in commented):
        return  # no key carries a note: comments on lines of their own stand for content
    start, line = commented[0]
    span = Span(start, start + len(line))
    if doc.in_code(span) and _JS_FENCE.search(doc.text[max(0, doc.text.rfind("```", 0, start)) : start]):
        return  # a JavaScript or JSONC sample: comments are its syntax
    lines = [ctx.location(doc, Span(s, s + len(ln))).line for s, ln in commented]
    where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines[:6])) + (
        ", ..." if len(lines) > 6 else "")
    yield ctx.report(doc, span,
                     f"this JSON template carries `//` comments ({where}): JSON has no comments, and a model "
                     "that copies the template writes JSON a parser rejects; move the notes out of the JSON "
                     "(a list of fields below it)", tokens_saved=0)
