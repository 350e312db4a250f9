"""`diff --verify`: for a changed prompt with an eval suite mapped to it, the strongest compression that
passed the eval, as `promptopt compress PROMPT --verify SUITE` chooses and reports it.

```toml
[tool.promptopt.eval-suites]          # prompt glob -> eval suite (paths relative to the config's folder)
"prompts/support.md" = "evals/support.yaml"
```
The first glob that matches a prompt wins. Without `--verify` a mapped suite is not run, and the report
says so; a prompt with no suite mapped gets no verification at all: nothing ever reads as an eval that
did not run.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from .usage import UsageConfigError, glob_matches

NOT_RUN, CHOSEN, NONE_HELD, FAILED = "not run", "chosen", "none held", "error"


@dataclass
class Verification:
    """What `compress --verify` said about one changed prompt, or why it did not run."""

    path: str  # the prompt, relative to the repository's root
    suite: str  # the suite, as the comment names it
    status: str  # NOT_RUN, CHOSEN (a compression held), NONE_HELD, FAILED
    model: str = ""
    cases: int = 0
    tokens_before: int = 0
    candidate: str = ""  # the chosen candidate's name ("safe", "unsafe PO4xx", ...)
    description: str = ""
    tokens_after: int | None = None
    saving_per_request: float | None = None
    requests_per_month: float | None = None
    score_before: float | None = None
    score_after: float | None = None
    lost: int = 0
    gained: int = 0
    eval_verdict: str = ""  # the paired comparison's own verdict (pass or inconclusive for a chosen one)
    reason: str = ""  # compress --verify's reason line, or the error

    @property
    def monthly_saving(self) -> float | None:
        if self.saving_per_request is None or self.requests_per_month is None:
            return None
        return self.saving_per_request * self.requests_per_month

    @property
    def command(self) -> str:
        return shlex.join(["promptopt", "compress", self.path, "--verify", self.suite, "--write"])


def parse_eval_suites(table: object, root: Path) -> dict[str, Path]:
    """Validate `eval-suites`: a table of prompt glob -> suite file (relative to the config's folder)."""
    if table is None:
        return {}
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                              for k, v in table.items()):
        raise UsageConfigError("eval-suites must be a table of prompt glob = \"path/to/suite.yaml\"")
    return {glob: root / suite for glob, suite in table.items()}


def suite_for(suites: dict[str, Path], relative_path: str) -> Path | None:
    return next((suite for glob, suite in suites.items() if glob_matches(glob, relative_path)), None)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def verify_prompt(relative_path: str, head_text: str, suite: Path, root: Path, config: Config, usage,
                  price, run: bool) -> Verification:
    """Run `compress --verify` on one prompt (when `run`), and price the compression it keeps."""
    shown = Verification(relative_path, _shown(suite, root), NOT_RUN)
    if not run:
        return shown
    from ..compressors.verify import VerifyError, VerifyRequest, verify_request
    from ..config import for_rewriting, from_table
    from ..tokens import TokenCounter
    from .offer import measure_text
    from .projection import request_cost

    path = root / relative_path
    try:
        if not path.is_file() or path.read_text(encoding="utf-8") != head_text:
            raise VerifyError(f"{relative_path} on disk is not the head's text: check out the head to verify it")
        # the rule set `compress` uses (every rule, no floor) unless the config chooses
        rewriting = for_rewriting(from_table(dict(config.raw), config.path))
        report, source = verify_request(VerifyRequest(suite, path, rewriting, rates=()))
    except Exception as exc:  # a bad suite, a missing key, a provider down: this prompt's line says why
        shown.status, shown.reason = FAILED, " ".join(str(exc).split())[:300] or type(exc).__name__
        return shown
    shown.model, shown.cases, shown.tokens_before = report.model, len(report.suite.cases), report.tokens_before
    shown.reason = report.reason
    if report.original is not None:
        shown.score_before = report.original.mean_score
    chosen = report.chosen
    if chosen is None:
        shown.status = NONE_HELD
        return shown
    shown.status, shown.candidate, shown.description = CHOSEN, chosen.name, chosen.description
    shown.tokens_after = chosen.tokens
    if chosen.comparison is not None:
        comparison = chosen.comparison
        shown.score_after = comparison.candidate.mean_score
        shown.lost, shown.gained = comparison.lost, comparison.gained
        shown.eval_verdict = comparison.verdict
    counter = TokenCounter(usage.model)
    before, after = measure_text(path, source, counter), measure_text(path, chosen.text, counter)
    if before is not None and after is not None:
        high, low = request_cost(before, price, usage), request_cost(after, price, usage)
        shown.saving_per_request = None if high is None or low is None else high - low
    shown.requests_per_month = usage.requests_per_month
    return shown
