"""Cheap gates: which rules can fire on a prompt at all, decided from literal strings in its text.

Most rules report only where one of their patterns matches, and most prompts hold none of the words
those patterns need ("disregard", "<<<<<<<", "as follows"). A rule declares that (`GATE =
requires(_PAYLOAD)` in its module: "every finding of mine is at a match of `_PAYLOAD` in a part of the
prompt's text"); the engine asks the gate before running the rule and skips it when the prompt lacks the
strings every match would contain. As ruff does with its rules' required tokens, and as a trigram index
(RE2's prefilter) reads a pattern's required literals from its parse.

What a match needs is read from the pattern's parse (`re._parser`), not written by hand: a formula over
literal strings (AND of ORs), which holds for every string the pattern matches. Strings are tested, as
`needle in text`, against the prompt's text folded (`folded`): lowercased, and the four letters beyond
ASCII that `re`'s IGNORECASE matches to ASCII letters (U+0130 İ, U+0131 ı, U+017F ſ, U+212A K, checked
over every code point by a test) mapped to those letters, so one folded text serves case-sensitive and
IGNORECASE patterns alike. A string keeps only characters no other character folds to (ASCII, and
characters with no case at all such as CJK ideographs, punctuation and digits); anything else counts as
"any character", which only makes the gate pass more often. A gate can only be wrong in one direction:
running a rule that finds nothing.

A rule that scans a copy of the text with parts blanked to spaces (`instruction_text`) passes
`blanked=True`: a space in a match may have been something else, so spaces are not required.
"""

from __future__ import annotations

import bisect
from typing import Any

# (op, parts): ("and"|"or", tuple of formulas) or ("lit", str); None: nothing required (always true)
Formula = Any

_MAX_EXACT = 64
# Parsing a rule's patterns costs about half a millisecond: a run whose prompts are all shorter than this
# (a pre-commit hook on two small files) never pays for it; once parsed, every prompt is gated
DERIVE_MIN_CHARS = 2000  # strings in a set of exact alternatives before it is cut into a requirement
_FOLD_SPECIAL = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_SPECIAL_CHARS = tuple(map(chr, _FOLD_SPECIAL))


def folded(text: str) -> str:
    """`text` lowercased, character for character, with the letters `re` folds to ASCII ones mapped to them."""
    if not text.isascii() and any(ch in text for ch in _SPECIAL_CHARS):  # translate is slow: only when needed
        text = text.translate(_FOLD_SPECIAL)
    return text.lower()


def _foldable(ch: str) -> bool:
    """Can `ch` stand in a required string as itself (lowercased)? An ASCII character, or one that no
    case mapping turns into another (`re` with IGNORECASE matches it alone)."""
    if ch.isascii():
        return True
    return ch.lower() == ch == ch.upper() and ch.casefold() == ch and not ch.isalpha() or _uncased_letter(ch)


def _uncased_letter(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) == "Lo" and ch.lower() == ch == ch.upper() == ch.casefold()


class _Info:
    """What a piece of pattern matches: `exact` (the set of strings it can match, folded) when small and
    known, else None; `need`: a formula every match satisfies (besides `exact`)."""

    __slots__ = ("exact", "need")

    def __init__(self, exact: frozenset[str] | None, need: Formula = None) -> None:
        self.exact, self.need = exact, need

    def formula(self) -> Formula:
        return _and(self.need, _any_string(self.exact))


ANY = _Info(None)
EMPTY = _Info(frozenset({""}))


def _any_string(strings: frozenset[str] | None) -> Formula:
    if strings is None or "" in strings:
        return None
    # "ab" or "abc": "ab" alone decides (a text holding "abc" holds "ab")
    kept = [s for s in strings if not any(o != s and o in s for o in strings)]
    return _or(*(("lit", s) for s in sorted(kept)))


def _and(*parts: Formula) -> Formula:
    flat: list = []
    for p in parts:
        if p is None:
            continue
        if p[0] == "and":
            flat.extend(p[1])
        elif p not in flat:
            flat.append(p)
    return None if not flat else flat[0] if len(flat) == 1 else ("and", tuple(flat))


def _or(*parts: Formula) -> Formula:
    flat: list = []
    for p in parts:
        if p is None:
            return None  # one branch needs nothing: the whole needs nothing
        if p[0] == "or":
            flat.extend(p[1])
        elif p not in flat:
            flat.append(p)
    return None if not flat else flat[0] if len(flat) == 1 else ("or", tuple(flat))


def pattern_formula(pattern: str, flags: int = 0, blanked: bool = False) -> Formula:
    """A formula over folded literal strings that every match of `pattern` satisfies (None: nothing known)."""
    try:
        from re import _constants, _parser
    except ImportError:
        return None
    try:
        parsed = _parser.parse(pattern, flags)
        return _sequence(list(parsed), _constants, blanked).formula()
    except Exception:  # a `re` whose parse tree differs: nothing known, the rule always runs
        return None


def pattern_prefixes(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Folded strings one of which begins every match of `pattern` (None: not known, or a match may
    begin with anything). Only the shortest are kept: a match that begins with "ignore" begins with "ig"."""
    try:
        from re import _constants, _parser
    except ImportError:
        return None
    try:
        found = _prefixes(list(_parser.parse(pattern, flags)), _constants)
    except Exception:  # a `re` whose parse tree differs
        return None
    if found is None or "" in found:
        return None
    return frozenset(s for s in found if not any(o != s and s.startswith(o) for o in found))


def _prefixes(items: list, c: Any) -> frozenset[str] | None:
    acc = frozenset({""})
    for op, av in items:
        info = _item(op, av, c, False)
        if info.exact is not None and info.need is None and len(acc) * len(info.exact) <= _MAX_EXACT:
            acc = frozenset(a + b for a in acc for b in info.exact)
            continue
        inner: frozenset[str] | None = None
        if op is c.SUBPATTERN:
            inner = _prefixes(list(av[-1]), c)
        elif op is c.BRANCH:
            branches = [_prefixes(list(b), c) for b in av[1]]
            if all(b is not None for b in branches):
                inner = frozenset().union(*branches)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            inner = _prefixes(list(av[2]), c)
        if inner is None or len(acc) * len(inner) > _MAX_EXACT:
            return acc  # what the run so far begins with
        return frozenset(a + b for a in acc for b in inner)
    return acc


def _char(code: int, blanked: bool) -> str | None:
    ch = chr(code)
    if blanked and ch == " ":
        return None
    return ch.lower() if ch.isascii() else ch if _foldable(ch) else None


def _class(items: list, c: Any, blanked: bool) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            ch = _char(av, blanked)
            if ch is None:
                return None
            chars.add(ch)
        elif op is c.RANGE and av[1] - av[0] < 16:
            for code in range(av[0], av[1] + 1):
                ch = _char(code, blanked)
                if ch is None:
                    return None
                chars.add(ch)
        else:  # a negated class, a category, a wide range: any character
            return None
    return frozenset(chars)


def _sequence(items: list, c: Any, blanked: bool) -> _Info:
    exact: frozenset[str] | None = frozenset({""})  # the strings of the run of exact pieces so far
    needs: list = []
    whole_exact = True
    for op, av in items:
        info = _item(op, av, c, blanked)
        if info.exact is not None and exact is not None and len(exact) * len(info.exact) <= _MAX_EXACT:
            exact = frozenset(a + b for a in exact for b in info.exact)
            needs.append(info.need)
            continue
        whole_exact = False
        needs.append(_any_string(exact))
        needs.append(info.need)
        exact = info.exact if info.exact is not None else frozenset({""})
    if whole_exact:
        return _Info(exact, _and(*needs))
    return _Info(None, _and(*needs, _any_string(exact)))


def _item(op: Any, av: Any, c: Any, blanked: bool) -> _Info:
    if op is c.LITERAL:
        ch = _char(av, blanked)
        return ANY if ch is None else _Info(frozenset({ch}))
    if op is c.IN:
        chars = _class(list(av), c, blanked)
        return ANY if chars is None else _Info(chars)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return EMPTY  # zero width: what a look-around requires is not counted on
    if op is c.SUBPATTERN:
        return _sequence(list(av[-1]), c, blanked)
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _sequence(list(av), c, blanked)
    if op is c.BRANCH:
        branches = [_sequence(list(b), c, blanked) for b in av[1]]
        if all(b.exact is not None and b.need is None for b in branches):
            union = frozenset().union(*(b.exact for b in branches))
            if len(union) <= _MAX_EXACT:
                return _Info(union)
        return _Info(None, _or(*(b.formula() for b in branches)))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, inner = av
        info = _sequence(list(inner), c, blanked)
        if low == 0:
            # `x?`: x or nothing; `x*`: any number of copies, an unknown stretch
            optional = high == 1 and info.exact is not None and info.need is None
            return _Info(info.exact | {""}) if optional else ANY
        if low == high == 1:
            return info
        copies = _power(info.exact, low) if info.need is None else None
        if copies is not None and low == high:
            return _Info(copies)  # `<{7}`: exactly seven copies
        # `low` copies or more: the first `low` run together; else each holds what one copy needs
        return _Info(None, _any_string(copies) if copies is not None else info.formula())
    return ANY  # any character, a category, a back-reference, a conditional group


def _power(strings: frozenset[str] | None, times: int) -> frozenset[str] | None:
    """Every string of `times` copies, one after another (None when unknown or too many)."""
    if strings is None or len(strings) ** min(times, 8) > _MAX_EXACT or times > 64:
        return None
    out = frozenset({""})
    for _ in range(times):
        out = frozenset(a + b for a in out for b in strings)
    return out


class Gate:
    """May a rule fire on a prompt? True unless the prompt's folded text lacks what the rule needs.
    Built from formulas (`requires`, `any_of`, `literal`); patterns are parsed once, when first asked,
    and the formula becomes one Python expression of `in` tests."""

    def __init__(self, items: tuple, blanked: bool = False) -> None:
        self.items, self.blanked = items, blanked
        self._test = None

    @property
    def formula(self) -> Formula:
        return _and(*(_formula_of(i, self.blanked) for i in self.items))

    def allows(self, doc) -> bool:
        if self._test is None:
            if len(doc.text) < DERIVE_MIN_CHARS:
                return True  # not worth parsing the patterns for (yet): the rule runs, as without a gate
            self._test = _compiled(self.formula)
        return self._test(folded_text(doc))


def _compiled(formula: Formula):
    if formula is None:
        return lambda text: True
    return eval(f"lambda text: {_expression(formula)}")  # noqa: S307 - built from repr() of strings only


def _expression(formula: Formula) -> str:
    """The formula as Python. Each `in` test that fails reads the whole text; one that succeeds stops
    where its string is found: an AND tests first the part with the fewest strings (the longest
    string first), which most often fails at once; an OR the shortest strings first, found soonest."""
    op, parts = formula
    if op == "lit":
        return f"{parts!r} in text"
    if op == "and":
        parts = sorted(parts, key=lambda p: (_size(p), -_longest(p)))
    else:
        parts = sorted(parts, key=lambda p: (_longest(p), _size(p)))
    joined = f" {op} ".join(_expression(p) for p in parts)
    return f"({joined})"


def _size(formula: Formula) -> int:
    """How many strings the formula tests when every one is absent."""
    return 1 if formula[0] == "lit" else sum(_size(p) for p in formula[1])


def _longest(formula: Formula) -> int:
    return len(formula[1]) if formula[0] == "lit" else max(_longest(p) for p in formula[1])


def _new_dict(doc) -> dict:
    return {}


def folded_text(doc) -> str:
    """The prompt's text folded (`folded`), once per document; as long as the text, offset for offset."""
    return doc.memo("folded-text", _fold_doc)


def _fold_doc(doc) -> str:
    return folded(doc.text)


class _Literal:
    def __init__(self, text: str) -> None:
        if not all(_foldable(ch) for ch in text):
            raise ValueError(f"{text!r}: a required string holds only characters no case mapping changes")
        self.text = text.lower()


def literal(text: str) -> _Literal:
    """A string every finding needs in the prompt's text (as written, case aside)."""
    return _Literal(text)


def _formula_of(item, blanked: bool) -> Formula:
    if isinstance(item, _Literal):
        return ("lit", item.text) if item.text else None
    if isinstance(item, tuple) and item and item[0] == "any":
        return _or(*(_formula_of(i, blanked) for i in item[1]))
    pattern, flags = item.pattern, getattr(item, "_flags", None)
    if flags is None:
        flags = item.flags
    return pattern_formula(pattern, int(flags), blanked)


def any_of(*items) -> tuple:
    """One of these (patterns or literals) is needed."""
    return ("any", items)


def requires(*items, blanked: bool = False) -> Gate:
    """A gate for a rule that reports only where each item (a pattern, compiled or `lazy_compile`d; a
    `literal`; an `any_of`) matches somewhere in the prompt's text, or in a part of it (a sentence, a
    line). `blanked`: the rule matches a copy of the text with parts replaced by spaces."""
    return Gate(items, blanked)


# each prefix is one `str.find` pass over the text (about 0.5 ns a character here); past this many, the
# pattern's own scan (10-30 ns a character for the rules' word lists) costs less
MAX_PREFIXES = 24
_PREFIXES: dict[tuple[str, int], tuple[str, ...] | None] = {}


def _prefixes_of(pattern, size: int = DERIVE_MIN_CHARS) -> tuple[str, ...] | None:
    flags = getattr(pattern, "_flags", None)
    key = (pattern.pattern, int(pattern.flags if flags is None else flags))
    if key not in _PREFIXES:
        if size < DERIVE_MIN_CHARS:
            return None  # a short text: scanned as it is, the pattern is not parsed for it
        found = pattern_prefixes(*key)
        _PREFIXES[key] = tuple(sorted(found)) if found else None
    return _PREFIXES[key]


def starts(pattern, text: str, lowered: str | None = None, most: int | None = None) -> list[int] | None:
    """The positions of `text` where a match of `pattern` may begin (a superset, ascending), from its
    prefixes found in the folded text (`lowered`: `folded(text)`, when the caller has it); None when the
    pattern has none, or more than `most` are found (default: one per 16 characters, where trying the
    pattern at each costs more than a plain scan)."""
    prefixes = _prefixes_of(pattern, len(text))
    if prefixes is None or len(prefixes) > MAX_PREFIXES:
        return None
    low = folded(text) if lowered is None else lowered
    most = len(text) // 16 + 8 if most is None else most
    found: list[int] = []
    for prefix in prefixes:
        pos = low.find(prefix)
        while pos != -1:
            found.append(pos)
            if len(found) > most:
                return None
            pos = low.find(prefix, pos + 1)
    found.sort()
    return found


def finditer(pattern, text: str, lowered: str | None = None):
    """`pattern.finditer(text)`, the same matches in the same order, trying the pattern only where one of
    its prefixes stands (`starts`): a position where none begins cannot begin a match, and `match(text,
    pos)` reads what precedes `pos` (`\\b`, a look-behind, `^` under MULTILINE) as a search there does.
    For patterns that cannot match the empty string (a pattern with prefixes cannot)."""
    candidates = starts(pattern, text, lowered)
    if candidates is None:
        yield from pattern.finditer(text)
        return
    match, end = pattern.match, 0
    for pos in candidates:
        if pos < end:
            continue  # inside the last match: finditer goes on from its end
        m = match(text, pos)
        if m is not None:
            end = m.end()
            yield m


def doc_starts(pattern, doc) -> list[int] | None:
    """`starts` of `pattern` in the prompt's whole text, once per document and pattern."""
    known = doc.memo("pattern-starts", _new_dict)
    key = id(pattern)  # the rules' module-level patterns live as long as the run
    if key not in known:
        known[key] = starts(pattern, doc.text, folded_text(doc))
    return known[key]


def may_match(pattern, doc, span) -> bool:
    """False when no match of `pattern` can lie in `doc.text[span.start:span.end]` (no prefix begins
    there); True says only that one may."""
    candidates = doc_starts(pattern, doc)
    if candidates is None:
        return True
    i = bisect.bisect_left(candidates, span.start)
    return i < len(candidates) and candidates[i] < span.end


def finditer_within(pattern, doc, span, text: str):
    """`pattern.finditer(text)` for `text` = `doc.text[span.start:span.end]` (a sentence), trying the
    pattern only where the document's prefixes of it stand in the span."""
    candidates = doc_starts(pattern, doc)
    if candidates is None:
        yield from pattern.finditer(text)
        return
    match, end, base = pattern.match, 0, span.start
    for i in range(bisect.bisect_left(candidates, base), bisect.bisect_left(candidates, span.end)):
        pos = candidates[i] - base
        if pos < end:
            continue
        m = match(text, pos)
        if m is not None:
            end = m.end()
            yield m
