"""`promptopt diff` in real temporary git repositories: figures checked against tiktoken x price x volume
computed here, the PR comment against a golden file (``UPDATE_GOLDEN=1`` rewrites it; review the diff)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

LITELLM = importlib.util.find_spec("litellm")
pytestmark = pytest.mark.skipif(LITELLM is None, reason="litellm (price map and BPE files) is not installed")
GOLDEN = Path(__file__).parent / "golden" / "pr_comment.md"

DUPLICATED = (
    "You are the support assistant for Acme Garden Tools.\n"
    "Always answer in the customer's language.\n"
    "Refunds are possible within 30 days of delivery.\n"
    "Never promise a delivery date.\n"
    "Always answer in the customer's language.\n"
    "\n"
    "Customer message: {{ message }}\n"
)
DEDUPLICATED = DUPLICATED.replace(
    "Never promise a delivery date.\nAlways answer in the customer's language.\n",
    "Never promise a delivery date.\n",
)
UNCHANGED = "Classify the ticket as billing, delivery or other.\n\nTicket: {{ ticket }}\n"
CONFIG = """[tool.promptopt]
model = "gpt-4o"
min-tokens = 0  # the duplicate below saves 8 tokens: report it for the comment's findings line

[tool.promptopt.usage]
requests-per-day = 200000
output-tokens = 20
"""
REQUESTS_PER_MONTH = 200000 * 30
OUTPUT_TOKENS = 20


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit(repo: Path, files: dict[str, str | None], message: str) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            git(repo, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path) -> Path:
    git(tmp_path, "init", "-q")
    commit(
        tmp_path,
        {"pyproject.toml": CONFIG, "prompts/support.md": DUPLICATED, "prompts/triage.md": UNCHANGED},
        "first",
    )
    commit(tmp_path, {"prompts/support.md": DEDUPLICATED, "notes.py": "print('not a prompt')\n"}, "dedupe")
    return tmp_path


@pytest.fixture(scope="module")
def o200k():
    folder = Path(list(LITELLM.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))
    import tiktoken

    return tiktoken.get_encoding("o200k_base")


@pytest.fixture(scope="module")
def gpt4o() -> dict:
    folder = Path(list(LITELLM.submodule_search_locations)[0])
    return json.loads((folder / "model_prices_and_context_window_backup.json").read_text(encoding="utf-8"))[
        "gpt-4o"
    ]


def run(repo: Path, monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def monthly(tokens: int, price: dict) -> float:
    per_request = tokens * price["input_cost_per_token"] + OUTPUT_TOKENS * price["output_cost_per_token"]
    return per_request * REQUESTS_PER_MONTH


def test_pr_comment_shows_the_decrease_with_independent_figures(repo, monkeypatch, o200k, gpt4o):
    code, comment = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "markdown")
    assert code == 0, comment
    before_tokens, after_tokens = len(o200k.encode(DUPLICATED)), len(o200k.encode(DEDUPLICATED))
    before, after = monthly(before_tokens, gpt4o), monthly(after_tokens, gpt4o)
    delta = after - before
    assert delta < -100  # the figures below are formatted as whole dollars
    lines = comment.splitlines()
    assert lines[0] == "<!-- promptopt-diff -->"
    percent = 100 * delta / before
    assert f"Projected monthly cost down ${abs(delta):,.0f} ({percent:+.0f}%)" in lines[1]
    row = next(line for line in lines if line.startswith("| `prompts/support.md`"))
    assert f"{before_tokens:,} → {after_tokens:,}" in row
    assert f"${before:,.0f} → ${after:,.0f}" in row
    assert "triage.md" not in comment and "notes.py" not in comment  # unchanged prompt, not a prompt
    assert "<details>" in comment and "</details>" in comment
    # the removed line was a duplicate instruction: the comment says a finding was fixed
    assert "1 finding(s) fixed, 0 introduced" in comment
    assert "Always answer in the customer's language." in comment
    # the price map's litellm version changes with upgrades; the figures above are checked already
    comment = re.sub(r"litellm \d[\w.]*", "litellm <version>", comment)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(comment, encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN} missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert comment == GOLDEN.read_text(encoding="utf-8")


def test_head_ref_and_working_tree_agree(repo, monkeypatch):
    _, tree = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "json")
    _, head = run(repo, monkeypatch, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    tree_data, head_data = json.loads(tree), json.loads(head)
    assert tree_data["head"] == "working tree" and head_data["head"] == "HEAD"
    assert tree_data["changes"] == head_data["changes"]


def test_added_removed_renamed_and_uncommitted_files(repo, monkeypatch, o200k):
    commit(repo, {"prompts/triage.md": None, "prompts/new.txt": "Translate {text} into French.\n"}, "more")
    git(repo, "mv", "prompts/support.md", "prompts/helpdesk.md")
    (repo / "prompts" / "draft.md").write_text("Draft: {{ x }}\n", encoding="utf-8")  # untracked
    _, out = run(repo, monkeypatch, "--base", "HEAD~2", "--format", "json")
    changes = {c["path"]: c for c in json.loads(out)["changes"]}
    assert changes["prompts/triage.md"]["status"] == "removed"
    assert changes["prompts/triage.md"]["after"] is None
    assert changes["prompts/new.txt"]["status"] == "added"
    assert changes["prompts/draft.md"]["status"] == "added"
    assert changes["prompts/helpdesk.md"]["status"] == "renamed"
    assert changes["prompts/helpdesk.md"]["old_path"] == "prompts/support.md"
    assert changes["prompts/helpdesk.md"]["before"]["tokens_per_request"] == len(o200k.encode(DUPLICATED))
    added = changes["prompts/new.txt"]
    assert added["before"] is None
    assert added["monthly_delta"] == pytest.approx(added["after"]["monthly_cost"])


FILLER = "Please note that you should answer in English.\n"
BODY = "You help gardeners choose tools.\nKeep answers under 100 words.\n"


def test_findings_are_matched_by_text_not_line(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    commit(tmp_path, {"p.txt": FILLER + BODY, "promptopt.toml": 'extend-select = ["PO401"]\nmin-tokens = 0\n'},
           "one")
    commit(tmp_path, {"p.txt": BODY + FILLER}, "moved")
    _, out = run(tmp_path, monkeypatch, "--base", "HEAD~1", "--format", "json")
    moved = json.loads(out)["changes"][0]
    assert moved["before"]["findings"] > 0, "this build reports no filler finding: update the test prompt"
    assert moved["introduced"] == [] and moved["fixed"] == []
    commit(tmp_path, {"p.txt": BODY + FILLER + FILLER.replace("English", "French")}, "more filler")
    _, out = run(tmp_path, monkeypatch, "--base", "HEAD~1", "--format", "json")
    more = json.loads(out)["changes"][0]
    assert more["fixed"] == []
    # the same filler twice where the base had it once: one introduced, the new line
    assert [(f["code"], f["line"]) for f in more["introduced"]] == [("PO401", 4)]


def test_fail_on_increase_in_dollars_and_percent(repo, monkeypatch):
    commit(repo, {"prompts/support.md": DUPLICATED + DUPLICATED}, "grow")  # roughly doubles the input tokens
    assert run(repo, monkeypatch, "--base", "HEAD~1", "--fail-on-increase", "10%")[0] == 1
    assert run(repo, monkeypatch, "--base", "HEAD~1", "--fail-on-increase", "$100")[0] == 1
    assert run(repo, monkeypatch, "--base", "HEAD~1", "--fail-on-increase", "1000000")[0] == 0
    # the decrease never fails
    assert run(repo, monkeypatch, "--base", "HEAD~2", "--head", "HEAD~1", "--fail-on-increase", "0")[0] == 0


def test_min_change_keeps_small_changes_silent(repo, monkeypatch):
    code, out = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "markdown", "--min-change", "50%")
    assert (code, out) == (0, "")
    code, out = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "markdown", "--min-change", "$10")
    assert code == 0 and out.startswith("<!-- promptopt-diff -->")


def test_git_problems_exit_2(tmp_path_factory, monkeypatch, repo):
    plain = tmp_path_factory.mktemp("not_a_repo")
    assert run(plain, monkeypatch, "--base", "HEAD~1")[0] == 2
    code, out = run(repo, monkeypatch, "--base", "no-such-branch")
    assert code == 2 and "no-such-branch" in out
