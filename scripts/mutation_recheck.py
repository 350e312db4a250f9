"""Re-test the survivors of a finished `scripts/mutation.sh` run against tests written since.

usage: python scripts/mutation_recheck.py MUTATION_DIR MODULE[:FUNC,...] TEST [TEST...] [pytest args]

A full mutmut run of a module takes from minutes to most of an hour; after adding tests for its
survivors, this runs only those survivors (mutmut's own mutants and trampolines, in MUTATION_DIR),
each in a forked process with MUTANT_UNDER_TEST set, against the given tests (copied from the
checkout into the scratch copy first). A test failing means the mutant is killed. It prints each
survivor's fate and the module's score counting the run's kills plus these.
Run it as mutation.sh runs mutmut: no PYTHONPATH pointing at a checkout. A survivor whose tests run
longer than MUTATION_RECHECK_TIMEOUT seconds (default 300) is stopped and counted as a timeout, which
mutmut counts as killed (a mutated loop bound that never ends).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from mutation_score import module_statuses  # noqa: E402


def main(argv: list[str]) -> int:
    work, spec, *tests = argv
    mutants = Path(work).resolve() / "mutants"
    module, _, names = spec.partition(":")
    statuses = module_statuses(mutants, module, set(filter(None, names.split(","))))
    survivors = sorted(name for name, state in statuses.items() if state in ("survived", "suspicious"))
    args = []
    for test in tests:
        path = ROOT / test.split("::")[0]
        if not test.startswith("-") and path.is_file():
            shutil.copy(path, mutants / "tests" / path.name)
        args.append(test)
    os.chdir(mutants)
    sys.path.insert(0, str(mutants))
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", LITELLM_LOCAL_MODEL_COST_MAP="True")
    import pytest

    limit = float(os.environ.get("MUTATION_RECHECK_TIMEOUT", "300"))
    killed = []
    for name in survivors:
        pid = os.fork()
        if pid == 0:
            os.environ["MUTANT_UNDER_TEST"] = name
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os._exit(int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *args])))
        deadline = time.monotonic() + limit
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        if done[0] == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            fate = "timeout"
        else:
            fate = "killed" if os.waitstatus_to_exitcode(done[1]) != 0 else "survived"
        killed += [name] * (fate != "survived")
        print(f"{fate}: {name}", flush=True)
    before = sum(state in ("killed", "timeout") for state in statuses.values())
    total = len(statuses)
    after = before + len(killed)
    print(f"{spec}: {total} mutants, {before} killed by the run, {len(killed)} more now, "
          f"{total - after} surviving: {100 * after / total:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
