"""A prompt that asks about an input its sibling template renders and it never does.

Templates kept side by side for one task (a per-chunk and a whole-document variant, a draft and a
merge step) are often copied from one another; when the copy keeps the line "answer the user's
question about the content" but loses the `{question}` placeholder, the model is asked about a question
it never sees, and it answers one it invents. Read: prompts of one file; a line (six words or more,
no placeholder) that two of them share word for word and that names an input with an article or a
possessive ("a user question", "the user's question"), where one prompt renders that input
(`{question}`, `{{ question }}`) and the other renders no variable of that name. Only the inputs that say
what to do (a question, query, request, instruction, task, goal or objective): a prompt may stand in for
a report with one page of it, but nothing stands in for the question. "The following code"
points at text in the prompt itself, not at an input. One finding per prompt and input, at the shared
line. It has no fix: where the input goes is the author's choice.

Bad (answer_prompts.py):

    CHUNK_TEMPLATE = \"\"\"
    You read one page of a long report at a time.
    Answer the user's question about the report using only this page.
    Page {page_no}: {page}
    \"\"\"

    WHOLE_TEMPLATE = \"\"\"
    Answer the user's question about the report using only this page.
    Question: {question}
    Report: {report}
    \"\"\"

Good: `Question: {question}` in CHUNK_TEMPLATE as well.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO708"
NAME = "sibling-input-missing"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model is asked about an input it never receives
OPTIONS: dict = {}
DEFAULT = False  # opt-in: written from one package; 0 of 6 right on another (smolagents, docs/precision.md)

# the inputs that say what to do: without them there is nothing to answer (a page of a report stands in
# for the report; nothing stands in for the question)
_REQUEST = lazy_compile(r"(?:^|_)(?:questions?|quer(?:y|ies)|requests?|instructions?|task|goal|objective)$", re.I)
_LONG_LINE = lazy_compile(r"^[ \t]*([^\n{}]*\S)[ \t]*$", re.M)


def check(doc, ctx):
    siblings = [s for s in doc.siblings or () if s is not doc and s.name != doc.name]
    names = _names(doc)
    if not siblings or not names:
        return
    lines = {m.group(1): m.start(1) for m in _LONG_LINE.finditer(doc.text) if len(m.group(1).split()) >= 6}
    reported: set[str] = set()
    # the closest copy first: the sibling that shares the most lines
    siblings = [s for s in siblings if not _names(s) <= names]
    siblings.sort(key=lambda s: -sum(line in lines for line in _lines_of(s)))
    for sibling in siblings:
        missing = _names(sibling) - names
        if not missing:
            continue
        shared = [line for line in _lines_of(sibling) if line in lines]
        for name in sorted(missing):
            words = name.replace("_", " ").lower()
            if (name in reported or not _REQUEST.search(name)
                    or any(words in n.replace("_", " ").lower() for n in names)):
                continue
            asks = _asks_for(words)
            line = next((line for line in shared if asks.search(line)), None)
            if line is None:
                continue
            reported.add(name)
            start = lines[line]
            yield ctx.report(doc, Span(start, start + len(line)),
                             f"this prompt asks about the {words} (in the same words as {sibling.name}) but never "
                             f"renders {{{name}}}, which {sibling.name} renders: the model is asked about an input it "
                             "never sees; add the placeholder", tokens_saved=0)


def _names(doc) -> set[str]:
    return {p.name for p in doc.placeholders if p.name and p.syntax not in ("jinja-block", "jinja-comment")}


def _lines_of(doc) -> list[str]:
    return doc.memo("long-lines", lambda d: [m.group(1) for m in _LONG_LINE.finditer(d.text)
                                             if len(m.group(1).split()) >= 6])


def _asks_for(words: str) -> re.Pattern:
    """The input named with an article or a possessive ("a user question", "the user's question"), not
    "the following code" (text the prompt itself shows)."""
    phrase = r"\s+".join(re.escape(w) for w in words.split())
    return re.compile(rf"(?<![\w-])(?:a|an|the|your|their|user'?s?|given)\s+(?:(?!following\b)[\w'-]+\s+)?"
                      rf"(?<!following ){phrase}s?\b", re.I)
