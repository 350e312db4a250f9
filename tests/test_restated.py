"""PO102 (one instruction restated in other words): wordllama loads only when the rule is selected, and
the rule's documented bad example gives its finding (it is opt-in, so the default-set test skips it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from promptopt.config import Config
from promptopt.engine import Auditor
from promptopt.registry import all_rules
from tests.test_rule_docs_examples import documented_bad_example

PROBE = """
import json, runpy, sys
sys.argv = ["promptopt", *json.loads(sys.argv[1])]
try:
    runpy.run_module("promptopt", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"wordllama", "numpy"})))
"""


def loaded_after(args: list[str], cwd) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=cwd, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_default_audit_never_loads_the_similarity_model(tmp_path):
    (tmp_path / "a.md").write_text("Always answer in English.\nAnswer in English, always.\n", encoding="utf-8")
    assert loaded_after(["audit", "a.md"], tmp_path) == []
    assert loaded_after(["audit", "--fix", "a.md"], tmp_path) == []


def test_selecting_the_rule_loads_wordllama(tmp_path):
    pytest.importorskip("wordllama")
    (tmp_path / "a.md").write_text("Always answer in English.\nQuote the invoice number.\n", encoding="utf-8")
    assert "wordllama" in loaded_after(["audit", "--select", "PO102", "a.md"], tmp_path)


def test_documented_bad_example_gives_one_finding_with_a_saving():
    pytest.importorskip("wordllama")
    name, text = documented_bad_example(all_rules()["PO102"].docs)
    result = Auditor(Config(select=["PO102"])).audit_source(Path(name), text)
    found = [f for f in result.findings if f.code == "PO102"]
    assert len(found) == 1, [f.message for f in result.findings]
    assert found[0].tokens_saved > 0 and found[0].fix is not None
    assert found[0].fix.applicability.value == "unsafe"


def test_documented_fix_gives_the_good_example(tmp_path):
    pytest.importorskip("wordllama")
    import re
    import textwrap

    from promptopt.fixes import fix_to_fixed_point

    docs = all_rules()["PO102"].docs
    _, bad = documented_bad_example(docs)
    good = textwrap.dedent(re.search(r"^Good:\n\n((?:    .*\n|\n)+)", docs + "\n", re.M).group(1)).strip("\n") + "\n"
    auditor = Auditor(Config(select=["PO102"], min_tokens=0))
    outcome = fix_to_fixed_point(tmp_path / "p.md", bad, lambda p, t: auditor.audit_source(p, t).findings,
                                 unsafe=True)
    assert outcome.text == good
