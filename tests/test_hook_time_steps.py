"""bench/hook_time.py's per-step breakdown runs against the current code: it imports promptopt's
internals by name, so a refactor that moves one breaks the benchmark (it once did, silently)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import hook_time  # noqa: E402


@pytest.mark.parametrize("mode", ["cache", "fresh"])
def test_every_step_of_the_hook_breakdown_runs(tmp_path, mode):
    files = sorted((ROOT / "fixtures" / "prompts").glob("*.md"))[:2]
    assert len(files) == 2
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    env = {**hook_time.bench_env(), "PROMPTOPT_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", hook_time.STEPS, mode, *(f.name for f in files)], cwd=tmp_path,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    steps = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "report (text)" in steps and all(seconds >= 0 for seconds in steps.values())
