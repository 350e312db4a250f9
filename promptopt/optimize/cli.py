"""`promptopt optimize PROMPT --suite SUITE`: exit 0 a verified saving, 1 none, 2 error."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..evaluation.compare import DEFAULT_MAX_DROP
from .search import DEFAULT_HOLDOUT
from .session import LOCAL_PRICE_MODEL

FORMATS = ("text", "json")


def _fail(message: str) -> None:
    click.echo(f"promptopt optimize: error: {message}", err=True)
    sys.exit(2)


@click.command("optimize")
@click.argument("prompt", type=click.Path(path_type=Path))
@click.option("--suite", "suite_path", required=True, type=click.Path(path_type=Path),
              help="The eval suite that runs PROMPT (as for `promptopt eval`).")  # fmt: skip
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the cheapest verified prompt here.")
@click.option("--max-drop", type=click.FloatRange(0, 1), default=DEFAULT_MAX_DROP, show_default=True,
              help="Largest allowed drop of the mean score (0..1): a lever holds only when a larger drop is ruled out.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--model", help="A litellm model name (replaces the suite's model).")
@click.option("--holdout", type=click.FloatRange(0, 0.5), default=DEFAULT_HOLDOUT, show_default=True,
              help="Share of cases held out to confirm the chosen combination on (never used to pick it).")
@click.option("--rewrite-model", help="A provider model (litellm name) that rewrites the instructions; "
                                      "the guard and the eval decide. Never the offline model.")  # fmt: skip
@click.option("--cheaper-model", "cheaper_models", multiple=True, help="A cheaper model to try (repeatable).")
@click.option("--price-model", help="Price tokens at this model's rates (default: the eval's model; "
                                    f"{LOCAL_PRICE_MODEL} for the free local model).")  # fmt: skip
@click.option("--no-lingua", is_flag=True, help="Skip the LLMLingua prose lever.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds per call.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the answer cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="As for `promptopt eval`.")
def optimize_command(prompt: Path, suite_path: Path, output: Path | None, max_drop: float, confidence: float,
                     fmt: str, model: str | None, holdout: float, rewrite_model: str | None,
                     cheaper_models: tuple[str, ...], price_model: str | None, no_lingua: bool, timeout: float,
                     retries: int, no_cache: bool, cache_dir: Path | None) -> None:  # fmt: skip
    """Try every lever on PROMPT (fewer examples, restated rules, pasted material, compressed prose,
    a model's rewrite, an output cap, a brevity instruction, a cheaper model), keep each one SUITE's
    eval shows holds quality, combine them and confirm the combination on held-out cases.

    Exit 0: a saving verified on the held-out cases; 1: none; 2: error.
    With no model named and no provider key set, the local smoke-test model runs: it shows the
    pipeline works, not that a prompt is good.
    """
    from ..evaluation.prompts import PromptFileError
    from ..evaluation.providers import ProviderError
    from ..evaluation.runner import EvalRunError
    from ..evaluation.suite import SuiteError
    from ..localmodel import LocalModelError
    from .report import json_report, text_report
    from .rewrite import RewriteError
    from .search import OptimizeError
    from .session import run_optimize

    started = time.perf_counter()
    terminal = fmt == "text" and sys.stderr.isatty()

    def progress(message: str) -> None:
        if terminal:
            click.echo(f"optimize: {message}", err=True)

    try:
        result = run_optimize(prompt, suite_path, model=model, max_drop=max_drop, confidence=confidence,
                              holdout=holdout, price_model=price_model, rewrite_model=rewrite_model,
                              cheaper_models=cheaper_models, lingua=not no_lingua, cache_dir=cache_dir,
                              use_cache=not no_cache, timeout=timeout, retries=retries, show_progress=terminal,
                              progress=progress)  # fmt: skip
    except (SuiteError, PromptFileError, EvalRunError, ProviderError, OptimizeError, RewriteError,
            LocalModelError) as exc:  # a local model that is missing or cannot load: one line, exit 2
        _fail(str(exc))
        return
    except KeyboardInterrupt:
        _fail("interrupted (answers received so far are cached: a rerun costs only the rest)")
        return
    written, write_error = None, None
    if output is not None and result.verified:
        try:
            written = _write(output, prompt, result.suite, result)
        except (OSError, WriteError) as exc:  # the report still shows what was found
            write_error = f"cannot write {output}: {exc}"
    elif output is not None:
        written = f"nothing written to {output}: no verified saving"
    seconds = time.perf_counter() - started
    click.echo((json_report if fmt == "json" else text_report)(result, seconds, written), nl=False)
    if write_error:
        _fail(write_error)
    sys.exit(result.exit_code)


class WriteError(RuntimeError):
    """The chosen prompt cannot be written back in the prompt file's format."""


def _write(output: Path, prompt: Path, suite, result) -> str:
    """The chosen prompt in PROMPT's own format (its message text replaced where it stands), and its
    settings (max_tokens, model) beside it when it has any."""
    import yaml

    from ..atomic import write_atomic

    source = prompt.read_text(encoding="utf-8")
    chosen = result.confirmed
    text = source
    for before, after in zip(suite.prompt.messages, chosen.template.messages, strict=True):
        if before.content != after.content:
            if before.content not in text:
                raise WriteError(f"the prompt's text is not verbatim in {prompt} (escaped in its format)")
            text = text.replace(before.content, after.content, 1)
    write_atomic(output, text)
    said = f"wrote {output}"
    settings = {k: v for k, v in (("max_tokens", chosen.max_tokens), ("model", chosen.model)) if v is not None}
    if settings:
        side = output.with_name(output.name + ".settings.yaml")
        write_atomic(side, yaml.safe_dump(settings, sort_keys=False))
        said += f" and its settings to {side}"
    return said
