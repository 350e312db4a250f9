"""A few-shot example whose answer breaks the output format the instructions declare.

If the prompt asks for JSON, an example answering in prose teaches prose; if it asks for one word,
an example answering with a sentence teaches sentences. Models copy examples more than they obey
instructions, so a stale example costs tokens and quality.

Bad:

    Respond in JSON with the keys "name" and "age".
    Input: Ann is 31.
    Output: Her name is Ann and she is 31.
    Input: Bob is 45.
    Output: {"name": "Bob", "age": 45}

Good:

    Respond in JSON with the keys "name" and "age".
    Input: Ann is 31.
    Output: {"name": "Ann", "age": 31}
    Input: Bob is 45.
    Output: {"name": "Bob", "age": 45}
Opt-in (off by default): on prompt files from packages the rules were never tuned on, readers judged
none of its findings right (docs/precision.md, the held-out protocol); `extend-select` turns it on.
"""

from __future__ import annotations

from ..core import Severity
from ._examples import examples, parses_as_json, part, wants_json, wants_one_word

CODE = "PO203"
NAME = "example-breaks-format"
DEFAULT = False  # opt-in: 0 of 12 right on prompts nobody tuned for (docs/precision.md)
SEVERITY = Severity.WARNING
KIND = "risk"  # an example that contradicts the format: a defect, not a token saving


def check(doc, ctx):
    exs = examples(doc)
    if not exs:
        return
    json_spec = wants_json(doc)
    one_word = wants_one_word(doc)
    for ex in exs:
        output = part(doc, ex, "output")
        if json_spec and output and not parses_as_json(output):
            yield ctx.report(doc, ex.parts["output"], "the instructions ask for JSON but this example answers "
                             "with something that is not valid JSON", tokens_saved=0)
        elif one_word and len(output.strip(" .\"'").split()) > 1:
            yield ctx.report(doc, ex.parts["output"], "the instructions ask for one word but this example answers "
                             f"with {len(output.split())} words", tokens_saved=0)
