"""Regexes compiled when first used.

Every run loads every rule, and compiling all their patterns on import cost 28-44 ms of CPU in a cold
two-file audit (`bench/hook_time.py`'s files); about half of them are never reached on a small prompt (a
rule returns early, a gate finds no number: 59 of 122 stay uncompiled there). `lazy_compile` takes
`re.compile`'s arguments and compiles on the first call of a method; the methods are then bound on the
object, so later calls cost what `re.Pattern`'s do.
"""

from __future__ import annotations

import re
from typing import Any

_BOUND = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
          "groups", "groupindex", "flags")


class LazyPattern:
    """A `re.Pattern` in waiting: `.pattern` is known at once; anything else compiles it."""

    def __init__(self, pattern: str, flags: int | re.RegexFlag = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probing: not a pattern method
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for attr in _BOUND:
            self.__dict__[attr] = getattr(compiled, attr)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags!r})"


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """`re.compile`, deferred to first use (typed as a pattern: it answers the same calls)."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
