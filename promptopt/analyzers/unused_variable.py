"""A variable the file provides that no prompt in it uses: dead configuration, or a forgotten placeholder.

A prompty input or a promptfoo `vars` entry that no template reads usually means the placeholder was
renamed or deleted and the data never reaches the model. Checked where both sides are visible (a
prompty file; a YAML config with `tests[*].vars`, `defaultTest.vars` or `input_variables` and its
prompts). The finding points at the definition. An input declared `optional: true` is one callers may leave
out: the template may ignore it on purpose (an evaluator that judges only the final answer keeps a
`tool_definitions` input for its API), so it is not reported. When two or more variables are used and none of
them is provided, the block is broken as a whole: PO701 reports it once, naming every variable.

Bad (prompt.prompty):

    ---
    inputs:
      question: {type: string}
      context: {type: string}
    ---
    user:
    {{question}}

Good:

    ---
    inputs:
      question: {type: string}
      context: {type: string}
    ---
    user:
    Context: {{context}}
    {{question}}
"""

from __future__ import annotations

import re

from ..core import Finding, Location, Severity
from ..lazyre import lazy_compile
from ._template_vars import defined_names, definition_offset, file_used_names, is_first_document

CODE = "PO702"
NAME = "unused-variable"
SEVERITY = Severity.INFO
FIXABLE = ""
OPTIONS: dict = {}


_OPTIONAL = lazy_compile(r"^\s*optional\s*:\s*(?:true|yes)\s*$", re.I)


def _declared_optional(source: str, offset: int) -> bool:
    """Does the definition at `offset` say `optional: true` in the lines indented under it?"""
    line_start = source.rfind("\n", 0, offset) + 1
    indent = offset - line_start
    for line in source[source.find("\n", offset) + 1 :].split("\n")[:12] if offset else ():
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        if _OPTIONAL.match(line):
            return True
    return False


def check(doc, ctx):
    defined = defined_names(doc)
    if not defined:
        return
    if not is_first_document(doc):
        return  # one report per file, not one per prompt in it
    used = file_used_names(doc)
    if not used & defined and len(used) >= 2:
        return  # nothing provided is used: one broken variables block, which PO701 reports once
    for name in sorted(defined - used):
        offset = definition_offset(doc.source, name)
        if _declared_optional(doc.source, offset):
            continue  # an input callers may leave out: kept for the API, its absence loses nothing
        line, col = doc.line_col(offset)
        rule = ctx.rule
        yield Finding(rule.code, rule.name, rule.severity, doc.path,
                      Location(line, col, line, col + len(name)),
                      f"variable '{name}' is provided but no prompt in this file uses it", snippet=name,
                      document=doc.name)
