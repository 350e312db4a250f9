"""`promptopt diff` in real temporary git repositories: figures checked against tiktoken x price x volume
computed here, the PR comment against a golden file (``UPDATE_GOLDEN=1`` rewrites it; review the diff)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

LITELLM = importlib.util.find_spec("litellm")
pytestmark = pytest.mark.skipif(LITELLM is None, reason="litellm (price map and BPE files) is not installed")
GOLDEN = Path(__file__).parent / "golden" / "pr_comment.md"

# The pull request removes a duplicated rule and a sentence; what it leaves is still worth money: a
# duplicated instruction (safe fix, PO101) and a repeated example (unsafe fix, PO204).
SUPPORT_AFTER = (
    "You are the support assistant for Acme Garden Tools.\n"
    "Always answer in the customer's language, and keep every answer short, friendly and to the point.\n"
    "Refunds are possible within 30 days of delivery.\n"
    "Never promise a delivery date.\n"
    "Always answer in the customer's language, and keep every answer short, friendly and to the point.\n"
    "\n"
    "Customer: Where is my order 1042? It was supposed to arrive on Monday.\n"
    "Answer: I have checked order 1042: it left our warehouse yesterday and is on its way to you.\n"
    "\n"
    "Customer: Can I return a rake I bought last week?\n"
    "Answer: Yes: refunds are possible within 30 days of delivery.\n"
    "\n"
    "Customer: Where is my order 1042? It was supposed to arrive on Monday.\n"
    "Answer: Order 1042 left our warehouse yesterday and is on its way to you.\n"
    "\n"
    "Customer: {{ message }}\n"
    "Answer:\n"
)
REMOVED_DUPLICATE = "Never promise a delivery date.\n"
REMOVED_SENTENCE = "Our prices include VAT, and delivery is free for every order above 50 euros.\n"
SUPPORT_BEFORE = SUPPORT_AFTER.replace(
    REMOVED_DUPLICATE, REMOVED_DUPLICATE + REMOVED_DUPLICATE + REMOVED_SENTENCE
)
UNCHANGED = "Classify the ticket as billing, delivery or other.\n\nTicket: {{ ticket }}\n"
CONFIG = """[tool.promptopt]
model = "gpt-4o"
min-tokens = 0  # the duplicate the pull request removes saves 6 tokens: report it for the details
extend-select = ["PO101", "PO204"]  # opt-in (held-out precision, docs/precision.md)

[tool.promptopt.usage]
requests-per-day = 200000
output-tokens = 20
"""
REQUESTS_PER_MONTH = 200000 * 30
OUTPUT_TOKENS = 20
# fixed commit dates: the same commits every run, so links to the head commit are stable in the golden file
GIT_DATES = {"GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00"}
CI_VARIABLES = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "CI_PROJECT_URL", "CI_COMMIT_SHA")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_DATES},
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
        {"pyproject.toml": CONFIG, "prompts/support.md": SUPPORT_BEFORE, "prompts/triage.md": UNCHANGED},
        "first",
    )
    commit(tmp_path, {"prompts/support.md": SUPPORT_AFTER, "notes.py": "print('not a prompt')\n"}, "trim")
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


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch):
    """Links depend on the CI's variables: these tests set the ones they need, and no others leak in."""
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def audit_cli(repo: Path, monkeypatch, command: str) -> None:
    """Run a `promptopt ...` command line as the comment prints it, in the repository."""
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    assert result.exit_code in (0, 1), result.output  # 1: findings left after fixing


def tokens_removed(repo: Path, monkeypatch, o200k, command: str, path: str = "prompts/support.md") -> int:
    """What a fix command removes from the prompt as the head has it, counted with tiktoken."""
    file = repo / path
    head_text = git(repo, "show", f"HEAD:{path}")
    file.write_text(head_text, encoding="utf-8")
    audit_cli(repo, monkeypatch, command)
    removed = len(o200k.encode(head_text)) - len(o200k.encode(file.read_text(encoding="utf-8")))
    file.write_text(head_text, encoding="utf-8")
    return removed


def dollars(amount: float) -> str:
    assert amount >= 100, "figures here are meant to print as whole dollars"
    return f"${amount:,.0f}"


def line_of(text: str, line: str, occurrence: int) -> int:
    return [i for i, each in enumerate(text.splitlines(), 1) if each == line][occurrence - 1]


def test_pr_comment_golden_with_the_saving_on_offer(repo, monkeypatch, o200k, gpt4o):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/garden-bot")
    head = git(repo, "rev-parse", "HEAD").strip()
    code, comment = run(repo, monkeypatch, "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown")
    assert code == 0, comment

    # what the pull request did
    before_tokens, after_tokens = len(o200k.encode(SUPPORT_BEFORE)), len(o200k.encode(SUPPORT_AFTER))
    before, after = monthly(before_tokens, gpt4o), monthly(after_tokens, gpt4o)
    delta = after - before
    lines = comment.splitlines()
    assert lines[0] == "<!-- promptopt-diff -->"
    assert f"Projected monthly cost down {dollars(abs(delta))} ({100 * delta / before:+.0f}%)" in lines[1]
    assert lines[3].startswith(f"1 prompt changed: **{before_tokens:,} → {after_tokens:,}** prompt tokens")
    row = next(line for line in lines if line.startswith("| `prompts/support.md`"))
    assert f"{before_tokens:,} → {after_tokens:,}" in row and f"{dollars(before)} → {dollars(after)}" in row
    assert "triage.md" not in comment and "notes.py" not in comment  # unchanged prompt, not a prompt
    assert "1 finding fixed, 0 introduced" in comment  # the duplicate the pull request removed

    # what it leaves on offer: the commands the comment prints, run here, remove exactly its figures
    safe_command = re.search(r"Apply the safe fixes: `([^`]+)`", comment).group(1)
    unsafe_command = re.search(r"then apply with `([^`]+)`", comment).group(1)
    assert safe_command == "promptopt audit --fix prompts/support.md"
    assert unsafe_command == "promptopt audit --fix --unsafe-fixes prompts/support.md"
    safe = tokens_removed(repo, monkeypatch, o200k, safe_command)
    every = tokens_removed(repo, monkeypatch, o200k, unsafe_command)
    assert 0 < safe < every
    per_token = gpt4o["input_cost_per_token"] * REQUESTS_PER_MONTH
    assert (f"#### Saving on offer: {dollars(safe * per_token)} per month with the safe fixes, "
            f"{dollars((every - safe) * per_token)} more needing review") in comment
    assert (f"| `prompts/support.md` | -{safe} tokens/request, {dollars(safe * per_token)}/month | "
            f"-{every - safe} tokens/request, {dollars((every - safe) * per_token)}/month |") in comment

    # the findings worth most, each one's fix applied alone, each linked to its line at the head commit
    example_line = line_of(SUPPORT_AFTER, "Customer: Where is my order 1042? It was supposed to arrive on Monday.", 2)
    rule_line = line_of(SUPPORT_AFTER, SUPPORT_AFTER.splitlines()[1], 2)
    example = tokens_removed(repo, monkeypatch, o200k,
                             "promptopt audit --fix --unsafe-fixes --select PO204 prompts/support.md")
    rule = tokens_removed(repo, monkeypatch, o200k, "promptopt audit --fix --select PO101 prompts/support.md")
    assert example > rule > 0
    url = f"https://github.com/acme/garden-bot/blob/{head}/prompts/support.md?plain=1#L"
    assert (f"1. `PO204` duplicate-example, [`prompts/support.md` line {example_line}]({url}{example_line}): "
            f"-{example} tokens/request, {dollars(example * per_token)}/month (unsafe fix: needs review)") in comment
    assert (f"2. `PO101` duplicate-instruction, [`prompts/support.md` line {rule_line}]({url}{rule_line}): "
            f"-{rule} tokens/request, {dollars(rule * per_token)}/month (safe fix)") in comment
    assert "**Verified compression:** none: no eval suite is mapped" in comment  # and none is implied

    # the price map's litellm version changes with upgrades; the figures above are checked already
    comment = re.sub(r"litellm \d[\w.]*", "litellm <version>", comment)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(comment, encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN} missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert comment == GOLDEN.read_text(encoding="utf-8")


def test_the_ci_docs_show_the_golden_comment():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text(encoding="utf-8")
    assert f"````markdown\n{GOLDEN.read_text(encoding='utf-8')}````" in docs


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
    assert changes["prompts/helpdesk.md"]["before"]["tokens_per_request"] == len(o200k.encode(SUPPORT_BEFORE))
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
    commit(repo, {"prompts/support.md": SUPPORT_AFTER + SUPPORT_AFTER}, "grow")  # roughly doubles the input tokens
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


# --- the saving on offer: json, text, thresholds, links, eval suites -------------------------------


def test_the_offer_in_json_and_text_matches_the_comment_and_unknown_money_is_null(repo, monkeypatch, o200k):
    _, data = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "json")
    offer = json.loads(data)["offer"]
    safe = tokens_removed(repo, monkeypatch, o200k, "promptopt audit --fix prompts/support.md")
    every = tokens_removed(repo, monkeypatch, o200k, "promptopt audit --fix --unsafe-fixes prompts/support.md")
    assert (offer["safe"]["tokens_saved"], offer["unsafe"]["tokens_saved"]) == (safe, every - safe)
    assert offer["safe"]["command"] == "promptopt audit --fix prompts/support.md"
    assert offer["unsafe"]["needs_review"] is True
    assert [f["code"] for f in offer["top_findings"]] == ["PO204", "PO101"]
    assert all(f["url"] is None for f in offer["top_findings"])  # no CI variables: no link
    _, text = run(repo, monkeypatch, "--base", "HEAD~1")
    assert f"safe fixes -{safe} tokens/request" in text
    assert "apply: promptopt audit --fix prompts/support.md" in text
    assert "Verified compression: none: no eval suite is mapped" in text

    # no volume configured: tokens are known, dollars per month are not, and say so (null, never 0)
    commit(repo, {"pyproject.toml": CONFIG.split("[tool.promptopt.usage]")[0]}, "no volume")
    _, data = run(repo, monkeypatch, "--base", "HEAD~2", "--format", "json")
    offer = json.loads(data)["offer"]
    assert offer["safe"]["tokens_saved"] == safe and offer["safe"]["monthly_saving"] is None
    assert offer["monthly_saving"] is None and offer["prompts_without_monthly_saving"] == ["prompts/support.md"]
    assert all(f["monthly_saving"] is None for f in offer["top_findings"])
    _, comment = run(repo, monkeypatch, "--base", "HEAD~2", "--format", "markdown")
    assert (f"#### Saving on offer: {safe} tokens per request with the safe fixes, {every - safe} more needing "
            "review") in comment


def test_min_saving_hides_the_offer_below_an_amount_or_a_percentage(repo, monkeypatch, gpt4o):
    _, data = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "json")
    offer = json.loads(data)["offer"]
    monthly_offer, share = offer["monthly_saving"], offer["percent"]
    assert monthly_offer > 100 and 1 < share < 90
    for threshold, shown in ((f"${monthly_offer * 2:.0f}", False), (f"{monthly_offer / 2:.0f}", True),
                             (f"{share * 2:.0f}%", False), (f"{share / 2:.0f}%", True)):
        code, comment = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "markdown", "--min-saving", threshold)
        assert code == 0 and comment.startswith("<!-- promptopt-diff -->")  # the change itself is still shown
        assert ("Saving on offer" in comment) is shown, threshold
        assert ("Verified compression" in comment) is shown, threshold


def test_links_point_at_the_head_commit_on_gitlab_too(repo, monkeypatch):
    monkeypatch.setenv("CI_PROJECT_URL", "https://gitlab.example.com/acme/garden-bot")
    monkeypatch.setenv("CI_COMMIT_SHA", "0123abcd")  # the checked-out commit, used without --head
    _, data = run(repo, monkeypatch, "--base", "HEAD~1", "--format", "json")
    top = json.loads(data)["offer"]["top_findings"][0]
    blob = "https://gitlab.example.com/acme/garden-bot/-/blob/0123abcd/prompts/support.md"
    assert top["url"] == f"{blob}?plain=1#L{top['line']}"
    _, data = run(repo, monkeypatch, "--base", "HEAD~1", "--head", "HEAD~0", "--format", "json")
    head = git(repo, "rev-parse", "HEAD").strip()
    assert json.loads(data)["offer"]["top_findings"][0]["url"].split("/-/blob/")[1].startswith(head + "/")


SUITE = {"prompt": "../prompts/support.md", "model": "openai/gpt-4o-mini",
         "tests": [{"vars": {"message": "Where is order 7?"}, "assert": [{"type": "icontains", "value": "order"}]}]}


def test_a_mapped_suite_is_named_not_run_without_verify_and_a_failed_eval_is_an_error(repo, monkeypatch):
    import yaml

    (repo / "evals").mkdir()
    (repo / "evals" / "support.yaml").write_text(yaml.safe_dump(SUITE), encoding="utf-8")
    commit(repo, {"pyproject.toml": CONFIG + '\n[tool.promptopt.eval-suites]\n"prompts/support*.md" = '
                  '"evals/support.yaml"\n'}, "map a suite")
    code, comment = run(repo, monkeypatch, "--base", "HEAD~2", "--format", "markdown")
    assert code == 0
    assert ("**Verified compression:** `prompts/support.md` against `evals/support.yaml`: mapped, not run "
            "(`promptopt diff --verify` runs it); no compression verified") in comment
    _, data = run(repo, monkeypatch, "--base", "HEAD~2", "--format", "json")
    verification = json.loads(data)["changes"][0]["verification"]
    assert verification["status"] == "not run" and verification["cases"] is None and verification["chosen"] is None

    # with --verify and no key for the suite's provider, nothing is called and nothing reads as verified
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, comment = run(repo, monkeypatch, "--base", "HEAD~2", "--format", "markdown", "--verify")
    assert code == 2
    assert "against `evals/support.yaml`: the eval did not complete, nothing verified: missing API key" in comment
    assert "verdict" not in comment
