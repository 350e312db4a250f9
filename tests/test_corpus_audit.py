"""`promptopt audit` over the shared corpus of real public prompts (../shared/corpus/prompts): every
file is read, the known waste is found, and each file's token count is tiktoken's own."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from promptopt.config import Config
from promptopt.engine import Auditor

pytestmark = pytest.mark.corpus  # corpus-wide: run with `bash scripts/test.sh -m corpus`

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PROMPTS = CORPUS / "prompts"
PROMPT_SUFFIXES = {".txt", ".md", ".j2", ".prompty", ".chatml", ".json", ".yaml", ".yml", ".py", ".csv"}


def _require_corpus() -> None:
    if not PROMPTS.is_dir():
        pytest.skip(f"shared corpus not found at {PROMPTS}")


def _audit_json(*extra: str) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "promptopt", "audit", str(PROMPTS), "--format", "json", *extra],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="module")
def report() -> dict:
    _require_corpus()
    return _audit_json()[1]


@pytest.fixture(scope="module")
def report_all() -> dict:
    """Every rule, opt-in ones included, and every finding however small."""
    _require_corpus()
    return _audit_json("--select", "ALL", "--min-tokens", "0")[1]


@pytest.fixture(scope="module")
def report_examples() -> dict:
    """The default set with the example rules PO204 and PO205 selected (opt-in after held-out judging)."""
    _require_corpus()
    return _audit_json("--extend-select", "PO204,PO205")[1]


def _file(report: dict, relative: str) -> dict:
    matches = [f for f in report["files"] if Path(f["path"]).resolve() == (PROMPTS / relative).resolve()]
    assert matches, f"{relative} was not audited"
    return matches[0]


def _codes(report: dict, relative: str) -> list[str]:
    return [f["code"] for f in _file(report, relative)["findings"]]


def test_every_prompt_file_is_read(report):
    on_disk = sorted(p.resolve() for p in PROMPTS.rglob("*") if p.suffix in PROMPT_SUFFIXES and p.is_file())
    audited = sorted(Path(f["path"]).resolve() for f in report["files"])
    assert audited == on_disk
    assert [f["path"] for f in report["files"] if f["error"]] == []
    assert report["summary"]["files_with_errors"] == 0


def test_repeated_16_word_bullets_in_extract_wisdom():
    _require_corpus()
    report = _audit_json("--extend-select", "PO103")[1]  # opt-in (held-out precision, docs/precision.md)
    findings = [f for f in _file(report, "fabric/extract_wisdom.md")["findings"] if f["code"].startswith("PO1")]
    parallel = [f for f in findings if f["code"] == "PO103"]
    assert parallel, [f["code"] for f in findings]
    message = parallel[0]["message"]
    assert all(section in message for section in ("IDEAS", "INSIGHTS", "HABITS", "FACTS", "RECOMMENDATIONS"))
    assert parallel[0]["tokens_saved"] > 0
    lines = (PROMPTS / "fabric/extract_wisdom.md").read_text(encoding="utf-8").splitlines()
    assert "16 words" in lines[parallel[0]["line"] - 1], "the finding points at the first of the bullets"


def test_dozens_of_acronym_examples(report_examples):
    entry = _file(report_examples, "sk/WriterPlugin_AcronymGenerator.txt")
    findings = entry["findings"]
    (too_many,) = [f for f in findings if f["code"] == "PO205"]
    count = int(too_many["message"].split()[0])
    assert count >= 20, too_many["message"]
    assert "PO204" in [f["code"] for f in findings], "the file repeats descriptions across examples"
    # the example fixes overlap: the first (PO206, keep the shortest) claims the saving, the others none
    assert entry["tokens_saved"] > entry["tokens"] / 2
    assert too_many["tokens_saved"] == 0 and "overlaps an earlier finding" in too_many["message"]


def test_long_worked_examples_of_prompt_hardest(report, report_all):
    """PO206 is opt-in (readers judged "keep the 3 shortest" wrong for chain-of-thought prompts, whose
    long examples are the design); selected, it measures them."""
    assert "PO206" not in _codes(report, "cot-hub/prompt_hardest.txt")
    (long_examples,) = [f for f in _file(report_all, "cot-hub/prompt_hardest.txt")["findings"]
                        if f["code"] == "PO206"]
    file_tokens = _file(report_all, "cot-hub/prompt_hardest.txt")["tokens"]
    assert long_examples["tokens_saved"] > file_tokens / 3, "keeping the three shortest saves a large share"


def test_long_markdown_output_instructions_of_fabric(report_all):
    """PO301 is opt-in; selected, it points at the heading of an output section, however titled
    ("# OUTPUT INSTRUCTIONS", "# Your Response", "## Output Format")."""
    from promptopt.segment import heading_title

    fabric = [f for f in report_all["files"] if "/fabric/" in f["path"]]
    flagged = [Path(f["path"]).name for f in fabric if any(x["code"] == "PO301" for x in f["findings"])]
    assert "extract_wisdom.md" in flagged
    assert len(flagged) >= 3, flagged
    for f in fabric:
        for x in f["findings"]:
            if x["code"] == "PO301":
                line = Path(f["path"]).read_text(encoding="utf-8").splitlines()[x["line"] - 1]
                assert heading_title(line) is not None, (f["path"], line)  # "# X", "**X**", "X:"
                assert re.search(r"output|response|format|answer|return", line, re.I), (f["path"], line)


def _tiktoken_encoding(name: str):
    """tiktoken loaded directly from litellm's bundled BPE files (no network), not through promptopt."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        assert spec is not None and spec.submodule_search_locations, "litellm ships the BPE files"
        folder = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
        os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    import tiktoken

    return tiktoken.get_encoding(name)


def test_tokens_equal_tiktoken_for_every_file(report):
    from promptopt.loaders import load_file

    assert report["encoding"] == "o200k_base" and report["estimate"] is False  # gpt-4o, the default model
    encoding = _tiktoken_encoding("o200k_base")
    checked = 0
    for entry in report["files"]:
        path = Path(entry["path"])
        expected = sum(len(encoding.encode_ordinary(doc.text)) for doc in load_file(path))
        assert entry["tokens"] == expected, path
        checked += 1
    assert checked == len(list(p for p in PROMPTS.rglob("*") if p.suffix in PROMPT_SUFFIXES))
    # a plain-text prompt is the whole file: its count is the file's own
    whole = PROMPTS / "fabric/extract_wisdom.md"
    assert _file(report, "fabric/extract_wisdom.md")["tokens"] == len(
        encoding.encode_ordinary(whole.read_text(encoding="utf-8")))


def test_cl100k_model_counts_with_cl100k():
    _require_corpus()
    _, report = _audit_json("--model", "gpt-4-turbo")
    assert report["encoding"] == "cl100k_base" and report["estimate"] is False
    encoding = _tiktoken_encoding("cl100k_base")
    text = (PROMPTS / "cot-hub/prompt_hardest.txt").read_text(encoding="utf-8")
    assert _file(report, "cot-hub/prompt_hardest.txt")["tokens"] == len(encoding.encode_ordinary(text))


def test_claude_count_is_marked_as_an_estimate():
    _require_corpus()
    _, report = _audit_json("--model", "claude-3-5-sonnet-20241022")
    assert report["estimate"] is True
    assert report["model"] == "claude-3-5-sonnet-20241022"
    assert report["encoding"] == "o200k_base", "the stand-in encoding is named"


@pytest.mark.parametrize("which", ["default", "all"])
def test_savings_add_up_to_what_applying_the_fixes_removes(which, report_examples, report_all):
    """A file's findings claim exactly what one round of `--fix --unsafe-fixes` removes: the fixes
    applied as the fix path applies them (guard included), the file loaded again, counted by tiktoken.
    For the default rules and for every rule with every finding however small."""
    # "default": the default set with the example rules (PO204, PO205) selected, whose fixes remove tokens
    report = report_examples if which == "default" else report_all
    config = (Config(select=["DEFAULT", "PO204", "PO205"]) if which == "default"
              else Config(select=["ALL"], min_tokens=0))
    from promptopt.fixes import apply_once, guarded_accept
    from promptopt.loaders import load_source

    encoding = _tiktoken_encoding("o200k_base")
    checked = 0
    for entry in report["files"]:
        if not entry["tokens_saved"]:
            continue
        path = Path(entry["path"])
        source = path.read_text(encoding="utf-8")
        findings = Auditor(config).audit_source(path, source).findings
        after, applied, _ = apply_once(source, findings, unsafe=True, accept=guarded_accept(path, source))
        count = sum(len(encoding.encode_ordinary(d.text)) for d in load_source(path, after))
        assert entry["tokens"] - count == entry["tokens_saved"], path
        assert sum(f["tokens_saved"] for f in entry["findings"]) == entry["tokens_saved"], path
        checked += 1
    assert checked >= (2 if which == "default" else 40)  # the default set: few waste rules with fixes
