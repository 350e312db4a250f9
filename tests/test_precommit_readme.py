"""Issue 24, item 2: the README's pre-commit snippet works as written, with the real pre-commit.

The snippet is read from the README; its `repo:` (where a user gets promptopt) becomes a local clone of
this project, tagged with the release tag the snippet pins (conftest's hook_repo), so pre-commit clones,
checks out the tag and builds the hook's environment as it would for a user.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from conftest import RELEASE_TAG
from test_precommit import CLEAN, PRE_COMMIT, commit, git, pytestmark  # noqa: F401

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_snippet() -> dict:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    configs = [yaml.safe_load(block) for block in blocks if "pre-commit" in block or "promptopt-audit" in block]
    configs = [c for c in configs if isinstance(c, dict) and "repos" in c]
    assert len(configs) == 1, "the README shows one .pre-commit-config.yaml"
    return configs[0]


def test_the_readme_snippet_pins_the_release_tag():
    (repo,) = readme_snippet()["repos"]
    assert repo["rev"] == RELEASE_TAG  # the tag the lead creates for this version
    assert [hook["id"] for hook in repo["hooks"]] == ["promptopt-audit"]


def test_the_readme_snippet_blocks_a_bloated_prompt_and_passes_a_clean_one(tmp_path, hook_repo, pre_commit_env):
    path, rev = hook_repo
    config = readme_snippet()
    config["repos"][0]["repo"] = str(path)  # the user's URL, here a local clone of this project
    assert config["repos"][0]["rev"] == rev
    git(tmp_path, "init", "-q")
    (tmp_path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    subprocess.run([PRE_COMMIT, "install"], cwd=tmp_path, env=pre_commit_env, check=True, capture_output=True)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "config", "--no-verify")

    # no config, as a new user has it: the bundled classifier's examples answer with a label the prompt
    # does not declare (PO201) and repeat one another (PO204), both on by default
    broken = (README.parent / "fixtures" / "prompts" / "ticket_classifier.j2").read_text(encoding="utf-8")
    blocked = commit(tmp_path, pre_commit_env, {"prompts/classifier.j2": broken})
    assert blocked.returncode != 0, blocked.output
    assert "promptopt audit" in blocked.output and "Failed" in blocked.output
    assert "PO201" in blocked.output, blocked.output
    git(tmp_path, "rm", "-q", "--cached", "prompts/classifier.j2")
    (tmp_path / "prompts" / "classifier.j2").unlink()
    passed = commit(tmp_path, pre_commit_env, {"prompts/clean.md": CLEAN})
    assert passed.returncode == 0, passed.output
    assert "Passed" in passed.output
