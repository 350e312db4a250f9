"""How often the document model gives a block the role a reader gave it, on the dev labels (tuned on)
and on the test labels (never tuned on), with the confusions and the split rules rely on most: data
(example, reference, quoted, noise) against everything else.

    python bench/role_accuracy.py             # both label files; needs ../shared/corpus
    python bench/role_accuracy.py --dev-only  # the dev labels alone (what tuning may look at)

A label names a corpus file (`path`, relative to ../shared/corpus/prompts) or, with `set: new3`..`new7`,
a file of a used-up held-out set (`path` as its manifest names it, read from bench/testset.py's cache:
`python bench/testset.py fetch --set new3`); a label whose file is absent is skipped with a reason.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
TESTSET_FILES = Path.home() / ".cache" / "promptopt-testset" / "files"
DATA = {"example", "reference", "quoted", "noise"}


def label_file(row: dict) -> Path:
    """The file a label reads: a corpus file, or a held-out set's file in the testset cache."""
    return (TESTSET_FILES if row.get("set") else CORPUS) / row["path"]


def present(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """The labels whose files are here, and a reason for each file that is not."""
    kept, missing = [], []
    for row in rows:
        if label_file(row).is_file():
            kept.append(row)
        elif str(label_file(row)) not in missing:
            missing.append(str(label_file(row)))
    return kept, missing


def model_roles(rows: list[dict]) -> list[str | None]:
    from promptopt.document import document_model
    from promptopt.loaders import load_source

    docs: dict[Path, list] = {}
    found = []
    for row in rows:
        path = label_file(row)
        if path not in docs:
            docs[path] = load_source(path, path.read_text(encoding="utf-8"))
        roles = [b.role.value for d in docs[path] for b in document_model(d).blocks
                 if b.kind not in ("tag", "rule") and d.line_col(d.locate(b.span.start))[0] == row["line"]]
        found.append(roles[0] if roles else None)
    return found


def report(name: str, rows: list[dict]) -> None:
    rows, missing = present(rows)
    for path in missing:
        print(f"    skipped (file absent: {path})", file=sys.stderr)
    if not rows:
        print(f"{name}: no labelled file here")
        return
    found = model_roles(rows)
    right = sum(f == r["role"] for f, r in zip(found, rows, strict=True))
    split = sum((f in DATA) == (r["role"] in DATA) for f, r in zip(found, rows, strict=True))
    print(f"{name}: {right} of {len(rows)} roles right ({right / len(rows):.0%}); "
          f"data vs instruction-side {split} of {len(rows)} ({split / len(rows):.0%})")
    confusions = Counter((r["role"], f) for f, r in zip(found, rows, strict=True) if f != r["role"])
    for (reader, model), n in confusions.most_common(6):
        print(f"    reader {reader:<11} model {model!s:<11} {n}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-only", action="store_true",
                        help="the dev labels alone: never print the test labels' figures while tuning")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"role_accuracy: the shared corpus is not at {CORPUS}", file=sys.stderr)
        return 2
    dev = yaml.safe_load((ROOT / "tests" / "document_roles_dev.yaml").read_text(encoding="utf-8"))["blocks"]
    report("dev, corpus labels (tuned on)", [r for r in dev if not r.get("set")])
    if any(r.get("set") for r in dev):
        report("dev, used-up held-out set labels (tuned on)", [r for r in dev if r.get("set")])
        report("dev, all (tuned on)", dev)
    if not args.dev_only:
        report("test (never tuned on)",
               yaml.safe_load((ROOT / "tests" / "document_roles_test.yaml").read_text(encoding="utf-8"))["blocks"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
