"""The audit's result cache (promptopt/cache.py): a re-run of an unchanged tree reads results instead of
auditing, gives exactly the same report, and misses whenever anything a result depends on changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import promptopt.cache as cache_module
from promptopt import engine
from promptopt.cache import ResultCache
from promptopt.cli import main
from promptopt.config import Config
from promptopt.engine import audit_paths

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
FIXTURES = ROOT / "fixtures" / "prompts"


def summary(result) -> list:
    """Everything a report shows of a file, fixes and their edits included."""
    def finding(f):
        fix = None if f.fix is None else (f.fix.edits, f.fix.applicability, f.fix.title, f.fix.scope)
        return (f.code, f.name, f.severity, str(f.path), f.location, f.message, f.tokens_saved, fix, f.snippet,
                f.document, f.related, f.text_edits)

    return [(str(r.path), r.tokens, r.error, [finding(f) for f in r.findings]) for r in result.files]


@pytest.fixture
def audits(monkeypatch) -> list[Path]:
    """The files the engine really audits (not read from the cache), in order."""
    seen: list[Path] = []
    audit_source = engine.Auditor.audit_source

    def counting(self, path, source):
        seen.append(path)
        return audit_source(self, path, source)

    monkeypatch.setattr(engine.Auditor, "audit_source", counting)
    return seen


@pytest.mark.corpus
def test_cached_results_equal_fresh_results_on_the_shared_corpus(tmp_path, monkeypatch):
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    config = Config(root=CORPUS)
    fresh = audit_paths([CORPUS], config)
    first = audit_paths([CORPUS], config, cache=ResultCache(config, tmp_path / "cache"))

    def no_audit(*args, **kwargs):
        raise AssertionError("an unchanged file was audited again")

    monkeypatch.setattr(engine, "Auditor", no_audit)  # the second run must not even load the rules
    second = audit_paths([CORPUS], config, cache=ResultCache(config, tmp_path / "cache"))
    assert len(fresh.files) > 100 and fresh.findings
    assert summary(first) == summary(fresh)
    assert summary(second) == summary(fresh)
    assert second.tokens == fresh.tokens and second.tokens_saved == fresh.tokens_saved


@pytest.fixture
def tree(tmp_path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURES, folder)
    return folder


def test_only_changed_files_are_audited_again(tree, tmp_path, audits):
    config = Config(root=tree)
    cache = tmp_path / "cache"
    audit_paths([tree], config, cache=ResultCache(config, cache))
    everything = list(audits)
    assert len(everything) >= 3
    audits.clear()
    edited = everything[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nPlease note that you must answer briefly.\n",
                      encoding="utf-8")
    rerun = audit_paths([tree], config, cache=ResultCache(config, cache))
    assert audits == [edited]
    assert summary(rerun) == summary(audit_paths([tree], config))


def test_a_tree_of_many_files_is_stored_in_a_few_pack_files(tmp_path, audits):
    """One file per entry cost a new inode and a rename each (seconds of system time on a large tree)."""
    for n in range(25):
        shutil.copytree(FIXTURES, tmp_path / "prompts" / f"copy{n}")
    config = Config(root=tmp_path / "prompts")
    cache = ResultCache(config, tmp_path / "cache")
    audit_paths([tmp_path / "prompts"], config, cache=cache)
    assert len(audits) > 2 * ResultCache.BUCKETS
    stored = list(cache.folder.iterdir())
    assert 0 < len(stored) <= ResultCache.BUCKETS and not [p for p in stored if p.suffix == ".tmp"]
    audits.clear()
    audit_paths([tmp_path / "prompts"], config, cache=ResultCache(config, tmp_path / "cache"))
    assert audits == []


def test_runs_that_audit_other_files_keep_each_others_entries(tree, tmp_path, audits, monkeypatch):
    """Run A reads the pack, run B writes it, then A writes: B's entry is still there."""
    monkeypatch.setattr(ResultCache, "BUCKETS", 1)  # every entry in the same pack
    config = Config(root=tree)
    first, second = tree / "support_bot.md", tree / "ticket_classifier.j2"
    run_a = ResultCache(config, tmp_path / "cache")
    assert run_a.get(first, run_a.digest(first.read_text(encoding="utf-8"))) is None  # A has read the pack
    audit_paths([second], config, cache=ResultCache(config, tmp_path / "cache"))  # B writes it
    audit_paths([first], config, cache=run_a)  # A writes it, merged with B's
    audits.clear()
    again = audit_paths([first, second], config, cache=ResultCache(config, tmp_path / "cache"))
    assert audits == [] and summary(again) == summary(audit_paths([first, second], config))


@pytest.mark.parametrize("change", ["content", "config", "rule set", "version", "promptopt code"])
def test_each_part_of_the_key_misses_when_it_changes(change, tree, tmp_path, audits, monkeypatch):
    prompt = tree / "support_bot.md"
    config = Config(root=tree)
    cache_dir = tmp_path / "cache"
    audit_paths([prompt], config, cache=ResultCache(config, cache_dir))
    audit_paths([prompt], config, cache=ResultCache(config, cache_dir))
    assert audits == [prompt]  # the second run was a hit
    if change == "content":
        prompt.write_text(prompt.read_text(encoding="utf-8").replace("customer", "client"), encoding="utf-8")
    elif change == "config":
        config = Config(root=tree, min_tokens=0)
    elif change == "rule set":
        config = Config(root=tree, select=["DEFAULT", "PO401"])
    elif change == "version":
        monkeypatch.setattr(cache_module, "__version__", "999.0")
    else:
        monkeypatch.setattr(cache_module, "_fingerprint", "an edited rule module")
    again = audit_paths([prompt], config, cache=ResultCache(config, cache_dir))
    assert audits == [prompt, prompt]
    assert summary(again) == summary(audit_paths([prompt], config))


def test_code_fingerprint_follows_an_edited_rule_file(tmp_path, monkeypatch):
    """The fingerprint reads the package and rule folders: a changed rule file changes it."""
    package, rules = tmp_path / "pkg", tmp_path / "rules"
    package.mkdir()
    rules.mkdir()
    (package / "rule.py").write_text("CODE = 'PO999'\n", encoding="utf-8")
    (rules / "PO998.yaml").write_text("code: PO998\n", encoding="utf-8")
    before = cache_module.fingerprint_of([package, rules])
    (rules / "PO998.yaml").write_text("code: PO998\nlevel: error\n", encoding="utf-8")
    assert cache_module.fingerprint_of([package, rules]) != before


def test_a_damaged_entry_is_a_miss_and_is_rewritten(tree, tmp_path, audits):
    prompt = tree / "support_bot.md"
    config = Config(root=tree)
    cache = ResultCache(config, tmp_path / "cache")
    expected = summary(audit_paths([prompt], config, cache=cache))
    for entry in cache.folder.glob("*.json"):
        entry.write_text('{"key": "' + cache.key + '", "findings": [', encoding="utf-8")
    assert summary(audit_paths([prompt], config, cache=ResultCache(config, tmp_path / "cache"))) == expected
    assert summary(audit_paths([prompt], config, cache=ResultCache(config, tmp_path / "cache"))) == expected
    assert audits == [prompt, prompt]


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, env=env)
    finally:
        os.chdir(old)


def test_the_default_cache_sits_beside_the_config_and_keeps_out_of_git(tree, monkeypatch):
    monkeypatch.delenv(cache_module.CACHE_ENV, raising=False)
    (tree / "promptopt.toml").write_text("min-tokens = 10\n", encoding="utf-8")
    first = run_cli(["audit", ".", "--format", "json"], tree)
    assert first.exit_code in (0, 1), first.output
    folder = tree / ".promptopt_cache"
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert list((folder / "audit").rglob("*.json"))
    second = run_cli(["audit", ".", "--format", "json"], tree)
    assert json.loads(second.output) == json.loads(first.output)
    listed = run_cli(["audit", ".", "--show-files"], tree).output
    assert ".promptopt_cache" not in listed  # excluded by default, never audited as prompts


def test_cache_dir_in_the_config_and_no_cache(tree, monkeypatch):
    monkeypatch.delenv(cache_module.CACHE_ENV, raising=False)
    (tree / "promptopt.toml").write_text('cache-dir = "build/lint-cache"\n', encoding="utf-8")
    fresh = run_cli(["audit", ".", "--no-cache", "--format", "json"], tree)
    assert not (tree / "build").exists() and not (tree / ".promptopt_cache").exists()
    cached = run_cli(["audit", ".", "--format", "json"], tree)
    assert list((tree / "build" / "lint-cache" / "audit").rglob("*.json"))
    # the same report and exit code either way (a crash would be exit 1 with no report)
    assert (fresh.exit_code, json.loads(fresh.output)) == (cached.exit_code, json.loads(cached.output))
    assert json.loads(fresh.output)["summary"]["files"] > 0
    assert not (tree / ".promptopt_cache").exists()
    (tree / "promptopt.toml").write_text("cache-dir = 3\n", encoding="utf-8")
    bad = run_cli(["audit", "."], tree)
    assert bad.exit_code == 2 and "cache-dir" in bad.output


def test_concurrent_runs_share_the_cache_safely(tree, tmp_path):
    """Two audits writing the same entries at once, then a third run reading them: the same report."""
    env = {**os.environ, cache_module.CACHE_ENV: str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "promptopt", "audit", ".", "--format", "json"]
    runs = [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    third = subprocess.run(command, cwd=tree, env=env, capture_output=True, timeout=300)
    fresh = subprocess.run([*command, "--no-cache"], cwd=tree, env=env, capture_output=True, timeout=300)
    reports = [json.loads(out) for out in (*outputs, third.stdout, fresh.stdout)]
    assert all(report == reports[-1] for report in reports)
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_a_section_is_stored_with_every_field_it_has():
    """The cache writes a section's fields by name: a field added to SectionTokens must be added there."""
    from dataclasses import fields

    from promptopt.tokenmap import SectionTokens

    assert [f.name for f in fields(SectionTokens)] == ["section", "line", "end_line", "tokens", "document", "role"]


def test_a_pack_drops_entries_older_than_the_keep_days_when_it_is_written(tree, tmp_path, audits, monkeypatch):
    """Entries of renamed or deleted files do not pile up in a pack forever (a pack is read whole)."""
    monkeypatch.setattr(ResultCache, "BUCKETS", 1)
    config = Config(root=tree)
    gone, kept = tree / "support_bot.md", tree / "ticket_classifier.j2"
    audit_paths([gone], config, cache=ResultCache(config, tmp_path / "cache"))
    later = cache_module._today() + cache_module.KEEP_DAYS + 1
    monkeypatch.setattr(cache_module, "_today", lambda: later)
    audit_paths([kept], config, cache=ResultCache(config, tmp_path / "cache"))  # writes the pack: `gone` goes
    pack = json.loads(next(ResultCache(config, tmp_path / "cache").folder.glob("*.json")).read_text("utf-8"))
    assert [name.rsplit("/", 1)[-1] for name in pack["entries"]] == ["ticket_classifier.j2"]
    audits.clear()
    audit_paths([gone, kept], config, cache=ResultCache(config, tmp_path / "cache"))
    assert audits == [gone]
