"""Few-shot examples that repeat one another.

Examples with the same input (case and spacing aside), or whose content words overlap almost
entirely (Jaccard at least `threshold` after lemmatising), teach the model nothing the first one
did not. Two examples whose inputs differ count as repeats only when the inputs are also nearly the
same word for word (in order): different problems in one small vocabulary ("not ( True ) is", "True
and False is") share almost every word and are not repeats. An input that is only a slot
(`<YOUR_INPUT>`, `{question}`) matches another only when the whole example does: "Input: <X>" beside
"Input: None" is a second format, not a repeat. Records under a line that announces definitions
("Node schemas:", "Table definitions:") are a schema's entries, not examples: two node types may share
a property list. The fix (unsafe: examples shape behaviour) deletes the
later ones.

Bad:

    Input: an intelligent bot that helps with productivity.
    Output: P.A.L. = Personal Assistant Light.
    Input: an intelligent bot that helps with productivity.
    Output: C.O.R.E. = Central Optimization Routines and Efficiency.

Good: keep one example per distinct input.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from ..core import Applicability, Edit, Severity, Span
from ..lazyre import lazy_compile
from ._common import content_lemmas, normalize
from ._examples import examples, part

CODE = "PO204"
NAME = "duplicate-example"
SEVERITY = Severity.WARNING
DEFAULT = False  # opt-in: 0 of 8 right on prompts nobody tuned for (held out, all rounds)
FIXABLE = "unsafe"
OPTIONS = {"threshold": 0.9}


def check(doc, ctx):
    for group in example_groups(doc, examples(doc), float(ctx.options["threshold"])):
        if len(group) < 2:
            continue
        first = group[0]
        later = group[1:]
        edits = [_delete_example(doc, ex) for ex in later]
        line, _ = doc.line_col(doc.locate(first.span.start))
        yield ctx.report(doc, later[0].span,
                         f"{len(later)} example(s) repeat the example at line {line}: keep one",
                         edits=edits, applicability=Applicability.UNSAFE, fix_scope="examples",
                         fix_title="Remove repeated examples",
                         related=[ex.span for ex in later[1:]])


# an input that is only a slot to fill: `<YOUR_INPUT>`, `{question}`, `{{ text }}`, `[input]`
_PLACEHOLDER = lazy_compile(r"<[^<>\n]{1,60}>|\{\{?\s*[\w.]+\s*\}?\}|\[[^\[\]\n]{1,60}\]")


def example_groups(doc, exs, threshold: float = OPTIONS["threshold"]) -> list[list]:
    """The examples grouped by repetition (same input, or nearly the same words), in order."""
    groups: list[list] = []
    for ex in exs:
        # the input without its record label ("EXAMPLE:", "Input:"): a bare label is no input
        key = normalize(re.sub(r"^\s*[\w ]{1,24}:", "", part(doc, ex, "input")))
        lemmas = content_lemmas(doc.text[ex.span.start : ex.span.end])
        whole = normalize(doc.text[ex.span.start : ex.span.end])
        for group in groups:
            head_key, head_lemmas = group[0][1], group[0][2]
            union = head_lemmas | lemmas
            similar = union and len(head_lemmas & lemmas) / len(union) >= threshold
            if similar and key and head_key and key != head_key:
                # two problems in one small vocabulary ("not ( True ) is", "True and False is") share
                # almost every word: different inputs in a different order are different examples
                similar = SequenceMatcher(None, key.split(), head_key.split(), autojunk=False).ratio() >= threshold
            if key and key == head_key and _PLACEHOLDER.fullmatch(key):
                # the same slot (`<YOUR_INPUT>`) in two format demonstrations: they repeat only when the
                # rest does too ("Input: <X>" beside "Input: None" is a second format)
                if normalize(doc.text[ex.span.start : ex.span.end]) == group[0][3]:
                    group.append((ex, key, lemmas, whole))
                    break
                continue
            if (key and key == head_key) or similar:
                group.append((ex, key, lemmas, whole))
                break
        else:
            groups.append([(ex, key, lemmas, whole)])
    return [[g[0] for g in group] for group in groups]


def _delete_example(doc, ex) -> Edit:
    """Delete an example's lines; with blank-line-separated examples, one separating blank line too."""
    text = doc.text
    start = text.rfind("\n", 0, ex.span.start) + 1
    end = ex.span.end
    if end < len(text) and text[end] == "\n":
        end += 1
    blank_before = start == 0 or text[max(0, start - 2) : start] == "\n\n"
    if blank_before and text[end : end + 1] == "\n":
        end += 1
    return Edit(Span(start, end), "")
