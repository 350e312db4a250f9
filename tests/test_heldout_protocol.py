"""The held-out protocol's data and tooling (docs/precision.md): the corpus's dev/test split, the second
to ninth test sets' manifests (the ninth's npm releases too), fetch's hash check, and the packets readers get
(the brief's sample, no findings in the recall packet)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import random
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import heldout  # noqa: E402
import packets  # noqa: E402
import split  # noqa: E402
import testset  # noqa: E402

CORPUS_MANIFEST = split.CORPUS / "MANIFEST.tsv"
needs_corpus = pytest.mark.skipif(not split.CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout")


@needs_corpus
def test_split_halves_cover_the_corpus_once_and_evenly():
    files = split.corpus_files()
    dev, test = split.corpus_half("dev"), split.corpus_half("test")
    assert set(dev).isdisjoint(test)
    assert sorted(dev + test) == files
    assert "MANIFEST.tsv" not in files
    assert 0.35 < len(dev) / len(files) < 0.65
    # every large family of the corpus has files on both sides, so dev tuning sees each kind
    for family in ("fabric", "python", "sk"):
        assert any(p.startswith(family + "/") for p in dev) and any(p.startswith(family + "/") for p in test)


def test_split_depends_on_the_relative_path_alone():
    assert split.half_of("fabric/analyze_claims.md") == split.half_of("fabric/analyze_claims.md")
    halves = {split.half_of(f"pattern_{i}/system.md") for i in range(20)}
    assert halves == {"dev", "test"}
    with pytest.raises(ValueError):
        split.corpus_half("train")


def test_split_cli_lists_a_half(tmp_path, capsys):
    for name in ("a.md", "b.md", "c/d.txt", "e.md", "MANIFEST.tsv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert split.main(["test", "--corpus", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.split()
    assert listed == [p for p in ["a.md", "b.md", "c/d.txt", "e.md"] if split.half_of(p) == "test"]


def test_the_second_test_set_is_fresh_permissive_and_varied():
    rows = testset.read_manifest()
    assert len(rows) >= 100
    assert len({r["file"] for r in rows}) == len(rows)
    packages = {r["package"] for r in rows}
    assert len(packages) >= 10
    assert max(sum(r["package"] == p for r in rows) for p in packages) <= testset.MAX_PER_PACKAGE
    tuned_on = {spec.split("==")[0] for spec in heldout.PACKAGES}
    assert not packages & tuned_on
    for row in rows:
        assert testset.is_permissive(row["license"]), row
        assert len(row["sha256"]) == 64 and int(row["sha256"], 16) >= 0
        assert "==" not in row["version"] and row["version"][0].isdigit()
    assert {r["kind"] for r in rows} >= {"system", "agent-config", "template", "code"}


@needs_corpus
def test_the_second_test_set_draws_on_no_repository_of_the_corpus():
    with CORPUS_MANIFEST.open(encoding="utf-8", newline="") as fh:
        corpus_repos = {row["repo"].split(" ")[0].lower() for row in csv.DictReader(fh, delimiter="\t")}
    corpus_repos.add("jujumilk3/leaked-system-prompts")
    ours = {r["repo"].lower() for r in testset.read_manifest()}
    assert "" not in ours
    assert not ours & corpus_repos


HELDOUT_REPOS = {"paul-gauthier/aider", "aider-ai/aider", "crewaiinc/crewai", "stanfordnlp/dspy",
                 "gpt-engineer-org/gpt-engineer", "langchain-ai/langchain", "run-llama/llama_index",
                 "openinterpreter/open-interpreter", "microsoft/semantic-kernel", "zou-group/textgrad"}
# the third to fourteenth sets, in the order they were built: (manifest, sources, files, packages, kinds)
LATER_SETS = [
    (testset.MANIFEST_3, testset.SOURCES_3, (100, 120), (10, 16), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_4, testset.SOURCES_4, (100, 120), (12, 16), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_5, testset.SOURCES_5, (100, 120), (10, 16), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_6, testset.SOURCES_6, (60, 120), (10, 20), {"system", "template", "library", "code"}),
    (testset.MANIFEST_7, testset.SOURCES_7, (50, 120), (10, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_8, testset.SOURCES_8, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_9, testset.SOURCES_9, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_10, testset.SOURCES_10, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_11, testset.SOURCES_11, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_12, testset.SOURCES_12, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_13, testset.SOURCES_13, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
    (testset.MANIFEST_14, testset.SOURCES_14, (80, 120), (12, 25), {"system", "agent-config", "template", "code"}),
]
SET_NAMES = [f"set{n}" for n in range(3, 3 + len(LATER_SETS))]


@pytest.mark.parametrize("index", range(len(LATER_SETS)), ids=SET_NAMES)
def test_each_later_test_set_is_fresh_permissive_and_varied(index):
    manifest, sources, (fewest, most), (fewest_packages, most_packages), kinds = LATER_SETS[index]
    rows = testset.read_manifest(manifest)
    earlier = [row for path in (testset.MANIFEST, *(s[0] for s in LATER_SETS[:index]))
               for row in testset.read_manifest(path)]
    assert fewest <= len(rows) <= most
    assert len({r["file"] for r in rows}) == len(rows)
    assert len({r["sha256"] for r in rows}) == len(rows)
    packages = {r["package"] for r in rows}
    assert fewest_packages <= len(packages) <= most_packages
    assert max(sum(r["package"] == p for r in rows) for p in packages) <= testset.MAX_PER_PACKAGE
    # fresh: no package, repository, file name or file content of an earlier set or of heldout.py (by
    # package, and by repository: a package's sibling from the same repository counts too)
    assert not packages & {r["package"] for r in earlier}
    assert not packages & {spec.split("==")[0] for spec in heldout.PACKAGES}
    ours = {r["repo"].lower() for r in rows}
    assert "" not in ours
    assert not ours & HELDOUT_REPOS
    assert not ours & {r["repo"].lower() for r in earlier}
    assert not {r["sha256"] for r in rows} & {r["sha256"] for r in earlier}
    assert not {r["file"] for r in rows} & {r["file"] for r in earlier}
    pinned = {s.name: s.version for s in sources}
    for row in rows:
        assert testset.is_permissive(row["license"]), row
        assert pinned[row["package"]] == row["version"], row  # the manifest is what `manifest --set` wrote
        assert len(row["sha256"]) == 64 and int(row["sha256"], 16) >= 0
        assert not row["path"].endswith("/__init__.py"), row
    assert {r["kind"] for r in rows} >= kinds
    assert len({r["repo"] for r in rows}) >= 10


@needs_corpus
@pytest.mark.parametrize("index", range(len(LATER_SETS)), ids=SET_NAMES)
def test_each_later_test_set_draws_on_no_repository_or_file_of_the_corpus(index, corpus_hashes):
    with CORPUS_MANIFEST.open(encoding="utf-8", newline="") as fh:
        corpus_repos = {row["repo"].split(" ")[0].lower() for row in csv.DictReader(fh, delimiter="\t")}
    corpus_repos.add("jujumilk3/leaked-system-prompts")
    rows = testset.read_manifest(LATER_SETS[index][0])
    assert not {r["repo"].lower() for r in rows} & corpus_repos
    assert not {r["sha256"] for r in rows} & corpus_hashes


@pytest.fixture(scope="module")
def corpus_hashes() -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in split.CORPUS.rglob("*") if p.is_file()}


def test_every_named_set_can_be_fetched_and_audited_from_the_command_line(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(testset, "fetch", lambda cache, rows: fetched.append(rows) or tmp_path)
    for name, manifest in (("new3", testset.MANIFEST_3), ("new4", testset.MANIFEST_4), ("new5", testset.MANIFEST_5),
                           ("new6", testset.MANIFEST_6), ("new7", testset.MANIFEST_7),
                           ("new8", testset.MANIFEST_8), ("new9", testset.MANIFEST_9),
                           ("new10", testset.MANIFEST_10), ("new11", testset.MANIFEST_11),
                           ("new12", testset.MANIFEST_12), ("new13", testset.MANIFEST_13),
                           ("new14", testset.MANIFEST_14)):
        fetched.clear()
        assert testset.main(["fetch", "--set", name, "--cache", str(tmp_path)]) == 0
        assert fetched[0] == testset.read_manifest(manifest)
        root, files = testset.set_files(name, tmp_path)
        assert root == tmp_path and files == [r["file"] for r in fetched[0]]
    with pytest.raises(SystemExit):
        testset.main(["fetch", "--set", "corpus-test"])  # the corpus halves are local, nothing to fetch


def _fake_release(downloads: Path, content: bytes) -> None:
    downloads.mkdir(parents=True)
    with zipfile.ZipFile(downloads / "fakeprompts-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("fakeprompts/system.md", content)


def test_fetch_unpacks_listed_files_and_refuses_a_changed_one(tmp_path):
    content = b"You are a support agent. Answer in two sentences.\n"
    _fake_release(tmp_path / "dl", content)
    row = {"file": "fakeprompts/fakeprompts/system.md", "package": "fakeprompts", "version": "1.0",
           "archive": "fakeprompts-1.0-py3-none-any.whl", "path": "fakeprompts/system.md",
           "sha256": hashlib.sha256(content).hexdigest()}
    target = testset.fetch(tmp_path, [row])
    assert (target / row["file"]).read_bytes() == content

    (target / row["file"]).unlink()
    with pytest.raises(SystemExit) as stopped:
        testset.fetch(tmp_path, [{**row, "sha256": hashlib.sha256(b"another release").hexdigest()}])
    assert stopped.value.code == 2
    assert not (target / row["file"]).exists()


def _fake_npm_tarball(name: str = "fakeprompts", content: bytes = b"You are a reviewer.\n") -> bytes:
    package_json = json.dumps({"name": name, "version": "1.0", "license": "MIT",
                               "repository": {"type": "git", "url": "git+https://github.com/acme/fakeprompts.git"}})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for path, data in (("package/package.json", package_json.encode()), ("package/agents/reviewer.md", content)):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _FakeRegistry:
    """The npm registry's two answers (version document, tarball), served from memory: no network in tests."""

    def __init__(self, tarball: bytes, integrity_of: bytes):
        digest = base64.b64encode(hashlib.sha512(integrity_of).digest()).decode()
        self.answers = {f"{testset.NPM_REGISTRY}/@acme%2ffakeprompts/1.0": json.dumps({"dist": {
                            "tarball": "https://registry.example/fakeprompts-1.0.tgz", "integrity": f"sha512-{digest}"}}
                        ).encode(),
                        "https://registry.example/fakeprompts-1.0.tgz": tarball}
        self.asked: list[str] = []

    def urlopen(self, url, timeout=None):
        self.asked.append(url)
        return io.BytesIO(self.answers[url])


def test_npm_releases_download_once_checked_against_the_registrys_integrity(tmp_path, monkeypatch):
    import urllib.request

    tarball = _fake_npm_tarball()
    registry = _FakeRegistry(tarball, tarball)
    monkeypatch.setattr(urllib.request, "urlopen", registry.urlopen)
    archive = testset.download("@acme/fakeprompts==1.0", tmp_path / "dl", registry="npm")
    assert archive.name == "acme-fakeprompts-1.0.tgz" and archive.read_bytes() == tarball
    files = testset.archive_files(archive)
    assert testset.metadata(files) == {"license": "MIT", "repo": "acme/fakeprompts"}
    asked = len(registry.asked)
    assert testset.download("@acme/fakeprompts==1.0", tmp_path / "dl", registry="npm") == archive
    assert len(registry.asked) == asked  # downloaded once

    tampered = _FakeRegistry(tarball, b"another tarball")
    monkeypatch.setattr(urllib.request, "urlopen", tampered.urlopen)
    with pytest.raises(SystemExit):
        testset.download("@acme/fakeprompts==1.0", tmp_path / "dl2", registry="npm")
    assert not (tmp_path / "dl2" / "acme-fakeprompts-1.0.tgz").exists()


def test_npm_manifest_rows_record_the_registry_and_fetch_from_it(tmp_path, monkeypatch):
    import urllib.request

    content = b"You are a code reviewer. Report only defects.\n" * 5
    tarball = _fake_npm_tarball(content=content)
    monkeypatch.setattr(urllib.request, "urlopen", _FakeRegistry(tarball, tarball).urlopen)
    source = testset.Source("@acme/fakeprompts==1.0", "agent-config", ("package/agents/*.md",), registry="npm")
    rows = testset.build_manifest(tmp_path, [source])
    assert [(r["file"], r["registry"], r["license"], r["repo"]) for r in rows] == \
        [("@acme/fakeprompts/agents/reviewer.md", "npm", "MIT", "acme/fakeprompts")]
    testset.write_manifest(rows, tmp_path / "MANIFEST-x.tsv")
    assert testset.read_manifest(tmp_path / "MANIFEST-x.tsv") == rows
    target = testset.fetch(tmp_path / "again", testset.read_manifest(tmp_path / "MANIFEST-x.tsv"))
    assert (target / "@acme/fakeprompts/agents/reviewer.md").read_bytes() == content
    # the earlier manifests keep their columns: no registry column, so PyPI
    assert testset.read_manifest(testset.MANIFEST_8)[0].keys() == set(testset.COLUMNS)



def test_a_smaller_share_per_release_keeps_the_same_content_blind_sample():
    files = {f"pkg/agents/agent_{i:02}.md": b"x" * 300 for i in range(30)}
    files["pkg/agents/stub.md"] = b"x" * 50  # under 200 bytes: never a prompt file
    every = testset._selected(testset.Source("pkg==1.0", "agent-config", ("pkg/agents/*.md",)), files)
    fewer = testset._selected(testset.Source("pkg==1.0", "agent-config", ("pkg/agents/*.md",), max_files=5), files)
    assert len(every) == testset.MAX_PER_PACKAGE and len(fewer) == 5
    assert set(fewer) < set(every)  # the first five of the same hash order, not another pick
    more = testset._selected(testset.Source("pkg==1.0", "agent-config", ("pkg/agents/*.md",), max_files=99), files)
    assert more == every  # never more than MAX_PER_PACKAGE

def test_local_name_drops_an_sdists_top_folder():
    assert testset.local_name("promptify", "promptify-2.0.3/promptify/prompts/qa.jinja") == \
        "promptify/promptify/prompts/qa.jinja"
    assert testset.local_name("graphrag", "graphrag/prompts/x.py") == "graphrag/graphrag/prompts/x.py"
    assert testset.local_name("cc-sdd", "package/templates/a.md", "npm") == "cc-sdd/templates/a.md"
    assert testset.local_name("package", "package/x.py") == "package/package/x.py"  # a PyPI package named so


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    """A real audit of the bundled prompts, as `testset.py audit` runs it."""
    root = ROOT / "fixtures" / "prompts"
    out = tmp_path_factory.mktemp("run")
    files = sorted(p.name for p in root.iterdir() if p.is_file())
    report = testset.audit(root, files, out)
    return out, report


def _brief(tmp_path: Path) -> Path:
    brief = tmp_path / "judging.md"
    brief.write_text("# Judging findings\nRIGHT or WRONG.\n", encoding="utf-8")
    return brief


def test_precision_packet_samples_as_the_brief_says(fixture_run, tmp_path):
    run, report = fixture_run
    findings = packets.findings_in_order(report)
    assert len(findings) >= 3, "the bundled prompts have findings to sample"
    n = len(findings) - 1
    shown = packets.precision_packet(run, tmp_path / "packet", n, seed=7, brief=_brief(tmp_path))
    expected = random.Random(7).sample(findings, n)
    assert [(f["path"], f["line"], f["code"]) for f in shown] == [(f["path"], f["line"], f["code"]) for f in expected]
    packet = tmp_path / "packet"
    assert (packet / "BRIEF.md").read_text(encoding="utf-8").startswith("# Judging findings")
    for f in shown:
        assert (packet / "files" / f["path"]).is_file()
    sheet = (packet / "verdicts.tsv").read_text(encoding="utf-8").splitlines()
    assert sheet[0].split("\t") == ["n", "code", "name", "path", "line", "verdict", "reason"]
    assert len(sheet) == n + 1
    # the reader sees findings, never the rules' docs or the fix edits
    assert all(set(f) == {"n", "code", "name", "path", "line", "message", "tokens_saved", "fix"} for f in shown)


def test_precision_packet_takes_every_finding_when_there_are_few(fixture_run, tmp_path):
    run, report = fixture_run
    shown = packets.precision_packet(run, tmp_path / "packet", 1000, seed=7, brief=_brief(tmp_path))
    assert len(shown) == len(packets.findings_in_order(report))


def test_recall_packet_has_the_files_and_no_finding(fixture_run, tmp_path):
    run, report = fixture_run
    paths = packets.recall_packet(run, tmp_path / "recall", brief=_brief(tmp_path))
    packet = tmp_path / "recall"
    assert sorted(paths) == sorted(f["path"] for f in report["files"] if not f["error"])
    assert not (packet / "findings.json").exists()
    everything = "".join(p.read_text(encoding="utf-8") for p in packet.glob("*.*"))
    codes = {f["code"] for f in packets.findings_in_order(report)}
    assert codes and not any(code in everything for code in codes)
    rows = (packet / "recall.tsv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(paths) + 1
    tokens = json.loads((run / "findings.json").read_text(encoding="utf-8"))["files"][0]["tokens"]
    assert rows[1].split("\t")[1] == str(tokens)


def test_the_dev_test_table_counts_only_judged_rows(tmp_path):
    head = "n\tcode\tname\tpath\tline\tverdict\treason\n"
    dev = tmp_path / "dev.tsv"
    dev.write_text(head + "1\tPO101\td\ta.md\t3\tRIGHT\tok\n2\tPO101\td\tb.md\t4\twrong\tdata\n"
                   "3\tPO503\te\tc.md\t1\t\t\n", encoding="utf-8")
    test_a, test_b = tmp_path / "a.tsv", tmp_path / "b.tsv"
    test_a.write_text(head + "1\tPO101\td\tx.md\t9\tWRONG\texample\n", encoding="utf-8")
    test_b.write_text(head + "1\tPO503\te\ty.md\t2\tRIGHT\tessay\n", encoding="utf-8")
    table = packets.dev_test_table([dev], [test_a, test_b]).splitlines()
    assert "| PO101 | 1 / 2 (50%) | 0 / 1 (0%) |" in table
    assert "| PO503 |  | 1 / 1 (100%) |" in table  # an unfilled row is not a verdict
    assert table[-1] == "| **all** | 1 / 2 (50%) | 1 / 2 (50%) |"


def test_licences_come_from_the_metadata_and_only_permissive_ones_pass():
    metadata = (b"Metadata-Version: 2.4\nName: fakeprompts\nVersion: 1.0\nLicense-Expression: MIT\n"
                b"Project-URL: Homepage, https://example.org\nProject-URL: Repository, https://github.com/acme/fake\n")
    assert testset.metadata({"fakeprompts-1.0.dist-info/METADATA": metadata}) == {"license": "MIT", "repo": "acme/fake"}
    # an empty licence field: the licence file decides
    bare = b"Metadata-Version: 2.1\nName: x\nVersion: 1\nLicense: \n"
    apache = b"\n  Apache License\n  Version 2.0, January 2004\n"
    found = testset.metadata({"x-1.dist-info/METADATA": bare, "x-1.dist-info/LICENSE": apache})
    assert found["license"] == "Apache-2.0 (licence file)" and testset.is_permissive(found["license"])
    assert not testset.is_permissive("GPL-3.0-or-later")
    assert not testset.is_permissive("")
