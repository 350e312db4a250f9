"""Held-out prompts: the default rule set on prompts this project never tuned against.

Downloads pinned releases of Python packages that ship their prompts (aider, crewai, dspy, gpt-engineer,
langchain-core, llama-index-core, open-interpreter, semantic-kernel, textgrad) from PyPI, unpacks them
into a cache folder, audits the unpacked trees as a user would (`promptopt audit DIR`, discovery
included) and prints the files taken, their tokens, and every finding, for a reader to judge with
`../shared/notes/judging.md`. The verdicts of the last reading are in docs/precision.md.

    python bench/heldout.py [--cache DIR] [--json OUT]

Needs PyPI (pip download); the audit itself is offline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

PACKAGES = ["aider-chat==0.86.2", "crewai==1.15.30", "dspy==3.4.1", "gpt-engineer==0.3.1",
            "langchain-core==1.8.4", "llama-index-core==0.14.25", "open-interpreter==0.4.3",
            "semantic-kernel==1.45.0", "textgrad==0.1.8"]


def fetch(cache: Path) -> Path:
    """Download and unpack each package once; the folder of unpacked trees."""
    downloads, trees = cache / "dl", cache / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        name = spec.split("==")[0].replace("-", "_")
        tree = trees / name
        if tree.exists():
            continue
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", spec, "-d", str(downloads)],
                       check=True, stderr=subprocess.DEVNULL)
        archive = next(p for p in downloads.iterdir() if p.name.lower().startswith(name.lower() + "-"))
        tree.mkdir(parents=True)
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tree)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tree, filter="data")
    return trees


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "promptopt" / "heldout")
    parser.add_argument("--json", type=Path, help="write the audit's JSON report here")
    args = parser.parse_args()
    trees = fetch(args.cache)
    run = subprocess.run([sys.executable, "-m", "promptopt", "audit", str(trees), "--format", "json"],
                         capture_output=True, text=True)
    try:  # exit 2 with a report: some files could not be read (their errors are in the report)
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stderr, file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text(run.stdout, encoding="utf-8")
    files = report["files"]
    per_rule = Counter(f["code"] for file in files for f in file["findings"])
    errors = [f for f in files if f.get("error")]
    print(f"files taken as prompts: {len(files)} ({len(errors)} with a load error), "
          f"tokens: {sum(f['tokens'] for f in files):,}")
    print(f"findings: {sum(per_rule.values())}  " + "  ".join(f"{c} {n}" for c, n in sorted(per_rule.items())))
    for file in files:
        for f in file["findings"]:
            print(f"  {Path(file['path']).relative_to(trees)}:{f['line']} {f['code']} {f['message'][:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
