"""One eval: a suite, the original prompt and an optional candidate, run, scored and compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .compare import DEFAULT_MAX_DROP, INCONCLUSIVE, PASS, Comparison, VariantScore, compare, score_variant
from .pricing import Price, price_for
from .prompts import PromptFileError, PromptTemplate, fill, load_prompt, parse_prompt_text
from .runner import PlannedCall, Runner, RunStats
from .suite import Suite, TestCase

ORIGINAL, CANDIDATE = "original", "candidate"
COMPRESS_METHODS = ("rules", "llmlingua")
REQUESTS_FOR_SAVING = 1000  # the saving is shown per this many requests


ANSWER_MARGIN_TOKENS = 2  # past the longest accepted answer, so a longer answer still shows (and fails)


def accepted_answers(case: TestCase) -> list[str] | None:
    """Every answer with which this case can pass, when its assertions name them exactly (an
    `equals` or a `one-of`, not negated, no threshold); None when any answer could do."""
    if case.threshold is not None:
        return None
    for assertion in case.assertions:
        if assertion.negate:
            continue
        if assertion.type == "equals":
            return [fill(str(assertion.value), case.vars).strip()]
        if assertion.type == "one-of" and isinstance(assertion.value, list):
            return [fill(str(v), case.vars).strip() for v in assertion.value]
    return None


def answer_budget(cases: list[TestCase]) -> int | None:
    """Output tokens enough for the longest accepted answer of any case (at most one token per two
    UTF-8 bytes, as BPE tokenizers go, plus a margin); None when some case accepts any answer."""
    longest = 0
    for case in cases:
        answers = accepted_answers(case)
        if answers is None:
            return None
        longest = max([longest, *(len(a.encode("utf-8")) for a in answers)])
    return -(-longest // 2) + ANSWER_MARGIN_TOKENS


def generation_settings(suite: Suite, model: str) -> tuple[int, list[str]]:
    """max_tokens and stop for this suite on this model.

    The suite's own values for a provider's model. For the local model, with none set: generation
    capped at what the assertions accept, and a newline stop when every accepted answer is one line
    (a 135M model continues a few-shot pattern with the next example: that must not be paid for).
    """
    if not model.startswith("local/"):
        return suite.max_tokens, list(suite.stop)
    budget = answer_budget(suite.cases)
    max_tokens = suite.max_tokens if suite.max_tokens_set or budget is None else min(budget, suite.max_tokens)
    stop = list(suite.stop)
    if not stop and budget is not None and all("\n" not in a for c in suite.cases for a in accepted_answers(c) or []):
        stop = ["\n"]
    return max_tokens, stop


class CandidateError(RuntimeError):
    """A candidate that cannot be built (missing file, compressor unavailable)."""


@dataclass
class TokenSaving:
    original: int
    candidate: int
    price: Price | None
    encoding: str

    @property
    def saved(self) -> int:
        return self.original - self.candidate

    @property
    def percent(self) -> float:
        return 100.0 * self.saved / self.original if self.original else 0.0

    @property
    def dollars_per_1k_requests(self) -> float | None:
        return None if self.price is None else self.saved * self.price.input_per_token * REQUESTS_FOR_SAVING


@dataclass
class EvalResult:
    suite: Suite
    model: str
    model_reason: str
    repeat: int
    stats: RunStats
    original: VariantScore
    candidate: VariantScore | None = None
    comparison: Comparison | None = None
    tokens: TokenSaving | None = None
    notes: list[str] = field(default_factory=list)
    allow_inconclusive: bool = False  # --allow-inconclusive: a suite too small to tell does not fail

    @property
    def failed_cases(self) -> int:
        return self.original.completed - self.original.passed

    @property
    def exit_code(self) -> int:
        """0 pass, 1 regression or inconclusive (or, with no candidate, a failing case), 2 error or partial."""
        if self.stats.partial:
            return 2
        if self.comparison is not None:
            verdict = self.comparison.verdict
            return 0 if verdict == PASS or (verdict == INCONCLUSIVE and self.allow_inconclusive) else 1
        return 1 if self.failed_cases else 0


def candidate_from_file(path: Path, system: str | None = None) -> PromptTemplate:
    try:
        return load_prompt(path, system)
    except PromptFileError as exc:
        raise CandidateError(f"candidate {path}: {exc}") from None


def candidate_from_compressor(
    original: PromptTemplate, method: str, rate: float, prompt_path: Path | None = None
) -> PromptTemplate:
    """Compress the prompt in memory with one of the project's compressors.

    rules: the prompt file's own text goes through the rule compressor (it knows the file's format),
    then is read back into messages. llmlingua: each message's text is compressed on its own, so
    role markers never reach the compressor.
    """
    if method == "rules":
        return _rules_candidate(original, prompt_path)
    if method != "llmlingua":
        raise CandidateError(f"unknown compression method {method!r} (use {' or '.join(COMPRESS_METHODS)})")
    try:
        from promptopt.compressors.llmlingua import compress_with_llmlingua
    except ImportError as exc:
        from promptopt.localmodel import LINGUA_INSTALL_HINT

        raise CandidateError(f"--compress llmlingua is unavailable ({exc}): {LINGUA_INSTALL_HINT}") from None
    contents = []
    for message in original.messages:
        try:
            result = compress_with_llmlingua(message.content, rate=rate)
        except Exception as exc:  # a compressor failing is this run's error, said in one line
            raise CandidateError(f"--compress llmlingua failed: {type(exc).__name__}: {exc}") from None
        contents.append(_text_of(result))
    return original.with_contents(contents, f"{original.source} compressed (llmlingua, rate {rate})")


def _rules_candidate(original: PromptTemplate, prompt_path: Path | None) -> PromptTemplate:
    if prompt_path is None:
        raise CandidateError("--compress rules needs the prompt file")
    try:
        from promptopt.compressors.rules import compress_rules
        from promptopt.config import for_rewriting, load_config
    except ImportError as exc:
        raise CandidateError(f"--compress rules is unavailable in this version ({exc})") from None
    text = prompt_path.read_text(encoding="utf-8")
    try:
        result = compress_rules(prompt_path, text, for_rewriting(load_config(prompt_path.parent)))
    except Exception as exc:
        raise CandidateError(f"--compress rules failed: {type(exc).__name__}: {exc}") from None
    source = f"{original.source} compressed (rules)"
    try:
        rewritten = parse_prompt_text(result.text, prompt_path.suffix, source)
    except PromptFileError as exc:
        raise CandidateError(f"--compress rules produced an unreadable prompt: {exc}") from None
    from_file = parse_prompt_text(text, prompt_path.suffix)
    if len(rewritten.messages) != len(from_file.messages):
        raise CandidateError("--compress rules changed the prompt's messages; refusing to compare")
    added_system = original.messages[: len(original.messages) - len(from_file.messages)]  # from --system
    return PromptTemplate((*added_system, *rewritten.messages), source)


def _text_of(result: object) -> str:
    """Compressors may return the text or a result object that carries it."""
    if isinstance(result, str):
        return result
    for attr in ("text", "compressed_text", "compressed", "compressed_prompt"):
        value = getattr(result, attr, None)
        if isinstance(value, str):
            return value
    if isinstance(result, dict) and isinstance(result.get("compressed_prompt"), str):
        return result["compressed_prompt"]
    raise CandidateError(f"the compressor returned {type(result).__name__}, not text")


def token_saving(model: str, original: PromptTemplate, candidate: PromptTemplate) -> TokenSaving:
    from promptopt.tokens import TokenCounter

    counter = TokenCounter(model)
    return TokenSaving(
        counter.count(original.text), counter.count(candidate.text), price_for(model), counter.choice.label
    )


def variants_of(suite: Suite, candidate: PromptTemplate | None) -> dict[str, PromptTemplate]:
    variants = {ORIGINAL: suite.prompt}
    if candidate is not None:
        variants[CANDIDATE] = candidate
    return variants


def run_eval(
    suite: Suite,
    runner: Runner,
    candidate: PromptTemplate | None,
    repeat: int,
    max_drop: float = DEFAULT_MAX_DROP,
    confidence: float = 0.95,
    model_reason: str = "named",
    allow_inconclusive: bool = False,
) -> EvalResult:
    variants = variants_of(suite, candidate)
    calls = runner.plan(variants, suite.cases, repeat)
    run = runner.run(calls)
    # Tests with no assertion that can run are sent (their answers count) but not scored.
    scored = [c for c in suite.cases if c.scored]
    scored_ids = {c.id for c in scored}
    scored_calls = [c for c in calls if c.case_id in scored_ids]
    original = score_variant(ORIGINAL, suite.prompt.source, scored_calls, run.outcomes, scored)
    result = EvalResult(
        suite, runner.model, model_reason, repeat, run.stats, original, notes=list(suite.notes),
        allow_inconclusive=allow_inconclusive,
    )  # fmt: skip
    if candidate is not None:
        result.candidate = score_variant(CANDIDATE, candidate.source, scored_calls, run.outcomes, scored)
        result.comparison = compare(original, result.candidate, max_drop, confidence)
        result.tokens = token_saving(runner.model, suite.prompt, candidate)
    return result


@dataclass
class DryRunCall:
    call: PlannedCall
    prompt_tokens: int
    cached: bool


@dataclass
class DryRun:
    model: str
    model_reason: str
    calls: list[DryRunCall]
    max_tokens: int
    price: Price | None
    encoding: str

    @property
    def to_make(self) -> list[DryRunCall]:
        return [c for c in self.calls if not c.cached]

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.to_make)

    @property
    def max_output_tokens(self) -> int:
        return self.max_tokens * len(self.to_make)

    @property
    def max_dollars(self) -> float | None:
        if self.price is None:
            return None
        output_price = self.price.output_per_token or 0.0
        return self.prompt_tokens * self.price.input_per_token + self.max_output_tokens * output_price


MESSAGE_OVERHEAD_TOKENS = 4  # role and separators per chat message, as OpenAI's chat format counts them


def dry_run(suite: Suite, runner: Runner, candidate: PromptTemplate | None, repeat: int, model_reason: str) -> DryRun:
    from promptopt.tokens import TokenCounter

    counter = TokenCounter(runner.model)
    calls = runner.plan(variants_of(suite, candidate), suite.cases, repeat)
    unique: dict[str, PlannedCall] = {}
    for call in calls:
        unique.setdefault(call.key, call)
    cached = runner.cached(list(unique.values()))
    planned = [
        DryRunCall(
            call,
            sum(counter.count(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in call.messages),
            call.key in cached,
        )
        for call in unique.values()
    ]
    return DryRun(runner.model, model_reason, planned, runner.max_tokens, price_for(runner.model), counter.choice.label)
