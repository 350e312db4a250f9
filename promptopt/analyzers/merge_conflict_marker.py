"""A git merge-conflict marker left in a prompt: `<<<<<<< HEAD`, `>>>>>>> feature-branch`.

A conflict resolved in a hurry leaves its marker lines behind, and the model reads them as part of the
prompt: inside a few-shot example they teach it to write conflict markers. Read: lines that start with
seven `<` or `>` and a name, outside fenced code, except the SEARCH / REPLACE (and ORIGINAL / UPDATED)
markers of edit-block formats, which are a format and not a leftover. It has no fix: only the author
knows which side of the conflict was meant.

Bad:

    Reply with the corrected file.
    <<<<<<< HEAD
    Keep the answer under 100 words.

Good:

    Reply with the corrected file.
    Keep the answer under 100 words.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..gates import requires
from ..lazyre import lazy_compile

CODE = "PO905"
NAME = "merge-conflict-marker"
SEVERITY = Severity.WARNING
KIND = "risk"  # a leftover the model reads and may copy
OPTIONS: dict = {}

_MARKER = lazy_compile(r"^(?:<{7}|>{7})[ \t]+(\S[^\n]*)$", re.M)
# every finding is a match of _MARKER in the prompt's text
GATE = requires(_MARKER)
_EDIT_FORMAT = {"search", "replace", "original", "updated"}


def check(doc, ctx):
    for m in _MARKER.finditer(doc.text):
        span = Span(m.start(), m.end())
        if m.group(1).strip().lower() in _EDIT_FORMAT or doc.in_code(span):
            continue
        yield ctx.report(doc, span, f"a merge-conflict marker ('{m.group(0).strip()}') is left in the prompt: "
                         "resolve the conflict and remove the marker", tokens_saved=0)
