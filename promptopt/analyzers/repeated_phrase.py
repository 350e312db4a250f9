"""A long phrase repeated many times across the prompt.

Boilerplate that recurs ("the most surprising, insightful, and/or interesting") is paid for at
every occurrence. Say it once (define a term, or state the rule in one place) and refer to it.
Flags a phrase of at least `min-words` words that occurs at least `min-repeats` times outside
code blocks; tokens saved counts every occurrence after the first. No automatic fix: rewording
needs a person.

Bad:

    Extract the most surprising, insightful, and interesting ideas ...
    Extract the most surprising, insightful, and interesting quotes ...
    Extract the most surprising, insightful, and interesting facts ...

Good:

    "Notable" means surprising, insightful or interesting.
    Extract the notable ideas, quotes and facts ...
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict

from ..core import SegmentKind, Severity, Span
from ..lazyre import lazy_compile

CODE = "PO104"
NAME = "repeated-phrase"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
OPTIONS = {"min-words": 6, "min-repeats": 3}
_WORD = lazy_compile(r"\w[\w'/-]*[,.;:]?")


def check(doc, ctx):
    n = int(ctx.options["min-words"])
    # few-shot examples repeat their own format by design; PO204 judges them
    skipped = _merged(s.span for s in doc.segments
                      if s.kind in (SegmentKind.CODE, SegmentKind.PLACEHOLDER, SegmentKind.EXAMPLE))
    tokens, k = [], 0
    for m in _WORD.finditer(doc.text):  # one pass: tokens and skipped spans are both in order
        while k < len(skipped) and skipped[k][1] <= m.start():
            k += 1
        if k < len(skipped) and skipped[k][0] <= m.start():
            continue
        tokens.append(m)
    where: dict[tuple, list[int]] = defaultdict(list)
    newlines = [i for i, ch in enumerate(doc.text) if ch == "\n"]
    line_of = [bisect.bisect_left(newlines, t.start()) for t in tokens]
    keys = [t.group(0).lower().rstrip(",.;:") for t in tokens]
    stops = [0]  # prefix counts of sentence-ending tokens
    for t in tokens:
        stops.append(stops[-1] + (t.group(0)[-1] in ".;:!?"))
    for i in range(len(tokens) - n + 1):
        if line_of[i] != line_of[i + n - 1] or stops[i + n - 1] - stops[i]:
            continue  # a phrase stays within one line and one sentence
        where[tuple(keys[i : i + n])].append(i)
    words_per_line = Counter(line_of)
    candidates = []
    for starts in where.values():
        starts = _non_overlapping(starts, n)
        if len(starts) < int(ctx.options["min-repeats"]):
            continue
        # grow the phrase while every occurrence continues the same way on its line
        length = n
        while all(s + length < len(tokens) and line_of[s + length] == line_of[s]
                  and tokens[s + length - 1].group(0)[-1] not in ".;:!?" for s in starts) and len(
            {tokens[s + length].group(0).lower() for s in starts}
        ) == 1 and all(s + length not in starts for s in starts):
            length += 1
        words_in = [tokens[s + j].group(0) for j in range(length) for s in starts[:1]]
        if sum(1 for w in words_in if sum(c.isalpha() for c in w) >= 2) < n:
            continue  # numbers, URLs and code fragments are not prose phrases
        raw = doc.text[tokens[starts[0]].start() : tokens[starts[0] + length - 1].end()]
        if any(c in "<>{}[]=+|" for c in raw):
            continue  # markup and code, not prose
        line_words = [words_per_line[line_of[s]] for s in starts]
        if min(length / w for w in line_words) >= 0.6:
            continue  # most of each line: a repeated sentence, which PO101/PO103 handle
        candidates.append((length * len(starts), starts, length))
    covered: set[int] = set()
    for _, starts, length in sorted(candidates, key=lambda c: (-c[0], c[1][0])):
        taken = {i for s in starts for i in range(s, s + length)}
        if taken & covered:
            continue
        covered |= taken
        first = tokens[starts[0]]
        span = Span(first.start(), tokens[starts[0] + length - 1].end())
        phrase = doc.text[span.start : span.end]
        cost = ctx.counter.count(" " + phrase) * (len(starts) - 1)
        shown = phrase if len(phrase) <= 60 else phrase[:57] + "..."
        yield ctx.report(doc, span, f"'{shown}' is repeated {len(starts)} times: say it once", tokens_saved=cost,
                         related=[Span(tokens[s].start(), tokens[s].start()) for s in starts[1:]])


def _merged(spans) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda sp: sp.start):
        if merged and span.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span.end))
        else:
            merged.append((span.start, span.end))
    return merged


def _non_overlapping(starts: list[int], n: int) -> list[int]:
    out: list[int] = []
    for s in starts:
        if not out or s >= out[-1] + n:
            out.append(s)
    return out
