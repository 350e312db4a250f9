"""Two placeholders whose names differ by a typo: `{{customer_name}}` and `{{customer_nmae}}`.

One of them is almost certainly a misspelling, and the template renders it empty (or fails) while
the other gets the value. Names within two edits of each other (a transposition counts as one) are
flagged when both are used; pairs that differ only in a number or a short part (`item_1`/`item_2`,
`x_a`/`x_b`), or in a plural `s`, are distinct on purpose and are left alone. When the file says
which names it provides, a pair where both are provided is not a typo.

Bad:

    Dear {{customer_name}}, your order for {{customer_nmae}} has shipped.

Good:

    Dear {{customer_name}}, your order has shipped.
"""

from __future__ import annotations

from collections import Counter

from ..core import Severity
from ._template_vars import defined_names

CODE = "PO703"
NAME = "placeholder-typo"
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS = {"max-distance": 2}


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


def _distinct_on_purpose(a: str, b: str) -> bool:
    la, lb = a.lower(), b.lower()
    if la == lb or la.rstrip("s") == lb.rstrip("s") or la + "es" == lb or lb + "es" == la:
        return True
    if la.rstrip("0123456789") == lb.rstrip("0123456789"):
        return True
    pa, pb = la.replace("-", "_").split("_"), lb.replace("-", "_").split("_")
    if len(pa) == len(pb):
        diff = [(x, y) for x, y in zip(pa, pb, strict=True) if x != y]
        if len(diff) == 1 and (min(len(diff[0][0]), len(diff[0][1])) <= 2 or diff[0][0].isdigit()):
            return True
    return False


def check(doc, ctx):
    limit = int(ctx.options["max-distance"])
    uses = Counter(p.name for p in doc.placeholders if p.name and p.syntax not in ("jinja-block", "jinja-comment"))
    defined = defined_names(doc) or set()
    names = sorted(uses)
    reported: set[str] = set()
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shortest = min(len(a), len(b))
            allowed = limit if shortest >= 8 else min(limit, 1) if shortest >= 4 else 0
            if not allowed or abs(len(a) - len(b)) > allowed or _distinct_on_purpose(a, b):
                continue
            if (a in defined and b in defined) or distance(a, b) > allowed:
                continue
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
