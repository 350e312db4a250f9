"""A placeholder the prompt uses that the file never provides: it renders empty or the render fails.

Checked where both sides are visible: a prompty file's `inputs` (and `sample`), or a YAML config that
defines variables (promptfoo `tests[*].vars`, `defaultTest.vars`, `input_variables`) and holds the
prompt. Names bound inside the template (`{% for x in xs %}`, `{% set y %}`) are not inputs.

Bad (prompt.prompty):

    ---
    inputs:
      customer_name: {type: string}
    ---
    system:
    Greet {{customer}} by name.

Good:

    ---
    inputs:
      customer_name: {type: string}
    ---
    system:
    Greet {{customer_name}} by name.
"""

from __future__ import annotations

from ..core import Severity
from ..lazyre import lazy_compile
from ._template_vars import defined_names

CODE = "PO701"
NAME = "undefined-variable"
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS: dict = {}

_LOOP_SOURCE = lazy_compile(r"for\s+[\w\s,]+?\s+in\s+([A-Za-z_]\w*)")


def check(doc, ctx):
    defined = defined_names(doc)
    if defined is None:
        return
    from ..placeholders import block_variables

    bound = block_variables(doc.placeholders)
    reported: set[str] = set()
    for p in doc.placeholders:
        name = p.name
        if p.syntax == "jinja-block":  # `{% for x in items %}` reads `items`
            loop = _LOOP_SOURCE.match(p.raw.strip("{%-} "))
            name = loop.group(1) if loop else ""
        elif p.syntax == "jinja-comment":
            continue
        if not name or name in bound or name in defined or name in reported:
            continue
        reported.add(name)
        known = ", ".join(sorted(defined)) or "none"
        what = p.raw if p.syntax != "jinja-block" else f"'{name}' (in {p.raw})"
        yield ctx.report(doc, p.span, f"{what} is used but never provided (provided: {known})", tokens_saved=0)
