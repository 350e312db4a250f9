"""Audit speed: throughput on the shared corpus repeated to 20 MB or more, beside raw tiktoken on the same
text in the same run; a second run over the unchanged tree (result cache); the cold wall time of
`promptopt audit` on two small files.

    python bench/audit_speed.py [--target-mb 20] [--cold-runs 7] [--profile]

Targets (issues 2 and 12): first-run throughput at least a third of raw tiktoken encoding speed; a
re-run of the unchanged tree in 5% of the first run or less; a cold two-file run (cached) in 0.2 s or
less. Prints the figures; exit 1 when a target is missed. `--profile` adds where the first run's time
goes: CPU time per stage and per rule, then cProfile of one in-process audit of the tree (one process).
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


def audit_seconds(tree: Path, cache: Path | None, jobs: int | None = None) -> tuple[float, str]:
    """Wall time of a full `promptopt audit --format json` over the tree, in a fresh process; with
    `cache`, that folder holds the result cache, else `--no-cache`. Returns (seconds, report)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache is not None:
        env["PROMPTOPT_CACHE_DIR"] = str(cache)
    if jobs:
        env["PROMPTOPT_JOBS"] = str(jobs)
    command = [sys.executable, "-m", "promptopt", "audit", str(tree), "--format", "json"]
    start = time.perf_counter()
    result = subprocess.run(command + ([] if cache is not None else ["--no-cache"]), cwd=ROOT,
                            capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, result.stdout


def profile(tree: Path, top: int = 25) -> None:
    """Where an in-process, one-process audit of the tree spends its time."""
    import cProfile
    import pstats

    from promptopt.config import Config
    from promptopt.engine import audit_paths

    profiler = cProfile.Profile()
    profiler.enable()
    audit_paths([tree], Config(root=tree), jobs=1)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"\nprofile (one process, no cache), top {top} by own time:")
    stats.sort_stats("tottime").print_stats(top)
    print(f"profile, top {top} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)


class _Stages:
    """Exclusive CPU time per stage: a stage entered inside another (a shared pass a rule triggers)
    is taken out of the outer one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[list] = []  # [label, started, time of inner stages]

    def timed(self, label: str, call, *args):
        self._stack.append([label, time.process_time(), 0.0])
        try:
            return call(*args)
        finally:
            name, started, inner = self._stack.pop()
            spent = time.process_time() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + spent - inner
            if self._stack:
                self._stack[-1][2] += spent


def stages(tree: Path) -> None:
    """Where the time of an in-process, one-process audit goes, by stage and by rule (exclusive CPU
    time, no profiler overhead): the bound on throughput is the sum of many rules, not one hot spot."""
    from promptopt import core, loaders, savings, tokens
    from promptopt.config import Config
    from promptopt.engine import Auditor

    clock = _Stages()
    patched = [(loaders, "load_source"), (savings, "settle"), (savings, "apply_floor"),
               (tokens.TokenCounter, "count"), (core.PromptDocument, "memo")]
    originals = [(owner, name, getattr(owner, name)) for owner, name in patched]
    labels = {"load_source": "load and segment", "settle": "measured savings", "apply_floor": "value floor",
              "count": "count tokens"}
    for owner, name, original in originals:
        if name == "memo":
            def memo(doc, key, compute, original=original):
                if key in doc._memo:
                    return doc._memo[key]
                return clock.timed(f"shared pass: {key}", original, doc, key, compute)
            setattr(owner, name, memo)
        else:
            def wrapped(*args, original=original, label=labels[name]):
                return clock.timed(label, original, *args)
            setattr(owner, name, wrapped)
    try:
        auditor = Auditor(Config(root=tree))
        gated = []
        for rule in auditor.document_rules + auditor.file_rules:
            def check(doc, ctx, original=rule.check, label=f"rule {rule.code} {rule.name}"):
                return clock.timed(label, lambda: list(original(doc, ctx)))
            rule.check = check
            if rule.gate is not None:  # a gate's test is the rule's time (the module's object: put back below)
                rule.gate.allows = lambda doc, gate=rule.gate, label=f"rule {rule.code} {rule.name}": clock.timed(
                    label, type(gate).allows, gate, doc)
                gated.append(rule.gate)
        start = time.process_time()
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        auditor.counter.plan(sum(p.stat().st_size for p in files))  # as audit_paths does
        for path in files:
            auditor.audit_file(path)
        total = time.process_time() - start
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        for gate in gated:
            del gate.allows
        from promptopt.registry import all_rules
        all_rules.cache_clear()  # the rules' checks were wrapped
    print(f"\nstages (one process, no cache, CPU time, exclusive): total {total:.2f} s")
    ranked = sorted(clock.seconds.items(), key=lambda kv: -kv[1])
    rules = sum(v for k, v in ranked if k.startswith("rule "))
    print(f"  {'all rules':44} {rules:7.2f} s  {100 * rules / total:5.1f}%")
    for label, seconds in ranked[:20]:
        print(f"  {label:44} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")


def cold_two_files(runs: int) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "support.md", Path(tmp) / "classify.j2"
        a.write_text("# ROLE\nYou are a support agent.\n\n- Please answer in the customer's language.\n"
                     "- Keep answers under 80 words.\n", encoding="utf-8")
        b.write_text("Classify {{ ticket }} as billing, shipping or account.\nIn order to decide, read it twice.\n",
                     encoding="utf-8")
        variants = {"cached": [], "--no-cache": ["--no-cache"]}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for n in range(runs + 1):
            for name, extra in variants.items():
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "promptopt", "audit", *extra, str(a), str(b)], cwd=tmp,
                               capture_output=True, env=env)
                if n:  # the first round warms bytecode and fills the cache
                    times[name].append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-mb", type=float, default=20.0)
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="also profile one in-process audit of the tree")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"shared corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tree, cache = Path(tmp) / "tree", Path(tmp) / "cache"
        files, size = build_tree(int(args.target_mb * 1e6), tree)
        mb = size / 1e6
        raw = raw_tiktoken(tree, "o200k_base")
        first, first_report = audit_seconds(tree, cache)
        again, again_report = audit_seconds(tree, cache)
        if first_report != again_report:
            raise SystemExit("the re-run's report differs from the first run's")
        one_process, _ = audit_seconds(tree, None, jobs=1)
        if args.profile:
            stages(tree)
            profile(tree)
    cold = cold_two_files(args.cold_runs)
    audit_mbs, raw_mbs = mb / first, mb / raw
    print(f"tree: {files} files, {mb:.1f} MB (shared corpus repeated); load average {os.getloadavg()[0]:.2f}")
    print(f"first run:     {first:6.2f} s  {audit_mbs:6.2f} MB/s  {files / first:7.0f} files/s  "
          f"(whole CLI run, empty cache, default processes)")
    print(f"one process:   {one_process:6.2f} s  {mb / one_process:6.2f} MB/s  (--no-cache, PROMPTOPT_JOBS=1)")
    print(f"raw tiktoken:  {raw:6.2f} s  {raw_mbs:6.2f} MB/s  (encode_ordinary, o200k_base, one thread)")
    print(f"ratio:         {audit_mbs / raw_mbs:.2f} of raw tiktoken (target >= 0.33); one process "
          f"{mb / one_process / raw_mbs:.2f}")
    print(f"unchanged re-run: {again:6.2f} s = {100 * again / first:.1f}% of the first run (target <= 5%); "
          "same report")
    for name, values in cold.items():
        print(f"cold 2 files, {name:10}: median {statistics.median(values):.3f} s over {len(values)} runs "
              f"(min {min(values):.3f}, max {max(values):.3f})")
    ok = audit_mbs / raw_mbs >= 1 / 3 and again <= 0.05 * first and statistics.median(cold["cached"]) <= 0.2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
