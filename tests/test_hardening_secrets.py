"""Issue 11, item 1: a planted key of each kind never appears in full in any output of audit, diff,
cost or compress, in any format, diff views and the PR comment included; and no fix changes a key.

The keys are generated from a seeded random source (no key-shaped literal in this file); they have the
shape and entropy of real ones, so PO801 flags them and nothing treats them as placeholders."""

from __future__ import annotations

import random
import string
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.guard import check_rewrite
from promptopt.redact import redact

_rng = random.Random(11)
_ALNUM = string.ascii_letters + string.digits


def _token(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


KEYS = {
    "openai": "sk-" + "proj-" + _token(48),
    "anthropic": "sk-" + "ant-api03-" + _token(40),
    "aws": "AK" + "IA" + _token(16, string.ascii_uppercase + string.digits),
    "github": "gh" + "p_" + _token(36),
    "slack": "xo" + "xb-" + _token(24),
    "jwt": "ey" + "J" + _token(30) + ".ey" + "J" + _token(40) + "." + _token(43),
    "url-password": "Zq8" + _token(14),
    # every character URL syntax allows in a password, `$` first (`Pa$$w0rd` was neither found nor masked)
    "url-password-symbols": "Pa$$" + _token(10) + "!&'()*+,;=~.-_%2F:" + _token(4),
}
PEM_LINES = [_token(64, _ALNUM + "+/") for _ in range(4)]
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + "\n".join(PEM_LINES) + "\n-----END RSA " + "PRIVATE KEY-----"


def _prompt(kind: str, key: str) -> str:
    value = f"mysql://root:{key}@db2.example.com/app" if kind.startswith("url-password") else key
    # a shouted line (PO404 quotes it, its unsafe fix lowercases it), filler and wordy phrases (safe
    # fixes that change the lines holding the key, so every diff view shows them)
    return (
        "You are a helpful billing assistant. Please note that you should answer politely.\n\n"
        f"USE THE KEY {value} WHEN CALLING THE BILLING TOOL.\n"
        f"Please note that the key is {value} and you must use it.\n"
        f"In order to call the tool, use {value}.\n"
    )


def _leaked(output: str) -> list[str]:
    leaks = [kind for kind, key in KEYS.items() if key in output]
    leaks += [f"pem line {i}" for i, line in enumerate(PEM_LINES) if line in output]
    return leaks


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A git repository whose head commit adds one prompt per kind of key (diff reads base vs head)."""
    folder = tmp_path_factory.mktemp("secrets")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    (folder / "base.md").write_text("You answer billing questions.\n", encoding="utf-8")
    subprocess.run([*git, "add", "."], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=folder, check=True)
    for kind, key in KEYS.items():
        (folder / f"{kind}.md").write_text(_prompt(kind, key), encoding="utf-8")
    (folder / "pem.md").write_text(
        f"You are a helpful signing assistant. Please note that you sign.\n\n{PEM}\n\n"
        "IN ORDER TO SIGN, USE THE KEY ABOVE.\n", encoding="utf-8")
    (folder / "config.json").write_text(
        '{"messages": [{"role": "system", "content": "Please note that the token is '
        + KEYS["jwt"] + ' and the key is ' + KEYS["github"] + ' in order to call the tool."}]}\n',
        encoding="utf-8")
    subprocess.run([*git, "add", "."], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "head"], cwd=folder, check=True)
    return folder


VIEWS = [
    *[["audit", ".", "--select", "ALL", "--min-tokens", "0", "--format", fmt]
      for fmt in ("text", "concise", "json", "github", "sarif")],
    # every fix, however small (the value floor would hide the lines that hold the key)
    ["audit", ".", "--select", "ALL", "--min-tokens", "0", "--diff", "--unsafe-fixes"],
    ["compress", ".", "--method", "rules", "--diff", "--unsafe"],
    ["compress", ".", "--method", "rules", "--side-by-side", "--unsafe"],
    ["compress", ".", "--method", "rules", "--format", "json", "--unsafe"],
    *[["cost", ".", "--format", fmt] for fmt in ("text", "json", "markdown")],
    *[["diff", "--base", "HEAD~1", "--format", fmt] for fmt in ("text", "json", "markdown")],
]


@pytest.mark.parametrize("args", VIEWS, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_no_output_prints_a_planted_key(repo, monkeypatch, args):
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.output.strip(), "the view printed nothing, so it proves nothing"
    assert _leaked(result.output) == []


def test_audit_report_written_to_a_file_is_masked_too(repo, monkeypatch, tmp_path):
    monkeypatch.chdir(repo)
    report = tmp_path / "report.sarif"
    CliRunner().invoke(main, ["audit", ".", "--select", "ALL", "--format", "sarif", "-o", str(report)])
    assert "PO801" in report.read_text(encoding="utf-8")
    assert _leaked(report.read_text(encoding="utf-8")) == []


def test_jwt_and_connection_url_passwords_are_flagged(repo, monkeypatch):
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["audit", "jwt.md", "url-password.md", "--select", "PO801",
                                       "--format", "concise"])
    assert result.output.count("PO801") == 6, result.output
    result = CliRunner().invoke(main, ["audit", "url-password.md", "--select", "PO801"])
    assert "mysql://root:****@" in result.output


def test_a_password_with_slash_or_at_sign_is_masked_whole():
    text = "Connect with postgres://admin:" + "p4ss/w@rd-" + _token(8) + "@db.example.com:5432/main today."
    shown = redact(text)
    assert "p4ss" not in shown and "w@rd" not in shown and "@db.example.com" in shown


def test_the_guard_rejects_a_fix_that_lowercases_a_key():
    aws = KEYS["aws"]
    before = f"ALWAYS SEND {aws} WITH EVERY CALL.\n"
    reason = check_rewrite(before, before.lower().capitalize())
    assert reason is not None and "secret" in reason and aws not in reason


def test_unsafe_sentence_case_fix_keeps_the_key(tmp_path):
    aws = KEYS["aws"]
    prompt = tmp_path / "p.md"
    prompt.write_text(f"You are a billing assistant.\n\nALWAYS SEND THE KEY {aws} WITH EVERY CALL.\n",
                      encoding="utf-8")
    CliRunner().invoke(main, ["audit", str(prompt), "--select", "ALL", "--fix", "--unsafe-fixes"])
    assert aws in prompt.read_text(encoding="utf-8")
