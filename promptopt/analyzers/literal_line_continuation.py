"""Backslash line continuations inside a YAML block scalar (`|`, `>`): sent to the model as written.

A backslash at the end of a line joins it to the next in a shell script, a Python string or a
double-quoted YAML string, and authors carry the habit into YAML block scalars (`system: |`), where
nothing joins them: the model receives every ` \\` and the line break after it. Read: lines of a prompt
loaded from a YAML block scalar (the value keeps its backslashes; a double-quoted YAML string would have
joined them) that end in a single backslash, outside code blocks, where a shell command's continuation is
its syntax. One finding per prompt, naming the lines. Opt-in: the stray characters cost a token each and
rarely mislead the model; a team that wants its YAML prompts clean selects it. It has no fix: remove the
backslashes, or fold the block (`>`) where the lines should run together.

Bad:

    system: |
      You are a research assistant collecting the figures \\
      the analyst needs to answer the question.

Good:

    system: |
      You are a research assistant collecting the figures
      the analyst needs to answer the question.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO907"
NAME = "literal-line-continuation"
SEVERITY = Severity.INFO
KIND = "risk"  # stray characters the model reads; a token each, no saving claimed
DEFAULT = False  # opt-in: on dev, one package meant it as a continuation in 3 files, another once, judged harmless
OPTIONS: dict = {}

_CONTINUED = lazy_compile(r"(?<![\\])\\[ \t]*$", re.M)


def check(doc, ctx):
    if doc.format != "yaml" or "\\" not in doc.text or doc.path.suffix.lower() not in (".yaml", ".yml"):
        return
    hits = [m for m in _CONTINUED.finditer(doc.text)
            if m.start() > 0 and doc.text[m.start() - 1] in " \t" and not doc.in_code(Span(m.start(), m.end()))]
    if not hits:
        return
    lines = [ctx.location(doc, Span(m.start(), m.end())).line for m in hits]
    where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines[:6])) + (
        f" and {len(lines) - 6} more" if len(lines) > 6 else "")
    first = hits[0]
    yield ctx.report(doc, Span(first.start(), first.end()),
                     f"a backslash ends {where} of this YAML block: a block scalar does not join lines, so "
                     "the model receives each backslash and line break as written; remove them (or fold the "
                     "block with `>`)", tokens_saved=0)
