"""One instruction restated in other words, in several places.

Prompts grow by patching: a rule that seemed ignored is said again in a "Reminders" or "Checklist"
section, or in the next step, in new words. The model reads it every time; every request pays for
each copy. The sentences that say the same thing are one group and one finding that names every
location; it keeps the most complete statement (the one with the most content words) and offers to
remove the others. The fix is unsafe: a restatement may carry a nuance, and repeating a rule can be
a deliberate choice, so review it (or let `promptopt eval` confirm that the answers held).

Sameness is judged by wordllama sentence embeddings (cosine at least `threshold`), shipped with their
weights in the wordllama wheel and loaded only when this rule runs (about 0.1-0.2 s, plus 0.3-0.8 s to
import wordllama and numpy). Without wordllama installed the rule falls back to content-word overlap
(Jaccard of the lookup lemmas at least `overlap-threshold`), which judged restatement less well on
the labelled pairs of docs/restated.md.

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

from ..core import Applicability, Severity, Span
from ..document import Role, data_spans, document_model, sentences
from ..lazyre import lazy_compile
from ._common import content_lemmas, delete_unit, negated, normalize
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
_TAG = lazy_compile(r"\{%-?.*?-?%\}|\{#.*?#\}", re.S)  # template tags and comments: never an instruction
_NUMBER = lazy_compile(r"\d+(?:[.,]\d+)*")
# a heading in a list item, a diff line, a line of code (a definition, a statement, a call ending the line)
_NOT_PROSE = lazy_compile(r"^(?:[-*+]|\d{1,3}[.)])?\s*#|^[+-] {2,}\S|^\s*(?:def|class|import|return)\s"
                          r"|\w\([^()]*\)[;:]?$", re.M)
_PLACEHOLDER = lazy_compile(r"\{\{[^{}]*\}\}|\{[A-Za-z_]\w*\}")


def check(doc, ctx):
    units = _units(doc, int(ctx.options["min-content-words"]))
    if len(units) < 2:
        return
    similar = _similar_pairs(units, float(ctx.options["threshold"]), float(ctx.options["overlap-threshold"]))
    slots, branches = _slots(doc), _branches(doc)
    edges: dict[int, set[int]] = {i: set() for i in range(len(units))}
    for i, j, _ in similar:
        if _distinct(doc, units[i], units[j], slots, branches):
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
        block = model.block_at(span.start)
        if block is None or block.role not in _RULE_ROLES or block.kind == "heading":
            continue
        text = _TAG.sub(" ", doc.text[span.start : span.end]).strip()
        if text.rstrip("*_` ").endswith(":") or _NOT_PROSE.search(text):
            continue  # "Reminders:" introduces, instructs nothing alone; a heading, a diff or code line is not a rule
        unit = _Unit(span, holder, text)
        letters = sum(c.isalpha() for c in text)
        if len(unit.lemmas) >= min_words and letters >= 0.5 * len("".join(text.split())):
            out.append(unit)
    return out


def _similar_pairs(units: list[_Unit], threshold: float, overlap: float) -> list[tuple[int, int, float]]:
    from .. import similarity  # numpy and wordllama load here, only when this rule runs

    matrix = similarity.cosine_matrix([u.text for u in units])
    pairs = []
    for i, a in enumerate(units):
        for j in range(i + 1, len(units)):
            b = units[j]
            if a.key == b.key:
                continue  # word for word: PO101's
            if matrix is not None:
                score, bar = matrix[i][j], threshold
            else:
                score, bar = len(a.lemmas & b.lemmas) / len(a.lemmas | b.lemmas), overlap
            if score >= bar and negated(a.text) == negated(b.text) and _NUMBER.findall(a.text) == _NUMBER.findall(
                    b.text):
                pairs.append((i, j, score))
    return pairs


def _slots(doc) -> list[int]:
    """Where the input goes: PO101's input slots, and any long block of data (a document in tags)."""
    long_data = [s.start for s in data_spans(doc) if len(doc.text[s.start : s.end].split()) >= _LONG_DATA_WORDS]
    return _input_slots(doc) + long_data


def _distinct(doc, a: _Unit, b: _Unit, slots: list[int], branches) -> bool:
    """May the two be one instruction said twice, given where they stand?"""
    if _neighbour_items(doc, a, b):
        return False  # neighbouring items of a list: an enumeration ("Assess X", "Assess Y"), each item its own
    if _PLACEHOLDER.findall(a.text) != _PLACEHOLDER.findall(b.text):
        return False  # "{min_score}" and "{max_score}": two settings in one frame
    if any(a.span.end <= slot < b.span.start for slot in slots):
        return False  # restated after the input it governs: the sandwich, on purpose
    if _exclusive(branches, a.span.end - 1, b.span.end - 1):
        return False  # only one of the two renders
    if _scoped_siblings(doc, a.span, b.span) or _documents_another_item(doc, a.holder, b.holder):
        return False  # the same rule for two subjects, or the same note under two items
    return True


def _neighbour_items(doc, a: _Unit, b: _Unit) -> bool:
    """Do the two stand in one list item, or in two items next to each other?"""
    model = document_model(doc)
    first, last = model.block_at(a.span.start), model.block_at(b.span.start)
    if first is None or last is None or first.kind != "list_item" or last.kind != "list_item":
        return False
    blocks = model.blocks
    index = blocks.index(first)
    return first is last or (index + 1 < len(blocks) and blocks[index + 1] is last)


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
    lines = ", ".join(str(line_of(units[k])) for k in copies)
    count = len(copies)
    where = f"line {lines}" if count == 1 else f"lines {lines}"
    message = (f"the instruction at line {kept_line} is restated in other words at {where}: keep line {kept_line}"
               f" (the most complete) and remove the {'restatement' if count == 1 else f'{count} restatements'}")
    edits = [e for k in copies for e in delete_unit(doc, units[k].span, units[k].holder)]
    first = units[copies[0]]
    return ctx.report(doc, Span(first.span.start, first.span.end), message, edits=edits,
                      applicability=Applicability.UNSAFE,
                      fix_title=f"Remove the restatements, keep line {kept_line}",
                      related=[kept.span] + [units[k].span for k in copies[1:]])
