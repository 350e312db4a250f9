"""`promptopt optimize`: try every lever, keep what the eval shows holds, confirm on held-out cases.

1. The suite's cases are split once, by a hash of their ids (stable across runs and orderings):
   ~80% to pick with, ~20% held out to confirm with.
2. The original prompt runs on every case (one batch of calls; the cache makes reruns free).
3. Each lever is a candidate on its own, compared with the original on the picking cases with the
   eval's non-inferiority test (``--max-drop``, ``--confidence``). Examples are searched for the
   fewest that hold: zero-shot first, then by halving between what failed and what held.
4. The levers that passed are combined; if the combination fails on the picking cases, the lever
   that saves least is dropped until it holds (or one lever is left).
5. The chosen combination is compared with the original on the held-out cases only: the verdict of
   that run is the result. A winner picked among candidates is not evidence for itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..evaluation.assertions import evaluate
from ..evaluation.compare import PASS, REGRESSION, Comparison, VariantScore, compare, score_variant
from ..evaluation.models import _measure, _price, _usage
from ..evaluation.prompts import PromptTemplate
from ..evaluation.runner import CallOutcome, Runner, RunStats
from ..evaluation.session import generation_settings
from ..evaluation.suite import Suite, TestCase
from . import levers

DEFAULT_HOLDOUT = 0.2
EARLY_STOP_CHUNK = 64  # picking cases per look (two batches of the local model)
ORIGINAL = "original"


class OptimizeError(RuntimeError):
    """optimize cannot run or go on; one line for the user (exit 2)."""


@dataclass
class Candidate:
    lever: str  # "examples", "restated rules", "max_tokens"...
    name: str  # what exactly: "keep 3 of 12 examples"
    template: PromptTemplate
    max_tokens: int | None = None  # None: the suite's
    model: str | None = None  # None: the suite's
    parts: list[str] = field(default_factory=list)  # for a combination: the levers in it
    note: str = ""  # why not tried, the guard's refusal...
    comparison: Comparison | None = None
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    dollars_per_month: float | None = None
    cases: str = "pick"  # which cases it was judged on

    @property
    def verdict(self) -> str:
        return self.comparison.verdict if self.comparison else "not tried"

    @property
    def holds(self) -> bool:
        return self.comparison is not None and self.comparison.verdict == PASS


@dataclass
class OptimizeResult:
    suite: Suite
    model: str
    price_model: str
    pick_cases: int
    holdout_cases: int
    original: Candidate
    candidates: list[Candidate] = field(default_factory=list)
    combination: Candidate | None = None  # on the picking cases
    confirmed: Candidate | None = None  # the same, on the held-out cases
    original_held: Candidate | None = None  # the original measured on the held-out cases (what confirmed saves)
    stats: RunStats = field(default_factory=RunStats)
    notes: list[str] = field(default_factory=list)
    requests_per_month: float | None = None

    @property
    def verified(self) -> bool:
        return self.confirmed is not None and self.confirmed.holds and self.saves(self.confirmed)

    def saves(self, candidate: Candidate) -> bool:
        o, c = (self.original_held if candidate.cases == "held out" else None) or self.original, candidate
        if o.dollars_per_month is not None and c.dollars_per_month is not None and o.dollars_per_month > 0:
            return c.dollars_per_month < o.dollars_per_month
        return c.input_tokens + c.output_tokens < o.input_tokens + o.output_tokens

    @property
    def exit_code(self) -> int:
        if self.stats.partial:
            return 2
        return 0 if self.verified else 1


def split_cases(cases: list[TestCase], holdout: float) -> tuple[list[TestCase], list[TestCase]]:
    """(pick, held out): the held-out share chosen by a hash of each case's id, so that adding a case
    never moves another from one side to the other."""
    if holdout <= 0:
        return list(cases), []
    ranked = sorted(cases, key=lambda c: hashlib.sha256(c.id.encode()).hexdigest())
    n_hold = max(1, round(len(cases) * holdout)) if len(cases) > 1 else 0
    held = {c.id for c in ranked[:n_hold]}
    return [c for c in cases if c.id not in held], [c for c in cases if c.id in held]


class Optimizer:
    def __init__(self, suite: Suite, runner_for: Callable[[str, int | None], Runner], model: str,
                 *, max_drop: float, confidence: float, holdout: float = DEFAULT_HOLDOUT,
                 price_model: str | None = None, cheaper_models: tuple[str, ...] = (),
                 rewrite_model: str | None = None, lingua: bool = True,
                 progress: Callable[[str], None] | None = None):  # fmt: skip
        self.suite = suite
        self.runner_for = runner_for
        self.model = model
        self.max_drop = max_drop
        self.confidence = confidence
        self.price_model = price_model or model
        self.cheaper_models = cheaper_models
        self.rewrite_model = rewrite_model
        self.lingua = lingua
        self.progress = progress or (lambda _message: None)
        self.pick, self.held = split_cases([c for c in suite.cases if c.scored], holdout)
        if not self.pick:
            raise OptimizeError(f"suite {suite.path} has no scored case to optimize on")
        self.main = max(range(len(suite.prompt.messages)), key=lambda i: len(suite.prompt.messages[i].content))
        # the levers read one message's text: audited as plain text (Markdown when the file is), with
        # the prompt's own folder, so its promptopt config applies
        folder = suite.prompt_path.parent if suite.prompt_path else suite.path.parent
        self.path = folder / ("prompt.md" if suite.prompt_path and suite.prompt_path.suffix == ".md" else "prompt.txt")
        self.settings, self.relative = _usage(suite)
        original = Candidate("original", "the suite's prompt", suite.prompt)
        self.result = OptimizeResult(suite, model, self.price_model, len(self.pick), len(self.held), original)
        self._outcomes: dict[str, CallOutcome] = {}
        self._scores: dict[tuple[str, str], VariantScore] = {}  # (variant key, which cases) -> scores

    # -- running -------------------------------------------------------------------------------

    def _run(self, candidate: Candidate, cases: list[TestCase]) -> VariantScore:
        model = candidate.model or self.model
        runner = self.runner_for(model, candidate.max_tokens)
        calls = runner.plan({candidate.name: candidate.template}, cases, 1)
        run = runner.run(calls)
        self._outcomes.update(run.outcomes)
        stats = self.result.stats
        for name in ("unique_calls", "cache_hits", "real_calls", "failed", "not_run", "seconds"):
            setattr(stats, name, getattr(stats, name) + getattr(run.stats, name))
        if run.stats.partial:
            stats.interrupted = stats.interrupted or run.stats.interrupted
            stats.error = stats.error or run.stats.error
            raise OptimizeError(f"eval of {candidate.name} stopped: {run.stats.error or 'interrupted'}")
        return score_variant(candidate.name, candidate.template.source, calls, run.outcomes, cases)

    def _measure(self, candidate: Candidate, scores: VariantScore, cases: list[TestCase]) -> None:
        outputs = [o for c in scores.cases.values() for o in c.outputs if o is not None]
        suite = _with_cases(self.suite, cases)
        prompt_tokens, output_tokens, _estimate, prefix = _measure(self.price_model, candidate.template, suite, outputs)
        price_model = self.price_model if candidate.model is None else candidate.model
        dollars, monthly = _price(price_model, self.settings, self.relative, prompt_tokens, output_tokens, prefix)
        candidate.input_tokens, candidate.output_tokens = prompt_tokens, output_tokens
        self.result.requests_per_month = monthly
        candidate.dollars_per_month = None if dollars is None or monthly is None else dollars * monthly

    def _judge(self, candidate: Candidate, cases: list[TestCase], which: str = "pick") -> Candidate:
        """Compare with the original on ``cases``. On the picking cases a candidate runs in chunks and
        stops once a drop larger than max-drop is shown (a regression on part of the cases is one on
        all of them as far as this test goes), so clearly bad cuts cost a fraction of the suite."""
        self.progress(f"evaluating {candidate.lever}: {candidate.name} on {len(cases)} cases")
        original = self._original_scores(cases, which)
        step = len(cases) if which != "pick" else EARLY_STOP_CHUNK
        done: list[TestCase] = []
        scores = VariantScore(candidate.name, candidate.template.source)
        for start in range(0, len(cases), step):
            chunk = cases[start : start + step]
            scores.cases.update(self._run(candidate, chunk).cases)
            done += chunk
            candidate.comparison = compare(original, scores, self.max_drop, self.confidence)
            if candidate.comparison.verdict == REGRESSION and len(done) < len(cases):
                candidate.note = f"stopped after {len(done)} of {len(cases)} cases: regression shown"
                break
        candidate.cases = which
        self._measure(candidate, scores, done)
        return candidate

    def _original_scores(self, cases: list[TestCase], which: str) -> VariantScore:
        key = (ORIGINAL, which)
        if key not in self._scores:
            self._scores[key] = self._run(self.result.original, cases)
        return self._scores[key]

    # -- the search ----------------------------------------------------------------------------

    def run(self) -> OptimizeResult:
        result = self.result
        self.progress(f"running the original prompt on {len(self.pick) + len(self.held)} cases")
        both = self._run(result.original, [*self.pick, *self.held])  # one batch for both splits
        self._scores[(ORIGINAL, "pick")] = _restricted(both, self.pick)
        self._scores[(ORIGINAL, "held out")] = _restricted(both, self.held)
        self._measure(result.original, self._scores[(ORIGINAL, "pick")], self.pick)
        passed: list[Candidate] = []
        for lever in (self._examples, self._restated_rules, self._material, self._prose, self._rewrite,
                      self._answer_cap, self._brevity, self._cheaper_model):  # fmt: skip
            best = lever()
            if best is not None:
                passed.append(best)
        self._combine(passed)
        return result

    def _add(self, candidate: Candidate, judge: bool = True) -> Candidate:
        self.result.candidates.append(candidate)
        if judge and not candidate.note:  # a note set before judging: not tried (the guard refused it...)
            self._judge(candidate, self.pick)
        return candidate

    def _variant(self, text: str, name: str) -> PromptTemplate:
        contents = [m.content for m in self.suite.prompt.messages]
        contents[self.main] = text
        return self.suite.prompt.with_contents(contents, f"{self.suite.prompt.source} ({name})")

    @property
    def _text(self) -> str:
        return self.suite.prompt.messages[self.main].content

    def _examples(self) -> Candidate | None:
        order = levers.informative_order(self._text, self.path)
        n = len(order)
        if n == 0:
            self.result.notes.append("examples: the prompt has no few-shot examples")
            return None

        def keep(k: int) -> Candidate:
            text = levers.keep_examples(self._text, order[:k], self.path)
            name = "zero-shot (no examples)" if k == 0 else f"keep {k} of {n} examples"
            candidate = self._add(Candidate("examples", name, self._variant(text, name)))
            candidate.parts = order[:k]
            return candidate

        best: Candidate | None = None
        low, high = -1, n  # fewest known to fail, fewest known to hold (n: the original)
        k = 0
        while k < high:
            candidate = keep(k)
            if candidate.holds:
                best, high = candidate, k
            else:
                low = k
            k = (low + high) // 2
            if k <= low:
                break
        return best

    def _restated_rules(self) -> Candidate | None:
        text, codes = levers.without_restated_rules(self._text, self.path)
        if not codes:
            self.result.notes.append("restated rules: the audit found no rule said twice")
            return None
        name = "restated rules removed (" + ", ".join(codes) + ")"
        candidate = self._add(Candidate("restated rules", name, self._variant(text, name)))
        return candidate if candidate.holds else None

    def _material(self) -> Candidate | None:
        cuts = levers.material_cuts(self._text, self.path)
        if not cuts:
            self.result.notes.append("pasted material: the audit found none (PO503)")
            return None
        best = None
        for name, text in sorted(cuts, key=lambda cut: -len(cut[1])):  # trimmed before dropped
            candidate = self._add(Candidate("pasted material", name, self._variant(text, name)))
            if candidate.holds:
                best = candidate
        return best

    def _prose(self) -> Candidate | None:
        if not self.lingua:
            self.result.notes.append("prose: LLMLingua not run (--no-lingua)")
            return None
        try:
            text, dropped = levers.compressed_prose(self._text)
        except Exception as exc:  # llmlingua missing or failing: this lever only, said in one line
            self.result.notes.append(f"prose: LLMLingua unavailable ({type(exc).__name__}: {exc})")
            return None
        if text == self._text:
            self.result.notes.append("prose: LLMLingua dropped no sentence")
            return None
        name = f"prose compressed (LLMLingua, {dropped} sentence(s) dropped)"
        candidate = self._add(Candidate("prose", name, self._variant(text, name)))
        return candidate if candidate.holds else None

    def _rewrite(self) -> Candidate | None:
        if not self.rewrite_model:
            self.result.notes.append("rewrite: not tried (name a provider model with --rewrite-model)")
            return None
        from .rewrite import rewrite_instructions

        self.progress(f"asking {self.rewrite_model} for a rewrite")
        rewrite = rewrite_instructions(self._text, self.rewrite_model)
        name = f"instructions rewritten by {self.rewrite_model}"
        candidate = Candidate("rewrite", name, self._variant(rewrite.text or self._text, name))
        if rewrite.refused:
            candidate.note = f"refused by the guard: {rewrite.refused}"
        self._add(candidate)
        return candidate if candidate.holds else None

    def _answer_cap(self) -> Candidate | None:
        scores = self._scores[(ORIGINAL, "pick")]
        by_id = {c.id: c for c in self.pick}
        count = _answer_counter(self.model)
        needed = []
        for case_id, score in scores.cases.items():
            case = by_id[case_id]
            output = score.outputs[0] if score.outputs else None
            if output is None or not score.passed:
                continue

            def passes(text: str, case: TestCase = case) -> bool:
                return evaluate(list(case.assertions), text, case.vars, case.threshold).passed

            needed.append(levers.needed_answer_tokens(str(output), passes, count))
        cap = levers.answer_cap(needed)
        current, _stop = generation_settings(self.suite, self.model)
        if cap is None:
            self.result.notes.append("max_tokens: no passing answer to measure")
            return None
        longest = max((count(str(o)) for c in scores.cases.values() for o in c.outputs if o is not None), default=0)
        if longest <= cap:  # billing counts the tokens generated: a cap above every answer saves nothing
            self.result.notes.append(f"max_tokens: every answer already ends within {longest} token(s); "
                                     f"a cap of {cap} would save nothing")
            return None
        if cap >= current:
            self.result.notes.append(f"max_tokens: the answers need up to {cap - levers.ANSWER_CAP_MARGIN} "
                                     f"token(s); the current cap ({current}) is already that tight")
            return None
        name = f"max_tokens {cap} (answers need <= {cap - levers.ANSWER_CAP_MARGIN} tokens; now {current})"
        candidate = self._add(Candidate("max_tokens", name, self._variant(self._text, name), max_tokens=cap))
        return candidate if candidate.holds else None

    def _brevity(self) -> Candidate | None:
        original = self.result.original
        if original.output_tokens <= 3:
            self.result.notes.append(f"brevity: answers are already short ({original.output_tokens:.1f} tokens)")
            return None
        text = levers.with_brevity(self._text, self.path)
        candidate = self._add(Candidate("brevity", "brevity instruction added", self._variant(text, "brevity")))
        better = candidate.holds and candidate.output_tokens < original.output_tokens
        return candidate if better and self.result.saves(candidate) else None

    def _cheaper_model(self) -> Candidate | None:
        if not self.cheaper_models:
            self.result.notes.append("cheaper model: not tried (name one with --cheaper-model)")
            return None
        passed = []
        for model in self.cheaper_models:
            candidate = self._add(Candidate("model", f"model {model}", self.suite.prompt, model=model))
            if candidate.holds:
                passed.append(candidate)
        priced = [c for c in passed if c.dollars_per_month is not None]
        return min(priced, key=lambda c: c.dollars_per_month) if priced else (passed[0] if passed else None)

    # -- combining and confirming -----------------------------------------------------------------

    def _combined(self, parts: list[Candidate]) -> Candidate:
        text = self._text
        max_tokens = model = None
        text_levers = ("rewrite", "restated rules", "pasted material", "prose")  # the rewrite reads the original
        for part in sorted((p for p in parts if p.lever in text_levers), key=lambda p: text_levers.index(p.lever)):
            text = _apply_like(part, text, self)  # sentence-level cuts first, then examples, then additions
        for part in parts:
            if part.lever == "examples":
                text = levers.keep_examples(text, part.parts, self.path)
            elif part.lever == "brevity":
                text = levers.with_brevity(text, self.path)
            elif part.lever == "max_tokens":
                max_tokens = part.max_tokens
            elif part.lever == "model":
                model = part.model
        name = " + ".join(p.name for p in parts)
        combo = Candidate("combination", name, self._variant(text, "combination"), max_tokens, model)
        combo.parts = [p.lever for p in parts]
        return combo

    def _combine(self, passed: list[Candidate]) -> None:
        result = self.result
        if not passed:
            result.notes.append("no lever held on the picking cases: the original stays")
            return
        parts = sorted(passed, key=self._saving, reverse=True)
        while True:
            combo = self._combined(parts)
            if len(parts) == 1:
                combo = _copy(parts[0], "combination")
                break
            self._judge(combo, self.pick)
            if combo.holds:
                break
            result.notes.append(f"combination of {len(parts)} levers did not hold on the picking cases; "
                                f"dropped {parts[-1].name}")  # fmt: skip
            parts = parts[:-1]
        result.combination = combo
        if not self.held:
            result.notes.append("no held-out cases (--holdout 0): the choice is not confirmed")
            return
        confirmed = _copy(combo, "combination")
        result.confirmed = self._judge(confirmed, self.held, "held out")
        result.original_held = _copy(result.original, "original")
        self._measure(result.original_held, self._scores[(ORIGINAL, "held out")], self.held)

    def _saving(self, candidate: Candidate) -> float:
        o = self.result.original
        if candidate.dollars_per_month is not None and o.dollars_per_month is not None:
            return o.dollars_per_month - candidate.dollars_per_month
        return (o.input_tokens + o.output_tokens) - (candidate.input_tokens + candidate.output_tokens)


def _answer_counter(model: str) -> Callable[[str], int]:
    """Counts answer tokens as ``max_tokens`` will: with the model's own tokenizer (the local
    model's from transformers; a provider's through tiktoken, an estimate when it is not OpenAI's)."""
    if model.startswith("local/"):
        from ..evaluation.local_provider import tokenizer

        local = tokenizer()
        return lambda text: len(local(text, add_special_tokens=False)["input_ids"])
    from promptopt.tokens import TokenCounter

    return TokenCounter(model).count


def _apply_like(part: Candidate, text: str, optimizer: Optimizer) -> str:
    """Apply a text lever that passed to ``text`` (the original's text, or one already cut)."""
    if text == optimizer._text:
        return part.template.messages[optimizer.main].content
    if part.lever == "restated rules":
        return levers.without_restated_rules(text, optimizer.path)[0]
    if part.lever == "prose":
        return levers.compressed_prose(text)[0]
    if part.lever == "pasted material":  # the same cut, found again in the text as cut so far
        return next((cut for name, cut in levers.material_cuts(text, optimizer.path) if name == part.name), text)
    return part.template.messages[optimizer.main].content  # the rewrite: as judged (it comes first)


def _copy(candidate: Candidate, lever: str) -> Candidate:
    parts = list(candidate.parts) if candidate.lever == "combination" else [candidate.lever]
    return Candidate(lever, candidate.name, candidate.template, candidate.max_tokens, candidate.model, parts)


def _restricted(scores: VariantScore, cases: list[TestCase]) -> VariantScore:
    ids = {c.id for c in cases}
    return VariantScore(scores.name, scores.source, {k: v for k, v in scores.cases.items() if k in ids})


def _with_cases(suite: Suite, cases: list[TestCase]) -> Suite:
    from dataclasses import replace

    return replace(suite, cases=cases)
