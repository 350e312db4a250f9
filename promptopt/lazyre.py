"""Regexes compiled when first used, from compiled code kept between runs.

Every run loads every rule, and compiling all their patterns on import cost 28-44 ms of CPU in a cold
two-file audit (`bench/hook_time.py`'s files); about half of them are never reached on a small prompt (a
rule returns early, a gate finds no number: 59 of 122 stay uncompiled there). `lazy_compile` takes
`re.compile`'s arguments and compiles on the first call of a method; the methods are then bound on the
object, so later calls cost what `re.Pattern`'s do.

The patterns that are reached still cost 12 ms of CPU to parse and compile in each cold run (89 of
them on those files). `re` compiles in two steps: Python parses the pattern into code (a list of ints),
then `_sre.compile` builds the pattern object from it. The code is kept in the user's cache
(`~/.cache/promptopt/regex`), one file per Python build and `_sre` version, so a later run only does
the second step (0.4 ms for the same 89). Anything unexpected (another Python's `re`, a damaged file)
means compiling as `re.compile` does.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

_BOUND = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
          "groups", "groupindex", "flags")
MAX_KEPT = 2000  # patterns in the cache file: past this it starts again (patterns built from data)
_KEPT_VERSIONS = ((3, 11), (3, 12), (3, 13))  # where `_compile_arguments` matches `re._compiler`


class LazyPattern:
    """A `re.Pattern` in waiting: `.pattern` is known at once; anything else compiles it."""

    def __init__(self, pattern: str, flags: int | re.RegexFlag = 0, guard: bool = False) -> None:
        self.pattern = pattern
        self._flags = flags
        self._guard = guard

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probing: not a pattern method
            raise AttributeError(name)
        compiled = compile_kept(self.pattern, self._flags, self._guard)
        for attr in _BOUND:
            self.__dict__[attr] = getattr(compiled, attr)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags!r})"


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0, guard: bool = False) -> re.Pattern[str]:
    """`re.compile`, deferred to first use (typed as a pattern: it answers the same calls).

    `guard`: compile the pattern behind a look-ahead for the characters a match can start with
    (`first_char_guard`). `re` tries every alternative of `\b(?:never|only|at most|...)` with IGNORECASE at
    each position (no literal prefix to skip to); one character-class test first skips most positions:
    the same matches at about 60% of the time on the corpus. Patterns with no such class are unchanged."""
    return LazyPattern(pattern, flags, guard)  # type: ignore[return-value]


def word_trie(words: list[str]) -> str:
    """An alternation of literal words as pattern text factored on shared prefixes (`do(?:\\ not|n't)?`):
    `re` tries the branches of `one|two|...` one after another at each position, the factored form a
    branch per distinct next character. It matches the same language; whether a match exists is the
    same, but among words of one prefix the order differs: use it where only that counts, not which
    word matched. Built at import on the hook's path: a word's unshared tail is escaped in one piece."""
    return _trie(sorted(set(words)))


def _trie(words: list[str]) -> str:
    """`word_trie` of sorted, distinct words ("" first when there)."""
    empty = words[0] == ""
    rest = words[1:] if empty else words
    branches = []
    i = 0
    while i < len(rest):
        first, j = rest[i][0], i + 1
        while j < len(rest) and rest[j][0] == first:
            j += 1
        if j - i == 1:
            branches.append(re.escape(rest[i]))
        else:
            branches.append(re.escape(first) + _trie([w[1:] for w in rest[i:j]]))
        i = j
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not empty else "(?:" + "|".join(branches) + ")"
    return body + "?" if empty else body


def first_char_guard(pattern: str, flags: int = 0) -> str:
    """`(?=[C])(?:pattern)`, C the characters (as the flags compare them) any match of `pattern` begins
    with, read from its parse; `pattern` itself when a match may be empty or begin with any character,
    or the pattern sets global flags."""
    try:
        from re import _constants, _parser
    except ImportError:
        return pattern
    if re.match(r"\(\?[aiLmsux]+\)", pattern):
        return pattern
    try:
        first = _first_class(list(_parser.parse(pattern, flags)), _constants)
    except Exception:  # a `re` whose parse tree differs: no guard
        return pattern
    return pattern if not first else f"(?=[{first}])(?:{pattern})"


def _first_class(items: list, c: Any) -> str | None:
    """The class (its inside, as pattern text) of the first character the sequence `items` consumes;
    None when it may consume none or any character."""
    categories = {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_SPACE: r"\s", c.CATEGORY_WORD: r"\w"}
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width: the next item consumes the first character
        if op is c.LITERAL:
            return re.escape(chr(av))
        if op is c.IN:
            parts = []
            for inner, value in av:
                if inner is c.LITERAL:
                    parts.append(re.escape(chr(value)))
                elif inner is c.RANGE:
                    parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
                elif inner is c.CATEGORY and value in categories:
                    parts.append(categories[value])
                else:
                    return None  # a negated class, another category
            return "".join(parts)
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, inner = av
            return None if add_flags or del_flags else _first_class(list(inner), c)
        if op is c.BRANCH:
            parts = []
            for branch in av[1]:
                part = _first_class(list(branch), c)
                if part is None:
                    return None
                parts.append(part)
            return "".join(parts)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, inner = av
            return None if low == 0 else _first_class(list(inner), c)
        return None
    return None


class _CodeCache:
    """(pattern, flags) -> the arguments of `_sre.compile`, marshalled (a run unpacks only the patterns
    it uses), read from the cache file on first use and written back (merged with what other runs
    added) when the process exits."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, int], bytes] | None = None
        self.added = 0
        self.path = None

    def load(self) -> dict[tuple[str, int], bytes]:
        import _sre
        import marshal

        self.known = {}
        try:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            name = f"{sys.implementation.cache_tag}-{sys.version.split()[0]}-{_sre.MAGIC}-{_sre.CODESIZE}.marshal"
            self.path = os.path.join(base, "promptopt", "regex", name)
            with open(self.path, "rb") as file:
                known = marshal.loads(file.read())  # ten times marshal.load(file)'s speed
            if isinstance(known, dict) and all(type(v) is bytes for v in known.values()):
                self.known = known
        except Exception:  # none yet, damaged, or an `_sre` without these names: rebuilt as patterns compile
            pass
        return self.known

    def save(self) -> None:
        import marshal

        if not self.added or self.path is None:
            return
        merged = dict(self.known or {})
        try:
            with open(self.path, "rb") as file:
                other = marshal.loads(file.read())
            if isinstance(other, dict) and all(type(v) is bytes for v in other.values()):
                both = {**other, **merged}  # what other runs added since this one read the file, and its own
                if len(both) <= MAX_KEPT:
                    merged = both
        except (OSError, EOFError, ValueError, TypeError):
            pass
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(tmp, "wb") as file:
                marshal.dump(merged, file)
            os.replace(tmp, self.path)
        except (OSError, ValueError):
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.added = 0


_CACHE = _CodeCache()


# a key bit of kept code (beyond re's flags): the code of the pattern behind its first-character guard
_GUARDED = 1 << 20


def compile_kept(pattern: str, flags: int | re.RegexFlag = 0, guard: bool = False) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, from kept code when this Python compiled it before; with `guard`,
    behind `first_char_guard` (parsed only when compiled, not when read from kept code)."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in _KEPT_VERSIONS:
        return re.compile(pattern, flags)  # another `_sre`: nothing to keep, and no cache file read
    import _sre
    import marshal

    flags = int(flags)
    key = (pattern, flags | _GUARDED) if guard else (pattern, flags)
    known = _CACHE.known if _CACHE.known is not None else _CACHE.load()
    kept = known.get(key)
    if kept is not None:
        try:
            return _sre.compile(*marshal.loads(kept))
        except Exception:  # a damaged entry (_sre validates the code): compiled again below
            pass
    arguments = _compile_arguments(first_char_guard(pattern, flags) if guard else pattern, flags)
    if arguments is None:
        return re.compile(pattern, flags)
    compiled = _sre.compile(*arguments)
    if len(known) >= MAX_KEPT:  # patterns built from data filled it: start again, as MAX_KEPT says
        known.clear()
    if not _CACHE.added:
        import atexit

        atexit.register(_CACHE.save)
    known[key] = marshal.dumps(arguments)
    _CACHE.added += 1
    return compiled


def _compile_arguments(pattern: str, flags: int) -> tuple | None:
    """What `re._compiler.compile` passes to `_sre.compile` (Python 3.11 to 3.13 spell it alike); None
    on another `re` or a debug flag (then `re.compile` does it all)."""
    try:
        from re import _compiler, _parser
    except ImportError:
        return None
    if flags & re.DEBUG or not isinstance(pattern, str) or sys.version_info[:2] not in _KEPT_VERSIONS:
        return None
    parsed = _parser.parse(pattern, flags)
    code = [int(op) for op in _compiler._code(parsed, flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return pattern, int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex, tuple(indexgroup)
