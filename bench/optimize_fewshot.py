"""`promptopt optimize` on the bundled few-shot suite with the offline model, from an empty cache, and
the batched local generation against one-at-a-time on the same messages.

1. optimize: a fresh `python -m promptopt optimize` process on fixtures/evals/fewshot_sentiment
   (250 cases, 50 held out) with an empty answer cache; prints its table, the wall time, the CPU
   seconds of the process (user + system) and the load average (the machine is shared: wall time
   is mostly waiting for a core when it is busy). Issue 23's target: >= 40% input tokens saved,
   verified on the held-out cases, within 5 minutes.
2. batching: --cases cases of the same suite generated one at a time (the prefix-cache path) and in
   batches (local_provider.generate_batch), in this process: seconds and CPU per case, and whether
   the outputs are identical.

The local model is a smoke test of the pipeline, never a judge of prompt quality.

    python bench/optimize_fewshot.py [--max-drop 0.15] [--cases 96] [--batch 32] [--skip-optimize]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE_DIR = ROOT / "fixtures" / "evals" / "fewshot_sentiment"


def run_optimize(max_drop: float) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    with tempfile.TemporaryDirectory() as cache:
        command = [sys.executable, "-m", "promptopt", "optimize", str(SUITE_DIR / "prompt.txt"), "--suite",
                   str(SUITE_DIR / "suite.yaml"), "--model", "local/smollm2", "--max-drop", str(max_drop),
                   "--cache-dir", cache]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"optimize: exit {done.returncode}, {wall:.0f} s wall, {cpu:.0f} s CPU, "
          f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")  # fmt: skip


def compare_batching(cases: int, batch: int) -> None:
    from promptopt.evaluation.local_provider import generate, generate_batch, load_model
    from promptopt.evaluation.session import generation_settings
    from promptopt.evaluation.suite import load_suite

    suite = load_suite(SUITE_DIR / "suite.yaml")
    max_tokens, stop = generation_settings(suite, "local/smollm2")
    messages = [suite.prompt.render(c.vars) for c in suite.cases[:cases]]
    load_model()
    results = {}
    for name in ("one at a time", "batched"):
        started, cpu = time.perf_counter(), time.process_time()
        if name == "batched":
            outputs = [o for i in range(0, cases, batch) for o in generate_batch(messages[i : i + batch], max_tokens,
                                                                                  None, stop)]  # fmt: skip
        else:
            outputs = [generate(m, max_tokens, None, stop) for m in messages]
        results[name] = [o[0] for o in outputs]
        print(f"{name}: {(time.perf_counter() - started) / cases:.3f} s per case wall, "
              f"{(time.process_time() - cpu) / cases:.3f} s CPU (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    same = sum(a == b for a, b in zip(results["one at a time"], results["batched"], strict=True))
    print(f"identical outputs: {same} of {cases}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-drop", type=float, default=0.15)
    parser.add_argument("--cases", type=int, default=96)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--skip-optimize", action="store_true")
    args = parser.parse_args()
    if not args.skip_optimize:
        run_optimize(args.max_drop)
    compare_batching(args.cases, args.batch)


if __name__ == "__main__":
    main()
