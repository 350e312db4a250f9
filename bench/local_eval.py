"""The offline default model (`local/smollm2`) on a short-answer suite: seconds per case, before and
after, and its verdicts on a few-shot prompt against an identical copy and against a stripped copy.

The suite is SNIPS intent classification (7 labels) from ../shared/corpus/evals, with the project's
own few-shot prompt (fixtures/evals/snips/intent_fewshot.txt) and no model, max_tokens or stop set:
what a user gets by default. Every run is a fresh `python -m promptopt eval` process with an empty
answer cache, so the model load is included in the time.

- before: the code at --before (a git ref; default: the commit this work started from), run from an
  exported copy; it generates up to 256 tokens per case, so it runs on --before-cases cases only.
- after: this checkout, on --cases cases (target: 0.3 s per case, 1 s with the model load over 24).

Wall time depends on what else the machine runs; CPU seconds (user + system of the eval process,
all threads) are the work done, and are close to the wall time of a machine with a core to spare.
- verdicts: this checkout, few-shot prompt vs an identical copy and vs the copy without examples
  and label list (fixtures/evals/snips/intent_bare.txt), on --verdict-cases cases (docs/eval.md
  recommends 100 for the default 5-point margin).

The local model is a smoke test of the pipeline, never a judge of prompt quality.

    python bench/local_eval.py [--cases 24] [--before-cases 4] [--verdict-cases 100] [--before REF]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNIPS = ROOT / "fixtures" / "evals" / "snips"
CORPUS = ROOT.parent / "shared" / "corpus" / "evals" / "snips_slots154.jsonl"
BEFORE_REF = "18bf17f"  # main when issue 16 started: chat template, 256 tokens, no stop
SUITE = """description: SNIPS intents, few-shot, the offline default model
prompt: {prompt}
dataset:
  path: {corpus}
  vars: {{text: text}}
  expected: intent
  shuffle: 7
  limit: {limit}
defaultTest:
  assert:
    - {{type: equals, value: "{{{{expected}}}}"}}
    - {{type: one-of, value: {labels}}}
"""


def write_suite(folder: Path, limit: int) -> Path:
    path = folder / f"suite_{limit}.yaml"
    text = SUITE.format(prompt=SNIPS / "intent_fewshot.txt", corpus=CORPUS, limit=limit,
                        labels=SNIPS / "intents.json")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    return path


def export(ref: str, target: Path) -> Path:
    """The package as it was at `ref`, from git (the working tree is not touched)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "promptopt"], capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def cpu_seconds() -> float:
    """User + system CPU time of finished child processes: the work done, whatever the machine's load."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_eval(code: Path, suite: Path, cache: Path, *extra: str) -> tuple[dict, float, float]:
    env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # fmt: skip
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):  # the default: no key, so the local model
        env.pop(key, None)
    started, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run(
        [sys.executable, "-m", "promptopt", "eval", str(suite), "--format", "json", "--cache-dir", str(cache),
         *extra],
        capture_output=True, text=True, env=env, cwd=code,
    )  # fmt: skip
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if done.returncode not in (0, 1):
        sys.exit(f"eval failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout), seconds, cpu


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=24)
    parser.add_argument("--before-cases", type=int, default=4, help="0 skips the before run")
    parser.add_argument("--verdict-cases", type=int, default=100, help="0 skips the verdicts")
    parser.add_argument("--before", default=BEFORE_REF, help="git ref of the code to compare with")
    args = parser.parse_args()
    if not CORPUS.is_file():
        sys.exit(f"shared corpus not found at {CORPUS}: this benchmark needs it")
    print(f"{os.cpu_count()} cores, load average {load_average()} (1, 5, 15 min) at the start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.before_cases:
            old = export(args.before, folder / "before")
            data, seconds, cpu = run_eval(old, write_suite(folder, args.before_cases), folder / "cache-before")
            passed = data["variants"]["original"]["passed"]
            print(f"before ({args.before}): {args.before_cases} cases in {seconds:.1f} s with the model load, "
                  f"{seconds / args.before_cases:.2f} s per case, CPU {cpu / args.before_cases:.2f} s per case; "
                  f"{passed}/{args.before_cases} right")
        data, seconds, cpu = run_eval(ROOT, write_suite(folder, args.cases), folder / "cache-after")
        model_seconds = data["stats"]["seconds"]
        passed = data["variants"]["original"]["passed"]
        print(f"after: {args.cases} cases in {seconds:.1f} s with the model load, {seconds / args.cases:.2f} s "
              f"per case, CPU {cpu / args.cases:.2f} s per case; the eval's run alone (model load included, imports "
              f"not) {model_seconds / args.cases:.2f} s per case; {passed}/{args.cases} right ({data['model']})")
        if args.verdict_cases:
            suite = write_suite(folder, args.verdict_cases)
            for candidate in ("intent_fewshot_copy.txt", "intent_bare.txt"):
                extra = ("--candidate", str(SNIPS / candidate))
                data, seconds, _ = run_eval(ROOT, suite, folder / "cache-verdict", *extra)
                c = data["comparison"]
                v = data["variants"]
                print(f"few-shot vs {candidate}: {v['original']['passed']}/{c['n']} vs {v['candidate']['passed']}/"
                      f"{c['n']}, difference {c['difference'] * 100:+.1f} points (95% CI {c['ci'][0] * 100:+.1f} .. "
                      f"{c['ci'][1] * 100:+.1f}): {c['verdict'].upper()}, exit {data['exit_code']} ({seconds:.0f} s)")
    print(f"load average {load_average()} at the end")


if __name__ == "__main__":
    main()
