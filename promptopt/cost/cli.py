"""`promptopt cost` and `promptopt diff`, registered on the main group by promptopt/cli.py."""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

FORMATS = ["text", "json", "markdown"]


def _fail(message: str) -> None:
    click.echo(f"promptopt: error: {message}", err=True)
    sys.exit(2)


def _emit(text: str, output_file: Path | None) -> None:
    from ..redact import redact

    text = redact(text)  # findings quote prompt text, which may hold a key: the PR comment is public
    if output_file:
        from ..atomic import write_report

        try:
            write_report(output_file, text)
        except OSError as exc:
            _fail(f"{output_file}: cannot write the report: {exc.strerror or exc}")
        return
    if output_file:
        output_file.write_text(text, encoding="utf-8")
    elif text:
        click.echo(text, nl=not text.endswith("\n"))


def _settings(start: Path, config_file: Path | None, model: str | None, volume=None):
    from ..config import ConfigError, load_config
    from .estimate import cost_settings
    from .prices import PricingError
    from .usage import UsageConfigError

    try:
        config = load_config(start, {"model": model}, config_file)
        return cost_settings(config, volume)
    except (ConfigError, UsageConfigError, PricingError) as exc:
        _fail(str(exc))


@dataclass(frozen=True)
class Threshold:
    """A change in dollars per month (`50`, `$50`) or in percent (`10%`)."""

    amount: float
    percent: bool

    @classmethod
    def parse(cls, text: str) -> Threshold:
        match = re.fullmatch(r"\s*\$?\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text)
        if not match:
            raise click.BadParameter(f"{text!r}: give dollars per month (50) or a percentage (10%)")
        return cls(float(match.group(1)), bool(match.group(2)))

    def measure(self, report) -> float | None:
        """The report's change in this threshold's unit; percent of tokens when no $ figure is known."""
        if self.percent:
            return report.monthly_percent if report.priced else report.token_percent
        return report.monthly_delta if report.priced else None

    def measure_offer(self, report) -> float | None:
        """The saving on offer (safe and unsafe fixes) in this threshold's unit: $ per month, or percent
        of the offered prompts' monthly cost (of their tokens when no $ figure is known)."""
        return report.offer_percent if self.percent else report.offer_monthly


class ThresholdType(click.ParamType):
    name = "AMOUNT|PERCENT"

    def convert(self, value, param, ctx):
        if isinstance(value, Threshold):
            return value
        try:
            return Threshold.parse(value)
        except click.BadParameter as exc:
            self.fail(str(exc), param, ctx)


_format = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
_model = click.option(
    "--model", help="Model for prompts the usage config gives no model (overrides the config)."
)
_config = click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this config file instead of the closest one.",
)
_output = click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path))


@click.command("cost")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_format
@_model
@_config
@click.option(
    "--requests-per-day", type=float, help="Volume for prompts the usage config says nothing about."
)
@click.option("--requests-per-month", type=float, help="Same, per month.")
@click.option(
    "--output-tokens", type=int, help="Expected output tokens per request (default from config, else 0)."
)
@_output
def cost_command(
    paths, fmt, model, config_file, requests_per_day, requests_per_month, output_tokens, output_file
):
    """Projected $ per request and per month for each prompt, and the saving if the safe fixes were applied.

    Volumes, models and prompt caching come from [tool.promptopt.usage] (docs/cost.md). A prompt whose
    model has no known price is reported as unknown, never as $0. Exit 2 when a file or the config is bad.
    """
    from .render import cost_json, cost_markdown, cost_text
    from .usage import DAYS_PER_MONTH, Volume

    if requests_per_day is not None and requests_per_month is not None:
        _fail("give --requests-per-day or --requests-per-month, not both")
    for name, value in (("--requests-per-day", requests_per_day), ("--requests-per-month", requests_per_month),
                        ("--output-tokens", output_tokens)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            _fail(f"{name} must be a finite number, 0 or more (got {value})")
    monthly = requests_per_month if requests_per_day is None else requests_per_day * DAYS_PER_MONTH
    volume = Volume(monthly, output_tokens) if monthly is not None or output_tokens is not None else None
    paths = list(paths) or [Path(".")]
    settings = _settings(paths[0], config_file, model, volume)
    from ..tokens import TokenizerUnavailable
    from .estimate import estimate_paths

    try:
        report = estimate_paths(paths, settings)
    except (TokenizerUnavailable, ValueError) as exc:  # ValueError: a rule option of the wrong type
        _fail(str(exc))
    for bad in report.errors:
        click.echo(f"promptopt: error: {bad.path}: {bad.error}", err=True)
    render = {"text": cost_text, "json": cost_json, "markdown": cost_markdown}[fmt]
    _emit(render(report), output_file)
    sys.exit(2 if report.errors else 0)


@click.command("diff")
@click.option("--base", required=True, help="The git ref to compare against (a branch, tag or commit).")
@click.option("--head", help="The git ref with the changes (default: the working tree).")
@_format
@_model
@_config
@click.option(
    "--fail-on-increase",
    type=ThresholdType(),
    help="Exit 1 when the monthly cost rises by more than this: dollars (50) or a percentage (10%).",
)
@click.option(
    "--min-change",
    type=ThresholdType(),
    help="Print nothing and exit 0 when the monthly change is smaller than this ($ or %).",
)
@click.option(
    "--min-saving",
    type=ThresholdType(),
    help="Leave out the saving on offer when it is smaller than this: $ per month (5) or percent of the "
    "changed prompts' monthly cost (2%).",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Run the eval suite mapped to each changed prompt (`eval-suites` in the config), as `compress "
    "--verify` does, and show the strongest compression that passed.",
)
@click.option(
    "--optimize",
    is_flag=True,
    help="Run `promptopt optimize` with the eval suite mapped to each changed prompt and add the levers it "
    "verified on held-out cases to the saving on offer (answers cached: a rerun pays only for new calls).",
)
@click.option("--max-drop", type=click.FloatRange(0, 1), default=None,
              help="With --optimize: largest allowed drop of the mean score (0..1), as for `promptopt optimize`.")
@click.option("--no-lingua", is_flag=True, help="With --optimize: skip the LLMLingua prose lever.")
@click.option("--baseline", type=click.Path(path_type=Path),
              help="Findings in this baseline file are not reported as introduced (default: config `baseline`).")
@_output
def diff_command(base, head, fmt, model, config_file, fail_on_increase, min_change, output_file, baseline=None,
                 min_saving=None, verify=False, optimize=False, max_drop=None, no_lingua=False):
    """Tokens, monthly cost and findings of every prompt changed between --base and --head, and the
    saving still on offer in them: what `audit --fix` (and `--unsafe-fixes`) would remove.

    `--format markdown` renders a pull-request comment whose first line is a hidden marker, so a CI job
    can find and update the same comment on every push (see docs/ci.md). Exit 0, 1 (past
    --fail-on-increase), 2 (git, config or a file failed, or a --verify or --optimize eval could not
    complete).
    """
    import os

    from ..gitdiff import GitError, repo_root, resolve_ref
    from ..tokens import TokenizerUnavailable
    from .diff import OptimizeOptions, diff_refs
    from .links import source_links
    from .render import diff_json, diff_markdown, diff_text
    from .verified import FAILED

    if (max_drop is not None or no_lingua) and not optimize:
        _fail("--max-drop and --no-lingua go with --optimize")
    options = None
    if optimize:  # the eval's modules load only when asked: plain `diff` stays light
        from ..evaluation.compare import DEFAULT_MAX_DROP

        options = OptimizeOptions(DEFAULT_MAX_DROP if max_drop is None else max_drop, not no_lingua)
    settings = _settings(Path.cwd(), config_file, model)
    try:
        report = diff_refs(base, head, settings, verify=verify, optimize=options)
        head_commit = resolve_ref(head, repo_root()) if head else None
    except (GitError, TokenizerUnavailable, ValueError) as exc:  # ValueError: a rule option of the wrong type
        _fail(str(exc))
    report.link = source_links(os.environ, head_commit)
    report.config_arg = str(config_file) if config_file else None
    for change in report.errors:
        click.echo(f"promptopt: error: {change.path}: {change.error}", err=True)
    failed_evals = [v for v in report.verifications if v.status == FAILED]
    failed_evals += [o for o in report.optimizations if o.status == "error"]
    for check in failed_evals:
        click.echo(f"promptopt: error: {check.path}: eval {check.suite}: {check.reason}", err=True)
    baseline = baseline or settings.config.baseline
    if baseline is not None:  # accepted findings are not "introduced" (promptopt/baseline.py)
        from ..baseline import load, new_findings

        try:
            accepted = load(baseline)
        except (OSError, ValueError) as exc:
            _fail(f"baseline {baseline}: {exc}")
        for change in report.changes:
            change.introduced = new_findings(baseline, change.introduced, accepted)
    if min_change is not None and not report.errors:
        size = min_change.measure(report)
        if size is None or abs(size) < min_change.amount:
            sys.exit(0)
    if min_saving is not None:
        size = min_saving.measure_offer(report)
        report.show_offer = size is not None and size >= min_saving.amount
    render = {"text": diff_text, "json": diff_json, "markdown": diff_markdown}[fmt]
    _emit(render(report), output_file)
    if report.errors or failed_evals:
        sys.exit(2)
    if fail_on_increase is not None:
        rise = fail_on_increase.measure(report)
        if rise is not None and rise > fail_on_increase.amount:
            unit = "%" if fail_on_increase.percent else " $/month"
            click.echo(
                f"promptopt: monthly cost rose by {rise:,.2f}{unit}, more than the allowed "
                f"{fail_on_increase.amount:g}{unit}",
                err=True,
            )
            sys.exit(1)
    sys.exit(0)
