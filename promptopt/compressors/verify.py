"""`promptopt compress --verify SUITE`: keep the strongest compression whose eval shows no regression.

Candidates, weakest first (each one distinct text is evaluated once; duplicates are reported as such):
1. ``safe``: the safe rule fixes (what ``compress`` does by default);
2. ``unsafe``: safe + every unsafe rule fix;
3. when ``unsafe`` regresses: safe + the unsafe fixes of one rule family at a time (PO1xx instructions,
   PO2xx examples, PO3xx output spec, PO4xx wording), then the families that passed together, so a
   regression in one family does not throw the others away;
4. with LLMLingua rates: LLMLingua at each rate (strongest last) on top of the best rule result.

Chains stop early where a regression makes the stronger candidates pointless: every rule candidate
contains the safe fixes, so a regressing ``safe`` ends the rule chain; a lower LLMLingua rate keeps
less of the text, so the first regressing rate ends that chain. The choice: the fewest tokens among
the candidates with no regression (ties go to the weaker one); none when nothing saved tokens.

The original is run once; every candidate reuses its answers, and the runner's cache makes a rerun free.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from ..config import Config
from ..core import Applicability
from ..engine import Auditor
from ..evaluation.compare import Comparison, VariantScore, compare, score_variant
from ..evaluation.prompts import PromptFileError, PromptTemplate, parse_prompt_text
from ..evaluation.runner import Runner
from ..evaluation.session import CANDIDATE, ORIGINAL
from ..evaluation.suite import Suite
from .rules import Rejection, compress_rules, count_tokens

DEFAULT_RATES = (0.8, 0.6, 0.4)
FAMILY_NAMES = {"PO1": "instructions", "PO2": "examples", "PO3": "output spec", "PO4": "wording"}

# Statuses of a candidate in the report.
PASS, REGRESSION, DUPLICATE, UNCHANGED, NOT_TRIED = "pass", "regression", "duplicate", "unchanged", "not tried"

LinguaCompressor = Callable[[str, float], tuple[str, list[Rejection]]]  # (text, rate) -> (text, rejections)


class VerifyError(RuntimeError):
    """Verification cannot run or go on (a prompt that does not match the suite, a failed provider)."""


@dataclass
class Candidate:
    name: str  # "safe", "unsafe", "unsafe PO2xx", "llmlingua 0.6 on unsafe"
    description: str
    text: str
    tokens: int
    applied: list[str] = field(default_factory=list)  # rule codes applied (or "LLMLINGUA")
    rejected: list[Rejection] = field(default_factory=list)  # the guard's rejections while building it
    status: str = NOT_TRIED
    note: str = ""  # why it was not tried, or which candidate it duplicates
    comparison: Comparison | None = None
    real_calls: int = 0
    cache_hits: int = 0

    @property
    def evaluated(self) -> bool:
        return self.comparison is not None


@dataclass
class VerifyReport:
    path: Path
    suite: Suite
    model: str
    tokens_before: int
    candidates: list[Candidate] = field(default_factory=list)
    original: VariantScore | None = None
    chosen: Candidate | None = None
    reason: str = ""
    real_calls: int = 0
    cache_hits: int = 0
    seconds: float = 0.0

    def saved_percent(self, candidate: Candidate) -> float:
        return 100.0 * (self.tokens_before - candidate.tokens) / self.tokens_before if self.tokens_before else 0.0


@dataclass
class VerifyOptions:
    rates: tuple[float, ...] = ()  # LLMLingua rates to try (empty: rules only)
    max_drop: float = 0.0
    confidence: float = 0.95
    repeat: int = 1


def check_suite_prompt(suite: Suite, path: Path | None) -> Path:
    """The file to compress: the suite's prompt, which `path` (when given) must be."""
    if suite.prompt_path is None:  # an inline prompt, or one of several in a file: nothing to rewrite in place
        raise VerifyError(f"suite {suite.path}: its first prompt is not a file of its own; --verify needs one")
    if path is None:
        return suite.prompt_path
    if not path.is_file():
        raise VerifyError(f"{path}: no such file")
    if path.resolve() != suite.prompt_path.resolve():
        raise VerifyError(
            f"{path} is not the prompt of suite {suite.path} (its prompt is {suite.prompt_path}); "
            "--verify needs the suite that runs the file being compressed"
        )
    return path


class _FamilyAuditor:
    """An auditor whose findings offer unsafe fixes only from the allowed rule families.

    `compress_rules` takes a bool for unsafe fixes; filtering the findings it sees is how one family
    at a time is tried without touching the rule compressor.
    """

    def __init__(self, auditor: Auditor, families: frozenset[str]):
        self._auditor = auditor
        self.counter = auditor.counter
        self.families = families

    def audit_source(self, path: Path, source: str):
        result = self._auditor.audit_source(path, source)
        kept = [f for f in result.findings if _unsafe_allowed(f, self.families)]
        return SimpleNamespace(findings=kept, documents=result.documents, error=result.error)


def _unsafe_allowed(finding, families: frozenset[str]) -> bool:
    if finding.fix is None or finding.fix.applicability == Applicability.SAFE:
        return True
    return family_of(finding.code) in families


def family_of(code: str) -> str:
    return code[:3]


def family_label(family: str) -> str:
    return f"{family}xx"


class Verifier:
    """Builds the candidates, evaluates each distinct text once and picks the strongest that held."""

    def __init__(self, path: Path, source: str, suite: Suite, runner: Runner, config: Config,
                 options: VerifyOptions, lingua: LinguaCompressor | None = None,
                 progress: Callable[[str], None] | None = None):
        self.path = path
        self.source = source
        self.suite = suite
        self.runner = runner
        self.config = config
        self.options = options
        self.lingua = lingua
        self.progress = progress or (lambda _message: None)
        self.auditor = Auditor(config)
        self.report = VerifyReport(path, suite, runner.model, count_tokens(self.auditor, path, source))
        self._by_text: dict[str, Candidate] = {}
        self._original_calls: list = []
        self._original_outcomes: dict = {}
        self._file_messages = len(parse_prompt_text(source, path.suffix).messages)

    # -- the chains ------------------------------------------------------------------------------

    def run(self) -> VerifyReport:
        safe = self._rules_candidate("safe", "safe rule fixes", unsafe=False)
        rule_results = [safe] if self._try(safe) else []
        if safe.status == REGRESSION:
            self._add(Candidate("unsafe", "safe + all unsafe rule fixes", self.source, 0, status=NOT_TRIED,
                                note="the safe fixes, which every rule candidate contains, regressed"))
        else:
            unsafe = self._rules_candidate("unsafe", "safe + all unsafe rule fixes", unsafe=True)
            if self._try(unsafe):
                rule_results.append(unsafe)
            if unsafe.status == REGRESSION:
                rule_results += self._family_chain(safe, unsafe)
        base = min((c for c in rule_results if c.status == PASS), key=lambda c: c.tokens, default=None)
        if self.options.rates:
            self._lingua_chain(base)
        self._choose()
        return self.report

    def _family_chain(self, safe: Candidate, unsafe: Candidate) -> list[Candidate]:
        # the families whose fixes made the difference between the safe and the unsafe text
        unsafe_codes = set(unsafe.applied) - set(safe.applied)
        families = sorted({family_of(code) for code in unsafe_codes if code.startswith("PO")})
        passed: list[str] = []
        tried: list[Candidate] = []
        for family in families:
            label = family_label(family)
            what = FAMILY_NAMES.get(family, "rules")
            candidate = self._rules_candidate(f"unsafe {label}", f"safe + unsafe {label} ({what}) fixes",
                                              unsafe=True, families=frozenset({family}))
            if self._try(candidate):
                tried.append(candidate)
            if candidate.status == PASS:
                passed.append(family)
        if len(passed) > 1 and len(passed) < len(families):
            labels = "+".join(family_label(f) for f in passed)
            combined = self._rules_candidate(f"unsafe {labels}", f"safe + unsafe {labels} fixes (the families "
                                             "that passed alone)", unsafe=True, families=frozenset(passed))
            if self._try(combined):
                tried.append(combined)
        return tried

    def _lingua_chain(self, base: Candidate | None) -> None:
        base_text = base.text if base else self.source
        on = f" on {base.name}" if base else ""
        stopped = ""
        for rate in sorted(self.options.rates, reverse=True):  # weakest (keeps most) first
            name = f"llmlingua {rate:g}{on}"
            if stopped:
                self._add(Candidate(name, f"LLMLingua at rate {rate:g}{on}", base_text, 0, status=NOT_TRIED,
                                    note=stopped))
                continue
            self.progress(f"compressing: {name}")
            text, rejected = self.lingua(base_text, rate)
            applied = [*(base.applied if base else []), "LLMLINGUA"]
            candidate = Candidate(name, f"LLMLingua at rate {rate:g}{on}", text,
                                  count_tokens(self.auditor, self.path, text), applied, rejected)
            self._try(candidate)
            if candidate.status == REGRESSION:
                stopped = f"a weaker rate ({rate:g}) already regressed"

    # -- building and evaluating one candidate ---------------------------------------------------

    def _rules_candidate(self, name: str, description: str, unsafe: bool,
                         families: frozenset[str] | None = None) -> Candidate:
        self.progress(f"compressing: {name}")
        auditor = self.auditor if families is None else _FamilyAuditor(self.auditor, families)
        result = compress_rules(self.path, self.source, self.config, unsafe, auditor=auditor)  # type: ignore[arg-type]
        return Candidate(name, description, result.text, result.tokens_after,
                         list(dict.fromkeys(c.code for c in result.applied)), list(result.rejected))

    def _try(self, candidate: Candidate) -> bool:
        """Evaluate the candidate unless its text is the original's or an earlier candidate's.
        True when it was evaluated (a new text)."""
        self._add(candidate)
        if candidate.text == self.source:
            candidate.status, candidate.note = UNCHANGED, "no rewrite applied: the original text"
            return False
        earlier = self._by_text.get(candidate.text)
        if earlier is not None:
            candidate.status, candidate.note = DUPLICATE, f"same text as {earlier.name}"
            candidate.comparison = None
            return False
        self._by_text[candidate.text] = candidate
        self.progress(f"evaluating: {candidate.name} ({candidate.tokens} tokens)")
        self._evaluate(candidate)
        return True

    def _add(self, candidate: Candidate) -> None:
        self.report.candidates.append(candidate)

    def _template(self, text: str, source: str) -> PromptTemplate:
        try:
            rewritten = parse_prompt_text(text, self.path.suffix, source)
        except PromptFileError as exc:
            raise VerifyError(f"candidate {source} is not a readable prompt: {exc}") from None
        if len(rewritten.messages) != self._file_messages:
            raise VerifyError(f"candidate {source} changed the prompt's messages; refusing to compare")
        added_system = self.suite.prompt.messages[: len(self.suite.prompt.messages) - self._file_messages]
        return PromptTemplate((*added_system, *rewritten.messages), source)

    def _evaluate(self, candidate: Candidate) -> None:
        repeat = self.options.repeat
        template = self._template(candidate.text, f"{self.path} ({candidate.name})")
        if self.report.original is None:
            self._original_calls = self.runner.plan({ORIGINAL: self.suite.prompt}, self.suite.cases, repeat)
        calls = self.runner.plan({CANDIDATE: template}, self.suite.cases, repeat)
        pending = calls if self.report.original is not None else [*self._original_calls, *calls]
        run = self.runner.run(pending)
        stats = run.stats
        self.report.real_calls += stats.real_calls
        self.report.cache_hits += stats.cache_hits
        self.report.seconds += stats.seconds
        candidate.real_calls, candidate.cache_hits = stats.real_calls, stats.cache_hits
        if stats.partial:
            raise VerifyError(f"eval of {candidate.name} stopped: {stats.error or 'interrupted'}")
        if self.report.original is None:
            self.report.original = score_variant(ORIGINAL, self.suite.prompt.source, self._original_calls,
                                                 run.outcomes, self.suite.cases)
            self._original_outcomes = run.outcomes
        outcomes = {**self._original_outcomes, **run.outcomes}
        scored = score_variant(CANDIDATE, template.source, calls, outcomes, self.suite.cases)
        candidate.comparison = compare(self.report.original, scored, self.options.max_drop, self.options.confidence)
        candidate.status = REGRESSION if candidate.comparison.regression else PASS

    # -- the choice --------------------------------------------------------------------------------

    def _choose(self) -> None:
        report = self.report
        passing = [c for c in report.candidates if c.status == PASS and c.tokens < report.tokens_before]
        rejected = [c for c in report.candidates if c.status == REGRESSION]
        if not passing:
            if not any(c.evaluated for c in report.candidates):
                report.reason = "no candidate changed the prompt: nothing to verify, the original stays"
            else:
                report.reason = "no candidate saved tokens without a regression: the original stays"
            return
        best = min(passing, key=lambda c: c.tokens)  # min keeps the first (weaker) one on a tie
        report.chosen = best
        parts = [f"{best.name}: fewest tokens ({best.tokens}, {report.saved_percent(best):.1f}% saved) among "
                 f"{len(passing)} candidate(s) with no regression"]
        stronger = [c for c in rejected if c.tokens < best.tokens]
        if stronger:
            parts.append("rejected for regressing: " + "; ".join(
                f"{c.name} ({c.tokens} tokens, {regression_summary(c.comparison)})" for c in stronger))
        comparison = best.comparison
        if comparison is not None and comparison.difference < 0:  # "not shown worse" is not "as good"
            parts.append(f"note: it scored {comparison.difference:+.3f} ({comparison.lost} case(s) lost, "
                         f"{comparison.gained} gained), a drop {len(comparison.paired)} cases cannot show to be "
                         "real; a larger `limit`, --repeat or a stronger model makes the gate stricter")
        report.reason = "; ".join(parts)


def regression_summary(comparison: Comparison | None) -> str:
    if comparison is None:
        return "not evaluated"
    low, high = comparison.ci
    return (f"{comparison.lost} case(s) lost, {comparison.gained} gained, difference {comparison.difference:+.3f} "
            f"(CI {low:+.3f}..{high:+.3f}), McNemar p={comparison.p_value:.4f}")


def lingua_compressor(path: Path, config: Config, model: str | None) -> LinguaCompressor:
    """LLMLingua as `compress --method llmlingua` runs it: prose blocks only, each guard-checked."""
    from .cli import compress_with_lingua

    auditor = Auditor(config)

    def run(text: str, rate: float) -> tuple[str, list[Rejection]]:
        result = compress_with_lingua(path, text, auditor, config, rate=rate, model=model)
        return result.text, list(result.rejected)

    return run


def verify(path: Path, source: str, suite: Suite, runner: Runner, config: Config, options: VerifyOptions,
           lingua: LinguaCompressor | None = None, progress: Callable[[str], None] | None = None) -> VerifyReport:
    if options.rates and lingua is None:
        raise VerifyError("LLMLingua rates were given but no LLMLingua compressor is available")
    return Verifier(path, source, suite, runner, config, options, lingua, progress).run()


# -- reports ----------------------------------------------------------------------------------------


def _score(candidate: Candidate) -> str:
    if candidate.comparison is None:
        return "-"
    cand = candidate.comparison.candidate
    return f"{cand.mean_score:.3f} ({cand.passed}/{cand.completed})" if cand.mean_score is not None else "-"


def _verdict(candidate: Candidate) -> str:
    if candidate.status == REGRESSION:
        return f"regression ({candidate.comparison.lost} lost, {candidate.comparison.gained} gained)"  # type: ignore[union-attr]
    if candidate.status == PASS:
        return "pass"
    return f"{candidate.status}: {candidate.note}" if candidate.note else candidate.status


def text_report(report: VerifyReport) -> str:
    original = report.original
    lines = [f"{report.path}: verified against {report.suite.path} ({len(report.suite.cases)} cases, "
             f"model {report.model})"]
    if original is not None and original.mean_score is not None:
        lines.append(f"original: {report.tokens_before} tokens, score {original.mean_score:.3f} "
                     f"({original.passed}/{original.completed})")
    else:
        lines.append(f"original: {report.tokens_before} tokens (not evaluated)")
    rows = [("candidate", "tokens", "saved", "score", "verdict")]
    for c in report.candidates:
        tried = c.status != NOT_TRIED
        rows.append((c.name, str(c.tokens) if tried else "-",
                     f"{report.saved_percent(c):.1f}%" if tried else "-", _score(c), _verdict(c)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        lines.append("  " + "  ".join(f"{cell:<{w}}" if i in (0, 3) else f"{cell:>{w}}"
                                      for i, (cell, w) in enumerate(zip(row[:4], widths, strict=True)))
                     + "  " + row[4])
    for c in report.candidates:
        for x in c.rejected:
            lines.append(f"  {c.name}: line {x.line}: {x.code} rejected by the guard: {x.reason}")
    lines.append(("chosen: " if report.chosen else "chosen: none: ") + report.reason)
    lines.append(f"eval: {report.real_calls} call(s) to the model, {report.cache_hits} from the cache, "
                 f"{report.seconds:.1f} s")
    return "\n".join(lines) + "\n"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def json_report(report: VerifyReport, written: str | None = None) -> dict:
    original = report.original

    def candidate_json(c: Candidate) -> dict:
        item = {"name": c.name, "description": c.description, "status": c.status, "note": c.note,
                "tokens": c.tokens if c.status != NOT_TRIED else None,
                "saved_percent": round(report.saved_percent(c), 1) if c.status != NOT_TRIED else None,
                "applied": c.applied, "rejected": [x.to_json() for x in c.rejected],
                "real_calls": c.real_calls, "cache_hits": c.cache_hits}
        if c.comparison is not None:
            comp = c.comparison
            item |= {"score": _rounded(comp.candidate.mean_score), "passed": comp.candidate.passed,
                     "difference": comp.difference, "ci": list(comp.ci), "lost": comp.lost,
                     "gained": comp.gained, "mcnemar_p": comp.p_value,
                     "verdict": REGRESSION if comp.regression else PASS}
        return item

    return {
        "path": str(report.path), "suite": str(report.suite.path), "model": report.model,
        "cases": len(report.suite.cases), "tokens_before": report.tokens_before,
        "original": None if original is None else {"score": _rounded(original.mean_score), "passed": original.passed,
                                                   "completed": original.completed},
        "candidates": [candidate_json(c) for c in report.candidates],
        "chosen": None if report.chosen is None else report.chosen.name,
        "tokens_after": report.chosen.tokens if report.chosen else report.tokens_before,
        "reason": report.reason, "written": written,
        "stats": {"real_calls": report.real_calls, "cache_hits": report.cache_hits,
                  "seconds": round(report.seconds, 2)},
    }




# -- the command (called by `promptopt compress --verify`) -------------------------------------------


def parse_rates(value: str | None) -> tuple[float, ...]:
    """"0.8,0.6,0.4" -> (0.8, 0.6, 0.4); each rate in (0, 1)."""
    if not value:
        return ()
    try:
        rates = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise VerifyError(f"--rates takes numbers separated by commas, got {value!r}") from None
    if not rates or any(not 0 < r < 1 for r in rates):
        raise VerifyError(f"--rates must be fractions in (0, 1), got {value!r}")
    return tuple(dict.fromkeys(rates))


@dataclass
class VerifyRequest:
    """What `compress --verify` was asked, straight from the command line."""

    suite_path: Path
    path: Path | None
    config: Config
    rates: tuple[float, ...]
    lingua_model: str | None = None
    max_drop: float = 0.0
    confidence: float = 0.95
    repeat: int | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    write: bool = False
    output: Path | None = None
    show_diff: bool = False
    fmt: str = "text"


def verify_request(request: VerifyRequest, progress: Callable[[str], None] | None = None) -> tuple[VerifyReport, str]:
    """Load the suite and its prompt, and verify: the report and the prompt's text as it was read.
    Raises VerifyError (and the eval's own errors). `compress --verify` and `diff --verify` both run this."""
    from ..evaluation.cache import ResponseCache
    from ..evaluation.runner import check_credentials, resolve_model
    from ..evaluation.session import generation_settings
    from ..evaluation.suite import load_suite
    from ..loaders import read_text

    suite = load_suite(request.suite_path)
    path = check_suite_prompt(suite, request.path)
    model, _why = resolve_model(suite.model)
    check_credentials(model)
    max_tokens, stop = generation_settings(suite, model)
    runner = Runner(model, max_tokens=max_tokens, stop=stop,
                    cache=ResponseCache(request.cache_dir, enabled=not request.no_cache),
                    show_progress=request.fmt == "text" and sys.stderr.isatty())
    source = read_text(path, request.config.max_file_size)
    options = VerifyOptions(request.rates, request.max_drop, request.confidence, request.repeat or suite.repeat)
    lingua = lingua_compressor(path, request.config, request.lingua_model) if request.rates else None
    return verify(path, source, suite, runner, request.config, options, lingua, progress), source


def run_verify(request: VerifyRequest, echo: Callable[[str], None],
               progress: Callable[[str], None] | None = None) -> VerifyReport:
    """Load the suite, verify, report, and write the chosen text when asked. Raises VerifyError (and
    the eval's own errors, which the caller turns into one line and exit 2)."""
    import json

    from ..atomic import write_atomic

    report, source = verify_request(request, progress)
    path = report.path
    written = None
    if report.chosen is not None and (request.write or request.output):
        target = request.output or path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, report.chosen.text)
        written = str(target)
    if request.fmt == "json":
        echo(json.dumps(json_report(report, written), indent=2) + "\n")
        return report
    if request.show_diff and report.chosen is not None:
        echo(unified_diff(path, source, report.chosen.text))
    echo(text_report(report))
    if written:
        echo(f"wrote {report.chosen.name} to {written}\n")  # type: ignore[union-attr]
    return report


def unified_diff(path: Path, before: str, after: str) -> str:
    import difflib

    from ..redact import redact_pair

    before, after = redact_pair(before, after)

    diff = "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=str(path), tofile=str(path)))
    return diff if diff.endswith("\n") or not diff else diff + "\n"


__all__ = ["Candidate", "VerifyError", "VerifyOptions", "VerifyReport", "VerifyRequest", "check_suite_prompt",
           "json_report", "lingua_compressor", "parse_rates", "run_verify", "text_report", "verify",
           "verify_request"]
