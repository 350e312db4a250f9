"""PO102's findings on the dev files, one line each, for a blind reader: file, lines, message, tokens.

Dev is the corpus dev half (`bench/split.py dev`) and the second and third test sets (judged once, so
used up: they count as dev now; `bench/testset.py fetch --set new|new3` unpacks them).

    python bench/restated_dev.py --out restated-dev-findings.tsv [--set corpus-test]
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_LINES = re.compile(r"\blines? ((?:\d+(?:, )?)+)")
CACHE = Path.home() / ".cache" / "promptopt-testset" / "files"


def dev_files() -> list[Path]:
    halves = subprocess.run([sys.executable, str(HERE / "split.py"), "dev", "--absolute"], capture_output=True,
                            text=True, check=True).stdout.split()
    files = [Path(p) for p in halves]
    for manifest in ("MANIFEST.tsv", "MANIFEST-3.tsv"):
        with open(HERE / "testset" / manifest, encoding="utf-8") as fh:
            files += [CACHE / row["file"] for row in csv.DictReader(fh, delimiter="\t")]
    return [f for f in files if f.exists()]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--code", default="PO102")
    parser.add_argument("--min-tokens", type=int, default=None, help="default: the project's value floor")
    parser.add_argument("--half", default="dev", help="dev (default) or test: the corpus half alone, counts only")
    args = parser.parse_args()
    from promptopt.config import Config
    from promptopt.engine import Auditor

    if args.half == "dev":
        files = dev_files()
    else:  # counts only: the test half's files are never printed or read here beyond the audit
        files = [Path(p) for p in subprocess.run([sys.executable, str(HERE / "split.py"), args.half, "--absolute"],
                                                 capture_output=True, text=True, check=True).stdout.split()]
    options = {"select": [args.code]}
    if args.min_tokens is not None:
        options["min_tokens"] = args.min_tokens
    auditor = Auditor(Config(**options))
    rows = []
    for path in files:
        result = auditor.audit_source(path, path.read_text(encoding="utf-8", errors="replace"))
        for f in result.findings:
            if f.code != args.code:
                continue
            # the message names every line of the group (the value floor's grouping rewrites `related`)
            named = {int(n) for m in _LINES.finditer(f.message) for n in re.findall(r"\d+", m.group(1))}
            lines = sorted({f.location.line, *(r.line for r in f.related), *named})
            rows.append([str(path), ",".join(map(str, lines)), f.message, f.tokens_saved])
    if args.half == "dev":
        with open(args.out, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
            writer.writerow(["file", "lines", "message", "tokens"])
            writer.writerows(rows)
    print(f"{len(files)} files, {len(rows)} findings, {sum(r[3] for r in rows)} tokens", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
