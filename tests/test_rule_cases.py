"""Every rule's cases, from tests/rules/<CODE>.yaml (sqlfluff style), run by one parametrized test.

A case has `fail` (text that must raise the rule; `count` pins how many findings) or `pass` (text
that must not), an optional `file` name (its suffix picks the loader; default prompt.md), optional
`options` for the rule, an optional `message` (a text some finding's message holds), an optional
`min-tokens` (default 0 here: a case tests the rule's logic, and
the value floor has cases of its own), and for fixable rules an optional `fix`: the text after this rule's fixes
(safe and unsafe) are applied to a fixed point, and an optional `safe-fix`: the text after its safe fixes
only (what `--fix` and `compress` do; a fix that would break its sentence is not among them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from promptopt.config import Config
from promptopt.engine import Auditor
from promptopt.fixes import fix_to_fixed_point
from promptopt.registry import all_rules

CASES_DIR = Path(__file__).parent / "rules"


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, case in enumerate(spec["cases"]):
            yield pytest.param(spec["rule"], case, id=f"{spec['rule']}-{index}-{case.get('name', '')}")


def _auditor(code: str, options: dict | None, min_tokens: int = 0) -> Auditor:
    config = Config(select=[code], rule_options={code: options} if options else {}, min_tokens=min_tokens)
    return Auditor(config)


@pytest.mark.parametrize(("code", "case"), list(_cases()))
def test_rule_case(code, case, tmp_path):
    auditor = _auditor(code, case.get("options"), case.get("min-tokens", 0))
    path = tmp_path / case.get("file", "prompt.md")
    text = case.get("fail", case.get("pass"))
    assert text is not None, "a case needs `fail` or `pass`"
    result = auditor.audit_source(path, text)
    assert result.error is None, result.error
    found = [f for f in result.findings if f.code == code]
    if "pass" in case:
        assert found == [], [f.message for f in found]
        return
    assert found, f"{code} found nothing in:\n{text}"
    if "count" in case:
        assert len(found) == case["count"], [f.message for f in found]
    if "message" in case:  # the message names what is wrong
        assert any(case["message"] in f.message for f in found), [f.message for f in found]
    if "fix" in case:
        outcome = fix_to_fixed_point(path, text, lambda p, t: auditor.audit_source(p, t).findings, unsafe=True)
        assert outcome.text == case["fix"]
        again = fix_to_fixed_point(path, outcome.text, lambda p, t: auditor.audit_source(p, t).findings, unsafe=True)
        assert again.text == outcome.text, "a second fix changed the text again"
    if "safe-fix" in case:
        outcome = fix_to_fixed_point(path, text, lambda p, t: auditor.audit_source(p, t).findings)
        assert outcome.text == case["safe-fix"]


def test_every_rule_has_docs_and_cases():
    covered = {p.stem for p in CASES_DIR.glob("*.yaml")}
    for code, rule in all_rules().items():
        assert rule.summary and len(rule.docs) > 80, f"{code} needs docs: what, why it costs, bad and good"
        assert "bad" in rule.docs.lower() and "good" in rule.docs.lower(), f"{code} docs need a bad and a good example"
        assert code in covered, f"{code} has no tests/rules/{code}.yaml"
        spec = yaml.safe_load((CASES_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
        kinds = {"fail" if "fail" in c else "pass" for c in spec["cases"]}
        assert kinds == {"fail", "pass"}, f"{code} needs failing and passing cases"
