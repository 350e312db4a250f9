"""The light counter (promptopt/light_tokens.py) counts small jobs without building tiktoken's encoder;
its counts must be tiktoken's, always, for o200k_base and cl100k_base: on every prompt of the corpus,
on generated text in every script the corpus holds and more (CJK, kana, Cyrillic, Arabic, Devanagari,
emoji with joiners and skin tones, combining marks, digits of other scripts, Unicode white space), at
every edge of the character classes, and through a whole audit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptopt.config import Config
from promptopt.engine import audit_paths
from promptopt.light_tokens import MAX_PIECE, NotLight, char_classes, light_counter
from promptopt.tokens import TokenCounter, get_encoding, rank_cache_dir

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "fixtures" / "prompts"
ENCODINGS = ["o200k_base", "cl100k_base"]


@pytest.fixture(scope="module", params=ENCODINGS)
def pair(request):
    """(light counter, tiktoken's count) for one encoding."""
    counter = light_counter(request.param)
    assert counter is not None, f"tiktoken's {request.param} definition changed: light_tokens no longer mirrors it"
    encoding = get_encoding(request.param)
    return counter, lambda text: len(encoding.encode_ordinary(text))


def assert_same(pair, text: str) -> None:
    light, tiktoken_count = pair
    try:
        assert light.count(text) == tiktoken_count(text), text[:200]
    except NotLight:  # only a piece too long for the quadratic merge may step aside
        pieces = [text[m.start():m.end()] for m in light._pattern.finditer(light._stand_ins(text))]
        assert max(len(p.encode("utf-8")) for p in pieces) > MAX_PIECE


@pytest.mark.corpus
def test_counts_equal_tiktoken_on_every_file_of_the_corpus(pair):
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(CORPUS.rglob("*")) if p.is_file()]
    assert len(texts) > 100
    assert sum(not t.isascii() for t in texts) > 20  # em-dashes, curly quotes, CJK, kana
    for text in texts:
        lines = text.splitlines(keepends=True)
        for piece in [text, *lines, *("".join(lines[i:i + 3]) for i in range(0, len(lines), 3))]:
            assert_same(pair, piece)


def chars(*ranges: tuple[int, int]) -> list[str]:
    return [chr(c) for start, end in ranges for c in range(start, end + 1)]


# Scripts and the characters that make pre-tokenizing hard in them
SCRIPTS = {
    "cjk": chars((0x4E00, 0x4E80), (0x3000, 0x3003), (0xFF01, 0xFF20), (0x20000, 0x20010)),
    "kana": chars((0x3041, 0x3096), (0x30A1, 0x30FC)),
    "cyrillic": chars((0x0400, 0x04FF)),
    "arabic": chars((0x0600, 0x06FF)),  # with Arabic-Indic digits and marks
    "devanagari": chars((0x0900, 0x097F)),  # with its digits and vowel signs (Mc, Mn)
    "latin": chars((0x00C0, 0x024F), (0x1E00, 0x1E20)) + ["\u017f", "\u01c5", "\u02b0", "\u0295"],
    "marks": chars((0x0300, 0x036F), (0x20D0, 0x20F0)),
    "emoji": chars((0x1F300, 0x1F320), (0x1F600, 0x1F64F), (0x1F3FB, 0x1F3FF))
    + ["\u200d", "\ufe0f", "\u2764", "\U0001F469\u200d\U0001F4BB", "\U0001F44D\U0001F3FD", "\U0001F1EF\U0001F1F5"],
    "digits": chars((0x0660, 0x0669), (0x0966, 0x096F), (0xFF10, 0xFF19), (0x2160, 0x2170), (0x00B2, 0x00B3))
    + ["\u00bd", "\u2460"],
    "spaces": ["\u00a0", "\u2009", "\u3000", "\u2028", "\u2029", "\u0085", "\u1680", "\u202f", "\u200b", "\ufeff"],
    "punctuation": list("\u2014\u2013\u201c\u201d\u2018\u2019\u2026\u00ab\u00bb\u3001\u3002\u2022\u20ac\u00a7"),
}
ASCII = list("aZe'sStTlLrRvVmMdD 0123456789\n\r\t\x0b\x0c\x1c/.,!?-_=*#`\"{}()<>") + [
    "'re", "'ve", "'ll", "IDs", "  \n", " \r\n", "12345", "'\u017f"]
MIXED = st.lists(st.sampled_from([c for pool in SCRIPTS.values() for c in pool] + ASCII), max_size=60).map("".join)
ONE_SCRIPT = st.sampled_from(sorted(SCRIPTS)).flatmap(
    lambda name: st.lists(st.sampled_from(SCRIPTS[name] + ASCII[:12]), max_size=40).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(MIXED, ONE_SCRIPT, st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)))
def test_counts_equal_tiktoken_on_generated_text(pair, text):
    assert_same(pair, text)


def test_counts_equal_tiktoken_at_every_edge_of_the_character_classes(pair):
    """Each code point where the stand-in class changes, and the one before it, in contexts that tell
    the classes apart (after a lower or an upper letter, before a digit or a contraction, after a space)."""
    classes = char_classes()
    edges = sorted({p for start in classes.starts[1:] for p in (start - 1, start) if not 0xD800 <= p <= 0xDFFF})
    assert len(edges) > 1000
    for i in range(0, len(edges), 16):
        text = "".join(f"a{c}b A{c}c {c}1{c}'s\u00a0{c}{c}\n" for c in map(chr, edges[i:i + 16]))
        assert_same(pair, text)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_long_piece_goes_to_tiktoken(encoding):
    counter = TokenCounter("gpt-4o" if encoding == "o200k_base" else "gpt-4")
    for rule in ("=" * (MAX_PIECE * 2), "\u6f22" * MAX_PIECE):
        text = f"# Title\n{rule}\nText."
        assert counter.count(text) == len(get_encoding(encoding).encode_ordinary(text))


def test_a_job_past_the_lookup_budget_goes_to_the_encoder(monkeypatch):
    """Rare strings (identifiers, base64) cost the light counter several SQLite lookups a word: past its
    budget the encoder, built once, counts the text that ran over and everything after, exactly."""
    monkeypatch.setattr(TokenCounter, "light_queries", 200)
    counter = TokenCounter("gpt-4o")
    encoding = get_encoding("o200k_base")
    rare = " ".join(f"qz{i * 7919 % 10007:x}Vk{i}" for i in range(200))
    texts = ["Short English first.", rare, "\u3053\u3093\u306b\u3061\u306f", "Then more."]
    for text in texts:
        assert counter.count(text) == len(encoding.encode_ordinary(text))
    assert counter._encoding is not None and counter._light.queries_left == 0


def test_an_audit_reads_the_same_whichever_counter_counts(monkeypatch):
    def summary(result):
        return [(str(f.path), f.tokens, [(x.code, x.location, x.message, x.tokens_saved) for x in f.findings])
                for f in result.files]

    paths = sorted(FIXTURES.iterdir())
    for model in ("gpt-4o", "gpt-4"):
        monkeypatch.setattr(TokenCounter, "light_limit", 50_000)
        light_result = audit_paths(paths, Config(select=["ALL"], min_tokens=0, model=model))
        monkeypatch.setattr(TokenCounter, "light_limit", 0)  # tiktoken counts everything
        full_result = audit_paths(paths, Config(select=["ALL"], min_tokens=0, model=model))
        assert summary(light_result) == summary(full_result)
        assert light_result.tokens > 0 and light_result.findings


PROBE = """
import sys, tiktoken
built = []
original = tiktoken.Encoding.__init__
tiktoken.Encoding.__init__ = lambda self, *a, **k: (built.append(k.get("name")), original(self, *a, **k))[1]
from promptopt.tokens import TokenCounter
print(TokenCounter(sys.argv[1]).count(sys.argv[2]), ",".join(built) or "-")
"""
REAL_TEXT = ("You are a support agent \u2014 don\u2019t guess; answer in 80 words or fewer.\n"
             "\u56de\u7b54\u306f\u65e5\u672c\u8a9e\u3067\u3002 "
             "\u041e\u0442\u0432\u0435\u0447\u0430\u0439 \U0001F44D\U0001F3FD\n")


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
def test_a_cold_hook_run_counts_real_text_without_building_the_encoder(tmp_path, model):
    """Text with an em-dash, curly quotes, kanji, kana, Cyrillic and an emoji is counted exactly, and
    tiktoken's encoder is never built (a fresh process; damaged tables are rebuilt first: the merge
    table and its non-ASCII tokens by first byte from the marshal cache, the character classes by
    probing tiktoken's regex)."""
    home = tmp_path / "home"
    table_dir = home / "promptopt" / "tiktoken"
    table_dir.parent.mkdir(parents=True)
    light_counter("o200k_base"), light_counter("cl100k_base"), char_classes()  # the caches, filled
    shutil.copytree(rank_cache_dir(), table_dir)
    env = {"XDG_CACHE_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT)}
    encoding = TokenCounter(model).choice.encoding
    expected = len(get_encoding(encoding).encode_ordinary(REAL_TEXT))
    for damage in (False, True):
        if damage:
            for pattern in ("*.sqlite3", "char-classes*", "*non-ascii/*.marshal"):
                for table in table_dir.glob(pattern):
                    table.write_bytes(b"not a table")
        done = subprocess.run([sys.executable, "-c", PROBE, model, REAL_TEXT], capture_output=True, text=True,
                              env=env, check=True)
        count, encoders = done.stdout.split()
        assert int(count) == expected
        # with the caches in place nothing is built; rebuilding them builds only the class probes
        assert set(encoders.split(",")) == ({"promptopt-class-probe"} if damage else {"-"})
    for kept in ("*.sqlite3", "char-classes*", "*non-ascii/*.marshal"):  # this encoding's, rebuilt
        assert any(p.read_bytes() != b"not a table" for p in table_dir.glob(kept)), kept
    done = subprocess.run([sys.executable, "-c", PROBE, model, REAL_TEXT], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stdout.split() == [str(expected), "-"]  # the rebuilt caches serve the next run


def test_a_job_larger_than_the_light_limit_goes_to_the_encoder_from_the_start(monkeypatch, tmp_path):
    """Light counting up to the limit and then building the encoder anyway costs more than building it:
    an audit that will count more text than the limit never starts the light counter."""
    import promptopt.light_tokens

    started = []
    real = promptopt.light_tokens.light_counter
    monkeypatch.setattr(promptopt.light_tokens, "light_counter", lambda *a: started.append(a) or real(*a))
    small = tmp_path / "small.md"
    small.write_text("You are a support agent \u2014 answer briefly.\n", encoding="utf-8")
    monkeypatch.setattr(TokenCounter, "light_limit", small.stat().st_size + 10)
    audit_paths([small], Config())
    assert started  # a job under the limit is counted light
    started.clear()
    large = audit_paths(sorted(FIXTURES.iterdir()), Config(select=["ALL"], min_tokens=0))
    assert not started and large.tokens > 0
