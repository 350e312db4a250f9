"""Bad input through the real CLI: each bad file gets one clear line on stderr naming it and the reason,
no traceback, the other files are still audited (their findings are in the report), and the exit
code is 2. Bad configuration stops the run with one line and exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a duplicated rule PO101 reports (worth more than the 10-token floor); run_audit opts into PO101
GOOD = ("You are a support agent.\n- Refunds take five business days from the day the returned item arrives.\n"
        "- Refunds take five business days from the day the returned item arrives.\n")


def _without_root_read_override() -> list[str]:
    """Root reads a chmod 000 file anyway. Run the audit without the two capabilities that allow it
    (setpriv, util-linux), so an unreadable file really is unreadable to the process."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a chmod 000 file stays readable")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]


def run_audit(*args: str, cwd: Path, unprivileged: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    prefix = _without_root_read_override() if unprivileged else []
    args = (*args, "--extend-select", "PO101")  # opt-in since the held-out rounds (docs/precision.md)
    return subprocess.run([*prefix, sys.executable, "-m", "promptopt", "audit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _binary(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def _invalid_utf8(path: Path) -> None:
    path.write_bytes("Résumé the text.\n".encode("latin-1"))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _huge(path: Path) -> None:
    with path.open("wb") as fh:  # sparse: 50 MB of size without writing 50 MB
        fh.truncate(50 * 1024 * 1024)


def _broken_yaml(path: Path) -> None:
    path.write_text("prompts:\n  - 'Answer briefly\n  - [unclosed\n", encoding="utf-8")


def _broken_json(path: Path) -> None:
    path.write_text('{"messages": [{"role": "system", "content": "Be brief."}', encoding="utf-8")


def _broken_front_matter(path: Path) -> None:
    path.write_text("---\nname: [oops\n---\nsystem:\nBe brief.\n", encoding="utf-8")


def _unreadable(path: Path) -> None:
    # chmod 000 stops reading only without root's override: the audit runs under setpriv (above)
    path.write_text("Please answer briefly.\n", encoding="utf-8")
    path.chmod(0)


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # reading would block forever: it must be refused, not read


def _symlink_loop(path: Path) -> None:
    other = path.with_name("loop_b.md")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def _broken_symlink(path: Path) -> None:
    path.symlink_to("does_not_exist.md")


BAD_INPUTS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    # case: (file name, how to make it, words the stderr reason must contain)
    "binary": ("logo.txt", _binary, "binary"),
    "invalid-utf8": ("latin1.md", _invalid_utf8, "invalid UTF-8"),
    "empty": ("empty.md", _empty, "empty"),
    "50MB": ("huge.txt", _huge, "MB"),
    "broken-yaml": ("broken.yaml", _broken_yaml, "invalid YAML"),
    "broken-json": ("broken.json", _broken_json, "invalid JSON"),
    "broken-front-matter": ("broken.prompty", _broken_front_matter, "front matter"),
    "unreadable": ("locked.txt", _unreadable, "permission denied"),
    "fifo": ("pipe.txt", _fifo, "not a regular file"),
    "symlink-loop": ("loop_a.md", _symlink_loop, "loop"),
    "broken-symlink": ("dangling.md", _broken_symlink, "broken symbolic link"),
}


def _check_one_bad_file(result: subprocess.CompletedProcess, bad_names: list[str], reason: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == len(bad_names), lines
    for name in bad_names:
        (line,) = [ln for ln in lines if name in ln]
        assert reason.lower() in line.lower(), line


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_file_in_a_folder(case, tmp_path):
    name, make, reason = BAD_INPUTS[case]
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    make(tmp_path / name)
    result = run_audit(".", "--format", "json", "--select", "PO101", cwd=tmp_path, unprivileged=True)
    bad_names = [name, "loop_b.md"] if case == "symlink-loop" else [name]
    _check_one_bad_file(result, bad_names, reason)
    report = json.loads(result.stdout)
    good = [f for f in report["files"] if f["path"].endswith("good.md")]
    assert [f["code"] for f in good[0]["findings"]] == ["PO101"], "the good file is still audited"
    assert good[0]["tokens"] > 0


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_file_named_explicitly(case, tmp_path):
    name, make, reason = BAD_INPUTS[case]
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    make(tmp_path / name)
    result = run_audit(name, "good.md", "--select", "PO101", "--no-color", cwd=tmp_path, unprivileged=True)
    _check_one_bad_file(result, [name], reason)
    assert "good.md" in result.stdout and "PO101" in result.stdout, "the good file's finding is reported"


def test_a_folder_named_like_a_prompt_is_walked_not_read(tmp_path):
    (tmp_path / "prompts.txt").mkdir()
    (tmp_path / "prompts.txt" / "inner.md").write_text(GOOD, encoding="utf-8")
    result = run_audit("prompts.txt", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == [str(Path("prompts.txt") / "inner.md")]


def test_missing_path(tmp_path):
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    result = run_audit("nope.md", "good.md", "--format", "json", cwd=tmp_path)
    _check_one_bad_file(result, ["nope.md"], "no such file")
    assert json.loads(result.stdout)["summary"]["findings"] >= 1


def test_every_bad_input_at_once(tmp_path):
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    names = []
    for name, make, _ in BAD_INPUTS.values():
        make(tmp_path / name)
        names.append(name)
    result = run_audit(".", "--format", "json", cwd=tmp_path, unprivileged=True)
    _check_one_bad_file(result, names + ["loop_b.md"], "")
    report = json.loads(result.stdout)
    assert report["summary"]["files_with_errors"] == len(names) + 1
    assert any(f["findings"] for f in report["files"] if f["path"].endswith("good.md"))


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("[tool.promptopt]\nmodel = 'gpt-4o'\ntoken_budget = 100\n", "unknown key 'token_budget'"),
        ("[tool.promptopt]\nfail-on = 'loud'\n", "unknown severity"),
        ("[tool.promptopt.rules.PO205]\nmax-exmaples = 3\n", "no option 'max-exmaples'"),
        ("[tool.promptopt\nmodel = 1\n", "pyproject.toml"),
    ],
    ids=["unknown-key", "bad-value", "unknown-rule-option", "broken-toml"],
)
def test_bad_config_is_one_line_and_exit_2(config, words, tmp_path):
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    result = run_audit("good.md", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and words in lines[0], lines
    assert result.stdout == "", "no report when the run could not start"


@pytest.mark.parametrize("fmt", ["text", "concise"])
def test_a_missing_path_is_reported_once_on_stderr(fmt, tmp_path):
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    result = run_audit("missing.md", "good.md", "--format", fmt, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr == "promptopt: error: missing.md: no such file or directory\n"
    assert "missing.md" not in result.stdout, "the report repeats the error"
    assert "PO101" in result.stdout, "the good file is still audited"
    # a report written to a file keeps the error: nothing else tells the file's reader
    result = run_audit("missing.md", "--format", fmt, "-o", "report.txt", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("missing.md") == 1
    assert "no such file or directory" in (tmp_path / "report.txt").read_text(encoding="utf-8")
