"""N prompts x M providers: every cell run, scored and reported, as promptfoo's result table.

Each provider gets its own runner (its litellm model and config); each prompt is a variant of that
run, so the answer cache and the call budget work per cell as for a single prompt. Tests with no
assertion that can run are sent too (their answers are counted) but stay out of the scores.
Two cells can then be compared with the paired statistics of `compare` (``--candidate-prompt``,
``--provider``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .compare import VariantScore, score_variant
from .prompts import PromptTemplate
from .providers import Provider
from .runner import PlannedCall, Runner, RunResult, RunStats
from .suite import Suite, TestCase

MAX_LABEL = 40


@dataclass
class Cell:
    prompt: PromptTemplate
    provider: Provider
    score: VariantScore
    unscored_answers: int  # answers received for tests that have nothing to score


@dataclass
class ProviderRun:
    provider: Provider
    runner: Runner
    calls: list[PlannedCall]
    run: RunResult


@dataclass
class Matrix:
    suite: Suite
    repeat: int
    cells: list[Cell] = field(default_factory=list)
    runs: list[ProviderRun] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return any(r.run.stats.partial for r in self.runs)

    @property
    def error(self) -> str | None:
        return next((r.run.stats.error for r in self.runs if r.run.stats.error), None)

    @property
    def exit_code(self) -> int:
        if self.partial:
            return 2
        return 1 if any(c.score.passed < c.score.completed for c in self.cells) else 0

    def cell(self, prompt: str, provider: str) -> Cell | None:
        return next((c for c in self.cells if c.prompt.name == prompt and c.provider.name == provider), None)

    def stats(self) -> RunStats:
        total = RunStats()
        for r in self.runs:
            s = r.run.stats
            total.unique_calls += s.unique_calls
            total.cache_hits += s.cache_hits
            total.real_calls += s.real_calls
            total.retries += s.retries
            total.failed += s.failed
            total.not_run += s.not_run
            total.seconds += s.seconds
            total.interrupted |= s.interrupted
            total.error = total.error or s.error
        return total


def scored_cases(cases: list[TestCase]) -> list[TestCase]:
    return [c for c in cases if c.scored]


def plan_provider(suite: Suite, provider: Provider, runner: Runner, repeat: int) -> list[PlannedCall]:
    variants = {p.name: p for p in suite.prompts_for(provider)}
    return runner.plan(variants, suite.cases, repeat)


def run_matrix(suite: Suite, runner_for: Callable[[Provider], Runner], repeat: int) -> Matrix:
    matrix = Matrix(suite, repeat)
    scored = scored_cases(suite.cases)
    scored_ids = {c.id for c in scored}
    for provider in suite.providers:
        runner = runner_for(provider)
        calls = plan_provider(suite, provider, runner, repeat)
        run = runner.run(calls)
        matrix.runs.append(ProviderRun(provider, runner, calls, run))
        for prompt in suite.prompts_for(provider):
            mine = [c for c in calls if c.variant == prompt.name]
            answered = sum(
                1 for c in mine
                if c.case_id not in scored_ids and run.outcomes.get(c.key) and run.outcomes[c.key].output is not None
            )  # fmt: skip
            score = score_variant(prompt.name, prompt.source, [c for c in mine if c.case_id in scored_ids],
                                  run.outcomes, scored)  # fmt: skip
            matrix.cells.append(Cell(prompt, provider, score, answered))
        if run.stats.error or run.stats.interrupted:
            break  # a provider that failed for good, or Ctrl-C: stop spending, report what came back
    return matrix


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_LABEL else flat[: MAX_LABEL - 3] + "..."


def _cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    s = cell.score
    if not s.cases:
        return f"unscored ({cell.unscored_answers} answers)"
    mean = "-" if s.mean_score is None else f"{s.mean_score:.3f}"
    return f"{s.passed}/{s.completed} pass, {mean}"


def matrix_lines(matrix: Matrix) -> list[str]:
    suite = matrix.suite
    providers = [r.provider for r in matrix.runs] or suite.providers
    unscored = len(suite.cases) - len(scored_cases(suite.cases))
    lines = [f"matrix: {len(suite.prompts)} prompt(s) x {len(suite.providers)} provider(s), "
             f"{len(scored_cases(suite.cases))} scored test(s), {unscored} unscored"]  # fmt: skip
    header = ["prompt \\ provider", *(_short(p.name) for p in providers)]
    rows = [[_short(p.name), *(_cell_text(matrix.cell(p.name, q.name)) for q in providers)] for p in suite.prompts]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return lines


def render_matrix(matrix: Matrix, fmt: str, notes: list[str]) -> str:
    stats = matrix.stats()
    if fmt == "json":
        return json.dumps(matrix_json(matrix, notes), indent=2) + "\n"
    if fmt == "markdown":
        providers = [r.provider for r in matrix.runs]
        lines = ["### promptopt eval: matrix", "", f"`{matrix.suite.path}`", "",
                 "| prompt | " + " | ".join(p.name for p in providers) + " |",
                 "|---|" + "---:|" * len(providers)]  # fmt: skip
        for p in matrix.suite.prompts:
            lines.append(f"| {_short(p.name)} | "
                         + " | ".join(_cell_text(matrix.cell(p.name, q.name)) for q in providers) + " |")
        lines += ["", *(f"- note: {n}" for n in notes)]
        return "\n".join(lines) + "\n"
    lines = [f"eval {matrix.suite.path}", *matrix_lines(matrix),
             f"calls: {stats.real_calls} to the model, {stats.cache_hits} from cache, {stats.retries} retries, "
             f"{stats.failed} failed · {stats.seconds:.1f} s"]  # fmt: skip
    lines += [f"note: {n}" for n in notes]
    failing = [(c, cs) for c in matrix.cells for cs in c.score.cases.values() if cs.complete and not cs.passed]
    if failing:
        lines += ["", f"failing cases ({len(failing)}):"]
        lines += [f"  {_short(c.prompt.name)} @ {c.provider.name} / {cs.case_id}: {cs.reason}"
                  for c, cs in failing[:20]]
    if matrix.error:
        lines.append(f"stopped: {matrix.error}; results so far are shown")
    return "\n".join(lines) + "\n"


def matrix_json(matrix: Matrix, notes: list[str]) -> dict[str, Any]:
    stats = matrix.stats()
    return {
        "suite": str(matrix.suite.path),
        "exit_code": matrix.exit_code,
        "notes": notes,
        "stats": {"real_calls": stats.real_calls, "cache_hits": stats.cache_hits, "retries": stats.retries,
                  "failed": stats.failed, "not_run": stats.not_run, "error": stats.error},  # fmt: skip
        "cells": [
            {
                "prompt": c.prompt.name, "provider": c.provider.name, "model": c.provider.model,
                "passed": c.score.passed, "completed": c.score.completed, "mean_score": c.score.mean_score,
                "unscored_answers": c.unscored_answers,
                "cases": {cid: {"score": cs.score, "passed": cs.passed, "outputs": [str(o) if o is not None else None
                                                                                     for o in cs.outputs],
                                "reason": cs.reason} for cid, cs in c.score.cases.items()},
            }
            for c in matrix.cells
        ],
    }  # fmt: skip


def dry_run_matrix(suite: Suite, runner_for: Callable[..., Runner], repeat: int, reason: str) -> list[Any]:
    """One dry run per provider, over the prompts that provider runs."""
    from promptopt.tokens import TokenCounter

    from .pricing import price_for
    from .session import MESSAGE_OVERHEAD_TOKENS, DryRun, DryRunCall

    plans = []
    for provider in suite.providers:
        runner = runner_for(provider)
        counter = TokenCounter(runner.model)
        unique: dict[str, PlannedCall] = {}
        for call in plan_provider(suite, provider, runner, repeat):
            unique.setdefault(call.key, call)
        cached = runner.cached(list(unique.values()))
        planned = [
            DryRunCall(call, sum(counter.count(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in call.messages),
                       call.key in cached)  # fmt: skip
            for call in unique.values()
        ]
        max_tokens = int(provider.params.get("max_tokens") or runner.max_tokens)
        plans.append(DryRun(runner.model, f"provider {provider.name}", planned, max_tokens,
                            price_for(runner.model), counter.choice.label))  # fmt: skip
    return plans
