"""Eval suites: a YAML file close to promptfoo's ``promptfooconfig.yaml``.

Paths in a suite resolve against the suite file's folder. A bad suite raises `SuiteError` with one
line that says what is wrong and where.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .assertions import NEEDS_VALUE, TYPES, Assertion
from .prompts import PromptFileError, PromptTemplate, load_prompt

DEFAULT_MAX_TOKENS = 256
KNOWN_KEYS = {
    "description", "prompt", "prompts", "system", "model", "providers", "defaultTest", "tests",
    "dataset", "max_tokens", "stop", "evaluateOptions", "outputPath", "sharing", "env",
}  # fmt: skip


class SuiteError(ValueError):
    """A suite that cannot run; the message is one line meant for the user."""


@dataclass(frozen=True)
class TestCase:
    id: str
    vars: dict[str, Any]
    assertions: tuple[Assertion, ...]
    threshold: float | None = None
    description: str = ""

    __test__ = False  # not a pytest class


@dataclass
class Suite:
    path: Path
    prompt_path: Path
    prompt: PromptTemplate
    cases: list[TestCase]
    model: str | None = None
    models: list[str] = field(default_factory=list)  # every model named; the first is `model`, the reference
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_tokens_set: bool = False  # False: the default above, which a local model may cap (session.py)
    stop: list[str] = field(default_factory=list)  # stop sequences passed to the model
    repeat: int = 1
    description: str = ""
    notes: list[str] = field(default_factory=list)  # things the user should know (ignored keys...)


def load_suite(path: Path, system_file: Path | None = None) -> Suite:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteError(f"cannot read suite {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SuiteError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: a suite must be a YAML mapping with `prompt` and `tests` or `dataset`")
    return _build(raw, path, system_file)


def _build(raw: dict[str, Any], path: Path, system_file: Path | None) -> Suite:
    base = path.parent
    notes = [f"ignored key `{k}`" for k in raw if k not in KNOWN_KEYS]
    prompt_path = _prompt_path(raw, path)
    system_text = None
    system_ref = system_file or (base / _strip_file(raw["system"]) if raw.get("system") else None)
    if system_ref is not None:
        try:
            system_text = Path(system_ref).read_text(encoding="utf-8").strip("\n")
        except OSError as exc:
            raise SuiteError(f"{path}: cannot read system prompt {system_ref}: {exc.strerror}") from None
    try:
        prompt = load_prompt(prompt_path, system_text)
    except PromptFileError as exc:
        raise SuiteError(f"{path}: prompt {prompt_path.name}: {exc}") from None

    default = raw.get("defaultTest") or {}
    if not isinstance(default, dict):
        raise SuiteError(f"{path}: `defaultTest` must be a mapping")
    default_vars = _mapping(default.get("vars"), f"{path}: defaultTest.vars")
    default_asserts = _assertions(default.get("assert"), base, f"{path}: defaultTest")
    default_threshold = _number(default.get("threshold"), f"{path}: defaultTest.threshold")

    cases: list[TestCase] = []
    tests = raw.get("tests")
    if isinstance(tests, str):  # promptfoo: tests: file://tests.csv
        cases += _tabular_tests(base / _strip_file(tests), path)
    elif tests is not None:
        if not isinstance(tests, list):
            raise SuiteError(f"{path}: `tests` must be a list or a path to a CSV/JSONL file")
        for index, test in enumerate(tests, 1):
            cases.append(_test_case(test, index, base, path))
    if raw.get("dataset") is not None:
        cases += _dataset_cases(raw["dataset"], base, path)
    if not cases:
        raise SuiteError(f"{path}: no tests: add `tests` or a `dataset`")

    merged = []
    for case in cases:
        assertions = (*default_asserts, *case.assertions)
        if not assertions:
            raise SuiteError(f"{path}: test {case.id} has no assertions (add `assert` or defaultTest.assert)")
        merged.append(
            TestCase(
                case.id,
                {**default_vars, **case.vars},
                assertions,
                case.threshold if case.threshold is not None else default_threshold,
                case.description,
            )
        )
    missing = sorted(prompt.placeholders() - set().union(*(c.vars for c in merged)))
    if missing:
        notes.append("placeholders with no value in any test: " + ", ".join(missing))

    models = _models(raw, path)
    repeat = (raw.get("evaluateOptions") or {}).get("repeat", 1)
    stop = raw.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise SuiteError(f"{path}: `stop` must be a string or a list of strings")
    return Suite(
        path=path,
        prompt_path=prompt_path,
        prompt=prompt,
        cases=merged,
        model=models[0] if models else None,
        models=models,
        max_tokens=int(_number(raw.get("max_tokens"), f"{path}: max_tokens") or DEFAULT_MAX_TOKENS),
        stop=stop,
        max_tokens_set=raw.get("max_tokens") is not None,
        repeat=int(repeat),
        description=str(raw.get("description") or ""),
        notes=notes,
    )


def _strip_file(ref: str) -> str:
    return ref[len("file://") :] if ref.startswith("file://") else ref


def _prompt_path(raw: dict[str, Any], path: Path) -> Path:
    ref = raw.get("prompt")
    if ref is None and raw.get("prompts") is not None:
        prompts = raw["prompts"] if isinstance(raw["prompts"], list) else [raw["prompts"]]
        if len(prompts) != 1:
            raise SuiteError(
                f"{path}: `prompts` lists {len(prompts)} prompts; promptopt evaluates one prompt per suite "
                "(set `prompt:` and pass the other as --candidate)"
            )
        ref = prompts[0]["id"] if isinstance(prompts[0], dict) else prompts[0]
    if not isinstance(ref, str) or not ref.strip():
        raise SuiteError(f"{path}: `prompt` must be the path of a prompt file")
    if not ref.startswith("file://") and "\n" in ref:
        raise SuiteError(f"{path}: `prompt` must be a file path, not inline text")
    prompt_path = path.parent / _strip_file(ref.strip())
    if not prompt_path.is_file():
        raise SuiteError(f"{path}: prompt file not found: {prompt_path}")
    return prompt_path


def _model(raw: dict[str, Any], path: Path) -> str | None:
    model = raw.get("model")
    if model is None and raw.get("providers"):
        providers = raw["providers"] if isinstance(raw["providers"], list) else [raw["providers"]]
        first = providers[0]
        model = first.get("id") if isinstance(first, dict) else first
        if isinstance(model, str) and ":" in model:  # promptfoo's openai:gpt-4o-mini -> openai/gpt-4o-mini
            model = model.replace(":chat:", "/").replace(":", "/", 1)
    if model is not None and not isinstance(model, str):
        raise SuiteError(f"{path}: `model` must be a litellm model name such as openai/gpt-4o-mini")
    return model


def _models(raw: dict[str, Any], path: Path) -> list[str]:
    """`model` (a name or a list of names) or every entry of `providers`, each read as `_model` reads one."""
    if isinstance(raw.get("model"), list):
        return [_model({"model": m}, path) or "" for m in raw["model"]]
    if raw.get("model") is None and isinstance(raw.get("providers"), list):
        return [_model({"providers": [p]}, path) or "" for p in raw["providers"]]
    model = _model(raw, path)
    return [model] if model else []


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SuiteError(f"{where} must be a mapping of name: value")
    return dict(value)


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SuiteError(f"{where} must be a number, got {value!r}")
    return float(value)


def _assertions(items: Any, base: Path, where: str) -> tuple[Assertion, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise SuiteError(f"{where}: `assert` must be a list")
    return tuple(_assertion(item, base, f"{where} assert #{i}") for i, item in enumerate(items, 1))


def _assertion(item: Any, base: Path, where: str) -> Assertion:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise SuiteError(f"{where}: each assertion needs a `type`")
    kind = item["type"]
    negate = kind.startswith("not-")
    kind = kind[4:] if negate else kind
    if kind not in TYPES:
        raise SuiteError(f"{where}: unknown assertion type {item['type']!r} (supported: {', '.join(TYPES)})")
    value = item.get("value")
    if kind in NEEDS_VALUE and value is None:
        raise SuiteError(f"{where}: {kind} needs a `value`")
    if kind == "similar" and value is None:
        raise SuiteError(f"{where}: similar needs a `value` (the reference text)")
    if kind in ("one-of", "json-schema", "json-keys", "is-json") and isinstance(value, str) and value:
        value = _load_json_value(base / _strip_file(value), where)
    if kind == "one-of" and not isinstance(value, list):
        raise SuiteError(f"{where}: one-of needs a list of labels or a JSON file holding one")
    if kind == "json-keys" and not isinstance(value, list):
        raise SuiteError(f"{where}: json-keys needs a list of key names")
    weight = _number(item.get("weight", 1), f"{where}: weight")
    threshold = _number(item.get("threshold"), f"{where}: threshold")
    return Assertion(kind, value, negate, weight if weight is not None else 1.0, threshold)


def _load_json_value(file: Path, where: str) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read {file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{where}: {file.name} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _test_case(test: Any, index: int, base: Path, path: Path) -> TestCase:
    where = f"{path}: test #{index}"
    if not isinstance(test, dict):
        raise SuiteError(f"{where} must be a mapping with `vars` and `assert`")
    return TestCase(
        id=str(test.get("id") or test.get("description") or f"test-{index}"),
        vars=_mapping(test.get("vars"), f"{where}.vars"),
        assertions=_assertions(test.get("assert"), base, where),
        threshold=_number(test.get("threshold"), f"{where}.threshold"),
        description=str(test.get("description") or ""),
    )


def _read_rows(file: Path, where: str) -> list[dict[str, Any]]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read {file}: {exc.strerror}") from None
    if file.suffix.lower() == ".csv":
        return list(csv.DictReader(text.splitlines()))
    if file.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        raise SuiteError(f"{where}: {file.name}: a dataset must be .jsonl or .csv")
    if file.suffix.lower() == ".json":
        rows = json.loads(text)
        if not isinstance(rows, list):
            raise SuiteError(f"{where}: {file.name} must hold a list of objects")
        return rows
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{where}: {file.name} line {number} is not JSON: {exc.msg}") from None
    return rows


def _tabular_tests(file: Path, path: Path) -> list[TestCase]:
    """promptfoo's CSV tests: columns are vars; `__expected*` columns hold `type: value` or a plain value."""
    cases = []
    for index, row in enumerate(_read_rows(file, f"{path}: tests"), 1):
        assertions = []
        for column, cell in row.items():
            if not column.startswith("__expected") or cell in (None, ""):
                continue
            kind, _, value = str(cell).partition(":")
            if value and kind.strip().removeprefix("not-") in TYPES:
                assertions.append(_assertion({"type": kind.strip(), "value": value.strip()}, path.parent, column))
            else:
                assertions.append(Assertion("equals", str(cell)))
        variables = {k: v for k, v in row.items() if not k.startswith("__")}
        cases.append(TestCase(str(row.get("__id") or f"row-{index}"), variables, tuple(assertions)))
    return cases


def _dataset_cases(spec: Any, base: Path, path: Path) -> list[TestCase]:
    where = f"{path}: dataset"
    if isinstance(spec, str):
        spec = {"path": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
        raise SuiteError(f"{where} needs a `path` to a JSONL or CSV file")
    rows = _read_rows(base / _strip_file(spec["path"]), where)
    var_map = _mapping(spec.get("vars"), f"{where}.vars")
    expected_field = spec.get("expected")
    id_field = spec.get("id", "id")
    if spec.get("shuffle") is not None:  # a seed: a fixed, mixed sample before `limit`
        rows = rows[:]
        random.Random(int(spec["shuffle"])).shuffle(rows)
    if spec.get("limit") is not None:
        rows = rows[: int(spec["limit"])]
    asserts = _assertions(spec.get("assert"), base, where)
    if not asserts and expected_field:
        asserts = (Assertion("equals", "{{expected}}"),)
    cases = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise SuiteError(f"{where}: row {number} is not an object")
        variables = {}
        for name, source in (var_map or {k: k for k in row}).items():
            if source not in row:
                raise SuiteError(f"{where}: row {number} has no field {source!r} (mapped to var {name!r})")
            variables[name] = row[source]
        if expected_field:
            if expected_field not in row:
                raise SuiteError(f"{where}: row {number} has no expected field {expected_field!r}")
            variables["expected"] = row[expected_field]
        cases.append(TestCase(str(row.get(id_field) or f"row-{number}"), variables, asserts))
    return cases
