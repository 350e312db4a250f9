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
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .core import Applicability, Edit, Finding, Fix, PromptDocument
from .numbering import Renumber, combined, own_edits, with_renumbering
from .registry import Rule
from .tokens import TokenCounter


def apply_text_edits(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    for edit in sorted(combined(text, list(edits)), key=lambda e: e.span.start, reverse=True):
        text = text[: edit.span.start] + edit.replacement + text[edit.span.end :]
    return text


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
    if any(isinstance(e, Renumber) for e in text_edits):  # each member renumbered alone: once, for all
        from .context import Context

        text_edits = tuple(with_renumbering(doc.text, list(text_edits)))
        placed = Context._fix(doc, list(text_edits), first.fix.applicability, "", first.fix.scope)
        if placed is None:
            return first
        source_edits = placed.edits
    unsafe = any(f.fix.applicability == Applicability.UNSAFE for f in taken)
    saved = counter.count(doc.text) - counter.count(apply_text_edits(doc.text, text_edits))
    lines = ", ".join(str(f.location.line) for f in taken[1:6]) + (", ..." if len(taken) > 6 else "")
    message = f"{first.message} (and {len(taken) - 1} more like it, lines {lines})"
    fix = Fix(source_edits, Applicability.UNSAFE if unsafe else Applicability.SAFE,
              f"{first.fix.title} ({len(taken)} places)", first.fix.scope)
    return replace(first, message=message, tokens_saved=max(0, saved), fix=fix, text_edits=text_edits,
                   related=[f.location for f in taken[1:]])


def _overlap(a: Fix, b: Fix) -> bool:
    """Do two fixes edit the same text? Their renumbering of a list does not count: a group renumbers once."""
    return any(x.span.start < y.span.end and y.span.start < x.span.end or x.span == y.span
               for x in own_edits(a.edits) for y in own_edits(b.edits))


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
        # one after another, each step applied to the original text (edits keep its offsets)
        edits: list[Edit] = []
        tokens = counter.count(doc.text)
        for finding in mine:
            edits.extend(finding.text_edits)
            after = counter.count(apply_text_edits(doc.text, edits))
            finding.tokens_saved = tokens - after
            tokens = after
