"""Issue 11, items 3-5: hostile input never hangs and never crashes, and `--fix` takes care of the files
it rewrites.

Hangs are checked as bounded operations: each attack runs in a subprocess with a generous timeout
(the inputs are several times the sizes that took minutes before), never as a wall-clock assertion."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

PROJECT = Path(__file__).resolve().parents[1]
PROMPT = "You are a support assistant. Please note that you must answer politely.\n"
GOOD = "You are a support assistant. You must answer politely.\n"



@pytest.fixture(autouse=True)
def _filler_rules_selected(tmp_path):
    """These tests plant filler (PO401, opt-in) as the finding a healthy file still gets: select it."""
    (tmp_path / "promptopt.toml").write_text('extend-select = ["PO4"]\nmin-tokens = 0\n', encoding="utf-8")

def _cli(*args: str, cwd: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-m", "promptopt", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


ALIAS_BOMB = "\n".join(
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["system_prompt: You are a helpful assistant and you answer questions."]
) + "\n"

HANGS = {
    "alias-bomb.yaml": ALIAS_BOMB,  # nine levels of nine aliases: 387 million nodes once expanded
    "braces.md": "{" * 200_000,
    "jinja-open.md": "{{" * 100_000 + "x",
    "format-fields.md": "Fill {x} " * 30_000,
    "suppression.j2": "{# promptopt: ignore PO101" + " " * 20_000 + "x\nYou answer.\n",
    "brackets.json": "[" * 10_000 + "]" * 10_000,
}


@pytest.mark.parametrize("name", sorted(HANGS))
def test_pathological_input_finishes_and_names_the_file(tmp_path, name):
    (tmp_path / name).write_text(HANGS[name], encoding="utf-8")
    (tmp_path / "fine.md").write_text(PROMPT, encoding="utf-8")
    done = _cli("audit", name, "fine.md", "--format", "json", cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1, 2)
    files = {f["path"]: f for f in json.loads(done.stdout)["files"]}
    assert set(files) == {name, "fine.md"}
    assert any(f["code"] == "PO401" for f in files["fine.md"]["findings"]), "the other file was not audited"
    if files[name]["error"]:
        assert done.returncode == 2 and f"promptopt: error: {name}:" in done.stderr


@pytest.mark.parametrize("text, reason", [
    ("a: &a [*a]\nsystem_prompt: You are a helpful assistant.\n", "recursive YAML alias"),
    (ALIAS_BOMB, "alias bomb"),
    ("x:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), ""),
])
def test_yaml_alias_and_nesting_attacks_are_one_line_errors(tmp_path, text, reason):
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "fine.md").write_text(PROMPT, encoding="utf-8")
    done = _cli("audit", "bad.yaml", "fine.md", "--format", "concise", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    if reason:
        assert done.returncode == 2
        errors = [line for line in done.stderr.splitlines() if "bad.yaml" in line]
        assert len(errors) == 1 and reason in errors[0]
    assert "fine.md" in done.stdout and "PO401" in done.stdout


@pytest.mark.parametrize("text, reason", [
    ("[" * 10_000 + "]" * 10_000, "nested deeper"),
    ('{"messages": [{"role": "system", "content": "You are a helpful assistant."}], "n": ' + "9" * 5000 + "}",
     "4300 digits"),
])
def test_json_attacks_are_one_line_errors_naming_the_file(tmp_path, text, reason):
    (tmp_path / "bad.json").write_text(text, encoding="utf-8")
    (tmp_path / "fine.md").write_text(PROMPT, encoding="utf-8")
    done = _cli("audit", "bad.json", "fine.md", "--format", "concise", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("promptopt: error: bad.json:")]
    assert reason in done.stderr
    assert "PO401" in done.stdout


def test_a_non_string_content_part_is_skipped_not_a_crash(tmp_path):
    (tmp_path / "chat.json").write_text(json.dumps({"messages": [{"role": "system", "content": [
        {"type": "text", "text": 5}, {"type": "text", "text": "Please note that you must answer politely."}]}]}))
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "chat.json"), "--format", "concise"])
    assert result.exit_code == 1 and "PO401" in result.output, result.output


BAD_CONFIGS = [
    ("[tool.promptopt]\ntoken-budget = inf\n", "token-budget"),
    ("[tool.promptopt]\ntoken-budget = -5\n", "token-budget"),
    ("[tool.promptopt]\nmax-file-size = \"big\"\n", "max-file-size"),
    ("[tool]\npromptopt = 5\n", "[tool.promptopt]"),
    ("[tool.promptopt.rules.PO205]\nmax-examples = -3\n", "max-examples"),
    ("[tool.promptopt.rules.PO205]\nmax-examples = \"six\"\n", "max-examples"),
    ("[tool.promptopt.usage]\nrequests-per-day = nan\n", "finite"),
    ("[tool.promptopt.usage]\nrequests-per-day = inf\n", "finite"),
    ("[tool.promptopt.usage]\nrequests-per-day = -100\n", "negative"),
]


# `usage` is read by cost and diff only: audit gets the other values (no skipped combinations)
@pytest.mark.parametrize(("command", "toml", "named"), [(command, toml, named) for command in ("audit", "cost")
                                                        for toml, named in BAD_CONFIGS
                                                        if command == "cost" or "usage" not in toml])
def test_bad_config_values_are_one_line_errors(tmp_path, command, toml, named):
    (tmp_path / "promptopt.toml").unlink()  # the pyproject under test is the closest config
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "p.md").write_text(PROMPT, encoding="utf-8")
    done = _cli(command, "p.md", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and named in done.stderr, done.stderr


@pytest.mark.parametrize("option", [["--requests-per-day", "-5"], ["--requests-per-month", "inf"],
                                    ["--requests-per-day", "nan"], ["--output-tokens", "-1"]])
def test_bad_volumes_on_the_command_line_are_refused(tmp_path, option):
    (tmp_path / "p.md").write_text(PROMPT, encoding="utf-8")
    done = _cli("cost", "p.md", *option, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert option[0] in done.stderr


@pytest.mark.parametrize("command", [["audit", "p.md"], ["cost", "p.md"]])
def test_report_into_a_missing_folder_is_one_line_and_exit_2(tmp_path, command):
    (tmp_path / "p.md").write_text(PROMPT, encoding="utf-8")
    done = _cli(*command, "-o", "no/such/folder/report.txt", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "promptopt: error: no/such/folder/report.txt: cannot write the report: No such file or directory"]


# --fix and the files it rewrites (item 5)

def test_fix_keeps_symlinks_hard_links_and_mode_and_skips_read_only_files(tmp_path):
    (tmp_path / "target.md").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "link.md").symlink_to("target.md")
    (tmp_path / "hard.md").write_text(PROMPT, encoding="utf-8")
    os.link(tmp_path / "hard.md", tmp_path / "hard2.md")
    (tmp_path / "private.md").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "private.md").chmod(0o640)
    (tmp_path / "ro.md").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "ro.md").chmod(0o444)
    done = _cli("audit", "link.md", "hard.md", "private.md", "ro.md", "--fix", "--format", "concise", cwd=tmp_path)

    assert (tmp_path / "link.md").is_symlink() and (tmp_path / "target.md").read_text() == GOOD
    assert (tmp_path / "hard2.md").read_text() == GOOD and os.stat(tmp_path / "hard.md").st_nlink == 2
    assert (tmp_path / "private.md").read_text() == GOOD and (tmp_path / "private.md").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "ro.md").read_text() == PROMPT, "a read-only file was rewritten"
    assert "promptopt: error: ro.md: read-only, not fixed" in done.stderr
    assert done.returncode == 2
    assert "ro.md" in done.stdout  # and its findings are still reported


def test_a_file_that_cannot_be_written_is_reported_and_the_others_are_fixed(tmp_path, monkeypatch):
    """A full disk (ENOSPC) in one folder: that file is named, the run goes on, exit 2."""
    import promptopt.atomic as atomic

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.md").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "b.md").write_text(PROMPT, encoding="utf-8")
    real = atomic.tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if Path(dir).name == "full":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(dir) / ".a.md.x.tmp"))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "full" / "a.md"), str(tmp_path / "b.md"), "--fix"])
    assert result.exit_code == 2
    assert (tmp_path / "b.md").read_text() == GOOD
    assert (tmp_path / "full" / "a.md").read_text() == PROMPT
    assert f"{tmp_path / 'full' / 'a.md'}: cannot write the fixes: No space left on device" in result.output
    assert ".tmp" not in result.output  # the file is named, not the temp file


@pytest.mark.parametrize("body", ["[" * 200_000, "[1," * 70_000], ids=["brackets", "nested arrays"])
def test_the_guard_checks_a_fix_on_pathological_text_in_linear_time(tmp_path, body):
    """A fix on such a file makes the guard scan the whole text for JSON examples and placeholders
    (before: 100 s and more for 200 KB of `[1,`, from a failed decode at every bracket)."""
    (tmp_path / "p.md").write_text(PROMPT + body + "\n", encoding="utf-8")
    done = _cli("compress", "p.md", "--method", "rules", "--diff", cwd=tmp_path, timeout=120)
    assert "Traceback" not in done.stderr
    assert "-You are a support assistant. Please note that" in done.stdout
