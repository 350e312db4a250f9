"""The one reader of YAML, JSON and TOML text: what a small hostile file can make promptopt do is bounded.

Discovery's shape check (`shapes`), the loaders (`loaders/`) and the config (`config`) all parse through
here, so a limit cannot be forgotten on one path. A file over a limit is a `LoadError` naming the limit;
the audit reports it as that file's error (one line, exit 2) and goes on with the others.

Limits:
- aliases: a YAML alias repeats a whole subtree, so nine aliases of nine aliases of ... (a "billion
  laughs" of 400 bytes) stand for millions of nodes. At most MAX_ALIAS_NODES nodes may be reached again
  through aliases in one file; a node that contains itself (`a: &a [*a]`) is refused.
- nesting: at most MAX_DEPTH levels (prompt files nest a few; 10,000 `[` is an attack on the stack).
- integers: at most MAX_INT_DIGITS decimal digits (Python refuses longer ones with a bare ValueError).
- size: the text of a file is read only up to `max-file-size` (`loaders.read_text`, discovery); a
  config file up to MAX_CONFIG_BYTES.
The checks run on YAML's node graph before anything is built from it, in time linear in its size:
an expansion is counted, never walked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .core import LoadError

MAX_ALIAS_NODES = 10_000  # nodes reached again through aliases, in the whole file
MAX_DEPTH = 100
MAX_INT_DIGITS = 4_300  # Python's own bound on int(str) (sys.int_info.default_max_str_digits)
MAX_CONFIG_BYTES = 1_000_000

_INT_TAG = "tag:yaml.org,2002:int"


def compose_yaml(source: str) -> list:
    """The YAML documents of `source` as node trees (for loaders that need positions), checked.
    Empty documents are left out."""
    import yaml

    try:
        roots = [root for root in yaml.compose_all(source, Loader=yaml_loader()) if root is not None]
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML: {yaml_reason(exc)}") from None
    except RecursionError:  # the pure-Python composer on deep nesting (libyaml stops at its own bound)
        raise LoadError(f"YAML nested deeper than {MAX_DEPTH} levels") from None
    check_nodes(roots)
    return roots


def construct(roots: list) -> list[Any]:
    """Python values of checked node trees (`compose_yaml`)."""
    import yaml

    out = []
    for root in roots:
        try:
            out.append(yaml.constructor.SafeConstructor().construct_document(root))
        except yaml.YAMLError as exc:  # an unhashable key, an unknown tag
            raise LoadError(f"invalid YAML: {yaml_reason(exc)}") from None
        except (ValueError, TypeError, OverflowError) as exc:  # a timestamp out of range, a bad !!binary
            raise LoadError(f"invalid YAML: {exc}") from None
    return out


def load_yaml(source: str) -> list[Any]:
    """The Python values of every non-empty YAML document in `source`, within the limits."""
    return construct(compose_yaml(source))


def load_yaml_document(source: str) -> Any:
    """One YAML document's value, as `yaml.safe_load` gives it (None for an empty text), within the limits."""
    documents = load_yaml(source)
    if len(documents) > 1:
        raise LoadError(f"invalid YAML: one document expected, found {len(documents)}")
    return documents[0] if documents else None


def load_data(source: str, suffix: str) -> Any:
    """A data file's value: JSON for `.json`, YAML otherwise (the eval's suites, tests and prompts)."""
    return load_json(source) if suffix.lower() == ".json" else load_yaml_document(source)


def load_json(source: str) -> Any:
    try:
        data = json.loads(source, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise LoadError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    _check_values(data, "JSON")
    return data


def load_toml(path: Path) -> dict:
    """A config file: at most MAX_CONFIG_BYTES, nesting and integers bounded. `OSError` when unreadable."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with path.open("rb") as fh:
        data = fh.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise LoadError(f"over {MAX_CONFIG_BYTES:,} bytes: not a config file")
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LoadError(f"invalid UTF-8 at byte {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(str(exc)) from None
    except RecursionError:
        raise LoadError(f"TOML nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # tomllib's int() on an integer of over 4,300 digits
        raise LoadError(f"TOML integer over the limit of {MAX_INT_DIGITS} digits") from None
    _check_values(table, "TOML")
    return table


def yaml_reason(exc) -> str:
    """A YAML error in one line: the problem and its line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"{problem} (line {mark.line + 1})" if mark else str(problem)


def yaml_loader():
    """The loader every YAML parse uses (compose with it, then `check_nodes` before building anything)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is several times faster


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise LoadError(f"JSON {_too_long(len(digits.lstrip('-')))}")
    return int(digits)


def _too_long(digits: int) -> str:
    return f"integer of {digits} digits, over the limit of {MAX_INT_DIGITS} digits"


def _check_values(data: Any, kind: str) -> None:
    """JSON and TOML values share nothing, so walking them is linear: only depth is left to bound."""
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= MAX_DEPTH:
            raise LoadError(f"{kind} nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def check_nodes(roots: list) -> None:
    """Refuse a node that contains itself, nesting over MAX_DEPTH, integers over MAX_INT_DIGITS and
    aliases that expand to over MAX_ALIAS_NODES repeated nodes. Each node is visited once: a node met
    again (an alias) adds the size of its expansion, remembered from its first visit."""
    import yaml

    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes in its expansion, its height)
    open_nodes: set[int] = set()

    def visit(node, depth: int) -> tuple[int, int]:
        ident = id(node)
        if ident in measured:
            size, height = measured[ident]
            if depth + height > MAX_DEPTH:
                raise LoadError(f"YAML nested deeper than {MAX_DEPTH} levels")
            return size, height
        if ident in open_nodes:
            raise LoadError("recursive YAML alias (a node that contains itself)")
        if depth > MAX_DEPTH:
            raise LoadError(f"YAML nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS and \
                    sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
                digits = sum(c.isdigit() for c in node.value)
                raise LoadError(f"YAML {_too_long(digits)} (line {node.start_mark.line + 1})")
            measured[ident] = (1, 0)
            return 1, 0
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = list(node.value)
        open_nodes.add(ident)
        size, height = 1, 0
        for child in children:
            child_size, child_height = visit(child, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
        open_nodes.discard(ident)
        measured[ident] = (size, height)
        return size, height

    expanded = sum(visit(root, 0)[0] for root in roots)
    repeated = expanded - len(measured)
    if repeated > MAX_ALIAS_NODES:
        raise LoadError(f"YAML aliases expand to over {MAX_ALIAS_NODES:,} nodes (an alias bomb?)")
