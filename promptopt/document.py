"""The document model: a prompt's blocks, each with the role it plays, built once per prompt.

Rules ask the model what a piece of text *is* instead of re-scanning for their own idea of "data":

    model = document_model(doc)      # cached on the PromptDocument (built on first use)
    model.role_at(span)              # Role.EXAMPLE, Role.REFERENCE...
    model.spans(Role.REFERENCE)      # where the pasted material is
    is_data(doc, span)               # example, reference, quoted data or noise: not an instruction

Blocks come from a CommonMark-style line scanner: fenced code, headings (ATX `#`, `**bold**` and
CAPS lines), blockquotes, tables, list items, XML-style tag sections (`<examples>`...`</examples>`),
thematic breaks and paragraphs. markdown-it-py parses the same blocks (tests/test_document.py checks
the scanner against it), but importing it costs about 35 ms of CPU, a quarter of a cold two-file hook
run, so the hook's path uses the scanner.

A block's role comes from structure and language together:
- structure: the heading or tag it stands under (`# Examples`, `<document>`, `## Changelog`), its kind
  (a fence, a blockquote, a table), the line before it ("For example:", "in this format:", "the user
  asked:");
- language: imperative mood and second person (instructions), limits and prohibitions (constraints),
  formats and schemas (output specifications), placeholders (template), quoting verbs and quotes
  (quoted data), long third-person prose with no instruction in it (reference material).
The labeller is measured on hand-labelled blocks of the corpus's dev half (tests/document_roles_dev.yaml).
"""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass, replace
from itertools import accumulate

from .core import PromptDocument, SegmentKind, Span
from .lazyre import lazy_compile, word_trie
from .segment import code_share, heading_title
from .segment import data_spans as structural_data_spans
from .segment import sentences as _all_sentences


class Role(str, enum.Enum):
    INSTRUCTION = "instruction"
    CONSTRAINT = "constraint"
    OUTPUT = "output"  # an output specification: format, schema, template of the answer
    EXAMPLE = "example"  # a demonstration: an input, an output, or both
    REFERENCE = "reference"  # pasted material: a guide, documentation, an essay, a transcript
    QUOTED = "quoted"  # quoted data: a user's query, a recorded header, text after a quoting verb
    TEMPLATE = "template"  # variables and the slots they fill
    NOISE = "noise"  # changelogs, author notes, page furniture: nothing the model should read

    def __str__(self) -> str:
        return self.value


# roles whose text is material the prompt carries, not instructions to the model
DATA_ROLES = frozenset({Role.EXAMPLE, Role.REFERENCE, Role.QUOTED, Role.NOISE})


@dataclass(frozen=True, init=False)
class Block:
    kind: str  # heading, paragraph, list_item, code, blockquote, table, tag, rule
    span: Span
    line: int  # 1-based line of the prompt text where the block starts
    role: Role
    section: str = ""  # the innermost heading (or tag) the block stands under
    level: int = 0  # heading level (1-6), 0 for other blocks

    def __init__(self, kind: str, span: Span, line: int, role: Role, section: str = "", level: int = 0) -> None:
        fields = self.__dict__  # frozen all the same: see `core.Span`
        fields["kind"] = kind
        fields["span"] = span
        fields["line"] = line
        fields["role"] = role
        fields["section"] = section
        fields["level"] = level


class DocumentModel:
    """The prompt's blocks in order, each with its role."""

    def __init__(self, blocks: list[Block]) -> None:  # a plain class: dataclasses cost import time
        self.blocks = blocks
        self._starts = [b.span.start for b in blocks]

    def block_at(self, offset: int) -> Block | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.blocks[i].span.end:
            return self.blocks[i]
        return None

    def role_at(self, span: Span | int) -> Role | None:
        block = self.block_at(span if isinstance(span, int) else span.start)
        return block.role if block is not None else None

    def spans(self, *roles: Role) -> list[Span]:
        """Spans of the blocks with these roles, runs of neighbours merged into one."""
        out: list[Span] = []
        in_run = False
        for block in self.blocks:
            if block.role not in roles:
                in_run = False
            elif in_run:
                out[-1] = Span(out[-1].start, block.span.end)
            else:
                out.append(block.span)
                in_run = True
        return out

    def headings_above(self, offset: int) -> tuple[tuple[int, str], ...]:
        """The open headings at `offset`, outermost first, as (level, title)."""
        stack: list[tuple[int, str]] = []
        for block in self.blocks:
            if block.span.start > offset:
                break
            if block.kind == "heading":
                while stack and stack[-1][0] >= block.level:
                    stack.pop()
                stack.append((block.level, block.section))
        return tuple(stack)


def document_model(doc: PromptDocument) -> DocumentModel:
    """The prompt's blocks and roles, built on first use and kept on the document."""
    return doc.memo("document-model", _build)


def is_data(doc: PromptDocument, span: Span) -> bool:
    """Whether the span stands in material the prompt carries (an example, reference material, quoted
    data, noise) rather than in its instructions."""
    role = document_model(doc).role_at(span)
    return role in DATA_ROLES or any(d.overlaps(span) for d in data_spans(doc))


def data_spans(doc: PromptDocument) -> list[Span]:
    """Structural data (examples, code, tagged documents, pasted markup) and every block whose role
    is data: what rules about instructions skip."""
    return doc.memo("role-data-spans", _data_spans)


def _data_spans(doc: PromptDocument) -> list[Span]:
    spans = list(structural_data_spans(doc)) + document_model(doc).spans(*DATA_ROLES)
    return sorted(spans, key=lambda s: s.start)


def sentences(doc: PromptDocument):
    """`segment.sentences` without those that stand in, or run into, data blocks (see `DATA_ROLES`)."""
    return doc.memo("role-sentences", _sentences)


def _sentences(doc: PromptDocument):
    data = document_model(doc).spans(*DATA_ROLES)
    starts = [d.start for d in data]
    out = []
    for span, seg in _all_sentences(doc):
        i = bisect.bisect_left(starts, span.end)  # the data blocks that start before the sentence ends
        if i and data[i - 1].end > span.start or any(d.overlaps(span) for d in data[max(0, i - 2) : i]):
            continue  # a sentence that runs into quoted or reference text is not the prompt's instruction
        out.append((span, seg))
    return out


# ---- the block scanner --------------------------------------------------------------------------

# any indent: a fence inside a list item ("1. Install:" then an indented ```bash) is code too
_FENCE = lazy_compile(r"^[ \t]*(`{3,}|~{3,})")
_ATX = lazy_compile(r"^[ \t]{0,3}(#{1,6})[ \t]+\S")
_QUOTE = lazy_compile(r"^[ \t]{0,3}>")
_TABLE = lazy_compile(r"^[ \t]*\|.*\|[ \t]*$")
_RULE = lazy_compile(r"^[ \t]{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|(?:=[ \t]*){3,})$")
_ITEM = lazy_compile(r"^([ \t]*)(?:[-*+•]|\d{1,3}[.)])[ \t]+\S")
_OPEN_TAG = lazy_compile(r"^[ \t]*<([A-Za-z][\w.-]*)(?:\s[^<>]*)?>[ \t]*$")
_CLOSE_TAG = lazy_compile(r"^[ \t]*</([A-Za-z][\w.-]*)\s*>[ \t]*$|^[ \t]*\[END[ _]([A-Z][A-Z0-9 _-]*)\][ \t]*$")
_BRACKET_OPEN = lazy_compile(r"^[ \t]*\[(?!END[ _])([A-Z][A-Z0-9 _-]{2,40})\][ \t]*$")


class _Raw:
    """A block before its role is known."""

    __slots__ = ("kind", "start", "end", "line", "level", "title")

    def __init__(self, kind: str, start: int, end: int, line: int, level: int = 0, title: str = "") -> None:
        self.kind, self.start, self.end, self.line, self.level, self.title = kind, start, end, line, level, title


def scan_blocks(text: str) -> list[_Raw]:
    """The prompt's blocks in order (no roles yet)."""
    lines = text.split("\n")
    starts = [0, *accumulate(len(raw) + 1 for raw in lines[:-1])]
    out: list[_Raw] = []
    append = out.append
    i, n = 0, len(lines)

    def end_of(j: int) -> int:
        return starts[j] + len(lines[j])

    while i < n:
        line = lines[i]
        body = line.lstrip()
        if not body:
            i += 1
            continue
        # each pattern is tried only on a line whose first character after its indent can open its match
        # (`_breaks` does the same for the lines inside a paragraph): most lines open with a letter
        first = body[0]
        fence = _FENCE.match(line) if first in "`~" else None
        if fence:
            mark = fence.group(1)
            closing = mark[0] * len(mark)
            j = i + 1
            while j < n and not lines[j].lstrip().startswith(closing):
                j += 1
            last = min(j, n - 1)
            append(_Raw("code", starts[i], end_of(last), i + 1))
            i = last + 1
            continue
        atx = _ATX.match(line) if first == "#" else None
        title = _title_of(line) if first in "#*" or "A" <= first <= "Z" else None
        if atx or (title is not None and not _ITEM.match(line)):
            level = len(atx.group(1)) if atx else 7  # bold and CAPS headings: below every `#` level
            append(_Raw("heading", starts[i], end_of(i), i + 1, level, title or line.strip("# ")))
            i += 1
            continue
        if first in "<[":
            close = _CLOSE_TAG.match(line)
            opened = _OPEN_TAG.match(line) or _BRACKET_OPEN.match(line)
            if close or opened:
                name = opened.group(1) if opened else (close.group(1) or close.group(2))
                append(_Raw("tag", starts[i], end_of(i), i + 1, title=("" if opened else "/") + name.lower()))
                i += 1
                continue
        if first in "-*_=" and _RULE.match(line):
            append(_Raw("rule", starts[i], end_of(i), i + 1))
            i += 1
            continue
        pattern = _QUOTE if first == ">" else _TABLE if first == "|" else None
        if pattern is not None and pattern.match(line):
            j = i
            while j + 1 < n and pattern.match(lines[j + 1]):
                j += 1
            append(_Raw("blockquote" if first == ">" else "table", starts[i], end_of(j), i + 1))
            i = j + 1
            continue
        item = _ITEM.match(line) if first in "-*+•" or first.isdecimal() else None
        j = i + 1
        while j < n:
            nxt = lines[j]
            rest = nxt.lstrip()
            if not rest:
                break
            mark = rest[0]  # `_breaks`' own first test, without a call for a line that opens with a small letter
            if (mark in _BREAK_MARKS or "A" <= mark <= "Z" or mark.isdecimal()) and _breaks(nxt):
                break
            if item and len(nxt) - len(rest) <= len(item.group(1)):
                break  # an unindented line after an item: the item ended
            j += 1
        append(_Raw("list_item" if item else "paragraph", starts[i], end_of(j - 1), i + 1))
        i = j
    return out


# what a line that opens a block can start with, after its indent (fences, items, headings, quotes, tags,
# rules); a capital letter opens only a CAPS heading
_BREAK_MARKS = frozenset("`~-*+•#><[_=")


def _breaks(line: str) -> bool:
    first = line.lstrip()[:1]
    if "A" <= first <= "Z":
        return _title_of(line) is not None
    if first not in _BREAK_MARKS and not first.isdecimal():
        return False  # none of the patterns below can match: most lines of a paragraph
    return bool(_FENCE.match(line) or _ITEM.match(line) or _ATX.match(line) or _QUOTE.match(line)
                or _CLOSE_TAG.match(line) or _OPEN_TAG.match(line) or _BRACKET_OPEN.match(line) or _RULE.match(line)
                or _title_of(line) is not None)


def _title_of(line: str) -> str | None:
    """A heading's title; a line indented four or more is an item's text or code, never a heading."""
    return heading_title(line) if len(line) - len(line.lstrip()) <= 3 else None


# ---- the role labeller --------------------------------------------------------------------------

# what a heading or a tag says about the blocks under it (first match wins)
# What a heading's or tag's words say about the blocks under it, first match wins: phrases of lower-case
# words matched as whole words; a trailing "+" allows a plural "s" (plain string tests: no pattern to
# compile on the hook's path).
_SECTION_ROLES: list[tuple[Role, tuple[str, ...]]] = [
    (Role.NOISE, ("changelog", "change log", "version history", "release note+", "revision history", "author note+",
                  "authors note+", "about the author", "credits", "acknowledgement+", "acknowledgment+", "license",
                  "licence", "copyright", "contributors", "footer", "site navigation", "related prompt+",
                  "related post+", "share this", "note to self", "notes to self", "note for maintainer+",
                  "notes for maintainer+", "notes to maintainer+")),
    (Role.EXAMPLE, ("example+", "sample+", "demonstration+", "few shot", "shot+", "illustration+")),
    (Role.OUTPUT, ("output", "format", "formatting", "response", "respond", "reply", "return", "answer format",
                   "json", "schema", "deliverable+", "report structure", "structure of the answer",
                   "structure of your answer", "structure of the response", "structure of your response")),
    # a title that names rules is instructions, whatever else it names ("knowledge base rules", "context rules")
    (Role.CONSTRAINT, ("rule+", "guideline+", "dos and donts", "do and dont+")),
    (Role.REFERENCE, ("reference+", "documentation", "docs", "manual", "guide", "appendix", "background",
                      "knowledge", "glossary", "essay+", "article+", "transcript+", "book notes", "source material",
                      "reading", "resources", "facts", "context", "information about", "about us",
                      "about the company", "about the product", "faq", "excerpt+", "catalog", "catalogue",
                      "price list", "inventory", "directory")),
    (Role.QUOTED, ("user query", "user question", "user message", "user request", "user input", "users query",
                   "users question", "users message", "users request", "users input", "query", "original prompt",
                   "extracted", "conversation history", "chat history", "history", "input data")),
    (Role.TEMPLATE, ("variable+", "input+", "parameter+", "placeholder+", "argument+")),
    (Role.CONSTRAINT, ("constraint+", "restriction+", "limitation+", "rules", "guardrails", "boundaries", "donts",
                       "prohibited", "must not", "never", "safety", "policy", "policies", "requirements")),
]
_PLACEHOLDER = lazy_compile(r"\{\{[^{}]*\}\}|\{%[^{}]*%\}|\{[A-Za-z_][\w.]*\}|\$\{?[A-Za-z_]\w*\}?|<<\w+>>|\[\[\w+\]\]")
# a line's first word after a list marker, a bold label and "please"/"then": an imperative if it is a verb
# below (a set lookup: one alternation of 150 verbs cost 14 ms to compile, a tenth of a cold hook run)
_FIRST_WORD = lazy_compile(
    r"^(?:[-*+•>]|\d{1,3}[.)])?\s*(?:\*\*[^*]{0,40}\*\*:?\s*)?(?:(?:now|please|then|first,?|finally,?)\s+){0,2}([A-Za-z'-]+)",
    re.I)
_VERBS = frozenset("""
do don't never always make ensure use write output include avoid give list extract create return respond answer
provide keep focus think consider follow read identify summarize summarise generate explain describe add remove
only start end put place format limit ask reply check note remember take rate determine analyze analyse select
find translate act imagine pretend be stay refer cite classify label categorize categorise convert rewrite review
evaluate assess compare present organize organise structure mention state report treat prefer try let call run
search look wait stop continue begin combine split skip ignore emphasize emphasise highlight express draft compose
suggest recommend propose offer show tell help guide assist clarify verify confirm double-check apply adopt adhere
respect maintain preserve fix correct improve edit proofread design plan outline map sort rank score count
calculate compute estimate predict infer deduce reason reflect step judge decide polish rank grade inspect trace
separate reuse solve choose pick fill produce emit wrap enclose detect assign
""".split())
class _Folded:
    """A case-insensitive pattern of lower-case words, asked only whether it is found. In ASCII text it is
    the case-sensitive pattern searched in `text.lower()`: the same answer (A-Z are the only characters
    `re.IGNORECASE` pairs with an ASCII pattern's letters there), at about half the time (IGNORECASE
    tries both cases at every position). Other text goes to the IGNORECASE pattern."""

    def __init__(self, pattern: str) -> None:
        assert pattern == pattern.lower(), "a folded pattern is written in lower case"
        self.pattern = pattern
        self.anycase = lazy_compile(pattern, re.I, guard=True)
        self.lowered = lazy_compile(pattern, 0, guard=True)

    def found(self, text: str) -> bool:
        if text.isascii():
            return self.lowered.search(text.lower()) is not None
        return self.anycase.search(text) is not None


_SECOND_PERSON = lazy_compile(r"\b(?:you|your|you're|yourself)\b", re.I, guard=True)
_CONSTRAINT = _Folded(
    r"\b(?:never|do not|don't|must not|mustn't|should not|shouldn't|cannot|can't|may not|avoid|only|"
    r"at most|at least|no more than|no less than|up to|under \d+|maximum|minimum|limit(?:ed)? to|"
    r"not allowed|forbidden|prohibited|refuse|exactly \d+|without)\b")
_OUTPUT_WORDS = lazy_compile(
    r"\b(?:output|respond|response|reply|answer|return|format(?:ted)?|json|yaml|xml|markdown|csv|table|"
    r"bullet(?:ed)? (?:list|points?)|headings?|sections?|schema|fields?|keys?)\b", re.I, guard=True)
_OUTPUT_SHAPE = _Folded(
    r"\b(?:(?:in|as|using|with) (?:the following|this|a|valid|the)? ?(?:json|yaml|xml|markdown|csv|table|format|"
    r"structure|template|schema)|output (?:format|only|a|the|should|must|will)|(?:respond|reply|answer|return) "
    r"(?:only )?(?:with|in|as)|(?:format|structure) (?:your|the) (?:output|response|answer)|"
    r"(?:the|your) (?:output|response|answer)s? (?:should|must|will) (?:be|contain|include|follow|have|start)|"
    r"format (?:your|the|each) (?:output|response|answer|reply)s?|"
    # "Provide the JSON response", "with the following fields", "use the following format", "between ... tags"
    r"(?:provide|give|produce|generate|write|return|emit) (?:(?:a|an|the|your|valid|only) ){0,2}"
    r"(?:json|yaml|xml|csv)|with (?:the )?(?:following )?(?:fields|keys|properties)|"
    r"(?:use|follow|produce|match) (?:the|this|these) (?:following )?(?:output |response |exact )?"
    r"(?:format|structure|template|schema|output)|"
    r"(?:return|output|wrap|enclose|put|place|write)\b[^.\n]{0,60}\b(?:between|within|inside)\b[^.\n]{0,60}\btags?)\b")
# "the user asked:", "User query:", "he wrote:": the text after it is what someone else said
_QUOTING_LEAD = lazy_compile(
    r"(?:\b(?:said|says|asked|asks|wrote|writes|typed|replied|quoted|reads|stated|stating|query|question|"
    r"message|request|prompt used|input)\s*:|\bas follows\b.*\b(?:said|wrote|asked)\b)\s*[\"“'«]?\s*$", re.I)
_RECORD_HEADER = lazy_compile(
    r"^\s*(?:\*\*)?(?:user(?:'s)? (?:query|prompt|input|message)|query|prompt used|extracted (?:with|by|via|on|from)|"
    r"source|date|model|retrieved|captured|leaked|obtained|jailbreak used)(?:\*\*)?\s*:", re.I)
# a header line that records how a prompt was obtained: what follows is someone's query, not an instruction
_RECORDED_QUERY = lazy_compile(
    r"^\s*(?:[-*]\s+)?(?:\*\*)?(?:user(?:'s)? (?:query|prompt|input|message)|(?:prompt|query|jailbreak) used|"
    r"extracted (?:with|by|via|using)|(?:leaked|obtained|captured) (?:with|via|by|using))(?:\*\*)?\s*:", re.I | re.M)
_KEY_LINE = lazy_compile(r"^\s*(?:[-*]\s+)?(?:\*\*)?[A-Za-z][\w '-]{0,30}(?:\*\*)?\s*:\s*\S")
# a line keyed by a program's field name (`narrative_input: ...`, `user_query: ...`): a record of data
_FIELD_LINE = lazy_compile(r"^[ \t]*[a-z][a-z0-9]*(?:_[a-z0-9]+)+[ \t]*:[ \t]*\S")
_NOISE_LINE = lazy_compile(
    r"^\s*(?:[-*]\s+)?(?:\*\*)?(?:(?:created|written|maintained|contributed) by\b|(?:author|maintainer|"
    r"last updated|version|changelog)\s*:|copyright\b|©|all rights reserved|share this\b|"
    r"subscribe\b|sign (?:in|up)\b|log in\b|skip to (?:main )?content|cookie|previous post|next post|"
    r"posted (?:on|by)\b|related posts?\b|v\d+(?:\.\d+)+\b|\d{4}-\d{2}-\d{2}\s*[:\-–])", re.I)
# "Version: v1.2 (2024-03-02)": a bare version (and date) is a record of the prompt's history; a version line
# that says more ("-v1 for the first iteration, -v2 ...", "v2.0 - selectors only (JSON fixtures ELIMINATED)")
# can carry a rule or the prompt's current state, and is left to the reader
_VERSION_KEY = lazy_compile(r"^\s*(?:[-*]\s+)?(?:\*\*)?version\s*:\s*(?:\*\*)?\s*", re.I)
_BARE_VERSION = lazy_compile(
    r"v?\d+(?:\.\d+)*[\w.+-]*\s*(?:\(\s*\d{4}-\d{2}(?:-\d{2})?\s*\)|[-–,]?\s*\d{4}-\d{2}(?:-\d{2})?)?\s*\Z")


def _instructive_version(body: str) -> bool:
    key = _VERSION_KEY.match(body)
    return bool(key) and "\n" not in body.strip() and not _BARE_VERSION.match(body.strip(), key.end())


_EXAMPLE_LEAD = lazy_compile(
    r"(?:\be\.g\.|\bfor (?:example|instance)|\bexamples?(?: (?:of|for|that|which|where|showing) [^:\n]{1,40})?|"
    r"\bsamples?(?: \w+)?|"
    r"\blike this|\bsuch as|\bhere (?:is|are) (?:an? |some )?(?:\w+ ){0,2}examples?)\W{0,4}:\s*$", re.I)
# a line that names itself an instruction ("**Instruction**: Avoid...", "Rule: ..."), wherever it stands
_SELF_LABELLED = lazy_compile(
    r"^(?:[-*+•]\s+)?(?:\*\*|__)?(?:instructions?|rule|guideline|task|directive)(?:\*\*|__)?\s*:", re.I)
_FORMAT_LEAD = lazy_compile(
    r"(?:\bformat|\bstructure|\btemplate|\bschema|\bfollowing|\bas follows|\bbelow|\blike so|\bshape)\b[^\n]*:\s*$"
    r"|\b(?:output|respond|return|reply|answer)\b[^\n]*:\s*$", re.I)
_WORDS = lazy_compile(r"[A-Za-z']+")
# words one of which each pattern below needs: tested first, so a small prompt compiles none of them
_NOISE_WORDS = ("by", "author", "maintainer", "updated", "version", "changelog", "copyright", "©", "rights", "share",
                "subscribe", "sign", "log in", "skip", "cookie", "post", "20", "19", *(f"v{d}" for d in range(10)))
# (one of them is in the line: one scan of a prefix tree, not a test per word)
_NOISE_HINT = lazy_compile(word_trie(list(_NOISE_WORDS)))
_RECORD_WORDS = ("query", "prompt", "input", "message", "used", "extracted", "leaked", "obtained", "captured")
_SELF_WORDS = ("instruction", "rule", "guideline", "task", "directive")
# HTML elements: on a line of their own they are pasted markup, not the sections of an XML-style prompt
_HTML_ELEMENTS = frozenset(
    "html head body div span p a ul ol li table tr td th thead tbody footer header nav main section article aside "
    "template style script link meta img button form input label select option textarea br hr h1 h2 h3 h4 h5 h6 "
    "pre code em strong b i svg path g iframe video audio source figure figcaption details summary".split())
_PERSONA = lazy_compile(r"^(?:system:\s*)?(?:you are|you're|act as|i want you to act|imagine you are|as an? )", re.I)
# a turn of a recorded conversation written into the prompt ("USER: ...", "ASSISTANT: ...")
_TURN = lazy_compile(r"^(?:USER|ASSISTANT|HUMAN|AI|Human|Assistant)\s*:")
_ANSWER_SLOT = lazy_compile(r"^[A-Z][\w ]{0,30}:\s*$")
# a lead that names the shape of what follows ("Each entry can follow one of these formats:")
_SHAPE_LEAD = lazy_compile(r"\b(?:formats?|structure|template|schema|fields|properties)\b[^\n.,;]{0,40}:\s*$",
                           re.I)
# "Here are examples of (JSON Schema, JSON) pairs that show...:", "here's an example user request...:"
_EXAMPLES_FOLLOW = lazy_compile(
    r"\b(?:here(?:'s| is| are)|below (?:is|are)|following (?:is|are))\s+(?:an? |some |a few |several |\d+ )?"
    r"(?:[\w(),-]+ ){0,3}(?:examples?|samples?|demonstrations?)\b[^\n]*:\s*$", re.I)
# a line that only labels what follows as an example: "Example 1:", "Examples:", "-- EXAMPLES --"
_EXAMPLE_LABEL = lazy_compile(
    r"^\W{0,4}(?:few[- ]shot )?(?:examples?|samples?|demonstrations?)(?: \d{1,2}| [A-Z])?\W{0,4}$", re.I)
# chat-format special tokens (`<|im_start|>`, `<|end_of_history|>`): scaffolding around the slots
_CHAT_TOKEN = lazy_compile(r"<\|[\w ]{1,40}\|>")
# the first line of a worked input/output pair ("Question: ...", "Problem 2: ...", "Input: ...") and the
# line that answers it ("Answer: ...", "Output: ...", "Explanation for Problem 2: ...")
_QA_IN = lazy_compile(
    r"^(?:[A-Z][a-z]+ \d{1,3}(?:\.\d{1,3})*|Question|Q|Input|Text|Context|Sentence|Statement|Passage|Review|"
    r"Query|Problem|Premise|Hypothesis|Claim|Document|Article|User|Human)[ \t]*:[ \t]*\S")
_QA_OUT = lazy_compile(
    r"^(?:Answer|A|Output|Label|Response|Result|Explanation(?: for [\w ]{1,30})?|Solution|Rationale|Reasoning|"
    r"Sentiment|Category|Classification|Verdict|Knowledge|Summary|Translation|Thought|Action|Assistant|AI)"
    r"[ \t]*:[ \t]*(\S.*)$", re.M)
# a numbered item whose name says it is a sample: "Question 1:", "Example 2:", "Case 3:"
_NUMBERED_SAMPLE = lazy_compile(
    r"^(?:Question|Problem|Example|Sample|Input|Query|Case|Test|Scenario|Dialogue|Conversation|Passage|Text|Story|"
    r"Review|Demo)[ \t]+\d{1,3}(?:\.\d{1,3})*[ \t]*:[ \t]*\S")
_SLOT_ONLY = lazy_compile(r"^\{\d{0,2}\}$")


def _section_role(title: str) -> Role | None:
    """The role a heading's or tag's title gives its blocks: the first of `_SECTION_ROLES` with a phrase
    in it, a phrase being a run of whole words of the title."""
    words = _NOT_ALNUM.sub(" ", title.lower().replace("'", "").replace("’", "")).split()
    runs = set(words)  # the runs of one to _LONGEST_PHRASE words: a set test per role, not one per phrase
    for n in range(2, min(len(words), _LONGEST_PHRASE) + 1):
        runs.update(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    for role, phrases in _SECTION_PHRASES:
        if not runs.isdisjoint(phrases):
            return role
    return None


_NOT_ALNUM = lazy_compile(r"[\W_]")  # what `str.isalnum` rejects, one character at a time (tested on every code point)
# each role's phrases as the words they are found as ("example+": "example" or "examples"), built once
_SECTION_PHRASES = [(role, frozenset(form for p in phrases
                                     for form in (p.rstrip("+"), *([f"{p[:-1]}s"] if p[-1] == "+" else []))))
                    for role, phrases in _SECTION_ROLES]
_LONGEST_PHRASE = max(len(p.split()) for _, phrases in _SECTION_ROLES for p in phrases)


# the name a program gives a string that holds an example (`_concrete_ex`, `FEW_SHOT_EXAMPLES`, `demos`):
# the last part of the document's name ends with an example word
_EXAMPLE_NAME = lazy_compile(r"(?:^|_)(?:ex|examples?|few_?shots?|demos?|demonstrations?|samples?)$", re.I)
# ...but not a prompt that has (or lacks) examples: `suffix_with_examples`, `prompt_without_examples`
_PROMPT_NAME = lazy_compile(r"(?:^|_)(?:with|without|no|prompts?|templates?|instructions?|suffix|prefix)(?:_|$)", re.I)


def _named_example(name: str) -> bool:
    """Is the document a string the program names as an example (`Plan._concrete_ex`)?"""
    last = name.rsplit(".", 1)[-1].split("[", 1)[0].strip("_")
    return bool(_EXAMPLE_NAME.search(last)) and not _PROMPT_NAME.search(last)


def _build(doc: PromptDocument) -> DocumentModel:
    model = _build_blocks(doc)
    if doc.name and _named_example(doc.name):
        # the whole string is the example, whatever its lines say
        model = DocumentModel([b if b.role in (Role.TEMPLATE, Role.QUOTED) else replace(b, role=Role.EXAMPLE)
                               for b in model.blocks])
    return model


def _build_blocks(doc: PromptDocument) -> DocumentModel:
    text = doc.text
    raws = scan_blocks(text)
    examples = sorted((s.span for s in doc.segments if s.kind == SegmentKind.EXAMPLE), key=lambda sp: sp.start)
    example_starts = [e.start for e in examples]
    last_end = len(text.rstrip())  # asked for every block: the text's end without trailing space
    headings: list[tuple[int, str, Role | None]] = []  # the open headings: (level, title, role)
    tags: list[tuple[str, Role | None]] = []  # the open tags
    blocks: list[Block] = []
    previous: str = ""  # the last line of the previous non-heading block
    led: Role | None = None  # the role a lead line ("For example:") gave the list that follows it
    led_indent = 0  # the indent of that list's first item
    for raw in raws:
        body = text[raw.start : raw.end]
        if raw.kind == "heading":
            while headings and headings[-1][0] >= raw.level:
                headings.pop()
            role = _section_role(raw.title)
            headings.append((raw.level, raw.title, role))
            blocks.append(Block("heading", Span(raw.start, raw.end), raw.line, role or _heading_default(headings),
                                raw.title, raw.level))
            previous = ""
            continue
        if raw.kind == "tag" and raw.title.lstrip("/") in _HTML_ELEMENTS:
            raw = _Raw("paragraph", raw.start, raw.end, raw.line)  # pasted markup, not a prompt section
        if raw.kind == "tag":
            if raw.title.startswith("/"):
                name = raw.title[1:]
                for k in range(len(tags) - 1, -1, -1):
                    if tags[k][0] == name:
                        del tags[k:]
                        break
                role = blocks[-1].role if blocks else Role.INSTRUCTION
            else:
                tag_role = _section_role(raw.title)
                tags.append((raw.title, tag_role))
                role = tag_role or _inherited(headings, tags) or Role.INSTRUCTION
            blocks.append(Block("tag", Span(raw.start, raw.end), raw.line, role, raw.title))
            continue
        labelled = raw.kind == "paragraph" and _example_label(body)
        resumed = bool(blocks) and blocks[-1].role is Role.EXAMPLE and _resumes(body)
        if resumed and headings and headings[-1][0] == _LABEL_LEVEL:
            headings.pop()  # "IMPORTANT REMINDER: ...", "Now ...", "Begin!": back to the prompt's own voice
        if labelled:
            # "Example 1:" on a line of its own heads the blocks after it, as a `## Example 1` would
            while headings and headings[-1][0] >= _LABEL_LEVEL:
                headings.pop()
            headings.append((_LABEL_LEVEL, body.strip(), Role.EXAMPLE))
        inherited = _inherited(headings, tags)
        section = tags[-1][0] if tags else (headings[-1][1] if headings else "")
        if labelled:
            role = Role.EXAMPLE
        elif (led is not None and raw.kind == "list_item" and blocks and blocks[-1].kind == "list_item"
              and _indent(body) >= led_indent):
            role = led  # the rest of the list the lead announced (an outer item after it is not)
        else:
            after_example = (bool(blocks) and blocks[-1].role is Role.EXAMPLE and blocks[-1].kind == "paragraph"
                             and not resumed)
            role = _block_role(raw, body, inherited, previous, examples, last_end, example_starts, after_example)
            led = role if role in (Role.EXAMPLE, Role.OUTPUT, Role.QUOTED) and previous.rstrip().endswith(":") else None
            led_indent = _indent(body)
        if headings and headings[-1][0] == _LABEL_LEVEL and (
                role is Role.TEMPLATE or (role is Role.EXAMPLE and "nd" in body and _END_EXAMPLES.search(body))):
            headings.pop()  # a slot the caller fills (the live input) or "-- END OF EXAMPLES --": the examples end
        blocks.append(Block(raw.kind, Span(raw.start, raw.end), raw.line, role, section))
        tail = body.rstrip()
        previous = tail[tail.rfind("\n") + 1 :]
    return DocumentModel(_scaffolds(blocks, text, last_end))


def _indent(body: str) -> int:
    return len(body) - len(body.lstrip(" \t"))


_LABEL_LEVEL = 8  # an "Example 1:" line: below every heading, so any heading closes it
_END_EXAMPLES = lazy_compile(r"^\W*end(?: of)?(?: the)? (?:examples?|samples?)\W*$", re.I | re.M)
# a paragraph that turns from the example back to the model: the "Example:" label's section ends there
_RESUME = lazy_compile(
    r"^[ \t]*(?:\*\*)?(?:important|note|remember|reminder|now|begin|your turn|end of examples?)\b", re.I)


def _resumes(body: str) -> bool:
    """Does the block, after an example, speak to the model again ("IMPORTANT: ...", "Now ...", an
    instruction to "you", "Answer in this exact JSON format:")?"""
    if _RESUME.match(body):
        return True
    if not _is_imperative(body.lstrip()):
        return False
    first = body.strip().split("\n", 1)[0]
    return bool(_SECOND_PERSON.search(body)) or (len(first.split()) >= 4 and bool(_FORMAT_LEAD.search(first)))


def _example_label(body: str) -> bool:
    """A paragraph that opens with a line naming what follows an example ("Example 1:", "-- EXAMPLES --"),
    after any template control lines (`{% if few_shot %}`)."""
    if "xampl" not in body and "XAMPL" not in body and "ample" not in body and "emonstr" not in body:
        return False
    lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
    while lines and lines[0].startswith("{%") and lines[0].endswith("%}"):
        lines.pop(0)
    if not lines or not _EXAMPLE_LABEL.match(lines[0]):
        return False
    # "Examples:" over a list is a lead (the list follows it); "Example 1:", "Example:" and a
    # "-- EXAMPLES --" banner head a demonstration of several blocks
    return len(lines) > 1 or not lines[0].rstrip(":").lower().endswith(("examples", "samples", "demonstrations"))


def _scaffolds(blocks: list[Block], text: str, last_end: int) -> list[Block]:
    """A heading or a label line ("### Answers:", "Summary:") whose only content is slots the caller fills
    (or nothing, closing the prompt) is part of the template's scaffold, not an instruction."""
    out = list(blocks)
    for i, block in enumerate(blocks):
        if block.role is Role.TEMPLATE or block.kind not in ("heading", "paragraph"):
            continue
        body = text[block.span.start : block.span.end].strip()
        if block.kind == "paragraph" and not ("\n" not in body and _ANSWER_SLOT.match(body)):
            continue
        following = []
        for j in range(i + 1, len(blocks)):  # not `blocks[i + 1 :]`: a copy of the rest per heading
            later = blocks[j]
            if later.kind == "heading" or (block.kind != "heading" and following):
                break
            if later.kind not in ("rule", "tag"):
                following.append(later)
        if (following and all(b.role is Role.TEMPLATE for b in following)) or (
                not following and block.span.end >= last_end and body.endswith(":")):
            out[i] = replace(block, role=Role.TEMPLATE)
    return out


def _inherited(headings, tags) -> Role | None:
    """The role the innermost tag or heading with a role gives the blocks under it."""
    for _, role in reversed(tags):
        if role is not None:
            return role
    for _, _, role in reversed(headings):
        if role is not None:
            return role
    return None


def _heading_default(headings) -> Role:
    return _inherited(headings[:-1], []) or Role.INSTRUCTION


def _block_role(raw: _Raw, body: str, inherited: Role | None, previous: str, examples: list[Span],
                last_end: int, example_starts: list[int], after_example: bool = False) -> Role:
    # cheap tests guard the patterns: on a small prompt most are never compiled (a cold hook run pays
    # for every pattern it compiles)
    lead = previous.strip()
    led = lead.endswith((":", '"', "“", "'", "«"))  # the line before ends as a lead-in does
    head = body[:60]
    low = head.lower()
    keyed = ":" in head
    if raw.kind == "rule":
        return inherited or Role.INSTRUCTION
    if len(body) < 200 and _NOISE_LINE.match(body) and _NOISE_HINT.search(low) and not _instructive_version(body):
        return Role.NOISE
    placeholders = _PLACEHOLDER.findall(body) if ("{" in body or "$" in body or "<<" in body or "[[" in body) else []
    if placeholders and _placeholder_share(body, placeholders) >= 0.4:
        return Role.TEMPLATE  # a slot the caller fills is sent whatever section it stands in
    if (placeholders or "{" in body or "<|" in body) and _is_scaffold(body, placeholders):  # what it needs
        return Role.TEMPLATE
    if placeholders and keyed and _worked_pair(body) and _has_slot(body):
        return Role.TEMPLATE  # "Question: {q}" / "Answer: think step by step": the scaffold the caller fills
    if inherited is Role.NOISE:
        return Role.NOISE
    if raw.kind == "blockquote" and inherited not in (Role.EXAMPLE, Role.OUTPUT):
        return Role.QUOTED
    if led and _QUOTING_LEAD.search(lead):
        return Role.QUOTED
    if (keyed and any(w in low for w in _RECORD_WORDS) and _RECORDED_QUERY.search(body)
            and all(_KEY_LINE.match(ln) for ln in body.split("\n") if ln.strip())):
        return Role.QUOTED  # a header of `key: value` lines recording the query that obtained the prompt
    if keyed and ('"' in body or "“" in body) and _RECORD_HEADER.match(body):
        return Role.QUOTED  # "Source: 'the text as recorded'"
    if keyed and any(w in low for w in _SELF_WORDS) and _SELF_LABELLED.match(body):
        return Role.INSTRUCTION
    if examples and _in_example(Span(raw.start, raw.end), examples, example_starts):
        return Role.EXAMPLE
    if (keyed and "_" in head and raw.kind == "paragraph"
            and all(_FIELD_LINE.match(ln) for ln in body.split("\n") if ln.strip()) and not _instructs(body)):
        return Role.EXAMPLE  # `narrative_input: what is the sum...?`: a sample record's field, not an instruction
    if raw.end >= last_end and previous and body.rstrip().endswith(":") and _ANSWER_SLOT.match(body.strip()):
        return Role.TEMPLATE  # "Translation:" closing the prompt: the slot the answer fills
    if raw.kind == "code":
        if inherited in (Role.EXAMPLE, Role.OUTPUT, Role.REFERENCE, Role.QUOTED, Role.TEMPLATE):
            return inherited
        if led and _EXAMPLE_LEAD.search(lead):
            return Role.EXAMPLE
        if (led and _FORMAT_LEAD.search(lead)) or _OUTPUT_SHAPE.found(lead):
            return Role.OUTPUT
        return Role.EXAMPLE if placeholders == [] and lead.endswith(":") else Role.REFERENCE
    if led and (_EXAMPLE_LEAD.search(lead) or _EXAMPLES_FOLLOW.search(lead)) and inherited is not Role.OUTPUT:
        return Role.EXAMPLE
    if inherited not in (Role.OUTPUT, Role.TEMPLATE, Role.QUOTED) and keyed and _worked_pair(body):
        # after "Use the following format:" the pair is the shape of the answer, not a demonstration
        return Role.OUTPUT if led and _FORMAT_LEAD.search(lead) else Role.EXAMPLE
    if (raw.kind == "list_item" and led and inherited not in (Role.EXAMPLE, Role.QUOTED, Role.TEMPLATE)
            and _SHAPE_LEAD.search(lead)):
        return Role.OUTPUT  # "Each entry can follow one of these formats:" and the formats it lists
    if inherited in (Role.EXAMPLE, Role.QUOTED, Role.TEMPLATE):
        return inherited
    if keyed and body[:1] in "UAHu" and _TURN.match(body):
        return Role.EXAMPLE
    if _PERSONA.match(body.lstrip("-*• ")):
        return Role.INSTRUCTION  # a persona opens the prompt's instructions, whatever it adds
    # `_instructs(body)` and the first sentence are asked for only where they decide the role
    if inherited is Role.REFERENCE:
        return Role.INSTRUCTION if _instructs(body) and _SECOND_PERSON.search(body) else Role.REFERENCE
    if (raw.kind == "paragraph" and body.count("\n") >= 2 and body.lstrip()[:1] not in "{["
            and ("<" in body or ";" in body or "{" in body) and not _is_imperative(body.lstrip())
            and code_share(body) >= 0.6):
        return Role.REFERENCE  # unfenced markup or code (a pasted page, a theme's CSS), not an output template
    first = _first_sentence(body)
    if inherited is Role.OUTPUT:
        return Role.CONSTRAINT if _constrains(first, body) and not _OUTPUT_WORDS.search(first) else Role.OUTPUT
    if _OUTPUT_SHAPE.found(body) or (raw.kind == "table" and _OUTPUT_WORDS.search(lead)):
        return Role.OUTPUT
    if raw.kind == "table":
        return Role.REFERENCE
    if _constrains(first, body):
        return Role.CONSTRAINT
    if _instructs(body) or _SECOND_PERSON.search(body):
        return inherited if inherited is Role.CONSTRAINT else Role.INSTRUCTION
    if inherited is Role.CONSTRAINT:
        return Role.CONSTRAINT
    if (after_example and raw.kind == "paragraph" and not led and "\n" not in body.strip()
            and len(_WORDS.findall(body)) <= 12):
        return Role.EXAMPLE  # "Therefore, the answer is 4.98.": the end of the worked example above it
    if len(body) >= 2 * 60 - 1 and len(_WORDS.findall(body)) >= 60:  # 60 words and the 59 gaps between them
        return Role.REFERENCE  # long prose that neither instructs nor speaks to the model: material
    return Role.INSTRUCTION


def _is_scaffold(body: str, placeholders: list[str]) -> bool:
    """Template scaffolding: a bare positional slot (`{}`), chat-format tokens around a role name
    (`<|start_header_id|>system<|end_header_id|>`), or a lead line whose every following line is a slot
    ("You generated the following code:" then `{{code}}`)."""
    stripped = body.strip()
    if stripped[:1] == "{" and _SLOT_ONLY.match(stripped):
        return True
    if "<|" in body:
        rest = _CHAT_TOKEN.sub(" ", body)
        if rest != body and len(_WORDS.findall(rest)) <= 2:
            return True
    if not placeholders:
        return False
    lines = [ln.strip() for ln in stripped.split("\n") if ln.strip()]
    # a short lead that only names the slot; a lead that instructs ("Return only JSON in this format:")
    # is an instruction with its slot
    return (len(lines) >= 2 and lines[0].endswith(":") and len(lines[0].split()) <= 8
            and not _is_imperative(lines[0]) and ". " not in lines[0]
            and all(not _PLACEHOLDER.sub("", ln).strip() for ln in lines[1:]))


def _has_slot(body: str) -> bool:
    """A slot the caller fills (`{q}`, `{{ q }}`, `${q}`, `<<q>>`); LaTeX (`$h`, `\\mathrm{MHz}`) has none."""
    return any((m.group()[:1] in "{<[" or m.group()[:2] == "${") and not body[m.start() - 1 : m.start()].isalpha()
               for m in _PLACEHOLDER.finditer(body))


def _worked_pair(body: str) -> bool:
    """An input and its answer written out ("Question: ... / Answer: ...", "Problem 2: ... / Explanation
    for Problem 2: ..."), or a numbered sample ("Question 1: ..." and more lines): a demonstration."""
    stripped = body.lstrip()
    if not _QA_IN.match(stripped):
        return False
    if "\n" in stripped.rstrip() and _NUMBERED_SAMPLE.match(stripped):
        return True
    return any(m.start() > 0 for m in _QA_OUT.finditer(stripped))


def _constrains(first: str, body: str) -> bool:
    """A limit or prohibition in the first sentence, said as an instruction (anywhere in the body) or to
    the model. Asked only where the answer decides the role."""
    return _CONSTRAINT.found(first) and (_instructs(body) or bool(_SECOND_PERSON.search(first)))


def is_imperative(line: str) -> bool:
    """Does the line open with an imperative verb (after a list marker, a bold label, "please")?"""
    return _is_imperative(line)


def _is_imperative(line: str) -> bool:
    m = _FIRST_WORD.match(line)
    return bool(m) and m.group(1).lower() in _VERBS


def _first_sentence(body: str) -> str:
    body = body.strip().lstrip("-*+•>0123456789.) \t")
    m = _SENTENCE_STOP.search(body)
    return body[: m.end()] if m else body.split("\n", 1)[0]


_SENTENCE_STOP = lazy_compile(r"[.!?](?:\s|$)")
_OBLIGATION = _Folded(r"\b(?:must|should|need to|have to|make sure|be sure|it is important)\b")


def _instructs(body: str) -> bool:
    return any(_is_imperative(line) for ln in body.split("\n") if (line := ln.strip())) or _OBLIGATION.found(body)


def _placeholder_share(body: str, placeholders: list[str]) -> float:
    words = len(_WORDS.findall(_PLACEHOLDER.sub(" ", body)))
    return len(placeholders) / max(1, len(placeholders) + words / 3)


def _in_example(span: Span, examples: list[Span], starts: list[int]) -> bool:
    i = bisect.bisect_right(starts, span.start) - 1
    return any(examples[j].overlaps(span) for j in range(max(0, i - 1), min(len(examples), i + 2)))
