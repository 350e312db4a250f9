"""Token reduction of `promptopt compress --method rules` over the shared corpus.

Usage: python bench/compress_corpus.py [CORPUS_DIR] [--per-file]

Per file: tokens before and after with safe rewrites, and with unsafe ones too. Reported: median
and total reduction over the files with findings (and over every file), and the guard's rejections
grouped by reason. Nothing is written: the rewrites happen in memory.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from promptopt.compressors.rules import compress_rules  # noqa: E402
from promptopt.config import Config  # noqa: E402
from promptopt.engine import Auditor, discover  # noqa: E402
from promptopt.guard import reason_kind  # noqa: E402
from promptopt.loaders import read_text  # noqa: E402


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus" / "prompts"
    if not corpus.is_dir():
        print(f"shared corpus not found at {corpus}", file=sys.stderr)
        return 2
    config = Config()
    auditor = Auditor(config)
    rows = []
    rejections: dict[str, Counter] = {"safe": Counter(), "unsafe": Counter()}
    rejected_by_rule: dict[str, Counter] = {"safe": Counter(), "unsafe": Counter()}
    started = time.perf_counter()
    for path in discover([corpus], config):
        if isinstance(path, tuple):
            continue
        text = read_text(path)
        findings = auditor.audit_source(path, text).findings
        row = {"path": path.relative_to(corpus), "findings": len(findings),
               "fixable": sum(f.fix is not None for f in findings)}
        for mode in ("safe", "unsafe"):
            result = compress_rules(path, text, config, unsafe=mode == "unsafe", auditor=auditor)
            row[mode] = result
            for rejection in result.rejected:
                rejections[mode][reason_kind(rejection.reason)] += 1
                rejected_by_rule[mode][rejection.code] += 1
        rows.append(row)
    seconds = time.perf_counter() - started

    if "--per-file" in argv:
        print(f"{'file':58} {'finds':>5} {'before':>7} {'safe':>7} {'unsafe':>7}")
        for row in rows:
            s, u = row["safe"], row["unsafe"]
            print(f"{str(row['path'])[:58]:58} {row['findings']:>5} {s.tokens_before:>7} "
                  f"{100 * s.saved_fraction:>6.1f}% {100 * u.saved_fraction:>6.1f}%")
        print()

    print(f"corpus: {corpus} ({len(rows)} files, {seconds:.1f} s for audit + safe + unsafe)")
    header = ("subset", "files", "median safe", "total safe", "median unsafe", "total unsafe")
    print(f"{header[0]:34} {header[1]:>5} {header[2]:>12} {header[3]:>11} {header[4]:>14} {header[5]:>13}")
    subsets = [
        ("all files", rows),
        ("files with findings", [r for r in rows if r["findings"]]),
        ("files with fixable findings", [r for r in rows if r["fixable"]]),
    ]
    for name, subset in subsets:
        cells = []
        for mode in ("safe", "unsafe"):
            fractions = [r[mode].saved_fraction for r in subset]
            before = sum(r[mode].tokens_before for r in subset)
            after = sum(r[mode].tokens_after for r in subset)
            median = statistics.median(fractions) if fractions else 0.0
            total = (before - after) / before if before else 0.0
            cells += [f"{100 * median:.1f}%", f"{100 * total:.1f}% ({before - after})"]
        print(f"{name:34} {len(subset):>5} {cells[0]:>12} {cells[1]:>11} {cells[2]:>14} {cells[3]:>13}")
    for mode in ("safe", "unsafe"):
        print(f"\nguard rejections, {mode} run: {sum(rejections[mode].values())}")
        for kind, count in rejections[mode].most_common():
            print(f"  {count:>4}  {kind}")
        if rejected_by_rule[mode]:
            print("  by rule: " + ", ".join(f"{code} {n}" for code, n in rejected_by_rule[mode].most_common()))
    applied = Counter(c.code for r in rows for c in r["unsafe"].applied)
    print("\nrewrites applied (unsafe run) by rule: " + ", ".join(f"{c} {n}" for c, n in applied.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
