"""Rule-based compression: the audit rules' fixes to a fixed point, plus whitespace clean-up.

Deterministic and offline. Every rewrite goes through the fidelity guard (`promptopt.guard`): a fix
the guard rejects is left out and reported with its reason, and the file keeps its text there.
Safe fixes only by default; `unsafe=True` adds the unsafe ones (pruning examples, merging
near-duplicates), as `audit --unsafe-fixes` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..core import LoadError
from ..engine import Auditor
from ..fixes import fix_to_fixed_point, guarded_accept
from ..loaders import format_of, load_source

WHITESPACE_CODE = "WS"  # the whitespace step is reported like a rule, under this code
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_MAX_PASSES = 4


@dataclass(frozen=True)
class Change:
    code: str
    line: int
    title: str


@dataclass(frozen=True)
class Rejection:
    code: str
    line: int
    snippet: str
    reason: str  # the guard's reason

    def to_json(self) -> dict:
        return {"code": self.code, "line": self.line, "snippet": self.snippet, "reason": self.reason}


@dataclass
class CompressResult:
    path: Path
    original: str
    text: str
    tokens_before: int
    tokens_after: int
    applied: list[Change] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    paragraphs: list[dict] = field(default_factory=list)  # llmlingua: per paragraph, what happened
    written_to: Path | None = None  # set by the CLI when it wrote the result

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def saved_fraction(self) -> float:
        return (self.tokens_before - self.tokens_after) / self.tokens_before if self.tokens_before else 0.0


def compress_rules(path: Path, text: str, config: Config, unsafe: bool = False, *,
                   auditor: Auditor | None = None) -> CompressResult:
    """Rewrite `text` (the file at `path`) with every guard-approved fix and the whitespace step.

    Raises `LoadError` when the file is not a prompt file promptopt can read (broken YAML...).
    """
    auditor = auditor or Auditor(config)
    load_source(path, text)  # a file that does not load is an error, not "nothing to do"
    accept = guarded_accept(path, text)

    result = CompressResult(path, text, text, count_tokens(auditor, path, text), 0)
    seen_rejections: set[tuple[str, str]] = set()
    for _ in range(_MAX_PASSES):  # whitespace and fixes can enable each other; both settle fast
        start = result.text
        tidy = normalise_whitespace(result.text, markdown=format_of(path) == "markdown")
        if tidy != result.text:
            reason = accept(result.text, tidy)
            if reason is None:
                result.applied.append(Change(WHITESPACE_CODE, _first_changed_line(result.text, tidy),
                                             "Remove trailing spaces and extra blank lines"))
                result.text = tidy
            elif (WHITESPACE_CODE, reason) not in seen_rejections:
                seen_rejections.add((WHITESPACE_CODE, reason))
                result.rejected.append(Rejection(WHITESPACE_CODE, _first_changed_line(result.text, tidy), "", reason))
        outcome = fix_to_fixed_point(path, result.text, lambda p, t: auditor.audit_source(p, t).findings,
                                     unsafe=unsafe, accept=accept)
        result.applied.extend(Change(f.code, f.location.line, f.fix.title) for f in outcome.applied)
        for finding, reason in outcome.rejected:
            if (finding.code + finding.snippet, reason) in seen_rejections:
                continue
            seen_rejections.add((finding.code + finding.snippet, reason))
            result.rejected.append(Rejection(finding.code, finding.location.line, finding.snippet, reason))
        result.text = outcome.text
        if result.text == start:
            break
    result.tokens_after = count_tokens(auditor, path, result.text)
    return result


def normalise_whitespace(text: str, markdown: bool = False) -> str:
    """Trailing spaces off and runs of 3+ blank lines down to 2, outside fenced code blocks.

    Nothing a renderer (or a model) reads changes: in Markdown a line ending in two or more spaces
    before a non-blank line is a hard line break, and stays.
    """
    lines = text.split("\n")
    out: list[str] = []
    fence: str | None = None
    blank_run = 0
    for idx, line in enumerate(lines):
        opener = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
        cr = "\r" if line.endswith("\r") else ""
        body = line[: len(line) - len(cr)]
        stripped = body.rstrip(" \t")
        next_line = lines[idx + 1] if idx + 1 < len(lines) else ""
        if markdown and stripped and body.endswith("  ") and next_line.strip():
            stripped = body  # a hard line break
        if not stripped:
            blank_run += 1
            if blank_run > 2:
                continue
        else:
            blank_run = 0
        out.append(stripped + cr)
    return "\n".join(out)


def count_tokens(auditor: Auditor, path: Path, text: str) -> int:
    """Tokens of the prompts as the model sees them (a YAML file's keys are not sent)."""
    try:
        documents = load_source(path, text)
    except LoadError:
        return auditor.counter.count(text)
    return sum(auditor.counter.count(doc.sent_text()) for doc in documents)


def _first_changed_line(before: str, after: str) -> int:
    for number, (old, new) in enumerate(zip(before.split("\n"), after.split("\n"), strict=False), start=1):
        if old != new:
            return number
    return min(before.count("\n"), after.count("\n")) + 1


__all__ = ["CompressResult", "Change", "Rejection", "compress_rules", "normalise_whitespace"]
