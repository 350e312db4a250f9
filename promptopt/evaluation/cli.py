"""`promptopt eval`: exit 0 no regression, 1 regression, 2 error (one clear line on stderr)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .cache import ResponseCache
from .prompts import PromptFileError
from .report import FORMATS, render, render_dry_run
from .runner import EvalRunError, Runner, check_credentials, resolve_model
from .session import (
    COMPRESS_METHODS,
    CandidateError,
    candidate_from_compressor,
    candidate_from_file,
    run_eval,
)
from .session import (
    dry_run as plan_dry_run,
)
from .suite import SuiteError, load_suite


def _fail(message: str) -> None:
    click.echo(f"promptopt eval: error: {message}", err=True)
    sys.exit(2)


@click.command("eval")
@click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))
@click.option("--candidate", type=click.Path(path_type=Path), help="A rewritten prompt file to compare.")
@click.option("--compress", "method", type=click.Choice(COMPRESS_METHODS), help="Compress the prompt in memory.")
@click.option("--rate", type=float, default=0.5, show_default=True, help="Target rate for --compress llmlingua.")
@click.option("--model", help="A litellm model name (overrides the suite's `model`).")
@click.option("--system", "system_file", type=click.Path(path_type=Path), help="A system prompt file to prepend.")
@click.option("--repeat", type=click.IntRange(min=1), help="Calls per case (pass rate per case).")
@click.option("--max-drop", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Largest allowed drop of the mean score (0..1).")  # fmt: skip
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
    system_file: Path | None,
    repeat: int | None,
    max_drop: float,
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
    compare them and give a verdict: 0 no regression, 1 regression, 2 error.

    With no model named (here or in the suite) and no provider key set, a small local model runs
    in-process (local/smollm2): a smoke test of the pipeline, not a judge of prompt quality.
    """
    if candidate is not None and method is not None:
        _fail("give --candidate or --compress, not both")
    try:
        suite = load_suite(suite_path, system_file)
        system_text = suite.prompt.messages[0].content if system_file else None  # the same system part
        variant = None
        if candidate is not None:
            variant = candidate_from_file(candidate, system_text)
        elif method is not None:
            variant = candidate_from_compressor(suite.prompt, method, rate, suite.prompt_path)
        chosen, reason = resolve_model(model or suite.model)
        runner = Runner(
            chosen,
            max_tokens=suite.max_tokens,
            stop=suite.stop,
            concurrency=concurrency,
            timeout=timeout,
            max_retries=retries,
            cache=ResponseCache(cache_dir, enabled=not no_cache),
            show_progress=fmt == "text" and sys.stderr.isatty(),
        )
        repeats = repeat or suite.repeat
        if dry_run:
            click.echo(render_dry_run(plan_dry_run(suite, runner, variant, repeats, reason), fmt), nl=False)
            return
        check_credentials(chosen)
        result = run_eval(suite, runner, variant, repeats, max_drop, confidence, reason)
    except (SuiteError, PromptFileError, CandidateError, EvalRunError) as exc:
        _fail(str(exc))
        return
    except KeyboardInterrupt:  # during loading, before any answer: nothing to report
        _fail("interrupted before any answer arrived")
        return
    except Exception as exc:  # the local model or a compressor failing to load: still one line
        _fail(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        return
    click.echo(render(result, fmt), nl=False)
    if result.stats.error or result.stats.interrupted:
        click.echo(f"promptopt eval: error: {result.stats.error or 'interrupted'} (partial results above)", err=True)
    if result.stats.interrupted:
        # calls still in flight would hold the exit up to their timeout (the interpreter joins the
        # pool's threads): the user asked to stop, and every answer received is already cached
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(result.exit_code)
    sys.exit(result.exit_code)

