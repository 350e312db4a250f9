"""`promptopt rules` and `promptopt rules CODE`: what a user reads to understand a finding."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from promptopt.cli import main
from promptopt.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
MARK = {"safe": "*", "unsafe": "~", "": " "}


def rules(*args: str):
    return CliRunner().invoke(main, ["rules", *args])


def test_the_listing_has_one_line_per_registered_rule_with_its_fix_mark():
    result = rules()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if re.match(r"PO\d{3} ", line)]
    registry = all_rules()
    assert [line[:5] for line in lines] == list(registry), "every rule, once, in registry order"
    assert len(registry) >= 30
    for line in lines:
        rule = registry[line[:5]]
        code, mark, opt_in, name, severity = re.match(r"(PO\d{3}) (.)(.) (\S+) +(\w+) ", line).groups()
        assert (mark, name, severity) == (MARK[rule.fixable], rule.name, str(rule.severity)), line
        assert opt_in == (" " if rule.default else "-"), line  # opt-in rules are marked
        assert line.endswith(rule.summary)
    assert "* safe fix (--fix)   ~ unsafe fix (--unsafe-fixes)   - opt-in" in result.stdout


def test_one_rule_prints_its_docs_options_and_where_it_lives():
    result = rules("PO205")
    assert result.exit_code == 0, result.output
    rule = all_rules()["PO205"]
    # PO205 is opt-in (held out 2 / 7): the header says how to select it
    assert result.stdout.startswith(
        f"PO205 {rule.name} [{rule.severity}] ({rule.fixable} fix) (opt-in: extend-select = [\"PO205\"])\n\n")
    assert rule.docs.strip() in result.stdout and "Good:" in result.stdout
    assert re.search(r"^Bad(?: \([^)]*\))?:", result.stdout, re.M)  # "Bad (skprompt.txt):" names the file
    assert "Options (config: [tool.promptopt.rules.PO205]):" in result.stdout
    for key, value in rule.options.items():
        assert f"    {key} = {value!r}" in result.stdout
    where = re.search(r"Defined in (\S+); test cases in (\S+)$", result.stdout.rstrip())
    assert where, result.stdout
    assert (ROOT / where.group(1)).is_file() and (ROOT / where.group(2)).is_file()


def test_a_rule_is_found_by_code_in_any_case_or_by_name():
    by_code = rules("PO101").stdout
    assert rules("po101").stdout == by_code
    assert rules(all_rules()["PO101"].name).stdout == by_code
    assert "fix)" not in rules("PO501").stdout.splitlines()[0]  # no fix, no fix mark


def test_an_unknown_rule_is_one_line_and_exit_2():
    result = rules("PO999")
    assert result.exit_code == 2
    assert result.stderr == "promptopt: error: no rule 'PO999'; `promptopt rules` lists them\n"
    assert result.stdout == ""


def test_json_listing_and_single_rule_agree_with_the_registry():
    listing = json.loads(rules("--format", "json").stdout)
    registry = all_rules()
    assert [entry["code"] for entry in listing] == list(registry)
    one = json.loads(rules("PO101", "--format", "json").stdout)
    assert one == next(entry for entry in listing if entry["code"] == "PO101")
    rule = registry["PO101"]
    assert (one["name"], one["severity"], one["fixable"], one["options"]) == (
        rule.name, str(rule.severity), rule.fixable or None, rule.options,
    )  # fmt: skip
    assert one["docs"] == rule.docs and one["source"] == rule.source


def installed_copy(site: Path) -> Path:
    """The package as the wheel lays it out (pyproject's force-include: `rules` ->
    `promptopt/_builtin_rules`), with no checkout around it."""
    import shutil

    shutil.copytree(ROOT / "promptopt", site / "promptopt", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "rules", site / "promptopt" / "_builtin_rules")
    return site


def test_an_installed_package_points_at_files_that_exist(tmp_path):
    import os
    import subprocess
    import sys

    site = installed_copy(tmp_path / "site")
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    for code in ("PO401", "PO101"):  # a YAML rule and a Python rule
        done = subprocess.run([sys.executable, "-m", "promptopt", "rules", code], cwd=elsewhere,
                              env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True,
                              check=True)
        last = done.stdout.rstrip().splitlines()[-1]
        assert last.startswith("Defined in ") and "test cases" not in last, last  # no tests/ in a package
        where = Path(last.removeprefix("Defined in "))
        assert where.is_file() and where.is_relative_to(site), last
