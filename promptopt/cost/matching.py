"""Which findings a change fixed, introduced or only re-described: findings matched by identity.

A finding's identity is its rule and the text it points at, not its message: "12 few-shot examples"
at the base and "11 few-shot examples" at the head are one finding whose message changed. Matching
runs in passes, each on what the earlier ones left:

1. the same rule and the same offending text (`Finding.snippet`), wherever it moved;
2. the same rule pointing at the same place: one of the lines it points at (its location and its
   `related` places) is a line git's diff leaves unchanged and the base finding points at that line;
3. the same rule in the same prompt, when the head finding points only at unchanged text.

A head finding left over is *introduced* only when it points at a line the change added or edited;
one that points only at unchanged text (a group of small findings that crossed the `min-tokens`
floor, a count that now passes a limit) was not introduced by the change: it is listed as *changed*.
A base finding left over is *fixed*: it is no longer reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ..core import Finding, Location


@dataclass
class FindingChanges:
    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    # (the base finding or None, the head finding): the same finding with another message, or one
    # that points only at text the change left alone
    changed: list[tuple[Finding | None, Finding]] = field(default_factory=list)


class LineMap:
    """The lines git's diff leaves equal between two texts, and those it adds, edits or deletes."""

    def __init__(self, base: str | None, head: str | None) -> None:
        base_lines = (base or "").splitlines()
        head_lines = (head or "").splitlines()
        self.head_to_base: dict[int, int] = {}
        matcher = SequenceMatcher(None, base_lines, head_lines, autojunk=False)
        for tag, i1, i2, j1, _ in matcher.get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    self.head_to_base[j1 + k + 1] = i1 + k + 1

    def touched_at_head(self, line: int) -> bool:
        return line not in self.head_to_base


def _lines(location: Location) -> range:
    return range(location.line, max(location.line, location.end_line) + 1)


def places(finding: Finding) -> set[int]:
    """Every line a finding points at: its own lines and those of its related places."""
    lines: set[int] = set()
    for location in (finding.location, *finding.related):
        lines.update(_lines(location))
    return lines


_LINE_REFERENCE = re.compile(r"\blines? \d+(?:, \d+)*(?:, \.\.\.)?")


def _redescribed(base: Finding, head: Finding) -> bool:
    """Does the message say something else? "the example at line 9" that moved to line 7 does not."""
    return _LINE_REFERENCE.sub("line", base.message) != _LINE_REFERENCE.sub("line", head.message)


def _text_key(finding: Finding) -> tuple[str, str]:
    return finding.code, " ".join(finding.snippet.split()) or finding.message


def compare_findings(before: list[Finding], after: list[Finding], base_text: str | None = None,
                     head_text: str | None = None) -> FindingChanges:
    """Sort the findings of a file's two sides into introduced, fixed and changed (module docstring)."""
    lines = LineMap(base_text, head_text)
    base_left = list(before)
    head_left: list[Finding] = []
    result = FindingChanges()

    # 1. same rule, same offending text, counting repeats
    by_text: dict[tuple[str, str], list[Finding]] = {}
    for finding in base_left:
        by_text.setdefault(_text_key(finding), []).append(finding)
    for finding in after:
        twins = by_text.get(_text_key(finding))
        if twins:
            base = twins.pop(0)
            base_left.remove(base)
            if _redescribed(base, finding):
                result.changed.append((base, finding))
        else:
            head_left.append(finding)

    # 2. same rule, pointing at a line the change left as it was
    unmatched: list[Finding] = []
    for finding in head_left:
        mapped = {lines.head_to_base[n] for n in places(finding) if n in lines.head_to_base}
        base = next((b for b in base_left if b.code == finding.code and mapped & places(b)), None)
        if base is None:
            unmatched.append(finding)
            continue
        base_left.remove(base)
        if _redescribed(base, finding):
            result.changed.append((base, finding))

    # 3. what the change did not touch was not introduced by it
    for finding in unmatched:
        if any(lines.touched_at_head(n) for n in places(finding)):
            result.introduced.append(finding)
            continue
        base = next((b for b in base_left if b.code == finding.code and b.document == finding.document), None)
        if base is not None:
            base_left.remove(base)
        if base is None or _redescribed(base, finding):
            result.changed.append((base, finding))
    result.fixed = base_left
    return result
