"""Every default-on rule's documented bad example (the `Bad:` block of its docs, what `promptopt rules
CODE` shows) produces its finding at default settings: the value floor, the default options and the
default selection included, so a user who pastes the example sees what the docs promise.

`Bad (name.ext):` names the file the example is (its suffix picks the loader; any other words in the
parentheses are a note for the reader; "with token-budget = N in the config" is the one setting a
rule's example may need, and the test sets it). A line ending in
`(× N)` stands for that line written N times (a long transcript, a prompt over its token budget)."""

from __future__ import annotations

import re
import textwrap

import pytest

from promptopt.config import Config
from promptopt.engine import Auditor
from promptopt.registry import all_rules

_BAD = re.compile(r"^Bad(?: \(([^)]*)\))?:[ \t]*\n((?:[ \t]*\n)*(?:(?: {4}|\t).*\n|[ \t]*\n)+)", re.M)
_REPEAT = re.compile(r"^(.*?)\s*\(× (\d+)\)$")


def documented_bad_example(docs: str) -> tuple[str, str] | None:
    """(file name, text) of the docs' indented `Bad:` block, or None when the docs have none."""
    m = _BAD.search(docs + "\n")
    if not m:
        return None
    lines = []
    for line in textwrap.dedent(m.group(2)).strip("\n").split("\n"):
        repeat = _REPEAT.match(line)
        lines.extend([repeat.group(1)] * int(repeat.group(2)) if repeat else [line])
    named = m.group(1) if m.group(1) and re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", m.group(1)) else None
    return named or "prompt.md", "\n".join(lines) + "\n"


DEFAULT_RULES = sorted(code for code, rule in all_rules().items() if rule.default)


@pytest.mark.parametrize("code", DEFAULT_RULES)
def test_documented_bad_example_is_found_at_default_settings(code, tmp_path):
    rule = all_rules()[code]
    example = documented_bad_example(rule.docs)
    assert example is not None, f"{code}: the docs need an indented `Bad:` example a user can paste"
    name, text = example
    config = Config()
    setting = re.search(r"with token-budget = (\d+) in the config", rule.docs)  # a rule that needs a setting
    if setting:
        config.token_budget = int(setting.group(1))
    result = Auditor(config).audit_source(tmp_path / name, text)
    assert result.error is None, result.error
    assert any(f.code == code for f in result.findings), (
        f"{code}'s documented bad example gives no {code} finding at default settings; found "
        f"{[(f.code, f.message) for f in result.findings]}")


# rules moved out of the default set after judging (docs/precision.md): opt-in, yet their docs still hold
MOVED_OUT = ["PO101", "PO102", "PO103", "PO105", "PO203", "PO204", "PO205", "PO207", "PO303", "PO305", "PO306", "PO503",
             "PO504", "PO603", "PO608", "PO703", "PO708", "PO803"]


@pytest.mark.parametrize("code", MOVED_OUT)
def test_documented_bad_example_of_an_opt_in_rule_is_found_when_selected(code, tmp_path):
    """A rule moved out of the default set after held-out judging still does what its docs say when a
    user selects it (`extend-select`)."""
    rule = all_rules()[code]
    assert not rule.default, f"{code} is on by default again: drop it from MOVED_OUT"
    example = documented_bad_example(rule.docs)
    assert example is not None, f"{code}: the docs need an indented `Bad:` example a user can paste"
    name, text = example
    config = Config()
    config.select = ["DEFAULT", code]
    result = Auditor(config).audit_source(tmp_path / name, text)
    assert result.error is None, result.error
    assert any(f.code == code for f in result.findings), (
        f"{code}'s documented bad example gives no {code} finding when selected; found "
        f"{[(f.code, f.message) for f in result.findings]}")
