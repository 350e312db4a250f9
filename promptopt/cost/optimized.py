"""`diff --optimize`: for a changed prompt with an eval suite mapped to it (`eval-suites`, as for
`--verify`), the levers `promptopt optimize PROMPT --suite SUITE` verified, priced for the comment.

A lever counts as verified only when it is part of the combination that held on the suite's held-out
cases; every other lever tried is listed as tried and not verified, with its verdict, and never enters
the verified saving. Answers go through the eval's cache, so a rerun pays only for new calls.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

VERIFIED, NOT_VERIFIED, FAILED = "verified", "not verified", "error"


@dataclass
class LeverFigure:
    """One lever as optimize judged it: alone on the picking cases against the original."""

    lever: str  # "examples", "max_tokens"...
    name: str  # "keep 3 of 12 examples"
    verdict: str  # the eval's verdict alone, or why it was not tried
    input_saved: float = 0.0  # tokens per request
    output_saved: float = 0.0
    monthly_saved: float | None = None
    why: str = ""  # for a lever not verified: what stopped it


@dataclass
class Optimization:
    path: str
    suite: str
    status: str  # VERIFIED, NOT_VERIFIED, FAILED
    model: str = ""
    pick_cases: int = 0
    held_out_cases: int = 0
    verified: list[LeverFigure] = field(default_factory=list)
    not_verified: list[LeverFigure] = field(default_factory=list)
    not_tried: list[str] = field(default_factory=list)  # optimize's notes on levers it did not try
    # the verified combination on the held-out cases, against the original on the same cases
    input_saved: float = 0.0
    output_saved: float = 0.0
    monthly_saved: float | None = None
    difference: float | None = None  # points of mean score, candidate minus original
    interval: tuple[float, float] | None = None
    confidence: float = 0.95
    max_drop: float = 0.0
    held_out_verdict: str = ""
    settings: dict = field(default_factory=dict)  # max_tokens, model the combination needs
    reason: str = ""  # the error, or why nothing was verified
    lingua: bool = True

    @property
    def command(self) -> str:
        """What writes the verified prompt (and its settings), with the options this run used."""
        options = ["--max-drop", f"{self.max_drop:g}", *([] if self.lingua else ["--no-lingua"])]
        return shlex.join(["promptopt", "optimize", self.path, "--suite", self.suite, *options, "-o", self.path])


def _monthly(original, candidate) -> float | None:
    if original.dollars_per_month is None or candidate.dollars_per_month is None:
        return None
    return original.dollars_per_month - candidate.dollars_per_month


def _figure(candidate, original, why: str = "") -> LeverFigure:
    verdict = candidate.verdict if candidate.comparison else (candidate.note or candidate.verdict)
    return LeverFigure(candidate.lever, candidate.name, verdict, original.input_tokens - candidate.input_tokens,
                       original.output_tokens - candidate.output_tokens, _monthly(original, candidate), why)


def _why_not(lever: str, candidates: list, result) -> str:
    """Why a lever that was tried is not among the verified ones, in the comment's words."""
    if any(c.holds for c in candidates):
        combination = result.combination
        if combination is not None and lever in combination.parts:
            verdict = result.confirmed.verdict if result.confirmed else "not run"
            return f"held alone; the combination was {verdict} on the held-out cases"
        return "held alone; dropped when the combination did not hold"
    tried = [c for c in candidates if c.comparison is not None]
    if not tried:
        return candidates[0].note or "not evaluated"
    return ", ".join(sorted({c.verdict for c in tried})) + " on the picking cases"


def summarize(result, relative_path: str, suite: str) -> Optimization:
    """The comment's view of an OptimizeResult."""
    original = result.original
    shown = Optimization(relative_path, suite, NOT_VERIFIED, result.model, result.pick_cases, result.holdout_cases)
    confirmed = result.confirmed
    parts = set(confirmed.parts) if result.verified else set()
    by_lever: dict[str, list] = {}
    for candidate in result.candidates:
        by_lever.setdefault(candidate.lever, []).append(candidate)
    for lever, candidates in by_lever.items():
        if lever in parts:  # the candidate that went into the combination, named in it
            kept = [c for c in candidates if c.holds]
            named = [c for c in kept if c.name in confirmed.name.split(" + ")]
            shown.verified.append(_figure((named or kept)[-1], original))
        else:
            judged = [c for c in candidates if c.holds] or [c for c in candidates if c.comparison] or candidates
            shown.not_verified.append(_figure(judged[-1], original, _why_not(lever, candidates, result)))
    shown.not_tried = [n for n in result.notes if not n.startswith(("combination of", "no lever held"))]
    if result.verified:
        shown.status = VERIFIED
        held = result.original_held or original
        shown.input_saved = held.input_tokens - confirmed.input_tokens
        shown.output_saved = held.output_tokens - confirmed.output_tokens
        shown.monthly_saved = _monthly(held, confirmed)
        shown.settings = {k: v for k, v in (("max_tokens", confirmed.max_tokens), ("model", confirmed.model))
                          if v is not None}
    if confirmed is not None and confirmed.comparison is not None:
        comparison = confirmed.comparison
        shown.difference, shown.interval = comparison.difference, tuple(comparison.ci)
        shown.confidence, shown.max_drop = comparison.confidence, comparison.max_drop
        shown.held_out_verdict = comparison.verdict
    if not result.verified:
        shown.reason = ("no lever held on the picking cases" if result.combination is None else
                        "the combination was not confirmed on the held-out cases" if confirmed is not None else
                        "no held-out cases to confirm on")
    return shown


def optimize_prompt(relative_path: str, head_text: str, suite: Path, root: Path, usage, max_drop: float,
                    lingua: bool) -> Optimization:
    """Run optimize on one changed prompt with its mapped suite; prices at the prompt's model and volume."""
    from .verified import _shown

    shown_suite = _shown(suite, root)
    path = root / relative_path
    try:
        if not path.is_file() or path.read_text(encoding="utf-8") != head_text:
            raise ValueError(f"{relative_path} on disk is not the head's text: check out the head to optimize it")
        from ..optimize.session import run_optimize

        result = run_optimize(path, suite, max_drop=max_drop, price_model=usage.model, lingua=lingua)
        if result.stats.partial:
            raise ValueError(f"the eval stopped: {result.stats.error or 'interrupted'}")
    except Exception as exc:  # a bad suite, a missing key, a provider down: this prompt's line says why
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        return Optimization(relative_path, shown_suite, FAILED, reason=reason)
    shown = summarize(result, relative_path, shown_suite)
    shown.max_drop, shown.lingua = max_drop, lingua
    return shown
