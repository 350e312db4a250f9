"""The dev/test split of ../shared/corpus/prompts: rules are tuned on dev only; test is for judging.

A file's half depends on its path alone, relative to the prompts folder, with forward slashes
(`fabric/analyze_claims.md`): the first byte of its SHA-256, even -> dev, odd -> test. No seed, no
list to keep: a file added to the corpus lands in a half that never changes, and every tool that
applies the rule agrees (docs/precision.md).

    python bench/split.py dev            # the dev half, one path a line (relative to the folder)
    python bench/split.py test --count   # how many files each way
    python bench/split.py test --corpus ../shared/corpus/prompts --absolute
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "prompts"
HALVES = ("dev", "test")
NOT_PROMPTS = {"MANIFEST.tsv"}


def half_of(relpath: str) -> str:
    """'dev' or 'test' for a path relative to the prompts folder (forward slashes)."""
    return "dev" if hashlib.sha256(relpath.encode()).digest()[0] % 2 == 0 else "test"


def corpus_files(root: Path = CORPUS) -> list[str]:
    """Every prompt file of the corpus, relative to `root`, sorted; the manifest is not a prompt."""
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name not in NOT_PROMPTS
    )


def corpus_half(half: str, root: Path = CORPUS) -> list[str]:
    if half not in HALVES:
        raise ValueError(f"unknown half {half!r} (dev or test)")
    return [rel for rel in corpus_files(root) if half_of(rel) == half]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("half", choices=HALVES)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the prompts folder (default: %(default)s)")
    parser.add_argument("--absolute", action="store_true", help="print absolute paths (to pass to audit)")
    parser.add_argument("--count", action="store_true", help="print how many files each half has, no paths")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus}: no such folder (the shared corpus sits beside the checkout)")
    if args.count:
        files = corpus_files(args.corpus)
        for half in HALVES:
            print(f"{half}: {sum(half_of(rel) == half for rel in files)} of {len(files)}")
        return 0
    for rel in corpus_half(args.half, args.corpus):
        print((args.corpus / rel).resolve() if args.absolute else rel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
