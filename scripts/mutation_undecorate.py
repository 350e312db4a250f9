"""Rewrite decorated functions as plain ones (in mutation.sh's scratch copy only), so mutmut mutates them.

mutmut 3 skips every decorated function; here that would leave out the promises themselves: the
`audit` and `eval` commands (click decorators) and the properties that compute exit codes, savings
and verdicts. This turns

    @property                       def exit_code(self): ...
    def exit_code(self): ...   ->   exit_code = property(exit_code)

which binds the same object under the same name. Caches (functools.lru_cache/cache) are dropped, not
rebound: mutmut forks each mutant from a process that already ran the tests, so a cache filled there
would hide a mutant of anything the cached function calls (guard.features -> guard._is_name).
staticmethod/classmethod stay: mutmut handles them. usage: python scripts/mutation_undecorate.py FILE...
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst

KEEP = {"staticmethod", "classmethod", "cached_property", "overload"}
CACHES = {"lru_cache", "cache"}  # dropped: slower tests, no stale results across mutants


def _name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    while isinstance(node, cst.Attribute):
        node = node.attr
    return node.value if isinstance(node, cst.Name) else ""


class Undecorate(cst.CSTTransformer):
    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):  # noqa: N802
        if not updated.decorators or any(_name(d) in KEEP for d in updated.decorators):
            return updated
        kept = [d for d in updated.decorators if _name(d) not in CACHES]
        if not kept:
            return updated.with_changes(decorators=[])
        applied: cst.BaseExpression = cst.Name(updated.name.value)
        for decorator in reversed(kept):
            applied = cst.Call(func=decorator.decorator, args=[cst.Arg(applied)])
        rebind = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(updated.name.value))], applied)])
        return cst.FlattenSentinel([updated.with_changes(decorators=[]), rebind])


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        tree = cst.parse_module(path.read_text(encoding="utf-8"))
        path.write_text(tree.visit(Undecorate()).code, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
