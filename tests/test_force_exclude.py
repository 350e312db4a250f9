"""pre-commit names files explicitly; `--force-exclude` keeps the config's `exclude` in force (as in ruff)."""

from __future__ import annotations

from click.testing import CliRunner

from promptopt.cli import main

BLOATED = "Please note that you must answer in English.\nIn order to help, keep it short.\n"


def test_excluded_file_named_explicitly_is_skipped_only_with_force_exclude(tmp_path, monkeypatch):
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "third_party.md").write_text(BLOATED)
    (tmp_path / "ours.md").write_text(BLOATED)
    (tmp_path / "pyproject.toml").write_text('[tool.promptopt]\nexclude = ["vendor/"]\n'
                                             'extend-select = ["PO4"]\nmin-tokens = 0\n')
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    named = runner.invoke(main, ["audit", "vendor/third_party.md", "--format", "concise"])
    assert named.exit_code == 1 and "third_party.md" in named.output

    args = ["audit", "vendor/third_party.md", "ours.md", "--force-exclude", "--format", "concise"]
    forced = runner.invoke(main, args)
    assert forced.exit_code == 1
    assert "third_party.md" not in forced.output and "ours.md" in forced.output
