"""The same content variable rendered twice in one prompt: `{{instructions}}` above each of two answers.

A template variable that carries material (instructions, a context, documents, a schema, a history)
puts its whole value in the prompt at each place it is rendered, so a prompt that renders it twice
sends it twice on every request, and pays for it in proportion to its length. Read: one prompt
(Jinja `{{ name }}`, `str.format` `{name}`, Mustache) that renders the same bare variable (no filter,
attribute or call: `{{ items | length }}` is not the value) two or more times, where the name says it
carries material (instructions, guidelines, rules, criteria, rubric, context, document(s), passage(s),
article, text, content, transcript, conversation, history, schema, table_info, examples, code, diff,
file contents). A short value restated on purpose (the question after the documents) is not material;
two renderings in different branches of one `{% if %}` render once; a template shown in a code sample,
and examples, pasted markup or quoted material, are not this prompt's template; a prompt that renders
every variable the same number of times is a batch of slots filled in turn (`{instruction}` and
`{output}` five times each for five items), not one value sent five times. One finding per variable, at its second
rendering, naming every line. Its size is the caller's, so no saving is claimed; it has no fix: label
the value once and refer to it ("the instructions above").

Bad (compare.jinja2):

    Compare two answers to the same task.
    [Task for answer A]
    {{guidelines}}
    [Answer A]
    {{answer_a}}
    [Task for answer B]
    {{guidelines}}
    [Answer B]
    {{answer_b}}

Good (compare.jinja2):

    Compare two answers to the same task.
    [Task]
    {{guidelines}}
    [Answer A]
    {{answer_a}}
    [Answer B]
    {{answer_b}}
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..document import is_data
from ..lazyre import lazy_compile
from ..placeholders import block_variables

CODE = "PO707"
NAME = "repeated-variable"
SEVERITY = Severity.INFO
KIND = "risk"  # a slip in the template; its cost is the value's size, which only the caller knows
OPTIONS: dict = {}
DEFAULT = False  # opt-in: 1 dev file has one (docs/precision.md), too few to call it precise

# names of variables that carry material, not a short value: the last word of the name
_MATERIAL = lazy_compile(
    r"(?:^|_)(?:instructions?|guidelines?|rules|criteria|rubric|context|contexts|documents?|docs|passages?|"
    r"article|text|content|contents|transcript|conversation|chat_history|history|schema|table_info|examples|"
    r"code|diff|patch|file_contents?)$", re.I)
_BARE = lazy_compile(r"^\{\{?-?\s*([A-Za-z_]\w*)\s*-?\}?\}$")
_BRANCH_TAG = lazy_compile(r"^\{%-?\s*(if|elif|else|endif|for|endfor)\b")


def check(doc, ctx):
    if "{" not in doc.text:
        return
    bound = block_variables(doc.placeholders)
    seen: dict[str, list[tuple[Span, tuple]]] = {}
    every: dict[str, int] = {}  # how often each variable is rendered, material or not
    for placeholder, branches in _renderings(doc.placeholders):
        bare = _BARE.match(placeholder.raw)
        name = bare.group(1) if bare else placeholder.name
        every[name] = every.get(name, 0) + 1
        if not bare or name in bound or not _MATERIAL.search(name) or doc.in_code(placeholder.span):
            continue
        seen.setdefault(name, []).append((placeholder.span, branches))
    for name, places in seen.items():
        if len(places) < 2 or len(set(every.values())) == 1 or not _two_render(places):
            continue  # every variable n times: a batch of n slots filled in turn, not one value sent n times
        places = [(span, branches) for span, branches in places if not is_data(doc, span)]
        if len(places) < 2 or not _two_render(places):
            continue
        lines = [doc.line_col(doc.locate(span.start))[0] for span, _ in places]
        shown = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
        yield ctx.report(doc, places[1][0], f"'{name}' is rendered {len(places)} times (lines {shown}): the model "
                         "gets its whole value each time and every request pays for it again; render it once "
                         "and refer to it", tokens_saved=0, related=[span for span, _ in places[:1]])


def _renderings(placeholders):
    """(placeholder, branches) of each expression: `branches` are the (if number, branch number) pairs
    it stands under, so two renderings in different branches of one `if` are told apart."""
    stack: list[list[int]] = []
    count = 0
    for p in placeholders:
        if p.syntax == "jinja-block":
            tag = _BRANCH_TAG.match(p.raw)
            word = tag.group(1) if tag else ""
            if word == "if":
                count += 1
                stack.append([count, 0])
            elif word in ("elif", "else") and stack:
                stack[-1][1] += 1
            elif word == "endif" and stack:
                stack.pop()
        elif p.syntax != "jinja-comment":
            yield p, tuple(tuple(level) for level in stack)


def _two_render(places) -> bool:
    """Some two renderings render in one pass: not in different branches of the same `if`."""
    for i, (_, a) in enumerate(places):
        for _, b in places[i + 1 :]:
            ifs_a, ifs_b = dict(a), dict(b)
            if not any(ifs_a[k] != ifs_b[k] for k in ifs_a.keys() & ifs_b.keys()):
                return True
    return False
