"""What the few-shot rules share: example parts, declared label sets, declared output formats."""

from __future__ import annotations

import json
import re

from ..core import PromptDocument, Segment, SegmentKind, Span
from ..lazyre import lazy_compile
from ..segment import LIST_LINE

_LABEL_LINE = lazy_compile(
    # a keyword needs its colon ("Labels: a, b"): without one, the 30 characters after "label" can run
    # into any sentence ("the label only, and never add an explanation, a greeting or ...")
    r"(?P<lead>(?:\b(?:types?|categor(?:y|ies)|labels?|class(?:es)?|intents?|options|choices|sentiments?)\b[^:\n]{0,30}:"
    # "one of these: a, b" skips "these"; "one of A, B" keeps A, the first label
    r"|\bone of(?: the following)?(?: (?!\w+\s*[,/|])\w+)?\b|\beither\b))[ \t]*:?[ \t]*(?P<items>[^\n]+)",
    re.I, guard=True)
_LIST_INTRO = lazy_compile(r"\b(?:categories|labels|classes|intents|options|choices|types)\b[^\n]{0,40}:\s*$", re.I)
_JSON_SPEC = lazy_compile(
    r"\b(?:respond|reply|output|return|answer|format(?:ted)?|provide)\b[^.\n]{0,50}\bJSON\b|\bJSON (?:object|format)\b",
    re.I, guard=True)
_ONE_WORD = lazy_compile(r"\b(?:one|a single|single) word\b", re.I)


def examples(doc: PromptDocument) -> tuple[Segment, ...]:
    """The few-shot examples, once per document: six rules ask, most of them of every prompt (a prompt
    has hundreds of segments and most have no example). A tuple: shared, so never changed in place."""
    return doc.memo("examples", _examples)


def _examples(doc: PromptDocument) -> tuple[Segment, ...]:
    return tuple(doc.segments_of(SegmentKind.EXAMPLE))


def part(doc: PromptDocument, example: Segment, name: str) -> str:
    span = example.parts.get(name, example.span)
    return doc.text[span.start : span.end].strip()


def instruction_text(doc: PromptDocument) -> str:
    """The prompt with examples blanked out (same length, so offsets stay valid)."""
    return doc.memo("instruction-text", _instruction_text)


def _instruction_text(doc: PromptDocument) -> str:
    text, pieces, pos = doc.text, [], 0
    for ex in sorted(examples(doc), key=lambda e: e.span.start):
        start = max(pos, ex.span.start)
        pieces += [text[pos:start], _NOT_NEWLINE.sub(" ", text[start : ex.span.end])]
        pos = max(pos, ex.span.end)
    pieces.append(text[pos:])
    return "".join(pieces)


_NOT_NEWLINE = lazy_compile(r"[^\n]")


def _clean_label(item: str) -> str:
    return item.strip().strip("\"'`*.").strip().lower()


# a label set written as a range: "A-J", "a through e", "1 to 5"
_RANGE = lazy_compile(r"([a-z]|\d{1,3})\s*(?:-|\u2013|\bthrough\b|\bto\b)\s*([a-z]|\d{1,3})")


def _members(label: str) -> list[str]:
    """A range ("a-j", "1 to 5") stands for each of its members; any other label for itself."""
    m = _RANGE.fullmatch(label)
    if not m or m.group(1).isdigit() != m.group(2).isdigit():
        return [label]
    if m.group(1).isdigit():
        low, high = int(m.group(1)), int(m.group(2))
        return [str(n) for n in range(low, high + 1)] if 0 < high - low <= 100 else [label]
    low, high = ord(m.group(1)), ord(m.group(2))
    return [chr(c) for c in range(low, high + 1)] if low < high else [label]


def declared_labels(doc: PromptDocument) -> tuple[list[str], Span] | None:
    """The label set the instructions declare, once per document (several rules ask)."""
    return doc.memo("declared-labels", _declared_labels)


def _declared_labels(doc: PromptDocument) -> tuple[list[str], Span] | None:
    """A label set the instructions declare: `Types: a, b` / `one of: a, b or c` / an intro + bullets."""
    text = instruction_text(doc)
    for m in _LABEL_LINE.finditer(text):
        items = re.split(r",|\bor\b|/|\|", m.group("items"))
        labels = [label for i in items if _clean_label(i) for label in _members(_clean_label(i))]
        if 2 <= len(labels) <= 200 and all(len(lbl.split()) <= 3 for lbl in labels):
            return labels, Span(m.start("items"), m.end("items"))
    lines = text.split("\n")
    pos = 0
    for idx, line in enumerate(lines):
        if line.rstrip().endswith(":") and _LIST_INTRO.search(line):  # the intro ends with its colon
            labels, end = [], pos + len(line)
            for nxt in lines[idx + 1 :]:
                bullet = LIST_LINE.match(nxt)
                if not bullet:
                    if nxt.strip():
                        break
                    end += len(nxt) + 1
                    continue
                labels.append(_clean_label(bullet.group(2)))
                end += len(nxt) + 1
            if len(labels) >= 2 and all(len(lbl.split()) <= 3 for lbl in labels):
                return labels, Span(pos, end)
        pos += len(line) + 1
    return None


def wants_json(doc: PromptDocument) -> re.Match | None:
    return _JSON_SPEC.search(instruction_text(doc))


def wants_one_word(doc: PromptDocument) -> re.Match | None:
    return _ONE_WORD.search(instruction_text(doc))


def parses_as_json(text: str) -> bool:
    """Does the answer open with a JSON value? Text after the value (a note on it, a closing fence) is
    commentary, not the answer; doubled braces are a str.format template's escape for single ones."""
    body = re.sub(r"^```\w*\n", "", text.strip())
    for candidate in (body, body.replace("{{", "{").replace("}}", "}")):
        try:  # an object or array may have a note after it; a bare value ("42 apples") must be all
            json.JSONDecoder().raw_decode(candidate) if candidate[:1] in "{[" else json.loads(candidate)
        except ValueError:
            continue
        return True
    return False
