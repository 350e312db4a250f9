"""The rule registry: Python analyzers (one module per rule in `promptopt/analyzers/`, docs in the
module docstring, as in yamllint) and data rules (`rules/*.yaml`, check types as in Vale)."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core import PromptDocument, Severity

Check = Callable[[PromptDocument, "Any"], Iterable["Any"]]


@dataclass
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str  # one line: what it flags
    docs: str  # what it flags, why it costs, a bad and a good example
    check: Check
    options: dict[str, Any] = field(default_factory=dict)  # defaults; config may override
    source: str = ""  # where the rule lives, for `promptopt rules CODE`
    fixable: str = ""  # "", "safe", "unsafe", or "safe/unsafe"
    # "document": run on each prompt; "file": run once on the whole file's text (secrets live
    # anywhere in a prompt file: front matter, config values, comments)
    scope: str = "document"
    # on unless the config's `select` says otherwise (as ruff's default set); pedantic and imprecise
    # rules are opt-in: `extend-select = ["PO401"]` or `select = ["ALL"]`
    default: bool = True
    # "waste": the finding is worth its fix's saving, so findings under `min-tokens` are grouped;
    # "risk": a defect or a danger to the output, reported whatever it saves;
    # "output": waste in the answer's tokens, which no fix of the prompt measures: reported as a risk is
    kind: str = "waste"
    # what a prompt's text must hold for the rule to fire at all (`promptopt.gates`); None: always run
    gate: Any = None

    def resolve_options(self, configured: dict[str, Any] | None) -> dict[str, Any]:
        options = dict(self.options)
        for key, value in (configured or {}).items():
            if key not in options:
                known = ", ".join(sorted(options)) or "none"
                raise ValueError(f"rule {self.code} has no option {key!r} (options: {known})")
            options[key] = _checked_option(self.code, key, options[key], value)
        return options


def _checked_option(code: str, key: str, default: Any, value: Any) -> Any:
    """A configured option of the default's type: a count stays a whole number 0 or more, a ratio a
    finite number (`max-examples = -3` or `"six"` is a config error, not a crash in the rule)."""
    import math

    where = f"rule {code} option {key!r}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false, got {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where} must be a whole number, 0 or more, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{where} must be a finite number, 0 or more, got {value!r}")
    elif isinstance(default, str) and not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {value!r}")
    elif isinstance(default, (list, tuple)) and not isinstance(value, (list, tuple)):
        raise ValueError(f"{where} must be a list, got {value!r}")
    return value


def rule_file(rule: Rule) -> Path:
    """The file that defines a rule, on this machine (`Rule.source` is relative to the folder holding
    `promptopt/`: a checkout's root, or site-packages)."""
    return Path(__file__).resolve().parent.parent / rule.source


def builtin_rules_dir() -> Path:
    """`rules/` in a checkout; `promptopt/_builtin_rules` in an installed wheel."""
    here = Path(__file__).resolve().parent
    packaged = here / "_builtin_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


@functools.lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    from . import analyzers
    from .datarules import load_rule_files

    rules: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(analyzers.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{analyzers.__name__}.{info.name}")
        rule = rule_from_module(module)
        _add(rules, rule)
    for rule in load_rule_files(builtin_rules_dir()):
        _add(rules, rule)
    return dict(sorted(rules.items()))


def _add(rules: dict[str, Rule], rule: Rule) -> None:
    if rule.code in rules:
        raise RuntimeError(f"rule code {rule.code} defined twice: {rules[rule.code].source} and {rule.source}")
    rules[rule.code] = rule


def rule_from_module(module) -> Rule:
    doc = (module.__doc__ or "").strip()
    summary = doc.splitlines()[0] if doc else ""
    return Rule(
        code=module.CODE,
        name=module.NAME,
        severity=module.SEVERITY,
        summary=summary,
        docs=doc,
        check=module.check,
        options=dict(getattr(module, "OPTIONS", {})),
        source=f"promptopt/analyzers/{module.__name__.rsplit('.', 1)[-1]}.py",
        fixable=getattr(module, "FIXABLE", ""),
        scope=getattr(module, "SCOPE", "document"),
        default=getattr(module, "DEFAULT", True),
        kind=getattr(module, "KIND", kind_of(module.CODE)),
        gate=getattr(module, "GATE", None),
    )


def kind_of(code: str) -> str:
    """PO1xx-PO4xx are about tokens wasted; contradictions, variables, security, clarity are risks."""
    return "waste" if code[:3] in ("PO1", "PO2", "PO3", "PO4") else "risk"


_defaults_of: tuple[dict[str, Rule], frozenset[str]] | None = None


def default_codes() -> frozenset[str]:
    # asked once per rule and prompt (`Config.is_selected`): computed once per registry
    global _defaults_of
    rules = all_rules()
    if _defaults_of is None or _defaults_of[0] is not rules:
        _defaults_of = (rules, frozenset(code for code, rule in rules.items() if rule.default))
    return _defaults_of[1]


def known_rules() -> tuple[frozenset[str], frozenset[str]]:
    """(codes, names) of every rule, for checking a config. Kept as JSON in the user's cache, keyed by
    the fingerprint of promptopt's code and rule files (as the result cache), so a run whose results
    are all cached does not import the rules only to check the config."""
    import json

    from .cache import code_fingerprint
    from .tokens import _write_quietly, rank_cache_dir

    memo = rank_cache_dir().parent / "rules" / f"known-{code_fingerprint()}.json"
    try:
        codes, names = json.loads(memo.read_bytes())
        return frozenset(codes), frozenset(names)
    except (OSError, ValueError, TypeError):
        pass
    rules = all_rules()
    codes, names = sorted(rules), sorted(rule.name for rule in rules.values())
    _write_quietly(memo, json.dumps([codes, names]).encode())
    return frozenset(codes), frozenset(names)


def get_rule(code: str) -> Rule | None:
    code = code.upper()
    rules = all_rules()
    if code in rules:
        return rules[code]
    return next((r for r in rules.values() if r.name == code.lower()), None)
