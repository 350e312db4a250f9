"""The real pre-commit, in a temporary repository, with this project as the hook repository.

The hook repository is a git snapshot of the working tree (pre-commit clones it at a pinned rev);
PRE_COMMIT_HOME is a temporary folder, so the hook's environment is built once per test session
(pip installs promptopt and its dependencies: tens of seconds). The session fixtures `hook_repo`
and `pre_commit_env` live in conftest.py, so every test file shares that one build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")

IDENTITY = ["-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "commit.gpgsign=false"]


def git(folder: Path, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *IDENTITY, *args], cwd=folder, capture_output=True, text=True, check=check, env=env)


def make_repo(folder: Path, hook_repo: tuple[Path, str], env: dict, hooks: str, pyproject: str = "") -> Path:
    path, rev = hook_repo
    git(folder, "init", "-q")
    (folder / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n{hooks}", encoding="utf-8"
    )
    if pyproject:
        (folder / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    subprocess.run([PRE_COMMIT, "install"], cwd=folder, env=env, check=True, capture_output=True)
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "config", "--no-verify")
    return folder


def commit(folder: Path, env: dict, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        git(folder, "add", name)
    done = git(folder, "commit", "-m", "change", check=False, env=env)
    done.output = done.stdout + done.stderr  # git prints the hooks' output on stderr
    return done


BLOATED = (
    "Please note that it is important to note that you should answer in English.\n"
    "In order to help the user, due to the fact that answers are read on phones, keep them short.\n"
)
CLEAN = "Answer in English.\nKeep answers short: they are read on phones.\n"
AUDIT_HOOK = "      - id: promptopt-audit\n        args: [--max-growth=50%]\n"


def test_bloated_prompt_is_blocked_and_clean_one_passes(tmp_path, hook_repo, pre_commit_env):
    repo = make_repo(tmp_path, hook_repo, pre_commit_env, AUDIT_HOOK,
                     '[tool.promptopt]\nextend-select = ["PO4"]\nmin-tokens = 0\n')  # filler rules are opt-in
    blocked = commit(repo, pre_commit_env, {"prompts/bloated.md": BLOATED})
    assert blocked.returncode != 0, blocked.output
    assert "promptopt audit" in blocked.output and "Failed" in blocked.output
    assert "PO4" in blocked.output  # the filler and wordy phrases are named
    git(repo, "rm", "-q", "--cached", "prompts/bloated.md")
    (repo / "prompts" / "bloated.md").unlink()
    passed = commit(repo, pre_commit_env, {"prompts/clean.md": CLEAN})
    assert passed.returncode == 0, passed.output
    assert "Passed" in passed.output


def test_growth_past_the_limit_is_blocked(tmp_path, hook_repo, pre_commit_env):
    repo = make_repo(tmp_path, hook_repo, pre_commit_env, AUDIT_HOOK)
    assert commit(repo, pre_commit_env, {"p.md": CLEAN}).returncode == 0
    grown = CLEAN + "Mention the order number when you know it.\nOffer a human agent when asked twice.\n"
    blocked = commit(repo, pre_commit_env, {"p.md": grown})
    assert blocked.returncode != 0
    assert "grew from" in blocked.output and "--max-growth 50%" in blocked.output


def test_prompt_over_budget_is_blocked(tmp_path, hook_repo, pre_commit_env):
    repo = make_repo(
        tmp_path, hook_repo, pre_commit_env, "      - id: promptopt-audit\n", "[tool.promptopt]\ntoken-budget = 5\n"
    )
    blocked = commit(repo, pre_commit_env, {"p.md": CLEAN})
    assert blocked.returncode != 0
    assert "PO501" in blocked.output


def test_fix_hook_rewrites_the_prompt(tmp_path, hook_repo, pre_commit_env):
    repo = make_repo(tmp_path, hook_repo, pre_commit_env, "      - id: promptopt-fix\n",
                     '[tool.promptopt]\nextend-select = ["PO4"]\nmin-tokens = 0\n')  # filler rules are opt-in
    stopped = commit(repo, pre_commit_env, {"p.md": BLOATED})
    assert stopped.returncode != 0  # pre-commit stops a commit whose files a hook changed
    fixed = (repo / "p.md").read_text(encoding="utf-8")
    assert fixed != BLOATED and len(fixed) < len(BLOATED)
    assert "Please note that" not in fixed
