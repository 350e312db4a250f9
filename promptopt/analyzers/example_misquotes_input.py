"""A worked example whose solution misquotes a number from its own question, then computes with the
question's number anyway: "scores 8 3-pointers" in the question, "His team scores 6 3-pointers,
meaning they scored 8*3 = 24" in the answer.

Chain-of-thought prompts teach by their worked examples, and models copy the reasoning as well as the
format: an example that restates a fact wrongly teaches careless restating. Read: in each few-shot
example, a quantity stated in the input ("8 3 pointers", "30 highlighter pens") and a line of the
answer that states the same thing with another number (not a result: "= 13 oranges" is computed) while
that line's arithmetic, after it, uses the input's number and not the restated one (a number stated after
the arithmetic is its result: "(10 - 3) / 2 ... 3.5 years"). It has no fix: correct the
restated number.

Bad:

    Question: A team scores 25 2 pointers and 8 3 pointers. How many points is that?
    Let's think step by step
    The team scores 25 2 pointers, meaning 25*2 = 50 points.
    It also scores 6 3 pointers, meaning 8*3 = 24 points.
    The answer is 74

    Question: Ann has 4 apples and buys 3 more. How many apples does she have?
    Let's think step by step
    She has 4 apples, and 4+3 = 7.
    The answer is 7

Good: the same examples, with "It also scores 8 3 pointers" in the first.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile
from ._examples import examples

CODE = "PO210"
NAME = "example-misquotes-input"
SEVERITY = Severity.WARNING
KIND = "risk"  # a reasoning error in a worked example: a quality risk, not a token saving
OPTIONS: dict = {}

# a number and the two words after it: "8 3 pointers", "30 highlighter pens"
_QUANTITY = lazy_compile(r"(?<![\w.$=*/+-])(\d+(?:\.\d+)?)\s+([A-Za-z0-9][\w-]*\s+[A-Za-z][\w-]*)")
# the operands of an arithmetic expression on the line: "8*3", "25 x 2", "12 / 4"
_RESULT_BEFORE = lazy_compile(r"[=*x×/+-]\s*\$?$")
_OPERAND_AFTER = lazy_compile(r"^[\w\s/]{0,24}?\s[*x×/+-]\s*\$?\d")
_OPERAND = lazy_compile(r"(\d+(?:\.\d+)?)\s*[*x×/+-]\s*(?=\d)|(?<=[*x×/+-])\s*(\d+(?:\.\d+)?)")


def check(doc, ctx):
    for ex in examples(doc):
        inp, out = ex.parts.get("input"), ex.parts.get("output")
        if inp is None or out is None:
            continue
        stated: dict[str, set[str]] = {}
        for m in _QUANTITY.finditer(doc.text[inp.start : inp.end]):
            stated.setdefault(m.group(2).lower(), set()).add(m.group(1))
        pos = out.start
        for line in doc.text[out.start : out.end].split("\n"):
            operands = {a or b for a, b in _OPERAND.findall(line)}
            for m in _QUANTITY.finditer(line):
                number, thing = m.group(1), m.group(2).lower()
                given = stated.get(thing, set())
                if _computed(line, m) or not given or number in given or number in operands:
                    continue
                used_after = given & {a or b for a, b in _OPERAND.findall(line[m.end():])}
                if not used_after:  # the arithmetic came first: the number is its result, not a restatement
                    continue
                quoted = sorted(used_after)[0]
                yield ctx.report(doc, Span(pos + m.start(), pos + m.end()),
                                 f"this worked example says \"{m.group(0)}\" where its question says "
                                 f"\"{quoted} {m.group(2)}\", and the line computes with {quoted}: correct the "
                                 "restated number (models copy the reasoning of worked examples)", tokens_saved=0)
            pos += len(line) + 1


def _computed(line: str, m: re.Match) -> bool:
    """A result ("= 20 new followers") or an operand with its unit ("120 minutes for breaks + 30"):
    a number the reasoning produces or uses, not a restated fact."""
    return bool(_RESULT_BEFORE.search(line[: m.start()]) or _OPERAND_AFTER.match(line[m.end(1) :]))
