"""The same instruction repeated once per item, differing in a single word.

"Write the IDEAS bullets as exactly 16 words." then the same sentence for RECOMMENDATIONS, HABITS,
FACTS and INSIGHTS: five sentences where one would do. The fix (unsafe: review it) merges them
into one sentence that lists the items, at the place of the first.

Only runs of at least `min-repeats` sentences of five to forty words that differ in exactly one
word position count, each the whole of its bullet or line (a sentence inside a longer bullet shares
it with text that differs), and not when the differing words are labels (`Novelty:`, `Rigor:`: the
fields of an output template). Few-shot examples, code and other data are never compared; a line keyed by
a program's field name (`user_question: what is the average of ...?`) is a sample record, not an instruction.

Bad:

    - Write the IDEAS bullets as exactly 16 words.
    - Write the FACTS bullets as exactly 16 words.
    - Write the HABITS bullets as exactly 16 words.

Good:

    - Write the IDEAS, FACTS and HABITS bullets as exactly 16 words.
"""

from __future__ import annotations

from collections import defaultdict

from ..core import Applicability, Edit, Severity, Span
from ..document import sentences
from ..lazyre import lazy_compile
from ._common import delete_unit, whole_unit

CODE = "PO103"
NAME = "parallel-instructions"
SEVERITY = Severity.WARNING
FIXABLE = "unsafe"
OPTIONS = {"min-repeats": 3}
DEFAULT = False  # opt-in: 0 of 8 right on prompts nobody tuned for (held-out sets, docs/precision.md)
_TOKEN = lazy_compile(r"\S+")


def check(doc, ctx):
    # only sentences of the same length can differ in exactly one word: group by length first
    by_length: dict[int, list] = defaultdict(list)
    for span, holder in sentences(doc):
        words = doc.text[span.start : span.end].split()
        if not whole_unit(doc, span, holder):
            continue  # one sentence of a longer bullet: the rest of each bullet says something else
        if 5 <= len(words) <= 40:  # parallel instructions are short; long sentences would only cost time
            by_length[len(words)].append((span, holder))
    groups: dict[tuple, list] = defaultdict(list)
    for same_length in by_length.values():
        if len(same_length) < int(ctx.options["min-repeats"]):
            continue
        for span, holder in same_length:
            _add_slot_keys(doc, span, holder, groups)
    used: set[int] = set()
    for _key, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        members = [m for m in members if m[0].start not in used]
        variants = {m[2][m[3]][0] for m in members}
        if len(members) < int(ctx.options["min-repeats"]) or len(variants) < len(members):
            continue
        if all(v.endswith(":") for v in variants):
            continue  # "- Novelty: 1-10 rating", "- Rigor: 1-10 rating": labelled fields of a template
        used.update(m[0].start for m in members)
        first_span, _, tokens, slot = members[0]
        items = [m[2][m[3]][0] for m in members]
        listed = ", ".join(items[:-1]) + " and " + items[-1]
        word_start, word_end = tokens[slot][1], tokens[slot][2]
        edits = [Edit(Span(word_start, word_end), listed)]
        for span, holder, _, _ in members[1:]:
            edits.extend(delete_unit(doc, span, holder))
        yield ctx.report(
            doc, first_span,
            f"{len(members)} instructions differ only in one word ({', '.join(items)}): merge them into one",
            edits=edits, applicability=Applicability.UNSAFE, fix_title="Merge into one instruction",
            related=[m[0] for m in members[1:]],
        )


def _add_slot_keys(doc, span, holder, groups: dict[tuple, list]) -> None:
    """Key the sentence once per word position, with that word blanked out."""
    tokens = [(m.group(0), m.start() + span.start, m.end() + span.start)
              for m in _TOKEN.finditer(doc.text[span.start : span.end])]
    lowered = tuple(t[0].lower() for t in tokens)
    for slot in range(len(tokens)):
        key = lowered[:slot] + ("\0",) + lowered[slot + 1 :]
        groups[key].append((span, holder, tokens, slot))
