"""A safe fix leaves its sentence whole and saying the same thing (issue 23, "safe means safe").

`promptopt.sentence_check` looks at the words around every edit of a safe fix; a fix that fails is
offered as unsafe. Here: the sentences the issue saw broken, and every rewrite `compress` makes on
the shared corpus, checked region by region on the final text (so fixes that meet in one sentence are
checked together, as they land).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.compressors.rules import compress_rules
from promptopt.config import Config, for_rewriting
from promptopt.core import Applicability
from promptopt.engine import Auditor
from promptopt.sentence_check import edit_problem

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_SENTENCE = re.compile(r"(?<=[.!?\n])")  # split after each end mark and line end, keeping every character


def _changed_regions(before: str, after: str):
    """(start, end, replacement) in `before` for each run of tokens the rewrite changed: sentences
    first (a transcript of 100,000 characters on one line is one long token list), then tokens inside
    the changed sentences."""
    old_parts, new_parts = _SENTENCE.split(before), _SENTENCE.split(after)
    starts = [0]
    for part in old_parts:
        starts.append(starts[-1] + len(part))
    parts = difflib.SequenceMatcher(a=old_parts, b=new_parts, autojunk=False)
    for tag, i1, i2, j1, j2 in parts.get_opcodes():
        if tag == "equal":
            continue
        old, new = _TOKEN.findall("".join(old_parts[i1:i2])), _TOKEN.findall("".join(new_parts[j1:j2]))
        offsets = [starts[i1]]
        for token in old:
            offsets.append(offsets[-1] + len(token))
        tokens = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for op, a1, a2, b1, b2 in tokens.get_opcodes():
            if op != "equal":
                yield offsets[a1], offsets[a2], "".join(new[b1:b2])


def test_compress_leaves_the_issue_sentences_whole(tmp_path):
    source = ROOT / "fixtures" / "prompts" / "lingua_prose.md"
    out = tmp_path / "out.md"
    run = CliRunner().invoke(main, ["compress", str(source), "-o", str(out)])
    assert run.exit_code == 0, run.output
    text = out.read_text(encoding="utf-8")
    assert "important to our shop policy" not in text
    assert "should and gently" not in text
    assert "it is important to keep in mind that our shop policy allows" in text
    assert text != source.read_text(encoding="utf-8"), "the fixes that are safe still apply"


@pytest.mark.parametrize(("sentence", "phrase", "safe"), [
    ("Differentiate f with respect to x.", "with respect to", False),
    ("The loss is small in relation to the batch size.", "in relation to", False),
    ("With respect to refunds, follow the policy.", "With respect to", True),
    ("All the content provided is in relation to a free RPG.", "in relation to", True),
    ("It made up the majority of the session.", "the majority of", False),
    ("Reply to the majority of users.", "the majority of", True),
])
def test_wordy_swaps_are_safe_only_where_the_sentence_takes_them(tmp_path, sentence, phrase, safe):
    auditor = Auditor(Config(select=["PO403"], min_tokens=0))
    findings = auditor.audit_source(tmp_path / "p.md", sentence + "\n").findings
    [finding] = [f for f in findings if f.snippet == phrase]
    assert (finding.fix.applicability == Applicability.SAFE) is safe, finding.fix.title


def test_every_safe_rewrite_on_the_corpus_leaves_its_sentences_whole():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    config = for_rewriting(Config())
    auditor = Auditor(config)
    broken, rewrites = [], 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv"):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            result = compress_rules(path, text, config, auditor=auditor)
        except Exception:  # noqa: BLE001 - a file compress refuses (not a prompt) has no rewrite to check
            continue
        for start, end, replacement in _changed_regions(text, result.text):
            rewrites += 1
            reason = edit_problem(text, start, end, replacement)
            if reason:
                broken.append(f"{path.relative_to(CORPUS)}: {text[max(0, start - 60):end + 40]!r}: {reason}")
    assert rewrites, "compress rewrote nothing on the corpus: the check above checked nothing"
    assert broken == []


def test_an_edit_across_lines_is_checked_only_when_it_takes_whole_sentences():
    text = "Answer the first question. Then answer\nthe second one, briefly.\nEnd with a summary.\n"
    wrapped = text.index("Then"), text.index("End")  # a whole sentence, wrapped over two lines
    assert edit_problem(text, *wrapped, "") is None
    partial = text.index("answer\n"), text.index("one,")  # half of one sentence and half of the next line
    assert "cannot be checked" in edit_problem(text, *partial, "")
