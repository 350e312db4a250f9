"""A vague amount in an output requirement: "a few bullet points", "some examples", "a short summary".

"A few" is 2 to the model on one request and 7 on the next; the output length, and the bill for
output tokens, swing with it, and the parser downstream cannot rely on a count. Only output
requirements are checked: a sentence in an output section, or one that tells the model to write,
list, give, return... something, where the vague word qualifies what it produces (sentences,
bullets, examples, a summary, an answer). Questions and data are not requirements: "how many apples
are left" is not vague, and examples and code are skipped.

Bad:

    Summarize the article in a few bullet points and give some examples.

Good:

    Summarize the article in 3 to 5 bullet points and give 2 examples.
"""

from __future__ import annotations

import re

from ..core import SegmentKind, Severity, Span
from ..lazyre import lazy_compile
from ._contradiction import instruction_sentences

CODE = "PO901"
NAME = "vague-quantifier"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.INFO
FIXABLE = ""
OPTIONS: dict = {}

_COUNTED = (r"(?:bullet\s+points?|bullets?|points?|sentences?|paragraphs?|examples?|items?|words?|lines?|ideas?|"
            r"options?|suggestions?|questions?|reasons?|steps?|tips?|recommendations?|alternatives?|"
            r"variations?|takeaways?|insights?|keywords?|tags?|quotes?|facts?|results?|sections?)")
_LENGTHY = (r"(?:summary|summaries|answer|answers|response|responses|reply|replies|description|descriptions|"
            r"explanation|explanations|paragraph|paragraphs|sentence|sentences|overview|introduction|"
            r"conclusion|title|bio|message|note|list|report|essay|story|abstract|comment|caption)")
_VAGUE = lazy_compile(
    r"\b(?:(?P<count>a\s+few|a\s+couple\s+of|several|some|many|a\s+number\s+of|a\s+handful\s+of|various|"
    r"a\s+lot\s+of|lots\s+of|numerous|multiple)\s+(?:(?:short|brief|key|main|relevant|good|more|other|"
    r"concise|specific|\w+ed)\s+)?" + _COUNTED + r"\b"
    r"|(?P<length>short|brief|shortish|long|lengthy)\s+(?:\w+\s+)?" + _LENGTHY + r"\b)",
    re.I,
)
_OUTPUT_VERB = lazy_compile(
    r"\b(?:write|list|give|provide|return|output|respond|reply|answer|produce|generate|include|summari[sz]e|"
    r"create|suggest|offer|draft|compose|add|end\s+with|finish\s+with|use|keep)\b",
    re.I,
)
_QUESTION = lazy_compile(r"\b(?:how\s+(?:many|much|long)|what|which|who|whose|when|where|why)\b[^.!]*\?", re.I)


def _output_spans(doc) -> list[Span]:
    return [s.span for s in doc.segments_of(SegmentKind.OUTPUT_SPEC)]


def check(doc, ctx):
    output_sections = _output_spans(doc)
    for span, text, _section in instruction_sentences(doc):
        line_start = doc.text.rfind("\n", 0, span.start) + 1
        line_end = doc.text.find("\n", span.end)
        line = doc.text[line_start : len(doc.text) if line_end == -1 else line_end]
        if _QUESTION.search(text) or "?" in line:
            continue  # a question, or a line of a user's message: data, not an output requirement
        in_output_section = any(o.contains(span) for o in output_sections)
        for m in _VAGUE.finditer(text):
            verb = _OUTPUT_VERB.search(text, 0, m.start())
            if not (in_output_section or verb):
                continue
            here = Span(span.start + m.start(), span.start + m.end())
            if m.group("count"):
                hint = "give a number or a range (\"3 to 5\")"
            else:
                hint = "give a length (\"at most 2 sentences\", \"under 50 words\")"
            yield ctx.report(doc, here, f"'{m.group(0)}' is vague in an output requirement: {hint}", tokens_saved=0)
