"""What a rule's `check` gets besides the document: options, token counts, and `report` to turn a
span of the prompt text (and optional edits of it) into a `Finding` placed in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .core import Applicability, Edit, Finding, Fix, Location, PromptDocument, Span
from .numbering import with_renumbering
from .tokens import TokenCounter


@dataclass
class Context:
    counter: TokenCounter
    config: Config
    options: dict[str, Any] = field(default_factory=dict)
    rule: Any = None  # the Rule being run
    doc_tokens: int = 0  # tokens of the whole document

    def location(self, doc: PromptDocument, span: Span) -> Location:
        start = doc.locate(span.start)
        end = doc.to_source(span.end)
        if end is None:
            end = start
        line, col = doc.line_col(start)
        end_line, end_col = doc.line_col(end)
        return Location(line, col, end_line, end_col)

    def saving(self, doc: PromptDocument, edits: list[Edit]) -> int:
        """Tokens the edits (in text offsets) remove, measured on the lines they touch."""
        if not edits:
            return 0
        text = doc.text
        lo = min(e.span.start for e in edits)
        hi = max(e.span.end for e in edits)
        lo = text.rfind("\n", 0, lo) + 1
        nl = text.find("\n", hi)
        hi = len(text) if nl == -1 else nl
        window = text[lo:hi]
        after, cursor = [], lo
        for edit in sorted(edits, key=lambda e: e.span.start):
            after.append(text[cursor : edit.span.start])
            after.append(edit.replacement)
            cursor = edit.span.end
        after.append(text[cursor:hi])
        return self.counter.saved(window, "".join(after))

    def report(
        self,
        doc: PromptDocument,
        span: Span,
        message: str,
        *,
        tokens_saved: int | None = None,
        edits: list[Edit] | None = None,
        applicability: Applicability = Applicability.SAFE,
        fix_title: str = "",
        related: list[Span] | None = None,
        fix_scope: str = "text",
    ) -> Finding:
        rule = self.rule
        if edits:  # a deleted list item: the items after it move up (promptopt/numbering.py)
            edits = with_renumbering(doc.text, edits)
        if tokens_saved is None:
            tokens_saved = self.saving(doc, edits or [])
        fix = self._fix(doc, edits, applicability, fix_title or message, fix_scope)
        return Finding(
            code=rule.code,
            name=rule.name,
            severity=rule.severity,
            path=doc.path,
            location=self.location(doc, span),
            message=message,
            tokens_saved=tokens_saved,
            fix=fix,
            snippet=doc.text[span.start : span.end],
            document=doc.name,
            related=[self.location(doc, s) for s in related or []],
            text_edits=tuple(edits) if fix is not None else (),
        )

    @staticmethod
    def _fix(doc: PromptDocument, edits: list[Edit] | None, applicability: Applicability, title: str,
             scope: str = "text") -> Fix | None:
        """Edits move from prompt-text offsets to file offsets; a fix that cannot be placed is dropped."""
        if not edits or not doc.mappable:
            return None
        placed = []
        identity = doc.line_origins is not None and doc.source[doc.line_origins[0] :].startswith(doc.text)
        for edit in edits:
            span = doc.source_span(edit.span)
            if span is None or ("\n" in edit.replacement and not identity):
                return None
            moved = doc.source[span.start : span.end]
            if not identity and _dedent(moved) != _dedent(doc.text[edit.span.start : edit.span.end]):
                return None  # the edit would cut across a block scalar's indentation
            placed.append(type(edit)(span, edit.replacement))  # a Renumber edit stays one
        return Fix(tuple(placed), applicability, title, scope)


def _dedent(text: str) -> str:
    return re.sub(r"\n[ \t]*", "\n", text)
