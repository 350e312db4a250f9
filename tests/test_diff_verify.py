"""`promptopt diff --verify` with the real local model: a pull request changes a prompt that has an eval
suite mapped to it, and the comment shows the strongest compression that passed, as `compress --verify`
reports it. The suite is tiny (4 SNIPS requests) to keep the test short; it is marked slow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import local_model_missing
from test_diff import CI_VARIABLES, commit, git

from promptopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
SNIPS = ROOT / "fixtures" / "evals" / "snips"
CORPUS = SNIPS / "requests.jsonl"  # the bundled requests: the test runs from a clone
CASES = 4
REQUESTS_PER_DAY = 10000  # dollars per month in the 1-100 range: printed with cents
# a duplicated rule (the safe PO101 fix) and a repeated example (the unsafe PO204 fix)
RULE = "Answer with the intent name only, and never add an explanation, a greeting or any other words.\n"
REPEATED = "Request: will it snow in Denver tomorrow\nIntent: GetWeather\n\n"
CONFIG = f"""[tool.promptopt]
model = "gpt-4o"

[tool.promptopt.usage]
requests-per-day = {REQUESTS_PER_DAY}

[tool.promptopt.eval-suites]
"prompts/intent.txt" = "evals/intent.yaml"
"""


def suite_text() -> str:
    spec = yaml.safe_load((SNIPS / "suite.yaml").read_text(encoding="utf-8"))
    spec["prompt"] = "../prompts/intent.txt"
    spec["dataset"]["path"] = str(CORPUS)
    spec["dataset"]["limit"] = CASES
    for assertion in spec["defaultTest"]["assert"]:
        if assertion["type"] == "one-of":
            assertion["value"] = str(SNIPS / assertion["value"])
    return yaml.safe_dump(spec, sort_keys=False)


def invoke(repo: Path, monkeypatch, *args: str):
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.mark.slow
def test_the_comment_shows_the_verified_compression_as_compress_verify_reports_it(tmp_path, monkeypatch, o200k):
    reason = local_model_missing(CORPUS)
    if reason:
        pytest.skip(reason)
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PROMPTOPT_CACHE_DIR", str(tmp_path / "cache"))  # outside the repository
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    fewshot = (SNIPS / "intent_fewshot.txt").read_text(encoding="utf-8")
    assert "Answer with the intent name only.\n" in fewshot and REPEATED in fewshot
    commit(repo, {"pyproject.toml": CONFIG, "evals/intent.yaml": suite_text(), "prompts/intent.txt": fewshot}, "base")
    bloated = fewshot.replace("Answer with the intent name only.\n", RULE + RULE).replace(
        "Request: {{text}}", REPEATED + "Request: {{text}}")
    commit(repo, {"prompts/intent.txt": bloated}, "reword the rules")

    result = invoke(repo, monkeypatch, "diff", "--base", "HEAD~1", "--head", "HEAD", "--verify", "--format", "json")
    assert result.exit_code == 0, result.output
    verification = json.loads(result.stdout)["changes"][0]["verification"]
    # the same suite through `compress --verify` (its answers now come from the cache)
    alone = invoke(repo, monkeypatch, "compress", "prompts/intent.txt", "--verify", "evals/intent.yaml",
                   "--format", "json")
    assert alone.exit_code == 0, alone.output
    report = json.loads(alone.stdout)
    assert report["stats"]["real_calls"] == 0  # the very answers the diff's eval got
    assert verification["cases"] == report["cases"] == CASES
    assert verification["model"] == report["model"] == "local/smollm2-text"
    assert verification["tokens_before"] == report["tokens_before"] == len(o200k.encode(bloated))
    assert verification["chosen"] == report["chosen"]

    comment = invoke(repo, monkeypatch, "diff", "--base", "HEAD~1", "--head", "HEAD", "--verify",
                     "--format", "markdown").stdout
    line = next(each for each in comment.splitlines() if each.startswith("**Verified compression:**"))
    # an eval that ran is reported even when --min-saving leaves the fixes' offer out (answers cached)
    small = invoke(repo, monkeypatch, "diff", "--base", "HEAD~1", "--head", "HEAD", "--verify", "--format",
                   "markdown", "--min-saving", "$100000").stdout
    assert "Saving on offer" not in small and line in small.splitlines()
    head = f"`prompts/intent.txt` against `evals/intent.yaml` ({CASES} cases on `local/smollm2-text`)"
    assert line.startswith(f"**Verified compression:** {head}: "), line
    if report["chosen"] is None:  # the model lost cases with every candidate: the comment says so
        assert verification["status"] == "none held" and "no compression kept" in line
        assert report["reason"] in line
        return
    chosen = next(c for c in report["candidates"] if c["name"] == report["chosen"])
    assert verification["status"] == "chosen" and chosen["verdict"] == "pass"
    assert verification["tokens_after"] == report["tokens_after"] == chosen["tokens"]
    assert (verification["lost"], verification["gained"]) == (chosen["lost"], chosen["gained"])
    saved = report["tokens_before"] - report["tokens_after"]
    assert f"`{report['chosen']}` ({chosen['description']}), {report['tokens_before']} → {report['tokens_after']} " \
           f"tokens per request ({-100 * saved / report['tokens_before']:+.1f}%)" in line
    assert f"verdict pass: score {report['original']['score']:.3f} → {chosen['score']:.3f}, " in line
    assert "`promptopt compress prompts/intent.txt --verify evals/intent.yaml --write`" in line
    # its dollars: the tokens it removes at gpt-4o's input price and the configured volume
    from test_diff import LITELLM

    prices = json.loads((Path(list(LITELLM.submodule_search_locations)[0])
                         / "model_prices_and_context_window_backup.json").read_text(encoding="utf-8"))
    monthly = saved * prices["gpt-4o"]["input_cost_per_token"] * REQUESTS_PER_DAY * 30
    assert verification["monthly_saving"] == pytest.approx(monthly)
    assert re.search(rf", \${monthly:,.2f}/month; verdict pass", line), line
    print(f"\n{line}")
