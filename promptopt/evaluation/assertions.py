"""Assertions on a model's output, promptfoo style: each gives a score in [0, 1] and a pass.

Every type can be negated with a ``not-`` prefix (the pass flips, the score becomes 1 - score).
Outputs are compared after stripping surrounding whitespace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    threshold: float | None = None  # for `similar`

    @property
    def label(self) -> str:
        return ("not-" if self.negate else "") + self.type


@dataclass(frozen=True)
class AssertionResult:
    assertion: Assertion
    passed: bool
    score: float
    reason: str = ""


@dataclass
class Outcome:
    """A test's verdict on one output."""

    passed: bool
    score: float
    results: list[AssertionResult] = field(default_factory=list)

    @property
    def reason(self) -> str:
        failed = [r for r in self.results if not r.passed]
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


CHECKS: dict[str, Callable[[str, Any], tuple[bool, float, str]]] = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _icontains,
    "starts-with": _starts_with,
    "regex": _regex,
    "one-of": _one_of,
    "is-json": _is_json,
    "contains-json": _is_json,
    "json-keys": _json_keys,
    "json-schema": _json_schema,
}
TYPES = (*CHECKS, "similar")
NEEDS_VALUE = {"equals", "contains", "icontains", "starts-with", "regex", "one-of", "json-keys", "json-schema"}


def check(assertion: Assertion, output: str, variables: dict[str, Any]) -> AssertionResult:
    output = output.strip()
    value = assertion.value
    if isinstance(value, str):
        value = fill(value, variables)
    if assertion.type == "similar":
        threshold = DEFAULT_SIMILAR_THRESHOLD if assertion.threshold is None else assertion.threshold
        score = similarity(output, str(value))
        passed = score >= threshold
        reason = "" if passed else f"similarity {score:.2f} < {threshold:.2f}"
        if assertion.negate:
            return AssertionResult(assertion, not passed, 1 - score, f"similarity {score:.2f} >= {threshold}")
        return AssertionResult(assertion, passed, score, reason)
    passed, score, reason = CHECKS[assertion.type](output, value)
    if assertion.negate:
        return AssertionResult(assertion, not passed, 1 - score, "matched" if passed else "")
    return AssertionResult(assertion, passed, score, reason)


def evaluate(
    assertions: list[Assertion], output: str, variables: dict[str, Any], threshold: float | None
) -> Outcome:
    """Weighted score of all assertions; pass = every assertion passed, or score >= threshold if set."""
    results = [check(a, output, variables) for a in assertions]
    total_weight = sum(r.assertion.weight for r in results)
    score = sum(r.score * r.assertion.weight for r in results) / total_weight if total_weight else 0.0
    passed = score >= threshold if threshold is not None else all(r.passed for r in results)
    return Outcome(passed, round(score, 6), results)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
