"""Cold time and peak memory of the pre-commit hook's command on two changed prompt files, step by
step, beside a rival linter in the same run.

The files are two real prompts of the shared corpus with non-ASCII text (fabric's summarize.md has an
em-dash, extract_core_message.md a curly apostrophe and an ellipsis), or `--files`; without the corpus,
two ASCII prompts written here. Each run is a fresh process (as pre-commit starts one). Three commands are timed,
interleaved so that load from other processes hits them alike:
- `promptopt audit A B` with its result cache filled (the files are unchanged since the last run),
- `promptopt audit --no-cache A B` (every file new: rules, tokenizer, audit, report),
- the rival linter `promptproof A B` (0.2.0), when installed: `--rival PATH`, by default the
  `promptproof` beside this Python, else /tmp/pp-venv/bin/promptproof. It is a benchmark tool, not a
  dependency: `pip install promptproof==0.2.0` into the venv that runs this, or into /tmp/pp-venv.
Then each step of both promptopt runs is timed inside fresh processes (`--steps`).
Prints, per command, the median wall time with its spread, the median CPU time (user + system: what the
process itself used, much less sensitive to other load on a shared machine) and the median peak RSS
(the process's own, from wait4), then the ratios to the rival from the same run. Targets: a median of
0.2 s or less; against the rival, at most 1.5x its CPU time and 2x its peak memory.

    python bench/hook_time.py [--runs 15] [--files A B] [--rival PATH] [--before ../main] [--no-steps]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.2
TARGET_CPU_RATIO = 1.5  # of the rival's CPU time, same run
TARGET_MEMORY_RATIO = 2.0  # of the rival's peak RSS, same run
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
# Two small real prompts, both with non-ASCII text (an em-dash; a curly apostrophe, an ellipsis)
DEFAULT_FILES = [CORPUS / "fabric" / "summarize.md", CORPUS / "fabric" / "extract_core_message.md"]
RIVALS = [Path(sys.executable).parent / "promptproof", Path("/tmp/pp-venv/bin/promptproof")]

SUPPORT = """# Support assistant

You are the support assistant for Acme Garden Tools. Please note that you should always answer in the
customer's language. In order to help the customer, check the order number first.

## Rules
- Refunds are possible within 30 days of delivery.
- Never promise a delivery date.
- Always answer in the customer's language.
- Keep answers under 120 words.

Customer message: {{ message }}
"""
TRIAGE = """Classify the ticket into one of: billing, delivery, product, other.
Answer with the label only, in lower case. Due to the fact that labels are parsed by a program,
do not add any other text.

Ticket: {ticket}
"""

# Run in a fresh interpreter: the time of each step of one audit, in seconds, as JSON.
STEPS = r"""
import json, sys, time
from pathlib import Path
marks = [("start", time.perf_counter())]
use_cache, files = sys.argv[1] == "cache", [Path(p) for p in sys.argv[2:]]
import promptopt.quick
marks.append(("import the entry", time.perf_counter()))
from promptopt.config import load_config
config = load_config(files[0])
marks.append(("load config", time.perf_counter()))
from promptopt.engine import Auditor, audit_paths, discover
entries = discover(files, config)
marks.append(("import engine, discover", time.perf_counter()))
cache = None
if use_cache:
    from promptopt.cache import ResultCache
    cache = ResultCache(config)
    marks.append(("cache key (code fingerprint)", time.perf_counter()))
    result = audit_paths(files, config, cache=cache)
    marks.append(("read, hash, cached results", time.perf_counter()))
else:
    auditor = Auditor(config)
    marks.append(("load rules (imports, regexes)", time.perf_counter()))
    auditor.counter.count("warm")
    marks.append(("load tokenizer", time.perf_counter()))
    result = audit_paths(files, config)
    marks.append(("audit: rules, savings", time.perf_counter()))
from promptopt import __version__
from promptopt.reporters import audit_options, render
text = render("text", result, audit_options(config.model, __version__, color=False))
marks.append(("report (text)", time.perf_counter()))
print(json.dumps([(name, t - marks[i][1]) for i, (name, t) in enumerate(marks[1:])]))
"""


def promptopt_command(checkout: Path = ROOT, folder: Path | None = None) -> list[str]:
    """The hook's entry as pre-commit runs it: the `promptopt` script an install of `checkout` has (its
    pyproject's entry point, written into `folder` as pip writes it, run by this Python), else the
    installed script (PYTHONPATH puts the checkout first either way)."""
    import tomllib

    try:
        project = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        entry = project["scripts"]["promptopt"]
    except (OSError, KeyError, ValueError):
        entry = None
    if entry and folder is not None:
        module, function = entry.split(":")
        script = folder / f"promptopt-{abs(hash(str(checkout)))}"
        script.write_text(f"#!{sys.executable}\nimport re\nimport sys\nfrom {module} import {function}\n"
                          "if __name__ == '__main__':\n"
                          "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                          f"    sys.exit({function}())\n", encoding="utf-8")
        script.chmod(0o755)
        return [str(script), "audit"]
    script = Path(sys.executable).parent / "promptopt"
    if script.exists():
        return [str(script), "audit"]
    found = shutil.which("promptopt")
    return [found, "audit"] if found else [sys.executable, "-m", "promptopt", "audit"]


def bench_env(checkout: Path = ROOT) -> dict[str, str]:
    """The checkout first on the path; bytecode written as an installed package has it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(command: list[str], cwd: Path, checkout: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds, the CPU seconds the process used (user + system: on a shared machine the wall time
    carries other processes' load, the CPU time much less) and its peak RSS in MB (this process's own,
    from wait4: getrusage's children figure is the largest child so far)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr,
                                   env=bench_env(checkout))
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            stderr.seek(0)
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def steps(files: list[Path], cwd: Path, runs: int, cached: bool) -> list[tuple[str, float]]:
    """Median seconds of each step over `runs` fresh processes."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", STEPS, "cache" if cached else "fresh", *map(str, files)],
                              cwd=cwd, capture_output=True, text=True, env=bench_env(), check=True)
        for name, seconds in json.loads(done.stdout.strip().splitlines()[-1]):
            samples.setdefault(name, []).append(seconds)
    return [(name, statistics.median(values)) for name, values in samples.items()]


def describe(times: list[float]) -> str:
    return (f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
            f"({len(times)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--files", nargs="+", type=Path,
                        help="prompt files (default: two real prompts of the shared corpus, else two written here)")
    parser.add_argument("--rival", type=Path, help=f"the rival linter's executable (default: {RIVALS[0]}, "
                        f"else {RIVALS[1]})")
    parser.add_argument("--no-steps", action="store_true", help="skip the step-by-step timing")
    parser.add_argument("--before", type=Path, help="another checkout of promptopt (say, main) timed alongside")
    args = parser.parse_args()
    rival = args.rival or next((r for r in RIVALS if r.exists()), RIVALS[0])
    sources = args.files or ([f for f in DEFAULT_FILES if f.is_file()] if CORPUS.is_dir() else [])
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        if sources:
            files = [cwd / f.name for f in sources]
            for source, target in zip(sources, files, strict=True):
                shutil.copyfile(source, target)
        else:
            files = [cwd / "support.md", cwd / "triage.txt"]
            files[0].write_text(SUPPORT, encoding="utf-8")
            files[1].write_text(TRIAGE, encoding="utf-8")
        names = [f.name for f in files]
        scripts = Path(tempfile.mkdtemp(dir=folder))
        ours = promptopt_command(ROOT, scripts)
        commands = {"promptopt, cached": [*ours, *names],
                    "promptopt, --no-cache": [*ours, "--no-cache", *names]}
        checkouts = dict.fromkeys(commands, ROOT)
        if args.before:
            theirs = promptopt_command(args.before.resolve(), scripts)
            commands["before, cached"] = [*theirs, *names]
            commands["before, --no-cache"] = [*theirs, "--no-cache", *names]
            checkouts["before, cached"] = checkouts["before, --no-cache"] = args.before.resolve()
        if rival.exists():
            commands["rival (promptproof)"] = [str(rival), *names]
            checkouts["rival (promptproof)"] = ROOT
        for name, command in commands.items():  # warm the OS file cache, bytecode and the result cache
            run_once(command, cwd, checkouts[name])
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                wall, used, peak = run_once(command, cwd, checkouts[name])
                times[name].append(wall)
                cpu[name].append(used)
                memory[name].append(peak)
        step_times = {} if args.no_steps else {
            "cached": steps(names, cwd, max(5, args.runs // 2), cached=True),
            "--no-cache": steps(names, cwd, max(5, args.runs // 2), cached=False),
        }
    load = os.getloadavg()
    described = ", ".join(str(f) for f in sources) if sources else "two prompts written here (ASCII)"
    print(f"command: {' '.join(ours)} <{len(files)} files: {described}>")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    for name, values in times.items():
        print(f"{name:21} {describe(values)}; CPU median {statistics.median(cpu[name]):.3f} s; "
              f"peak RSS median {statistics.median(memory[name]):.1f} MB")
    cached = statistics.median(times["promptopt, cached"])
    fresh = statistics.median(times["promptopt, --no-cache"])
    for label, median in (("cached", cached), ("--no-cache", fresh)):
        print(f"{label} median {median:.3f} s: {'within' if median <= TARGET_SECONDS else 'OVER'} "
              f"the {TARGET_SECONDS} s target")
    if "rival (promptproof)" in times:
        rival = statistics.median(times["rival (promptproof)"])
        print(f"ratio to the rival (same run): cached {cached / rival:.1f}x, --no-cache {fresh / rival:.1f}x")
        rival_cpu = statistics.median(cpu["rival (promptproof)"])
        rival_memory = statistics.median(memory["rival (promptproof)"])
        for label, name in (("cached", "promptopt, cached"), ("--no-cache", "promptopt, --no-cache")):
            cpu_ratio = statistics.median(cpu[name]) / rival_cpu
            memory_ratio = statistics.median(memory[name]) / rival_memory
            print(f"{label}: CPU {cpu_ratio:.2f}x the rival's ({'within' if cpu_ratio <= TARGET_CPU_RATIO else 'OVER'}"
                  f" {TARGET_CPU_RATIO}x), peak RSS {memory_ratio:.2f}x "
                  f"({'within' if memory_ratio <= TARGET_MEMORY_RATIO else 'OVER'} {TARGET_MEMORY_RATIO}x)")
    else:
        print(f"rival not installed at {rival}: no ratio (pip install promptproof==0.2.0)")
    if args.before:
        for label in ("cached", "--no-cache"):
            mine, before = (statistics.median(cpu[f"{who}, {label}"]) for who in ("promptopt", "before"))
            line = f"before ({args.before}), {label}: CPU median {before:.3f} s; this checkout {mine / before:.2f}x"
            if "rival (promptproof)" in cpu:
                line += f"; before was {before / statistics.median(cpu['rival (promptproof)']):.2f}x the rival's"
            print(line)
    for label, measured in step_times.items():
        print(f"\nsteps, {label} (median of fresh processes, in-process clock, after the interpreter's start):")
        for name, seconds in measured:
            print(f"  {name:32} {seconds * 1000:7.1f} ms")
        print(f"  {'total':32} {sum(s for _, s in measured) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
