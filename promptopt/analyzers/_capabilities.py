"""Steps in an agent config's body that only a tool can carry out, named by the work rather than the tool.

PO609 reads a body that names a tool (`Bash`, "the Write tool"); these cues read a body that names the
work: a shell command to run (a ```bash fence, "run `npm test`", "check git history", "the SHA-256 of the
path"), a lookup on the web ("search the web", "fetch the URL", "known CVEs"). Each belongs to a
capability with the grant entries that provide it, read liberally (`bash`, `run_command`, any `mcp__`
server for the web...): a finding only when nothing in the grant could do the work.

Not steps: text the document model reads as data (examples, quoted and reference material), sections for
a human reader or for the answer's format (Usage, Installation, Output format, What not to report),
sentences that hand the work to someone else (suggest, recommend, the user, the orchestrator), that make
it optional ("if available") or forbid it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..core import PromptDocument, SegmentKind, Span
from ..document import DATA_ROLES, document_model
from ..lazyre import lazy_compile
from ._common import negated

# a step in the imperative: at a line start (after a list marker and a bold label), or after a sentence end
_STEP = (r"(?:^|(?<=\n)|(?<=[.!?:]\s)|(?<=\bthen\s))[ \t]*(?:(?:[-*+]|\d{1,3}[.)])[ \t]+)?"
         r"(?:\*\*[^*\n]{1,60}\*\*:?[ \t]+)?(?:\*\*)?")
_CLI = (r"(?:git|npm|npx|pnpm|yarn|pip3?|pytest|python3?|gh|curl|wget|docker|make|cargo|go|node|uvx?|ruff|mypy|tsc"
        r"|eslint|jest|bun|deno|kubectl|terraform|poetry|bundle|rake|mvn|gradle|dotnet|composer|helm|aws|gcloud)")

_SHELL_CUES = (
    ("command", lazy_compile(_STEP + r"(?P<act>(?:run|execute|call|invoke|try|use)\s+(?:the\s+)?(?:command\s+)?`"
                             + _CLI + r"\s[^`\n]+`)", re.I | re.M)),
    ("git", lazy_compile(_STEP + r"(?P<act>(?:check|inspect|review|read|examine|search|analy[sz]e|use|consult|"
                         r"look\s+(?:at|through))\s+(?:the\s+)?(?:git\s+history|git\s+log|git\s+blame|commit\s+history|"
                         r"commit\s+log|recent\s+commits))\b", re.I | re.M)),
    # a digest the model cannot work out in its head: "the first 8 hex chars of SHA-256 of the path"
    ("digest", lazy_compile(r"(?P<act>\b(?:SHA-?(?:1|224|256|384|512)|MD5|CRC-?32)(?:\s+(?:hash|digest|checksum))?"
                            r"\s+of)\s", re.I)),
)
_SHELL_FENCE = lazy_compile(r"[ \t]*(?:```|~~~)[ \t]*(?:bash|sh|shell|zsh|console|shell-session|terminal)[ \t]*$",
                            re.I)
_WEB_CUES = (
    ("web", lazy_compile(_STEP + r"(?P<act>(?:search|browse)\s+(?:the\s+)?(?:web|internet|online)\b|"
                         r"(?:do|perform|run|conduct)\s+(?:an?\s+)?(?:targeted\s+|quick\s+)?(?:web|online|internet)\s+"
                         r"searche?s?\b|look\s+up\s+[^.\n]{0,40}?\bonline\b|"
                         r"(?:fetch|retrieve|visit|open|browse|download)\s+(?:the\s+|each\s+|every\s+|a\s+)?"
                         r"(?:target\s+)?(?:urls?|web\s?pages?|websites?|links)\b|"
                         r"(?:check|consult|query|search)\s+(?:the\s+)?(?:NVD|OSV|CVE\s+database|advisory\s+databases?|"
                         r"GitHub\s+advisor(?:y|ies)|security\s+advisories))", re.I | re.M)),
    # what only an advisory source knows: the agent will cite CVEs from memory
    ("advisory", lazy_compile(r"(?P<act>\bknown\s+(?:CVEs?|vulnerabilities)\b|"
                              r"\bCVE\s+(?:numbers?|IDs?|identifiers?)\b)", re.I)),
)
# grant entries that can do the work, read liberally: a finding only when none could
_SHELL_GRANT = lazy_compile(r"bash|shell|terminal|exec|command|python|code|repl|interpreter|sandbox|\brun", re.I)
_WEB_GRANT = lazy_compile(r"web|fetch|search|brows|http|url|internet|crawl|scrap|curl|mcp__|exa|tavily|perplexity|"
                          r"context7", re.I)

# sections written for a human reader, for the answer's format, or listing what not to do
_NOT_STEPS = lazy_compile(r"\b(?:usage|install\w*|setup|set up|getting started|quick\s?start|prerequisites?|"
                          r"examples?|output|report|template|format|response|not|never|don'?t|avoid|anti-?patterns?|"
                          r"mistakes|bad|wrong)\b", re.I)
# a sentence that hands the work to someone else or makes it optional
_OTHERS = lazy_compile(r"\b(?:suggest\w*|recommend\w*|advise[sd]?|advising|tell|ask|user|users|human|orchestrator|"
                       r"caller|parent|main agent|if available|if possible|when available|if present|if you have|"
                       r"e\.g\.|for example|such as)\b", re.I)
_HUMAN_INTRO = lazy_compile(r"\b(?:usage|install\w*|setup|example|output|looks like|like this)\b", re.I)
_FORBIDS = lazy_compile(r"[ \t]*(?:(?:[-*+]|\d{1,3}[.)])[ \t]+)?(?:\*\*)?(?:do\s+not|don'?t|never|avoid)\b", re.I)
_CLAUSE = lazy_compile(r"[,;()]")
_SENTENCE_END = lazy_compile(r"[.!?](?:\s|$)|\n\s*\n|\n[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]")


def missing_steps(doc: PromptDocument, body_start: int, grant_value: str) -> Iterator[tuple[str, str, Span]]:
    """(tool, kind of step, span of the step) for the first step of each capability the grant lacks."""
    shell = bool(_SHELL_GRANT.search(grant_value))
    if not shell:
        steps = [s for s in (_first_fence(doc, body_start), _first_step(doc, body_start, _SHELL_CUES)) if s]
        if steps:
            kind, span = min(steps, key=lambda s: s[1].start)
            yield "Bash", kind, span
    if not shell and not _WEB_GRANT.search(grant_value):
        step = _first_step(doc, body_start, _WEB_CUES)
        if step:
            yield "WebFetch", step[0], step[1]


def _first_step(doc: PromptDocument, start: int, cues) -> tuple[str, Span] | None:
    found = []
    for kind, cue in cues:
        for m in cue.finditer(doc.text, start):
            span = Span(m.start("act"), m.end("act"))
            if _is_step(doc, span):
                found.append((kind, span))
                break
    return min(found, key=lambda s: s[1].start) if found else None


def _first_fence(doc: PromptDocument, start: int) -> tuple[str, Span] | None:
    """A shell fence among the body's steps (a fence nested in another is part of that one, not a segment)."""
    for seg in doc.segments_of(SegmentKind.CODE):
        if seg.span.start < start:
            continue
        first_line = doc.text[seg.span.start : doc.text.find("\n", seg.span.start)]
        if _SHELL_FENCE.match(first_line):
            span = Span(seg.span.start, seg.span.start + len(first_line))
            if _is_step(doc, span, fence=True):
                return "fence", span
    return None


def _is_step(doc: PromptDocument, span: Span, fence: bool = False) -> bool:
    model = document_model(doc)
    if not fence and (doc.in_code(span) or model.role_at(span) in DATA_ROLES):
        return False
    if any(_NOT_STEPS.search(title) for _, title in model.headings_above(span.start)):
        return False
    if fence:  # the line that introduces it: "Never run:" forbids, "List what has not been applied:" does not
        sentence = _sentence_before(doc.text, span.start)
        return not (_OTHERS.search(sentence) or _HUMAN_INTRO.search(sentence) or _FORBIDS.match(sentence))
    sentence = _sentence_of(doc.text, span)
    before = sentence[: sentence.find(doc.text[span.start : span.end])]
    before = _CLAUSE.split(before)[-1]  # "the name without extension, and the SHA-256 of": not negated
    return not (_OTHERS.search(sentence) or negated(before))


def _sentence_of(text: str, span: Span) -> str:
    starts = list(_SENTENCE_END.finditer(text, max(0, span.start - 300), span.start))
    begin = starts[-1].end() if starts else text.rfind("\n", 0, span.start) + 1
    end = _SENTENCE_END.search(text, span.end)
    return text[begin : end.start() if end else len(text)]


def _sentence_before(text: str, pos: int) -> str:
    """The prose line that introduces a fence (the last non-blank line above it)."""
    lines = text[max(0, pos - 400) : pos].rstrip().split("\n")
    return lines[-1] if lines else ""
