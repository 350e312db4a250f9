"""What the contradiction rules share: instruction sentences (no examples, no code) and their places."""

from __future__ import annotations

from ..core import PromptDocument, SegmentKind, Span
from ..document import sentences


def instruction_sentences(doc: PromptDocument) -> list[tuple[Span, str, str]]:
    """(span, text, section) of each sentence that is an instruction: few-shot examples and code are data."""
    return doc.memo("instruction-sentences", _instruction_sentences)


def _instruction_sentences(doc: PromptDocument) -> list[tuple[Span, str, str]]:
    from ..spanindex import SpanIndex

    out = []
    blocks = SpanIndex(p.span for p in doc.placeholders if p.syntax == "jinja-block")
    for span, holder in sentences(doc):
        if doc.in_code(span) or doc.in_example(span):
            continue
        if blocks.overlaps(span):
            continue  # `{% if %}` branches may hold alternatives that never meet
        out.append((span, doc.text[span.start : span.end], holder.section))
    return out


def line_of(doc: PromptDocument, span: Span) -> int:
    return doc.line_col(doc.locate(span.start))[0]


def in_jinja_branch(doc: PromptDocument, span: Span) -> bool:
    """Inside `{% if %}`...`{% endif %}`: two branches may say different things on purpose."""
    depth = 0
    for p in doc.placeholders:
        if p.syntax != "jinja-block" or p.span.start >= span.start:
            break
        body = p.raw.strip("{%-} ").split(" ", 1)[0]
        if body in ("if", "for", "macro"):
            depth += 1
        elif body in ("endif", "endfor", "endmacro") and depth:
            depth -= 1
    return depth > 0


__all__ = ["SegmentKind", "instruction_sentences", "line_of", "in_jinja_branch"]
