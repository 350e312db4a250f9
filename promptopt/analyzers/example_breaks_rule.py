"""A few-shot example whose answer does what the instructions forbid: "Never say 'as an AI'" and an
example answer that says it; "Do not use emojis" and an example answer full of them; "guide with
questions, avoid giving direct answers" and example answers that state answers.

Models copy examples more faithfully than they obey instructions, so an example that breaks a rule
teaches the model to break it, on every request. Read: instructions that forbid a quoted phrase
("never say", "do not use", "don't write", "avoid" + a quoted phrase) and instructions that forbid
emojis, checked against the answer part of each few-shot example; and instructions that ask for
questions instead of answers (the Socratic tutor), checked once per prompt: reported when most example
answers hold no question at all. It has no fix: the example or the
rule must change, and only the author knows which.

Bad:

    You answer customers of a bank. Never start your answer with "Great question".

    Q: How do I reset my password?
    A: Great question! Open Settings and choose Reset.

    Q: Where do I see my card limit?
    A: Open Cards and choose Limits.

Good:

    You answer customers of a bank. Never start your answer with "Great question".

    Q: How do I reset my password?
    A: Open Settings and choose Reset.

    Q: Where do I see my card limit?
    A: Open Cards and choose Limits.
"""

from __future__ import annotations

import re

from ..core import Severity
from ..lazyre import lazy_compile
from ._examples import examples, instruction_text, part

CODE = "PO208"
NAME = "example-breaks-rule"
SEVERITY = Severity.WARNING
KIND = "risk"  # the example teaches the opposite of a rule: a quality risk, not a token saving
OPTIONS: dict = {}

_FORBIDDEN_PHRASE = lazy_compile(
    r"\b(?:never|do not|don't|avoid|must not|should not|shouldn't)\s+(?:ever\s+)?"
    r"(?:say|use|write|include|mention|output|start (?:\w+ )?(?:answer|response|reply)s? with|begin with|"
    r"start with|use the (?:word|phrase)s?|say the (?:word|phrase)s?)[^\"“'\n]{0,20}"
    r"[\"“']([^\"”'\n]{2,60})[\"”']", re.I)
_NO_EMOJI = lazy_compile(r"\b(?:never|do not|don't|no|avoid|without)\s+(?:use\s+|using\s+|any\s+|add\s+)*emojis?\b",
                       re.I)
_QUESTIONS_ONLY = lazy_compile(
    r"\b(?:avoid giving|do not give|don't give|never give|without giving)\s+(?:(?:a|the)\s+)?(?:direct|straight)\s+"
    r"answers?\b|\b(?:respond|reply|answer)\s+(?:only\s+)?(?:with|in)\s+(?:the form of\s+)?(?:[\w-]+\s+){0,2}"
    r"questions\b|\bonly (?:ask|respond with|reply with) questions\b", re.I)
_EMOJI = lazy_compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def check(doc, ctx):
    exs = examples(doc)
    if not exs:
        return
    rules = instruction_text(doc)
    phrases = [m.group(1).strip() for m in _FORBIDDEN_PHRASE.finditer(rules)]
    no_emoji = _NO_EMOJI.search(rules) is not None
    questions_only = _QUESTIONS_ONLY.search(rules)
    if questions_only is not None:
        yield from _answers_instead_of_questions(doc, ctx, exs, questions_only.group(0))
    if not phrases and not no_emoji:
        return
    for ex in exs:
        output = part(doc, ex, "output")
        where = ex.parts.get("output", ex.span)
        broken = next((p for p in phrases if p.lower() in output.lower()), None)
        if broken is not None:
            yield ctx.report(doc, where, f"the instructions forbid \"{broken}\" but this example's answer uses it: "
                             "fix the example or the rule", tokens_saved=0)
        elif no_emoji and _EMOJI.search(output):
            yield ctx.report(doc, where, "the instructions forbid emojis but this example's answer uses them: "
                             "fix the example or the rule", tokens_saved=0)


def _answers_instead_of_questions(doc, ctx, exs, rule: str):
    """One finding per prompt: most example answers state answers where the rules ask for questions."""
    answers = [ex for ex in exs if part(doc, ex, "output")]
    stating = [ex for ex in answers if "?" not in part(doc, ex, "output")]
    if len(answers) >= 2 and len(stating) * 2 > len(answers):
        first = stating[0]
        yield ctx.report(doc, first.parts.get("output", first.span),
                         f"the instructions ask for questions (\"{rule}\") but {len(stating)} of {len(answers)} "
                         "example answers hold no question: the model copies the examples; make them guiding "
                         "questions or drop them", tokens_saved=0)
