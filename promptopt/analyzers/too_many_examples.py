"""More few-shot examples than the task needs.

Past a handful, extra examples rarely change a model's answers but are paid on every request.
Flags prompts whose distinct examples (repeats of one example count once: PO204 names those) exceed
`max-examples` by a quarter or more, at least two, or that hold more than twice `max-examples` in all:
nine distinct examples against a limit of eight is a design choice, not waste worth an edit, and so
are examples balanced over the levels of a scale (two per score level for five levels, named in each
example's heading or answer: "Score 4 - Example B", `"score": 4`), up to twice `max-examples`:
pruning to the limit would leave the levels uneven. Tokens
saved counts what pruning to `max-examples` would remove. The fix (unsafe: re-run your eval) keeps a
diverse subset that still covers every distinct answer (label) the examples show: first one example
per label, then the examples whose words differ most from those kept.

Bad (skprompt.txt):

    Generate a catchy acronym for the project description.
    # a mobile app that reminds people to drink water.
    H.Y.D.R.A. = Helping You Drink Regularly All day.
    # a bot that books meeting rooms.
    R.O.O.M. = Reservations Of Office Meetings.
    # a tool that tracks garden watering.
    G.R.O.W. = Garden Records Of Watering.
    # a service that plans school runs.
    R.U.N. = Routes Up North.
    # a library that parses invoices.
    P.A.I.D. = Parsing All Invoice Documents.
    # a dashboard for energy use at home.
    W.A.T.T. = Watching All The Totals.
    # a chatbot that answers tax questions.
    T.A.X. = Tax Answers eXpress.
    # a planner for weekly meals.
    M.E.N.U. = Meals Easily Noted Upfront.
    # a game that teaches typing.
    K.E.Y.S. = Keyboard Exercises You Solve.
    # an app that splits restaurant bills.
    S.P.L.I.T. = Sharing Payments Lets Individuals Tally.
    # a tracker for houseplant care.
    L.E.A.F. = Logging Every Airing and Feeding.
    # {{$INPUT}}

Good: 8 examples, each a different kind of input.
"""

from __future__ import annotations

import re

from ..core import Applicability, Severity
from ..document import document_model
from ..lazyre import lazy_compile
from ._common import content_lemmas
from ._examples import examples, part
from .duplicate_example import _delete_example, example_groups

CODE = "PO205"
NAME = "too-many-examples"
SEVERITY = Severity.WARNING
DEFAULT = False  # opt-in: 2 of 7 right on prompts nobody tuned for (held out, all rounds)
FIXABLE = "unsafe"
OPTIONS = {"max-examples": 8}


def check(doc, ctx):
    exs = examples(doc)
    limit = int(ctx.options["max-examples"])
    if len(exs) <= limit:
        return
    distinct = len(example_groups(doc, exs))
    if distinct - limit < max(2, -(-limit // 4)) and len(exs) <= 2 * limit:
        return  # a few distinct examples past the limit: the author's design, not waste worth an edit
    if len(exs) <= 2 * limit and _balanced_per_level(doc, exs):
        return  # two examples for each of five score levels: pruning to the limit breaks the balance
    keep = diverse_subset(doc, exs, limit)
    drop = [ex for i, ex in enumerate(exs) if i not in keep]
    edits = [_delete_example(doc, ex) for ex in drop]
    yield ctx.report(doc, exs[limit].span,
                     f"{len(exs)} few-shot examples (more than {limit}): prune to a diverse {limit}",
                     edits=edits, applicability=Applicability.UNSAFE, fix_scope="examples",
                     fix_title=f"Keep {limit} diverse examples covering every label",
                     related=[exs[0].span])


# the level an example shows, named in its heading ("Score 4 - Example B") or its answer ("score": 4)
_LEVEL = lazy_compile(r"\b(score|level|rating|grade|label|class|category)\b[\"']?\s*[:=-]?\s*[\"']?([\w-]+)", re.I)


def _balanced_per_level(doc, exs) -> bool:
    """Do the examples show every level of a scale the same number of times, at least twice each, over
    at least three levels? Then their number is a design (k per level), not waste."""
    model = document_model(doc)
    counts: dict[str, int] = {}
    for ex in exs:
        headings = model.headings_above(ex.span.start)
        m = _LEVEL.search(headings[-1][1]) if headings else None
        m = m or _LEVEL.search(part(doc, ex, "output"))
        if not m:
            return False
        level = m.group(2).lower()
        counts[level] = counts.get(level, 0) + 1
    return len(counts) >= 3 and len(set(counts.values())) == 1 and min(counts.values()) >= 2


def diverse_subset(doc, exs, limit: int) -> set[int]:
    """Indexes to keep: one per distinct short output (label) first, then farthest-first by words."""
    keep: list[int] = []
    seen_labels: set[str] = set()
    for i, ex in enumerate(exs):
        label = part(doc, ex, "output").lower()
        if len(label.split()) <= 3 and label not in seen_labels and len(keep) < limit:
            seen_labels.add(label)
            keep.append(i)
    words = [content_lemmas(doc.text[ex.span.start : ex.span.end]) for ex in exs]
    if not keep:
        keep.append(0)
    while len(keep) < limit:
        def distance(i: int) -> float:
            return min(1 - len(words[i] & words[k]) / max(1, len(words[i] | words[k])) for k in keep)

        candidates = [i for i in range(len(exs)) if i not in keep]
        keep.append(max(candidates, key=lambda i: (distance(i), -i)))
    return set(keep)
