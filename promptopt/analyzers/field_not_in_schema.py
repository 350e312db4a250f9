"""An instruction about an output field the prompt's own JSON template does not have.

"The "plan" field should contain the entire original plan" under a JSON template whose keys are `dag`,
`nodes`, `edges`, `name` and `info`: the model must either break the template or ignore the rule, and
the program reading the answer expects one of the two. Read: the keys of the JSON the prompt shows
(`"key":` anywhere in it, at least two), and each instruction that names a quoted field, key or
property (`the "plan" field`, `'summary' key`, ``property `score` ``) that none of them is. Mentions
inside examples, quoted or pasted material and code are left alone, and so is a prompt whose schema
comes from a variable (`{format_instructions}`, `{{ schema }}`): the keys shown are not all there
are, as is a prompt about JSON Schemas (its JSON has `properties` or `$defs`: the fields it names are
the schema's properties), and a mention inside a JSON string value. It has no fix: add the field to
the template or drop the rule.

Bad:

    Return JSON with this structure:
    {"dag": {"nodes": [{"name": "step name", "info": "how to do it"}], "edges": []}}

    Rules:
    1. The "plan" field must hold the original plan as a string.
    2. Each node has a 'name' and an 'info' field.

Good:

    Return JSON with this structure:
    {"plan": "the original plan", "dag": {"nodes": [{"name": "step name", "info": "how to do it"}], "edges": []}}

    Rules:
    1. The "plan" field must hold the original plan as a string.
    2. Each node has a 'name' and an 'info' field.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..document import is_data
from ..lazyre import lazy_compile

CODE = "PO305"
NAME = "field-not-in-schema"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model breaks the template or the rule: a parse failure or a lost instruction
OPTIONS: dict = {}
DEFAULT = False  # opt-in: written from one package; 0 of 1 right on another (browser-use, docs/precision.md)

_KEY = lazy_compile(r"""["']([A-Za-z_$][\w-]{0,40})["']\s*:""")
_MENTION = lazy_compile(
    r"""(?:(?<![\w"'`])(["'`])([A-Za-z_][\w-]{0,40})\1\s+(?:field|key|property)s?\b"""
    r"""|\b(?:field|key|property)\s+(["'`])([A-Za-z_][\w-]{0,40})\3(?![\w"'`]))""")
# a schema that comes from outside: `{format_instructions}`, `{{ output_schema }}`
_SCHEMA_VARIABLE = lazy_compile(r"schema|format|output|json|model|structure|fields|keys", re.I)


def check(doc, ctx):
    text = doc.text
    if ":" not in text or not any(w in text for w in ("field", "key", "propert")):
        return
    keys = {m.group(1) for m in _KEY.finditer(text)}
    if len(keys) < 2 or keys & _SCHEMA_KEYWORDS or any(_SCHEMA_VARIABLE.search(p.name or "") for p in doc.placeholders):
        return  # the schema is elsewhere, or the prompt is about JSON Schemas (its fields are `properties`)
    lowered = {k.lower() for k in keys}
    reported: set[str] = set()
    for m in _MENTION.finditer(text):
        name = m.group(2) or m.group(4)
        if name.lower() in lowered or name in reported:
            continue
        span = Span(m.start(), m.end())
        if doc.in_code(span) or is_data(doc, span) or _in_string(text, m.start()):
            continue
        reported.add(name)
        shown = ", ".join(sorted(keys)[:8]) + (", ..." if len(keys) > 8 else "")
        yield ctx.report(doc, span, f"this instruction is about a '{name}' field, but the prompt's JSON has no "
                         f"such key ({shown}): the model breaks the template or ignores the rule; add the field or "
                         "drop the rule", tokens_saved=0)


# a JSON Schema's keywords: a prompt that shows one describes schemas, and the fields it names are the
# schema's `properties`, not keys of one answer
_SCHEMA_KEYWORDS = frozenset({"properties", "$defs", "definitions", "$schema", "$ref"})


def _in_string(text: str, pos: int) -> bool:
    """Whether `pos` stands inside a double-quoted string on its line (a JSON value that mentions a
    field: "...returned a single property 'temp'...")."""
    line_start = text.rfind("\n", 0, pos) + 1
    before = re.sub(r'\\.', "", text[line_start:pos])
    return before.count('"') % 2 == 1
