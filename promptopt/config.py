"""Configuration: `promptopt.toml`, or `[tool.promptopt]` in `pyproject.toml`; the closest file wins.

Keys (kebab-case, as in ruff):
  model              the model whose tokenizer and price apply (default gpt-4o)
  select, ignore     rule codes or prefixes ("PO1", "PO101", "ALL"); the default, "DEFAULT", is
                     the rules precise enough to be on for everyone (`promptopt rules` marks them)
  extend-select      codes or prefixes added to `select` (opt into PO401 and keep the defaults)
  per-file-ignores   {glob: [codes]}
  exclude            globs of paths not to audit (extend-exclude adds to it)
  include            globs of the files to audit, replacing the default detection of prompt files
                     (see promptopt/discovery.py); extend-include adds globs to the default
  force-exclude      apply `exclude` to files named on the command line too (pre-commit passes
                     file names; default false, as in ruff)
  token-budget       tokens a prompt may have (PO501)
  min-tokens         waste findings whose fix saves fewer tokens are not reported one by one: a
                     rule's small findings in a file are grouped into one when together they
                     reach it (default 10; 0 reports everything)
  fail-on            lowest severity that fails the run: info (default), warning, error
  max-file-size      bytes; larger files are an error (default 10 MB)
  rules              options per rule: [tool.promptopt.rules.PO205] max-examples = 8
  usage, pricing     monthly volume and price overrides (see docs/cost.md)
  baseline           a baseline file of accepted findings (see README)
  eval-suites        {prompt glob: eval suite}: `diff --verify` runs a changed prompt's suite (docs/ci.md)
  cache-dir          where the audit keeps results of unchanged files (default .promptopt_cache
                     beside the config; $PROMPTOPT_CACHE_DIR wins; `audit --no-cache` skips it)
An unknown key or rule option is an error: exit 2.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core import Severity

DEFAULT_MODEL = "gpt-4o"
# Readers judging findings on real prompts called a waste finding that saves under 10 tokens (and
# under 1% of the prompt) too minor to act on (../shared/notes/judging.md).
DEFAULT_MIN_TOKENS = 10
KNOWN_KEYS = {
    "model", "select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude",
    "token-budget", "min-tokens", "fail-on", "max-file-size", "rules", "usage", "pricing", "baseline",
    "force-exclude", "include", "extend-include", "eval-suites", "cache-dir",
}
DEFAULT_EXCLUDE = [".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist",
                   ".promptopt_cache"]


class ConfigError(Exception):
    pass


@dataclass
class Config:
    model: str = DEFAULT_MODEL
    select: list[str] = field(default_factory=lambda: ["DEFAULT"])
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    include: list[str] | None = None  # None: the default detection of prompt files
    extend_include: list[str] = field(default_factory=list)
    force_exclude: bool = False
    token_budget: int | None = None
    min_tokens: int = DEFAULT_MIN_TOKENS
    fail_on: Severity = Severity.INFO
    max_file_size: int = 10 * 1024 * 1024
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    baseline: Path | None = None
    cache_dir: str | None = None  # `cache-dir`, relative to `root` (promptopt/cache.py)
    raw: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # the file it came from
    root: Path = field(default_factory=Path.cwd)  # paths in the config are relative to this

    def is_selected(self, code: str, path: Path | None = None) -> bool:
        def matches(prefixes: list[str]) -> bool:
            return any(p == "ALL" or code.startswith(p) or (p == "DEFAULT" and code in _defaults())
                       for p in prefixes)

        if not matches(self.select) or matches(self.ignore):
            return False
        if path is not None and self.per_file_ignores:
            rel = _relative(path, self.root)
            for pattern, codes in self.per_file_ignores.items():
                if _glob_match(rel, pattern) and matches(codes):
                    return False
        return True


def _relative(path: Path, root: Path) -> str:
    # os.path on strings: discovery asks for every file of a tree, and pathlib's parsing was most of
    # an unchanged tree's re-audit
    try:
        resolved = os.path.realpath(path)
    except (OSError, RuntimeError):  # a symlink loop: judge the path by its own name
        resolved = os.path.abspath(path)
    base = str(_resolved_root(root, os.getcwd()))
    if resolved == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    if resolved.startswith(prefix):
        return resolved[len(prefix) :].replace(os.sep, "/")
    return path.as_posix()


@functools.lru_cache(maxsize=32)
def _resolved_root(root: Path, cwd: str) -> Path:
    """The config root, resolved once per run (discovery asks for every file); `cwd` keys a relative root."""
    return root.resolve()


def _glob_match(rel: str, pattern: str) -> bool:
    from fnmatch import fnmatch

    pattern = pattern.rstrip("/")
    return fnmatch(rel, pattern) or fnmatch(rel, pattern + "/*") or fnmatch(Path(rel).name, pattern)


def find_config_file(start: Path) -> tuple[Path, dict] | None:
    try:
        folder = start.resolve()
    except (OSError, RuntimeError):  # a symlink loop named first: its folder still has a config
        folder = start.absolute().parent
    if folder.is_file() or not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        own = candidate / "promptopt.toml"
        if own.is_file():
            return own, _read_toml(own)
        project = candidate / "pyproject.toml"
        if project.is_file():
            tool = _read_toml(project).get("tool", {})
            table = tool.get("promptopt") if isinstance(tool, dict) else None
            if table is not None:
                if not isinstance(table, dict):
                    raise ConfigError(f"{project}: [tool.promptopt] must be a table, got {table!r}")
                return project, table
    return None


def _read_toml(path: Path) -> dict:
    # imported here: a folder with no config file (the hook in many repositories) never parses TOML
    from .bounded import load_toml
    from .core import LoadError

    try:
        return load_toml(path)  # size, nesting and integers bounded, as for prompt files
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except LoadError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_config(start: Path | None = None, overrides: dict[str, Any] | None = None,
                config_file: Path | None = None) -> Config:
    if config_file is not None:
        data = _read_toml(config_file)
        if config_file.name == "pyproject.toml":
            data = data.get("tool", {}).get("promptopt", {})
        found: tuple[Path, dict] | None = (config_file, data)
    else:
        found = find_config_file(start or Path.cwd())
    if found and not isinstance(found[1], dict):
        raise ConfigError(f"{found[0]}: [tool.promptopt] must be a table")
    table = dict(found[1]) if found else {}
    table.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = from_table(table, found[0] if found else None)
    return config


def from_table(table: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "configuration"
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
    config = Config(raw=table, path=path, root=path.parent if path else Path.cwd())
    try:
        config.model = _model(table.get("model", DEFAULT_MODEL))
        config.select = _codes(table.get("select", ["DEFAULT"]), "select") + _codes(table.get("extend-select", []),
                                                                                    "extend-select")
        config.ignore = _codes(table.get("ignore", []), "ignore")
        config.per_file_ignores = {str(k): _codes(v, f"per-file-ignores {k!r}")
                                   for k, v in _table(table.get("per-file-ignores", {}), "per-file-ignores").items()}
        config.exclude = [str(p) for p in table.get("exclude", [])] + [str(p) for p in table.get("extend-exclude", [])]
        if "include" in table:
            config.include = _globs(table["include"], "include")
        config.extend_include = _globs(table.get("extend-include", []), "extend-include")
        config.force_exclude = bool(table.get("force-exclude", False))
        budget = table.get("token-budget")
        config.token_budget = _count(budget, "token-budget") if budget is not None else None
        config.min_tokens = _non_negative_int(table.get("min-tokens", DEFAULT_MIN_TOKENS), "min-tokens")
        config.fail_on = Severity.parse(str(table.get("fail-on", "info")))
        config.max_file_size = _count(table.get("max-file-size", config.max_file_size), "max-file-size")
        options = _table(table.get("rules", {}), "rules")
        config.rule_options = {str(code): dict(_table(opts, f"rules.{code}")) for code, opts in options.items()}
        if table.get("cache-dir") is not None:
            if not isinstance(table["cache-dir"], str) or not table["cache-dir"].strip():
                raise ValueError(f"'cache-dir' must be a folder name, got {table['cache-dir']!r}")
            config.cache_dir = table["cache-dir"]
        if table.get("baseline"):
            config.baseline = config.root / str(table["baseline"])
        check_rule_names(config)
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return config


def for_rewriting(config: Config) -> Config:
    """The config `compress` uses: every rule's fixes, however small, unless the config itself chooses
    (`select`, `min-tokens`). Audit's default set is about what is worth a reader's attention; a
    compression applies every rewrite the guard accepts."""
    if "select" not in config.raw:
        config.select = ["ALL"]
    if "min-tokens" not in config.raw:
        config.min_tokens = 0
    return config


def _non_negative_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'{key}' must be a whole number of 0 or more, got {value!r}")
    return value


def _defaults() -> frozenset[str]:
    from .registry import default_codes

    return default_codes()


def _count(value: Any, key: str) -> int:
    """A whole number above 0 (`token-budget = inf`, `-3` or `"big"` is a config error, not a traceback)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{key} must be a whole number above 0, got {value!r}")
    return value


def _model(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'model' must be a model name (\"gpt-4o\"), got {value!r}")
    return value.strip()


def _table(value: Any, key: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"'{key}' must be a table, got {value!r}")
    return value


def _codes(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of rule codes (\"PO101\", \"PO1\", \"ALL\"), got {value!r}")
    return [v.strip().upper() for v in value]


_ANY_RULE = ("ALL", "DEFAULT")


def check_rule_names(config: Config) -> None:
    """Every code, prefix and `[rules.X]` the config names is a rule's (as ruff: an unknown selector is
    an error, not a silent no-op). Only a config that names a rule asks, and the answer is cached."""
    named = [*config.select, *config.ignore, *(c for codes in config.per_file_ignores.values() for c in codes)]
    named = [code for code in named if code not in _ANY_RULE]
    if not named and not config.rule_options:
        return
    from .registry import known_rules

    codes, names = known_rules()
    for code in named:
        if not any(known.startswith(code) for known in codes):
            raise ValueError(f"unknown rule code or prefix {code!r} (`promptopt rules` lists them)")
    for key in config.rule_options:
        if key not in codes and key not in names:
            raise ValueError(f"[rules.{key}]: no rule {key!r} (`promptopt rules` lists them)")


def _globs(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of glob patterns, got {value!r}")
    return list(value)
