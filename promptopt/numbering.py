"""Numbered lists stay numbered 1, 2, 3 after a fix deletes one of their items.

A fix that deletes item 4 of `1. ... 6.` would leave `1, 2, 3, 5, 6`. `renumbering` returns the edits
that close the gap (5 -> 4, 6 -> 5); `Context.report` adds them to the fix's own edits, so the saving,
the fidelity guard and `--diff` see the whole change, and the next round finds a consecutive list
(idempotent). Only the list that lost an item changes.

A list is a run of item markers (`4.` or `4)` at a line's start) with the same indentation and
delimiter, numbered consecutively; blank lines and lines indented deeper than the markers (an item's
continuation) may sit between items, any other line ends the list. No renumbering when the prompt
refers to an item by number ("see step 5"): the reference would then point at another item.

The fidelity guard compares numbers without the markers (`marker_free`): a marker is the list's order,
not a number the prompt states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .core import Edit, Span
from .lazyre import lazy_compile

MARKER = lazy_compile(r"^([ \t]*)(\d{1,3})([.)])(?=[ \t]|$)", re.M)
REFERENCE = lazy_compile(r"\b(?:steps?|rules?|items?|points?|instructions?|questions?|no\.|number|#)\s*(\d{1,3})\b",
                       re.I)


class Renumber(Edit):
    """An edit that only renumbers a list item (recomputed, never overlapping a fix's own edits)."""


@dataclass(frozen=True)
class _Marker:
    line_start: int
    digits: Span
    number: int
    indent: str
    delimiter: str


def _markers(text: str) -> list[_Marker]:
    return [_Marker(m.start(), Span(m.start(2), m.end(2)), int(m.group(2)), m.group(1), m.group(3))
            for m in MARKER.finditer(text)]


def _lists(text: str) -> list[list[_Marker]]:
    """Runs of consecutively numbered markers that belong to one list (module docstring)."""
    lists: list[list[_Marker]] = []
    current: list[_Marker] = []
    for marker in _markers(text):
        if current and _continues(text, current[-1], marker):
            current.append(marker)
            continue
        if len(current) > 1:
            lists.append(current)
        current = [marker]
    if len(current) > 1:
        lists.append(current)
    return lists


def _continues(text: str, last: _Marker, marker: _Marker) -> bool:
    if (marker.indent, marker.delimiter, marker.number) != (last.indent, last.delimiter, last.number + 1):
        return False
    between = text[text.find("\n", last.line_start) + 1 : marker.line_start]  # the lines after `last`'s
    for line in between.splitlines():
        if line.strip() and len(line) - len(line.lstrip(" \t")) <= len(last.indent):
            return False  # a paragraph at the list's level ends it
    return True


def _deleted(marker: _Marker, edits: list[Edit]) -> bool:
    return any(e.span.start <= marker.line_start and marker.digits.end <= e.span.end
               and not MARKER.search(e.replacement) for e in edits)


def _touched(marker: _Marker, edits: list[Edit]) -> bool:
    return any(e.span.start < marker.digits.end and marker.line_start < e.span.end for e in edits)


def renumbering(text: str, edits: list[Edit]) -> list[Edit]:
    """The edits that renumber each list whose items `edits` delete; none when nothing is deleted,
    another marker is edited, or the prompt refers to an item by its number."""
    own = own_edits(edits)
    if not own:
        return []
    changes: list[Edit] = []
    for items in _lists(text):
        kept = [m for m in items if not _deleted(m, own)]
        if len(kept) == len(items) or any(_touched(m, own) for m in kept):
            continue
        moved = [(m, items[0].number + i) for i, m in enumerate(kept) if m.number != items[0].number + i]
        if not moved:
            continue
        first_gone = next(m.number for m in items if m not in kept)
        mentioned = {int(n) for n in REFERENCE.findall(marker_free(text))}
        if any(n >= first_gone for n in mentioned if items[0].number <= n <= items[-1].number):
            continue
        changes.extend(Renumber(m.digits, str(number)) for m, number in moved)
    return changes


def with_renumbering(text: str, edits: list[Edit]) -> list[Edit]:
    """A fix's edits with the renumbering of the lists they delete items from (recomputed)."""
    own = own_edits(edits)
    return own + renumbering(text, own)


def combined(text: str, edits: list[Edit]) -> list[Edit]:
    """Several fixes' edits applied together: when two of them delete items of the same list, one fix's
    renumbering meets the other's (or falls inside its deletion), so the list is renumbered once for all."""
    renumbers = [e for e in edits if isinstance(e, Renumber)]
    if any(r.span.start < e.span.end and e.span.start < r.span.end for r in renumbers for e in edits if e is not r):
        return with_renumbering(text, edits)
    return list(edits)


def own_edits(edits) -> list[Edit]:
    """A fix's edits without its renumbering (what decides whether two fixes overlap)."""
    return [e for e in edits if not isinstance(e, Renumber)]


def marker_free(text: str) -> str:
    """The text with numbered-list markers blanked (same length): the numbers the prompt states."""
    return MARKER.sub(lambda m: m.group(1) + " " * (len(m.group(2)) + 1), text)
