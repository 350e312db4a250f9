"""A demonstrated edit that changes nothing: the example's tool call replaces text with the same text.

Agent prompts teach their tools by example: a trajectory that calls `str_replace` with `old_str` and
`new_str`, a JSON call with `old_string`/`new_string`, a SEARCH/REPLACE block. When both sides are the
same, the demonstration shows a null edit presented as the step that did the work: the model learns
to emit it, and the real tool rejects it or does nothing. Read: OpenHands-style
`<parameter=old_str>` / `<parameter=new_str>` pairs, `<old_str>` / `<new_str>` tags, JSON
`"old_str"` / `"new_str"` (and `old_string` / `new_string`), and `<<<<<<< SEARCH` ... `=======` ...
`>>>>>>> REPLACE` blocks. It has no fix: only the author knows the edit that was meant.

Bad:

    A: Now let me make it a table:
    <function=str_replace_editor>
    <parameter=command>str_replace</parameter>
    <parameter=old_str>return '<ul>' + items + '</ul>'</parameter>
    <parameter=new_str>return '<ul>' + items + '</ul>'</parameter>
    </function>

Good:

    A: Now let me make it a table:
    <function=str_replace_editor>
    <parameter=command>str_replace</parameter>
    <parameter=old_str>return '<ul>' + items + '</ul>'</parameter>
    <parameter=new_str>return '<table>' + rows + '</table>'</parameter>
    </function>
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..gates import any_of, requires
from ..lazyre import lazy_compile

CODE = "PO209"
NAME = "example-noop-edit"
SEVERITY = Severity.WARNING
KIND = "risk"  # a broken demonstration, not a waste of tokens
OPTIONS: dict = {}

_OLD = r"(?:old_str|old_string)"
_NEW = r"(?:new_str|new_string)"
_JSON_VALUE = r'"((?:[^"\\]|\\.)*)"'
# each pattern captures the old text as group 1 and the new text as group 2
_EDIT_PAIRS = [
    lazy_compile(rf"<parameter={_OLD}>(.*?)</parameter>\s*<parameter={_NEW}>(.*?)</parameter>", re.S),
    lazy_compile(rf"<{_OLD}>(.*?)</{_OLD}>\s*<{_NEW}>(.*?)</{_NEW}>", re.S),
    lazy_compile(rf'"{_OLD}"\s*:\s*{_JSON_VALUE}\s*,\s*"{_NEW}"\s*:\s*{_JSON_VALUE}'),
    lazy_compile(r"^<{5,9} SEARCH[^\n]*\n(.*?)\n={5,9}\n(.*?)\n>{5,9} REPLACE", re.S | re.M),
]
# every finding is a match of one of _EDIT_PAIRS in the prompt's text
GATE = requires(any_of(*_EDIT_PAIRS))


def check(doc, ctx):
    text = doc.text
    for pattern in _EDIT_PAIRS:
        for m in pattern.finditer(text):
            old, new = m.group(1), m.group(2)
            if not old.strip() or old.strip() != new.strip():
                continue
            yield ctx.report(doc, Span(m.start(), m.end()),
                             "this demonstrated edit replaces text with the same text: a no-op shown as the step "
                             "that did the work, which the model learns to copy; make the edit change what the "
                             "example says it changes", tokens_saved=0)
