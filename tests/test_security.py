"""Secrets in prompts: flagged at error level, masked in every output format, and the real pre-commit
hook blocks the commit. The keys below are made up, built from parts so that no scanner takes this
file for a leak; they have the shape of real ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_precommit import PRE_COMMIT, commit, git, make_repo  # noqa: F401

from promptopt.config import Config
from promptopt.core import Severity
from promptopt.engine import audit_paths
from promptopt.registry import get_rule
from promptopt.reporters import REPORTERS, ReportOptions, render

ANTHROPIC = "sk-ant-" + "api03-" + "T2ZmbGluZVRlc3RLZXlGb3JQcm9tcHRvcHQtMDEyMzQ1Njc4OWFiY2RlZg" + "-Xy3QAA"
OPENAI = "sk-" + "proj-" + "UHJvbXB0b3B0RmFrZU9wZW5BSUtleTAxMjM0NTY3ODlhYmNkZWZn" + "h7Qz"
AWS = "AKIA" + "Z7QX4FAKE2KEY9PM"
KEYS = {"Anthropic": ANTHROPIC, "OpenAI": OPENAI, "AWS": AWS}
PROMPT = (
    "You are the billing assistant for Acme.\n"
    f"Call the refunds tool with the key {ANTHROPIC} when a refund is approved.\n"
    f"The fallback model is reached with {OPENAI}.\n"
    f"Receipts are uploaded to S3 with access key {AWS}.\n"
)


def test_planted_keys_are_errors_and_no_format_prints_them(tmp_path):
    prompt = tmp_path / "billing.md"
    prompt.write_text(PROMPT, encoding="utf-8")
    result = audit_paths([prompt], Config())
    secrets = [f for f in result.findings if f.code == "PO801"]
    assert len(secrets) == 3
    assert all(f.severity == Severity.ERROR for f in secrets)
    assert sorted(f.location.line for f in secrets) == [2, 3, 4]
    assert result.exit_code == 1
    messages = " ".join(f.message for f in secrets)
    assert f"sk-ant-…{ANTHROPIC[-4:]}" in messages and f"AKIA…{AWS[-4:]}" in messages  # prefix + last 4
    options = ReportOptions(color=False, show_fixes=True, rule_docs=get_rule)
    for fmt in REPORTERS:
        output = render(fmt, result, options)
        assert "PO801" in output, fmt
        for provider, key in KEYS.items():
            assert key not in output, f"{fmt} printed the {provider} key in full"
            assert key[4:-4] not in output, f"{fmt} printed the middle of the {provider} key"


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")
def test_precommit_blocks_a_commit_that_adds_a_secret(tmp_path, hook_repo, pre_commit_env):  # noqa: F811
    repo = make_repo(tmp_path, hook_repo, pre_commit_env, "      - id: promptopt-audit\n",
                     "[tool.promptopt]\nfail-on = \"error\"\n")
    clean = commit(repo, pre_commit_env, {"prompts/billing.md": "You are the billing assistant for Acme.\n"})
    assert clean.returncode == 0, clean.output
    blocked = commit(repo, pre_commit_env, {"prompts/billing.md": PROMPT})
    assert blocked.returncode != 0, blocked.output
    assert "PO801" in blocked.output and "Failed" in blocked.output
    for key in KEYS.values():
        assert key not in blocked.output
    assert git(repo, "log", "--format=%s").stdout.split("\n").count("change") == 1  # the secret never landed


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")
def test_precommit_honours_the_baseline(tmp_path, hook_repo, pre_commit_env):  # noqa: F811
    repo = make_repo(tmp_path, hook_repo, pre_commit_env, "      - id: promptopt-audit\n",
                     "[tool.promptopt]\nbaseline = \"promptopt-baseline.json\"\n"
                     "extend-select = [\"PO902\"]\nmin-tokens = 0\n")
    old = "Try to answer in English.\n"
    (repo / "p.md").write_text(old, encoding="utf-8")
    from click.testing import CliRunner

    from promptopt.cli import main

    written = CliRunner().invoke(main, ["audit", str(repo / "p.md"), "--write-baseline",
                                        str(repo / "promptopt-baseline.json")])
    assert written.exit_code == 0, written.output
    accepted = commit(repo, pre_commit_env, {"p.md": old, "promptopt-baseline.json":
                                             (repo / "promptopt-baseline.json").read_text(encoding="utf-8")})
    assert accepted.returncode == 0, accepted.output
    blocked = commit(repo, pre_commit_env, {"p.md": old + "You should probably cite sources.\n"})
    assert blocked.returncode != 0 and "PO902" in blocked.output


def test_secret_in_prompty_front_matter_is_found(tmp_path):
    prompt = tmp_path / "chat.prompty"
    prompt.write_text(f"---\nmodel:\n  configuration:\n    api_key: {OPENAI}\n---\nsystem:\nHi.\n", encoding="utf-8")
    found = [f for f in audit_paths([prompt], Config()).findings if f.code == "PO801"]
    assert [f.location.line for f in found] == [4]
    assert OPENAI not in found[0].message


def test_keys_in_a_path_are_not_read_from_the_snippet_by_reporters(tmp_path):
    # Finding.snippet holds the raw text for baselines; reporters must never show it
    prompt = tmp_path / "p.txt"
    prompt.write_text(f"token {AWS}\n", encoding="utf-8")
    result = audit_paths([Path(prompt)], Config(select=["PO801"]))
    assert result.findings and result.findings[0].snippet == AWS
    assert all(AWS not in render(fmt, result) for fmt in REPORTERS)
