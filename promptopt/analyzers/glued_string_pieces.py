"""Two pieces of a prompt glued together with no space or line break, where code builds the prompt
from several string literals: `"Avoid stopwords." "Example:"` reaches the model as
"Avoid stopwords.Example:".

Python joins adjacent string literals with nothing between them, and a forgotten `\\n` or trailing
space is invisible in the source, where each piece sits on its own line. The model sees words run
together, a label glued to the sentence before it ("mother.Triplets:"), a separator stuck to a
sentence: few-shot structure it cannot parse and instructions it may misread. Read: the points where
two adjacent literals of a Python prompt meet with a sentence end or a word on one side and a word, a
placeholder or a separator on the other. F-string pieces count too (`f"...page." f"Just return..."`,
in a function that returns the prompt); where an f-string piece starts or ends with a field (`{name}`),
or a plain piece among f-strings with a format field, the join is not read: the field's value may
bring its own space. It has no fix: whether the join lost a line break
or a space is the author's call, made in the source.

Bad (prompts.py):

    KG_TEMPLATE = (
        "Extract triplets from the text."
        "Example:"
        "Text: Alice is Bob's mother."
    )

Good:

    KG_TEMPLATE = (
        "Extract triplets from the text.\\n"
        "Example:\\n"
        "Text: Alice is Bob's mother."
    )
"""

from __future__ import annotations

from ..core import Severity, Span

CODE = "PO906"
NAME = "glued-string-pieces"
SEVERITY = Severity.WARNING
KIND = "risk"  # text the model misreads: a defect, not a token saving
OPTIONS: dict = {}


def check(doc, ctx):
    for at in doc.glued:
        before = doc.text[max(0, at - 20) : at].rsplit("\n", 1)[-1]
        after = doc.text[at : at + 20].split("\n", 1)[0]
        yield ctx.report(doc, Span(at, at),
                         f"two string pieces meet with nothing between them: \"{before}|{after}\" reaches the "
                         "model as one run of text; add the line break or space the join lost", tokens_saved=0)
