"""Assertions on a model's output, promptfoo style: each gives a score in [0, 1] and a pass.

Every type can be negated with a ``not-`` prefix (the pass flips, the score becomes 1 - score).
Outputs are compared after stripping surrounding whitespace. A promptfoo type this module cannot run
is loaded as *skipped* with its reason: it is counted and reported, never scored, never turned into
another type. A test whose assertions are all skipped (or that has none) runs and is reported unscored.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .grading import GRADED_TYPES
from .prompts import fill
from .similarity import similarity

DEFAULT_SIMILAR_THRESHOLD = 0.75


class AssertionConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Assertion:
    type: str  # without the not- prefix
    value: Any = None
    negate: bool = False
    weight: float = 1.0
    threshold: float | None = None  # for `similar`, `levenshtein`, `rouge-n`, `bleu`, `cost`, `latency`...
    skip: str = ""  # why this assertion cannot run here (it is reported, never scored)
    transform: str | None = None  # promptfoo's JavaScript transform of the output, run with Node
    base: Path | None = field(default=None, compare=False)  # the suite's folder, for file:// scripts

    @property
    def label(self) -> str:
        return ("not-" if self.negate else "") + self.type


@dataclass(frozen=True)
class AssertionResult:
    assertion: Assertion
    passed: bool
    score: float
    reason: str = ""
    skipped: bool = False


@dataclass
class Outcome:
    """A test's verdict on one output."""

    passed: bool
    score: float
    results: list[AssertionResult] = field(default_factory=list)

    @property
    def scored(self) -> bool:
        return any(not r.skipped for r in self.results)

    @property
    def reason(self) -> str:
        failed = [r for r in self.results if not r.passed and not r.skipped]
        return "; ".join(f"{r.assertion.label}: {r.reason}" for r in failed)


def _parse_json(output: str) -> tuple[Any, str]:
    text = output.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg} at char {exc.pos})"


def _equals(output: str, value: Any) -> tuple[bool, float, str]:
    expected = str(value).strip()
    ok = output == expected
    return ok, float(ok), "" if ok else f"expected {expected!r}, got {_short(output)}"


def _contains(output: str, value: Any) -> tuple[bool, float, str]:
    ok = str(value) in output
    return ok, float(ok), "" if ok else f"{str(value)!r} not in {_short(output)}"


def _icontains(output: str, value: Any) -> tuple[bool, float, str]:
    ok = str(value).lower() in output.lower()
    return ok, float(ok), "" if ok else f"{str(value)!r} not in {_short(output)} (any case)"


def _starts_with(output: str, value: Any) -> tuple[bool, float, str]:
    ok = output.startswith(str(value))
    return ok, float(ok), "" if ok else f"{_short(output)} does not start with {str(value)!r}"


def _regex(output: str, value: Any) -> tuple[bool, float, str]:
    ok = re.search(str(value), output) is not None
    return ok, float(ok), "" if ok else f"/{value}/ does not match {_short(output)}"


def _one_of(output: str, value: Any) -> tuple[bool, float, str]:
    ok = output in {str(v).strip() for v in value}
    return ok, float(ok), "" if ok else f"{_short(output)} is not in the label set ({len(value)} labels)"


def _is_json(output: str, value: Any) -> tuple[bool, float, str]:
    data, error = _parse_json(output)
    if error:
        return False, 0.0, error
    if value:  # promptfoo allows a schema as the value of is-json
        return _json_schema(output, value)
    return True, 1.0, ""


def _json_keys(output: str, value: Any) -> tuple[bool, float, str]:
    data, error = _parse_json(output)
    if error:
        return False, 0.0, error
    if not isinstance(data, dict):
        return False, 0.0, "JSON is not an object"
    missing = [k for k in value if k not in data]
    ok = not missing
    return ok, float(ok), "" if ok else f"missing keys: {', '.join(map(str, missing))}"


def _json_schema(output: str, value: Any) -> tuple[bool, float, str]:
    data, error = _parse_json(output)
    if error:
        return False, 0.0, error
    try:
        import jsonschema
    except ImportError:
        raise AssertionConfigError("json-schema needs the jsonschema package: pip install jsonschema") from None
    errors = sorted(jsonschema.Draft202012Validator(value).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(map(str, errors[0].path)) or "(root)"
        return False, 0.0, f"schema: {where}: {errors[0].message}"
    return True, 1.0, ""


def _contains_json(output: str, value: Any) -> tuple[bool, float, str]:
    """The output holds a JSON object or array somewhere (prose around it allowed); with a value, a schema."""
    for data in _json_candidates(output):
        if not value:
            return True, 1.0, ""
        ok, score, reason = _json_schema(json.dumps(data), value)
        if ok:
            return ok, score, reason
    return False, 0.0, "no JSON value in the output" if not value else "no JSON value matching the schema"


def _json_candidates(output: str):
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", output):
        try:
            data, _end = decoder.raw_decode(output, match.start())
        except json.JSONDecodeError:
            continue
        yield data


def _any_all(case_blind: bool, need_all: bool) -> Callable[[str, Any], tuple[bool, float, str]]:
    def check(output: str, value: Any) -> tuple[bool, float, str]:
        items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
        text = output.lower() if case_blind else output
        found = [str(v) for v in items if (str(v).lower() if case_blind else str(v)) in text]
        ok = len(found) == len(items) if need_all else bool(found)
        missing = [str(v) for v in items if str(v) not in found]
        reason = "" if ok else (f"missing {missing!r}" if need_all else f"none of {[str(v) for v in items]!r}")
        return ok, float(ok), reason + ("" if ok else f" in {_short(output)}")

    return check


def _levenshtein(output: str, value: Any, threshold: float | None) -> tuple[bool, float, str]:
    limit = 5 if threshold is None else threshold
    distance = edit_distance(output, str(value))
    ok = distance <= limit
    return ok, float(ok), "" if ok else f"edit distance {distance} > {limit:g}"


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _ngrams(words: list[str], n: int) -> Counter:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def rouge_n(output: str, reference: str, n: int = 1) -> float:
    """ROUGE-N F1 over lower-cased word n-grams (n=1 by default, as js-rouge)."""
    got, ref = _ngrams(_words(output), n), _ngrams(_words(reference), n)
    overlap = sum((got & ref).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def bleu(output: str, references: list[str], max_n: int = 4) -> float:
    """Sentence BLEU: clipped n-gram precisions up to 4, add-one smoothed, with the brevity penalty."""
    words = _words(output)
    refs = [_words(r) for r in references]
    if not words or not any(refs):
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        got = _ngrams(words, n)
        best: Counter = Counter()
        for ref in refs:
            best |= _ngrams(ref, n)
        matched = sum((got & best).values())
        total = max(sum(got.values()), 0)
        log_sum += math.log((matched + 1) / (total + 1)) if n > 1 else math.log(max(matched, 1e-9) / max(total, 1))
    closest = min((abs(len(r) - len(words)), len(r)) for r in refs)[1]
    penalty = 1.0 if len(words) > closest else math.exp(1 - closest / len(words))
    return penalty * math.exp(log_sum / max_n)


def _function_call(output: str, value: Any, params: dict[str, Any], tools: bool) -> tuple[bool, float, str]:
    """The output is a call of a function the model was offered, with arguments valid for its schema."""
    payload = getattr(output, "tool_payload", None)
    if payload is None:
        payload, error = _parse_json(output)
        if error:
            return False, 0.0, f"not a function call: {error}"
    calls = payload if tools else [{"function": payload}]
    if not isinstance(calls, list) or not calls:
        return False, 0.0, "no tool calls" if tools else "not a function call"
    offered = {}
    for spec in params.get("tools") or []:
        function = spec.get("function", spec) if isinstance(spec, dict) else {}
        offered[function.get("name")] = function.get("parameters") or {}
    for spec in params.get("functions") or []:
        if isinstance(spec, dict):
            offered[spec.get("name")] = spec.get("parameters") or {}
    if not offered:
        return False, 0.0, "the provider offered no functions or tools to check against"
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or function.get("name") not in offered:
            name = function.get("name") if isinstance(function, dict) else None
            return False, 0.0, f"call of {name!r}, not one of the offered functions"
        arguments = function.get("arguments", "{}")
        try:
            arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError as exc:
            return False, 0.0, f"{function['name']}: arguments are not JSON ({exc.msg})"
        ok, _score, reason = _json_schema(json.dumps(arguments), offered[function["name"]])
        if not ok:
            return False, 0.0, f"{function['name']}: {reason}"
    return True, 1.0, ""


CHECKS: dict[str, Callable[[str, Any], tuple[bool, float, str]]] = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _icontains,
    "starts-with": _starts_with,
    "regex": _regex,
    "one-of": _one_of,
    "is-json": _is_json,
    "contains-json": _contains_json,
    "json-keys": _json_keys,
    "json-schema": _json_schema,
    "contains-any": _any_all(False, False),
    "contains-all": _any_all(False, True),
    "icontains-any": _any_all(True, False),
    "icontains-all": _any_all(True, True),
}
SCORED_BY_THRESHOLD = ("similar", "levenshtein", "rouge-n", "bleu", "cost", "latency")
FUNCTION_CHECKS = ("is-valid-openai-function-call", "is-valid-openai-tools-call")
SCRIPTED = ("python", "javascript")
TYPES = (*CHECKS, *SCORED_BY_THRESHOLD, *FUNCTION_CHECKS, *SCRIPTED, *GRADED_TYPES)
NEEDS_VALUE = {"equals", "contains", "icontains", "starts-with", "regex", "one-of", "json-keys", "json-schema",
               "contains-any", "contains-all", "icontains-any", "icontains-all", "levenshtein", "rouge-n", "bleu",
               "python", "javascript", "llm-rubric", "g-eval", "factuality", "model-graded-factuality",
               "model-graded-closedqa"}  # fmt: skip
NEEDS_THRESHOLD = {"cost", "latency"}
# promptfoo's other assertion types: recognised, loaded as skipped with this reason.
PROMPTFOO_ONLY = {
    "context-faithfulness": "RAG context metric (needs promptfoo's context prompts)",
    "context-recall": "RAG context metric (needs promptfoo's context prompts)",
    "context-relevance": "RAG context metric (needs promptfoo's context prompts)",
    "conversation-relevance": "needs a conversation history", "select-best": "compares outputs across prompts",
    "max-score": "compares outputs across prompts", "human": "needs a human rating",
    "moderation": "needs a moderation API", "classifier": "needs a HuggingFace classifier",
    "perplexity": "needs token logprobs", "perplexity-score": "needs token logprobs",
    "webhook": "calls an external webhook", "ruby": "Ruby scripts are not run",
    "is-sql": "no SQL parser", "contains-sql": "no SQL parser", "is-xml": "no XML checks yet",
    "contains-xml": "no XML checks yet", "is-html": "no HTML checks yet", "contains-html": "no HTML checks yet",
    "is-refusal": "no refusal detector", "gleu": "not implemented", "meteor": "not implemented",
    "finish-reason": "the finish reason is not kept", "is-valid-function-call": "not implemented",
    "pi": "needs the Pi scorer API", "guardrails": "needs provider guardrails", "answer-correctness": "not implemented",
    "trace-span-count": "needs tracing", "trace-span-duration": "needs tracing", "trace-error-spans": "needs tracing",
    "tool-call-f1": "not implemented", "word-count": "not implemented", "search-rubric": "needs web search",
    "assert-set": "nested assertion sets are not supported", "similar:cosine": "embedding similarity",
    "llm-rubric-vision": "images", "image-rubric": "images",
}  # fmt: skip
PROMPTFOO_TYPES = {*TYPES, *PROMPTFOO_ONLY}


def check(assertion: Assertion, output: str, variables: dict[str, Any]) -> AssertionResult:
    if assertion.skip:
        return AssertionResult(assertion, True, 0.0, assertion.skip, skipped=True)
    try:
        return _check(assertion, output, variables)
    except AssertionConfigError:
        raise
    except Exception as exc:  # a script, a grader or a transform failing: that assertion fails, with why
        from .grading import GraderError
        from .scripts import ScriptError

        if not isinstance(exc, ScriptError | GraderError):
            raise
        prefix = "grader error: " if isinstance(exc, GraderError) else ""
        return AssertionResult(assertion, False, 0.0, prefix + str(exc))


def _check(assertion: Assertion, output: str, variables: dict[str, Any]) -> AssertionResult:
    raw = output
    params = getattr(output, "params", {}) or {}
    if assertion.transform:
        output = _transformed(assertion, output, variables)
    output = output.strip()
    value = assertion.value
    if isinstance(value, str):
        value = fill(value, variables)
    elif isinstance(value, list):
        value = [fill(v, variables) if isinstance(v, str) else v for v in value]
    if assertion.type in SCRIPTED:
        from .scripts import grading_result, run_script

        subject = output if assertion.transform else script_subject(raw)
        result = run_script(assertion.type, str(value), subject, {"vars": variables},
                            assertion.base or Path.cwd())  # fmt: skip
        return _negated(assertion, *grading_result(result))
    if assertion.type in GRADED_TYPES:
        from .grading import current_grader, grade

        grader = current_grader()
        if grader is None:
            return AssertionResult(assertion, True, 0.0, "no grader model (set --grader)", skipped=True)
        return _negated(assertion, *grade(assertion.type, value, output, variables, assertion.threshold, grader))
    if assertion.type in FUNCTION_CHECKS:
        return _negated(assertion, *_function_call(raw, value, params, assertion.type.endswith("tools-call")))
    if assertion.type in ("cost", "latency"):
        measured = getattr(raw, "cost" if assertion.type == "cost" else "latency_ms", None)
        if measured is None:
            what = "no price for this model" if assertion.type == "cost" else "no latency measured"
            return AssertionResult(assertion, True, 0.0, what, skipped=True)
        ok = measured <= (assertion.threshold or 0)
        unit = "$" if assertion.type == "cost" else "ms "
        return _negated(assertion, ok, float(ok), "" if ok else f"{unit}{measured:g} > {assertion.threshold:g}")
    if assertion.type == "levenshtein":
        return _negated(assertion, *_levenshtein(output, value, assertion.threshold))
    if assertion.type in ("rouge-n", "bleu"):
        references = value if isinstance(value, list) else [str(value)]
        score = bleu(output, references) if assertion.type == "bleu" else max(rouge_n(output, r) for r in references)
        limit = (0.5 if assertion.type == "bleu" else 0.75) if assertion.threshold is None else assertion.threshold
        ok = score >= limit
        return _negated(assertion, ok, score, "" if ok else f"{assertion.type} {score:.2f} < {limit:g}")
    if assertion.type == "similar":
        threshold = DEFAULT_SIMILAR_THRESHOLD if assertion.threshold is None else assertion.threshold
        score = similarity(output, str(value))
        passed = score >= threshold
        reason = "" if passed else f"similarity {score:.2f} < {threshold:.2f}"
        if assertion.negate:
            return AssertionResult(assertion, not passed, 1 - score, f"similarity {score:.2f} >= {threshold}")
        return AssertionResult(assertion, passed, score, reason)
    return _negated(assertion, *CHECKS[assertion.type](output, value))


def _negated(assertion: Assertion, passed: bool, score: float, reason: str) -> AssertionResult:
    if assertion.negate:
        return AssertionResult(assertion, not passed, 1 - score, "matched" if passed else "")
    return AssertionResult(assertion, passed, score, reason)


def script_subject(output: str) -> Any:
    """What `output` is in JavaScript and Python, as in promptfoo: the function or tool call the model made,
    the parsed object when JSON output was requested (response_format), else the text."""
    payload = getattr(output, "tool_payload", None)
    if payload is not None:
        return payload
    fmt = (getattr(output, "params", None) or {}).get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        data, error = _parse_json(output)
        if not error:
            return data
    return str(output)


def _transformed(assertion: Assertion, output: str, variables: dict[str, Any]) -> str:
    from .scripts import run_script

    result = run_script("javascript", str(assertion.transform), script_subject(output), {"vars": variables},
                        assertion.base or Path.cwd())  # fmt: skip
    return result if isinstance(result, str) else json.dumps(result)


def evaluate(
    assertions: list[Assertion], output: str, variables: dict[str, Any], threshold: float | None
) -> Outcome:
    """Weighted score of all assertions; pass = every assertion passed, or score >= threshold if set."""
    results = [check(a, output, variables) for a in assertions]
    scored = [r for r in results if not r.skipped]
    total_weight = sum(r.assertion.weight for r in scored)
    score = sum(r.score * r.assertion.weight for r in scored) / total_weight if total_weight else 0.0
    passed = score >= threshold if threshold is not None and scored else all(r.passed for r in scored)
    return Outcome(passed, round(score, 6), results)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
