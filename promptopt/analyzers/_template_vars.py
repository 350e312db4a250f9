"""Both sides of a template's variables: the names a file provides and the names its prompts use.

Provided names come from a prompty file's `inputs`/`sample` (the loader fills
`PromptDocument.variables_defined`) or from a YAML config that defines and uses them in one file:
promptfoo `tests[*].vars` and `defaultTest.vars`, `input_variables` (semantic-kernel, LangChain) and
`inputs`. When neither side is visible, the rules that need both stay silent.
"""

from __future__ import annotations

import re

from ..core import PromptDocument
from ..lazyre import lazy_compile
from ..placeholders import block_variables, variable_names

_LOOP_SOURCE = lazy_compile(r"for\s+[\w\s,]+?\s+in\s+([A-Za-z_]\w*)")


def used_names(placeholders) -> set[str]:
    """Variables read by expressions and by `{% for x in items %}`, minus names the template binds."""
    names = variable_names([p for p in placeholders if p.syntax not in ("jinja-block", "jinja-comment")])
    for p in placeholders:
        loop = _LOOP_SOURCE.match(p.raw.strip("{%-} ")) if p.syntax == "jinja-block" else None
        if loop:
            names.add(loop.group(1))
    return names - block_variables(placeholders)


def defined_names(doc: PromptDocument) -> set[str] | None:
    """What the file provides (the prompty and YAML loaders fill it), or None when it is not visible."""
    return set(doc.variables_defined) if doc.variables_defined is not None else None


def file_used_names(doc: PromptDocument) -> frozenset[str]:
    """Names any prompt of the file uses (a variable used by one prompt of a config is used)."""
    return frozenset(n for d in doc.siblings or [doc] for n in used_names(d.placeholders))


def is_first_document(doc: PromptDocument) -> bool:
    return not doc.siblings or doc.siblings[0] is doc


def definition_offset(source: str, name: str) -> int:
    """Where the file defines `name` (`- name: x`, `x:`), for placing a finding; 0 if not found."""
    quoted = rf"['\"]?{re.escape(name)}['\"]?"
    for pattern in (rf"^\s*-?\s*name:\s*{quoted}\s*$", rf"^\s*-?\s*{quoted}\s*:"):
        m = re.search(pattern, source, re.M)
        if m:
            return m.start() + len(m.group(0)) - len(m.group(0).lstrip())
    return 0
