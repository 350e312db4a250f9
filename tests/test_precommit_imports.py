"""The hook's path (`promptopt audit`, with --max-growth and --fix) and `cost`/`diff` never import
litellm, spaCy or torch: litellm alone costs seconds per commit. Checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"litellm", "spacy", "torch", "transformers", "llmlingua"}
PROBE = """
import json, runpy, sys
args, heavy = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["promptopt", *args]
code = 0
try:
    runpy.run_module("promptopt", run_name="__main__")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "heavy": sorted({m.split(".")[0] for m in sys.modules} & heavy)}))
"""


def modules_after(args: list[str], cwd: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(sorted(HEAVY))],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def repo(tmp_path) -> Path:
    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@e.st", "-c", "user.name=t", *args], cwd=tmp_path, check=True)

    git("init", "-q")
    (tmp_path / "a.md").write_text("Please note that you should answer in English.\n{{ q }}\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Classify the ticket: {ticket}\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    (tmp_path / "b.txt").write_text("Classify the support ticket by topic: {ticket}\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "a.md", "b.txt"],
        ["audit", "--max-growth", "5%", "a.md", "b.txt"],
        ["audit", "--fix", "a.md", "b.txt"],
        ["cost", "a.md", "b.txt", "--requests-per-day", "10"],
        ["diff", "--base", "HEAD"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_no_heavy_import(repo, args):
    outcome = modules_after(args, repo)
    assert outcome["code"] in (0, 1), outcome
    assert outcome["heavy"] == []


def test_max_growth_fails_only_past_the_limit(repo):
    # b.txt grew from 6 to 10 tokens or so: past 5%, within 500%
    assert modules_after(["audit", "--max-growth", "5%", "b.txt"], repo)["code"] == 1
    assert modules_after(["audit", "--max-growth", "500%", "b.txt"], repo)["code"] == 0
