"""LLMLingua offline: timings, and raw output vs our protected output on the same inputs.

Prints the one-off SmolLM2 conversion time (with --convert, into a temporary cache), the compressor
load time, and per input: tokens before/after and tokens per second for our protected compression,
the same with only structure protected (keep_critical=False), the same for the whole text sent
straight to LLMLingua, and how many numbers, negations,
placeholders and fenced code blocks each output lost.

Usage: python bench/lingua_compare.py [--rate 0.5] [--convert] [PATH ...]
Defaults to the fixture and ../shared/corpus/prompts/fabric/summarize.md (skipped when absent).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_INPUTS = [
    ROOT / "fixtures" / "prompts" / "lingua_prose.md",
    ROOT.parent / "shared" / "corpus" / "prompts" / "fabric" / "summarize.md",
]

# Counted independently of promptopt.compressors.protect, so the splitting cannot grade itself.
CHECKS = {
    "numbers": re.compile(r"\d+(?:[.,]\d+)*"),
    "negations": re.compile(r"\b(?:not|never|no|don't|without)\b", re.I),
    "placeholders": re.compile(r"\{\{[^{}]*\}\}|\{[A-Za-z_]\w*\}"),
    "code blocks": re.compile(r"^```.*?^```", re.M | re.S),
}


def lost(before: str, after: str) -> dict[str, int]:
    """Per check, how many occurrences of the original are missing from the output (multiset)."""
    return {
        name: sum((Counter(p.findall(before)) - Counter(p.findall(after))).values())
        for name, p in CHECKS.items()
    }


def present(text: str) -> dict[str, int]:
    return {name: len(p.findall(text)) for name, p in CHECKS.items()}


def measure_conversion() -> None:
    from promptopt import localmodel

    with tempfile.TemporaryDirectory() as tmp:
        os.environ[localmodel.CACHE_ENV] = str(Path(tmp) / "smollm2")
        started = time.perf_counter()
        localmodel.smollm2_dir()
        print(f"conversion GGUF -> HF folder: {time.perf_counter() - started:.1f} s")
        del os.environ[localmodel.CACHE_ENV]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--convert", action="store_true", help="also time a fresh SmolLM2 conversion")
    args = parser.parse_args()

    from promptopt.compressors import llmlingua
    from promptopt.tokens import get_encoding

    if args.convert:
        measure_conversion()
    started = time.perf_counter()
    llmlingua.load_compressor(None, lambda _m: None)
    print(f"compressor load (converted SmolLM2, cached folder): {time.perf_counter() - started:.1f} s")
    print(f"load average: {open('/proc/loadavg').read().split()[0] if Path('/proc/loadavg').exists() else '?'}")
    encoding = get_encoding(llmlingua.COUNT_ENCODING)

    paths = args.paths or DEFAULT_INPUTS
    for path in paths:
        if not path.is_file():
            print(f"\n{path}: not found, skipped")
            continue
        text = path.read_text()
        ours = llmlingua.compress_with_llmlingua(text, rate=args.rate)
        structure = llmlingua.compress_with_llmlingua(text, rate=args.rate, keep_critical=False)
        started = time.perf_counter()
        raw = llmlingua.compress_whole(text, rate=args.rate)
        raw_seconds = time.perf_counter() - started
        raw_tokens = len(encoding.encode_ordinary(raw))

        print(f"\n{path.name} (rate {args.rate}); present in original: {present(text)}")
        print(f"{'':10} {'tokens':>12} {'saved':>6} {'seconds':>8} {'tok/s':>7}  lost")
        for label, tokens, seconds, output in (
            ("protected", ours.tokens_after, ours.seconds, ours.compressed),
            ("structure", structure.tokens_after, structure.seconds, structure.compressed),
            ("raw", raw_tokens, raw_seconds, raw),
        ):
            saved = 1 - tokens / ours.tokens_before
            speed = ours.tokens_before / seconds if seconds else float("inf")
            print(
                f"{label:10} {ours.tokens_before:>5} ->{tokens:>4} {saved:>6.0%} {seconds:>8.2f} {speed:>7.0f}"
                f"  {lost(text, output)}"
            )


if __name__ == "__main__":
    main()
