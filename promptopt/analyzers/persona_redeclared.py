"""Two different personas: "You are a travel agent." and further down "You are a senior lawyer."

A prompt assembled from pieces often keeps the role line of each piece. The model gets two
identities and mixes their voice, scope and refusals; every request pays for both. Flagged: two
sentences that open with "You are a/an/the ..." or "Act as a/an ..." in different paragraphs, naming
different roles, when the second does not say "also". The same role said twice is a duplicate, not
a conflict (see PO101), and so is the same role in other words ("an expert evaluator", then "a judge on
task completion": evaluator, judge, grader and rater are one role; so are writer and editor, tutor and
teacher, developer and engineer). Few-shot examples and code are skipped, and so is a persona that stands
after a data label on its line ("Input: ...", "Text: ...", "Example input: ..."), or after the label
line of an input ("Input:" alone above it), or inside quotes: that is an example's input text, data the
prompt shows, not a second persona. The finding points at both places.

Bad:

    You are a friendly travel agent who plans trips.

    Ask for the dates and the budget first.

    You are a senior tax lawyer.

Good:

    You are a friendly travel agent who plans trips.
"""

from __future__ import annotations

import re

from ..core import Severity
from ..lazyre import lazy_compile
from ._contradiction import in_jinja_branch, instruction_sentences, line_of

CODE = "PO603"
NAME = "persona-redeclared"
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS: dict = {}
DEFAULT = False  # opt-in: 1 of 9 right on prompts nobody tuned for (held-out sets 2-5, docs/precision.md)

_PERSONA = lazy_compile(
    r"^(?:\W*)(?:you\s+are|you're|act\s+as|i\s+want\s+you\s+to\s+act\s+as|pretend\s+to\s+be)\s+"
    r"(?!also\b|now\b)(?:a|an|the|my|our)\s+(?P<role>[^.,;:!?\n()]{3,80}?)"
    r"(?=\s+(?:who|that|which|with|in|at|for|from|of|on|and|to|specialized|specializing|tasked|responsible)\b"
    r"|[.,;:!?(\n]|$)",
    re.I,
)
_GENERIC_HEADS = {"assistant", "ai", "model", "expert", "helper", "bot", "chatbot", "agent", "system", "llm"}
# one role in other words: "an expert evaluator" and "a judge on task completion" both grade
_SAME_ROLE = ({"evaluator", "judge", "grader", "assessor", "rater", "scorer", "reviewer", "critic", "annotator",
               "examiner", "verifier", "checker"},
              {"writer", "copywriter", "author", "editor", "proofreader"},
              {"translator", "interpreter", "localizer"},
              {"tutor", "teacher", "instructor", "coach", "mentor", "educator"},
              {"programmer", "developer", "engineer", "coder"})


def _same_role(head: str, other: str) -> bool:
    return any(head in group and other in group for group in _SAME_ROLE)


def _head(role: str) -> str:
    words = re.findall(r"[a-z][a-z-]*", role.lower())
    return words[-1] if words else ""


# "Input:", "Example input:", "Text:", "User:", "Q:": a label whose value is data
_DATA_LABEL = lazy_compile(
    r"^\W*(?:(?:example|sample)\s*\d*\s*)?(?:input|text|passage|query|question|q|user|human|message|prompt|"
    r"document|excerpt|sentence|review|original|request|example|sample)(?:\s+\w+)?\s*\d*\W*:", re.I)


def _in_data(doc, span) -> bool:
    """Does the sentence stand after a data label on its line, or right under a label line, or in quotes?"""
    line_start = doc.text.rfind("\n", 0, span.start) + 1
    before = doc.text[line_start : span.start]
    if _DATA_LABEL.match(before) or before.count('"') % 2 or before.count("\u201c") > before.count("\u201d"):
        return True
    above = doc.text[:line_start].rstrip("\n ").rsplit("\n", 1)[-1]
    return bool(_DATA_LABEL.match(above)) and above.rstrip().endswith(":")


def check(doc, ctx):
    first = None  # (role, head, span, paragraph start)
    for span, text, _section in instruction_sentences(doc):
        m = _PERSONA.match(text)
        if not m or in_jinja_branch(doc, span) or _in_data(doc, span):
            continue
        role = m.group("role").strip()
        head = _head(role)
        paragraph = doc.text.rfind("\n\n", 0, span.start)
        here = type(span)(span.start, span.start + m.end("role"))
        if first is None:
            first = (role, head, here, paragraph)
            continue
        same_paragraph = paragraph == first[3]
        if (same_paragraph or head == first[1] or (head in _GENERIC_HEADS and first[1] in _GENERIC_HEADS)
                or _same_role(head, first[1])):
            continue
        if role.lower() in first[0].lower() or first[0].lower() in role.lower():
            continue
        yield ctx.report(doc, here, f"persona '{role}' contradicts '{first[0]}' declared at line "
                         f"{line_of(doc, first[2])}: keep one role", tokens_saved=0, related=[first[2]])
