"""`promptopt compress`: rule-based rewrites that keep placeholders, code and numbers, atomic writes,
exit codes, text and JSON output."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt import atomic
from promptopt.cli import main
from promptopt.compressors.rules import compress_rules, normalise_whitespace
from promptopt.config import Config, for_rewriting
from tests.test_fixes import CORPUS, FIXTURES, protected


def run(*args: str):
    return CliRunner().invoke(main, ["compress", *args])


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.corpus
def test_write_over_a_copy_of_the_corpus_keeps_placeholders_code_and_numbers(tmp_path):
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    copy = tmp_path / "prompts"
    shutil.copytree(CORPUS, copy)
    for file in copy.rglob("*"):  # the shared corpus is read-only, and a read-only file is never rewritten
        if file.is_file():
            file.chmod(0o644)
    before = snapshot(copy)
    first = run(str(copy), "--method", "rules", "--write")
    assert first.exit_code == 0, first.output
    after = snapshot(copy)
    changed = [name for name in before if after[name] != before[name]]
    assert changed, "the corpus has safe fixes to apply"
    for name in before:
        assert protected(after[name]) == protected(before[name]), name
    second = run(str(copy), "--method", "rules", "--write")
    assert second.exit_code == 0
    assert snapshot(copy) == after, "a second run changed files"
    assert not [p for p in copy.rglob(".*.tmp")], "temp files left behind"


def test_fixture_compresses_and_reports_tokens(tmp_path):
    target = tmp_path / "support_bot.md"
    shutil.copy(FIXTURES / "support_bot.md", target)
    result = run(str(target), "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    entry = report["files"][0]
    assert entry["path"] == str(target)
    assert entry["tokens_after"] < entry["tokens_before"]
    assert entry["saved_percent"] >= 10  # this fixture is bloated on purpose
    assert target.read_text() == (FIXTURES / "support_bot.md").read_text()  # preview writes nothing


def test_rejections_carry_the_guards_reason(tmp_path):
    """An unsafe fix that would drop a repeated format instruction holding its own number is
    refused, and the report says why; the file keeps that text."""
    target = tmp_path / "faq.txt"
    target.write_text(
        "You answer questions about orders.\n\n"
        "Respond in JSON.\n\n"
        "Return the answer as JSON with at most 3 keys.\n\n"
        "Question: {{ question }}\n"
    )
    original = target.read_text()
    result = run(str(target), "--unsafe", "--write", "--format", "json")
    assert result.exit_code == 0
    rejected = json.loads(result.output)["files"][0]["rejected"]
    assert [(r["code"], r["reason"]) for r in rejected] == [("PO302", "lost number '3'")]
    assert target.read_text() == original


def test_diff_exit_codes(tmp_path):
    target = tmp_path / "ticket_classifier.j2"
    shutil.copy(FIXTURES / "ticket_classifier.j2", target)
    original = target.read_text()
    diff = run(str(target), "--diff")
    assert diff.exit_code == 1
    assert "-Please note that you must answer with one of" in diff.output
    assert target.read_text() == original
    assert run(str(target), "--write").exit_code == 0
    assert run(str(target), "--diff").exit_code == 0


def test_output_file_leaves_the_input_alone(tmp_path):
    out = tmp_path / "out.yaml"
    result = run(str(FIXTURES / "research_agent.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text() != (FIXTURES / "research_agent.yaml").read_text()
    assert "{{ question }}" in out.read_text()


def test_side_by_side_shows_both_versions(tmp_path):
    result = run(str(FIXTURES / "summarize_call.prompty"), "--side-by-side", "--no-color")
    assert result.exit_code == 0
    assert "Please read the transcript below carefully." in result.output
    assert " | " in result.output and "% saved" in result.output


@pytest.mark.parametrize(
    "args",
    [["/no/such/prompt.md"], ["--rate", "0.5"], ["--method", "llmlingua", "--rate", "1.5"], ["--write", "--diff"]],
)
def test_errors_exit_2_with_one_line(args):
    if args[0].startswith("--"):
        args = [str(FIXTURES / "support_bot.md"), *args]
    result = CliRunner().invoke(main, ["compress", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "promptopt: error:" in result.output


def test_broken_yaml_is_an_error_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("prompt: |\n  hi\n bad: [\n")
    result = run(str(bad))
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_whitespace_step_keeps_code_and_markdown_hard_breaks():
    text = "Line one  \nnext line\ntrailing \t\n\n\n\n\nend\n```\ncode  \n\n\n\n```\n"
    tidy = normalise_whitespace(text, markdown=True)
    assert tidy == "Line one  \nnext line\ntrailing\n\n\nend\n```\ncode  \n\n\n\n```\n"
    assert normalise_whitespace(tidy, markdown=True) == tidy


def test_compress_rules_is_a_fixed_point_on_every_fixture():
    config = for_rewriting(Config())
    for path in sorted(FIXTURES.iterdir()):
        result = compress_rules(path, path.read_text(), config, unsafe=True)
        again = compress_rules(path, result.text, config, unsafe=True)
        assert again.text == result.text, path
        assert protected(result.text) == protected(result.original), path


def test_interrupted_write_leaves_the_original_intact(tmp_path, monkeypatch):
    target = tmp_path / "support_bot.md"
    shutil.copy(FIXTURES / "support_bot.md", target)
    target.chmod(0o640)
    original = target.read_text()

    def interrupted(*_args):
        raise KeyboardInterrupt  # Ctrl-C between fsync and rename

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(target, "half a prom")
    assert target.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["support_bot.md"]
    monkeypatch.undo()
    result = run(str(target), "--write")
    assert result.exit_code == 0
    assert target.read_text() != original
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)  # mode kept


def test_killed_compress_process_leaves_the_original_intact(tmp_path):
    """A real process killed while it writes: the file is the old one or the new one, never half."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "big.md"
    base = (FIXTURES / "support_bot.md").read_text()
    target.write_text(base * 400)
    original = target.read_text()
    script = (
        "import os, sys, time\n"
        "from promptopt import atomic\n"
        "real = os.fsync\n"
        "def slow(fd):\n"
        "    print('writing', flush=True); time.sleep(30); real(fd)\n"
        "atomic.os.fsync = slow\n"
        "atomic.write_atomic(__import__('pathlib').Path(sys.argv[1]), 'x' * 10)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parent.parent, env={**os.environ})
    assert proc.stdout.readline().strip() == b"writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.05)
    assert target.read_text() == original
