"""The `promptopt` entry audits the hook's plain command line without click (promptopt/quick.py): what
it prints on stdout and stderr, and its exit code, are the click command's, byte for byte."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
RUN = """
import json, sys
sys.argv = ["promptopt", *json.loads(sys.argv[1])]
from promptopt.quick import main
try:
    main()
finally:
    sys.stderr.write("\\nclick imported: %s" % ("click" in sys.modules))
"""


def run(args: list[str], cwd: Path, quick: bool) -> tuple[int, str, str, bool]:
    env = {**os.environ, "PROMPTOPT_NO_QUICK": "0" if quick else "1", "PROMPTOPT_CACHE_DIR": str(cwd / ".cache")}
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(args)], cwd=cwd, capture_output=True,
                          text=True, env=env)
    stderr, _, imported = done.stderr.rpartition("\nclick imported: ")
    return done.returncode, done.stdout, stderr, imported == "True"


@pytest.fixture
def folder(tmp_path) -> Path:
    for name in ("support_bot.md", "ticket_classifier.j2", "research_agent.yaml"):
        shutil.copyfile(FIXTURES / name, tmp_path / name)
    (tmp_path / "README.md").write_text("# Project\n\nPlease note that you should read this.\n", encoding="utf-8")
    (tmp_path / "broken.md").write_bytes(b"\xff\xfe\x00 not text \x00\x00")
    (tmp_path / "clean.txt").write_text("Answer in one word.\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("args", [
    ["audit", "--no-cache", "support_bot.md", "ticket_classifier.j2"],
    ["audit", "--force-exclude", "support_bot.md", "research_agent.yaml", "README.md"],
    ["audit", "--exit-zero", "--no-color", "support_bot.md"],
    ["audit", "clean.txt"],
    ["audit", "--no-cache", "broken.md", "support_bot.md"],
    ["audit", "--force-exclude", "README.md"],
    ["audit", "README.md"],
    ["audit", "missing.md"],
    ["audit"],
], ids=lambda a: " ".join(a[1:]) or "no paths")
def test_the_quick_entry_prints_and_exits_as_the_click_command(folder, args):
    quick = run(args, folder, quick=True)
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    slow = run(args, folder, quick=False)
    assert quick[:3] == slow[:3]
    assert slow[3]  # the reference went through click


def test_the_hook_command_line_does_not_import_click(folder):
    code, stdout, _, imported = run(["audit", "--force-exclude", "ticket_classifier.j2"], folder, quick=True)
    assert code == 1 and "ticket_classifier.j2" in stdout
    assert not imported


@pytest.mark.parametrize("args", [
    ["audit", "--format", "json", "support_bot.md"],
    ["audit", "--select", "PO1", "support_bot.md"],
    ["rules", "PO101"],
    ["--version"],
])
def test_other_command_lines_go_to_click(folder, args):
    quick = run(args, folder, quick=True)
    assert quick[3]
    assert quick[:3] == run(args, folder, quick=False)[:3]


def test_a_config_error_is_reported_by_click(folder):
    (folder / "promptopt.toml").write_text("colour = 'red'\n", encoding="utf-8")
    quick = run(["audit", "support_bot.md"], folder, quick=True)
    assert quick[0] == 2 and "unknown key 'colour'" in quick[2] and quick[3]
    assert quick[:3] == run(["audit", "support_bot.md"], folder, quick=False)[:3]
