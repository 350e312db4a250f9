"""Eval suites: a YAML file close to promptfoo's ``promptfooconfig.yaml``.

Paths in a suite resolve against the suite file's folder. A bad suite raises `SuiteError` with one
line that says what is wrong and where.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bounded import load_json, load_yaml_document
from ..core import LoadError
from .assertions import NEEDS_THRESHOLD, NEEDS_VALUE, PROMPTFOO_ONLY, SCRIPTED, TYPES, Assertion
from .promptlist import PromptListError, load_prompt_list
from .prompts import Message, PromptTemplate
from .providers import Provider, ProviderError, load_provider
from .testdata import DataError, expand_vars, load_tests, resolve_refs

DEFAULT_MAX_TOKENS = 256
KNOWN_KEYS = {
    "description", "prompt", "prompts", "system", "model", "providers", "defaultTest", "tests",
    "dataset", "max_tokens", "stop", "evaluateOptions", "outputPath", "sharing", "env", "filters",
    "nunjucksFilters", "tags", "metadata", "writeLatestResults", "commandLineOptions", "tracing",
    "definitions", "$schema",
}  # fmt: skip
# Keys that would change what runs: reported as a note rather than followed.
UNSUPPORTED_KEYS = {
    "scenarios": "its tests were not run", "derivedMetrics": "not computed", "extensions": "hooks not run",
    "redteam": "red-team generation is promptfoo's", "transform": "not applied",
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

    @property
    def scored(self) -> bool:
        """False when no assertion can run: the test runs and is reported unscored."""
        return any(not a.skip for a in self.assertions)


@dataclass
class Suite:
    path: Path
    prompt_path: Path | None  # the first prompt's file, when that file holds just that prompt
    prompt: PromptTemplate  # the first prompt (the baseline)
    cases: list[TestCase]
    model: str | None = None  # the first provider's litellm model, the reference
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_tokens_set: bool = False  # False: the default above, which a local model may cap (session.py)
    stop: list[str] = field(default_factory=list)  # stop sequences passed to the model
    repeat: int = 1
    description: str = ""
    notes: list[str] = field(default_factory=list)  # things the user should know (ignored keys...)
    prompts: list[PromptTemplate] = field(default_factory=list)  # every prompt, in order (N)
    providers: list[Provider] = field(default_factory=list)  # every provider that can run (M)
    grader: Provider | None = None  # promptfoo's defaultTest.options.provider
    skipped: Counter = field(default_factory=Counter)  # (assertion label, reason) -> count

    def prompts_for(self, provider: Provider | None) -> list[PromptTemplate]:
        """promptfoo's provider `prompts:` filter (labels or ids); all prompts when it has none."""
        if provider is None or provider.prompts is None:
            return list(self.prompts)
        wanted = set(provider.prompts)
        return [p for p in self.prompts if {p.name, p.label, p.source, f"file://{p.source}"} & wanted]


def load_suite(path: Path, system_file: Path | None = None) -> Suite:
    path = Path(path)
    try:
        raw = load_yaml_document(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteError(f"cannot read suite {path}: {exc.strerror or exc}") from None
    except LoadError as exc:  # broken YAML, or over a limit (an alias bomb, deep nesting)
        raise SuiteError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: a suite must be a YAML mapping with `prompt` and `tests` or `dataset`")
    try:
        raw = resolve_refs(raw, raw, str(path))
        return _build(raw, path, system_file)
    except (DataError, ProviderError, PromptListError) as exc:
        raise SuiteError(str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}") from None


def _build(raw: dict[str, Any], path: Path, system_file: Path | None) -> Suite:
    base = path.parent
    notes = [f"ignored key `{k}`" for k in raw if k not in KNOWN_KEYS and k not in UNSUPPORTED_KEYS]
    notes += [f"`{k}` is not supported: {why}" for k, why in UNSUPPORTED_KEYS.items() if raw.get(k)]
    system_text = None
    system_ref = system_file or (base / _strip_file(raw["system"]) if raw.get("system") else None)
    if system_ref is not None:
        try:
            system_text = Path(system_ref).read_text(encoding="utf-8").strip("\n")
        except OSError as exc:
            raise SuiteError(f"{path}: cannot read system prompt {system_ref}: {exc.strerror}") from None
    filters = _filters(raw.get("nunjucksFilters") or raw.get("filters"), base, notes)
    spec = raw.get("prompts")
    if raw.get("prompt") is not None:  # promptopt's own key: a file path
        spec = raw["prompt"]
        if isinstance(spec, str) and "\n" not in spec and not spec.startswith("file://"):
            spec = f"file://{spec.strip()}"
    if spec is None:
        raise SuiteError(f"{path}: no prompt: add `prompts` (text or file:// paths)")
    prompts, prompt_path = load_prompt_list(spec, base, f"{path}: prompts", notes, filters)
    if system_text is not None:
        prompts = [_with_system(p, system_text) for p in prompts]

    providers = _providers(raw, base, path, notes)
    default = raw.get("defaultTest") or {}
    if isinstance(default, str):
        default = (load_tests(default, base, f"{path}: defaultTest") or [{}])[0]
    if not isinstance(default, dict):
        raise SuiteError(f"{path}: `defaultTest` must be a mapping")
    default_options = default.get("options") or {}
    grader = _grader(default_options.get("provider"), base, path, notes)
    default_vars = _mapping(default.get("vars"), f"{path}: defaultTest.vars")
    default_transform = default_options.get("transform")
    default_asserts = _assertions(default.get("assert"), base, f"{path}: defaultTest", default_transform)
    default_threshold = _number(default.get("threshold"), f"{path}: defaultTest.threshold")

    cases: list[TestCase] = []
    unused: Counter = Counter()
    for index, test in enumerate(load_tests(raw.get("tests"), base, f"{path}: tests"), 1):
        cases += _test_cases(test, index, base, path, default_vars, default_transform)
        unused.update(_unused_test_keys(test))
    unused.update(_unused_test_keys(default))
    notes += [f"{n} test(s) use {what}" for what, n in sorted(unused.items())]
    if raw.get("dataset") is not None:
        cases += _dataset_cases(raw["dataset"], base, path)
    if not cases:
        if default.get("vars") or default_asserts:
            cases = [TestCase("test-1", {}, ())]
        else:
            raise SuiteError(f"{path}: no tests: add `tests` or a `dataset`")

    merged = []
    repeated: Counter = Counter()  # assertion label -> tests that gave it twice
    for case in cases:
        assertions = _distinct((*default_asserts, *case.assertions))
        repeated.update(a.label for a in default_asserts if a in case.assertions)
        merged.append(
            TestCase(
                case.id,
                {**default_vars, **case.vars},
                assertions,
                case.threshold if case.threshold is not None else default_threshold,
                case.description,
            )
        )
    for label, count in sorted(repeated.items()):
        notes.append(f"`{label}` is given twice for {count} test(s) (in defaultTest, and in the test or as the "
                     "dataset's `expected`): checked and scored once")
    merged = _unique_ids(merged)
    used = set().union(*(p.placeholders() for p in prompts))
    missing = sorted(used - set().union(*(c.vars for c in merged)))
    if missing:
        notes.append("placeholders with no value in any test: " + ", ".join(missing))
    skipped: Counter = Counter()
    for case in merged:
        skipped.update((a.label, a.skip) for a in case.assertions if a.skip)
    if skipped:
        total = sum(skipped.values())
        detail = "; ".join(f"{label} x{n} ({why})" for (label, why), n in sorted(skipped.items()))
        notes.append(f"{total} assertion(s) skipped, not scored: {detail}")
    unscored = sum(1 for c in merged if not c.scored)
    if unscored:
        notes.append(f"{unscored} test(s) have no assertion that can run: they run and are reported unscored")

    suite_view = Suite(path, prompt_path, prompts[0], merged, prompts=prompts, providers=providers)
    for provider in providers:
        if not suite_view.prompts_for(provider):
            raise SuiteError(f"{path}: provider {provider.name}: its `prompts` ({', '.join(provider.prompts or ())}) "
                             "match none of the prompts' labels")  # fmt: skip

    repeat = (raw.get("evaluateOptions") or {}).get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        # every mode (pair, matrix, models, dry run) reads it: checked once, here
        raise SuiteError(f"{path}: evaluateOptions.repeat must be a whole number, 1 or more, not {repeat!r}")
    stop = raw.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise SuiteError(f"{path}: `stop` must be a string or a list of strings")
    return Suite(
        path=path,
        prompt_path=prompt_path,
        prompt=prompts[0],
        cases=merged,
        model=providers[0].model if providers else None,
        max_tokens=int(_number(raw.get("max_tokens"), f"{path}: max_tokens") or DEFAULT_MAX_TOKENS),
        stop=stop,
        max_tokens_set=raw.get("max_tokens") is not None,
        repeat=repeat,
        description=str(raw.get("description") or ""),
        notes=notes,
        prompts=prompts,
        providers=providers,
        grader=grader,
        skipped=skipped,
    )


def _strip_file(ref: str) -> str:
    return ref[len("file://") :] if ref.startswith("file://") else ref


def _with_system(template: PromptTemplate, system: str) -> PromptTemplate:
    return PromptTemplate((Message("system", system), *template.messages), template.source, template.label,
                          template.config, template.chat_source, template.filters)  # fmt: skip


def _providers(raw: dict[str, Any], base: Path, path: Path, notes: list[str]) -> list[Provider]:
    """`model:` (a litellm name, or a list of them: the models to compare, the first the reference) or
    promptfoo's `providers:`; those that cannot run are listed as skipped."""
    if raw.get("model") is not None:
        names = raw["model"] if isinstance(raw["model"], list) else [raw["model"]]
        if not names or not all(isinstance(n, str) and n for n in names):
            raise SuiteError(f"{path}: `model` must be a litellm model name such as openai/gpt-4o-mini, "
                             "or a list of them")
        return [Provider(n, n) for n in names]
    entries = raw.get("providers")
    if entries is None:
        return []
    if isinstance(entries, str | dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise SuiteError(f"{path}: `providers` must be a list")
    providers = []
    for index, entry in enumerate(entries, 1):
        provider = load_provider(entry, base, f"{path}: provider #{index}")
        notes.extend(provider.notes)
        if provider.skip_reason:
            notes.append(f"provider {provider.name} skipped: {provider.skip_reason}")
        else:
            providers.append(provider)
    if not providers:
        raise SuiteError(f"{path}: none of the {len(entries)} provider(s) is a model litellm can call")
    names: dict[str, int] = {}
    for provider in providers:  # two entries with one id need their labels to be told apart
        names[provider.name] = names.get(provider.name, 0) + 1
        if names[provider.name] > 1:
            provider.label = f"{provider.name} ({names[provider.name]})"
    return providers


def _grader(entry: Any, base: Path, path: Path, notes: list[str]) -> Provider | None:
    if entry is None:
        return None
    if isinstance(entry, dict) and "text" in entry and "id" not in entry:  # {text: {id: ...}, embedding: ...}
        entry = entry["text"]
    provider = load_provider(entry, base, f"{path}: defaultTest.options.provider")
    notes.extend(provider.notes)
    if provider.skip_reason:
        notes.append(f"grader {provider.name} skipped: {provider.skip_reason}")
        return None
    return provider


def _filters(spec: Any, base: Path, notes: list[str]) -> dict[str, Any]:
    """Custom nunjucks filters written in JavaScript, run with Node (absent without it: templates say so)."""
    if not spec:
        return {}
    if not isinstance(spec, dict):
        raise SuiteError("`nunjucksFilters` must map a filter name to a .js file")
    from .scripts import ScriptError, node_path, run_script

    if node_path() is None:
        notes.append(f"nunjucks filters {', '.join(spec)} need Node.js, which is not on the PATH")
        return {}

    def make(ref: str):
        def apply(value: Any, *args: Any) -> Any:
            try:
                return run_script("javascript", f"file://{_strip_file(ref)}", value, {}, base)
            except ScriptError as exc:
                raise SuiteError(f"nunjucks filter {ref}: {exc}") from None

        return apply

    return {str(name): make(str(ref)) for name, ref in spec.items()}


def _unique_ids(cases: list[TestCase]) -> list[TestCase]:
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        seen[case.id] = seen.get(case.id, 0) + 1
        if seen[case.id] > 1:
            case = TestCase(f"{case.id} ({seen[case.id]})", case.vars, case.assertions, case.threshold,
                            case.description)  # fmt: skip
        out.append(case)
    return out


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


def _distinct(assertions: tuple[Assertion, ...]) -> tuple[Assertion, ...]:
    """Each assertion once: `defaultTest` and a dataset's `expected` both asking for `equals {{expected}}`
    is one check, not two that double its weight in the score and repeat its failure."""
    kept: list[Assertion] = []
    for assertion in assertions:
        if assertion not in kept:  # values may be lists or mappings: compared, not hashed
            kept.append(assertion)
    return tuple(kept)


def _assertions(items: Any, base: Path, where: str, transform: Any = None) -> tuple[Assertion, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise SuiteError(f"{where}: `assert` must be a list")
    return tuple(_assertion(item, base, f"{where} assert #{i}", transform) for i, item in enumerate(items, 1))


def _assertion(item: Any, base: Path, where: str, transform: Any = None) -> Assertion:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise SuiteError(f"{where}: each assertion needs a `type`")
    kind = item["type"]
    negate = kind.startswith("not-")
    kind = kind[4:] if negate else kind
    weight = _number(item.get("weight", 1), f"{where}: weight")
    threshold = _number(item.get("threshold"), f"{where}: threshold")
    weight = 1.0 if weight is None else weight
    value = item.get("value")
    transform = item.get("transform", transform)
    if kind in PROMPTFOO_ONLY or kind == "similar" and item.get("provider"):
        why = PROMPTFOO_ONLY.get(kind, "embedding similarity with a named provider")
        return Assertion(kind, value, negate, weight, threshold, skip=f"{why}")
    if kind not in TYPES:
        raise SuiteError(f"{where}: unknown assertion type {item['type']!r} (supported: {', '.join(TYPES)})")
    if kind in NEEDS_VALUE and value is None:
        raise SuiteError(f"{where}: {kind} needs a `value`")
    if kind == "similar" and value is None:
        raise SuiteError(f"{where}: similar needs a `value` (the reference text)")
    if kind in NEEDS_THRESHOLD and threshold is None:
        raise SuiteError(f"{where}: {kind} needs a `threshold`")
    if kind in ("one-of", "json-schema", "json-keys", "is-json", "contains-json") and isinstance(value, str) and value:
        value = _load_json_value(base / _strip_file(value), where)
    if kind == "one-of" and not isinstance(value, list):
        raise SuiteError(f"{where}: one-of needs a list of labels or a JSON file holding one")
    if kind == "json-keys" and not isinstance(value, list):
        raise SuiteError(f"{where}: json-keys needs a list of key names")
    skip = ""
    needs_node = kind == "javascript" or transform is not None
    if needs_node:
        from .scripts import node_path

        if node_path() is None:
            skip = "needs Node.js (not on the PATH)" if kind == "javascript" else "its transform needs Node.js"
    if item.get("provider") is not None and kind not in SCRIPTED:
        skip = skip or "a per-assertion grader `provider` is not supported (use defaultTest.options.provider)"
    if transform is not None and not isinstance(transform, str):
        raise SuiteError(f"{where}: `transform` must be JavaScript text")
    if isinstance(transform, str) and transform.startswith("file://"):
        skip = skip or "a transform from a file is not supported"
    return Assertion(kind, value, negate, weight, threshold, skip=skip, transform=transform, base=base)


def _load_json_value(file: Path, where: str) -> Any:
    try:
        return load_json(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read {file}: {exc.strerror}") from None
    except LoadError as exc:
        raise SuiteError(f"{where}: {file.name}: {exc}") from None


TEST_KEYS = {"vars", "assert", "description", "threshold", "options", "metadata", "id"}
OPTION_KEYS = {"transform", "provider"}


def _unused_test_keys(test: Any) -> list[str]:
    """What a test asks for that is not followed, said in the notes rather than dropped silently."""
    if not isinstance(test, dict):
        return []
    found = [f"`{k}`, which is not supported and was ignored" for k in test if k not in TEST_KEYS]
    options = test.get("options") if isinstance(test.get("options"), dict) else {}
    found += [f"options.{k}, which is not supported and was ignored" for k in options if k not in OPTION_KEYS]
    metadata = test.get("metadata") if isinstance(test.get("metadata"), dict) else {}
    if "conversationId" in metadata:
        found.append("metadata.conversationId: conversation threads are not replayed, each test runs alone")
    return found


def _test_cases(
    test: Any, index: int, base: Path, path: Path, default_vars: dict[str, Any], default_transform: Any
) -> list[TestCase]:
    """One promptfoo test; its list vars and var globs expand it into several cases."""
    where = f"{path}: test #{index}"
    if not isinstance(test, dict):
        raise SuiteError(f"{where} must be a mapping with `vars` and `assert`")
    options = test.get("options") or {}
    transform = options.get("transform", default_transform)
    assertions = _assertions(test.get("assert"), base, where, transform)
    threshold = _number(test.get("threshold"), f"{where}.threshold")
    description = str(test.get("description") or "")
    name = str(test.get("id") or description or f"test-{index}")
    expanded = expand_vars({**default_vars, **_mapping(test.get("vars"), f"{where}.vars")}, base, where)
    if len(expanded) == 1:
        return [TestCase(name, expanded[0], assertions, threshold, description)]
    return [TestCase(f"{name} [{n}]", v, assertions, threshold, description) for n, v in enumerate(expanded, 1)]


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
        try:
            rows = load_json(text)
        except LoadError as exc:
            raise SuiteError(f"{where}: {file.name}: {exc}") from None
        if not isinstance(rows, list):
            raise SuiteError(f"{where}: {file.name} must hold a list of objects")
        return rows
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(load_json(line))
        except LoadError as exc:
            raise SuiteError(f"{where}: {file.name} line {number}: {exc}") from None
    return rows


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
