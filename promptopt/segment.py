"""Split a prompt's text into segments: headings, prose, list items, code, examples, output specs.

Line based and dependency free: it runs on every file of every audit, so it stays fast. Prompts are
Markdown-ish; sentence splitters alone do badly on headings, bullets and code, so blocks come first
and sentences are split only inside prose and list items (`sentences`).
"""

from __future__ import annotations

import json
import re
from collections import Counter, namedtuple

from .core import PromptDocument, Segment, SegmentKind, Span
from .lazyre import lazy_compile
from .placeholders import find_placeholders

_FENCE = lazy_compile(r"^\s*(```|~~~)")
_FENCE_MARKS = frozenset("`~")
# the title's closing `#`s and spaces are cut in Python (`md_heading_title`): the former `(\S.*?)\s*#*\s*$`
# tried every split of a run of spaces at every position (a heading and 4,000 spaces took minutes)
_MD_HEADING = lazy_compile(r"^(#{1,6})\s+(\S.*)$")
_CAPS_HEADING = lazy_compile(r"^([A-Z][A-Z0-9 /&()'-]{2,60}):?\s*$")
_BOLD_HEADING = lazy_compile(r"^\*\*([^*]{2,60})\*\*:?\s*$")
_LIST_ITEM = lazy_compile(r"^(\s*)([-*+•]|\d{1,3}[.)])\s+\S")
# a list line as rules read it (its indent, its text), lettered and CJK-numbered items too ("a)", "1、")
LIST_LINE = lazy_compile(r"^([ \t]*)(?:[-*+•]|\d{1,3}[.)、]|[a-z][.)])\s+(\S.*?)\s*$")
_RECORD_KEY = lazy_compile(r"^([A-Z][A-Za-z0-9 _-]{0,24}|[A-Z]):(\s|$)")
_EXAMPLE_HEADING = lazy_compile(r"^(?:#+\s*|\*\*)?examples?\s*(\d+|[A-Z])?\s*[:.)]?(\*\*)?\s*$", re.I)
_OUTPUT_HEADING = lazy_compile(r"\b(output|format|response|respond|return|answer format|json|schema)\b", re.I)
# a sentence ends at . ! ? before a capital, or before a line break whatever follows (`{% if %}`...)
# (the mark is matched, not looked behind for: `re` then skips to the next mark instead of trying every
# position; the sentence ends where group 1 starts)
_SENTENCE_END = lazy_compile(r"[.!?]((?:[\"')\]]*)(?:[ \t]*\n\s*|\s+(?=[\"'(\[]?[A-Z0-9])))")
# record keys that start a few-shot example on their own (other keys need a consistent key pair)
EXAMPLE_KEYS = {"q", "question", "input", "example", "text", "message", "user", "human", "sentence", "review",
                "query", "problem", "request", "utterance", "document", "passage", "context", "customer"}
_ROLE_LINE = lazy_compile(r"^(system|user|assistant|human|ai|developer)\s*:\s*$", re.I)


# a line of the text: its offsets (`end` without the newline) and its text; a tuple, built without a call
# to Python code per line
_Line = namedtuple("_Line", ("start", "end", "text"))


def _lines(text: str) -> list[_Line]:
    out, start = [], 0
    new = tuple.__new__
    for raw in text.split("\n"):
        end = start + len(raw)
        out.append(new(_Line, (start, end, raw)))
        start = end + 1
    return out


def md_heading_title(rest: str) -> str:
    """A Markdown heading's title: the text after `# `, less closing `#`s and the spaces around them;
    at least its first character (`# ###` is titled `#`)."""
    title = rest.rstrip().rstrip("#").rstrip()
    return title or rest[0]


def heading_title(line: str) -> str | None:
    """The title of a heading line (Markdown `#`, `**bold**`, CAPS), None for other lines. Asked of
    every line by the segmenter, the document model, the token map and rules: answers are remembered."""
    title = _TITLES.get(line, _UNKNOWN)
    if title is _UNKNOWN:
        if len(_TITLES) >= _TITLES_KEPT:
            _TITLES.clear()
        title = _TITLES[line] = _heading_title(line)
    return title


_UNKNOWN = object()
_TITLES: dict[str, str | None] = {}
_TITLES_KEPT = 20_000


def _heading_title(line: str) -> str | None:
    stripped = line.strip()
    m = _MD_HEADING.match(stripped)
    if m:
        return md_heading_title(m.group(2))
    m = _BOLD_HEADING.match(stripped)
    if m:
        return m.group(1)
    m = _CAPS_HEADING.match(stripped)
    if m and len(m.group(1).split()) <= 6 and any(c.isalpha() for c in m.group(1)):
        return m.group(1)
    return None


# what a line that ends a paragraph can open with after its indent: a fence (`~), a list marker (-*+•, a
# digit), a heading (#, ** or a capital: `heading_title`)
_BREAK_MARKS = frozenset("`~-*+•#ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ITEM_MARKS = frozenset("-*+•")  # what a list item opens with, digits aside


def segment(doc: PromptDocument, role_markers: bool = False) -> list[Segment]:
    """Segments of `doc.text` in order; examples and output specs overlap the blocks they hold."""
    text = doc.text
    lines = _lines(text)
    segments: list[Segment] = []
    section = ""
    i = 0
    in_front = False
    n = len(lines)
    while i < n:
        line = lines[i]
        stripped = line.text.strip()
        if not stripped:
            i += 1
            continue
        # each pattern is tried only where the line's first character (after white space) can open it
        first = stripped[0]
        fence = _FENCE.match(line.text) if first in "`~" else None
        if fence:
            mark = fence.group(1)
            j = i + 1
            while j < n and not lines[j].text.strip().startswith(mark):
                j += 1
            end = lines[min(j, n - 1)].end
            segments.append(Segment(SegmentKind.CODE, Span(line.start, end), text[line.start : end], section=section))
            i = j + 1
            continue
        if role_markers and _ROLE_LINE.match(stripped):
            segments.append(Segment(SegmentKind.ROLE_MARKER, Span(line.start, line.end), line.text, section=section))
            i += 1
            continue
        title = heading_title(line.text) if first in "#*" or "A" <= first <= "Z" else None
        if title is not None and not in_front:
            section = title
            segments.append(Segment(SegmentKind.HEADING, Span(line.start, line.end), line.text, section=section))
            i += 1
            continue
        list_match = _LIST_ITEM.match(line.text) if first in _ITEM_MARKS or first.isdecimal() else None
        if list_match:
            indent = len(list_match.group(1))
            j = i + 1
            # continuation lines: indented deeper than the marker, not a new item or heading
            while j < n:
                nxt = lines[j].text
                rest = nxt.lstrip()
                if not rest or ((rest[0] in _ITEM_MARKS or rest[0].isdecimal()) and _LIST_ITEM.match(nxt)):
                    break
                if len(nxt) - len(rest) <= indent:
                    break
                j += 1
            end = lines[j - 1].end
            item = Segment(SegmentKind.LIST_ITEM, Span(line.start, end), text[line.start : end], section=section)
            segments.append(item)
            i = j
            continue
        j = i + 1
        while j < n:
            nxt = lines[j].text
            first = nxt.lstrip()[:1]
            if not first:
                break
            if first not in _BREAK_MARKS and not first.isdigit() and not role_markers:
                j += 1  # no fence, list item or heading opens with it: most lines of a paragraph
                continue
            if (
                _FENCE.match(nxt)
                or _LIST_ITEM.match(nxt)
                or heading_title(nxt) is not None
                or (role_markers and _ROLE_LINE.match(nxt.strip()))
            ):
                break
            j += 1
        end = lines[j - 1].end
        segments.append(Segment(SegmentKind.PROSE, Span(line.start, end), text[line.start : end], section=section))
        i = j
    segments.extend(_output_specs(text, segments))
    code = [s.span for s in segments if s.kind == SegmentKind.CODE]
    segments.extend(e for e in find_examples(text, lines) if not any(c.overlaps(e.span) for c in code))
    for p in doc.placeholders:
        segments.append(Segment(SegmentKind.PLACEHOLDER, p.span, p.raw))
    segments.sort(key=lambda s: (s.span.start, -s.span.end))
    return segments


def _output_specs(text: str, blocks: list[Segment]) -> list[Segment]:
    """Sections whose heading speaks of the output: from the heading to the next heading."""
    specs = []
    headings = [s for s in blocks if s.kind == SegmentKind.HEADING]
    for idx, head in enumerate(headings):
        if not _OUTPUT_HEADING.search(head.section) or _EXAMPLE_HEADING.match(head.text.strip()):
            continue
        end = headings[idx + 1].span.start if idx + 1 < len(headings) else len(text)
        body = text[head.span.start : end].rstrip()
        if body.count("\n") >= 1:
            specs.append(
                Segment(SegmentKind.OUTPUT_SPEC, Span(head.span.start, head.span.start + len(body)), body,
                        section=head.section)
            )
    return specs


def find_examples(text: str, lines: list[_Line] | None = None) -> list[Segment]:
    """Few-shot examples written as repeated records (`Input:`/`Output:`, `Q:`/`A:`, `# x` + answer)."""
    lines = lines if lines is not None else _lines(text)
    examples = _keyed_records(text, lines)
    if not examples:
        examples = _comment_records(text, lines)
    if not examples:
        examples = _separated_records(text, lines)
    if not examples:
        examples = _json_line_records(text, lines)
    return examples


# one few-shot pair per line, as JSON: `{"prompt": "...", "response": "..."}` (a bullet may lead)
_JSON_PAIR_KEYS = {"prompt": "response", "input": "output", "question": "answer", "query": "answer",
                   "user": "assistant", "instruction": "output", "q": "a"}
_JSON_LINE = lazy_compile(r"^\s*(?:[-*+•]\s+)?(\{.*\})\s*,?\s*$")


def _json_line_records(text: str, lines: list[_Line]) -> list[Segment]:
    """JSON Lines pairs (`{"prompt": ..., "response": ...}`), one example per line, at least two."""
    if "{" not in text:
        return []  # no line can hold an object: skips a pattern test per line
    records = []
    for line in lines:
        # an object on the line, opened by "{" or a bullet: the pattern's only openers after white space
        m = _JSON_LINE.match(line.text) if "{" in line.text and line.text.lstrip()[:1] in "{-*+•" else None
        if not m or '"' not in m.group(1):
            continue
        try:
            obj = json.loads(m.group(1))
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        keys = {str(k).lower(): k for k in obj}
        pair = next(((i, o) for i, o in _JSON_PAIR_KEYS.items() if i in keys and o in keys), None)
        if pair is None or not all(isinstance(obj[keys[k]], str) for k in pair):
            continue
        start = line.start + m.start(1)
        body = m.group(1)
        out_at = body.find(f'"{keys[pair[1]]}"')
        output = Span(start + out_at, start + len(body)) if out_at != -1 else Span(start, line.end)
        records.append(Segment(SegmentKind.EXAMPLE, Span(start, start + len(body)), body,
                               parts={"input": Span(start, output.start), "output": output}, section="json"))
    return records if len(records) >= 2 else []


_SEPARATOR = lazy_compile(r"^\s*(-{3,}|={3,}|\*{3,}|#{3,})\s*$")
_SEPARATOR_MARKS = frozenset("-=*#")


def _separated_records(text: str, lines: list[_Line]) -> list[Segment]:
    """Blocks between `---` lines that repeat one shape: all but the last (the query) are examples."""
    if not any(mark in text for mark in ("---", "===", "***", "###")):
        return []  # no separator line, one chunk: skips a pattern test per line
    chunks: list[list[_Line]] = [[]]
    for line in lines:
        if line.text.lstrip()[:1] in _SEPARATOR_MARKS and _SEPARATOR.match(line.text):
            chunks.append([])
        elif line.text.strip():
            chunks[-1].append(line)
    chunks = [c for c in chunks if c]
    if len(chunks) < 3:
        return []
    query = chunks[-1]
    # the first chunk holds the instructions too: its example is its tail, sized like the others
    first = chunks[0][-len(query):] if len(chunks[0]) > len(query) else chunks[0]
    candidates = [first] + chunks[1:-1]
    sizes = [len(c) for c in candidates + [query]]
    if max(sizes) > 2 * min(sizes) or min(sizes) < 2:
        return []
    shared = set.intersection(*({ln.text.strip() for ln in c} for c in candidates + [query]))
    if not shared:
        return []  # examples of one template share at least one line (a rule, a label line)
    records = []
    for chunk in candidates:
        span = Span(chunk[0].start, chunk[-1].end)
        records.append(Segment(SegmentKind.EXAMPLE, span, text[span.start : span.end],
                               parts={"input": Span(chunk[0].start, chunk[-2].end),
                                      "output": Span(chunk[-1].start, chunk[-1].end)}, section="---"))
    return records


def _keyed_records(text: str, lines: list[_Line]) -> list[Segment]:
    keys: dict[str, list[int]] = {}
    for idx, line in enumerate(lines):
        if ":" not in line.text or line.text[:1] == " " or not _may_be_key(line.text):
            continue  # no key can match (the cheap tests first: most lines have no colon)
        m = _RECORD_KEY.match(line.text.strip())
        if m:
            keys.setdefault(m.group(1), []).append(idx)
    if not keys:
        return []
    # The record starts at the key that recurs at least twice and comes first most often.
    candidates = [(k, v) for k, v in keys.items() if len(v) >= 2]
    best: list[Segment] = []
    for key, starts in candidates:
        if _under_definition_intro(lines, starts[0]):
            continue  # `Node schemas:` then `Properties:` per type: a schema's entries, not examples
        records = []
        for n, start in enumerate(starts):
            stop = starts[n + 1] if n + 1 < len(starts) else _record_end(lines, start)
            # stop the last record at a heading or at a blank line followed by non-record text
            stop = min(stop, _record_end(lines, start, hard_stop=stop))
            body_lines = lines[start:stop]
            while body_lines and not body_lines[-1].text.strip():
                body_lines = body_lines[:-1]
            if len(body_lines) < 1:
                continue
            first = body_lines[0]
            # other keys inside the record split input from output
            inner_keys = [
                ln for ln in body_lines[1:] if _RECORD_KEY.match(ln.text.strip()) and ln.text[:1] != " "
            ]
            if inner_keys:
                # a note after the answer ("Note:", "Explanation:") comments on it: it is not the answer
                answers = [ln for ln in inner_keys if not _COMMENTARY_KEY.match(ln.text.strip())] or inner_keys
                out_line = answers[-1]
                after = [ln for ln in inner_keys if ln.start > out_line.start]
                out_end = _end_before(text, after[0].start) if after else body_lines[-1].end
                input_span = Span(first.start, out_line.start - 1 if out_line.start > first.start else first.end)
                out_key = _RECORD_KEY.match(out_line.text.strip())
                output_span = Span(out_line.start + out_key.end(1) + 1, out_end)
            elif len(body_lines) >= 2:
                input_span = Span(first.start, first.end)
                output_span = Span(body_lines[1].start, body_lines[-1].end)
            else:
                continue
            span = Span(first.start, body_lines[-1].end)
            records.append(
                Segment(SegmentKind.EXAMPLE, span, text[span.start : span.end],
                        parts={"input": input_span, "output": output_span}, section=key)
            )
        shapes = Counter(tuple(sorted(_keys_in(r.text))) for r in records)
        shape, count = shapes.most_common(1)[0] if shapes else ((), 0)
        consistent = len(shape) >= 2 and count >= 0.75 * len(records)
        if consistent:  # an odd record ran into the text after it: cut it at its first blank line
            records = [r if tuple(sorted(_keys_in(r.text))) == shape else _cut_at_blank(text, r) for r in records]
        elif len(records) >= 3:
            # one field renamed in one record ("Filled in Answers" / "Synthesized Response"): records that
            # share two or more keys, the last (the query) aside, are one template's examples too
            shared = set.intersection(*(_keys_in(r.text) for r in records[:-1]))
            consistent = len(shared) >= 2
        if len(records) >= 2 and (consistent or key.lower() in EXAMPLE_KEYS) and len(records) > len(best):
            best = records
    # a record whose output is empty or a placeholder is the query, not an example
    return _by_example_heading(text, lines, [r for r in best if _is_answered(text, r)])


def _by_example_heading(text: str, lines: list[_Line], records: list[Segment]) -> list[Segment]:
    """Records grouped by the "Example N" lines that delimit them. When two or more records fall under one
    such line, they are the steps of one worked example (a Thought/Result pair per sentence judged), not
    examples of their own: the example is what the line delimits, its input the text before the first step."""
    if len(records) < 2 or "xample" not in text:
        return records
    heads = [ln for ln in lines if _EXAMPLE_HEADING.match(ln.text.strip())]
    if len(heads) < 2:
        return records
    groups: dict[int, list[Segment]] = {}
    for record in records:
        owner = max((i for i, h in enumerate(heads) if h.end <= record.span.start), default=None)
        if owner is None:
            return records  # a record before the first "Example" line: the lines do not delimit these
        groups.setdefault(owner, []).append(record)
    if all(len(group) == 1 for group in groups.values()):
        return records
    merged = []
    for i, group in sorted(groups.items()):
        start = heads[i].end
        while start < len(text) and text[start].isspace():
            start += 1
        first, end = group[0], group[-1].span.end
        if first.span.start > start:  # the example's input ("Sentences: ...") stands before its first step
            parts = {"input": Span(start, _end_before(text, first.span.start)), "output": Span(first.span.start, end)}
        else:
            parts = {"input": first.parts["input"], "output": Span(first.parts["output"].start, end)}
        merged.append(Segment(SegmentKind.EXAMPLE, Span(start, end), text[start:end], parts=parts,
                              section=first.section))
    return merged


# a line that announces definitions (`Node schemas:`, `Table definitions:`): the keyed records below it
# describe one thing each (its properties, its purpose), they are not samples to imitate
_DEFINITION_INTRO = lazy_compile(
    r"\b(?:schemas?|definitions?|data model|node types|entity types|tables|columns)\b[^\n]{0,40}:[ \t*_]*$", re.I)


def _under_definition_intro(lines: list[_Line], first: int) -> bool:
    """Does a definitions line stand within the three lines of text above the first record?"""
    above = [ln.text for ln in lines[max(0, first - 6) : first] if ln.text.strip()][-3:]
    return any(_DEFINITION_INTRO.search(t) for t in above)


_COMMENTARY_KEY = lazy_compile(
    r"^(?:notes?|explanation|why|reason(?:ing)?|rationale|comments?|remarks?|commentary|justification):", re.I)


def _end_before(text: str, offset: int) -> int:
    """The end of the text before `offset`, without the line breaks and spaces in between."""
    end = offset
    while end > 0 and text[end - 1] in " \t\n":
        end -= 1
    return end


def _cut_at_blank(text: str, record: Segment) -> Segment:
    cut = record.text.find("\n\n")
    if cut == -1:
        return record
    end = record.span.start + cut
    output = record.parts["output"]
    parts = {"input": record.parts["input"], "output": Span(min(output.start, end), end)}
    return Segment(SegmentKind.EXAMPLE, Span(record.span.start, end), text[record.span.start : end], parts=parts,
                   section=record.section)


def _may_be_key(line: str) -> bool:
    """Can `_RECORD_KEY` match the stripped line: a capital first, a colon within its first 27 characters."""
    stripped = line.lstrip()
    return "A" <= stripped[:1] <= "Z" and ":" in stripped[1:27]


def _keys_in(record: str) -> set[str]:
    return {m.group(1) for ln in record.split("\n") if _may_be_key(ln) and (m := _RECORD_KEY.match(ln.strip()))}


def _is_answered(text: str, example: Segment) -> bool:
    out = text[example.parts["output"].start : example.parts["output"].end].strip()
    return bool(out) and not find_placeholders(out) and "{{" not in out


def _record_end(lines: list[_Line], start: int, hard_stop: int | None = None) -> int:
    stop = hard_stop if hard_stop is not None else len(lines)
    for j in range(start + 1, stop):
        if heading_title(lines[j].text) is not None and not _RECORD_KEY.match(lines[j].text.strip()):
            return j
        if lines[j].text.lstrip()[:1] in _FENCE_MARKS and _FENCE.match(lines[j].text):
            return j
    return stop


def _comment_records(text: str, lines: list[_Line]) -> list[Segment]:
    """semantic-kernel style: `# description` then the answer line, repeated back to back."""
    if not text.startswith("# ") and "\n# " not in text:
        return []  # no line opens with "# "
    records = []
    idx = 0
    while idx < len(lines) - 1:
        cur, nxt = lines[idx], lines[idx + 1]
        contiguous = not records or records[-1].span.end + 1 == cur.start
        if not contiguous and len(records) < 5:
            records = []
        if (cur.text.startswith("# ") and nxt.text.strip() and not nxt.text.startswith("#")
                and (not records or contiguous)):
            span = Span(cur.start, nxt.end)
            records.append(
                Segment(SegmentKind.EXAMPLE, span, text[span.start : span.end],
                        parts={"input": Span(cur.start, cur.end), "output": Span(nxt.start, nxt.end)})
            )
            idx += 2
            continue
        idx += 1
    answered = [r for r in records if _is_answered(text, r)]
    return answered if len(answered) >= 5 else []


def sentences(doc: PromptDocument) -> list[tuple[Span, Segment]]:
    """Sentences of prose and list items outside code and examples, with the segment holding each.
    Several rules ask for them: computed once per document."""
    return list(doc.memo("sentences", _sentences))


def _sentences(doc: PromptDocument) -> list[tuple[Span, Segment]]:
    from .spanindex import SpanIndex

    out = []
    data = SpanIndex(data_spans(doc))
    data_sections: dict[str, bool] = {}  # a section's title, asked of each of its segments: once
    for seg in doc.segments_of(SegmentKind.PROSE, SegmentKind.LIST_ITEM):
        if data.overlaps(seg.span):
            continue
        in_data = data_sections.get(seg.section)
        if in_data is None:
            in_data = data_sections[seg.section] = bool(_DATA_SECTION.search(seg.section))
        if in_data:
            continue
        if ("{" in seg.text or "[" in seg.text) and _TEMPLATE_FIELD.search(seg.text):
            continue  # "- Score: {score for answer 1}": a line of an output template, not an instruction
        body = seg.text
        offset = seg.span.start
        if seg.kind == SegmentKind.LIST_ITEM:
            marker = _LIST_ITEM.match(body)
            if marker:
                skip = marker.end() - 1
                body, offset = body[skip:], offset + skip
        pos = 0
        for m in _SENTENCE_END.finditer(body):
            out.append((_trim(doc.text, offset + pos, offset + m.start(1)), seg))
            pos = m.end()
        out.append((_trim(doc.text, offset + pos, offset + len(body)), seg))
    return [(span, seg) for span, seg in out if span.end > span.start]


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


# Sections that hold material, not instructions: sample outputs, reference documents, pasted input.
_DATA_SECTION = lazy_compile(
    r"\b(?:examples?|samples?|sample output|example output|references?|appendix|documentation|transcript|"
    r"input data|context|knowledge|background material)\b", re.I)
# `{a description with spaces}`: a slot an output template asks the model to fill
_TEMPLATE_FIELD = lazy_compile(r"(?<![{%])\{(?![{%#])[^{}\n]*\s[^{}\n]*\}(?!\})|\[[A-Z][A-Za-z]*(?: [a-z]+)+\]")
# tags that wrap material the prompt carries (Anthropic-style XML sections)
_DATA_TAG = lazy_compile(
    r"<(examples?|sample|documents?|reference|context|input|transcript|article|data|output_example|"
    r"example_\w+|\w+_example)(?:\s[^<>]*)?>(.*?)</\1\s*>", re.S | re.I)
# a line that reads as markup or code rather than prose: tags, braces, statements, selectors
_CODE_LINE = lazy_compile(
    r"^\s*(?:</?[A-Za-z!][^>]*>|[{}\[\]();]|//|/\*|\*/|@\w|\.[\w-]+\s*\{|[\w-]+\s*:\s*[^ ]+;\s*$|"
    r"(?:import|export|const|let|var|function|def|class|return|if|for|while)\b.*[;{:)]\s*$)"
    r"|[;{]\s*$|</[A-Za-z][^>]*>\s*$")
_MIN_CODE_RUN = 4


def code_share(text: str) -> float:
    """The share of non-blank lines that read as markup or code (a script in a string is not a prompt)."""
    lines = [line for line in text.split("\n") if line.strip()]
    return sum(bool(_CODE_LINE.search(line)) for line in lines) / len(lines) if lines else 0.0


def data_spans(doc: PromptDocument) -> list[Span]:
    """Spans of `doc.text` that are data the prompt carries, not instructions to the model: few-shot
    examples, code blocks, XML-tagged examples and documents, and unfenced runs of markup or code
    (a pasted HTML page). Rules about instructions (duplicates, contradictions, phrasing) skip them."""
    return doc.memo("data-spans", _data_spans)


def _data_spans(doc: PromptDocument) -> list[Span]:
    text = doc.text
    spans = [s.span for s in doc.segments if s.kind in (SegmentKind.EXAMPLE, SegmentKind.CODE)]
    if "</" in text:
        spans += [Span(m.start(), m.end()) for m in _DATA_TAG.finditer(text)]
        spans += _code_runs(text)
    spans += [_block_after(text, end) for end in _example_lead_ends(text)]
    return sorted((sp for sp in spans if sp.end > sp.start), key=lambda sp: sp.start)


# "E.g.:", "For example:", "Like this:" at the end of a line: what follows is a sample, not a rule
_EXAMPLE_LEAD = lazy_compile(r"(?:\be\.g\.|\bfor (?:example|instance)|\bexample|\bsample|\blike this)\s*:[ \t*_]*$",
                           re.I | re.M)


_LEAD_COLON = lazy_compile(r":[ \t*_]*$", re.M)
_LONGEST_LEAD = len("for instance")


def _example_lead_ends(text: str) -> list[int]:
    """The ends of `_EXAMPLE_LEAD`'s matches in `text`, as its `finditer` finds them, searched for only just
    before each colon that ends a line: the pattern has no literal to skip to, and scanning every
    position of the prompt with it cost a tenth of the audit. A match ends where its colon's line ends,
    and its words stand at most `_LONGEST_LEAD` characters before the spaces that precede the colon."""
    ends = []
    for colon in _LEAD_COLON.finditer(text):
        words_end = colon.start()
        while words_end and text[words_end - 1].isspace():
            words_end -= 1
        start = max(words_end - _LONGEST_LEAD, ends[-1] if ends else 0)
        if any(m.end() == colon.end() for m in _EXAMPLE_LEAD.finditer(text, start, colon.end())):
            ends.append(colon.end())
    return ends


def _block_after(text: str, pos: int) -> Span:
    """From the line after `pos` to the first blank line after some content (or a heading)."""
    start = text.find("\n", pos)
    if start == -1:
        return Span(pos, pos)
    start += 1
    end = start
    seen_body = False  # a title line ("LETTER GRADE") may open the sample; its body follows
    for line in text[start:].split("\n"):
        if not line.strip():
            if seen_body:
                break
        elif heading_title(line) is not None:
            if seen_body:
                break
        else:
            seen_body = True
        end += len(line) + 1
    return Span(start, min(end, len(text)))


def _code_runs(text: str) -> list[Span]:
    """Runs of at least _MIN_CODE_RUN non-blank lines, most of which read as markup or code."""
    runs: list[Span] = []
    start = end = None
    code_lines = prose_lines = 0
    for line in _lines(text):
        if not line.text.strip():
            continue
        if _CODE_LINE.search(line.text):
            if start is None:
                start, code_lines, prose_lines = line.start, 0, 0
            code_lines += 1
            end = line.end
        elif start is not None:
            prose_lines += 1
            if prose_lines > max(2, code_lines // 3):  # prose has taken over: the run ended
                if code_lines >= _MIN_CODE_RUN:
                    runs.append(Span(start, end))
                start = None
    if start is not None and code_lines >= _MIN_CODE_RUN:
        runs.append(Span(start, end))
    return runs
