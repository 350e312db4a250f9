"""How often the document model gives a block the role a reader gave it, on the dev labels (tuned on)
and on the test labels (never tuned on), with the confusions and the split rules rely on most: data
(example, reference, quoted, noise) against everything else.

    python bench/role_accuracy.py            # both label files; needs ../shared/corpus
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
DATA = {"example", "reference", "quoted", "noise"}


def model_roles(rows: list[dict]) -> list[str | None]:
    from promptopt.document import document_model
    from promptopt.loaders import load_source

    docs: dict[str, list] = {}
    found = []
    for row in rows:
        if row["path"] not in docs:
            path = CORPUS / row["path"]
            docs[row["path"]] = load_source(path, path.read_text(encoding="utf-8"))
        roles = [b.role.value for d in docs[row["path"]] for b in document_model(d).blocks
                 if b.kind not in ("tag", "rule") and d.line_col(d.locate(b.span.start))[0] == row["line"]]
        found.append(roles[0] if roles else None)
    return found


def report(name: str, labels: Path) -> None:
    rows = yaml.safe_load(labels.read_text(encoding="utf-8"))["blocks"]
    found = model_roles(rows)
    right = sum(f == r["role"] for f, r in zip(found, rows, strict=True))
    split = sum((f in DATA) == (r["role"] in DATA) for f, r in zip(found, rows, strict=True))
    print(f"{name}: {right} of {len(rows)} roles right ({right / len(rows):.0%}); "
          f"data vs instruction-side {split} of {len(rows)} ({split / len(rows):.0%})")
    confusions = Counter((r["role"], f) for f, r in zip(found, rows, strict=True) if f != r["role"])
    for (reader, model), n in confusions.most_common(6):
        print(f"    reader {reader:<11} model {model!s:<11} {n}")


def main() -> int:
    if not CORPUS.is_dir():
        print(f"role_accuracy: the shared corpus is not at {CORPUS}", file=sys.stderr)
        return 2
    report("dev (tuned on)", ROOT / "tests" / "document_roles_dev.yaml")
    report("test (never tuned on)", ROOT / "tests" / "document_roles_test.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
