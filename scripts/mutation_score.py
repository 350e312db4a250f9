"""Mutation score per module from a finished mutmut 3 run (its `mutants/**/*.py.meta` files).

usage: python scripts/mutation_score.py MUTANTS_DIR MODULE[:FUNC,FUNC...] ...

A module given with functions (promptopt/cli.py:audit,_apply_fixes) counts only the mutants of those
functions: the CLI's fix and exit paths, not its help texts. Score = killed / (killed + survived +
timeout + suspicious); mutants with no covering test count as survived (a test should reach them).
With --survivors, each surviving mutant's name is listed (`mutmut show NAME` prints its diff).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

# mutmut's own exit-code table (mutmut.stats.status_by_exit_code), reduced to what a score needs
KILLED = {1, 3, 37}
SURVIVED = {0, 5, 33}  # 5 and 33: no test reached the mutant
TIMEOUT = {36, -24, 24, 152, 255}


def status(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    if exit_code in KILLED:
        return "killed"
    if exit_code in SURVIVED:
        return "survived"
    if exit_code in TIMEOUT:
        return "timeout"  # an endless loop the tests stopped: counted as killed, as mutmut does
    return "suspicious"


def function_of(mutant: str) -> str:
    """`promptopt.cli.x_audit__mutmut_3` -> `audit`; methods: `xǁFileResultǁtokens_saved__mutmut_1`."""
    name = mutant.rsplit(".", 1)[-1]
    name = re.sub(r"__mutmut_\d+$", "", name)
    return name.split("ǁ")[-1].removeprefix("x_")


def module_statuses(mutants_dir: Path, module: str, functions: set[str]) -> dict[str, str]:
    meta = mutants_dir / f"{module}.meta"
    if not meta.is_file():
        raise SystemExit(f"no mutmut results for {module} ({meta} is missing)")
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return {name: status(code) for name, code in codes.items() if not functions or function_of(name) in functions}


def main(argv: list[str]) -> int:
    show = "--survivors" in argv
    args = [a for a in argv if a != "--survivors"]
    mutants_dir, specs = Path(args[0]), args[1:]
    print(f"{'module':<40} {'mutants':>7} {'killed':>7} {'survived':>8} {'timeout':>7} {'score':>7}")
    total = Counter()
    for spec in specs:
        module, _, names = spec.partition(":")
        statuses = module_statuses(mutants_dir, module, set(filter(None, names.split(","))))
        count = Counter(statuses.values())
        killed = count["killed"] + count["timeout"]
        judged = killed + count["survived"] + count["suspicious"]
        score = f"{100 * killed / judged:.1f}%" if judged else "n/a"
        label = module + (f" ({names})" if names else "")
        print(f"{label:<40} {len(statuses):>7} {count['killed']:>7} {count['survived']:>8} {count['timeout']:>7} "
              f"{score:>7}" + (f"  ({count['not checked']} not checked)" if count["not checked"] else ""))
        total.update(count)
        if show:
            for name, state in sorted(statuses.items()):
                if state in ("survived", "suspicious"):
                    print(f"    {state}: {name}")
    killed = total["killed"] + total["timeout"]
    judged = killed + total["survived"] + total["suspicious"]
    if len(specs) > 1 and judged:
        print(f"{'all':<40} {sum(total.values()):>7} {total['killed']:>7} {total['survived']:>8} "
              f"{total['timeout']:>7} {100 * killed / judged:>6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
