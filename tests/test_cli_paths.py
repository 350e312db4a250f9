"""`promptopt audit`'s fix and exit paths that a user meets only when something goes wrong or the
output is not a plain pipe: a read-only file, fixes that never settle, a reader that goes away, a
folder with no prompts, a real terminal. All in-process (no subprocess), so that mutation testing
(scripts/mutation.sh) can see them fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pty
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

# PO401 (filler) and PO404 (shouting) are opt-in: the tests select them
FILLER = "You are a support assistant. Please note that you must answer politely.\n"
FIXED = "You are a support assistant. You must answer politely.\n"
MIXED = (
    "Please note that the summary must fit in 3 lines.\n"
    "When you answer, NEVER REVEAL THE INTERNAL NOTES to the customer.\n"
    "Summarize the ticket: {{ticket}}\n"
)


def audit(*args) -> object:
    return CliRunner().invoke(main, ["audit", *map(str, args), "--min-tokens", "0"])


def run_with_stdout(stdout, *args) -> int | str | None:
    """Run `promptopt audit` in this process with `stdout` as the real standard output."""
    saved = sys.stdout
    sys.stdout = stdout
    try:
        with pytest.raises(SystemExit) as done:
            main(["audit", *map(str, args), "--min-tokens", "0"], prog_name="promptopt")
    finally:
        sys.stdout = saved
    return done.value.code


def test_extend_select_adds_every_code_of_a_comma_separated_list(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    result = audit(prompt, "--select", "PO101", "--extend-select", "po401, PO404", "--format", "json")
    codes = [f["code"] for f in json.loads(result.stdout)["files"][0]["findings"]]
    assert (result.exit_code, codes) == (1, ["PO401", "PO404"])


def test_a_folder_without_prompts_warns_on_stderr_and_keeps_stdout_a_report(tmp_path):
    (tmp_path / "notes.py").write_text("x = 1\n", encoding="utf-8")
    result = audit(tmp_path, "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ("promptopt: warning: no prompt files found (`promptopt audit --show-files --verbose` "
                             "says why each file was skipped)\n")
    assert json.loads(result.stdout)["files"] == []
    # pre-commit passes whatever files changed, with --force-exclude: no prompt among them is normal
    quiet = audit(tmp_path / "notes.py", "--force-exclude", "--format", "json")
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_a_read_only_file_is_left_alone_and_named_the_others_are_fixed_exit_2(tmp_path):
    read_only, writable = tmp_path / "a_read_only.md", tmp_path / "b.md"
    for path in (read_only, writable):
        path.write_text(FILLER, encoding="utf-8")
    read_only.chmod(0o444)  # the mode says "do not edit", even to root
    result = audit(read_only, writable, "--select", "PO401", "--fix")
    assert result.exit_code == 2
    assert read_only.read_text(encoding="utf-8") == FILLER
    assert writable.read_text(encoding="utf-8") == FIXED
    assert f"promptopt: error: {read_only}: read-only, not fixed (1 fix(es) pending)\n" in result.stderr
    assert "fixed 1 finding(s)" in result.stderr


def test_fixes_that_never_settle_in_one_file_do_not_stop_the_others(tmp_path, monkeypatch):
    """(No shipped rule loops, so the fix loop is made to give up on one file.)"""
    import promptopt.fixes

    real = promptopt.fixes.fix_to_fixed_point

    def gives_up_on_loop_md(path, source, check, unsafe=False, accept=None):
        if path.name == "a_loop.md":
            raise promptopt.fixes.FixLoopError(f"{path}: fixes did not settle after 10 rounds")
        return real(path, source, check, unsafe=unsafe, accept=accept)

    monkeypatch.setattr(promptopt.fixes, "fix_to_fixed_point", gives_up_on_loop_md)
    looping, fine = tmp_path / "a_loop.md", tmp_path / "b.md"
    for path in (looping, fine):
        path.write_text(FILLER, encoding="utf-8")
    result = audit(looping, fine, "--select", "PO401", "--fix")
    assert result.exit_code == 2
    assert (looping.read_text(encoding="utf-8"), fine.read_text(encoding="utf-8")) == (FILLER, FIXED)


def test_diff_into_a_reader_that_has_gone_exits_1_quietly(tmp_path):
    """`promptopt audit --diff | head -0`: the pipe's reader is closed; the diff had changes: exit 1,
    no traceback, and nothing written to the file."""
    prompt = tmp_path / "p.md"
    prompt.write_text(FILLER, encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)
    pipe = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 (closed below, whatever happened)
    try:
        code = run_with_stdout(pipe, prompt, "--select", "PO401", "--diff")
    finally:
        with contextlib.suppress(OSError):
            pipe.close()
    assert code == 1
    assert prompt.read_text(encoding="utf-8") == FILLER


def _terminal_output(*args) -> tuple[int | str | None, str]:
    controller, terminal = pty.openpty()
    out = open(terminal, "w", encoding="utf-8")  # noqa: SIM115
    try:
        code = run_with_stdout(out, *args)
        out.flush()
    finally:
        out.close()
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the terminal side is closed and drained
        while chunk := os.read(controller, 65536):
            chunks.append(chunk)
    os.close(controller)
    return code, b"".join(chunks).decode("utf-8")


def test_a_terminal_gets_colour_unless_no_color(tmp_path):
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    code, coloured = _terminal_output(prompt, "--select", "PO401")
    assert code == 1 and "\x1b[" in coloured and "PO401" in coloured
    code, plain = _terminal_output(prompt, "--select", "PO401", "--no-color")
    assert code == 1 and "\x1b[" not in plain and "PO401" in plain


LITELLM = importlib.util.find_spec("litellm")


@pytest.mark.skipif(LITELLM is None, reason="litellm (its price map) is not installed")
def test_the_report_prices_tokens_at_the_chosen_models_input_price(tmp_path):
    prices = json.loads((Path(list(LITELLM.submodule_search_locations)[0])
                         / "model_prices_and_context_window_backup.json").read_text(encoding="utf-8"))
    prompt = tmp_path / "mixed.md"
    prompt.write_text(MIXED, encoding="utf-8")
    for model in ("gpt-4o-mini", "gpt-4o"):
        report = json.loads(audit(prompt, "--select", "PO401", "--model", model, "--format", "json").stdout)
        assert report["summary"]["price_per_token"] == prices[model]["input_cost_per_token"]
