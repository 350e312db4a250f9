"""Both sides of a template's variables: the names a file provides and the names its prompts use.

Provided names come from a prompty file's `inputs`/`sample` (the loader fills
`PromptDocument.variables_defined`) or from a YAML config that defines and uses them in one file:
promptfoo `tests[*].vars` and `defaultTest.vars`, `input_variables` (semantic-kernel, LangChain) and
`inputs`. When neither side is visible, the rules that need both stay silent.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from ..core import PromptDocument
from ..placeholders import block_variables, find_placeholders, variable_names

_LOOP_SOURCE = re.compile(r"for\s+[\w\s,]+?\s+in\s+([A-Za-z_]\w*)")


def used_names(placeholders) -> set[str]:
    """Variables read by expressions and by `{% for x in items %}`, minus names the template binds."""
    names = variable_names([p for p in placeholders if p.syntax not in ("jinja-block", "jinja-comment")])
    for p in placeholders:
        loop = _LOOP_SOURCE.match(p.raw.strip("{%-} ")) if p.syntax == "jinja-block" else None
        if loop:
            names.add(loop.group(1))
    return names - block_variables(placeholders)


def defined_names(doc: PromptDocument) -> set[str] | None:
    if doc.variables_defined is not None:
        return set(doc.variables_defined)
    if doc.format == "yaml":
        return _yaml_defined(doc.source)
    return None


@functools.lru_cache(maxsize=64)
def _yaml_defined(source: str) -> set[str] | None:
    try:
        roots = [r for r in yaml.safe_load_all(source) if isinstance(r, dict)]
    except yaml.YAMLError:
        return None
    names: set[str] = set()
    seen = False
    for root in roots:
        for test in root.get("tests") or [] if isinstance(root.get("tests"), list) else []:
            if isinstance(test, dict) and isinstance(test.get("vars"), dict):
                names.update(map(str, test["vars"]))
                seen = True
        default = root.get("defaultTest")
        if isinstance(default, dict) and isinstance(default.get("vars"), dict):
            names.update(map(str, default["vars"]))
            seen = True
        for key in ("input_variables", "inputs"):
            value = root.get(key)
            if isinstance(value, dict):
                names.update(map(str, value))
                seen = True
            elif isinstance(value, list):
                names.update(str(v["name"]) if isinstance(v, dict) and "name" in v else str(v)
                              for v in value if isinstance(v, (str, dict)))
                seen = True
    return names if seen else None


@functools.lru_cache(maxsize=64)
def file_used_names(path: Path, source: str) -> frozenset[str]:
    """Names every prompt of the file uses (a variable used by any prompt in a config is used)."""
    from ..loaders import load_source

    try:
        docs = load_source(path, source)
    except Exception:  # noqa: BLE001 - the audit reports load errors itself
        return frozenset(used_names(find_placeholders(source)))
    return frozenset(n for d in docs for n in used_names(d.placeholders))


@functools.lru_cache(maxsize=64)
def first_document_name(path: Path, source: str) -> str | None:
    from ..loaders import load_source

    try:
        docs = load_source(path, source)
    except Exception:  # noqa: BLE001
        return None
    return docs[0].name if docs else None


def definition_offset(source: str, name: str) -> int:
    """Where the file defines `name` (`- name: x`, `x:`), for placing a finding; 0 if not found."""
    quoted = rf"['\"]?{re.escape(name)}['\"]?"
    for pattern in (rf"^\s*-?\s*name:\s*{quoted}\s*$", rf"^\s*-?\s*{quoted}\s*:"):
        m = re.search(pattern, source, re.M)
        if m:
            return m.start() + len(m.group(0)) - len(m.group(0).lstrip())
    return 0
