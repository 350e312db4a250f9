"""Shared steps of every loader: placeholders, then segments."""

from __future__ import annotations

from ..core import PromptDocument, Segment, SegmentKind
from ..placeholders import find_placeholders
from ..segment import segment


def identity_origins(text: str, base: int = 0) -> list[int]:
    """Line origins of a text that stands unchanged in the file at offset `base`."""
    origins = [base]
    pos = text.find("\n")
    while pos != -1:
        origins.append(base + pos + 1)
        pos = text.find("\n", pos + 1)
    return origins


def finish(doc: PromptDocument, role_markers: bool = False, extra: list[Segment] | None = None) -> PromptDocument:
    # `{name}` (str.format) only where a file is not a Jinja-family template
    doc.placeholders = find_placeholders(doc.text, allow_format=doc.format not in ("jinja", "prompty"))
    doc.segments = segment(doc, role_markers=role_markers)
    if extra:
        if any(s.kind == SegmentKind.EXAMPLE for s in extra):  # turns beat text patterns
            doc.segments = [s for s in doc.segments if s.kind != SegmentKind.EXAMPLE]
        doc.segments = sorted(doc.segments + extra, key=lambda s: (s.span.start, -s.span.end))
    return doc
