"""Long texts are counted paragraph by paragraph (`TokenCounter._count_paragraphs`), cut after blank
lines and before headings and tags where no pre-tokenizer piece can span, each paragraph's count
remembered: a section counted after its prompt, or a prompt recounted after a fix (savings), costs
lookups. The sums must be tiktoken's counts, for both encodings; an audit must read the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptopt.config import Config
from promptopt.engine import audit_paths
from promptopt.tokens import TokenCounter, get_encoding

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
FIXTURES = ROOT / "fixtures" / "prompts"

# line starts and ends that sit at or near a cut: "/" after punctuation and a line break, white space
# runs before line feeds, CRLF, a bare CR, non-ASCII space, contractions, digits
FRAGMENTS = ["\n", "\r\n", "\r", "\n\n", "  \n", "\t\n", " ", "/", "./", ".\n", ":\n/", "- ", "# ", "1. ",
             "word", "Word", "'s", "'LL", "123456", "\u00a0", "\u3000", "\u2014", "\u6f22\u5b57", "\u00e9t\u00e9",
             "x\u0301", "\U0001F44D", "{var}", "**", "```", "\x1c", "\u0085"]
PARAGRAPHS = st.lists(st.sampled_from(FRAGMENTS + ["\n\n", "\r\n\r\n", "\n# Heading\n", "\n<tag>", "\n</tag>\n",
                                                  "\n\n/path", "\n\n  indented", "\n#", "\n<", "\n \n", ". \n\n/x"]),
                      min_size=1, max_size=400).map("".join)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=PARAGRAPHS)
def test_a_long_text_counted_by_paragraphs_counts_as_tiktoken_does(model, text):
    counter = TokenCounter(model)
    counter.plan(10**9)  # the encoder, paragraph by paragraph past 1,024 characters
    encoding = get_encoding(counter.choice.encoding)
    assert counter.count(text) == len(encoding.encode_ordinary(text))
    assert counter.count(text * 3) == len(encoding.encode_ordinary(text * 3))  # remembered paragraphs


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
@pytest.mark.parametrize("tail", ["x./\n\n/y", "x\n \ny", "x\n\n\ny", "x./\n/y", "x.\n\n#y", "x\n\n\n<y"])
def test_no_paragraph_cut_splits_a_piece(model, tail):
    """Where a cut one character off would split a pre-tokenizer piece (a "/" after punctuation and line
    breaks, a space between line breaks, a third line break): the count is still tiktoken's."""
    counter = TokenCounter(model)
    counter.plan(10**9)
    text = "Read the ticket first.\n\n" * 50 + tail
    assert counter.count(text) == len(get_encoding(counter.choice.encoding).encode_ordinary(text))


@pytest.mark.corpus
def test_sections_of_real_prompts_count_as_tiktoken_does():
    """A section counted after its prompt (token map, token budget) reuses paragraph counts: same figures."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    counter = TokenCounter("gpt-4o")
    counter.plan(10**9)
    encoding = get_encoding("o200k_base")
    checked = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n" and text[i + 1:i + 2] in ("#", "<")]
        assert counter.count(text) == len(encoding.encode_ordinary(text))
        for start, end in zip(starts, [*starts[1:], len(text)], strict=False):
            assert counter.count(text[start:end]) == len(encoding.encode_ordinary(text[start:end]))
            assert counter.count_between(text, start, end) == len(encoding.encode_ordinary(text[start:end]))
            checked += end - start >= 1024
    assert checked > 20


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
@settings(max_examples=100, deadline=None)
@given(text=PARAGRAPHS, data=st.data())
def test_a_stretch_of_a_counted_text_counts_as_tiktoken_does(model, text, data):
    """`count_between` adds up the paragraphs of a text counted before when both ends are cuts, and
    counts the stretch itself when not: tiktoken's count of the stretch either way."""
    counter = TokenCounter(model)
    counter.plan(10**9)
    encoding = get_encoding(counter.choice.encoding)
    text = "Read the ticket first.\n\n" * 50 + text  # past 1,024 characters: counted by paragraphs
    counter.count(text)
    cuts = counter._cuts[text][0]
    assert len(cuts) > 40
    for _ in range(5):
        start, end = sorted((data.draw(st.sampled_from(cuts)), data.draw(st.sampled_from(cuts))))
        if data.draw(st.booleans()):
            end = data.draw(st.integers(start, len(text)))  # most often not a cut
        assert counter.count_between(text, start, end) == len(encoding.encode_ordinary(text[start:end]))


@pytest.mark.corpus
def test_an_audit_reads_the_same_as_with_whole_text_counts(monkeypatch):
    """Savings recount a prompt after each fix: with remembered paragraphs that is a few encodes; the
    findings and their savings are those of whole-text counting."""
    files = sorted(FIXTURES.iterdir()) + sorted(p for p in CORPUS.rglob("*") if p.is_file())[::3]

    def summary():
        result = audit_paths(files, Config(select=["ALL"], min_tokens=0))
        return [(str(f.path), f.tokens, [(x.code, x.location, x.message, x.tokens_saved) for x in f.findings])
                for f in result.files]

    by_paragraph = summary()
    monkeypatch.setattr(TokenCounter, "_count_paragraphs", lambda self, text: len(self.encoding.encode_ordinary(text)))
    assert by_paragraph == summary()
    assert sum(x[3] for f in by_paragraph for x in f[2]) > 100
