"""Prompts where teams keep them: string constants in Python modules, and CSV prompt libraries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.cli import main
from promptopt.loaders import load_source

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "prompts"

MODULE = '''"""Prompts of the support agent."""

VERSION = "1.2"  # not a prompt: too short, and its name says nothing of prompts
SYSTEM_PROMPT = """You answer questions about {product} for customers.
- Quote the order number the customer gives you.
- Never promise a refund; say a person will review it.
- Quote the order number the customer gives you.
"""


class Prompts:
    SUMMARY_TEMPLATE = f"Summarise the ticket in {3} sentences for the {{team}} lead."
    ESCAPED_PROMPT = "Line one of the prompt.\\nLine two, after an escape."


def helper(path):
    """Read the prompt file and say so in the log; no string here is a prompt."""
    message = f"Could not read the prompt file {path}, the default system prompt is used."
    log.warning("Loaded the system prompt template from %s for the support agent", path)
    if not path:
        raise ValueError("The prompt template path is empty, give one in the settings.")
    return message
'''


def _audit(*args: str) -> dict:
    result = CliRunner().invoke(main, ["audit", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_python_constants_are_prompts_with_their_own_lines(tmp_path):
    path = tmp_path / "prompts.py"
    path.write_text(MODULE, encoding="utf-8")
    docs = load_source(path, MODULE)
    assert [d.name for d in docs] == ["SYSTEM_PROMPT", "Prompts.SUMMARY_TEMPLATE", "Prompts.ESCAPED_PROMPT"]
    system = docs[0]
    assert system.text.startswith("You answer questions about {product}")
    assert [p.name for p in system.placeholders] == ["product"]
    escaped = docs[2]
    assert "\n" in escaped.text and not escaped.mappable  # the model sees the escape's newline

    report = _audit(str(path), "--min-tokens", "0", "--extend-select", "PO101")
    (finding,) = [f for f in report["files"][0]["findings"] if f["code"] == "PO101"]
    # the duplicate bullet is line 7 of the module, not line 4 of the prompt
    assert MODULE.splitlines()[finding["line"] - 1] == "- Quote the order number the customer gives you."
    assert finding["line"] == 7


def test_a_fix_edits_inside_the_literal_and_the_module_still_imports(tmp_path):
    path = tmp_path / "prompts.py"
    path.write_text(MODULE, encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(path), "--fix", "--min-tokens", "0", "--select", "PO101"])
    assert result.exit_code == 0, result.output
    fixed = path.read_text(encoding="utf-8")
    assert fixed.count("Quote the order number") == 1
    namespace: dict = {}
    exec(compile(fixed, str(path), "exec"), namespace)  # still valid Python, the constant still there
    assert namespace["SYSTEM_PROMPT"].count("- ") == 2


def test_broken_python_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text('PROMPT = """never closed\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(path)])
    assert result.exit_code == 2
    assert "broken.py: invalid Python: line 1" in result.stderr


LIBRARY = '''act,prompt,for_devs
Linux Terminal,"I want you to act as a linux terminal. Reply with the terminal output only.
Do not write explanations.
Do not write explanations.",TRUE
Travel Guide,"Act as a travel guide. I will write you my location and you will suggest ""one"" place.",FALSE
'''


def test_csv_library_rows_are_prompts_located_at_their_row(tmp_path):
    path = tmp_path / "prompts.csv"
    path.write_text(LIBRARY, encoding="utf-8")
    docs = load_source(path, LIBRARY)
    assert [d.name for d in docs] == ["row 1 (Linux Terminal)", "row 2 (Travel Guide)"]
    assert docs[0].mappable and not docs[1].mappable  # doubled quotes: the text differs from the file
    assert 'suggest "one" place' in docs[1].text

    report = _audit(str(path), "--min-tokens", "0", "--extend-select", "PO101")
    (finding,) = [f for f in report["files"][0]["findings"] if f["code"] == "PO101"]
    assert finding["line"] == 4 and finding["document"] == "row 1 (Linux Terminal)"
    assert report["files"][0]["tokens"] > 30


def test_csv_without_a_prompt_column_is_skipped_out_loud_in_a_folder_and_audited_when_named(tmp_path):
    (tmp_path / "prices.csv").write_text("model,price\ngpt-4o,2.5\n", encoding="utf-8")
    listed = CliRunner().invoke(main, ["audit", str(tmp_path), "--show-files", "--verbose"])
    assert "skip" in listed.output and "prices.csv: not a prompt" in listed.output  # said, not silent
    report = _audit(str(tmp_path / "prices.csv"))
    assert [(Path(f["path"]).name, f["tokens"], f["error"]) for f in report["files"]] == [("prices.csv", 0, None)]


@pytest.mark.corpus
def test_metagpt_modules_of_the_corpus_are_read():
    folder = CORPUS / "python" / "metagpt"
    if not folder.is_dir():
        pytest.skip(f"shared corpus not found at {folder}")
    report = _audit(str(folder), "--select", "ALL", "--min-tokens", "0")
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert len(files) == 12 and all(f["error"] is None for f in files.values())
    assert sum(f["tokens"] > 0 for f in files.values()) >= 10
    for name, entry in files.items():
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        for finding in entry["findings"]:
            if finding["code"] == "PO101":  # the flagged line holds the duplicated sentence itself
                assert lines[finding["line"] - 1].strip(), (name, finding)


def test_a_script_kept_in_a_string_is_not_a_prompt(tmp_path):
    """A long multi-line constant is taken by its shape only when it reads as prose."""
    runner = "\n".join(["import json, sys", "job = json.load(sys.stdin)", "if job.get('file'):",
                        "    result = run(job['file'])", "else:", "    result = eval(job['code'])",
                        "json.dump({'result': result}, sys.stdout)"] * 2)
    prose = ("You are the sales assistant of a small bakery. Greet the customer by name, recommend one "
             "bread of the day and never promise a delivery time.\nAnswer in two sentences, in the customer's "
             "language, and end with the shop's opening hours.\n")
    module = f'RUNNER = """{runner}"""\n\nGREETING = """{prose}"""\n'
    path = tmp_path / "bakery.py"
    assert [d.name for d in load_source(path, module)] == ["GREETING"]


ESCAPED_MODULE = '''"""Prompts with backslashes, as llama-index writes them."""

ANSWER_PROMPT_TMPL = """\\
Fill in the template with the answers.
Keep the original formatting of the template \\
if possible.

Please make sure the final response follows the previous response.
Keep the original formatting of the template if possible.
Previous Response: {prev}
"""
'''


def test_an_escaped_literal_reports_each_finding_on_its_own_line_without_a_fix(tmp_path):
    path = tmp_path / "prompts.py"
    path.write_text(ESCAPED_MODULE, encoding="utf-8")
    (doc,) = load_source(path, ESCAPED_MODULE)
    assert not doc.mappable  # the continuation joins two source lines: an edit cannot be mapped back
    report = _audit(str(path), "--min-tokens", "0", "--select", "PO101")
    (finding,) = report["files"][0]["findings"]
    lines = ESCAPED_MODULE.splitlines()
    assert lines[finding["line"] - 1] == "Keep the original formatting of the template if possible."
    assert finding["fix"] is None


def test_a_prefix_constant_ending_in_an_announcement_is_continued_by_the_program(tmp_path):
    prefix = 'DESCRIPTION_PREFIX = """Use this tool to run a query plan.\nThe tools are as follows:\n"""\n'
    (tmp_path / "plan.py").write_text(prefix, encoding="utf-8")
    assert _audit(str(tmp_path / "plan.py"))["files"][0]["findings"] == []
    # the same text as a prompt file of its own: the format it announces is missing
    (tmp_path / "plan.txt").write_text("Use this tool to run a query plan.\nThe tools are as follows:\n")
    codes = [f["code"] for f in _audit(str(tmp_path / "plan.txt"))["files"][0]["findings"]]
    assert codes == ["PO304"]
