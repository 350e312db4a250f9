"""An instruction that says "always X" in one place and "never X" (or "do not X") in another.

The model cannot follow both; it follows whichever it weighs more on that request, so behaviour
flips between runs. The two clauses are compared on their content words (lemmas), so "Always cite
your sources" and "Never cite sources" conflict, while "Always cite sources" and "Never invent
sources" do not. A clause that names its object with "this", "that", "these" or "those" ("Always
use this tool for image editing", in one tool's description) does not clash with one that names another
object ("Do not use the python tool for image editing"): they agree, each about its own tool. Two
clauses on one line are one instruction's contrast, not two instructions. Few-shot examples, code,
quoted and reference material, and `{% if %}` branches are skipped. The finding points at both places.

Bad:

    - Always include a summary table at the end.
    - ...
    - Never include a summary table.

Good:

    - Always include a summary table at the end.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..gates import requires
from ..lazyre import lazy_compile
from ._common import content_lemmas
from ._contradiction import in_jinja_branch, instruction_sentences, line_of

CODE = "PO604"
NAME = "always-never-conflict"
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS: dict = {}

_CLAUSE = lazy_compile(
    r"\b(?P<polarity>always|never|do\s+not|don't|must\s+not|mustn't|should\s+not|shouldn't)\s+"
    r"(?P<body>[^.;:!?\n]{3,80})",
    re.I, guard=True,
)
# every finding is a match of _CLAUSE in an instruction sentence (a part of the prompt's text)
GATE = requires(_CLAUSE)
_BODY_END = lazy_compile(r"\b(?:unless|except|but|when|if|because|so\s+that|without|instead)\b", re.I)
_WEAK = {"use", "make", "be", "do", "have", "get", "go", "say"}


_DEICTIC = lazy_compile(r"\b(?:this|that|these|those)\s+\w+", re.I)


def _same(a: frozenset, b: frozenset, a_text: str = "", b_text: str = "") -> bool:
    """Equal content words, or one clause with 3+ words that the other extends by a single word (unless
    the shorter one points at its own object: "this tool" against "the python tool")."""
    small, large = sorted((a, b), key=len)
    if a == b:
        return True
    if not (len(small) >= 3 and small < large and len(large) - len(small) == 1):
        return False
    shorter = a_text if len(a) < len(b) else b_text
    return not _DEICTIC.search(shorter)


def check(doc, ctx):
    seen: list[tuple[bool, frozenset, Span, str]] = []
    for span, text, _section in instruction_sentences(doc):
        if in_jinja_branch(doc, span):
            continue
        for m in _CLAUSE.finditer(text):
            positive = m.group("polarity").lower() == "always"
            body = _BODY_END.split(m.group("body"), 1)[0]
            key = content_lemmas(body)
            if len(key) < 2 or key <= _WEAK:
                continue
            here = Span(span.start + m.start(), span.start + m.start() + len(m.group(0)) - len(m.group("body"))
                        + len(body.rstrip()))
            clash = next((s for pos, k, s, b in seen if pos != positive and _same(k, key, b, body)
                          and line_of(doc, s) != line_of(doc, here)), None)
            if clash is not None:
                yield ctx.report(doc, here, f"'{doc.text[here.start:here.end]}' contradicts "
                                 f"'{doc.text[clash.start:clash.end]}' at line {line_of(doc, clash)}: keep one",
                                 tokens_saved=0, related=[clash])
            seen.append((positive, key, here, body))
