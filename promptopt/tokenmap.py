"""The token map: where each prompt's tokens go, section by section (issue 22, item 2).

A cost owner's first question about a 5,000-token prompt is which part of it costs the money. The
audit answers it for every file: the prompt is cut at its headings (Markdown `#` headings, XML-style
blocks such as `<examples>` ... `</examples>`, else bold or all-caps heading lines), at the level
that repeats (a lone `# Title` above `##` sections does not swallow them), never inside a code
fence, and each section's tokens are counted with the audit's tokenizer. A file that holds several
prompts (a YAML config, a Python module of templates) maps each prompt by its name.

Every section has a `role`: the document model's role (instruction, constraint, output, example,
reference, quoted, template, noise) that holds most of the section's text, headings aside; `by_role`
adds the map up by role, and the reporters show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .core import PromptDocument, sent_between
from .lazyre import lazy_compile

if TYPE_CHECKING:
    from .tokens import TokenCounter

PREAMBLE = "(preamble)"  # text before the first heading
WHOLE = "(whole prompt)"  # a prompt with no heading
_ATX = lazy_compile(r"^(#{1,6})\s+\S")
_XML_OPEN = lazy_compile(r"^<([A-Za-z][\w.-]*)(\s[^<>]*)?>\s*$")
_XML_CLOSE = lazy_compile(r"^\s*</([A-Za-z][\w.-]*)>\s*$", re.M)
_FENCE = lazy_compile(r"^\s*(```|~~~)")
_FENCE_MARKS = frozenset("`~")
_OTHER_LEVEL = 7  # bold and all-caps heading lines: used only when no Markdown or XML level repeats
_NAME_WIDTH = 60


@dataclass(frozen=True)
class SectionTokens:
    """One section of one prompt: where it starts and ends in the file, and its tokens per request."""

    section: str  # the heading as written ("## Examples", "<examples>"), or PREAMBLE / WHOLE
    line: int  # 1-based, in the file
    end_line: int
    tokens: int
    document: str = ""  # the prompt's name when the file holds several ("agent.system_template")
    role: str | None = None  # filled by the document model; None until then


def _headings(text: str) -> list[tuple[int, int, str]]:
    """(offset of the line, level, heading as written) for each heading line outside code fences."""
    from .segment import heading_title

    found: list[tuple[int, int, str]] = []
    offset, fenced = 0, False
    lines = text.splitlines(keepends=True)
    closers = {m.group(1) for m in _XML_CLOSE.finditer(text)} if "</" in text else set()
    for line in lines:
        stripped = line.strip()
        # each pattern is tried only on a line whose first character can open it (most open with a letter)
        first = stripped[:1]
        if first in _FENCE_MARKS and _FENCE.match(line):
            fenced = not fenced
        elif not fenced and stripped:
            atx = _ATX.match(stripped) if first == "#" else None
            xml = _XML_OPEN.match(stripped) if first == "<" else None
            if atx:
                found.append((offset, len(atx.group(1)), stripped))
            elif xml and xml.group(1) in closers:
                found.append((offset, 1, f"<{xml.group(1)}>"))
            elif (first in "#*" or "A" <= first <= "Z") and heading_title(stripped):
                found.append((offset, _OTHER_LEVEL, stripped))
        offset += len(line)
    return found


def _split_level(headings: list[tuple[int, int, str]]) -> int | None:
    levels = [level for _, level, _ in headings]
    if not levels:
        return None
    repeated = [level for level in set(levels) if levels.count(level) >= 2]
    return min(repeated) if repeated else min(levels)


def _name(text: str) -> str:
    return text if len(text) <= _NAME_WIDTH else text[: _NAME_WIDTH - 3] + "..."


def sections_of(doc: PromptDocument, counter: TokenCounter, tokens: int | None = None,
                named: bool = False) -> list[SectionTokens]:
    """The sections of one prompt. `tokens`: the prompt's count, when the audit has it (a prompt with no
    heading is then not counted again). `named`: label sections with the prompt's name. Where the text
    sent is the text itself (no template comment cut out of it), a section is counted by
    `counter.count_between`, from the prompt's paragraph counts."""
    text = doc.text
    label = doc.name if named else ""
    commented = any(p.syntax == "jinja-comment" for p in doc.placeholders)

    def tokens_of(start: int, end: int) -> int:
        return counter.count(sent_between(doc, start, end)) if commented else counter.count_between(text, start, end)

    def line_of(offset: int) -> int:
        return doc.line_col(doc.locate(offset))[0]

    def section(name: str, start: int, end: int, counted: int | None = None) -> SectionTokens:
        last = start + max(len(text[start:end].rstrip()) - 1, 0)  # the section's last visible character
        return SectionTokens(_name(name), line_of(start), line_of(last),
                             counted if counted is not None else tokens_of(start, end), label,
                             section_role(doc, start, end))

    level = _split_level(headings := _headings(text))
    cuts = [(offset, name) for offset, lvl, name in headings if level is not None and lvl <= level]
    if not cuts:
        return [section(doc.name if named and doc.name else WHOLE, 0, len(text), tokens)] if text.strip() else []
    out = []
    if text[: cuts[0][0]].strip():
        out.append(section(PREAMBLE, 0, cuts[0][0]))
    for i, (offset, name) in enumerate(cuts):
        out.append(section(name, offset, cuts[i + 1][0] if i + 1 < len(cuts) else len(text)))
    return out


def section_role(doc: PromptDocument, start: int, end: int) -> str | None:
    """The role (`promptopt.document`) that holds most of the section's text, headings aside."""
    import bisect

    from .document import document_model

    model = document_model(doc)
    # blocks are in order and do not overlap: those from the one holding `start` to the last before `end`
    first = max(0, bisect.bisect_right(model._starts, start) - 1)
    sizes: dict = {}  # by role (not `role.value`: a property call per block)
    for block in model.blocks[first : bisect.bisect_left(model._starts, end)]:
        span = block.span
        if span.end <= start or span.start >= end or block.kind in ("heading", "tag", "rule"):
            continue
        sizes[block.role] = sizes.get(block.role, 0) + min(span.end, end) - max(span.start, start)
    return max(sizes, key=sizes.__getitem__).value if sizes else None


def token_map(documents: list[PromptDocument], counter: TokenCounter,
              tokens: list[int] | None = None) -> list[SectionTokens]:
    """Every section of every prompt of a file, in file order."""
    named = len(documents) > 1
    out: list[SectionTokens] = []
    for i, doc in enumerate(documents):
        out.extend(sections_of(doc, counter, tokens[i] if tokens else None, named))
    return out


def largest(sections: Iterable[SectionTokens], n: int) -> list[SectionTokens]:
    """The `n` costliest sections, costliest first (file order among equals)."""
    return sorted(sections, key=lambda s: -s.tokens)[:n]


def by_role(sections: Iterable[SectionTokens]) -> list[tuple[str, int]]:
    """Tokens per role, largest first; empty while no section has a role."""
    totals: dict[str, int] = {}
    for s in sections:
        if s.role:
            totals[s.role] = totals.get(s.role, 0) + s.tokens
    return sorted(totals.items(), key=lambda item: -item[1])


def display_name(s: SectionTokens) -> str:
    return f"{s.document}: {s.section}" if s.document and s.section != s.document else s.section
