"""A format announced and never given: "answer in the following format:" and then no format.

Prompts are edited by cutting: the format block goes, the sentence announcing it stays. The model is
then told to follow a format it never sees, and improvises one per request. Flagged: a line that ends
by announcing a format or a list to follow ("in the following format:", "in the given format:", "as
follows:", "the following parts:") when what follows is not one: the prompt ends, or the next line is
ordinary prose (a sentence, not a list item, a `key: value` line, a code fence, a tag, a placeholder,
a fill-in template with blanks `____`, or a heading). "As follows:" announces a format only in a sentence that
speaks of the answer (format, respond, output, return, structure...): "the grader evaluates as follows:"
announces cases, and prose stating them is what it promised (the prompt ending right after it is still
a missing list). A string kept in code or config (a Python constant,
a YAML value) that ends with the announcement is a prefix the program continues (`DESCRIPTION_PREFIX`
+ the tool list): only "plain prose follows" counts there. It has no fix: only the author knows the
format that was meant.

Bad:

    Your output should include three parts in the given format:

    You can only take one action at a time.

Good:

    Your output should include three parts in the given format:
    Observation: <what you see>
    Thought: <what to do next>
    Action: <the function call>
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..gates import finditer, folded_text, requires
from ..lazyre import lazy_compile
from ..segment import heading_title

CODE = "PO304"
NAME = "announced-format-missing"
SEVERITY = Severity.WARNING
KIND = "risk"  # a defect in the output spec, not a waste of tokens
OPTIONS: dict = {}

_ANNOUNCES = lazy_compile(
    r"\b(?:in|using|with|follow(?:ing)?)\s+(?:the|this)\s+(?:following|given|below|format below)\s+"
    r"(?:format|structure|template|form|schema|parts|sections|fields)\s*:\s*$"
    r"|\b(?:as follows|the following (?:format|structure|template|parts|sections|fields))\s*:\s*$",
    re.I | re.M, guard=True,
)
# every finding is a match of _ANNOUNCES in the prompt's text
GATE = requires(_ANNOUNCES)
# what a format looks like: a list item, `key: value`, a fence, a tag, a placeholder, JSON, a table
_ASSEMBLED_BY_CODE = {"python", "yaml"}
_ABOUT_OUTPUT = lazy_compile(r"\b(?:format\w*|respon\w+|reply|replies|answer\w*|output\w*|return\w*|structur\w*|"
                             r"template|schema|write|print|emit)\b", re.I)
_FORMAT_LINE = lazy_compile(r"^\s*(?:[-*+•]|\d{1,3}[.)]|`{3}|~{3}|<|\{|\[|\||[\w .'/()-]{1,40}:|#)")


def check(doc, ctx):
    text = doc.text
    for m in finditer(_ANNOUNCES, text, folded_text(doc)):  # = _ANNOUNCES.finditer(text)
        span = Span(m.start(), m.end())
        if doc.in_code(span) or doc.in_example(span):
            continue
        following = _next_line(text, m.end())
        line_start = text.rfind("\n", 0, m.start()) + 1
        sentence_start = max(line_start, *(text.rfind(end, line_start, m.start()) + 2 for end in (". ", "! ", "? ")))
        if (following is not None and "follows" in m.group(0).lower()
                and not _ABOUT_OUTPUT.search(text[sentence_start : m.end()])):
            continue  # "evaluates as follows:" and then prose: the cases it announces may well be that prose
        if following is None and doc.format in _ASSEMBLED_BY_CODE:
            continue  # the program appends what follows
        if following is not None and (_FORMAT_LINE.match(following) or heading_title(following) is not None
                                      or not _is_prose(following)):
            continue  # a format follows (or something that is not a plain sentence: leave it)
        line_start = text.rfind("\n", 0, m.start()) + 1
        what = "the prompt ends" if following is None else "plain prose follows"
        yield ctx.report(doc, Span(line_start, m.end()),
                         f"announces a format ('{m.group(0).strip()}') but {what}: the format is not where "
                         "the sentence points; put it there or drop the announcement", tokens_saved=0)


def _next_line(text: str, pos: int) -> str | None:
    """The next non-blank line after `pos`, or None at the end of the prompt."""
    for line in text[pos:].split("\n")[1:]:
        if line.strip():
            return line
    return None


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    if re.search(r"__|[{}\[\]<>]", stripped):
        return False  # "I speak with ____.": a fill-in template is a format
    return bool(re.match(r"[A-Z][a-z]", stripped)) and len(stripped.split()) >= 5
