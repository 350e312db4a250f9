"""Every finding and fix the same before and after a change: the JSON report of `promptopt audit --select ALL
--no-cache` from another checkout (the code before, e.g. `git archive BASE | tar -x -C /tmp/base`) and from
this one, on the same folders, byte for byte.

    python bench/same_findings.py /tmp/base [FOLDER ...]   # default: the shared corpus and fixtures/prompts

Prints IDENTICAL or the first lines of the difference per folder; exit 1 when any differs. One process
per run (`PROMPTOPT_JOBS=1`), so the comparison does not depend on how files are split across workers.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = [ROOT.parent / "shared" / "corpus" / "prompts", ROOT / "fixtures" / "prompts"]


def report(code: Path, folder: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(code), "PROMPTOPT_JOBS": "1"}
    command = [sys.executable, "-m", "promptopt", "audit", str(folder.resolve()), "--format", "json", "--no-cache",
               "--select", "ALL"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder.resolve().parent)
    if result.returncode not in (0, 1):
        raise SystemExit(f"audit with {code} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = Path(sys.argv[1]).resolve()
    folders = [Path(f) for f in sys.argv[2:]] or [f for f in DEFAULT_FOLDERS if f.is_dir()]
    differs = False
    for folder in folders:
        before, after = report(base, folder), report(ROOT, folder)
        if before == after:
            findings = after.count('"code":')
            print(f"IDENTICAL {folder} ({findings} findings)")
            continue
        differs = True
        print(f"DIFFERENT {folder}")
        diff = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", lineterm="")
        print("\n".join(list(diff)[:40]))
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
