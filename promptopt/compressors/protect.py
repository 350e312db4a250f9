"""Split a prompt into spans a compressor must keep byte for byte and prose it may rewrite.

Kept as is: fenced code blocks, inline code, JSON values, template placeholders (``{{x}}``,
``{{$x}}``, ``{x}``, ``${x}``, Jinja ``{% %}`` / ``{# #}``), XML-style tags, URLs, quoted literals
and code-like spans (``scope.QUOTED``, ``scope.CODE_LIKE``), Markdown line markers (headings,
bullets, numbered items, quotes) and any span the caller passes. With ``keep_critical`` also
numbers, negations and ALL-CAPS labels, which model-based compressors drop or cut apart most often,
and every sentence that is not descriptive prose (``scope.sentences``): rules are atomic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# What the splitter keeps whole is what the guard checks afterwards: one definition of each.
from ..guard import FENCED_CODE, PLACEHOLDER, URL, json_spans
from .scope import CODE_LIKE, QUOTED, sentences

INLINE_CODE = re.compile(r"(`+)[^`\n].*?\1")
XML_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>\n]*)?/?>")
LINE_MARKER = re.compile(r"^[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]+|\d+[.)][ \t]+|>[ \t]?)+", re.M)
NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?%?")
NEGATION = re.compile(
    r"\b(?:not|never|no|none|nor|nothing|nobody|nowhere|neither|without|cannot|"
    r"(?:do|does|did|is|are|was|were|can|could|should|would|will|must|have|has|had|wo|ca)n['’]t)\b",
    re.I,
)
# Section names and labels written in capitals ("MAIN POINTS:", "JSON", "POSITIVE"): a prompt's
# output format often refers to them verbatim, and LLMLingua cuts them into sub-word scraps.
ALL_CAPS = re.compile(r"\b[A-Z][A-Z0-9_]+(?:[ \t]+[A-Z][A-Z0-9_]+)*\b")


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    protected: bool

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def protected_spans(
    text: str, extra: Iterable[tuple[int, int]] = (), *, keep_critical: bool = False
) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans that must survive compression unchanged."""
    spans = [(m.start(), m.end()) for m in FENCED_CODE.finditer(text)]
    spans += json_spans(text)
    patterns = [INLINE_CODE, PLACEHOLDER, XML_TAG, URL, QUOTED, CODE_LIKE, LINE_MARKER]
    if keep_critical:
        patterns += [NUMBER, NEGATION, ALL_CAPS]
        # rules, headings and labels are kept whole; between sentences only whitespace remains
        spans += [(s.start, s.end) for s in sentences(text) if s.kind != "prose"]
    for pattern in patterns:
        spans += [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
    for start, end in extra:
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"protected span {(start, end)} is outside the text (length {len(text)})")
        spans.append((start, end))
    return merge_spans(spans)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def split_pieces(text: str, spans: Sequence[tuple[int, int]]) -> list[Piece]:
    """The whole text as alternating prose and protected pieces; joined back they equal ``text``."""
    pieces: list[Piece] = []
    cursor = 0
    for start, end in spans:
        if start > cursor:
            pieces.append(Piece(cursor, start, False))
        pieces.append(Piece(start, end, True))
        cursor = end
    if cursor < len(text):
        pieces.append(Piece(cursor, len(text), False))
    return pieces
