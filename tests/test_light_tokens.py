"""The light counter (promptopt/light_tokens.py) counts small jobs without building tiktoken's encoder;
its counts must be tiktoken's, always: on real prompts, on generated text, through a whole audit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptopt.config import Config
from promptopt.engine import audit_paths
from promptopt.light_tokens import ASCII_PATTERN, MAX_PIECE, NotLight, light_counter
from promptopt.tokens import TokenCounter, get_encoding

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
FIXTURES = ROOT / "fixtures" / "prompts"


@pytest.fixture(scope="module")
def light():
    counter = light_counter()
    assert counter is not None, "tiktoken's o200k_base definition changed: light_tokens no longer mirrors it"
    return counter


@pytest.fixture(scope="module")
def tiktoken_count():
    encoding = get_encoding("o200k_base")
    return lambda text: len(encoding.encode_ordinary(text))


@pytest.mark.corpus
def test_counts_equal_tiktoken_on_every_ascii_prompt_of_the_corpus(light, tiktoken_count):
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*")) if p.is_file()]
    ascii_texts = [t for t in texts if t.isascii()]
    assert len(ascii_texts) > 100
    for text in ascii_texts:
        lines = text.splitlines(keepends=True)
        for piece in [text, *lines, *("".join(lines[i:i + 3]) for i in range(0, len(lines), 3))]:
            try:
                assert light.count(piece) == tiktoken_count(piece), piece[:200]
            except NotLight:
                assert max(map(len, ASCII_PATTERN.findall(piece))) > MAX_PIECE


# what makes pre-tokenizing and merging hard: contractions, case runs, digit runs, whitespace before
# line breaks, punctuation runs with slashes, and the ASCII whitespace Python treats differently (\x1c-\x1f)
TRICKY = st.lists(st.sampled_from(list("aZe'sStTlLrRvVmMdD 0123456789\n\r\t\x0b\x0c\x1c\x1f/.,!?-_=*#`\"{}()<>")
                                  + ["'re", "'ve", "'ll", "IDs", "JSONs", "  \n", " \r\n", "12345"]),
                  max_size=60).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(TRICKY, st.text(alphabet=st.characters(max_codepoint=127), max_size=200)))
def test_counts_equal_tiktoken_on_generated_ascii(light, tiktoken_count, text):
    assert light.count(text) == tiktoken_count(text)


def test_a_long_piece_goes_to_tiktoken():
    counter = TokenCounter("gpt-4o")
    rule = "=" * (MAX_PIECE * 2)
    assert counter.count(f"# Title\n{rule}\nText.") == len(get_encoding("o200k_base").encode_ordinary(
        f"# Title\n{rule}\nText."))


def test_an_audit_reads_the_same_whichever_counter_counts(monkeypatch):
    light_result = audit_paths(sorted(FIXTURES.iterdir()), Config(select=["ALL"], min_tokens=0))
    monkeypatch.setattr(TokenCounter, "light_limit", 0)  # tiktoken counts everything
    full_result = audit_paths(sorted(FIXTURES.iterdir()), Config(select=["ALL"], min_tokens=0))

    def summary(result):
        return [(str(f.path), f.tokens, [(x.code, x.location, x.message, x.tokens_saved) for x in f.findings])
                for f in result.files]

    assert summary(light_result) == summary(full_result)
    assert light_result.tokens > 0 and light_result.findings


def test_a_cold_hook_run_counts_without_building_the_encoder(tmp_path):
    """A small ASCII prompt is counted exactly, and tiktoken's Rust encoder is never built (a fresh
    process, a damaged table rebuilt first)."""
    from promptopt.tokens import rank_cache_dir

    home = tmp_path / "home"
    table_dir = home / "promptopt" / "tiktoken"
    table_dir.mkdir(parents=True)
    for existing in rank_cache_dir().glob("*"):  # the marshal table: no BPE parsing in this test
        if existing.suffix == ".marshal":
            (table_dir / existing.name).write_bytes(existing.read_bytes())
    text = "You are a support agent. Don't guess; answer in 80 words or fewer.\n"
    probe = (
        "import tiktoken\n"
        "built = []\n"
        "original = tiktoken.Encoding.__init__\n"
        "tiktoken.Encoding.__init__ = lambda self, *a, **k: (built.append(1), original(self, *a, **k))[1]\n"
        "from promptopt.tokens import TokenCounter\n"
        f"print(TokenCounter('gpt-4o').count({text!r}), len(built))\n"
    )
    env = {"XDG_CACHE_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT)}
    expected = len(get_encoding("o200k_base").encode_ordinary(text))
    for damage in (False, True):
        if damage:
            for table in table_dir.glob("*.sqlite3"):
                table.write_bytes(b"not a database")
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
        assert done.stdout.split() == [str(expected), "0"]
    assert list(table_dir.glob("*.sqlite3"))
