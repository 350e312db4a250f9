"""Baselines: adopt promptopt on existing prompts, then fail only on findings added later.

The adoption test runs on a copy of the shared corpus (../shared/corpus/prompts); the others write
their own small prompts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "prompts"


def audit(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "--no-color", *args])
    return result.exit_code, result.output


def findings(*args: str) -> list[dict]:
    code, out = audit("--format", "json", "--exit-zero", *args)
    assert code == 0, out
    data = json.loads(out[out.index("{"):])
    return [{**f, "file": file["path"]} for file in data["files"] for f in file["findings"]]


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    target = tmp_path / "prompts"
    shutil.copytree(CORPUS, target)
    return target


@pytest.mark.corpus
def test_adopting_a_baseline_on_the_corpus(corpus_copy, tmp_path):
    (corpus_copy / "promptopt.toml").write_text('extend-select = ["PO101"]\n', encoding="utf-8")  # opt-in rule
    baseline = tmp_path / "promptopt-baseline.json"
    before = findings(str(corpus_copy))
    assert before, "the corpus should have findings to adopt"
    code, out = audit(str(corpus_copy), "--write-baseline", str(baseline))
    assert code == 0, out
    assert f"wrote {len(before)} findings" in out
    code, out = audit(str(corpus_copy), "--baseline", str(baseline))
    assert code == 0, out

    # one duplicated instruction in one file: exactly that finding fails
    summarize = corpus_copy / "fabric" / "summarize.md"
    text = summarize.read_text(encoding="utf-8")
    summarize.write_text(text.rstrip("\n") + "\n\n- Respond with the summary in plain English for the reader.\n"
                         "- Respond with the summary in plain English for the reader.\n", encoding="utf-8")
    code, out = audit(str(corpus_copy), "--baseline", str(baseline))
    assert code == 1, out
    new = findings(str(corpus_copy), "--baseline", str(baseline))
    assert [(f["code"], Path(f["file"]).name) for f in new] == [("PO101", "summarize.md")], new

    # moving text around in another file (its last block first) makes no finding new
    summarize.write_text(text, encoding="utf-8")
    moved = corpus_copy / "fabric" / "extract_wisdom.md"
    blocks = moved.read_text(encoding="utf-8").rstrip("\n").split("\n\n")
    moved.write_text("\n\n".join(blocks[-1:] + ["", ""] + blocks[:-1]) + "\n", encoding="utf-8")
    assert findings(str(corpus_copy), "--baseline", str(baseline)) == []
    assert audit(str(corpus_copy), "--baseline", str(baseline))[0] == 0


def test_a_second_copy_of_accepted_text_is_new(tmp_path):
    prompt = tmp_path / "p.md"
    prompt.write_text("Answer in English.\nTry to keep it short and clear.\n", encoding="utf-8")
    baseline = tmp_path / "b.json"
    assert audit(str(prompt), "--select", "PO902", "--min-tokens", "0", "--write-baseline", str(baseline))[0] == 0
    prompt.write_text("Try to keep it short and clear.\n\nAnswer in English.\nTry to keep it short and clear.\n",
                      encoding="utf-8")
    new = findings(str(prompt), "--select", "PO902", "--min-tokens", "0", "--baseline", str(baseline))
    assert len(new) == 1


def test_a_baseline_run_says_how_many_findings_it_suppressed(tmp_path):
    prompt = tmp_path / "p.md"
    prompt.write_text("Try to keep it short.\nYou should probably cite sources.\nTry to be clear.\n", encoding="utf-8")
    baseline = tmp_path / "b.json"
    options = ("--select", "PO902", "--min-tokens", "0")
    accepted = len(findings(str(prompt), *options))
    assert accepted >= 2, "PO902 no longer finds hedges here: update the test prompt"
    code, out = audit(str(prompt), *options, "--write-baseline", str(baseline))
    assert code == 0 and f"No findings ({accepted} suppressed by the baseline)." in out
    code, out = audit(str(prompt), *options, "--baseline", str(baseline))
    assert code == 0 and f"No findings ({accepted} suppressed by the baseline)." in out, out
    code, out = audit(str(prompt), *options, "--baseline", str(baseline), "--format", "concise")
    assert out == f"All checks passed! ({accepted} suppressed by the baseline)\n"
    code, out = audit(str(prompt), *options, "--baseline", str(baseline), "--format", "json")
    assert json.loads(out)["summary"]["suppressed_by_baseline"] == accepted
    prompt.write_text(prompt.read_text(encoding="utf-8") + "If possible, try to cite the page.\n", encoding="utf-8")
    code, out = audit(str(prompt), *options, "--baseline", str(baseline))
    assert code == 1 and f"Findings: 1 (1 info); {accepted} more suppressed by the baseline" in out, out
    # no baseline, no mention
    assert "suppressed" not in audit(str(prompt), *options)[1]


def test_baseline_file_is_stable_and_holds_no_secret(tmp_path):
    key = "sk-ant-api03-" + "Q2hlY2tUaGVCYXNlbGluZUZpbGVIb2xkc05vU2VjcmV0MDEyMzQ1Njc4OQ" + "-Zk9wAA"
    prompt = tmp_path / "p.md"
    prompt.write_text(f"Use {key} for billing.\nTry to answer briefly.\n", encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text('select = ["ALL"]\nmin-tokens = 0\n', encoding="utf-8")
    first, second = tmp_path / "b1.json", tmp_path / "b2.json"
    audit(str(prompt), "--write-baseline", str(first))
    audit(str(prompt), "--write-baseline", str(second))
    text = first.read_text(encoding="utf-8")
    assert text == second.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["version"] == 1 and {"PO801", "PO902"} <= {e["code"] for e in data["findings"]}
    assert data["findings"] == sorted(data["findings"], key=lambda e: (e["path"], e["code"], e["fingerprint"]))
    assert key not in text and key[-12:] not in text


def test_bad_baseline_is_an_error(tmp_path):
    prompt = tmp_path / "p.md"
    prompt.write_text("Try to answer briefly.\n", encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"findings": "nope"}', encoding="utf-8")
    code, out = audit(str(prompt), "--baseline", str(bad))
    assert code == 2 and "baseline" in out
    code, out = audit(str(prompt), "--baseline", str(tmp_path / "missing.json"))
    assert code == 2


def test_config_key_baseline(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.promptopt]\nbaseline = "promptopt-baseline.json"\n'
                                             'select = ["ALL"]\nmin-tokens = 0\n', encoding="utf-8")
    prompt = tmp_path / "p.md"
    prompt.write_text("Try to answer briefly.\n", encoding="utf-8")
    assert audit(str(prompt), "--write-baseline", str(tmp_path / "promptopt-baseline.json"))[0] == 0
    assert audit(str(prompt))[0] == 0  # the config's baseline applies: what the pre-commit hook runs
    prompt.write_text("Try to answer briefly.\nYou should probably cite sources.\n", encoding="utf-8")
    assert audit(str(prompt))[0] == 1


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout


def test_diff_honours_the_baseline(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    prompt = tmp_path / "prompts" / "support.md"
    prompt.parent.mkdir()
    prompt.write_text("Answer in English.\n", encoding="utf-8")
    (tmp_path / "promptopt.toml").write_text('select = ["ALL"]\nmin-tokens = 0\n', encoding="utf-8")  # PO902 is opt-in
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    prompt.write_text("Answer in English.\nTry to answer briefly.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def introduced(*extra: str) -> list:
        result = CliRunner().invoke(main, ["diff", "--base", "HEAD", "--format", "json", *extra])
        data = json.loads(result.output[result.output.index("{"):])
        return [f for change in data["changes"] for f in change["introduced"]]

    assert [f["code"] for f in introduced()] == ["PO902"]
    baseline = tmp_path / "promptopt-baseline.json"
    assert audit(str(prompt), "--write-baseline", str(baseline))[0] == 0
    assert introduced("--baseline", str(baseline)) == []
