"""The shell steps of action.yml, run with bash as GitHub would: the diff step in a real git repository,
the comment step with a stand-in `gh` that records its calls (no network here)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ACTION = Path(__file__).resolve().parent.parent / "action.yml"
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("litellm") is None or shutil.which("bash") is None, reason="needs litellm and bash"
)


def step(name: str) -> str:
    steps = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]
    return next(s["run"] for s in steps if s.get("name") == name)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@e.st", "-c", "user.name=t", *args], cwd=repo, check=True)


@pytest.fixture
def pr_repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "pyproject.toml").write_text("[tool.promptopt.usage]\nrequests-per-day = 100000\n", encoding="utf-8")
    (repo / "p.md").write_text("Answer in English.\nAnswer in English.\nBe brief.\n{{ q }}\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "p.md").write_text("Answer in English.\nBe brief.\n{{ q }}\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "head")
    return repo


def bin_dir(tmp_path: Path) -> Path:
    """`promptopt` of this interpreter first on PATH, as `pip install` would put it."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "promptopt"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m promptopt "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def run_diff_step(repo: Path, tmp_path: Path, **inputs: str) -> dict[str, str]:
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    env = dict(os.environ)
    env.update(
        PATH=f"{bin_dir(tmp_path)}{os.pathsep}{env['PATH']}",
        PYTHONPATH=str(ACTION.parent),
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        RUNNER_TEMP=str(tmp_path),
        PR_BASE_SHA="HEAD~1",
        INPUT_BASE=inputs.get("base", ""),
        FAIL_ON_INCREASE=inputs.get("fail_on_increase", ""),
        MIN_CHANGE=inputs.get("min_change", ""),
        MIN_SAVING=inputs.get("min_saving", ""),
        EXTRA_ARGS=inputs.get("args", ""),
    )
    subprocess.run(["bash", "-e", "-c", step("promptopt diff")], cwd=repo, env=env, check=True)
    return dict(line.split("=", 1) for line in outputs.read_text().splitlines())


def test_min_saving_input_leaves_the_offer_out(pr_repo, tmp_path):
    shown = Path(run_diff_step(pr_repo, tmp_path)["comment-file"]).read_text(encoding="utf-8")
    assert "No fix on offer in the changed prompts." in shown  # p.md has nothing left to take
    hidden = Path(run_diff_step(pr_repo, tmp_path, min_saving="$1")["comment-file"]).read_text(encoding="utf-8")
    assert hidden.startswith("<!-- promptopt-diff -->") and "fix on offer" not in hidden
    assert "Verified compression" in shown and "Verified compression" not in hidden


def test_diff_step_writes_the_comment_and_its_exit_code(pr_repo, tmp_path):
    outputs = run_diff_step(pr_repo, tmp_path)
    assert outputs["exit-code"] == "0"
    comment = Path(outputs["comment-file"]).read_text(encoding="utf-8")
    assert comment.startswith("<!-- promptopt-diff -->\n### promptopt: Projected monthly cost down $")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == comment


def test_diff_step_reports_a_failing_increase_and_silence(pr_repo, tmp_path):
    (pr_repo / "p.md").write_text("Answer in English.\n" * 3 + "Be brief.\n{{ q }}\n", encoding="utf-8")
    git(pr_repo, "commit", "-q", "-am", "grow")
    assert run_diff_step(pr_repo, tmp_path, fail_on_increase="5%")["exit-code"] == "1"
    silent = run_diff_step(pr_repo, tmp_path, min_change="1000%")
    assert silent == {"exit-code": "0", "comment-file": ""}


def fake_gh(tmp_path: Path, existing_id: str) -> Path:
    folder = tmp_path / "fakebin"
    folder.mkdir()
    gh = folder / "gh"
    gh.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{tmp_path}/gh_calls"\n'
        f'case "$*" in *--jq*) [ -n "{existing_id}" ] && echo "{existing_id}";; esac\n'
    )
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.mark.parametrize(
    ("existing", "expected"),
    [("4242", "api -X PATCH repos/o/r/issues/comments/4242"), ("", "api -X POST repos/o/r/issues/7/comments")],
)
def test_comment_step_updates_the_marked_comment_or_creates_one(tmp_path, existing, expected):
    comment = tmp_path / "c.md"
    comment.write_text("<!-- promptopt-diff -->\nbody\n")
    env = dict(
        os.environ,
        PATH=f"{fake_gh(tmp_path, existing)}{os.pathsep}{os.environ['PATH']}",
        REPO="o/r",
        PR="7",
        COMMENT=str(comment),
        GH_TOKEN="x",
    )
    subprocess.run(
        ["bash", "-e", "-c", step("Create or update the pull-request comment")],
        env=env,
        check=True,
        capture_output=True,
    )
    calls = (tmp_path / "gh_calls").read_text().splitlines()
    assert 'startswith("<!-- promptopt-diff -->")' in calls[0]
    assert calls[1].startswith(expected) and calls[1].endswith(f"-F body=@{comment}")
