"""A template that includes the same file twice: `{% include "rules.j2" %}` at the top and again below.

Each `{% include %}` renders the whole file in place, so the model receives that text twice on every
request and pays for it twice; a rule block included twice also reads as two rules. Read: the same
include target twice in one template where both can render in one pass: not inside a `for` loop (an
include per item is the point of the loop), a macro or a block (rendered where called), and not in two
branches of the same `if` (only one of them renders). One finding per file included twice, at its
second include, naming every line. The tokens saved are the included file's, when it sits beside the
template (or in a folder above it); 0 when it cannot be found. It has no fix: which place the text
belongs in is the author's choice.

Bad:

    {% include "shared/output_format.j2" %}
    Answer the question from the documents.
    {% include "shared/output_format.j2" %}

Good:

    Answer the question from the documents.
    {% include "shared/output_format.j2" %}
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO105"
NAME = "duplicate-include"
SEVERITY = Severity.WARNING
KIND = "risk"  # mechanical breakage (a slip in the template), shown whatever the saving; tokens when known
OPTIONS: dict = {}
DEFAULT = False  # opt-in: its one dev finding was judged a deliberate double include (docs/precision.md)

_TAG = lazy_compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.S)
_TARGET = lazy_compile(r"""^\s*(["'])([^"'\n]+)\1""")
_OPENS = {"if", "for", "macro", "block", "call", "filter", "with", "raw"}
_ENDS = {f"end{kind}": kind for kind in _OPENS}


def check(doc, ctx):
    if "include" not in doc.text:
        return
    seen: dict[str, list[tuple[Span, tuple[tuple[int, int], ...]]]] = {}
    for span, target, branches in _includes(doc.text):
        seen.setdefault(target, []).append((span, branches))
    for target, places in seen.items():
        if len(places) < 2 or not _both_render(places):
            continue
        lines = [doc.line_col(doc.locate(span.start))[0] for span, _ in places]
        shown = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
        yield ctx.report(doc, places[1][0], f"'{target}' is included {len(places)} times (lines {shown}): the model "
                         "gets its text each time; include it once", tokens_saved=_tokens(doc, ctx, target),
                         related=[span for span, _ in places[:1]])


def _includes(text: str):
    """(span, target, branches) of each include that renders once per pass: `branches` are the (if id,
    branch number) pairs it stands under, so two includes in different branches of one `if` are told apart."""
    stack: list[list] = []  # [kind, id, branch]
    for n, m in enumerate(_TAG.finditer(text)):
        word, rest = m.group(1), m.group(2)
        if word in _OPENS:
            stack.append([word, n, 0])
        elif word in ("elif", "else") and stack:
            stack[-1][2] += 1
        elif word in _ENDS:
            while stack and stack[-1][0] != _ENDS[word]:
                stack.pop()  # a tag left open: close it with its parent
            if stack:
                stack.pop()
        elif word == "include":
            target = _TARGET.match(rest)
            if target is None or any(kind in ("for", "macro", "block", "call") for kind, _, _ in stack):
                continue
            yield Span(m.start(), m.end()), target.group(2), tuple((i, b) for kind, i, b in stack if kind == "if")


def _both_render(places) -> bool:
    """Some two of the includes can render in the same pass (not in two branches of one `if`)."""
    for a in range(len(places)):
        for b in range(a + 1, len(places)):
            first, second = dict(places[a][1]), dict(places[b][1])
            if not any(first[i] != second[i] for i in first.keys() & second.keys()):
                return True
    return False


def _tokens(doc, ctx, target: str) -> int:
    folder = Path(doc.path).parent
    for base in (folder, *list(folder.parents)[:3]):
        candidate = base / target
        try:
            if candidate.is_file() and candidate.stat().st_size < 1_000_000:
                return ctx.counter.count(candidate.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return 0
    return 0
