"""Several models on one suite: is a cheaper model as good as the reference, and what does it save?

The suite's first model is the reference (the one in use). Every model answers every case with the
same prompt; per model the report gives the score, tokens per request (the rendered prompt, counted
with the model's tokenizer or o200k_base as an estimate, and the mean answer), $ per request at the
price map's rates, and $ per month from the usage config (docs/cost.md) for the suite's prompt file.
Each other model is compared with the reference case by case, with the same non-inferiority test as
a rewritten prompt (compare.py): it *holds quality on this suite* only when a drop larger than
``max_drop`` is ruled out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .compare import DEFAULT_MAX_DROP, Comparison, VariantScore, compare, score_variant
from .prompts import DOUBLE_BRACE, PromptTemplate
from .runner import Runner, RunStats
from .suite import Suite, SuiteError

MESSAGE_OVERHEAD_TOKENS = 4  # role and separators per chat message, as OpenAI's chat format counts them


@dataclass
class ModelRun:
    model: str
    scores: VariantScore
    prompt_tokens: float  # mean per request
    output_tokens: float  # mean per answer
    estimate: bool  # tokens counted with a stand-in encoding
    dollars_per_request: float | None  # None: price unknown
    requests_per_month: float | None  # None: no volume in the usage config
    comparison: Comparison | None = None  # against the reference; None for the reference itself

    @property
    def dollars_per_month(self) -> float | None:
        if self.dollars_per_request is None or self.requests_per_month is None:
            return None
        return self.dollars_per_request * self.requests_per_month


@dataclass
class ModelsResult:
    suite: Suite
    repeat: int
    stats: RunStats
    runs: list[ModelRun]
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> ModelRun:
        return self.runs[0]

    def monthly_saving(self, run: ModelRun) -> float | None:
        """What switching from the reference to this model saves per month (negative: costs more)."""
        ref, other = self.reference.dollars_per_month, run.dollars_per_month
        return None if ref is None or other is None else ref - other

    @property
    def exit_code(self) -> int:
        """A comparison of models informs a choice; it fails only when the run did not finish."""
        return 2 if self.stats.partial else 0


def _usage(suite: Suite):
    """The usage and prices that `promptopt cost` would use for the suite's prompt file."""
    from promptopt.config import ConfigError, load_config
    from promptopt.cost.estimate import cost_settings
    from promptopt.cost.prices import PricingError
    from promptopt.cost.usage import UsageConfigError

    where = suite.prompt_path or suite.path  # a prompt written inline in the suite lives in the suite's file
    try:
        settings = cost_settings(load_config(where.parent))
    except (ConfigError, UsageConfigError, PricingError) as exc:
        raise SuiteError(f"usage config for {where}: {exc}") from None
    try:
        relative = where.resolve().relative_to(settings.config.root.resolve()).as_posix()
    except ValueError:
        relative = where.name
    return settings, relative


def _static_prefix(template: PromptTemplate) -> str:
    text = template.text
    first = DOUBLE_BRACE.search(text)
    return text[: first.start()] if first else text


def _measure(model: str, template: PromptTemplate, suite: Suite, outputs: list[str]) -> tuple[float, float, bool, int]:
    from promptopt.tokens import TokenCounter

    counter = TokenCounter(model)
    per_request = [
        sum(counter.count(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in template.render(case.vars))
        for case in suite.cases
    ]
    answers = [counter.count(o) for o in outputs]
    mean_answer = sum(answers) / len(answers) if answers else 0.0
    prefix = counter.count(_static_prefix(template))
    return sum(per_request) / len(per_request), mean_answer, counter.choice.estimate, prefix


def _price(model: str, settings, relative: str, prompt_tokens: float, output_tokens: float, prefix: int):
    """($ per request, requests per month) at the configured rates and volume."""
    from dataclasses import replace

    from promptopt.cost.projection import Measure, request_cost

    usage = settings.usage.for_path(relative, model)
    if model.startswith("local/"):
        return 0.0, usage.requests_per_month  # in-process: really free
    usage = replace(usage, model=model, output_tokens=round(output_tokens))
    measure = Measure(round(prompt_tokens), min(prefix, round(prompt_tokens)))
    return request_cost(measure, settings.prices.lookup(model), usage), usage.requests_per_month


def run_models(
    suite: Suite,
    runners: list[Runner],
    repeat: int,
    max_drop: float = DEFAULT_MAX_DROP,
    confidence: float = 0.95,
) -> ModelsResult:
    """Run the suite's prompt on every runner's model; compare each with the first."""
    settings, relative = _usage(suite)
    stats = RunStats()
    runs: list[ModelRun] = []
    for runner in runners:
        calls = runner.plan({runner.model: suite.prompt}, suite.cases, repeat)
        run = runner.run(calls)
        _add(stats, run.stats)
        scores = score_variant(runner.model, suite.prompt.source, calls, run.outcomes, suite.cases)
        outputs = [o for c in scores.cases.values() for o in c.outputs if o is not None]
        prompt_tokens, output_tokens, estimate, prefix = _measure(runner.model, suite.prompt, suite, outputs)
        dollars, monthly = _price(runner.model, settings, relative, prompt_tokens, output_tokens, prefix)
        runs.append(ModelRun(runner.model, scores, prompt_tokens, output_tokens, estimate, dollars, monthly))
        if stats.partial:
            break  # a provider that failed for good: report what arrived, spend no more
    for run in runs[1:]:
        run.comparison = compare(runs[0].scores, run.scores, max_drop, confidence)
    notes = list(suite.notes)
    if runs and runs[0].requests_per_month is None:
        notes.append(f"no monthly volume for {relative}: set [tool.promptopt.usage] (docs/cost.md)")
    return ModelsResult(suite, repeat, stats, runs, notes)


def _add(total: RunStats, one: RunStats) -> None:
    for name in ("unique_calls", "cache_hits", "real_calls", "retries", "failed", "not_run", "seconds"):
        setattr(total, name, getattr(total, name) + getattr(one, name))
    total.interrupted = total.interrupted or one.interrupted
    total.error = total.error or one.error
