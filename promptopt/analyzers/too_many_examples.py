"""More few-shot examples than the task needs.

Past a handful, extra examples rarely change a model's answers but are paid on every request.
Flags prompts with more than `max-examples` examples; tokens saved counts what pruning to that many
would remove. The fix (unsafe: re-run your eval) keeps a diverse subset that still covers every
distinct answer (label) the examples show: first one example per label, then the examples whose
words differ most from those kept.

Bad: 26 acronym examples, ten of them for the same description.

Good: 8 examples, each a different kind of input.
"""

from __future__ import annotations

from ..core import Applicability, Severity
from ._common import content_lemmas
from ._examples import examples, part
from .duplicate_example import _delete_example

CODE = "PO205"
NAME = "too-many-examples"
SEVERITY = Severity.WARNING
FIXABLE = "unsafe"
OPTIONS = {"max-examples": 8}


def check(doc, ctx):
    exs = examples(doc)
    limit = int(ctx.options["max-examples"])
    if len(exs) <= limit:
        return
    keep = diverse_subset(doc, exs, limit)
    drop = [ex for i, ex in enumerate(exs) if i not in keep]
    edits = [_delete_example(doc, ex) for ex in drop]
    yield ctx.report(doc, exs[limit].span,
                     f"{len(exs)} few-shot examples (more than {limit}): prune to a diverse {limit}",
                     edits=edits, applicability=Applicability.UNSAFE, fix_scope="examples",
                     fix_title=f"Keep {limit} diverse examples covering every label",
                     related=[exs[0].span])


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
