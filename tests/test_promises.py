"""The audit's promises, each seen through the command line, as a user meets them.

- `--fix` applies safe fixes only; unsafe ones need `--unsafe-fixes`.
- `fail-on` (flag or config) decides which severities fail the run.
- A finding's `tokens_saved` is what applying its fix removes: tiktoken's count of the file before
  minus after, recomputed here with tiktoken itself, not with promptopt's counter.
- `audit --fix` runs every fix through the fidelity guard: a fix that would drop one of two uses of a
  placeholder is refused, said on stderr, and the file keeps its text.

Each rule a test relies on is selected explicitly (`--select`), so the default selection may change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.registry import get_rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "prompts"

# PO401 (filler, safe fix, warning) and PO404 (shouting, unsafe fix, info) on one prompt.
MIXED = (
    "Please note that the summary must fit in 3 lines.\n"
    "When you answer, NEVER REVEAL THE INTERNAL NOTES to the customer.\n"
    "Summarize the ticket: {{ticket}}\n"
)


def audit(*args: str):
    # every finding however small: these tests are about fixes and exit codes, not the value floor
    return CliRunner().invoke(main, ["audit", *map(str, args), "--min-tokens", "0"])


def findings_of(path: Path, select: str) -> list[dict]:
    result = audit(path, "--select", select, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    (entry,) = json.loads(result.stdout)["files"]
    return entry["findings"]


def test_the_rules_these_tests_rely_on_are_as_assumed():
    """If a rule's fix or severity changes, the tests below must pick another rule, not pass vacuously."""
    assert (get_rule("PO401").fixable, str(get_rule("PO401").severity)) == ("safe", "warning")
    assert (get_rule("PO404").fixable, str(get_rule("PO404").severity)) == ("unsafe", "info")
    assert get_rule("PO101").fixable == "safe"


# -- 1. --fix applies safe fixes only ---------------------------------------------------------------


def test_fix_applies_safe_fixes_and_leaves_unsafe_ones_for_unsafe_fixes(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    before = findings_of(prompt, "PO401,PO404")
    kinds = {f["code"]: f["fix"]["applicability"] for f in before}
    assert kinds == {"PO401": "safe", "PO404": "unsafe"}

    fixed = audit(prompt, "--select", "PO401,PO404", "--fix")
    text = prompt.read_text(encoding="utf-8")
    assert text == MIXED.replace("Please note that the", "The")  # the filler, and only the filler
    assert "fixed 1 finding(s)" in fixed.stderr
    assert fixed.exit_code == 1  # the shouting is still a finding
    assert [f["code"] for f in findings_of(prompt, "PO401,PO404")] == ["PO404"]

    # --diff without --unsafe-fixes has nothing left to show; with it, the shouting goes
    assert audit(prompt, "--select", "PO401,PO404", "--diff").exit_code == 0
    assert audit(prompt, "--select", "PO401,PO404", "--fix", "--unsafe-fixes").exit_code == 0
    text = prompt.read_text(encoding="utf-8")
    assert "NEVER REVEAL" not in text and "never reveal the internal notes" in text.lower()


# -- 2. fail-on --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("select", "fail_on", "code"),
    [
        ("PO404", None, 1),  # default: any finding fails
        ("PO404", "info", 1),
        ("PO404", "warning", 0),  # an info finding below the failing level
        ("PO401", "warning", 1),
        ("PO401", "error", 0),
    ],
)
def test_fail_on_sets_the_lowest_failing_severity(tmp_path, select, fail_on, code):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    flag = ["--fail-on", fail_on] if fail_on else []
    result = audit(prompt, "--select", select, "--format", "concise", *flag)
    assert result.exit_code == code, result.output
    assert f" {select} " in result.stdout  # the finding is reported either way


def test_fail_on_from_the_config_file(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text('fail-on = "warning"\nselect = ["PO404"]\n', encoding="utf-8")
    assert audit(prompt).exit_code == 0
    assert audit(prompt, "--fail-on", "info").exit_code == 1  # the flag overrides the file
    (tmp_path / "promptopt.toml").write_text('fail-on = "error"\nselect = ["PO401"]\n', encoding="utf-8")
    assert audit(prompt).exit_code == 0
    assert audit(prompt, "--fail-on", "warning").exit_code == 1


def test_exit_zero_only_forgives_findings(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    assert audit(prompt, "--select", "PO401", "--exit-zero").exit_code == 0
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01 not text")
    assert audit(binary, prompt, "--select", "PO401", "--exit-zero").exit_code == 2


# -- 3. tokens_saved is tiktoken's count before minus after the fix --------------------------------


def apply_fix(source: str, finding: dict) -> str:
    text = source
    for edit in sorted(finding["fix"]["edits"], key=lambda e: e["start"], reverse=True):
        text = text[: edit["start"]] + edit["replacement"] + text[edit["end"] :]
    return text


@pytest.mark.parametrize("name", ["support_bot.md", "ticket_classifier.j2"])
def test_tokens_saved_is_what_applying_the_fix_removes(tmp_path, o200k, name):
    """Filler deletions, wordy-phrase swaps and duplicate removals: plain edits of the file's text.
    Each finding's saving is tiktoken's count before its edits minus after, the file's earlier fixes
    applied first (as one `--fix --unsafe-fixes` round applies them); a fix that overlaps an earlier
    one claims nothing and says so; together they add up to what applying them all removes."""
    source = (FIXTURES / name).read_text(encoding="utf-8")
    prompt = tmp_path / name
    prompt.write_text(source, encoding="utf-8")
    findings = [f for f in findings_of(prompt, "PO101,PO401,PO403") if f["fix"]]
    assert len(findings) >= 5, "the fixture is bloated on purpose"
    applied: list[dict] = []
    text = source
    for finding in findings:
        if "overlaps an earlier finding" in finding["message"]:
            assert finding["tokens_saved"] == 0
            continue
        applied.append(finding)
        after = _apply_all(source, applied)
        expected = len(o200k.encode(text)) - len(o200k.encode(after))
        assert finding["tokens_saved"] == expected, (finding["code"], finding["line"], finding["message"])
        text = after
    total = sum(f["tokens_saved"] for f in findings)
    assert total == len(o200k.encode(source)) - len(o200k.encode(text)) > len(applied)  # most fixes save


def _apply_all(source: str, findings: list[dict]) -> str:
    edits = sorted((e for f in findings for e in f["fix"]["edits"]), key=lambda e: e["start"], reverse=True)
    for edit in edits:
        source = source[: edit["start"]] + edit["replacement"] + source[edit["end"] :]
    return source


def test_reported_file_tokens_are_tiktokens(tmp_path, o200k):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    report = json.loads(audit(prompt, "--select", "PO401", "--format", "json").stdout)
    assert report["files"][0]["tokens"] == report["summary"]["tokens"] == len(o200k.encode(MIXED))
    (finding,) = report["files"][0]["findings"]
    assert report["summary"]["tokens_saved"] == finding["tokens_saved"] > 0


# -- 4. the guard on the audit --fix path ----------------------------------------------------------

TWICE = "Greet {{name}} politely.\n"


def test_fix_refuses_a_rule_fix_the_guard_rejects(tmp_path):
    """PO101 would delete a repeated line; with a placeholder in it that changes what the template
    renders ({{name}} twice -> once), so the guard refuses and the file keeps both lines."""
    body = "You are a support agent.\n" + TWICE + "Answer the question.\n" + TWICE
    prompt = tmp_path / "greet.md"
    prompt.write_text(body, encoding="utf-8")
    (finding,) = findings_of(prompt, "PO101")
    assert finding["fix"]["applicability"] == "safe"

    for mode in ("--fix", "--diff"):
        result = audit(prompt, "--select", "PO101", mode)
        assert result.exit_code == (1 if mode == "--fix" else 0), result.output
        assert "PO101 fix rejected by the guard: placeholder {{name}} changed (count 2 -> 1)" in result.stderr
        assert prompt.read_text(encoding="utf-8") == body
        assert "-Greet" not in result.stdout


def test_the_same_rule_fix_applies_when_nothing_protected_is_lost(tmp_path):
    """The control for the test above: without the placeholder the duplicate goes."""
    line = "Greet the customer politely.\n"
    prompt = tmp_path / "greet.md"
    prompt.write_text("You are a support agent.\n" + line + "Answer the question.\n" + line, encoding="utf-8")
    result = audit(prompt, "--select", "PO101", "--fix")
    assert result.exit_code == 0 and "rejected" not in result.stderr
    assert prompt.read_text(encoding="utf-8") == "You are a support agent.\n" + line + "Answer the question.\n"



# -- --fix over several files: one file's trouble does not stop the others ----------------------

FILLER = "Please note that the answer is one word.\n"


def test_fix_goes_on_past_clean_and_unreadable_files_and_counts_every_fix(tmp_path):
    (tmp_path / "a_clean.md").write_text("Answer in one word.\n", encoding="utf-8")
    (tmp_path / "b_binary.txt").write_bytes(b"\xff\xfe\x00\x01 not text")
    (tmp_path / "c_one.md").write_text(FILLER, encoding="utf-8")
    (tmp_path / "d_two.md").write_text(FILLER + "Kindly keep it short.\n", encoding="utf-8")
    result = audit(tmp_path / "missing.md", tmp_path, "--select", "PO401", "--fix")
    assert result.exit_code == 2  # the missing and the binary file are errors...
    assert (tmp_path / "c_one.md").read_text(encoding="utf-8") == "The answer is one word.\n"  # ...the rest is fixed
    assert (tmp_path / "d_two.md").read_text(encoding="utf-8") == "The answer is one word.\nKeep it short.\n"
    assert "promptopt: fixed 3 finding(s)" in result.stderr


def test_fix_leaves_a_file_over_the_size_limit_alone(tmp_path):
    big = tmp_path / "big.md"
    big.write_text(FILLER * 20, encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text("max-file-size = 100\n", encoding="utf-8")
    result = audit(big, "--select", "PO401", "--fix")
    assert result.exit_code == 2 and "big.md" in result.stderr
    assert big.read_text(encoding="utf-8") == FILLER * 20


def test_fixes_that_never_settle_are_one_error_line_and_exit_2(tmp_path, monkeypatch):
    """A rule whose fix and check disagree would loop; the loop guard's message reaches the user.
    (No shipped rule does this, so the fix loop is replaced by one that gives up.)"""
    import promptopt.fixes

    def never_settles(path, source, check, unsafe=False, accept=None):
        raise promptopt.fixes.FixLoopError(f"{path}: fixes did not settle after 10 rounds")

    monkeypatch.setattr(promptopt.fixes, "fix_to_fixed_point", never_settles)
    prompt = tmp_path / "loop.md"
    prompt.write_text(FILLER, encoding="utf-8")
    result = audit(prompt, "--select", "PO401", "--fix")
    assert result.exit_code == 2
    assert result.stderr == f"promptopt: error: {prompt}: fixes did not settle after 10 rounds\n"
    assert prompt.read_text(encoding="utf-8") == FILLER


def test_audit_without_paths_audits_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "mixed.md").write_text(MIXED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["audit", "--select", "PO401", "--min-tokens", "0", "--format", "concise"])
    assert result.exit_code == 1 and result.stdout.startswith("mixed.md:1:1: PO401 ")


# -- the audit's options reach the run ---------------------------------------------------------


def test_model_config_ignore_and_output_file_options(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    report = json.loads(audit(prompt, "--select", "PO401", "--model", "gpt-3.5-turbo", "--format", "json").stdout)
    assert (report["model"], report["encoding"]) == ("gpt-3.5-turbo", "cl100k_base")

    other = tmp_path / "strict.toml"
    other.write_text('select = ["PO404"]\nfail-on = "warning"\n', encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text('select = ["PO401"]\n', encoding="utf-8")
    chosen = audit(prompt, "--config", other, "--format", "concise")
    assert chosen.exit_code == 0 and " PO404 " in chosen.stdout and " PO401 " not in chosen.stdout

    ignored = audit(prompt, "--select", "PO401,PO404", "--ignore", "po401, PO404", "--format", "concise")
    assert ignored.exit_code == 0 and ignored.stdout == "All checks passed!\n"

    out = tmp_path / "report.json"
    written = audit(prompt, "--select", "PO401", "--format", "json", "-o", out)
    assert written.exit_code == 1 and written.stdout == ""
    assert [f["code"] for f in json.loads(out.read_text(encoding="utf-8"))["files"][0]["findings"]] == ["PO401"]


def test_an_unreadable_file_is_one_line_on_stderr(tmp_path):
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01 not text")
    result = audit(binary, "--format", "json")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"promptopt: error: {binary}: ")
    json.loads(result.stdout)  # the report on stdout stays parseable


def test_max_growth_against_git_head(tmp_path, monkeypatch):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    prompt = tmp_path / "grow.md"
    prompt.write_text("Answer in one word.\n", encoding="utf-8")
    git("init", "-q")
    git("add", "grow.md")
    git("commit", "-q", "-m", "base")
    prompt.write_text("Answer in one word.\n" + "Mention the order number and the delivery date.\n" * 5,
                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    GROW = ["audit", "grow.md", "--select", "PO401", "--min-tokens", "0", "--max-growth"]  # noqa: N806
    grown = CliRunner().invoke(main, [*GROW, "50%"])
    assert grown.exit_code == 1 and "grow.md" in grown.stderr and "--max-growth 50%" in grown.stderr
    allowed = CliRunner().invoke(main, [*GROW, "5000%"])
    assert allowed.exit_code == 0, allowed.stderr
    bad = CliRunner().invoke(main, [*GROW, "lots"])
    assert bad.exit_code == 2


def test_diff_prints_a_unified_diff_of_the_safe_fixes_and_writes_nothing(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    result = audit(prompt, "--select", "PO401,PO404", "--diff")
    assert result.exit_code == 1
    assert result.stdout == (
        f"--- {prompt}\n+++ {prompt}\n@@ -1,3 +1,3 @@\n"
        "-Please note that the summary must fit in 3 lines.\n"
        "+The summary must fit in 3 lines.\n"
        " When you answer, NEVER REVEAL THE INTERNAL NOTES to the customer.\n"
        " Summarize the ticket: {{ticket}}\n"
    )
    assert result.stderr == ""  # nothing was fixed, so nothing says so
    assert prompt.read_text(encoding="utf-8") == MIXED
    clean = audit(prompt, "--select", "PO402", "--fix")
    assert clean.exit_code == 0 and clean.stderr == ""


def test_diff_into_a_closed_pipe_is_quiet(tmp_path):
    """`promptopt audit --diff | head -1`: the reader goes away; no traceback, exit 1 (changes pending)."""
    import subprocess
    import sys

    for index in range(40):
        (tmp_path / f"p{index:02}.md").write_text(FILLER * 50, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "promptopt", "audit", str(tmp_path), "--select", "PO401", "--diff"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert first.startswith(b"--- ") and "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_a_finding_with_nothing_to_remove_saves_nothing(tmp_path):
    """PO803 (an undelimited user input) has no fix: it must not claim a token saved."""
    prompt = tmp_path / "system.md"
    prompt.write_text("You are a support agent.\nAnswer this: {{question}}\nThen thank the customer and close the "
                      "ticket in the CRM.\n", encoding="utf-8")  # instructions after the input: PO803
    (finding,) = findings_of(prompt, "PO803")
    assert finding["fix"] is None and finding["tokens_saved"] == 0


def test_a_duplicate_points_at_its_first_copy_and_its_fix_is_titled(tmp_path):
    line = "Greet the customer politely.\n"
    prompt = tmp_path / "greet.md"
    prompt.write_text("You are a support agent.\n" + line + "Answer the question.\n" + line, encoding="utf-8")
    (finding,) = findings_of(prompt, "PO101")
    assert (finding["line"], finding["related"]) == (4, [{"line": 2, "column": 1, "end_line": 2, "end_column": 29}])
    assert finding["fix"]["title"] == "Remove the duplicate" != finding["message"]
