"""The same instruction, sentence or bullet stated twice.

Prompts grow by patching: a rule gets added again further down when it seemed ignored. The model
reads it once; every request pays for it twice. The fix deletes the later copy (the first stays
where it was) and is safe: the prompt keeps every instruction it had.

Case, spacing, list markers and end punctuation are ignored when comparing. Text the document model
(`promptopt.document`) gives a data role (few-shot examples, code blocks, tagged documents, sample
outputs, pasted reference material such as a guide whose worked examples repeat a problem statement on
purpose, quoted data, noise; a whole string the code names as an example, `_concrete_ex` or
`FEW_SHOT_EXAMPLES`, whose sample plan repeats its steps on purpose) is not an instruction and is not
compared with instructions; the one
exception is a line of an example that repeats the line right above it, word for word (a copy-paste
slip in the sample the model imitates). Repetition that is structure is left alone: a block of steps
repeated under another heading or another numbered title item ("3. Direct injection" and "4. Indirect
injection", each with the same sub-steps: each a procedure of its own), and a sentence that documents each of
several list items (the same parameter described under two functions), and the same rule under two
sibling headings that name two subjects ("HTML artifacts", "React components": removing one copy drops
the rule for that subject), at any depth (a criterion shared by "Score 4 > Definition:" and "Score 5 >
Definition:": each rubric level is defined in full on purpose), and the same expected output in two
examples (an example heading between the copies: different inputs may have the same answer). Sentences shorter than
`min-words` words ("Be concise.") are left alone only if they are headings or labels. A sentence
inside a longer bullet is left alone (it may apply to that bullet's own subject), but a sentence said
twice in one paragraph is a repeat, and a passage repeated within one paragraph is one finding.

A repeat separated from its first statement by an input placeholder on a line of its own (`{context}`,
`Text: {{ document }}`) or by a long block of pasted data (an article in `<article>` tags) is the
"sandwich" long-context guides recommend: the copy nearest the output matters most, so it is not a
finding. Copies in two branches of one `{% if %}` never both render;
template tags (`{%- endif %}`) are not instructions. A repeated block (an intro line and its bullets) is
one finding whose fix removes the whole block, or has no fix when removing it would strand an intro.

Bad:

    - Answer in the language the customer wrote in, even when the order is in English.
    - Cite the help-centre article you used.
    - Answer in the language the customer wrote in, even when the order is in English.

Good:

    - Answer in the language the customer wrote in, even when the order is in English.
    - Cite the help-centre article you used.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..core import Segment, SegmentKind, Severity, Span
from ..document import Role, document_model, sentences
from ..lazyre import lazy_compile
from ._common import LIST_MARKER, delete_unit, normalize
from ._common import whole_unit as _whole_unit

CODE = "PO101"
NAME = "duplicate-instruction"
SEVERITY = Severity.WARNING
FIXABLE = "safe"
OPTIONS = {"min-words": 3}
DEFAULT = False  # opt-in: 5 of 55 right on prompts nobody tuned for (held-out sets, docs/precision.md)


def check(doc, ctx):
    seen: dict[str, tuple[Span, Segment]] = {}
    seen_here: dict[tuple[Span, str], Span] = {}  # sentences of one paragraph, by (paragraph, text)
    min_words = int(ctx.options["min-words"])
    units = [(span, holder, normalize(_without_tags(doc.text[span.start : span.end])))
             for span, holder in sentences(doc)]
    keys = [key for _, _, key in units]
    inputs = _input_slots(doc)
    branches = _branches(doc)
    copies: list[tuple[int, Span, Segment, Span, bool]] = []  # (unit index, copy, holder, first, in a line)
    for index, (span, holder, key) in enumerate(units):
        if len(key.split()) < min_words or not any(map(str.isalpha, key)):
            continue
        if key.endswith(":") or doc.text[span.start : span.end].rstrip().endswith(":"):
            continue  # "Examples:" introduces a list under each section: a label, not an instruction
        if not _whole_unit(doc, span, holder):
            # a sentence inside a longer bullet may apply to that bullet's own subject; the same
            # sentence twice in one paragraph is a plain repeat
            if holder.kind == SegmentKind.PROSE:
                if (holder.span, key) in seen_here:
                    copies.append((index, span, holder, seen_here[(holder.span, key)], True))
                else:
                    seen_here[(holder.span, key)] = span
            continue
        if key not in seen:
            seen[key] = (span, holder)
            continue
        first, first_holder = seen[key]
        if any(first.end <= slot < span.start for slot in inputs):
            seen[key] = (span, holder)  # restated after the input it governs: the sandwich, on purpose
            continue
        if _exclusive(branches, first.end - 1, span.end - 1):
            continue  # {% if %} ... {% else %} ...: only one of the copies renders
        if first_holder.section != holder.section and _block_repeated(keys, index, key):
            continue  # a block of steps repeated under another heading: each section is a procedure
        if _block_repeated(keys, index, key) and _under_two_titles(doc, first, span):
            continue  # "3. Direct injection" and "4. Indirect injection", each with the same sub-steps
        if _documents_another_item(doc, first_holder, holder):
            continue  # "element is a numeric tag..." under tap() and again under long_press()
        if _scoped_siblings(doc, first, span):
            continue  # the same rule for HTML artifacts and again for React components: two scopes
        if _in_two_examples(doc, first, span):
            continue  # two examples with the same expected output
        copies.append((index, span, holder, first, False))
    for run in _runs(copies, keys):
        if not run[0][4] and not _introduced(doc, units, run[0][0]):
            for copy in run:  # bullets repeated without an intro: each copy has a fix of its own
                yield _report_run(doc, ctx, [copy], units)
        else:
            yield _report_run(doc, ctx, run, units)
    yield from _repeated_example_lines(doc, ctx, min_words)


def _runs(copies: list, keys: list[str]) -> list[list]:
    """Copies that follow one another are one problem, one finding: a passage pasted again inside the lines
    of one paragraph, or a block of lines (an intro and its bullets) whose first copies also follow one
    another. Copies that repeat scattered lines keep a finding each, as each has its own fix."""
    runs: list[list] = []
    firsts: dict[str, int] = {}  # each key's first index, in one pass
    for index, key in enumerate(keys):
        firsts.setdefault(key, index)
    for copy in sorted(copies, key=lambda c: c[0]):
        last = runs[-1][-1] if runs else None
        in_line = last and copy[4] and last[4] and copy[0] == last[0] + 1 and copy[2].span == last[2].span
        block = (last and not copy[4] and not last[4] and copy[0] == last[0] + 1
                 and firsts[keys[copy[0]]] == firsts[keys[last[0]]] + 1)
        if in_line or block:
            runs[-1].append(copy)
        else:
            runs.append([copy])
    return runs


def _report_run(doc, ctx, run: list, units: list):
    _, span, holder, first, _ = run[0]
    first_line, _ = doc.line_col(doc.locate(first.start))
    whole = Span(span.start, run[-1][1].end)
    if len(run) == 1:
        edits = _block_edits(doc, run, units)
        return ctx.report(doc, span, f"duplicate of the instruction at line {first_line}: remove it",
                          edits=edits, fix_title="Remove the duplicate", related=[first])
    if run[0][4]:  # the copies are neighbours in one paragraph: one edit from the first to the last
        edits = delete_unit(doc, whole, holder)
    else:
        edits = _block_edits(doc, run, units)
    lines = sorted({doc.line_col(doc.locate(c[3].start))[0] for c in run})
    where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"
    return ctx.report(doc, whole,
                      f"{len(run)} sentences in a row repeat the instructions at {where}: remove the repeat",
                      edits=edits, fix_title="Remove the repeated sentences", related=[c[3] for c in run])


def _introduced(doc, units: list, index: int) -> bool:
    """Does the line before this copy introduce it ("...as follows:")?"""
    if index == 0:
        return False
    span = units[index - 1][0]
    return doc.text[span.start : span.end].rstrip().endswith(":")


def _block_edits(doc, run: list, units: list) -> list:
    """The edit that removes a repeated block whole: its lines, and the line that introduces them ("...as
    follows:") when that line repeats the first block's intro. When the intro differs, removing the lines
    would leave it dangling with nothing after it: no fix."""
    index, span, holder, first, in_line = run[0]
    last_holder = run[-1][2]
    if in_line:
        return delete_unit(doc, span, holder)
    start = holder.span.start
    intro = units[index - 1] if index > 0 else None
    after = doc.text[last_holder.span.end :]
    ends_block = not after.strip() or after.lstrip(" \t").startswith("\n\n") or after.startswith("\n\n")
    if intro is not None and doc.text[intro[0].start : intro[0].end].rstrip().endswith(":") and ends_block:
        first_index = next(i for i, u in enumerate(units) if u[0] == first)
        if first_index == 0 or units[first_index - 1][2] != intro[2]:
            return []  # the intro differs from the first block's: removing the lines would strand it
        start = intro[1].span.start
    if len(run) == 1 and start == holder.span.start:
        return delete_unit(doc, span, holder)
    block = replace(last_holder, kind=SegmentKind.PROSE, span=Span(start, last_holder.span.end))
    return delete_unit(doc, block.span, block)


_TAG = lazy_compile(r"\{%-?.*?-?%\}|\{#.*?#\}", re.S)  # template tags and comments: never an instruction


def _without_tags(sentence: str) -> str:
    return _TAG.sub(" ", sentence) if "{" in sentence else sentence  # every tag opens with a brace
_IF = lazy_compile(r"\{%-?\s*(if|elif|else|endif)\b")
# a placeholder that stands on its own line, maybe labelled ("Context: {context}") or tagged: the input slot
_SLOT = lazy_compile(r"^[ \t]*(?:[\w ]{1,30}:[ \t]*|<\w+>[ \t]*)?[\"'`]*(\{\{[^{}\n]+\}\}|\{[A-Za-z_]\w*\})[\"'`]*"
                     r"[ \t]*(?:</\w+>)?[ \t]*$", re.M)


def _input_slots(doc) -> list[int]:
    """Offsets of the inputs: a placeholder on a line of its own, where the data goes, and a long block of
    pasted or quoted data (a document in `<article>` tags): an instruction restated after either is the
    sandwich, not a slip."""
    names = {p.span.start for p in doc.placeholders if p.syntax not in ("jinja-block", "jinja-comment")}
    slots = [m.start(1) for m in _SLOT.finditer(doc.text) if m.start(1) in names]
    for span in document_model(doc).spans(Role.REFERENCE, Role.QUOTED):
        if len(doc.text[span.start : span.end].split()) >= _LONG_DATA_WORDS:
            slots.append(span.start)
    return slots


_LONG_DATA_WORDS = 150  # a data block long enough that the model may lose an instruction stated before it


def _branches(doc) -> list[tuple[int, int, int]]:
    """(if-block id, branch start, branch end) of each branch of each `{% if %}` in the text."""
    out: list[tuple[int, int, int]] = []
    stack: list[tuple[int, int]] = []  # (if-block id, start of the open branch)
    count = 0
    for m in _IF.finditer(doc.text):
        word = m.group(1)
        if word == "if":
            count += 1
            stack.append((count, m.end()))
        elif stack:
            block, start = stack.pop()
            out.append((block, start, m.start()))
            if word != "endif":
                stack.append((block, m.end()))
    return out


def _exclusive(branches, a: int, b: int) -> bool:
    """Do the offsets stand in two branches of one `{% if %}` (only one of which renders)?"""
    in_a = {block: start for block, start, end in branches if start <= a < end}
    return any(block in in_a and in_a[block] != start for block, start, end in branches if start <= b < end)


def _repeated_example_lines(doc, ctx, min_words: int):
    """A list item of an example that repeats the item right above it: the sample teaches the copy."""
    blocks = document_model(doc).blocks
    items = {s.span: s for s in doc.segments_of(SegmentKind.LIST_ITEM)}
    for above, block in zip(blocks, blocks[1:], strict=False):
        if not (above.role == block.role == Role.EXAMPLE and above.kind == block.kind == "list_item"):
            continue
        key = normalize(doc.text[block.span.start : block.span.end])
        holder = items.get(block.span)
        above_key = normalize(doc.text[above.span.start : above.span.end])
        if holder is None or len(key.split()) < min_words or key != above_key:
            continue
        line = doc.line_col(doc.locate(above.span.start))[0]
        marker = LIST_MARKER.match(doc.text[block.span.start : block.span.end])
        span = Span(block.span.start + (marker.end() if marker else 0), block.span.end)
        yield ctx.report(doc, span, f"this example line repeats line {line} word for word: remove the copy",
                         edits=delete_unit(doc, block.span, holder), fix_title="Remove the repeated line",
                         related=[above.span])


# headings that name a part of the prompt ("Role", "Steps", "Reminders"), not a subject the rule is scoped to
_PROMPT_PART = lazy_compile(
    r"\b(?:remember|reminders?|important|notes?|summary|recap|rules|guidelines|instructions?|key points|final|"
    r"critical|constraints?|role|identity|purpose|persona|goals?|tasks?|steps?|workflow|process|output|format|"
    r"response|style|tone|context|background|examples?|input|requirements|restrictions|limitations|overview|"
    r"general|behaviou?r|guardrails|safety|policy|policies)\b", re.I)


def _scoped_siblings(doc, first: Span, later: Span) -> bool:
    """The copies stand under sibling headings (same level, same parent) that name two subjects (not
    parts of the prompt such as "Steps" or "Output"): each copy states the rule for its own subject, and
    removing one drops it there."""
    model = document_model(doc)
    a, b = model.headings_above(first.start), model.headings_above(later.start)
    if not a or not b or a == b or len(a) != len(b):
        return False
    # the first heading where the paths part: siblings (same level, same parent); what lies below them
    # may match ("Score 4 > Definition:", "Score 5 > Definition:": each rubric level defined in full)
    split = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
    if a[split][0] != b[split][0] or a[split + 1 :] != b[split + 1 :]:
        return False
    return not (_PROMPT_PART.search(a[split][1]) or _PROMPT_PART.search(b[split][1]))


# a heading that opens one example ("### Example 2", "## Example - Succeeded")
_EXAMPLE_HEADING = lazy_compile(r"^#{1,6}[ \t]+[^\n]*\bexamples?\b", re.I | re.M)


def _in_two_examples(doc, first: Span, later: Span) -> bool:
    """Both copies stand under an example heading, and another example heading opens between them: the
    same expected output of two different examples, which is the examples' content, not an instruction."""
    model = document_model(doc)
    if not any(_EXAMPLE_HEADING.match(f"# {title}") for _, title in model.headings_above(later.start)):
        return False
    return bool(_EXAMPLE_HEADING.search(doc.text, first.end, later.start))


# a numbered item that is only a title ("3. Direct Prompt Injection"): it heads the lines below it
_TITLE_ITEM = lazy_compile(r"^[ \t]*(?:\d{1,3}|[A-Z])[.)][ \t]+([A-Z][^.:;?!\n]{0,60}?)[ \t]*$")


def _title_above(doc, offset: int) -> str | None:
    """The nearest numbered title item above `offset` (lines that are only a title, not a sentence)."""
    end = doc.text.rfind("\n", 0, offset)
    while end > 0:
        start = doc.text.rfind("\n", 0, end) + 1
        m = _TITLE_ITEM.match(doc.text[start:end])
        if m and len(m.group(1).split()) <= 8:
            return m.group(1)
        end = start - 1
    return None


def _under_two_titles(doc, first: Span, later: Span) -> bool:
    """The copies stand under two different numbered title items: each item's block is its own."""
    a, b = _title_above(doc, first.start), _title_above(doc, later.start)
    return a is not None and b is not None and a != b


def _block_repeated(keys: list[str], index: int, key: str) -> bool:
    """Is a neighbour of this copy also a copy of the first's neighbour (a repeated block)?"""
    first = keys.index(key)
    for step in (-1, 1):
        a, b = first + step, index + step
        if 0 <= a < len(keys) and 0 <= b < len(keys) and a != index and keys[a] == keys[b] and keys[a]:
            return True
    return False


def _documents_another_item(doc, first: Segment, later: Segment) -> bool:
    """Both copies are prose right under a different list item (a function, a field, an option): the
    same sentence documents each item, and removing one leaves that item undocumented."""
    if first.kind != SegmentKind.PROSE or later.kind != SegmentKind.PROSE:
        return False
    before_first, before_later = _item_above(doc, first), _item_above(doc, later)
    return before_first is not None and before_later is not None and before_first != before_later


def _item_above(doc, holder: Segment) -> str | None:
    items = [s for s in doc.segments_of(SegmentKind.LIST_ITEM) if s.span.end <= holder.span.start]
    if not items:
        return None
    item = items[-1]
    between = doc.text[item.span.end : holder.span.start]
    return item.text.strip() if between.count("\n") <= 1 else None
