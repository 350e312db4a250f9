"""LLMLingua offline: raw output vs guarded (rules kept whole) vs sentence-level, per file.

Per input: tokens before, then for each method tokens after, the share kept and the losses counted by
tests/scope_checker.py (independent of the guard): negation/modal scope, quoted literals, code-like
spans, numbers. Methods:
- raw: the whole text straight into LLMLingua (compress_whole), nothing protected;
- guarded: `compress --method llmlingua` (level token): prose sentences cut token by token, each cut
  checked, rules and protected spans kept, then the guard per paragraph (scope on);
- sentence: the same with --lingua-level sentence: whole prose sentences dropped, none cut.
Also the SmolLM2 conversion time (--convert) and the compressor load time.

Usage: python bench/lingua_compare.py [--rate 0.5] [--convert] [--show] [PATH ...]
Defaults to the ten prose-heavy corpus prompts of issue 13 and the three it names (skipped when absent).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
TEN = [
    "fabric/dialog_with_socrates.md",
    "fabric/extract_insights.md",
    "fabric/md_callout.md",
    "fabric/analyze_military_strategy.md",
    "fabric/extract_song_meaning.md",
    "fabric/explain_project.md",
    "awesome-chatgpt-prompts/fix_blank_screen_issues_after_deploy_on_vercel_ang.txt",
    "sk/FunPlugin_Limerick.txt",
    "sk/chat.prompty",
    "openhands/swebench_swe_gpt4.j2",
]
THREE = ["fabric/analyze_claims.md", "fabric/extract_wisdom.md",
         "awesome-chatgpt-prompts/expanded_company_intel_report.txt"]
DEFAULT_INPUTS = [CORPUS / name for name in TEN + THREE]


def measure_conversion() -> None:
    from promptopt import localmodel

    with tempfile.TemporaryDirectory() as tmp:
        os.environ[localmodel.CACHE_ENV] = str(Path(tmp) / "smollm2")
        started = time.perf_counter()
        localmodel.smollm2_dir()
        print(f"conversion GGUF -> HF folder: {time.perf_counter() - started:.1f} s")
        del os.environ[localmodel.CACHE_ENV]


def guarded(path: Path, text: str, rate: float, level: str) -> str:
    """What `promptopt compress --method llmlingua` writes for this file (guard per paragraph)."""
    from promptopt.compressors.cli import compress_with_lingua
    from promptopt.config import load_config

    config = load_config(path, {})
    return compress_with_lingua(path, text, None, config, rate=rate, level=level).text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--convert", action="store_true", help="also time a fresh SmolLM2 conversion")
    parser.add_argument("--show", action="store_true", help="print each loss")
    args = parser.parse_args()

    from promptopt.compressors import llmlingua
    from promptopt.tokens import get_encoding
    from tests.scope_checker import losses

    if args.convert:
        measure_conversion()
    started = time.perf_counter()
    llmlingua.load_compressor(None, lambda _m: None)
    print(f"compressor load (converted SmolLM2, cached folder): {time.perf_counter() - started:.1f} s")
    print(f"load average: {open('/proc/loadavg').read().split()[0] if Path('/proc/loadavg').exists() else '?'}")
    encoding = get_encoding(llmlingua.COUNT_ENCODING)
    count = lambda text: len(encoding.encode_ordinary(text))  # noqa: E731

    methods = ("raw", "guarded", "sentence")
    totals = {m: [0, 0, {}] for m in methods}  # tokens before, after, losses per kind
    print(f"rate {args.rate}; losses: scope/literals/code/numbers (tests/scope_checker.py)")
    print(f"{'file':58} {'tokens':>6}  " + "  ".join(f"{m + ' kept':>13} {'losses':>11}" for m in methods))
    for path in args.paths or DEFAULT_INPUTS:
        if not path.is_file():
            print(f"{path}: not found, skipped")
            continue
        text = path.read_text()
        outputs = {
            "raw": llmlingua.compress_whole(text, rate=args.rate),
            "guarded": guarded(path, text, args.rate, "token"),
            "sentence": guarded(path, text, args.rate, "sentence"),
        }
        before = count(text)
        cells = []
        for method, output in outputs.items():
            lost = losses(text, output)
            after = count(output)
            totals[method][0] += before
            totals[method][1] += after
            for kind, items in lost.items():
                totals[method][2][kind] = totals[method][2].get(kind, 0) + len(items)
            cells.append(f"{after:>6} {after / before:>6.0%} {'/'.join(str(len(v)) for v in lost.values()):>11}")
            if args.show:
                for kind, items in lost.items():
                    for item in items:
                        print(f"    {method} lost {kind}: {item}")
        name = str(path.relative_to(CORPUS)) if path.is_relative_to(CORPUS) else path.name
        print(f"{name[-58:]:58} {before:>6}  " + "  ".join(cells))
    for method, (before, after, lost) in totals.items():
        if before:
            print(f"total {method:9} {before:>6} -> {after:>6} tokens ({after / before:.1%} kept), losses {lost}")


if __name__ == "__main__":
    main()
