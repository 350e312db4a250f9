"""`promptopt eval`: exit 0 pass, 1 regression or inconclusive, 2 error (one clear line on stderr)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import click

from .cache import ResponseCache
from .compare import DEFAULT_MAX_DROP
from .grading import GRADER_MAX_TOKENS, Grader, use_grader
from .matrix import dry_run_matrix, render_matrix, run_matrix
from .models import ModelsResult, run_models
from .prompts import PromptFileError, PromptTemplate
from .providers import Provider, ProviderError, litellm_model
from .report import FORMATS, render, render_dry_run, render_models
from .runner import DEFAULT_MODELS_BY_KEY, EvalRunError, Runner, check_credentials, resolve_model
from .session import (
    COMPRESS_METHODS,
    CandidateError,
    candidate_from_compressor,
    candidate_from_file,
    generation_settings,
    run_eval,
)
from .session import (
    dry_run as plan_dry_run,
)
from .suite import Suite, SuiteError, load_suite


def _fail(message: str) -> None:
    click.echo(f"promptopt eval: error: {message}", err=True)
    sys.exit(2)


@click.command("eval")
@click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))
@click.option("--candidate", type=click.Path(path_type=Path), help="A rewritten prompt file to compare.")
@click.option("--compress", "method", type=click.Choice(COMPRESS_METHODS), help="Compress the prompt in memory.")
@click.option("--rate", type=float, default=0.5, show_default=True, help="Target rate for --compress llmlingua.")
@click.option("--model", help="A litellm model name (replaces the suite's `model` / `providers`).")
@click.option("--provider", "provider_name", help="With several providers: the one to compare on (label or id).")
@click.option("--baseline-prompt", help="With several prompts: the baseline (label, default the first).")
@click.option("--candidate-prompt", help="With several prompts: compare this one against the baseline.")
@click.option("--grader", help="Model for llm-rubric and other model-graded checks (litellm or promptfoo id).")
@click.option("--system", "system_file", type=click.Path(path_type=Path), help="A system prompt file to prepend.")
@click.option("--repeat", type=click.IntRange(min=1), help="Calls per case (pass rate per case).")
@click.option("--max-drop", type=click.FloatRange(0, 1), default=DEFAULT_MAX_DROP, show_default=True,
              help="Largest allowed drop of the mean score (0..1): pass only when a larger drop is ruled out.")
@click.option("--allow-inconclusive", is_flag=True,
              help="Exit 0 when the suite is too small to tell (default: inconclusive fails).")  # fmt: skip
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show the calls, tokens and dollars; send nothing.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds per call.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the answer cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Default: $PROMPTOPT_CACHE_DIR/eval or ./.promptopt_cache/eval.")  # noqa: E501
def eval_command(
    suite_path: Path,
    candidate: Path | None,
    method: str | None,
    rate: float,
    model: str | None,
    provider_name: str | None,
    baseline_prompt: str | None,
    candidate_prompt: str | None,
    grader: str | None,
    system_file: Path | None,
    repeat: int | None,
    max_drop: float,
    allow_inconclusive: bool,
    confidence: float,
    fmt: str,
    dry_run: bool,
    concurrency: int,
    timeout: float,
    retries: int,
    no_cache: bool,
    cache_dir: Path | None,
) -> None:
    """Run SUITE's tests on its prompt and, with --candidate or --compress, on a rewritten prompt;
    compare them and give a verdict: 0 pass (a drop larger than --max-drop is ruled out), 1 regression
    or inconclusive (the suite cannot tell), 2 error.

    With one prompt on several models (`model: [a, b]` or promptfoo `providers`) and no candidate,
    each model runs the prompt: score, tokens, $ per request and per month, and whether each one
    holds quality against the first (the reference); exit 0 unless the run failed.

    SUITE may be a promptfoo config as it is. With several prompts every cell (prompt x provider) is
    run and reported (exit 1 if a cell has a failing test); --candidate-prompt compares two prompts.

    With no model named (here or in the suite) and no provider key set, a small local model runs
    in-process (local/smollm2): a smoke test of the pipeline, not a judge of prompt quality.
    """
    given = [name for name, v in (("--candidate", candidate), ("--compress", method),
                                  ("--candidate-prompt", candidate_prompt)) if v is not None]  # fmt: skip
    if len(given) > 1:
        _fail(f"give one of {', '.join(given)}, not several")
    grader_obj: Grader | None = None
    try:
        suite = load_suite(suite_path, system_file)
        reason = "named"
        if model:
            suite.providers = [Provider(model, model)]
        elif not suite.providers:
            chosen, reason = resolve_model(None)
            suite.providers = [Provider(chosen, chosen)]
        baseline = _prompt(suite, baseline_prompt, "--baseline-prompt")
        suite = dataclasses.replace(suite, prompt=baseline)
        provider = _provider(suite, provider_name)
        cache = ResponseCache(cache_dir, enabled=not no_cache)

        def runner_for(p: Provider, max_tokens: int | None = None) -> Runner:
            # the local model's generation is capped from what the assertions accept (generation_settings)
            capped, stop = generation_settings(suite, p.model or "")
            tokens = max_tokens or int(p.params.get("max_tokens") or capped)
            return Runner(
                p.model or "", max_tokens=tokens, stop=stop, concurrency=concurrency,
                timeout=timeout, max_retries=retries, cache=cache, extra_params=dict(p.params),
                show_progress=fmt == "text" and sys.stderr.isatty(),
            )  # fmt: skip

        system_text = suite.prompt.messages[0].content if system_file else None  # the same system part
        variant = None
        if candidate is not None:
            variant = candidate_from_file(candidate, system_text)
        elif method is not None:
            variant = candidate_from_compressor(suite.prompt, method, rate, suite.prompt_path)
        elif candidate_prompt is not None:
            variant = _prompt(suite, candidate_prompt, "--candidate-prompt")
        repeats = repeat or suite.repeat
        # one prompt on several providers: which model holds quality for less (per-model table and
        # verdicts); several prompts: every cell of the prompts x providers matrix
        models_mode = variant is None and len(suite.prompts) == 1 and len(suite.providers) > 1
        matrix_mode = variant is None and not models_mode and (len(suite.prompts) > 1 or len(suite.providers) > 1)
        if dry_run:
            click.echo(_dry_run_text(suite, provider, variant, matrix_mode or models_mode, runner_for, repeats,
                                     reason, fmt, grader), nl=False)  # fmt: skip
            return
        graded = _graded_count(suite)
        grader_provider = _grader_provider(suite, grader) if graded else None
        for p in (suite.providers if matrix_mode or models_mode else [provider]):
            check_credentials(p.model or "", p.params)
        if grader_provider is not None:
            check_credentials(grader_provider.model or "", grader_provider.params)
            grader_obj = Grader(grader_provider.model or "", runner_for(grader_provider, GRADER_MAX_TOKENS))
        with use_grader(grader_obj):
            if models_mode:
                result = run_models(suite, [runner_for(p) for p in suite.providers], repeats, max_drop, confidence)
            elif matrix_mode:
                matrix = run_matrix(suite, runner_for, repeats)
            else:
                result = run_eval(suite, runner_for(provider), variant, repeats, max_drop, confidence, reason,
                                  allow_inconclusive)  # fmt: skip
    except (SuiteError, PromptFileError, CandidateError, EvalRunError, ProviderError) as exc:
        _fail(str(exc))
        return
    except KeyboardInterrupt:  # during loading, before any answer: nothing to report
        _fail("interrupted before any answer arrived")
        return
    except Exception as exc:  # the local model or a compressor failing to load: still one line
        _fail(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        return
    grader_notes = _grader_notes(grader_obj, graded)
    if matrix_mode:
        click.echo(render_matrix(matrix, fmt, [*suite.notes, *grader_notes]), nl=False)
        error = matrix.error or (grader_obj.errors[0] if grader_obj and grader_obj.errors else None)
        if error:
            click.echo(f"promptopt eval: error: {error} (partial results above)", err=True)
        sys.exit(2 if error else matrix.exit_code)
    result.notes += grader_notes
    if grader_obj is not None and grader_obj.errors and result.stats.error is None:
        result.stats.error = f"grader {grader_obj.model}: {grader_obj.errors[0]}"  # its verdicts cannot be trusted
    click.echo((render_models if isinstance(result, ModelsResult) else render)(result, fmt), nl=False)
    if result.stats.error or result.stats.interrupted:
        click.echo(f"promptopt eval: error: {result.stats.error or 'interrupted'} (partial results above)", err=True)
    if result.stats.interrupted:
        # calls still in flight would hold the exit up to their timeout (the interpreter joins the
        # pool's threads): the user asked to stop, and every answer received is already cached
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(result.exit_code)
    sys.exit(result.exit_code)



def _prompt(suite: Suite, name: str | None, flag: str) -> PromptTemplate:
    if name is None:
        return suite.prompts[0]
    for p in suite.prompts:
        if name in (p.name, p.label, p.source):
            return p
    labels = ", ".join(repr(p.name) for p in suite.prompts)
    raise SuiteError(f"{flag} {name!r} is none of the suite's prompts ({labels})")


def _provider(suite: Suite, name: str | None) -> Provider:
    if name is None:
        return suite.providers[0]
    for p in suite.providers:
        if name in (p.name, p.label, p.id, p.model):
            return p
    names = ", ".join(repr(p.name) for p in suite.providers)
    raise SuiteError(f"--provider {name!r} is none of the suite's providers ({names})")


def _graded_count(suite: Suite) -> int:
    from .grading import GRADED_TYPES

    return sum(1 for c in suite.cases for a in c.assertions if a.type in GRADED_TYPES and not a.skip)


def _grader_provider(suite: Suite, named: str | None) -> Provider | None:
    """--grader, else the suite's defaultTest.options.provider, else a default for a key that is set."""
    if named:
        return Provider(named, litellm_model(named))
    if suite.grader is not None:
        return suite.grader
    chosen, _why = resolve_model(None)
    if any(chosen == m for _env, m in DEFAULT_MODELS_BY_KEY):
        return Provider(chosen, chosen)
    return None  # only the local smoke-test model: no grader, model-graded checks are skipped out loud


def _grader_notes(grader: Grader | None, graded: int) -> list[str]:
    if not graded:
        return []
    if grader is None:
        return [f"{graded} model-graded assertion(s) skipped, not scored: no grader model "
                "(set --grader or defaultTest.options.provider, or a provider key)"]  # fmt: skip
    return [f"model-graded assertions judged by {grader.model}: {grader.calls} grader call(s)"]


def _dry_run_text(suite: Suite, provider: Provider, variant: PromptTemplate | None, matrix_mode: bool,
                  runner_for, repeats: int, reason: str, fmt: str, grader: str | None) -> str:  # fmt: skip
    graded = _graded_count(suite)
    notes = list(suite.notes)
    if graded:
        who = _grader_provider(suite, grader)
        notes.append(f"{graded} model-graded assertion(s): up to {graded * repeats} grader call(s) per prompt and "
                     f"provider on {who.model if who else 'no grader (they would be skipped)'}, not priced here")
    if matrix_mode:
        plans = dry_run_matrix(suite, runner_for, repeats, reason)
    else:
        plans = [plan_dry_run(suite, runner_for(provider), variant, repeats, reason)]
    if fmt == "json":
        planned = [json.loads(render_dry_run(d, "json")) for d in plans]
        data = {**planned[0], "notes": notes} if not matrix_mode else {"notes": notes, "providers": planned}
        return json.dumps(data, indent=2) + "\n"
    text = "".join(render_dry_run(d, fmt) for d in plans)
    if matrix_mode:
        text = f"{len(suite.prompts)} prompt(s) x {len(suite.providers)} provider(s): every cell planned\n" + text
    text += "".join(f"note: {n}\n" for n in notes)
    return f"### promptopt eval: dry run\n\n```\n{text}```\n" if fmt == "markdown" else text
