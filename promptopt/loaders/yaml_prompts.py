"""YAML files that hold prompts (promptfoo `prompts`, agent configs, openai/evals, lm-eval).

Each prompt value becomes a document. A value maps back to the file, so that fixes can be
applied in place, when its text stands there line for line: literal block scalars (`|`, indentation
removed) and plain or quoted single-line scalars without escapes. Folded and multi-line flow scalars
are reported without fixes rather than re-serialised.
Comments (`# promptopt: ignore PO101`) never reach the model and carry suppressions.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .. import bounded
from ..core import LoadError, PromptDocument
from .build import finish
from .structured import dotted, is_prompt_value


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    # aliases, nesting and integers are bounded there (a "billion laughs" of 432 bytes is refused)
    roots = bounded.compose_yaml(source)
    docs: list[PromptDocument] = []
    for root in roots:
        _walk(root, [], path, source, fmt, docs)
    if docs:
        try:
            provided = provided_variables(bounded.construct(roots))
        except LoadError:  # composes but does not construct (an unhashable key): not visible
            provided = None
        for doc in docs:
            doc.variables_defined = provided
    return docs


def provided_variables(roots) -> set[str] | None:
    """Names a config provides to its prompts: promptfoo `tests[*].vars` and `defaultTest.vars`,
    `input_variables` (semantic-kernel, LangChain) and `inputs`; None when it declares none."""
    names: set[str] = set()
    seen = False
    for root in roots:
        if not isinstance(root, dict):
            continue
        tests = root.get("tests")
        for test in tests if isinstance(tests, list) else []:
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


def _walk(node, key_path: list[str], path: Path, source: str, fmt: str, out: list[PromptDocument],
          siblings: frozenset[str] = frozenset()) -> None:
    # a checked graph (`bounded.compose_yaml`): no cycle, and its expansion is bounded
    if isinstance(node, yaml.MappingNode):
        keys = frozenset(str(key.value) for key, _ in node.value)  # a value's siblings say what it is
        for key, value in node.value:
            _walk(value, key_path + [str(key.value)], path, source, fmt, out, keys)
    elif isinstance(node, yaml.SequenceNode):
        for idx, item in enumerate(node.value):
            _walk(item, key_path + [str(idx)], path, source, fmt, out)
    elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
        value = node.value
        if not is_prompt_value(key_path, value, siblings):
            return
        doc = PromptDocument(path, source, value, fmt, name=dotted(key_path),
                             line_origins=_origins(node, source), fallback_offset=node.start_mark.index)
        out.append(finish(doc))


def _origins(node: yaml.ScalarNode, source: str) -> list[int] | None:
    value, start = node.value, node.start_mark.index
    if node.style == "|":
        return _literal_origins(value, source, start)
    if "\n" in value:
        return None
    if not node.style and source.startswith(value, start):  # plain: None (PyYAML) or "" (libyaml)
        return [start]
    if node.style in ("'", '"') and source.startswith(value, start + 1):
        return [start + 1]
    return None


def _literal_origins(value: str, source: str, start: int) -> list[int] | None:
    """Each line of a literal block scalar starts after the block's indentation."""
    header_end = source.find("\n", start)
    if header_end == -1:
        return None
    pos = header_end + 1
    lines = value.split("\n")
    indent = None
    origins = []
    for line in lines:
        line_end = source.find("\n", pos)
        line_end = len(source) if line_end == -1 else line_end
        raw = source[pos:line_end]
        if line:
            if indent is None:
                indent = len(raw) - len(raw.lstrip(" "))
            if raw[indent:] != line:
                return None
            origins.append(pos + indent)
        else:
            origins.append(pos + min(len(raw), indent or 0))
        pos = line_end + 1
    return origins if len(origins) == len(lines) else None
