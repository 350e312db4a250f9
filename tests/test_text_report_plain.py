"""Without colour the text report is written without rich (importing rich costs the hook a third of a
cached run); it must read exactly as rich prints it."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptopt.config import Config
from promptopt.engine import audit_paths
from promptopt.reporters import text as text_reporter
from promptopt.reporters.base import ReportOptions

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"


def rich_plain(result, options: ReportOptions) -> str:
    """The report as rich prints it with colour off."""
    out = text_reporter._RichOutput(color=False)
    for file in (f for f in result.files if not f.error):
        out.block(text_reporter._file_lines(file, options))
    text_reporter._print_summary(out, result, options)
    text_reporter._print_errors(out, result, options)
    return out.getvalue()


@pytest.fixture(scope="module")
def corpus_result():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return audit_paths([CORPUS], Config(root=CORPUS, select=["ALL"], min_tokens=0))


@pytest.mark.corpus
@pytest.mark.parametrize("price", [None, 2.5e-6])
def test_plain_report_is_what_rich_prints_on_the_corpus(price, corpus_result):
    result = corpus_result
    options = ReportOptions(show_fixes=True, model="gpt-4o", price_per_token=price, root=CORPUS)
    assert len(result.findings) > 100
    assert text_reporter.render(result, options) == rich_plain(result, options)


@pytest.mark.parametrize("names", [["short"], ["a-rule-name-" * 8], ["x", "y" * 40]])
def test_plain_table_matches_rich_for_any_width(names):
    columns = [("Rule", "left"), ("Name", "left"), ("Findings", "right"), ("Tokens saved", "right")]
    rows = [(f"PO{100 + i}", name, f"{10 ** i:,}", f"{7 ** (i + 3):,}") for i, name in enumerate(names)]
    plain, rich = text_reporter._PlainOutput(), text_reporter._RichOutput(color=False)
    plain.table(columns, rows)
    rich.table(columns, rows)
    assert plain.getvalue() == rich.getvalue()
