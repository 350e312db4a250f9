"""`compress -o` always writes its output, the original text when nothing was accepted, and says so
(issue 13: a script that runs compress -o then reads the file must find it)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from promptopt.cli import main

CLEAN = "Summarise the support ticket in one sentence.\n\nAnswer in English.\n"


def test_o_writes_the_original_when_nothing_changes(tmp_path):
    source, out = tmp_path / "clean.md", tmp_path / "out" / "clean.md"
    source.write_text(CLEAN)
    run = CliRunner().invoke(main, ["compress", str(source), "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert out.read_text() == CLEAN
    assert f"written to {out} (unchanged: the original text)" in run.output


def test_o_reports_where_it_wrote_in_json(tmp_path):
    source, out = tmp_path / "clean.md", tmp_path / "short.md"
    source.write_text(CLEAN)
    run = CliRunner().invoke(main, ["compress", str(source), "-o", str(out), "--format", "json"])
    assert run.exit_code == 0, run.output
    entry = json.loads(run.output)["files"][0]
    assert entry["written"] == str(out) and not entry["changed"]
    assert out.read_text() == CLEAN


def test_without_o_or_write_nothing_is_written(tmp_path):
    source = tmp_path / "clean.md"
    source.write_text(CLEAN)
    run = CliRunner().invoke(main, ["compress", str(source), "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["files"][0]["written"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.md"]
