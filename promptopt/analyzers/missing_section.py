"""A reference to a section the prompt does not have: "follow the rules in the SETUP section".

Prompts are edited by cutting and renaming: the SETUP section becomes "Getting started", or goes, and
the sentences that send the model there stay. The model looks for text that is not there and guesses
what it said. Read: "the NAME section" (NAME in capitals, or quoted, bracketed or in bold), "the section
NAME" with NAME quoted, when NAME appears nowhere else in the prompt: no heading, tag, `[NAME]` block,
`NAME:` label or mention names it, in this prompt or in another prompt of the same file (a system prompt
refers to the "---Input Text---" section of the user message kept beside it; `_` around a name, as in
'__old hunk__', is markup). An input named like a variable ("as specified in the provided
tool_selection_prompt") that nothing in the prompt, its file or the prompts beside it names is the same
slip. Left alone: sections the prompt asks the model to write ("in a section called SUMMARY"), sections
of the input ("the CONTEXT section of the input"), sections of anything else named as their owner (a file
the agent reads: 'check `context.md` for the "Scope" section'; a config key: "the `nav:` section in
`mkdocs.yml`"; a tool's output: 'the "repl" section in server status'; the answer the model writes:
"embed the changes only in the 'Conclusions' section"), and a quoted snake_case name ("the 'improved_code'
section": a field of the data the prompt receives, not a heading). It has no fix: only the author knows
which section or input was meant.

Bad:

    Set up the project as described in the SETUP section, then run the tests.

    # INSTALLATION
    Install the dependencies with pip.

    Structure your answer as specified in the provided output_schema.

Good:

    Set up the project as described in the INSTALLATION section, then run the tests.

    # INSTALLATION
    Install the dependencies with pip.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO608"
NAME = "missing-section"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model is sent to text that is not there
DEFAULT = False  # opt-in: 0 of 5 right on prompts nobody tuned for (the ninth set); 5 of 5 on dev
OPTIONS: dict = {}

# "the SETUP section", "the **Rules** section", "the [AVAILABLE FUNCTIONS] section", "the 'Notes' section"
_REFERENCE = lazy_compile(
    r"\bthe\s+(?:(?P<caps>[A-Z][A-Z0-9_&/-]*(?:[ ][A-Z0-9_&/-]+){0,4})"
    r"|\*\*(?P<bold>[^*\n]{2,40})\*\*|\[(?P<bracket>[^\]\n]{2,40})\]|[\"'“`](?P<quoted>[^\"'”`\n]{2,40})[\"'”`])"
    r"\s+section\b"
    r"|\bthe\s+section\s+(?:called\s+|named\s+|titled\s+)?[\"'“`](?P<after>[^\"'”`\n]{2,40})[\"'”`]")
# "the CONTEXT section of the input": a section of what the user sends, not of the prompt
_OF_THE_INPUT = lazy_compile(
    r"\s+(?:of|in|from|within)\s+(?:the|their|your|each|every|this)\s+(?:user'?s?\s+)?(?:input|request|message|"
    r"document|transcript|content|data|file|report|submission|text|conversation|email|ticket|query)", re.I)
# a section owned by something other than the prompt, named after the reference: a file ("in `mkdocs.yml`"),
# a tool's output ("in server status"), the model's own answer ("of your response")
_OF_ANOTHER_OWNER = lazy_compile(
    r"\s+(?:of|in|from|within|inside)\s+(?:`?[\w./-]+\.[A-Za-z]{1,5}`?(?![\w.])"
    r"|(?:the|your|its|their|this|each)?\s*(?:own\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:output|status|response|answer|reply|results?|logs?|config(?:uration)?|page|readme|docs|documentation)\b)",
    re.I)
# a file named earlier in the same sentence owns the section: "Check `context.md` for the "Scope" section"
_FILE_NAME = lazy_compile(r"(?<![\w/.-])`?[\w/.-]*\w\.(?:md|mdx|ya?ml|json|toml|txt|py|js|ts|ini|cfg|html|xml|csv|rst)"
                          r"\b`?", re.I)
# "embed the changes only in the 'Conclusions' section": a section of the answer the model writes
_WRITE_INTO = lazy_compile(
    r"\b(?:embed|include|put|add|place|write|list|insert|append|record|report|mention|summari[sz]e|note)\b"
    r"(?:(?!\b(?:described|specified|defined|listed|given|outlined|shown|explained|stated|found|set out|as)\b)"
    r"[^.;!?\n])*\b(?:in|into|under)\s+$", re.I)


def _owned_elsewhere(text: str, m) -> bool:
    """The reference points at a section of something other than the prompt: a file, a config key, a
    tool's output, or the answer the model writes."""
    if _OF_THE_INPUT.match(text, m.end()) or _OF_ANOTHER_OWNER.match(text, m.end()):
        return True
    title = next(m.group(g) for g in ("caps", "bold", "bracket", "quoted", "after") if m.group(g))
    if title.rstrip().endswith(":"):  # "the `nav:` section": a key of a config file
        return True
    sentence = re.split(r"[.;!?\n]\s", text[max(0, m.start() - 200):m.start()])[-1]
    return bool(_FILE_NAME.search(sentence) or _WRITE_INTO.search(sentence))


def check(doc, ctx):
    text = doc.text
    for m in _REFERENCE.finditer(text) if "section" in text.lower() else ():
        name = next(g for g in ("caps", "bold", "bracket", "quoted", "after") if m.group(g))
        title = m.group(name).strip()
        if name == "caps" and (len(title) < 3 or title in ("I", "A")):
            continue
        if name != "caps" and _FIELD.match(title):
            continue
        span = Span(m.start(), m.end())
        if doc.in_code(span) or _named_elsewhere(text, title, span) or _owned_elsewhere(text, m):
            continue
        if any(_named_elsewhere(other.text, title, Span(0, 0)) for other in doc.siblings if other is not doc):
            continue
        yield ctx.report(doc, span, f"refers to the section '{title}', but the prompt has no section, heading or "
                         "label of that name: point to the section that holds it, or restore it", tokens_saved=0)
    for m in _PROVIDED.finditer(text) if "_" in text else ():
        name = m.group("name")
        span = Span(m.start(), m.end())
        if doc.in_code(span) or doc.source.count(name) > 1 or any(name in other.text for other in doc.siblings
                                                                  if other is not doc):
            continue
        yield ctx.report(doc, span, f"refers to the provided '{name}', but nothing in the prompt or its file has "
                         "that name: name the input the prompt is given, or provide it", tokens_saved=0)


# "as specified in the provided tool_selection_prompt": an input named like a variable
_PROVIDED = lazy_compile(
    r"\b(?:the|your)\s+(?:provided|given|attached|supplied)\s+`?(?P<name>[a-z][a-z0-9]*(?:_[a-z0-9]+)+)`?(?![\w-])")
# a snake_case identifier: a field of the data, not a section title
_FIELD = lazy_compile(r"_*[a-z0-9]+(?:_[a-z0-9]+)+_*\Z")


def _named_elsewhere(text: str, title: str, reference: Span) -> bool:
    """The name occurs in the prompt outside this reference (a heading, a tag, a label, a defining
    sentence); compared without case, spacing, `_`/`-` differences or markup."""
    words = [w for w in re.split(r"[\s_-]+", title) if w]
    if not words:
        return True
    # `_` around a name is markup, not part of a word: '__old hunk__' names the old hunk
    pattern = re.compile(r"(?<![^\W_])" + r"[\s_-]+".join(re.escape(w) for w in words) + r"(?![^\W_])", re.I)
    return any(not (reference.start <= m.start() < reference.end) for m in pattern.finditer(text))
