"""A list announced with a count that its items do not match: "There are four types of guarantees:"
and then nineteen numbered items.

Lists grow and shrink by editing and the sentence that counts them is forgotten. The model is told two
things at once: when it is asked to use "the four types" it may stop at four, or invent a grouping that
makes nineteen into four. Read: a line ending with a counted announcement ("there are", "the following",
"these", "here are", "include" + a number + a noun + ":") and the list right after it, counting only
the items at the first item's indentation (sub-items are not counted). Pasted material (a section that
barely instructs, such as a book summary quoting its own lists) is the source's business and is skipped.
It has no fix: correct the count
or the list.

Bad:

    There are three kinds of refund:
    1. Full refund
    2. Partial refund
    3. Store credit
    4. Exchange

Good:

    There are four kinds of refund:
    1. Full refund
    2. Partial refund
    3. Store credit
    4. Exchange
"""

from __future__ import annotations

import re

from ..core import SegmentKind, Severity, Span
from ..gates import finditer, folded_text, requires
from ..lazyre import lazy_compile
from ..segment import LIST_LINE
from .embedded_material import instructing_share

CODE = "PO607"
NAME = "count-mismatch"
SEVERITY = Severity.WARNING
KIND = "risk"  # a self-contradicting list: a quality risk, not a token saving
OPTIONS: dict = {}

_WORDS = "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen " \
         "eighteen nineteen twenty".split()
_NUMBER = {word: n for n, word in enumerate(_WORDS, start=2)}
_ANNOUNCED = lazy_compile(
    r"\b(?:there are|the following|these|here are|following|includes?)\s+(?P<n>\d{1,2}|" + "|".join(_WORDS)
    + r")\s+[a-z][a-z-]*(?: [a-z-]+)?\b[^\n:]{0,60}:[ \t]*$", re.I | re.M, guard=True)
# every finding is a match of _ANNOUNCED in the prompt's text
GATE = requires(_ANNOUNCED)


def check(doc, ctx):
    text = doc.text
    for m in finditer(_ANNOUNCED, text, folded_text(doc)):  # = _ANNOUNCED.finditer(text)
        span = Span(m.start(), m.end())
        if doc.in_code(span) or doc.in_example(span) or _in_material(doc, span):
            continue
        word = m.group("n").lower()
        announced = int(word) if word.isdigit() else _NUMBER[word]
        listed = _top_level_items(text[m.end() + 1 :])
        if listed >= 2 and listed != announced:
            what = text[m.start("n") : m.end()].strip().rstrip(":")
            yield ctx.report(doc, span,
                             f"announces \"{what}\" but the list below has {listed} items: correct the count "
                             "or the list", tokens_saved=0)


def _top_level_items(following: str) -> int:
    """The items of the list that starts on the next line, at its first item's indentation."""
    indent, count = None, 0
    for line in following.split("\n"):
        if not line.strip():
            if count:
                break
            continue
        item = LIST_LINE.match(line)
        if item:
            indent = len(item.group(1)) if indent is None else indent
            count += len(item.group(1)) == indent
        elif indent is None or not line.startswith(" " * (indent + 1)):
            break
    return count


_MATERIAL_SHARE = 0.25  # as PO503: a long section whose lines barely instruct is pasted material
_MATERIAL_LINES = 15  # a short list of definitions under an instruction is not material


def _in_material(doc, span: Span) -> bool:
    """Whether the heading section around `span` reads as pasted material rather than instructions."""
    starts = sorted({0, *(h.span.start for h in doc.segments_of(SegmentKind.HEADING))})
    start = max(s for s in starts if s <= span.start)
    end = min([s for s in starts if s > span.start] + [len(doc.text)])
    section = doc.text[start:end]
    long_enough = sum(1 for line in section.split("\n") if line.strip()) >= _MATERIAL_LINES
    return long_enough and instructing_share(section) < _MATERIAL_SHARE
