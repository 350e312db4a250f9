"""Cold wall time of the pre-commit hook's command on two changed prompt files.

Each run is a fresh process (as pre-commit starts one): imports, tokenizer load, audit, report.
Prints the median and the spread of N runs; the target is 0.6 s or less.

    python bench/hook_time.py [--runs 15] [--files A B]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.6

SUPPORT = """# Support assistant

You are the support assistant for Acme Garden Tools. Please note that you should always answer in the
customer's language. In order to help the customer, check the order number first.

## Rules
- Refunds are possible within 30 days of delivery.
- Never promise a delivery date.
- Always answer in the customer's language.
- Keep answers under 120 words.

Customer message: {{ message }}
"""
TRIAGE = """Classify the ticket into one of: billing, delivery, product, other.
Answer with the label only, in lower case. Due to the fact that labels are parsed by a program,
do not add any other text.

Ticket: {ticket}
"""


def command() -> list[str]:
    """The hook's entry as pre-commit runs it: the installed `promptopt` script, else this Python's."""
    script = Path(sys.executable).parent / "promptopt"
    if script.exists():
        return [str(script), "audit"]
    found = shutil.which("promptopt")
    return [found, "audit"] if found else [sys.executable, "-m", "promptopt", "audit"]


def time_runs(files: list[Path], runs: int, cwd: Path) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([*command(), *map(str, files)], cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"promptopt audit failed ({done.returncode}): {done.stderr.decode()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--files", nargs="+", type=Path, help="prompt files (default: two written here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        if args.files:
            files = [f.resolve() for f in args.files]
        else:
            files = [cwd / "support.md", cwd / "triage.txt"]
            files[0].write_text(SUPPORT, encoding="utf-8")
            files[1].write_text(TRIAGE, encoding="utf-8")
        time_runs(files, 1, cwd)  # warm the OS file cache (not the process: every run is cold)
        times = time_runs(files, args.runs, cwd)
    median = statistics.median(times)
    verdict = "within" if median <= TARGET_SECONDS else "OVER"
    print(f"command: {' '.join(command())} <{len(files)} files>")
    print(
        f"cold wall time, {args.runs} runs: median {median:.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s ({verdict} the {TARGET_SECONDS} s target)"
    )


if __name__ == "__main__":
    main()
