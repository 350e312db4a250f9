"""Does a span overlap any of a document's data spans? Asked for every sentence and segment by several
rules: a scan of every span each time was quadratic in long prompts; here it is a binary search."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from .core import Span


class SpanIndex:
    """Spans (they may nest or overlap one another), sorted by start, with the furthest end reached by
    each prefix: a span [a, b) overlaps one of them iff some span starting before b ends after a."""

    __slots__ = ("_starts", "_reach")

    def __init__(self, spans: Iterable[Span]) -> None:
        ordered = sorted(spans, key=lambda s: s.start)
        self._starts = [s.start for s in ordered]
        self._reach: list[int] = []
        furthest = -1
        for s in ordered:
            furthest = max(furthest, s.end)
            self._reach.append(furthest)

    def overlaps(self, span: Span) -> bool:
        """`any(s.overlaps(span) for s in spans)`, empty spans included (as `Span.overlaps` has them)."""
        i = bisect.bisect_left(self._starts, span.end)
        return i > 0 and self._reach[i - 1] > span.start
