"""The `promptopt` command's entry: the pre-commit hook's plain command line without click.

`promptopt audit [--force-exclude] [--no-cache] [--exit-zero] [--no-color] FILE...` (what the hook
runs, plus the flags that take no value) is audited here with the text report, as `promptopt.cli`'s
`audit` does it: importing click and building its 30 options is a tenth of a cold two-file hook run.
Anything else (another command or option, a config with a baseline or a usage volume, an error to
report) goes to the click command line in `promptopt.cli`, which does the whole job.
tests/test_quick_entry.py holds the two equal, byte for byte, on the same command lines.
"""

from __future__ import annotations

import os
import sys

# flag -> the audit parameter it sets; every other argument starting with "-" goes to click
FLAGS = {"--force-exclude": "force_exclude", "--no-cache": "no_cache", "--exit-zero": "exit_zero",
         "--no-color": "no_color"}


class _Fallback(Exception):
    """Something the click command line handles (an error message, a baseline): nothing printed yet."""


def main() -> None:
    if os.environ.get("PROMPTOPT_NO_QUICK") != "1":
        plan = _plain_audit(sys.argv[1:])
        if plan is not None:
            try:
                _audit(*plan)
            except _Fallback:
                pass
            except KeyboardInterrupt:  # as click's main
                _echo("", err=True)
                _echo("Aborted!", err=True)
                sys.exit(1)
    from .cli import main as click_main

    click_main()


def _plain_audit(args: list[str]) -> tuple[list[str], set[str]] | None:
    """(paths, flags) of `audit` with only the flags above, else None."""
    if not args or args[0] != "audit":
        return None
    paths, flags = [], set()
    for arg in args[1:]:
        if arg in FLAGS:
            flags.add(FLAGS[arg])
        elif arg.startswith("-") or not arg:
            return None
        else:
            paths.append(arg)
    return paths, flags


def _utf8(stream) -> bool:
    encoding = getattr(stream, "encoding", None) or ""
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _audit(names: list[str], flags: set[str]) -> None:
    from pathlib import Path

    from .config import ConfigError, load_config

    if not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        raise _Fallback  # click re-encodes for a terminal that is not UTF-8
    paths = [Path(name) for name in names] or [Path(".")]
    try:
        config = load_config(paths[0], {"model": None, "fail-on": None})
    except ConfigError:
        raise _Fallback from None  # click's path says it (exit 2)
    if config.baseline or config.raw.get("usage"):
        raise _Fallback
    config.force_exclude = config.force_exclude or "force_exclude" in flags
    from .engine import audit_paths

    cache = None
    try:
        if "no_cache" not in flags:
            from .cache import ResultCache

            cache = ResultCache(config)
        result = audit_paths(paths, config, cache=cache, keep_documents=False)  # as promptopt.cli
    except Exception:
        raise _Fallback from None  # the click path runs again and reports it (one line, exit 2)
    _report(result, config, "no_color" in flags)
    code = result.exit_code
    sys.exit(0 if "exit_zero" in flags and code == 1 else code)


def _report(result, config, no_color: bool) -> None:
    from . import __version__
    from .core import printable
    from .reporters import audit_options, render

    if not result.files and not config.force_exclude:
        _echo("promptopt: warning: no prompt files found (`promptopt audit --show-files --verbose` "
              "says why each file was skipped)", err=True)
    for bad in result.errors:
        _echo(f"promptopt: error: {printable(bad.path)}: {bad.error}", err=True)
    color = not no_color and sys.stdout.isatty()
    options = audit_options(config.model, __version__, color=color, token_map="auto", requests_per_month=None,
                            errors_on_stderr=True)
    text = render("text", result, options)
    _echo(text, nl=not text.endswith("\n"))


def _echo(message: str, err: bool = False, nl: bool = True) -> None:
    """click.echo for text: escape sequences are stripped when the stream is not a terminal."""
    stream = sys.stderr if err else sys.stdout
    if nl:
        message += "\n"
    if message and "\x1b" in message and not stream.isatty():
        from .lazyre import lazy_compile

        message = lazy_compile(r"\033\[[;?0-9]*[a-zA-Z]").sub("", message)
    try:
        stream.write(message)
        stream.flush()
    except BrokenPipeError:  # `promptopt audit | head`: as click, quiet, exit 1
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        sys.exit(1)
