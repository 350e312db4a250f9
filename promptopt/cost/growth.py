"""`promptopt audit --max-growth 10%`: fail when a prompt grew past a limit against git's HEAD.

For the pre-commit hook: the budget caps a prompt's size, this caps how much one commit may add.
A file that is new at HEAD, or a folder that is not a git repository, has nothing to grow from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..gitdiff import GitError, read_at, repo_root
from ..loaders import load_source
from ..results import AuditResult
from ..tokens import TokenCounter


@dataclass(frozen=True)
class GrowthLimit:
    """Tokens a prompt may add per request: an absolute count (`200`) or a percentage (`10%`)."""

    amount: float
    percent: bool

    @classmethod
    def parse(cls, text: str) -> GrowthLimit:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text)
        if not match:
            raise ValueError(f"--max-growth {text!r}: give tokens (200) or a percentage (10%)")
        return cls(float(match.group(1)), bool(match.group(2)))

    def exceeded(self, before: int, after: int) -> bool:
        growth = after - before
        if self.percent:
            return before > 0 and 100.0 * growth / before > self.amount
        return growth > self.amount

    def __str__(self) -> str:
        return f"{self.amount:g}%" if self.percent else f"{self.amount:g} tokens"


@dataclass(frozen=True)
class Growth:
    path: Path
    before: int
    after: int

    def message(self, limit: GrowthLimit) -> str:
        pct = f" (+{100.0 * (self.after - self.before) / self.before:.0f}%)" if self.before else ""
        return (
            f"{self.path}: grew from {self.before:,} to {self.after:,} tokens per request{pct} "
            f"since HEAD, more than --max-growth {limit}"
        )


def tokens_at_head(path: Path, root: Path, counter: TokenCounter) -> int | None:
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    text = read_at("HEAD", relative, root)
    if text is None:
        return None
    try:
        return sum(counter.count(doc.sent_text()) for doc in load_source(path, text))
    except Exception:  # the HEAD version did not load: nothing to compare with
        return None


def growth_past_limit(result: AuditResult, config: Config, limit: GrowthLimit) -> list[Growth]:
    """Files of the audit whose tokens grew past the limit since HEAD."""
    files = [f for f in result.files if not f.error]
    if not files:
        return []
    try:
        root = repo_root(files[0].path.resolve().parent).resolve()
    except GitError:
        return []
    counter = TokenCounter(config.model)
    grown = []
    for file in files:
        before = tokens_at_head(file.path, root, counter)
        if before is not None and limit.exceeded(before, file.tokens):
            grown.append(Growth(file.path, before, file.tokens))
    return grown


def check_growth(result: AuditResult, config: Config, limit_text: str) -> int:
    """Print each prompt grown past the limit on stderr; the exit code it calls for (0, 1, 2)."""
    import click

    try:
        limit = GrowthLimit.parse(limit_text)
    except ValueError as exc:
        click.echo(f"promptopt: error: {exc}", err=True)
        return 2
    grown = growth_past_limit(result, config, limit)
    for growth in grown:
        click.echo(f"promptopt: {growth.message(limit)}", err=True)
    return 1 if grown else 0
