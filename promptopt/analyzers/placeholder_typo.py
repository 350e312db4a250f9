"""Two placeholders whose names differ by a typo: `{{customer_name}}` and `{{customer_nmae}}`.

One of them is almost certainly a misspelling, and the template renders it empty (or fails) while
the other gets the value. Names within two edits of each other (a transposition counts as one) are
flagged when both are used; pairs that differ only in a number or a short part (`item_1`/`item_2`,
`x_a`/`x_b`), or in a plural `s`, are distinct on purpose and are left alone. When the file says
which names it provides, a pair where both are provided is not a typo. Names that differ by a negating
prefix (`relevant_facts`/`irrelevant_facts`, `verified`/`unverified`; ir-, un-, in-, non-, dis-, im-,
il-) name opposites, and two names each used more than once are both intended: a typo is made once.

Only names that can be that close are compared (they share a string left after deleting as many
characters from each as the distance allows), so thousands of placeholders take linear time; names
over 64 characters are not compared, nor more than 20,000 pairs in one prompt (thousands of names
each an edit away from the others are generated, not typed).

Bad:

    Dear {{customer_name}}, your order for {{customer_nmae}} has shipped.

Good:

    Dear {{customer_name}}, your order has shipped.
Opt-in (off by default): on prompt files from packages the rules were never tuned on, readers judged
none of its findings right (docs/precision.md, the held-out protocol); `extend-select` turns it on.
"""

from __future__ import annotations

from collections import Counter

from ..core import Severity
from ._template_vars import defined_names

CODE = "PO703"
NAME = "placeholder-typo"
DEFAULT = False  # opt-in: 0 of 14 right on prompts nobody tuned for (docs/precision.md)
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS = {"max-distance": 2}
MAX_NAME = 64  # a name's deletion neighbourhood grows with its length squared
MAX_PAIRS = 20_000  # pairs compared in one prompt, at most (well under a second)


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


_NEGATING = ("non_", "non-", "non", "dis", "un", "ir", "in", "im", "il")


def _negates(x: str, y: str) -> bool:
    """Is one word the other with a negating prefix (`irrelevant`, `unverified`)?"""
    short, long = sorted((x, y), key=len)
    return any(long == prefix + short for prefix in _NEGATING)


def _distinct_on_purpose(a: str, b: str) -> bool:
    la, lb = a.lower(), b.lower()
    if _negates(la, lb):
        return True
    if la == lb or la.rstrip("s") == lb.rstrip("s") or la + "es" == lb or lb + "es" == la:
        return True
    if _stem(a) == _stem(b):
        return True
    pa, pb = la.replace("-", "_").split("_"), lb.replace("-", "_").split("_")
    if len(pa) == len(pb):
        diff = [(x, y) for x, y in zip(pa, pb, strict=True) if x != y]
        if len(diff) == 1 and (min(len(diff[0][0]), len(diff[0][1])) <= 2 or diff[0][0].isdigit()
                               or _negates(*diff[0])):
            return True
    return False


def allowed_distance(shortest: int, limit: int) -> int:
    """Edits allowed between two names whose shorter one has `shortest` characters."""
    return limit if shortest >= 8 else min(limit, 1) if shortest >= 4 else 0


def _deletions(name: str, radius: int) -> set[str]:
    """`name` and every string left after deleting up to `radius` of its characters."""
    if radius > 2:  # a wider max-distance (an option): the general, slower neighbourhood
        keys = frontier = {name}
        for _ in range(radius):
            frontier = {word[:i] + word[i + 1 :] for word in frontier for i in range(len(word))}
            keys = keys | frontier
        return keys
    keys = {name}
    for i in range(len(name)):
        once = name[:i] + name[i + 1 :]
        keys.add(once)
        if radius == 2:
            keys.update(once[:j] + once[j + 1 :] for j in range(i, len(once)))
    return keys


def candidate_pairs(names: list[str], limit: int) -> list[tuple[str, str]]:
    """The pairs of `names` (sorted) that may be within their allowed distance, in the order of a
    nested loop over `names`. Names within k edits (a substitution, an insertion or a transposition
    each) leave a common string after deleting at most k characters from each, so only names sharing
    such a string are paired: buckets, not every pair of thousands of names."""
    order = {name: i for i, name in enumerate(names)}
    buckets: dict[str, list[str]] = {}
    for name in names:
        radius = allowed_distance(len(name), limit)  # the most any pair with this name allows
        if radius and len(name) <= MAX_NAME:
            for key in _deletions(name, radius):
                buckets.setdefault(key, []).append(name)
    pairs: set[tuple[str, str]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        # names that differ only in a trailing number (`item_1`, `item_12`) are distinct on purpose
        by_stem: dict[str, list[str]] = {}
        for name in members:
            by_stem.setdefault(_stem(name), []).append(name)
        groups = list(by_stem.values())
        for i, group in enumerate(groups):
            for other in groups[i + 1 :]:
                for a in group:
                    for b in other:
                        pairs.add((a, b) if order[a] < order[b] else (b, a))
                    if len(pairs) >= MAX_PAIRS:  # thousands of names each an edit from the others: generated
                        return sorted(pairs, key=lambda pair: (order[pair[0]], order[pair[1]]))
    return sorted(pairs, key=lambda pair: (order[pair[0]], order[pair[1]]))


def _stem(name: str) -> str:
    return name.lower().rstrip("0123456789")


def check(doc, ctx):
    limit = int(ctx.options["max-distance"])
    uses = Counter(p.name for p in doc.placeholders if p.name and p.syntax not in ("jinja-block", "jinja-comment"))
    defined = defined_names(doc) or set()
    names = sorted(uses)
    reported: set[str] = set()
    for a, b in candidate_pairs(names, limit):
        allowed = allowed_distance(min(len(a), len(b)), limit)
        if not allowed or abs(len(a) - len(b)) > allowed or _distinct_on_purpose(a, b):
            continue
        if (a in defined and b in defined) or (uses[a] > 1 and uses[b] > 1) or distance(a, b) > allowed:
            continue  # both provided, or both used again and again: two intended names
        # the suspect: the undefined one, else the rarer one, else the later one
        if defined and (a in defined) != (b in defined):
            suspect, twin = (b, a) if a in defined else (a, b)
        else:
            suspect, twin = (a, b) if uses[a] < uses[b] else (b, a)
        if suspect in reported:
            continue
        reported.add(suspect)
        where = next(p for p in doc.placeholders if p.name == suspect)
        yield ctx.report(doc, where.span, f"placeholder '{suspect}' looks like a typo of '{twin}'",
                         tokens_saved=0)
