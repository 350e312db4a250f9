"""A placeholder the prompt uses that the file never provides: it renders empty or the render fails.

Checked where both sides are visible: a prompty file's `inputs` (and `sample`), or a YAML config that
defines variables (promptfoo `tests[*].vars`, `defaultTest.vars`, `input_variables`) and holds the
prompt. Names bound inside the template (`{% for x in xs %}`, `{% set y %}`) are not inputs. One
problem, one finding: when two or more variables are missing and none of the prompt's variables is
provided, the variables block itself is broken or belongs to another template, and the one finding
names every variable (PO702 then stays silent about the names provided).

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
from ._template_vars import defined_names, used_names

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
    missing = _missing(doc, defined, bound)
    if len(missing) >= 2 and not used_names(doc.placeholders) & defined:
        yield _one_finding(doc, ctx, missing, defined)
        return
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


def _missing(doc, defined: set[str], bound: set[str]) -> list:
    """(name, first placeholder using it) of each variable used and not provided, in order."""
    out: dict[str, object] = {}
    for p in doc.placeholders:
        name = p.name
        if p.syntax == "jinja-block":
            loop = _LOOP_SOURCE.match(p.raw.strip("{%-} "))
            name = loop.group(1) if loop else ""
        elif p.syntax == "jinja-comment":
            continue
        if name and name not in bound and name not in defined and name not in out:
            out[name] = p
    return list(out.items())


def _one_finding(doc, ctx, missing: list, defined: set[str]):
    names = ", ".join(name for name, _ in missing)
    provided = ", ".join(sorted(defined)) or "none"
    return ctx.report(doc, missing[0][1].span,
                      f"none of the {len(missing)} variables this prompt uses is provided ({names}; provided: "
                      f"{provided}): the variables block does not match the template",
                      tokens_saved=0, related=[p.span for _, p in missing[1:]])
