"""One instruction restated in other words, in several places.

Prompts grow by patching: a rule that seemed ignored is said again in a "Reminders" or "Checklist"
section, or in the next step, in new words. The model reads it every time; every request pays for
each copy. The sentences that say the same thing are one group and one finding that names every
location; it keeps the most complete statement (the one with the most content words) and offers to
remove the others. The fix is unsafe: a restatement may carry a nuance, and repeating a rule can be
a deliberate choice, so review it (or let `promptopt eval` confirm that the answers held).

Sameness is judged by wordllama sentence embeddings (cosine at least `threshold`), computed on the
sentence with names and code left out (`backticked`, "quoted_fields", paths, snake_case: what it is
about, not what it says). wordllama ships its weights in its wheel and loads only when this rule runs
(0.3 s warm, about 1 s on the first run after install, import of numpy included). Without wordllama the
rule falls back to content-word overlap (Jaccard of the lookup lemmas at least `overlap-threshold`),
which judged restatement less well on the labelled pairs of docs/restated.md. A static embedding finds
restatements that keep most of the words; a paraphrase in wholly new words goes unseen.

Only instructions, constraints and output specifications are compared (roles from `promptopt.document`): never examples,
quoted data, pasted reference material or noise. Left alone as well: word-for-word copies (PO101's),
sentences whose negation or numbers differ ("under 50 words" vs "under 120 words": a contradiction or
two settings, not a repeat), labels ending in a colon, copies in two branches of one `{% if %}` (only
one renders), a rule said for two subjects under sibling headings ("HTML artifacts", "React
components"), and a rule restated after an input placeholder or a long block of data: the "sandwich"
long-context guides recommend, where the copy nearest the output matters most.

Bad:

    You answer questions about the customer's invoices.

    - Always answer in the language the customer wrote in.
    - Quote the invoice number in every reply.
    - Refund requests go to the billing team.

    Reminders:
    - Always use the customer's language in your answer.
    - Never promise a refund yourself.

Good:

    You answer questions about the customer's invoices.

    - Always answer in the language the customer wrote in.
    - Quote the invoice number in every reply.
    - Refund requests go to the billing team.

    Reminders:
    - Never promise a refund yourself.
"""

from __future__ import annotations

import re

from ..core import Applicability, Edit, Severity, Span
from ..document import Role, data_spans, document_model, is_imperative, sentences
from ..lazyre import lazy_compile
from ._common import LIST_MARKER, content_lemmas, delete_unit, negated, normalize, whole_lines
from .duplicate_instruction import (
    _LONG_DATA_WORDS,
    _branches,
    _documents_another_item,
    _exclusive,
    _input_slots,
    _scoped_siblings,
)

CODE = "PO102"
NAME = "near-duplicate-instruction"
DEFAULT = False  # opt-in: its findings on dev await a blind reader (docs/restated.md)
SEVERITY = Severity.INFO
FIXABLE = "unsafe"
OPTIONS = {"threshold": 0.8, "overlap-threshold": 0.6, "min-content-words": 3}

_RULE_ROLES = (Role.INSTRUCTION, Role.CONSTRAINT, Role.OUTPUT)
_ENUMERATION_MARGIN = 0.1  # how much less alike an item between two copies may be and still make a run
_TAG = lazy_compile(r"\{%-?.*?-?%\}|\{#.*?#\}", re.S)  # template tags and comments: never an instruction
_LEADING_TAG = lazy_compile(r"\s*(?:\{%-?.*?-?%\}|\{#.*?#\})\s*", re.S)
_TRAILING_TAG = lazy_compile(r"\s*(?:\{%-?.*?-?%\}|\{#.*?#\})\s*$", re.S)
# code, quoted names, paths, snake_case: what a sentence is about, not what it says; left out of the
# comparison, as a bag-of-token model weighs a shared name like a shared instruction (docs/restated.md)
_QUOTED_NAME = lazy_compile(r"`[^`\n]*`|\"[\w.-]+\"|'[\w.-]+'")
_NAME_MARK = lazy_compile(r"[/_<>]|\w\.\w")  # tested per word: `\S*(?:...)\S*` backtracked quadratically
# words that set how much: "relevant to most of the query" is not "relevant to the entire query"
_QUANTIFIER = lazy_compile(r"\b(?:all|every|each|entire|entirety|whole|most|some|none|any|few|many|several|only|"
                           r"partial|partially|fully|completely|minimum|maximum|middle|always|sometimes|rarely|never|exactly|"
                           r"generally|mostly|largely|partly|somewhat|slightly|roughly|strictly|high|low|moderate|"
                           r"minor|major)\b",
                           re.I)
_LABEL = lazy_compile(r"^\**([^:\n]{1,40}?)\**:\s")  # "**Default binding**: ...", "kdim (int): ..."
_FRAGMENT_START = lazy_compile(r"^(?:you|we|it|they|i|the|a|an|this|that|these|those|your|our)\b", re.I)
_NUMBER = lazy_compile(r"\d+(?:[.,]\d+)*")
# a heading in a list item, a diff line, a line of code (a definition, a statement, a call ending the line)
_NOT_PROSE = lazy_compile(r"^(?:[-*+]|\d{1,3}[.)])?\s*#|^[+-] {2,}\S|^\s*(?:def|class|import|return)\s"
                          r"|\w\([^()]*\)[;:]?$", re.M)
_PLACEHOLDER = lazy_compile(r"\{\{[^{}]*\}\}|\{[A-Za-z_]\w*\}")


def check(doc, ctx):
    units = _units(doc, int(ctx.options["min-content-words"]))
    if len(units) < 2:
        return
    score, bar = _scorer(units, float(ctx.options["threshold"]), float(ctx.options["overlap-threshold"]))
    slots, branches = _slots(doc), _branches(doc)
    edges: dict[int, set[int]] = {i: set() for i in range(len(units))}
    for i, j in _similar_pairs(units, score, bar):

        def alike(block, i=i):  # an item between the two that reads like them: the list is an enumeration
            return any(score(i, k) >= bar - _ENUMERATION_MARGIN for k, u in enumerate(units)
                       if block.span.start <= u.span.start < block.span.end)

        if _distinct(doc, units[i], units[j], slots, branches, alike):
            edges[i].add(j)
            edges[j].add(i)
    done: set[int] = set()
    groups: dict[frozenset, set[int]] = {}  # by the bullets and paragraphs they stand in: one problem, one finding
    for start in range(len(units)):
        if start in done or not edges[start]:
            continue
        group = _component(edges, start)
        done |= group
        groups.setdefault(frozenset(units[k].holder.span for k in group), set()).update(group)
    for group in groups.values():
        keeper = max(group, key=lambda k: (len(units[k].lemmas), -k))  # the most content words; the first on a tie
        home = units[keeper].holder.span
        # said again: like the keeper, or like another sentence of the keeper's bullet; not merely near a copy
        copies = sorted(k for k in group if units[k].holder.span != home
                        and any(j == keeper or units[j].holder.span == home for j in edges[k]))
        if copies:
            yield _report(doc, ctx, units, keeper, copies)


class _Unit:
    __slots__ = ("span", "holder", "text", "lemmas", "key")

    def __init__(self, span, holder, text):
        self.span, self.holder, self.text = span, holder, text
        self.lemmas = content_lemmas(text)
        self.key = normalize(text)


def _units(doc, min_words: int) -> list[_Unit]:
    model = document_model(doc)
    out = []
    for span, holder in sentences(doc):
        span = _without_tags(doc.text, span)
        block = model.block_at(span.start) if span is not None else None
        if block is None or block.role not in _RULE_ROLES or block.kind == "heading":
            continue
        text = doc.text[span.start : span.end].strip()
        if text.rstrip("*_` ").endswith(":") or _NOT_PROSE.search(text):
            continue  # "Reminders:" introduces, instructs nothing alone; a heading, a diff or code line is not a rule
        unit = _Unit(span, holder, text)
        letters = sum(c.isalpha() for c in text)
        # words of the sentence itself: file names, paths and `code` are what it is about, not what it says
        own_words = content_lemmas(_without_names(text))
        if len(own_words) >= min_words and letters >= 0.5 * len("".join(text.split())):
            out.append(unit)
    return out


def _without_names(text: str) -> str:
    """The sentence without code, quoted names, paths and snake_case words (in linear time)."""
    return " ".join(word for word in _QUOTED_NAME.sub(" ", text).split() if not _NAME_MARK.search(word))


def _without_tags(text: str, span: Span) -> Span | None:
    """The sentence without the template tags at its ends (they stay when it goes); None with one inside."""
    start, end = span.start, span.end
    while (m := _LEADING_TAG.match(text, start, end)) and m.end() > start:
        start = m.end()
    while (m := _TRAILING_TAG.search(text, start, end)) and m.start() < end:
        end = m.start()
    if start >= end or _TAG.search(text, start, end):
        return None
    return Span(start, end)


def _scorer(units: list[_Unit], threshold: float, overlap: float):
    """score(i, j) and the bar it must reach: wordllama's cosine, or lemma overlap without wordllama."""
    from .. import similarity  # numpy and wordllama load here, only when this rule runs

    matrix = similarity.cosine_matrix([_without_names(u.text) for u in units])
    if matrix is not None:
        return (lambda i, j: matrix[i][j]), threshold

    def jaccard(i: int, j: int) -> float:
        a, b = units[i].lemmas, units[j].lemmas
        return len(a & b) / len(a | b) if a | b else 0.0

    return jaccard, overlap


def _similar_pairs(units: list[_Unit], score, bar: float) -> list[tuple[int, int]]:
    pairs = []
    for i, a in enumerate(units):
        for j in range(i + 1, len(units)):
            b = units[j]
            if a.key == b.key:
                continue  # word for word: PO101's
            if (score(i, j) >= bar and negated(a.text) == negated(b.text)
                    and _NUMBER.findall(a.text) == _NUMBER.findall(b.text)):
                pairs.append((i, j))
    return pairs


def _slots(doc) -> list[int]:
    """Where the input goes: PO101's input slots, and any long block of data but examples (a document in tags)."""
    model = document_model(doc)
    long_data = [s.start for s in data_spans(doc) if len(doc.text[s.start : s.end].split()) >= _LONG_DATA_WORDS
                 and model.role_at(s) != Role.EXAMPLE]  # an example is not the input the rule governs
    return _input_slots(doc) + long_data


def _distinct(doc, a: _Unit, b: _Unit, slots: list[int], branches, alike) -> bool:
    """May the two be one instruction said twice, given where they stand?"""
    if _neighbour_items(doc, a, b, alike):
        return False  # neighbouring items of a list: an enumeration ("Assess X", "Assess Y"), each item its own
    if _quantifiers(a.text) != _quantifiers(b.text):
        return False  # "most of" and "all of": two grades of a scale, not one rule twice
    if _task_and_deliverable(a.text, b.text):
        return False  # "Assess governance implications" (a step) and "Governance implications" (what to hand in)
    label_a, label_b = _label(a.text), _label(b.text)
    if label_a and label_b and label_a != label_b:
        return False  # "query (Tensor): ..." and "value (Tensor): ...": each documents its own subject
    if _PLACEHOLDER.findall(a.text) != _PLACEHOLDER.findall(b.text):
        return False  # "{min_score}" and "{max_score}": two settings in one frame
    if any(a.span.end <= slot < b.span.start for slot in slots):
        return False  # restated after the input it governs: the sandwich, on purpose
    if _exclusive(branches, a.span.end - 1, b.span.end - 1):
        return False  # only one of the two renders
    if _scoped_siblings(doc, a.span, b.span) or _documents_another_item(doc, a.holder, b.holder):
        return False  # the same rule for two subjects, or the same note under two items
    return True


def _label(text: str) -> str:
    m = _LABEL.match(_clean(text))
    return normalize(m.group(1)) if m else ""


def _quantifiers(text: str) -> set[str]:
    return {w.lower() for w in _QUANTIFIER.findall(text)} - {"always", "only"}  # emphasis, not a grade


def _task_and_deliverable(a: str, b: str) -> bool:
    return is_imperative(_clean(a)) != is_imperative(_clean(b)) and (_fragment(a) or _fragment(b))


def _clean(text: str) -> str:
    return LIST_MARKER.sub("", text).strip("*_ ")


def _fragment(text: str) -> bool:
    """A short noun phrase ("Governance and regulatory implications"): no verb first, no end mark."""
    text = _clean(text)
    return (not is_imperative(text) and not text.rstrip("*_`").endswith((".", "!", "?"))
            and len(text.split()) <= 8 and not _FRAGMENT_START.match(text))


def _neighbour_items(doc, a: _Unit, b: _Unit, similar_to_a) -> bool:
    """Do the two stand in one list, as a run of alike items (an enumeration) or an item and a sub-item
    that details it?"""
    model = document_model(doc)
    first, last = model.block_at(a.span.start), model.block_at(b.span.start)
    if first is None or last is None or first.kind != "list_item" or last.kind != "list_item":
        return False
    blocks = model.blocks
    between = blocks[blocks.index(first) + 1 : blocks.index(last)]
    if any(block.kind != "list_item" for block in between):
        return False  # another block between: two lists
    if _indent(doc.text, last.span.start) > _indent(doc.text, first.span.start):
        return True  # a sub-item: it details its parent
    return all(similar_to_a(block) for block in between)


def _indent(text: str, offset: int) -> int:
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", line_start)
    line = text[line_start : len(text) if line_end == -1 else line_end]
    return len(line) - len(line.lstrip(" \t"))


def _component(edges: dict[int, set[int]], start: int) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for other in edges[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def _report(doc, ctx, units: list[_Unit], keeper: int, copies: list[int]):
    kept = units[keeper]
    line_of = lambda unit: doc.line_col(doc.locate(unit.span.start))[0]  # noqa: E731
    kept_line = line_of(kept)
    lines = ", ".join(dict.fromkeys(str(line_of(units[k])) for k in copies))
    count = len({units[k].holder.span for k in copies})
    where = f"line {lines}" if "," not in lines else f"lines {lines}"
    message = (f"the instruction at line {kept_line} is restated in other words at {where}: keep line {kept_line}"
               f" (the most complete) and remove the {'restatement' if count == 1 else f'{count} restatements'}")
    edits = [e for k in copies for e in delete_unit(doc, units[k].span, units[k].holder)]
    edits = _stranded(doc, edits)
    first = units[copies[0]]
    return ctx.report(doc, Span(first.span.start, first.span.end), message, edits=edits,
                      applicability=Applicability.UNSAFE,
                      fix_title=f"Remove the restatements, keep line {kept_line}",
                      related=[kept.span] + [units[k].span for k in copies[1:]])


def _stranded(doc, edits: list[Edit]) -> list[Edit]:
    """The edits, with what removing the copies would strand removed too: the line that introduced a list
    ("Reminders:") or the heading of a section, when every item under it goes (one edit from there on)."""
    blocks = document_model(doc).blocks
    gone = [any(e.span.start <= b.span.start and b.span.end <= e.span.end for e in edits) for b in blocks]
    i = 0
    while i < len(blocks):
        if not (gone[i] and blocks[i].kind == "list_item"):
            i += 1
            continue
        j = i
        while j + 1 < len(blocks) and blocks[j + 1].kind == "list_item":
            j += 1
        if all(gone[i : j + 1]) and i > 0 and not gone[i - 1]:
            before, after = blocks[i - 1], blocks[j + 1] if j + 1 < len(blocks) else None
            intro = (before.kind == "paragraph" and (after is None or after.kind != "list_item")
                     and doc.text[before.span.start : before.span.end].rstrip().endswith(":"))
            closes = after is None or after.kind == "heading" and after.level <= before.level
            if intro or before.kind == "heading" and closes:
                inside = [e for e in edits if before.span.start <= e.span.start < blocks[j].span.end]
                merged = whole_lines(doc.text, before.span.start, max(e.span.end for e in inside))
                edits = [e for e in edits if e not in inside] + [Edit(merged, "")]
        i = j + 1
    return edits
