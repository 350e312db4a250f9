"""A check for an input the prompt's own list of inputs does not ask for.

A prompt that lists its inputs ("## Required inputs: - Company Name: - Context:") and elsewhere says
"If Role Title is missing, request it and stop" was edited from another version: the caller fills the
listed inputs, never the other one, so the model stops and asks for it on every request (or skips the
check, whichever it picks). Read: a section headed "inputs" ("Required inputs", "Inputs", "User
inputs") with at least two labelled list items, and every "if <Name> is missing / not provided / absent
/ empty" elsewhere whose Title Case name matches no listed input. It has no fix: add the input to the
list or drop the check.

Bad:

    1. If Company Name is missing, ask for it and stop.
    2. If Role Title is missing, ask for it and stop.

    ## Required inputs
    - Company Name:
    - Context:

Good:

    1. If Company Name is missing, ask for it and stop.

    ## Required inputs
    - Company Name:
    - Context:
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..gates import finditer, folded_text, requires
from ..lazyre import lazy_compile
from ..segment import LIST_LINE, heading_title

CODE = "PO704"
NAME = "input-not-declared"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model stops for an input nobody sends: a failure, not a token saving
OPTIONS: dict = {}

_INPUTS_TITLE = lazy_compile(r"^(?:required |user |expected )?inputs?(?: required)?$", re.I)
_NAME = r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3}"
_CHECK = lazy_compile(
    rf"\b[Ii]f\s+(?:the\s+)?(?P<names>{_NAME}(?:\s*(?:,|\bor\b|\band\b)\s*(?:the\s+)?{_NAME})*)\s+(?:is|are)\s+"
    r"(?:missing|not provided|absent|empty|not given|not specified)\b")
# every finding is a match of _CHECK in the prompt's text, and needs an inputs heading (a title in it)
GATE = requires(_CHECK, _INPUTS_TITLE)


def check(doc, ctx):
    checks = list(finditer(_CHECK, doc.text, folded_text(doc)))  # = _CHECK.finditer(doc.text)
    if not checks:
        return  # every finding is a check's: the inputs section is not looked for
    declared = _declared_inputs(doc.text)
    if declared is None:
        return
    inputs, section = declared
    reported: set[str] = set()
    for m in checks:
        if section.start <= m.start() < section.end:
            continue
        base = m.start("names")
        for name in re.finditer(_NAME, m.group("names")):
            label = name.group(0).lower()
            if label in reported or any(label in i or i in label for i in inputs):
                continue
            reported.add(label)
            yield ctx.report(doc, Span(base + name.start(), base + name.end()),
                             f"the prompt checks for '{name.group(0)}', but its inputs section (line "
                             f"{ctx.location(doc, section).line}) does not ask for it: the model may stop for an "
                             "input the caller never sends; add it to the inputs or drop the check",
                             tokens_saved=0, related=[section])


def _declared_inputs(text: str) -> tuple[list[str], Span] | None:
    """The labels listed under an inputs heading, and the section's span."""
    pos = 0
    lines = text.split("\n")
    for idx, line in enumerate(lines):
        title = heading_title(line)
        if title is not None and _INPUTS_TITLE.match(title.strip(" :#*")):
            labels, end = [], pos + len(line)
            for nxt in lines[idx + 1 :]:
                if heading_title(nxt) is not None and not LIST_LINE.match(nxt):
                    break
                item = LIST_LINE.match(nxt)
                if item and not nxt.startswith((" ", "\t")):
                    label = re.split(r"[:(\[]", item.group(2), maxsplit=1)[0].strip(" *_`").lower()
                    if label and len(label.split()) <= 5:
                        labels.append(label)
                end += len(nxt) + 1
            if len(labels) >= 2:
                return labels, Span(pos, end)
        pos += len(line) + 1
    return None
