"""Issue 26: hostile input in a folder audit (`promptopt audit DIR`), where discovery reads YAML and JSON
to decide what is a prompt, is bounded as when the file is named; the config checks its values; a
heading or a placeholder list made for it does not take quadratic time; a file name that is not UTF-8
and `-o` onto a device are handled.

Each attack sits beside a good prompt: the good file must still be audited and in the JSON report. Hangs
are guarded by a generous subprocess timeout (the inputs took minutes before), never a timing assertion;
where the work can be counted, its growth is measured instead."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from promptopt.config import Config
from promptopt.engine import Auditor

PROJECT = Path(__file__).resolve().parents[1]
PROMPT = "You are a support assistant. Please note that you must answer politely.\n"


def _cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-m", "promptopt", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one good prompt (filler, PO401, is the finding it must still get)."""
    (tmp_path / "promptopt.toml").write_text('extend-select = ["PO4"]\nmin-tokens = 0\n', encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "good.md").write_text(PROMPT, encoding="utf-8")
    return tmp_path


ALIAS_BOMB = "\n".join(  # nine levels of nine aliases: 387 million nodes once expanded, 432 bytes
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["system_prompt: You are a helpful assistant and you answer questions."]
) + "\n"

FOLDER_ATTACKS = {
    "recursive.yaml": ("system_prompt: You are a helpful assistant.\nloop: &a [*a]\n", "recursive YAML alias"),
    "bomb.yaml": (ALIAS_BOMB, "alias bomb"),
    "deep.yml": ("system_prompt: You are a helpful assistant.\nx: " + "[" * 500 + "]" * 500 + "\n",
                 "nested deeper than 100"),
    "big-int.json": ('{"system_prompt": "You are a helpful assistant.", "n": ' + "9" * 5000 + "}",
                     "integer of 5000 digits"),
    "big-int.yaml": ("system_prompt: You are a helpful assistant.\nn: " + "9" * 5000 + "\n", "integer of 5000 digits"),
    "deep.json": ('{"prompt": "You are a helpful assistant.", "x": ' + "[" * 5000 + "]" * 5000 + "}",
                  "nested deeper than 100"),
}


@pytest.mark.parametrize("name", sorted(FOLDER_ATTACKS))
def test_a_hostile_yaml_or_json_file_in_a_folder_is_one_line_and_the_good_file_is_reported(folder, name):
    text, reason = FOLDER_ATTACKS[name]
    (folder / "prompts" / name).write_text(text, encoding="utf-8")
    done = _cli("audit", "prompts", "--format", "json", cwd=folder)
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr, stderr
    assert done.returncode == 2, stderr
    assert stderr.splitlines() == [line for line in stderr.splitlines() if line.startswith(
        f"promptopt: error: prompts/{name}: ")] and len(stderr.splitlines()) == 1, stderr
    assert reason in stderr
    files = {f["path"]: f for f in json.loads(done.stdout)["files"]}
    assert set(files) == {"prompts/good.md", f"prompts/{name}"}
    assert any(f["code"] == "PO401" for f in files["prompts/good.md"]["findings"])
    named = _cli("audit", f"prompts/{name}", "--format", "concise", cwd=folder)  # the same reader, the same line
    assert named.returncode == 2 and named.stderr.decode() == stderr


def test_show_files_lists_a_hostile_file_as_audited_so_its_error_is_reported(folder):
    (folder / "prompts" / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    done = _cli("audit", "prompts", "--show-files", "--verbose", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "audit prompts/bomb.yaml: could not be parsed" in done.stdout.decode()


# the config: wrong types and unknown rules are errors

@pytest.mark.parametrize("toml, named", [
    ("select = [1, 2]\n", "'select' must be a list of rule codes"),
    ("extend-select = [\"PO4\", 7]\n", "'extend-select' must be a list of rule codes"),
    ("select = [\"PO999\"]\n", "unknown rule code or prefix 'PO999'"),
    ("ignore = [\"XX1\"]\n", "unknown rule code or prefix 'XX1'"),
    ("[per-file-ignores]\n\"*.md\" = [\"PO77\"]\n", "unknown rule code or prefix 'PO77'"),
    ("[rules.PO999]\n", "no rule 'PO999'"),
    ("[rules]\nPO205 = 3\n", "'rules.PO205' must be a table"),
    ("model = 5\n", "'model' must be a model name"),
    ("model = \"\"\n", "'model' must be a model name"),
    ("a = " + "[" * 300 + "]" * 300 + "\n", "TOML nested deeper than 100"),
    ("token-budget = " + "9" * 5000 + "\n", "TOML integer over the limit"),
])
def test_config_values_of_the_wrong_type_or_naming_no_rule_are_one_line_errors(folder, toml, named):
    (folder / "promptopt.toml").write_text(toml, encoding="utf-8")
    done = _cli("audit", "prompts", cwd=folder)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1 and named in stderr and "promptopt.toml" in stderr, stderr


@pytest.mark.parametrize("option, value", [("--select", "PO999"), ("--extend-select", "PO1,XX"),
                                           ("--ignore", "PO77")])
def test_an_unknown_rule_on_the_command_line_is_a_one_line_error(folder, option, value):
    """Before: `--select PO999` ran no rule and passed (exit 0), hiding the typo; the config refused it."""
    done = _cli("audit", "prompts", option, value, cwd=folder)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr, stderr
    assert "unknown rule code or prefix" in stderr and len(stderr.strip().splitlines()) == 1, stderr


@pytest.mark.parametrize("toml", ['select = ["PO1", "PO801"]\n', 'select = ["ALL"]\nignore = ["PO4"]\n',
                                  "[rules.PO205]\nmax-examples = 3\n", "[rules.too-many-examples]\nmax-examples = 3\n",
                                  'model = "gpt-4o-mini"\n'])
def test_good_config_values_are_still_accepted(folder, toml):
    (folder / "promptopt.toml").write_text(toml, encoding="utf-8")
    done = _cli("audit", "prompts", "--format", "json", cwd=folder)
    assert done.returncode in (0, 1), done.stderr


# linear time

def test_a_heading_followed_by_thousands_of_spaces_is_read_in_linear_time(folder):
    """Before: 1,000 spaces 7.9 s, 4,000 spaces over 120 s (cubic backtracking in the heading pattern)."""
    (folder / "prompts" / "heading.md").write_text("# Title" + " " * 40_000 + "x\n\n" + PROMPT, encoding="utf-8")
    done = _cli("audit", "prompts", "--format", "json", cwd=folder, timeout=90)
    files = {f["path"]: f for f in json.loads(done.stdout)["files"]}
    assert not files["prompts/heading.md"]["error"]


def test_a_heading_keeps_its_title_without_closing_hashes():
    from promptopt.segment import heading_title

    assert heading_title("## Output format ##") == "Output format"
    assert heading_title("# C# tips") == "C# tips"
    assert heading_title("#   Rules   #  ") == "Rules"
    assert heading_title("# ###") == "#"
    assert heading_title("#Title") is None


def _names(count: int) -> list[str]:
    """`count` distinct 8-12 letter names, each with a transposition typo of it beside it."""
    import random

    rng = random.Random(26)
    names: set[str] = set()
    while len(names) < count:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(8, 12)))
        names.update((word, word[:3] + word[4] + word[3] + word[5:]))
    return sorted(names)


def _pairs_compared(monkeypatch, names: list[str]) -> tuple[int, int]:
    """(pairs of placeholder names PO703 compared, typos it reported) on a prompt using `names`."""
    from promptopt.analyzers import placeholder_typo

    calls = 0
    real = placeholder_typo._distinct_on_purpose

    def counted(a, b):
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(placeholder_typo, "_distinct_on_purpose", counted)
    config = Config(select=["PO703"])
    text = "Fill in " + " ".join("{" + name + "}" for name in names) + ".\n"
    found = Auditor(config).audit_source(Path("p.md"), text).findings
    return calls, len(found)


def test_placeholder_typo_compares_names_within_buckets_not_every_pair(monkeypatch):
    """Doubling the names roughly doubles the pairs compared (every pair: four times; 4,000 names took 32 s)."""
    small, found_small = _pairs_compared(monkeypatch, _names(800))
    large, found_large = _pairs_compared(monkeypatch, _names(1600))
    assert found_small >= 350 and found_large >= 700  # the planted typos are found either way
    assert large < 3 * small, (small, large)


def test_thousands_of_numbered_placeholders_are_compared_in_linear_time(folder):
    """4,000 `{vN}` took 32 s (every pair compared); 40,000 would take an hour."""
    text = "Fill in " + " ".join(f"{{v{i}}}" for i in range(40_000)) + ".\n"
    (folder / "prompts" / "many.md").write_text(text, encoding="utf-8")
    done = _cli("audit", "prompts", "--select", "PO703", "--format", "json", cwd=folder, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_typo_beside_many_numbered_placeholders_is_still_found(monkeypatch):
    names = [f"item_{i}" for i in range(500)] + ["customer_name", "cusotmer_name", "customer_name"]
    _, found = _pairs_compared(monkeypatch, names)
    assert found == 1


# a file name that is not UTF-8

@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
@pytest.mark.parametrize("fmt", ["json", "sarif", "text", "concise", "github"])
def test_a_file_name_that_is_not_utf8_is_audited_and_shown_escaped_with_the_cache_on(folder, fmt, monkeypatch):
    monkeypatch.setenv("PROMPTOPT_CACHE_DIR", str(folder / "cache"))
    os.mkdir(os.path.join(os.fsencode(folder / "prompts"), b"caf\xff"))  # a folder and a file, both not UTF-8
    with open(os.path.join(os.fsencode(folder / "prompts"), b"caf\xff", b"bad\xff.md"), "wb") as fh:
        fh.write(PROMPT.encode())
    for _ in range(2):  # the cache is written, then read
        done = _cli("audit", "prompts", "--format", fmt, cwd=folder)
        assert done.returncode == 1 and not done.stderr, done.stderr
        shown = done.stdout.decode("utf-8")  # valid UTF-8 whatever the name
        if fmt == "json":
            files = {f["path"] for f in json.loads(shown)["files"]}
            assert files == {"prompts/caf\\xff/bad\\xff.md", "prompts/good.md"}
        elif fmt == "sarif":
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in json.loads(shown)["runs"][0]["results"]}
            assert "prompts/caf%FF/bad%FF.md" in uris
        else:
            assert "prompts/caf\\xff/bad\\xff.md" in shown
    assert os.listdir(folder / "cache" / "audit"), "nothing was cached"


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_report_written_with_o_escapes_a_file_name_that_is_not_utf8(folder):
    with open(os.path.join(os.fsencode(folder / "prompts"), b"bad\xff.md"), "wb") as fh:
        fh.write(PROMPT.encode())
    done = _cli("audit", "prompts", "--format", "json", "-o", "report.json", cwd=folder)
    assert done.returncode == 1 and not done.stderr, done.stderr
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert "prompts/bad\\xff.md" in [f["path"] for f in report["files"]]


# -o writes regular files only

def test_o_refuses_a_fifo_and_a_directory_and_leaves_them_as_they_are(folder):
    os.mkfifo(folder / "pipe")
    (folder / "dir.json").mkdir()
    done = _cli("audit", "prompts", "--format", "json", "-o", "pipe", cwd=folder, timeout=30)
    assert done.returncode == 2 and done.stderr.decode().splitlines() == [
        "promptopt: error: pipe: cannot write the report: not a regular file"]
    assert stat.S_ISFIFO(os.lstat(folder / "pipe").st_mode)
    done = _cli("audit", "prompts", "--format", "json", "-o", "dir.json", cwd=folder, timeout=30)
    assert done.returncode == 2 and "is a directory" in done.stderr.decode()  # click's usage error
    assert (folder / "dir.json").is_dir() and not list((folder / "dir.json").iterdir())


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/full"), reason="replacing a device needs root")
@pytest.mark.parametrize("command", [["audit", "prompts"], ["cost", "prompts"]])
def test_o_refuses_a_device_instead_of_replacing_it(folder, command, tmp_path_factory):
    """As root, `-o /dev/full` replaced the device node with a regular file holding the report. A device
    node of our own (a copy of /dev/null's numbers) stands in for it, so a failure breaks nothing."""
    device = tmp_path_factory.mktemp("dev") / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    done = _cli(*command, "-o", str(device), cwd=folder, timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().splitlines() == [f"promptopt: error: {device}: cannot write the report: not a "
                                                 "regular file"]
    assert stat.S_ISCHR(os.lstat(device).st_mode), "the device node was replaced"


def test_o_writes_a_new_file_and_replaces_a_regular_one(folder):
    (folder / "old.json").write_text("old", encoding="utf-8")
    for target in ("new.json", "old.json"):
        done = _cli("audit", "prompts", "--format", "json", "-o", target, cwd=folder)
        assert done.returncode == 1, done.stderr
        assert json.loads((folder / target).read_text(encoding="utf-8"))["files"]


@pytest.mark.parametrize("example", [
    "```json\n{\"n\": " + "9" * 5000 + "}\n```",  # over Python's int() bound: a ValueError, not a syntax error
    "```yaml\na: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + "```",  # an alias bomb inside a prompt's example: the bounded reader's limits hold in rules too
], ids=["json-5000-digits", "yaml-alias-bomb"])
def test_a_hostile_example_inside_a_prompt_is_no_error_and_no_hang(folder, example):
    """PO211 parses examples: a number or an alias bomb there must neither stop the file's audit (exit 2,
    'could not analyse this file') nor expand."""
    prompt = folder / "prompts" / "reply.md"
    prompt.write_text(f"# Task\nReply in the format of this example:\n\n{example}\n", encoding="utf-8")
    done = _cli("audit", str(prompt), "--format", "json", cwd=folder, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["summary"]["files_with_errors"] == 0
