"""Apply fixes: non-overlapping edits, re-check, repeat until nothing changes (a fixed point).

As in ruff: safe fixes with `--fix`, unsafe ones too with `--unsafe-fixes`. Edits are applied from the
end of the file backwards so offsets stay valid; an edit that overlaps one already taken waits for
the next round, when the file has been re-checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .core import Applicability, Finding, Fix, LoadError
from .numbering import combined, own_edits

MAX_ROUNDS = 10


class FixLoopError(RuntimeError):
    """The fixes did not settle within MAX_ROUNDS: a rule and its fix disagree."""


@dataclass
class FixOutcome:
    text: str
    applied: list[Finding] = field(default_factory=list)
    rejected: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, guard's reason)
    rounds: int = 0


Accept = Callable[[str, str], str | None]  # (before, after) -> reason to reject, or None


def usable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability == Applicability.SAFE)


def apply_once(source: str, findings: list[Finding], unsafe: bool = False,
               accept: Accept | None = None) -> tuple[str, list[Finding], list[tuple[Finding, str]]]:
    """One round: every usable fix whose edits do not overlap an earlier one's."""
    taken: list[tuple[int, int]] = []
    chosen: list[Finding] = []
    rejected: list[tuple[Finding, str]] = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        if not usable(finding.fix, unsafe):
            continue
        # two fixes that each renumber a list they delete from do not overlap: it is renumbered once
        spans = [(e.span.start, e.span.end) for e in own_edits(finding.fix.edits)]
        if any(s < te and ts < e or (s == e == ts) for s, e in spans for ts, te in taken):
            continue
        if accept is not None and finding.fix.scope != "examples":
            # checked together with the fixes already taken: each of two fixes may keep a word the
            # other removes ("please" in a line and in its duplicate), and the round applies both
            reason = accept(source, _apply_edits(source, [*chosen, finding]))
            if reason and chosen and accept(source, _apply_edits(source, [finding])) is None:
                continue  # fine alone, not with the others: the next round checks it on what they leave
            if reason:
                rejected.append((finding, reason))
                continue
        taken.extend(spans)
        chosen.append(finding)
    return _apply_edits(source, chosen), chosen, rejected


def _apply_edits(source: str, findings: list[Finding]) -> str:
    edits = combined(source, [e for f in findings for e in f.fix.edits])
    edits = sorted(edits, key=lambda e: e.span.start, reverse=True)
    text = source
    for edit in edits:
        text = text[: edit.span.start] + edit.replacement + text[edit.span.end :]
    return text


def fix_to_fixed_point(path: Path, source: str, check: Callable[[Path, str], list[Finding]],
                       unsafe: bool = False, accept: Accept | None = None) -> FixOutcome:
    outcome = FixOutcome(source)
    seen_rejections: set[tuple[str, str]] = set()
    for round_no in range(1, MAX_ROUNDS + 1):
        findings = [f for f in check(path, outcome.text) if (f.code, f.snippet) not in seen_rejections]
        new_text, applied, rejected = apply_once(outcome.text, findings, unsafe, accept)
        for finding, reason in rejected:
            seen_rejections.add((finding.code, finding.snippet))
            outcome.rejected.append((finding, reason))
        if new_text == outcome.text and not rejected:
            outcome.rounds = round_no - 1
            return outcome
        outcome.text = new_text
        outcome.applied.extend(applied)
    raise FixLoopError(f"{path}: fixes did not settle after {MAX_ROUNDS} rounds")


STRUCTURED_FORMATS = {"yaml", "json", "prompty"}  # a rewrite of these must still load


def guarded_accept(path: Path, text: str, documents: list | None = None) -> Accept:
    """The check every fix path applies (audit --fix, compress, the cost saving): the fidelity guard,
    with the labels the file's prompts declare, and for YAML/JSON/prompty a file that still loads,
    whose prompts keep their quoted text and inline code, and whose YAML values keep their types
    (`Please note that yes` -> `Yes` would turn a string into the boolean true)."""
    from .guard import check_rewrite
    from .loaders import format_of

    labels = declared_labels_of(path, text, documents)
    fmt = format_of(path)
    structured = fmt in STRUCTURED_FORMATS
    loaded: dict[str, list] = {} if documents is None else {text: documents}  # `before` is shared by a round

    def accept(before: str, after: str) -> str | None:
        # in a YAML/JSON source, quotes delimit the values: quoted text is checked in the prompts below
        reason = check_rewrite(before, after, labels=labels, quotes=not structured)
        if reason is None and structured:
            reason = _structured_problem(path, fmt, before, after, loaded)
        return reason

    return accept


def _structured_problem(path: Path, fmt: str, before: str, after: str, loaded: dict[str, list]) -> str | None:
    from .guard import quoted_changes
    from .loaders import load_source

    try:
        new_docs = load_source(path, after)
        if before not in loaded:
            loaded.clear()  # a new round: the previous text will not be asked again
            loaded[before] = load_source(path, before)
        old_docs = loaded[before]
    except LoadError:
        return f"the {fmt} file would no longer load"
    reason = quoted_changes("\n".join(d.text for d in old_docs), "\n".join(d.text for d in new_docs))
    if reason is None and fmt == "yaml":
        reason = _yaml_type_change(before, after)
    return reason


def _yaml_type_change(before: str, after: str) -> str | None:
    """A value whose YAML type a rewrite changed (a string that now reads as a boolean, a number...)."""
    from .bounded import load_yaml

    try:
        old, new = load_yaml(before), load_yaml(after)
    except LoadError:
        return "the yaml file would no longer load"
    if len(old) == len(new) == 1:  # one document, as most files are: places start at its root
        old, new = old[0], new[0]
    return _first_type_change(old, new, "")


def _first_type_change(old, new, where: str) -> str | None:
    if type(old) is not type(new):
        kinds = f"{type(old).__name__} -> {type(new).__name__}"
        return f"the YAML value at {where or 'the top'} would change type ({kinds})"
    if isinstance(old, dict):
        if list(old) != list(new):
            return f"the YAML keys at {where or 'the top'} would change"
        pairs = ((f"{where}.{key}" if where else str(key), old[key], new[key]) for key in old)
    elif isinstance(old, list):
        if len(old) != len(new):
            return f"the YAML list at {where or 'the top'} would change length"
        pairs = ((f"{where}[{i}]", a, b) for i, (a, b) in enumerate(zip(old, new, strict=True)))
    else:
        return None
    for place, a, b in pairs:
        reason = _first_type_change(a, b, place)
        if reason:
            return reason
    return None


def declared_labels_of(path: Path, text: str, documents: list | None = None) -> tuple[str, ...]:
    """Labels the prompts declare (`one of: billing, refund`): the guard keeps each one present.
    `documents`: the text's prompts when the caller has loaded them already (the audit has)."""
    from .analyzers._examples import declared_labels
    from .loaders import load_source

    labels: list[str] = []
    if documents is None:
        try:
            documents = load_source(path, text)
        except LoadError:
            return ()
    for doc in documents:
        found = declared_labels(doc)
        if found:
            labels.extend(found[0])
    return tuple(dict.fromkeys(labels))


def loads(path: Path, text: str) -> bool:
    from .loaders import load_source

    try:
        load_source(path, text)
    except LoadError:
        return False
    return True
