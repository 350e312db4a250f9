"""Savings are counted on the stretch of lines around each fix (`savings.EditWindows`), not the whole
prompt: the stretches' counts must add up to tiktoken's count of the whole text, before and after any
edits, for both encodings; and an audit must report the savings a whole-text recount reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptopt import savings
from promptopt.config import Config
from promptopt.core import Edit, Span
from promptopt.engine import audit_paths
from promptopt.savings import EditWindows, apply_text_edits
from promptopt.tokens import get_encoding

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
FIXTURES = ROOT / "fixtures" / "prompts"

# line starts and ends that sit at or near a cut: "/" after punctuation and a line break, white space
# runs before line feeds, CRLF, a bare CR, non-ASCII space, contractions, digits
FRAGMENTS = ["\n", "\r\n", "\r", "\n\n", "  \n", "\t\n", " ", "/", "./", ".\n", ":\n/", "- ", "# ", "1. ",
             "word", "Word", "'s", "'LL", "123456", "\u00a0", "\u3000", "\u2014", "\u6f22\u5b57", "\u00e9t\u00e9",
             "x\u0301", "\U0001F44D", "{var}", "**", "```", "\x1c", "\u0085"]
TEXT = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=40).map("".join)


@st.composite
def text_and_edits(draw):
    text = draw(TEXT)
    points = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits, last = [], -1
    for start, end in zip(points[::2], points[1::2], strict=False):
        if start <= last:
            continue
        edits.append(Edit(Span(start, end), draw(st.sampled_from(["", " ", "\n", "x", "/", " \n", "Z"]))))
        last = end
    return text, edits


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=text_and_edits())
def test_stretch_counts_add_up_to_the_whole_texts(name, case):
    text, edits = case
    encoding = get_encoding(name)

    def count(t: str) -> int:
        return len(encoding.encode_ordinary(t))

    windows = EditWindows(text, edits)
    by_window: dict[int, list[Edit]] = {}
    for edit in edits:
        by_window.setdefault(windows.window_of(edit), []).append(edit)
    difference = sum(count(windows.stretch(i, [])) - count(windows.stretch(i, e)) for i, e in by_window.items())
    assert difference == count(text) - count(apply_text_edits(text, edits))


def test_an_audit_reports_what_a_whole_text_recount_reports(monkeypatch):
    files = sorted(FIXTURES.iterdir())
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file())[::3]

    def summary():
        result = audit_paths(files, Config(select=["ALL"], min_tokens=0))
        return [(str(f.path), [(x.code, x.location, x.message, x.tokens_saved) for x in f.findings])
                for f in result.files]

    windowed = summary()
    # one stretch: the whole prompt, recounted after each finding (what settle did before stretches)
    monkeypatch.setattr(savings.EditWindows, "_cut_before", lambda self, start: 0)
    monkeypatch.setattr(savings.EditWindows, "_cut_after", lambda self, end: len(self.text))
    whole = summary()
    assert windowed == whole
    assert sum(x[3] for f in windowed for x in f[1]) > 100
