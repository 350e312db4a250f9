"""SpanIndex answers as the scan it replaced, `any(s.overlaps(span) for s in spans)`, nested, touching and
empty spans included."""

from __future__ import annotations

import random

from promptopt.core import Span
from promptopt.spanindex import SpanIndex


def test_the_index_answers_as_a_scan_of_every_span():
    rng = random.Random(7)
    for _ in range(5000):
        spans = []
        for _ in range(rng.randint(0, 8)):
            start = rng.randint(0, 40)
            spans.append(Span(start, start + rng.choice([0, 1, 2, 5, 20])))
        index = SpanIndex(spans)
        start = rng.randint(0, 45)
        query = Span(start, start + rng.choice([0, 1, 3, 10]))
        assert index.overlaps(query) == any(s.overlaps(query) for s in spans), (spans, query)


def test_a_long_span_before_short_ones_still_covers_what_follows():
    index = SpanIndex([Span(0, 100), Span(10, 12), Span(50, 51)])
    assert index.overlaps(Span(60, 70)) and not index.overlaps(Span(100, 120))
