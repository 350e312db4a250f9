"""Paired eval scores built from plain lists, for the verdict tests: case i of each variant scores
`scores[i]` (passing at 0.5 or more)."""

from __future__ import annotations

from promptopt.evaluation.assertions import Outcome
from promptopt.evaluation.compare import CaseScore, VariantScore, compare


def variant(name: str, scores: list[float]) -> VariantScore:
    cases = {f"c{i}": CaseScore(f"c{i}", ["x"], [Outcome(s >= 0.5, s)], 1) for i, s in enumerate(scores)}
    return VariantScore(name, name, cases)


def pair(original: list[float], candidate: list[float], **options):
    return compare(variant("original", original), variant("candidate", candidate), **options)
