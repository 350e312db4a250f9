"""Core types that flow from loaders to analyzers to fixes and reporters.

Offsets are character offsets. A `PromptDocument` holds the prompt text exactly as the model sees it
(``text``) and, where possible, a map from each text line to where it starts in the file, so a finding
or an edit on the prompt can be placed in the file (YAML block scalars, front matter, JSON strings).
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (info, warning, error)") from None

    def __str__(self) -> str:
        return self.name.lower()


class Applicability(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


class SegmentKind(str, enum.Enum):
    HEADING = "heading"
    PROSE = "prose"
    LIST_ITEM = "list_item"
    EXAMPLE = "example"
    OUTPUT_SPEC = "output_spec"
    CODE = "code"
    PLACEHOLDER = "placeholder"
    FRONT_MATTER = "front_matter"
    ROLE_MARKER = "role_marker"


# Spans, segments and blocks are made by the hundred thousand in an audit: their `__init__` sets the fields
# in the instance's dict (a frozen dataclass's generated one calls `object.__setattr__` per field: a span
# took 0.30 us, now 0.16, by timeit); they stay frozen, compared and hashed by their fields.
_NEW_DICT = object()  # a default that stands for a new empty dict (a dataclass's `default_factory=dict`)


@dataclass(frozen=True, init=False)
class Span:
    start: int
    end: int

    def __init__(self, start: int, end: int) -> None:
        if start > end:
            raise ValueError(f"span start {start} after end {end}")
        fields = self.__dict__
        fields["start"] = start
        fields["end"] = end

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True, init=False)
class Segment:
    """A piece of a prompt that knows what it is. Spans are offsets into `PromptDocument.text`."""

    kind: SegmentKind
    span: Span
    text: str
    # For examples: the input and output parts.
    parts: dict[str, Span] = field(default_factory=dict)
    section: str = ""  # the heading this segment stands under ("" before the first heading)

    def __init__(self, kind: SegmentKind, span: Span, text: str, parts: dict[str, Span] | object = _NEW_DICT,
                 section: str = "") -> None:
        fields = self.__dict__
        fields["kind"] = kind
        fields["span"] = span
        fields["text"] = text
        fields["parts"] = {} if parts is _NEW_DICT else parts
        fields["section"] = section


@dataclass(frozen=True)
class Placeholder:
    """A template variable or block (``{{ name }}``, ``{name}``, ``{{$name}}``, ``{% if %}``)."""

    name: str
    span: Span
    syntax: str  # jinja, jinja-block, format, mustache, sk
    raw: str


@dataclass
class PromptDocument:
    """One prompt. A file may hold several (a YAML config with three templates)."""

    path: Path
    source: str  # the whole file
    text: str  # the prompt as the model sees it (before variables are filled in)
    format: str  # text, markdown, jinja, prompty, chatml, json-messages, yaml, skprompt
    name: str = ""  # where in the file: "agent.templates.system_template", "messages[0]"...
    # source offset of the start of each line of `text`; None: the text cannot be mapped back
    # (an escaped JSON string): findings point at `fallback_offset` and carry no fix.
    line_origins: list[int] | None = None
    fallback_offset: int = 0
    # for unmappable text: (text offset, source offset) of each piece's start, to place findings
    anchors: list[tuple[int, int]] = field(default_factory=list)
    # text offsets where two string literals of the source meet with nothing between them
    # (`"Avoid stopwords." "Example:"`): a line break or space the author meant and the code lost
    glued: list[int] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)
    # spans of `text` that reach the model only through a role marker or not at all
    role_spans: list[Span] = field(default_factory=list)
    variables_defined: set[str] | None = None  # names a prompty/YAML file provides, if known
    # every prompt of the same file, this one included, in file order (set by the loaders)
    siblings: list[PromptDocument] = field(default_factory=list, repr=False, compare=False)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)  # per-document results rules share
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _source_line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._line_starts = _line_starts(self.text)
        # a plain text file's prompt is its source (and the audit's whole-file document is): one list
        self._source_line_starts = self._line_starts if self.source == self.text else _line_starts(self.source)

    @property
    def mappable(self) -> bool:
        return self.line_origins is not None

    def to_source(self, offset: int) -> int | None:
        """Source offset of a text offset, or None when the text does not map to the file."""
        if self.line_origins is None:
            return None
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return self.line_origins[line] + (offset - self._line_starts[line])

    def locate(self, offset: int) -> int:
        """Best source offset for reporting a text offset (exact where the text maps)."""
        exact = self.to_source(offset)
        if exact is not None:
            return exact
        best = self.fallback_offset
        for text_offset, source_offset in self.anchors:
            if text_offset <= offset:
                best = source_offset
        return best

    def source_span(self, span: Span) -> Span | None:
        start, end = self.to_source(span.start), self.to_source(span.end)
        if start is None or end is None:
            return None
        return Span(start, end)

    def line_col(self, source_offset: int) -> tuple[int, int]:
        """1-based line and column of a source offset."""
        line = bisect.bisect_right(self._source_line_starts, source_offset) - 1
        return line + 1, source_offset - self._source_line_starts[line] + 1

    def segments_of(self, *kinds: SegmentKind) -> list[Segment]:
        return [s for s in self.segments if s.kind in kinds]

    def memo(self, key: str, compute):
        """A value several rules need (sentences, label sets), computed once per document.
        Loaders finish a document before any rule runs, so it does not change under the memo."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]

    def sent_text(self) -> str:
        """The text the model receives: `text` without template comments (`{# ... #}`, suppression
        comments among them), which the template engine drops. Tokens and prices count this."""
        return self.memo("sent-text", _without_comments)

    def _kind_index(self, kind: SegmentKind) -> tuple[list[int], list[Span]]:
        spans = sorted((s.span for s in self.segments if s.kind == kind), key=lambda sp: sp.start)
        return [sp.start for sp in spans], spans

    def in_code(self, span: Span) -> bool:
        starts, spans = self.memo("code-index", lambda d: d._kind_index(SegmentKind.CODE))
        i = bisect.bisect_left(starts, span.end)  # code blocks never overlap one another
        return any(spans[j].overlaps(span) for j in range(max(0, i - 2), i))

    def in_example(self, span: Span) -> bool:
        starts, spans = self.memo("example-index", lambda d: d._kind_index(SegmentKind.EXAMPLE))
        i = bisect.bisect_right(starts, span.start)
        return any(spans[j].contains(span) for j in range(max(0, i - 2), i))


def _without_comments(doc: PromptDocument) -> str:
    return sent_between(doc, 0, len(doc.text))


def sent_between(doc: PromptDocument, start: int, end: int) -> str:
    """`doc.text[start:end]` as the model receives it: without the template comments in it."""
    parts, cursor = [], start
    for span in sorted((p.span for p in doc.placeholders if p.syntax == "jinja-comment"), key=lambda sp: sp.start):
        if span.end <= cursor or span.start >= end:
            continue
        parts.append(doc.text[cursor : span.start])
        cursor = min(span.end, end)
    parts.append(doc.text[cursor:end])
    return "".join(parts)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


@dataclass(frozen=True)
class Edit:
    """Replace `span` of the source file with `replacement`."""

    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability
    title: str
    # "examples": the edits only delete whole few-shot examples (data, not instructions), so the
    # guard's word checks (numbers, names inside the removed examples) do not apply to them
    scope: str = "text"


@dataclass
class Location:
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    path: Path
    location: Location
    message: str
    tokens_saved: int = 0
    fix: Fix | None = None
    # the offending text, used for baseline fingerprints (not the line number)
    snippet: str = ""
    document: str = ""  # PromptDocument.name
    related: list[Location] = field(default_factory=list)  # other places (the first duplicate...)
    # the fix's edits in the prompt's own text (offsets into PromptDocument.text), to measure it
    text_edits: tuple[Edit, ...] = field(default=(), repr=False, compare=False)

    @property
    def sort_key(self) -> tuple:
        return (str(self.path), self.location.line, self.location.column, self.code)


class LoadError(Exception):
    """A file promptopt cannot read as a prompt; the message names the reason."""


def printable(name: str | Path) -> str:
    """A file name as text any output can hold: a byte that is not UTF-8 (which the OS hands over as a
    lone surrogate, U+DC80-U+DCFF) is shown as `\\xff`."""
    text = str(name)
    if text.isascii() or not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
                   else c.encode("utf-8", "backslashreplace").decode("ascii") if 0xD800 <= ord(c) <= 0xDFFF
                   else c for c in text)
