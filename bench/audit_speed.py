"""Audit speed: throughput on the shared corpus repeated to 20 MB or more, beside raw tiktoken, and the
cold wall time of `promptopt audit` on two small files.

    python bench/audit_speed.py [--target-mb 20] [--cold-runs 7]

Targets (issue 2): audit throughput at least a third of raw tiktoken encoding speed on the same
text; a cold two-file run in 0.6 s or less. Prints the figures; exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
sys.path.insert(0, str(ROOT))


def build_tree(target_bytes: int, dest: Path) -> tuple[int, int]:
    """Copy the corpus's prompt files into `dest` as many times as needed; (files, bytes)."""
    from promptopt.loaders import PROMPT_SUFFIXES

    sources = [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.suffix.lower() in PROMPT_SUFFIXES]
    size = sum(p.stat().st_size for p in sources)
    copies = -(-target_bytes // size)
    for n in range(copies):
        for src in sources:
            out = dest / f"copy{n:03d}" / src.relative_to(CORPUS)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
    return copies * len(sources), copies * size


def raw_tiktoken(tree: Path, encoding_name: str) -> float:
    """Seconds to encode every prompt text of the tree (texts as the audit sees them)."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(
            Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers")
    import tiktoken

    from promptopt.loaders import load_file

    texts = [doc.text for p in sorted(tree.rglob("*")) if p.is_file() for doc in load_file(p)]
    encoding = tiktoken.get_encoding(encoding_name)
    encoding.encode_ordinary("warm up")
    start = time.perf_counter()
    for text in texts:
        encoding.encode_ordinary(text)
    return time.perf_counter() - start


def audit_seconds(tree: Path) -> tuple[float, int]:
    """Wall time of a full `promptopt audit --format json` over the tree, in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "promptopt", "audit", str(tree), "--format", "json"],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.returncode


def cold_two_files(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "support.md", Path(tmp) / "classify.j2"
        a.write_text("# ROLE\nYou are a support agent.\n\n- Please answer in the customer's language.\n"
                     "- Keep answers under 80 words.\n", encoding="utf-8")
        b.write_text("Classify {{ ticket }} as billing, shipping or account.\nIn order to decide, read it twice.\n",
                     encoding="utf-8")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "promptopt", "audit", str(a), str(b)], cwd=tmp,
                           capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-mb", type=float, default=20.0)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        files, size = build_tree(int(args.target_mb * 1e6), tree)
        mb = size / 1e6
        raw = raw_tiktoken(tree, "o200k_base")
        audit, _ = audit_seconds(tree)
    cold = cold_two_files(args.cold_runs)
    audit_mbs, raw_mbs = mb / audit, mb / raw
    cold_median = statistics.median(cold)
    print(f"tree: {files} files, {mb:.1f} MB (shared corpus repeated)")
    print(f"audit:         {audit:6.2f} s  {audit_mbs:6.2f} MB/s  {files / audit:7.0f} files/s  (whole CLI run)")
    print(f"raw tiktoken:  {raw:6.2f} s  {raw_mbs:6.2f} MB/s  (encode_ordinary, o200k_base, one thread)")
    print(f"ratio:         {audit_mbs / raw_mbs:.2f} of raw tiktoken (target >= 0.33)")
    print(f"cold 2 files:  median {cold_median:.3f} s over {len(cold)} runs "
          f"(min {min(cold):.3f}, max {max(cold):.3f}; target <= 0.6 s)")
    ok = audit_mbs / raw_mbs >= 1 / 3 and cold_median <= 0.6
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
