"""The command line. It only wires commands to the stages; nothing downstream imports it.

Exit codes, as in ruff: 0 nothing at the failing level, 1 findings (or changes with --diff),
2 promptopt could not do its job (bad config, unreadable file, bad input).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, load_config

FORMATS = ["text", "concise", "json", "github", "sarif"]


def fail(message: str) -> None:
    """One clear line on stderr, exit 2."""
    click.echo(f"promptopt: error: {message}", err=True)
    sys.exit(2)


class LazyGroup(click.Group):
    """Commands that live in other modules load only when named (or listed by --help): a cold
    `promptopt audit` does not import the eval, compress and cost stacks (~0.3 s)."""

    lazy_commands = {
        "cost": ("promptopt.cost.cli", "cost_command"),  # cost and diff: promptopt/cost/cli.py
        "diff": ("promptopt.cost.cli", "diff_command"),
        "compress": ("promptopt.compressors.cli", "compress_command"),
        "eval": ("promptopt.evaluation.cli", "eval_command"),  # litellm only when it runs
        "optimize": ("promptopt.optimize.cli", "optimize_command"),
        "setup": ("promptopt.setup", "setup_command"),
    }

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx, name):
        if name in self.lazy_commands and name not in self.commands:
            import importlib

            module, attr = self.lazy_commands[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promptopt")
def main() -> None:
    """Find and remove token waste in LLM prompts, prove quality held, see the saving in dollars.

    \b
    promptopt audit prompts/            lint prompt files: findings, tokens, tokens saved
    promptopt audit . --show-files -v   which files are prompts, and why
    promptopt audit prompts/ --fix      apply safe fixes (and --unsafe-fixes)
    promptopt compress prompts/ --diff  rewrite prompts (rules or LLMLingua), guard-checked
    promptopt cost prompts/             projected $ per request and per month
    promptopt diff --base main          cost and findings, base vs head (PR comment)
    promptopt eval suite.yaml           did quality hold? original vs rewritten prompt
    promptopt optimize p.txt --suite s  every lever tried, kept if the eval shows it holds
    promptopt rules [CODE]              list rules, or show one rule's docs
    promptopt setup                     install torch, the local model, LLMLingua (eval, compress)
    """


def _config(paths: tuple[Path, ...], config_file: Path | None, **overrides):
    start = paths[0] if paths else Path.cwd()
    try:
        return load_config(start, overrides, config_file)
    except ConfigError as exc:
        fail(str(exc))


@main.command()
# readable=False: an unreadable file is reported by the audit (one line, the others still audited)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("--model", help="Model whose tokenizer (and price) applies; overrides the config.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this config file instead of the closest one.")
@click.option("--select", help="Comma-separated rule codes or prefixes to run (overrides config).")
@click.option("--extend-select", help="Comma-separated codes or prefixes to run besides the selected ones.")
@click.option("--ignore", help="Comma-separated rule codes or prefixes to skip (overrides config).")
@click.option("--min-tokens", type=click.IntRange(min=0),
              help="Group or drop waste findings whose fix saves fewer tokens (default 10; 0: report all).")
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="Apply unsafe fixes too (with --fix or --diff).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--fail-on", type=click.Choice(["info", "warning", "error"]),
              help="Lowest severity that fails the run (default: info, any finding).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--baseline", type=click.Path(path_type=Path), help="Report only findings not in this baseline.")
@click.option("--write-baseline", type=click.Path(path_type=Path), help="Record today's findings as the baseline.")
@click.option("--no-color", is_flag=True, help="Plain text output.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@click.option("--force-exclude", is_flag=True,
              help="Apply `exclude` to files named on the command line too (for pre-commit).")
@click.option("--max-growth", metavar="TOKENS|PERCENT",
              help="Exit 1 when a prompt grew by more than this since git's HEAD (200, or 10%).")
@click.option("--show-files", is_flag=True,
              help="List the files that would be audited, and audit nothing (with --verbose: why each "
                   "file is audited or skipped).")
@click.option("-v", "--verbose", is_flag=True, help="With --show-files: the reason for every file.")
@click.option("--token-map", "token_map", type=click.Choice(["auto", "all", "off"]), default="auto",
              show_default=True,
              help="Where each prompt's tokens go, by section, in the text report: the 3 largest sections of "
                   "files of 1,000 tokens or more (auto), every section of files with two or more (all), or none.")
@click.option("--no-cache", is_flag=True,
              help="Audit every file again: neither read nor write the result cache (`cache-dir` in the "
                   "config, default .promptopt_cache; $PROMPTOPT_CACHE_DIR overrides).")
def audit(paths, fmt, model, config_file, select, extend_select, ignore, min_tokens, fix, unsafe_fixes, show_diff,
          fail_on, exit_zero, baseline, write_baseline, no_color, output_file, force_exclude, max_growth,
          show_files, verbose, token_map, no_cache):
    """Lint prompt files for token waste; exit 1 when something at the failing level is found.

    With no PATHS, the current folder. In a folder, the files that are prompts are audited: prompt
    formats, minus what git ignores, `exclude`, and files known not to be prompts (READMEs, docs/,
    tests/, CI and package files); YAML and JSON only when their shape says prompt. `--show-files
    --verbose` says why for each file; `include`/`extend-include` in the config change the choice.

    Results of unchanged files come from a cache (as ruff's): `.promptopt_cache` beside the config,
    or `cache-dir` in it; `--no-cache` audits everything afresh.
    """
    from .engine import audit_paths

    paths = paths or (Path("."),)
    config = _config(paths, config_file, model=model, **{"fail-on": fail_on})
    config.force_exclude = config.force_exclude or force_exclude
    if show_files:
        _show_files(paths, config, verbose)
    if select:
        config.select = [c.strip().upper() for c in select.split(",") if c.strip()]
    if extend_select:
        config.select += [c.strip().upper() for c in extend_select.split(",") if c.strip()]
    if ignore:
        config.ignore = [c.strip().upper() for c in ignore.split(",") if c.strip()]
    if select or extend_select or ignore:  # a typo in --select is an error, as in the config (and ruff)
        from .config import check_rule_names

        try:
            check_rule_names(config)
        except ValueError as exc:
            fail(str(exc))
    if min_tokens is not None:
        config.min_tokens = min_tokens
    try:
        write_failures: list[str] = []
        if fix or show_diff:
            changed = _apply_fixes(paths, config, unsafe_fixes, show_diff, write_failures)
            if show_diff:
                sys.exit(1 if changed else 0)
        cache = None
        if not no_cache:
            from .cache import ResultCache

            cache = ResultCache(config)
        result = audit_paths(list(paths), config, cache=cache, keep_documents=False)  # the report reads none
    except Exception as exc:  # a bug or an environment problem: still one line, still exit 2
        from .tokens import TokenizerUnavailable

        if isinstance(exc, BrokenPipeError):  # `promptopt audit --diff | head`: the reader has gone
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        if isinstance(exc, (TokenizerUnavailable, ValueError, OSError)):
            fail(str(exc))
        raise
    if not result.files and not config.force_exclude:  # the hooks pass files that are not prompts: quiet
        click.echo("promptopt: warning: no prompt files found (`promptopt audit --show-files --verbose` "
                   "says why each file was skipped)", err=True)
    _apply_baseline(result, config, baseline, write_baseline)
    from .core import printable

    for bad in result.errors:
        click.echo(f"promptopt: error: {printable(bad.path)}: {bad.error}", err=True)
    _emit(result, fmt, config.model, no_color, output_file, token_map, _monthly_volume(config))
    code = 2 if write_failures else result.exit_code
    if max_growth:
        from .cost.growth import check_growth

        code = max(code, check_growth(result, config, max_growth))
    sys.exit(0 if exit_zero and code == 1 else code)


def _show_files(paths, config, verbose: bool) -> None:
    """As `ruff check --show-files`: the files, one a line; with --verbose, the decision and its reason."""
    from .discovery import decide

    broken = False
    for decision in decide(paths, config, skipped=verbose):
        broken = broken or decision.error is not None
        if not verbose:
            click.echo(str(decision.path))
        elif decision.error:
            click.echo(f"audit {decision.path}: error: {decision.error}")
        else:
            click.echo(f"{'audit' if decision.audit else 'skip '} {decision.path}: {decision.reason}")
    sys.exit(2 if broken else 0)


def _apply_baseline(result, config, baseline: Path | None, write_baseline: Path | None) -> None:
    if not (baseline or write_baseline or config.baseline):
        return
    try:
        from .baseline import filter_new, write
    except ImportError:
        fail("baselines are not available in this build")
    if write_baseline:
        count = write(write_baseline, result.findings)
        click.echo(f"promptopt: wrote {count} findings to {write_baseline}", err=True)
        for file in result.files:
            file.findings = []
        result.suppressed = count
        return
    path = baseline or config.baseline
    try:
        filter_new(path, result)
    except (OSError, ValueError) as exc:
        fail(f"baseline {path}: {exc}")


def _emit(result, fmt: str, model: str, no_color: bool, output_file: Path | None, token_map: str = "auto",
          volume=None) -> None:
    from .reporters import audit_options, render

    color = fmt == "text" and not no_color and output_file is None and sys.stdout.isatty()
    # audit has printed the errors on stderr: a report on the terminal says each once
    on_stderr = fmt in ("text", "concise") and output_file is None
    options = audit_options(model, __version__, color=color, token_map=token_map, requests_per_month=volume,
                            errors_on_stderr=on_stderr)
    text = render(fmt, result, options)
    if output_file:
        from .atomic import write_report

        try:
            write_report(output_file, text)
        except OSError as exc:  # a missing folder, a full disk: one line, exit 2, no half-written report
            fail(f"{output_file}: cannot write the report: {exc.strerror or exc}")
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _monthly_volume(config):
    """Requests per month of a file at the configured volume (`[tool.promptopt.usage]`, as `promptopt
    cost` reads it), for the token map's $/month; None when no volume is configured."""
    if not config.raw.get("usage"):
        return None
    from .cost.projection import relative_to
    from .cost.usage import UsageConfigError, parse_usage

    try:
        usage = parse_usage(config.raw.get("usage"))
    except UsageConfigError as exc:
        fail(f"[tool.promptopt.usage]: {exc}")
    return lambda path: usage.for_path(relative_to(Path(path), config.root), config.model).requests_per_month


def _apply_fixes(paths, config, unsafe: bool, show_diff: bool, failures: list[str] | None = None) -> bool:
    """Fix every file to a fixed point; write atomically, or print the diff. True if anything changed.
    A file that cannot be written is reported (one line, in `failures`) and the others are still fixed."""
    from .atomic import ReadOnlyFile, write_atomic
    from .engine import Auditor, discover
    from .fixes import FixLoopError, fix_to_fixed_point, guarded_accept
    from .loaders import read_text

    auditor = Auditor(config)
    changed = False
    fixed = 0
    for entry in discover(paths, config):
        if isinstance(entry, tuple):
            continue  # reported by the audit that follows
        try:
            source = read_text(entry, config.max_file_size)
        except Exception:
            continue
        try:
            outcome = fix_to_fixed_point(entry, source, lambda p, t: auditor.audit_source(p, t).findings,
                                         unsafe=unsafe, accept=guarded_accept(entry, source))
        except FixLoopError as exc:
            _skip(failures, str(exc))
            continue
        for finding, reason in outcome.rejected:
            click.echo(f"{entry}:{finding.location.line}: {finding.code} fix rejected by the guard: {reason}",
                       err=True)
        if outcome.text == source:
            continue
        changed = True
        if show_diff:
            import difflib

            from .core import printable
            from .redact import redact_pair

            shown_before, shown_after = redact_pair(source, outcome.text)
            diff = difflib.unified_diff(shown_before.splitlines(keepends=True), shown_after.splitlines(keepends=True),
                                        fromfile=printable(entry), tofile=printable(entry))
            click.echo("".join(diff), nl=False)
        else:
            try:
                write_atomic(entry, outcome.text)
            except ReadOnlyFile:
                _skip(failures, f"{entry}: read-only, not fixed ({len(outcome.applied)} fix(es) pending)")
                continue
            except OSError as exc:  # an unwritable folder, a full disk: this file, not the run
                _skip(failures, f"{entry}: cannot write the fixes: {exc.strerror or exc}")
                continue
            fixed += len(outcome.applied)
    if not show_diff and fixed:
        click.echo(f"promptopt: fixed {fixed} finding(s)", err=True)
    return changed


def _skip(failures: list[str] | None, message: str) -> None:
    click.echo(f"promptopt: error: {message}", err=True)
    if failures is not None:
        failures.append(message)


@main.command()
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(code, fmt):
    """List the rules, or print one rule's docs (by code or name)."""
    import json

    from .registry import all_rules, get_rule

    if code:
        rule = get_rule(code)
        if rule is None:
            fail(f"no rule {code!r}; `promptopt rules` lists them")
        if fmt == "json":
            click.echo(json.dumps(_rule_json(rule), indent=2))
            return
        fixable = f" ({rule.fixable} fix)" if rule.fixable else ""
        selected = "on by default" if rule.default else "opt-in: extend-select = [\"" + rule.code + "\"]"
        click.echo(f"{rule.code} {rule.name} [{rule.severity}]{fixable} ({selected})\n")
        click.echo(rule.docs)
        if rule.options:
            click.echo("\nOptions (config: [tool.promptopt.rules." + rule.code + "]):")
            for key, value in rule.options.items():
                click.echo(f"    {key} = {value!r}")
        click.echo(_defined_in(rule))
        return
    listing = list(all_rules().values())
    if fmt == "json":
        click.echo(json.dumps([_rule_json(r) for r in listing], indent=2))
        return
    for rule in listing:
        fix = {"safe": "*", "unsafe": "~", "": " "}.get(rule.fixable, "*")
        on = " " if rule.default else "-"
        click.echo(f"{rule.code} {fix}{on} {rule.name:<34} {str(rule.severity):<8} {rule.summary}")
    click.echo("\n* safe fix (--fix)   ~ unsafe fix (--unsafe-fixes)   - opt-in: not on by default "
               "(select it with extend-select; docs/precision.md says why)")


def _defined_in(rule) -> str:
    """Where the rule lives, as a path that exists here (relative to the current folder when inside
    it); its YAML test cases only in a checkout, where they are."""
    from .registry import rule_file
    from .reporters.base import display_path

    where = rule_file(rule)
    line = f"\nDefined in {display_path(where, None) if where.exists() else rule.source}"
    cases = where.parents[len(Path(rule.source).parts) - 1] / "tests" / "rules" / f"{rule.code}.yaml"
    return line + (f"; test cases in {display_path(cases, None)}" if cases.exists() else "")


def _rule_json(rule) -> dict:
    return {"code": rule.code, "name": rule.name, "severity": str(rule.severity), "summary": rule.summary,
            "docs": rule.docs, "options": rule.options, "fixable": rule.fixable or None, "source": rule.source,
            "default": rule.default}

__all__ = ["main", "fail"]
