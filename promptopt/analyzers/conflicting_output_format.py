"""The output format declared twice, differently: "Respond in JSON" here, "format your answer in Markdown" there.

A model told two formats follows one of them, and the code that parses the reply breaks on the other.
Declarations are sentences such as "respond/answer/output/return ... in/as JSON", "Output format:
YAML", "only output Markdown". Negated sentences ("do not use Markdown") and JSON inside a Markdown
code block (one format wrapped in another) are not declarations of a second format; neither is a
conditional one ("if the user asks for a table, return CSV") nor one under a sibling heading that names
another output ("## Tool calls" in JSON, "## Final answer" in Markdown: two answers, one format each).
Text the document model (`promptopt.document`) reads as data (few-shot examples, code, quoted and
reference material) is skipped. The finding points at both places.

Bad:

    Return the result as JSON with the keys "title" and "tags".
    ...
    Format your answer in Markdown with a heading per section.

Good:

    Return the result as JSON with the keys "title" and "tags".
"""

from __future__ import annotations

import re

from ..core import Severity
from ..document import document_model
from ..lazyre import lazy_compile
from ._common import negated
from ._contradiction import in_jinja_branch, instruction_sentences, line_of

CODE = "PO602"
NAME = "conflicting-output-format"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS: dict = {}

_FORMAT = r"(JSON|JSONL|Markdown|YAML|XML|CSV|HTML|plain[\s-]+text)"
_DECLARATION = lazy_compile(
    r"\b(?:respond|reply|answer|output|return|format|formatted|write|written|provide|give|produce|generate|"
    r"present|print|emit)\w*\b(?:\s+[\w'\"-]+){0,5}?\s+(?:in|as|using)\s+(?:a\s+|an\s+|valid\s+|the\s+|strict\s+|"
    r"raw\s+|only\s+|pure\s+|well-formed\s+|proper\s+|following\s+)*" + _FORMAT + r"\b(?!\s+(?:code|block|fence|"
    r"snippet|file|tag|table|element|key|field|value|string|schema)s?)"
    r"|\b(?:output|response|answer|reply|return)\s+(?:format|type)\s*(?:is|must\s+be|should\s+be|:)\s*(?:a\s+|valid\s+)?"
    + _FORMAT + r"\b"
    r"|\b(?:only\s+(?:output|return|respond\s+with)|(?:output|return|respond\s+with)\s+only)\s+(?:valid\s+|raw\s+)?"
    + _FORMAT + r"\b(?!\s+(?:code|block|fence|snippet|table)s?)",
    re.I, guard=True,
)
_HOW_IT_READS = lazy_compile(r"\b(?:readable|legible|viewable|display\w*|render\w*|looks?|reads?)\b", re.I)
_CONDITIONAL = lazy_compile(r"^\W*(?:if|when|whenever|unless|for)\b|\b(?:if|when|whenever|unless)\s+(?:the\s+)?"
                            r"(?:user|request|input|question|task|caller|customer)\b", re.I)
_WRAPPED = lazy_compile(r"code\s*block|fence|```|wrapped|inside|within|enclosed", re.I)


def _kind(name: str) -> str:
    name = re.sub(r"[\s-]+", " ", name.lower())
    return "json" if name == "jsonl" else name


def check(doc, ctx):
    declared: list[tuple[str, object]] = []
    model = document_model(doc)
    for span, text, _section in instruction_sentences(doc):
        if negated(text) or in_jinja_branch(doc, span) or _CONDITIONAL.search(text):
            continue
        kinds = {}
        for m in _DECLARATION.finditer(text):
            if _HOW_IT_READS.search(m.group(0)):
                continue  # "make the output readable in plain text": how Markdown reads, not a second format
            name = next(g for g in m.groups() if g)
            kinds.setdefault(_kind(name), m)
        if len(kinds) != 1 or (_WRAPPED.search(text) and "json" in kinds):
            continue  # "JSON in a Markdown code block": one format wrapped in another
        kind, m = next(iter(kinds.items()))
        here = type(span)(span.start + m.start(), span.start + m.end())
        clash = next(((k, s) for k, s in declared if k != kind and not _two_outputs(model, s, here)), None)
        if clash is not None:
            yield ctx.report(doc, here, f"output format {kind.upper() if kind != 'markdown' else 'Markdown'} "
                             f"contradicts {clash[0].upper() if clash[0] != 'markdown' else 'Markdown'} declared at "
                             f"line {line_of(doc, clash[1])}: keep one", tokens_saved=0, related=[clash[1]])
        if all(k != kind for k, _ in declared):
            declared.append((kind, here))


def _two_outputs(model, first, later) -> bool:
    """The declarations stand under sibling headings that name two different outputs ("Tool calls",
    "Final answer"), not under parts of the prompt ("Output format", "Rules")."""
    from .duplicate_instruction import _PROMPT_PART

    a, b = model.headings_above(first.start), model.headings_above(later.start)
    if not a or not b or a == b or len(a) != len(b) or a[:-1] != b[:-1]:
        return False
    return not (_PROMPT_PART.fullmatch(a[-1][1].strip()) or _PROMPT_PART.fullmatch(b[-1][1].strip()))
