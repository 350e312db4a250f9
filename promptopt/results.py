"""What an audit returns: per file, its prompts, tokens and findings. Every reporter reads these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .core import Finding, PromptDocument, Severity
from .tokenmap import SectionTokens
from .tokens import EncodingChoice


@dataclass
class FileResult:
    path: Path
    documents: list[PromptDocument] = field(default_factory=list)
    tokens: int = 0  # tokens of all prompts in the file, for the configured model's encoding
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # why the file could not be audited (then tokens and findings are empty)
    sections: list[SectionTokens] = field(default_factory=list)  # the token map (promptopt/tokenmap.py)

    @property
    def tokens_saved(self) -> int:
        """Tokens per request that one round of every fix removes (`savings.settle` measures each
        finding's share, so the findings add up to the whole)."""
        return sum(f.tokens_saved for f in self.findings)


@dataclass
class AuditResult:
    files: list[FileResult]
    encoding: EncodingChoice
    fail_on: Severity = Severity.INFO
    suppressed: int = 0  # findings a baseline accepted, left out of `files` (reporters say how many)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.files if r.error]

    @property
    def tokens(self) -> int:
        return sum(r.tokens for r in self.files)

    @property
    def tokens_saved(self) -> int:
        return sum(r.tokens_saved for r in self.files)

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity >= self.fail_on]

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if self.failing() else 0
