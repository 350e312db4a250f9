"""`audit --fix` on the project's fixtures and the shared corpus: idempotent, guard-checked, and
`--diff` exits 1 when there would be changes."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.config import Config
from promptopt.engine import Auditor, discover
from promptopt.fixes import fix_to_fixed_point
from promptopt.guard import check_rewrite

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "prompts"
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return [p for p in discover([CORPUS], Config()) if isinstance(p, Path)]


def protected(text: str) -> tuple[Counter, Counter, set]:
    """Placeholders, fenced code blocks and numbers, extracted without the guard's code. A numbered
    list's item markers are its order, not numbers it states: a deleted item renumbers the rest."""
    placeholders = Counter(re.findall(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", text, re.S))
    blocks, current, fence = Counter(), [], None
    for line in text.split("\n"):
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence, current = stripped[:3], [line]
        elif fence is not None:
            current.append(line)
            if stripped.startswith(fence):
                blocks["\n".join(current)] += 1
                fence = None
    stated = re.sub(r"(?m)^([ \t]*)\d{1,3}[.)](?=[ \t]|$)", r"\1", text)
    return placeholders, blocks, set(re.findall(r"\d+", stated))


@pytest.fixture
def fixture_copy(tmp_path) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(FIXTURES, target)
    shutil.copy(FIXTURES.parent / "promptopt.toml", tmp_path)  # the demo's opt-ins (PO101, PO204, PO205)
    return target


def test_fix_then_fix_again_changes_nothing(fixture_copy):
    runner = CliRunner()
    before = {p.name: p.read_text() for p in fixture_copy.iterdir()}
    runner.invoke(main, ["audit", str(fixture_copy), "--fix", "--unsafe-fixes", "--exit-zero"])
    after_first = {p.name: p.read_text() for p in fixture_copy.iterdir()}
    assert after_first != before  # the fixtures are bloated on purpose
    for name, text in after_first.items():
        assert protected(text) == protected(before[name]), name
    second = runner.invoke(main, ["audit", str(fixture_copy), "--diff", "--unsafe-fixes"])
    assert second.exit_code == 0, second.output
    assert {p.name: p.read_text() for p in fixture_copy.iterdir()} == after_first


def test_diff_exits_1_and_writes_nothing(fixture_copy):
    before = {p.name: p.read_text() for p in fixture_copy.iterdir()}
    result = CliRunner().invoke(main, ["audit", str(fixture_copy / "support_bot.md"), "--diff",
                                       "--extend-select", "PO101"])
    assert result.exit_code == 1
    assert "--- " in result.output and "\n-- Refunds take up to 14 days to appear on a statement." in result.output
    assert {p.name: p.read_text() for p in fixture_copy.iterdir()} == before


EXAMPLE_PRUNING = ["PO204", "PO205", "PO206"]  # remove whole few-shot examples: data, checked below


@pytest.mark.corpus
def test_fixes_on_the_corpus_are_idempotent_and_keep_what_matters():
    auditor = Auditor(Config(select=["ALL"], ignore=EXAMPLE_PRUNING, min_tokens=0))

    def check(path, text):
        return auditor.audit_source(path, text).findings

    for path in corpus_files():
        source = path.read_text(encoding="utf-8")
        first = fix_to_fixed_point(path, source, check, unsafe=True, accept=check_rewrite)
        again = fix_to_fixed_point(path, first.text, check, unsafe=True, accept=check_rewrite)
        assert again.text == first.text, f"{path}: a second fix run changed the file"
        assert protected(first.text) == protected(source), path


@pytest.mark.corpus
def test_example_pruning_only_deletes_whole_example_lines():
    """Pruning few-shot examples may drop the numbers inside them, but nothing else: what is left is
    the original's lines in order, with every placeholder and code block."""
    auditor = Auditor(Config(select=EXAMPLE_PRUNING, min_tokens=0))

    def check(path, text):
        return auditor.audit_source(path, text).findings

    pruned = 0
    for path in corpus_files():
        source = path.read_text(encoding="utf-8")
        outcome = fix_to_fixed_point(path, source, check, unsafe=True, accept=check_rewrite)
        if outcome.text == source:
            continue
        pruned += 1
        remaining = iter(source.split("\n"))
        assert all(line in remaining for line in outcome.text.split("\n")), f"{path}: a line was rewritten"
        assert protected(outcome.text)[:2] == protected(source)[:2], path
    assert pruned >= 2  # the corpus has prompts with dozens of examples


def test_the_guard_keeps_a_lossy_fix_out():
    """A fix that would delete a number is refused with its reason; the rest of the round applies."""
    from promptopt.core import Applicability, Edit, Finding, Fix, Location, Severity, Span

    text = "Please answer within 3 days. Please be brief."

    def check(path, current):
        found = []
        for m in re.finditer(r"Please answer within 3 days\. |Please ", current):
            fix = Fix((Edit(Span(m.start(), m.end()), ""),), Applicability.SAFE, "remove")
            found.append(Finding("T1", "test", Severity.INFO, path, Location(1, m.start() + 1, 1, m.end() + 1),
                                 "x", fix=fix, snippet=m.group(0)))
        return found

    outcome = fix_to_fixed_point(Path("p.md"), text, check, accept=check_rewrite)
    assert "3 days" in outcome.text
    assert [reason for _f, reason in outcome.rejected][:1] == ["lost number '3'"]


def test_a_real_rule_fix_the_guard_refuses_is_reported_with_its_reason_and_not_applied():
    """PO101 would delete the second of two identical lines; the line holds a placeholder, so the
    template would render it once instead of twice: the guard (as every fix path applies it) refuses."""
    from promptopt.fixes import guarded_accept

    line = "Greet {{name}} politely.\n"
    source = "You are a support agent.\n" + line + "Answer the question.\n" + line
    path = Path("greet.md")
    auditor = Auditor(Config(select=["PO101"], min_tokens=0))  # a 6-token duplicate: under the floor
    outcome = fix_to_fixed_point(path, source, lambda p, t: auditor.audit_source(p, t).findings,
                                 accept=guarded_accept(path, source))
    assert outcome.text == source and outcome.applied == []
    assert [(f.code, reason) for f, reason in outcome.rejected] == [
        ("PO101", "placeholder {{name}} changed (count 2 -> 1)")
    ]
