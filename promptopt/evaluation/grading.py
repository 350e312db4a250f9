"""Model-graded assertions: a grader model judges the output, through litellm and the same answer cache.

Types: ``llm-rubric`` (pass/score against a rubric), ``g-eval`` (a 1-10 score per criterion, averaged,
pass at ``threshold``, default 0.7), ``factuality`` / ``model-graded-factuality`` (the output against a
reference, OpenAI-evals categories A-E; D, a disagreement, fails), ``model-graded-closedqa`` (does the
output meet the criterion), ``answer-relevance`` (the grader rates 0..1 how well the output answers the
test's `query` var; promptfoo uses embeddings here, so scores differ).

The grader is, in order: the assertion's ``provider``, ``defaultTest.options.provider`` (promptfoo's
place for it), ``--grader``, else the default model for a provider key that is set. With none, the
assertion is skipped out loud. A grader that fails for good (after retries) or replies with no JSON
fails the assertion with that reason and makes the run an error (exit 2): its verdict cannot be trusted.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

GRADED_TYPES = ("llm-rubric", "g-eval", "factuality", "model-graded-factuality", "model-graded-closedqa",
                "answer-relevance")  # fmt: skip
GRADER_MAX_TOKENS = 512
DEFAULT_G_EVAL_THRESHOLD = 0.7
DEFAULT_RELEVANCE_THRESHOLD = 0.7
JSON_ONLY = "Reply with one JSON object and nothing else."


class GraderError(RuntimeError):
    pass


@dataclass
class Grader:
    model: str
    runner: Any  # a Runner for the grader model: cache, retries, timeouts
    errors: list[str] = field(default_factory=list)
    calls: int = 0
    skipped: int = 0

    def ask(self, system: str, user: str) -> dict[str, Any]:
        from .cache import cache_key
        from .runner import PlannedCall

        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        key = cache_key(self.runner.model, messages, self.runner.params(0))
        result = self.runner.run([PlannedCall("grader", "grade", 0, messages, key)])
        self.calls += 1
        outcome = result.outcomes.get(key)
        if outcome is None or outcome.output is None:
            message = result.stats.error or (outcome.error if outcome else "no answer")
            self.errors.append(message)
            raise GraderError(message)
        try:
            return parse_json_object(outcome.output)
        except GraderError as exc:
            self.errors.append(str(exc))
            raise


_current: contextvars.ContextVar[Grader | None] = contextvars.ContextVar("grader", default=None)


@contextmanager
def use_grader(grader: Grader | None) -> Iterator[None]:
    token = _current.set(grader)
    try:
        yield
    finally:
        _current.reset(token)


def current_grader() -> Grader | None:
    return _current.get()


def parse_json_object(text: str) -> dict[str, Any]:
    match = re.search(r"\{.*\}", text, re.S)
    if match:
        try:
            data = json.loads(match.group(0))
            if isinstance(data, dict):
                return data
        except json.JSONDecodeError:
            pass
    flat = " ".join(text.split())[:80]
    raise GraderError(f"the grader's reply is not a JSON object: {flat!r}")


def grade(kind: str, value: Any, output: str, variables: dict[str, Any], threshold: float | None,
          grader: Grader) -> tuple[bool, float, str]:  # fmt: skip
    if kind == "llm-rubric":
        reply = grader.ask(
            "You grade a model's output against a rubric. " + JSON_ONLY
            + ' Shape: {"reason": "...", "pass": true|false, "score": 0.0-1.0}.',
            f"<output>\n{output}\n</output>\n<rubric>\n{value}\n</rubric>",
        )
        passed = bool(reply.get("pass", False))
        score = _unit(reply.get("score"), float(passed))
        if threshold is not None:
            passed = passed and score >= threshold
        return passed, score, str(reply.get("reason", ""))
    if kind == "g-eval":
        criteria = value if isinstance(value, list) else [value]
        scores, reasons = [], []
        for criterion in criteria:
            reply = grader.ask(
                "You rate a reply on one criterion, from 1 (worst) to 10 (best). " + JSON_ONLY
                + ' Shape: {"score": 1-10, "reason": "..."}.',
                f"Criterion: {criterion}\n\n<reply>\n{output}\n</reply>",
            )
            scores.append(_unit(_number(reply.get("score")) / 10 if _number(reply.get("score")) else 0, 0.0))
            reasons.append(str(reply.get("reason", "")))
        score = sum(scores) / len(scores)
        limit = DEFAULT_G_EVAL_THRESHOLD if threshold is None else threshold
        return score >= limit, score, f"g-eval {score:.2f} vs {limit:.2f}: " + " / ".join(reasons)[:200]
    if kind in ("factuality", "model-graded-factuality"):
        reply = grader.ask(
            "You compare a submitted answer with an expert answer, ignoring style. Choose one category: "
            "A the submission is a subset of the expert answer and consistent with it; B a superset, "
            "consistent; C the same details; D a disagreement between them; E they differ but the "
            "differences do not matter for factuality. " + JSON_ONLY
            + ' Shape: {"category": "A".."E", "reason": "..."}.',
            f"<expert>\n{value}\n</expert>\n<submission>\n{output}\n</submission>",
        )
        category = str(reply.get("category", "")).strip().upper()[:1]
        if category not in "ABCDE" or not category:
            raise GraderError(f"the grader gave no category A-E: {reply!r}"[:120])
        passed = category != "D"
        return passed, float(passed), f"category {category}: {reply.get('reason', '')}"
    if kind == "model-graded-closedqa":
        reply = grader.ask(
            "You check whether a submission meets a criterion. " + JSON_ONLY
            + ' Shape: {"reason": "...", "pass": true|false}.',
            f"<submission>\n{output}\n</submission>\n<criterion>\n{value}\n</criterion>",
        )
        passed = bool(reply.get("pass", False))
        return passed, float(passed), str(reply.get("reason", ""))
    if kind == "answer-relevance":
        query = variables.get("query") or "; ".join(f"{k}: {v}" for k, v in variables.items())
        reply = grader.ask(
            "You rate from 0.0 to 1.0 how directly an answer addresses a question. " + JSON_ONLY
            + ' Shape: {"score": 0.0-1.0, "reason": "..."}.',
            f"<question>\n{query}\n</question>\n<answer>\n{output}\n</answer>",
        )
        score = _unit(reply.get("score"), 0.0)
        limit = DEFAULT_RELEVANCE_THRESHOLD if threshold is None else threshold
        return score >= limit, score, f"relevance {score:.2f} vs {limit:.2f}: {reply.get('reason', '')}"
    raise GraderError(f"no grader prompt for {kind}")


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _unit(value: Any, default: float) -> float:
    if value is None:
        return default
    return max(0.0, min(1.0, _number(value)))
