"""What a file's findings are worth: savings measured by applying the fixes, and a value floor.

A rule reports a finding with its own estimate. Before anything is shown, the engine settles the file:

1. **Floor.** A waste finding (PO1xx-PO4xx) whose fix saves fewer than `min-tokens` tokens is too small
   to act on alone: a rule's small findings in one prompt are grouped into one finding carrying all
   their edits when together they reach the floor, and dropped otherwise.
2. **Measure.** The fixes are chosen exactly as one round of `audit --fix --unsafe-fixes` chooses them
   (`fixes.apply_once`: in file order, no overlap, each accepted by the fidelity guard) and applied to
   each prompt one after another; a finding's `tokens_saved` is the tiktoken count before its edits
   minus the count after. So a file's findings add up to exactly what applying them together removes,
   and a fix the guard rejects, or one that overlaps an earlier fix, claims nothing.
   A finding with no fix claims nothing: its `tokens_saved` is 0.

   The counts are taken on the stretch of lines around each fix, not the whole prompt (`EditWindows`):
   tiktoken's pre-tokenizer never joins across a line break followed by a character that is not white
   space or "/", so the tokens of a text are the sum of the tokens of its stretches between such points,
   and an edit changes the count of its own stretch only. A large prompt with many findings is then
   counted about once, not once per finding.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from pathlib import Path

from .core import Applicability, Edit, Finding, Fix, PromptDocument
from .registry import Rule
from .tokens import TokenCounter


def apply_text_edits(text: str, edits: tuple[Edit, ...] | list[Edit], offset: int = 0) -> str:
    """`text` with `edits` applied; `offset`: where `text` starts in the text the edits' spans count in."""
    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        text = text[: edit.span.start - offset] + edit.replacement + text[edit.span.end - offset :]
    return text


class EditWindows:
    """A text cut, around a set of non-overlapping edits, into stretches whose token counts add up to
    the whole text's, before and after any of the edits.

    A cut sits at `p` where text[p - 1] is a line feed and text[p] neither white space nor "/": no piece
    of o200k_base's or cl100k_base's pre-tokenizer spans it (a piece holds a line feed only in a trailing
    run of white space, or of line breaks and "/" after punctuation), the pieces after it depend on the
    text after it only, and the run of white space ending in the line feed before it is one piece
    whether the text ends there or goes on. A stretch is widened to cuts whose two characters no edit
    touches, so they stay cuts in the edited text."""

    def __init__(self, text: str, edits: list[Edit]):
        self.text = text
        spans = sorted((e.span.start, e.span.end) for e in edits)
        self.windows: list[list[int]] = []  # [start, end), merged where they meet or overlap
        for start, end in spans:
            left, right = self._cut_before(start), self._cut_after(end)
            if self.windows and left <= self.windows[-1][1]:
                self.windows[-1][1] = max(self.windows[-1][1], right)
            else:
                self.windows.append([left, right])
        self.starts = [start for start, _ in self.windows]

    def _is_cut(self, p: int) -> bool:
        return self.text[p - 1] == "\n" and not self.text[p].isspace() and self.text[p] != "/"

    def _cut_before(self, start: int) -> int:
        """The last cut p < start (p and p - 1 untouched by an edit from `start`), or 0."""
        p = self.text.rfind("\n", 0, max(0, start - 1)) + 1
        while p > 0 and not self._cut(p, before=start):
            p = self.text.rfind("\n", 0, p - 1) + 1
        return p

    def _cut_after(self, end: int) -> int:
        """The first cut p > end (p - 1 >= end: untouched by an edit ending at `end`), or the text's end."""
        p = self.text.find("\n", end)
        while p != -1 and not self._cut(p + 1, before=None):
            p = self.text.find("\n", p + 1)
        return len(self.text) if p == -1 else p + 1

    def _cut(self, p: int, before: int | None) -> bool:
        return 0 < p < len(self.text) and (before is None or p < before) and self._is_cut(p)

    def window_of(self, edit: Edit) -> int:
        """The index of the stretch that holds `edit`."""
        index = bisect.bisect_right(self.starts, edit.span.start) - 1
        if index < 0 or edit.span.end > self.windows[index][1]:
            raise ValueError(f"{edit} is outside the edits the windows were cut for")
        return index

    def stretch(self, index: int, edits: list[Edit]) -> str:
        """Stretch `index` of the text with `edits` (all inside it) applied."""
        start, end = self.windows[index]
        return apply_text_edits(self.text[start:end], edits, offset=start)


def apply_floor(doc: PromptDocument, findings: list[Finding], rules: dict[str, Rule], min_tokens: int,
                counter: TokenCounter) -> list[Finding]:
    """Drop or group the waste findings of one prompt whose fixes save fewer than `min_tokens`."""
    if min_tokens <= 0:
        return findings
    kept: list[Finding] = []
    small: dict[str, list[Finding]] = {}
    for finding in findings:
        rule = rules.get(finding.code)
        if rule is None or rule.kind != "waste" or finding.tokens_saved >= min_tokens:
            kept.append(finding)
        elif finding.fix is not None:
            small.setdefault(finding.code, []).append(finding)
        # a waste finding with no fix and a small estimate ("keep the 3 shortest of 3") is dropped
    for group in small.values():
        grouped = _group(doc, group, counter)
        if grouped is not None and grouped.tokens_saved >= min_tokens:
            kept.append(grouped)
    return sorted(kept, key=lambda f: f.sort_key)


def _group(doc: PromptDocument, findings: list[Finding], counter: TokenCounter) -> Finding | None:
    findings = sorted(findings, key=lambda f: f.sort_key)
    if len(findings) == 1:
        return findings[0]
    taken: list[Finding] = []
    for finding in findings:
        if not any(_overlap(finding.fix, other.fix) for other in taken):
            taken.append(finding)
    first = taken[0]
    text_edits = tuple(e for f in taken for e in f.text_edits)
    source_edits = tuple(e for f in taken for e in f.fix.edits)
    unsafe = any(f.fix.applicability == Applicability.UNSAFE for f in taken)
    saved = counter.count(doc.text) - counter.count(apply_text_edits(doc.text, text_edits))
    lines = ", ".join(str(f.location.line) for f in taken[1:6]) + (", ..." if len(taken) > 6 else "")
    message = f"{first.message} (and {len(taken) - 1} more like it, lines {lines})"
    fix = Fix(source_edits, Applicability.UNSAFE if unsafe else Applicability.SAFE,
              f"{first.fix.title} ({len(taken)} places)", first.fix.scope)
    return replace(first, message=message, tokens_saved=max(0, saved), fix=fix, text_edits=text_edits,
                   related=[f.location for f in taken[1:]])


def _overlap(a: Fix, b: Fix) -> bool:
    return any(x.span.start < y.span.end and y.span.start < x.span.end or x.span == y.span
               for x in a.edits for y in b.edits)


def settle(path: Path, source: str, per_document: list[tuple[PromptDocument, list[Finding]]],
           counter: TokenCounter, documents: list[PromptDocument] | None = None) -> None:
    """Set every finding's `tokens_saved` to what its fix removes in one `--fix --unsafe-fixes` round."""
    from .fixes import apply_once, guarded_accept

    fixable = [f for _, found in per_document for f in found if f.fix is not None and f.text_edits]
    for _, found in per_document:
        for finding in found:
            finding.tokens_saved = 0
    if not fixable:
        return
    _, chosen, rejected = apply_once(source, fixable, unsafe=True, accept=guarded_accept(path, source, documents))
    chosen_ids = {id(f) for f in chosen}
    reasons = {id(f): reason for f, reason in rejected}
    for finding in fixable:
        if id(finding) in reasons:
            finding.message += f" (no saving counted: the fidelity guard rejects the fix, {reasons[id(finding)]})"
        elif id(finding) not in chosen_ids:
            finding.message += " (no saving counted: its fix overlaps an earlier finding's)"
    for doc, found in per_document:
        mine = [f for f in found if id(f) in chosen_ids]
        if not mine:
            continue
        # one after another, each step applied to the original text (edits keep its offsets); only the
        # stretches a finding's edits fall in change their count
        windows = EditWindows(doc.text, [e for f in mine for e in f.text_edits])
        applied: dict[int, list[Edit]] = {}
        tokens: dict[int, int] = {}
        for finding in mine:
            touched: dict[int, list[Edit]] = {}
            for edit in finding.text_edits:
                touched.setdefault(windows.window_of(edit), []).append(edit)
            saved = 0
            for index, edits in touched.items():
                if index not in tokens:
                    tokens[index] = counter.count(windows.stretch(index, []))
                applied[index] = applied.get(index, []) + edits
                after = counter.count(windows.stretch(index, applied[index]))
                saved += tokens[index] - after
                tokens[index] = after
            finding.tokens_saved = saved
