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

from ..core import LoadError, PromptDocument
from .build import finish
from .prompty import _yaml_reason
from .structured import dotted, is_prompt_value

try:  # the C loader is several times faster where libyaml is present
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


# Bounds on what a small file can make the walk do: an alias repeats a whole subtree, so nine aliases of
# nine aliases of ... (a "billion laughs" of 432 bytes) expand to millions of nodes.
MAX_ALIAS_NODES = 10_000  # nodes reached again through aliases, in the whole file
MAX_DEPTH = 100


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    try:
        roots = list(yaml.compose_all(source, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML: {_yaml_reason(exc)}") from None
    except RecursionError:  # the pure-Python composer on deep nesting (libyaml stops at its own bound)
        raise LoadError(f"YAML nested deeper than {MAX_DEPTH} levels") from None
    docs: list[PromptDocument] = []
    budget = _Budget()
    for root in roots:
        if root is not None:
            _walk(root, [], path, source, fmt, docs, budget)
    if docs:
        try:
            provided = provided_variables(list(yaml.load_all(source, Loader=_Loader)))
        except yaml.YAMLError:  # composes but does not construct (an unhashable key): not visible
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


class _Budget:
    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.repeats = 0
        self.ancestors: set[int] = set()


def _walk(node, key_path: list[str], path: Path, source: str, fmt: str, out: list[PromptDocument],
          budget: _Budget, siblings: frozenset[str] = frozenset()) -> None:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        ident = id(node)
        if ident in budget.ancestors:
            raise LoadError("recursive YAML alias (a node that contains itself)")
        if len(key_path) > MAX_DEPTH:
            raise LoadError(f"YAML nested deeper than {MAX_DEPTH} levels")
        if ident in budget.seen:
            budget.repeats += _size(node)
            if budget.repeats > MAX_ALIAS_NODES:
                raise LoadError(f"YAML aliases expand to over {MAX_ALIAS_NODES:,} nodes (an alias bomb?)")
        budget.seen.add(ident)
        budget.ancestors.add(ident)
        if isinstance(node, yaml.MappingNode):
            keys = frozenset(str(key.value) for key, _ in node.value)  # a value's siblings say what it is
            for key, value in node.value:
                _walk(value, key_path + [str(key.value)], path, source, fmt, out, budget, keys)
        else:
            for idx, item in enumerate(node.value):
                _walk(item, key_path + [str(idx)], path, source, fmt, out, budget)
        budget.ancestors.discard(ident)
    elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
        value = node.value
        if not is_prompt_value(key_path, value, siblings):
            return
        doc = PromptDocument(path, source, value, fmt, name=dotted(key_path),
                             line_origins=_origins(node, source), fallback_offset=node.start_mark.index)
        out.append(finish(doc))


def _size(node) -> int:
    """Direct children of a collection node: a cheap lower bound on what walking it again costs."""
    return max(1, len(node.value))


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
