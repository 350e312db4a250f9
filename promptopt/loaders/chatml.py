"""ChatML (`<|im_start|>role ... <|im_end|>`): one document; user/assistant turns before the last
user turn are few-shot examples."""

from __future__ import annotations

import re
from pathlib import Path

from ..core import PromptDocument, Segment, SegmentKind, Span
from ..lazyre import lazy_compile
from .build import finish, identity_origins

_TURN = lazy_compile(r"<\|im_start\|>\s*(\w+)[^\n]*\n(.*?)(?:<\|im_end\|>|(?=<\|im_start\|>)|\Z)", re.S)
_MARKER = lazy_compile(r"<\|im_(?:start|end)\|>[^\n]*")


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    doc = PromptDocument(path, source, source, fmt, line_origins=identity_origins(source))
    turns = [(m.group(1).lower(), Span(m.start(2), m.end(2))) for m in _TURN.finditer(source)]
    extra = [Segment(SegmentKind.ROLE_MARKER, Span(m.start(), m.end()), m.group(0)) for m in _MARKER.finditer(source)]
    doc.role_spans = [s.span for s in extra]
    extra += turn_examples(source, turns)
    return [finish(doc, extra=extra)]


def turn_examples(text: str, turns: list[tuple[str, Span]]) -> list[Segment]:
    """(user, assistant) pairs that precede the final user turn."""
    examples = []
    for (role_a, span_a), (role_b, span_b) in zip(turns, turns[1:], strict=False):
        if role_a in ("user", "human") and role_b == "assistant" and text[span_b.start : span_b.end].strip():
            span = Span(span_a.start, span_b.end)
            examples.append(
                Segment(SegmentKind.EXAMPLE, span, text[span.start : span.end],
                        parts={"input": span_a, "output": span_b}, section="turns")
            )
    return examples
