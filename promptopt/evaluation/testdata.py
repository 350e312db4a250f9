"""Where promptfoo tests and vars come from: files, globs, CSV rows, `$ref`, arrays.

- ``tests:`` is a list of tests, a path or glob (``file://tests/*.yaml``), or a list mixing both. Files:
  ``.yaml``/``.yml`` and ``.json`` (a list of tests or one test), ``.jsonl`` (one test per line),
  ``.csv`` (a row per test, see `csv_test`).
- A var ``file://x.txt`` becomes the file's text, ``.json``/``.yaml`` its parsed data; a glob
  (``file://articles/*``) becomes the list of the files' texts. A var whose value is a list expands the
  test into one test per element (several list vars: every combination), as promptfoo does.
- ``$ref: '#/path/to/node'`` anywhere in the config is replaced by that node of the same file.
"""

from __future__ import annotations

import csv
import glob
import io
import itertools
import re
from pathlib import Path
from typing import Any

from ..bounded import load_json
from ..core import LoadError

TEXT_VAR_LIMIT = 5_000_000  # a var file larger than this is a mistake, not a prompt input
SCRIPT_SUFFIXES = (".py", ".js", ".ts", ".mjs", ".cjs", ".rb")
CSV_ASSERTION = re.compile(r"^(not-)?([a-z][a-z0-9-]*)(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$")
LIST_TYPES = ("contains-all", "contains-any", "icontains-all", "icontains-any")
THRESHOLD_TYPES = ("answer-relevance", "classifier", "context-faithfulness", "context-recall", "context-relevance",
                   "cost", "latency", "levenshtein", "perplexity-score", "perplexity", "rouge-n", "similar",
                   "starts-with", "bleu", "gleu", "meteor")  # fmt: skip


class DataError(ValueError):
    """A test or var source that cannot be read; the message is one line."""


def strip_file(ref: str) -> str:
    return ref[len("file://") :] if ref.startswith("file://") else ref


def resolve_refs(node: Any, root: Any, where: str, depth: int = 0) -> Any:
    """Replace every ``{$ref: '#/a/b'}`` by the node it points to (local JSON pointers)."""
    if depth > 50:
        raise DataError(f"{where}: $ref nesting is deeper than 50 (a cycle?)")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and len(node) == 1:
            return resolve_refs(_pointer(root, ref, where), root, where, depth + 1)
        return {k: resolve_refs(v, root, where, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_refs(v, root, where, depth + 1) for v in node]
    return node


def _pointer(root: Any, ref: str, where: str) -> Any:
    if not ref.startswith("#/"):
        raise DataError(f"{where}: only local $ref pointers ('#/...') are supported, got {ref!r}")
    node = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise DataError(f"{where}: $ref {ref!r} points to nothing")
    return node


def expand_paths(ref: str, base: Path, where: str) -> list[Path]:
    """A path or glob against `base`, sorted; a pattern that matches nothing is an error."""
    pattern = strip_file(ref.strip())
    if any(ch in pattern for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(str(base / pattern), recursive=True) if Path(p).is_file())
        if not found:
            raise DataError(f"{where}: {ref} matches no file")
        return found
    path = base / pattern
    if not path.is_file():
        raise DataError(f"{where}: file not found: {path}")
    return [path]


def read_text(path: Path, where: str) -> str:
    try:
        if path.stat().st_size > TEXT_VAR_LIMIT:
            raise DataError(f"{where}: {path} is larger than {TEXT_VAR_LIMIT:,} bytes")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(f"{where}: {path} is not UTF-8 text") from None


def parse_data(path: Path, text: str, where: str) -> Any:
    from ..bounded import load_data

    try:
        return load_data(text, path.suffix)
    except LoadError as exc:  # broken, or over a limit (an alias bomb, deep nesting)
        raise DataError(f"{where}: {path.name}: {' '.join(str(exc).split())[:200]}") from None


def load_tests(spec: Any, base: Path, where: str) -> list[dict[str, Any]]:
    """`tests:` as a list of raw test mappings (files read, CSV rows converted)."""
    if spec is None:
        return []
    items = spec if isinstance(spec, list) else [spec]
    tests: list[dict[str, Any]] = []
    for index, item in enumerate(items, 1):
        if isinstance(item, dict):
            tests.append(item)
        elif isinstance(item, str):
            if item.startswith(("huggingface://", "https://", "http://")):
                raise DataError(f"{where}: tests from {item.split(':')[0]} are not supported (download them to a file)")
            for path in expand_paths(item, base, f"{where} #{index}"):
                tests += _tests_from_file(path, f"{where}: {path.name}")
        else:
            raise DataError(f"{where} #{index}: a test is a mapping or a path to a test file")
    return tests


def _tests_from_file(path: Path, where: str) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in SCRIPT_SUFFIXES:
        raise DataError(f"{where}: tests generated by a script are not supported")
    text = read_text(path, where)
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        return [csv_test(row, f"{where} row {n}") for n, row in enumerate(rows, 1)]
    if suffix in (".jsonl", ".ndjson"):
        tests = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    tests.append(load_json(line))
                except LoadError as exc:
                    raise DataError(f"{where} line {number}: {exc}") from None
    else:
        data = parse_data(path, text, where)
        tests = data if isinstance(data, list) else [data]
    for number, test in enumerate(tests, 1):
        if not isinstance(test, dict):
            raise DataError(f"{where}: test {number} is not a mapping")
    return tests


def csv_test(row: dict[str, Any], where: str) -> dict[str, Any]:
    """promptfoo's CSV row: vars, `__expected*` assertions, `__description`, `__threshold`, `__metric`..."""
    test: dict[str, Any] = {"vars": {}, "assert": [], "metadata": {}}
    for key, cell in row.items():
        if key is None:
            raise DataError(f"{where}: more cells than columns")
        value = "" if cell is None else str(cell)
        if key.startswith("__expected"):
            if value.strip():
                test["assert"].append(assertion_from_string(value))
        elif key == "__description":
            test["description"] = value
        elif key == "__threshold":
            try:
                test["threshold"] = float(value) if value.strip() else None
            except ValueError:
                raise DataError(f"{where}: __threshold {value!r} is not a number") from None
        elif key.startswith("__metadata"):
            test["metadata"][key.partition(":")[2] or key] = value
        elif key in ("__prefix", "__suffix"):
            if value:
                test.setdefault("options", {})[key[2:]] = value
        elif key in ("__metric", "__providerOutput", "__id"):
            test[key[2:]] = value
        else:
            test["vars"][key] = value
    return test


def assertion_from_string(expected: str) -> dict[str, Any]:
    """promptfoo's `__expected` cell: `type:value`, `type(threshold):value`, legacy prefixes, or equals."""
    for prefix, kind in (("javascript:", "javascript"), ("fn:", "javascript"), ("eval:", "javascript"),
                         ("grade:", "llm-rubric"), ("llm-rubric:", "llm-rubric"), ("python:", "python")):  # fmt: skip
        if expected.startswith(prefix):
            return {"type": kind, "value": expected[len(prefix) :].strip()}
    if expected.startswith("file://"):
        if expected.endswith(".py") or ".py:" in expected:
            return {"type": "python", "value": expected}
        if re.search(r"\.(js|ts)(:|$)", expected):
            return {"type": "javascript", "value": expected}
    from .assertions import PROMPTFOO_TYPES

    match = CSV_ASSERTION.match(expected)
    if match and match.group(2) in PROMPTFOO_TYPES:
        negate, kind, threshold, value = match.groups()
        full = f"{negate or ''}{kind}"
        value = (value or "").strip()
        if kind in LIST_TYPES:
            return {"type": full, "value": [v.strip() for v in value.split(",")]}
        out: dict[str, Any] = {"type": full, "value": value or None}
        if kind in THRESHOLD_TYPES:
            out["threshold"] = float(threshold) if threshold else (0.8 if kind == "similar" else 0.75)
        return out
    return {"type": "equals", "value": expected}


def load_var(value: Any, base: Path, where: str) -> tuple[Any, bool]:
    """A var's value with `file://` read; returns (value, is_glob_list)."""
    if not (isinstance(value, str) and value.startswith("file://")):
        return value, False
    ref = strip_file(value)
    if ref.lower().endswith(SCRIPT_SUFFIXES) or re.search(r"\.(py|js|ts):\w+$", ref):
        raise DataError(f"{where}: var from a script ({value}) is not supported")
    paths = expand_paths(value, base, where)
    loaded = [_var_file(p, where) for p in paths]
    is_glob = any(ch in ref for ch in "*?[")
    return (loaded, True) if is_glob else (loaded[0], False)


def _var_file(path: Path, where: str) -> Any:
    text = read_text(path, where)
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        return parse_data(path, text, where)
    return text


def expand_vars(variables: dict[str, Any], base: Path, where: str) -> list[dict[str, Any]]:
    """One dict per combination: list-valued vars (and globs) expand, as promptfoo does."""
    loaded: dict[str, Any] = {}
    list_vars = []  # written as a list, or a glob: these expand (a JSON file holding a list does not)
    for name, value in variables.items():
        if isinstance(value, list):
            items = []
            for item in value:
                got, is_glob = load_var(item, base, f"{where} var {name}")
                items += got if is_glob else [got]
            loaded[name] = items
            list_vars += [name] if items else []
        else:
            got, is_glob = load_var(value, base, f"{where} var {name}")
            loaded[name] = got
            list_vars += [name] if is_glob else []
    if not list_vars:
        return [loaded]
    combos = []
    for values in itertools.product(*(loaded[k] for k in list_vars)):
        combos.append({**loaded, **dict(zip(list_vars, values, strict=True))})
    return combos
