"""Ecosystem check: audit the shared corpus with the default rules and compare with the judged snapshot.

    python scripts/ecosystem.py                      # gained / lost / changed findings, precision per rule
    python scripts/ecosystem.py --update             # write the snapshot (new findings unjudged)
    python scripts/ecosystem.py --export-unjudged F  # the findings a reader must judge, as JSON
    python scripts/ecosystem.py --import-verdicts F  # verdicts back: [{"path", "line", "code", "verdict",
                                                     #   "reason"}...], for findings not yet judged

Exit 1 when a finding has no verdict or the judged precision is under 90% (as the test does).
See promptopt/ecosystem.py and ../shared/notes/judging.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from promptopt import ecosystem  # noqa: E402

SNAPSHOT = ROOT / "tests" / "ecosystem" / "snapshot.json"
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--export-unjudged", type=Path)
    parser.add_argument("--import-verdicts", type=Path)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    current = ecosystem.entries(ecosystem.audit_corpus(args.corpus), args.corpus)
    comparison = ecosystem.compare(current, ecosystem.load_snapshot(SNAPSHOT))
    unjudged = sorted(comparison.unjudged, key=lambda k: (k[0], comparison.current[k]["line"]))
    if args.import_verdicts:
        # a reader's rows name the file, line and rule of each finding they judged
        by_place = {(e["path"], e["line"], e["code"]): e for e in comparison.current.values()}
        for row in json.loads(args.import_verdicts.read_text(encoding="utf-8")):
            rel = Path(row["path"]).resolve().relative_to(args.corpus.resolve()).as_posix()
            entry = by_place.get((rel, int(row["line"]), row["code"]))
            if entry is not None and entry.get("verdict") is None:
                entry["verdict"], entry["reason"] = row["verdict"].lower(), row["reason"]
        ecosystem.write_snapshot(SNAPSHOT, comparison.current)
        comparison = ecosystem.compare(current, ecosystem.load_snapshot(SNAPSHOT))
    elif args.update:
        ecosystem.write_snapshot(SNAPSHOT, comparison.current)
    if args.export_unjudged:
        rows = []
        for n, key in enumerate(unjudged, start=1):
            e = comparison.current[key]
            rows.append({"n": n, "code": e["code"], "name": e["name"], "path": str(args.corpus / e["path"]),
                         "prompt": e["document"], "line": e["line"], "message": e["message"],
                         "tokens_saved": e["tokens_saved"]})
        args.export_unjudged.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    _print(comparison)
    right, judged = comparison.precision()
    ok = not comparison.unjudged and judged and right / judged >= ecosystem.PRECISION_TARGET
    return 0 if ok else 1


def _print(comparison: ecosystem.Comparison) -> None:
    for title, keys in (("gained", comparison.gained), ("lost", comparison.lost), ("changed", comparison.changed)):
        print(f"{title}: {len(keys)}")
        for key in keys:
            entry = comparison.current.get(key, {})
            print(f"  {key[0]}:{entry.get('line', '?')} {key[1]} {entry.get('message', '')[:100]}")
    print(f"\n{'rule':<36} right / judged")
    for rule, (right, total) in comparison.per_rule().items():
        print(f"{rule:<36} {right:>5} / {total}")
    right, judged = comparison.precision()
    share = f"{right / judged:.0%}" if judged else "n/a"
    print(f"{'all':<36} {right:>5} / {judged} ({share}); unjudged: {len(comparison.unjudged)}")


if __name__ == "__main__":
    sys.exit(main())
