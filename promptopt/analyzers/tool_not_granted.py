"""A tool the body of an agent config tells the model to use that the config's front matter does not grant.

Agent configs (Claude Code subagents, slash commands, skills) grant tools in YAML front matter
(`tools: Read, Grep, Glob`, `allowed-tools: [Bash(git:*), Read]`) and then, in the body, tell the agent
to use another one: "run the check with the Bash tool" under a read-only grant, "launch a subagent with
the Task tool" with no Task granted. The agent cannot call a tool it was not granted: the step fails or
is skipped on every run. Read: the front matter's `tools`, `allowed-tools` or `allowed_tools` (a
comma-separated string, a flow list or a block list; `Bash(git:*)` grants Bash; `*` grants all), then
every place in the body that names a tool as a tool, spelled as grants spell it: `Bash` in backquotes,
"the Write tool", a call (`Task(...)`, `Bash(...)`), "use Grep" for a name that is no English word, or
an `mcp__server__tool` name. A verb alone ("write the report") is not a tool: the model writes a report
as its answer. A sentence that forbids the tool ("never use Bash") agrees with the grant.

A step can also name the work instead of the tool (`promptopt/analyzers/_capabilities.py`): a ```bash
fence among the steps, "Run `npm test`", "Check git history", "the SHA-256 of the path" need a shell;
"search the web", "fetch the URL", "packages with known CVEs" need the web (or a shell, for `npm audit`).
Under a grant where no entry could do that work (read liberally: `bash`, `web_search`, any `mcp__` server
count), the agent skips the step or makes up its result: a read-only analyzer told to check git history
guesses what changed; a dependency auditor with no web tool cites CVEs from memory. Not steps: examples
and quoted material, sections for a human reader or for the answer's format (Usage, Installation,
Output format, What not to report), sentences that leave the work to the user or the orchestrator
("suggest running `npm audit`"), make it optional ("if available") or forbid it. A grant of function
definitions (`- name: get_weather`) is not a list of the agent's tools. One finding per missing tool,
at the first such step, naming the grant's line. It has no fix: grant the tool or change the step.

Bad:

    ---
    name: reviewer
    tools: Read, Grep, Glob
    ---
    Review the change. Run the test suite with the Bash tool before you answer.

Also bad (a step named by the work, not the tool):

    ---
    name: api-versioning-analyzer
    tools: Read, Glob, Grep
    ---
    2. **Check git history**: recent changes to the API files may reveal breaking changes.

Good:

    ---
    name: reviewer
    tools: Read, Grep, Glob, Bash
    ---
    Review the change. Run the test suite with the Bash tool before you answer.
"""

from __future__ import annotations

import re

from ..core import SegmentKind, Severity, Span
from ..lazyre import lazy_compile
from ._capabilities import missing_steps
from ._common import negated

CODE = "PO609"
NAME = "tool-not-granted"
SEVERITY = Severity.WARNING
KIND = "risk"  # a step that needs a tool the agent was not granted fails at run time; no token saving
OPTIONS: dict = {}

# Claude Code's built-in tools, spelled as grants spell them
_BUILTIN = ("Bash", "BashOutput", "KillShell", "Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "LS", "Task",
            "Agent", "Skill", "WebFetch", "WebSearch", "TodoWrite", "NotebookEdit", "NotebookRead", "SlashCommand",
            "ExitPlanMode")
# names that are also English words ("Read the file", "Task: ..."): a tool only when marked as one
_WORDS = {"Read", "Write", "Edit", "Task", "Agent", "Skill", "LS"}
_SAME_TOOL = {"Task": "Agent", "Agent": "Task"}  # Claude Code renamed Task to Agent

_FRONT = lazy_compile(r"\A\ufeff?---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.S)
_GRANT = lazy_compile(r"^(?:tools|allowed-tools|allowed_tools|allowedTools)[ \t]*:[ \t]*(.*)$", re.M)
_BLOCK_ITEM = lazy_compile(r"[ \t]*-[ \t]+(.*)")
_ENTRY = lazy_compile(r"[\"']?(mcp__[\w-]+|[A-Za-z][A-Za-z]*)")
_NAMES = "|".join(_BUILTIN)
_MENTION = lazy_compile(
    rf"(?<![\w.$/-])(?:`(?P<quoted>{_NAMES}|mcp__[\w-]+)`|(?P<mcp>mcp__[\w-]+)|(?P<name>{_NAMES})(?![\w-]))")
_TOOL_AFTER = lazy_compile(r"(?:\(|[ \t]+tools?\b)")
_USE_BEFORE = lazy_compile(r"\b(?:use|uses|using|call|calls|calling|invoke|invoking|run|via|with)\s+(?:the\s+)?$",
                           re.I)
# steps that can only be tool calls, in the imperative: starting a subagent needs Task (Agent), a skill needs Skill
_IMPERATIVE = r"(?:^|(?<=\n)|(?<=[.!?:,]\s)|(?<=\*\*)|(?<=\bthen\s))[ \t]*(?:(?:[-*+]|\d{1,3}[.)])[ \t]+)?(?:\*\*)?"
_ACTIONS = (
    ("Task", lazy_compile(_IMPERATIVE + r"(?P<act>(?:launch|spawn|invoke|dispatch)\s+(?:the\s+|a\s+|an\s+|another\s+)?"
                          r"(?:[\w{}-]+\s+){0,2}(?:sub-?agents?|agents?)\b)", re.I | re.M)),
    ("Skill", lazy_compile(_IMPERATIVE + r"(?P<act>invoke\s+(?:the\s+)?(?:[\w{}-]+\s+)?skill\b)", re.I | re.M)),
)
_MAPPING = lazy_compile(r"\w[ \t]*:(?:[ \t]|$)")
_PARENS = lazy_compile(r"\([^)]*\)")
_SENTENCE_START = lazy_compile(r"(?:[.!?:;]\s|\n)")


def check(doc, ctx):
    text = doc.text
    front = _FRONT.match(text)
    if not front:
        return
    grant = _GRANT.search(text, front.start(1), front.end(1))
    if not grant:
        return
    grant_value = _grant_value(text, grant, front.end(1))
    granted = _granted(grant_value)
    if granted is None or not granted:
        return  # no list of tool names: `*`, a variable or an empty grant leaves the agent every tool
    grant_span = Span(grant.start(), grant.end())
    grant_line = ctx.location(doc, grant_span).line
    reported: set[str] = set()
    for m in _MENTION.finditer(text, front.end()):
        name = m.group("quoted") or m.group("mcp") or m.group("name")
        if name in granted or _SAME_TOOL.get(name) in granted or name in reported:
            continue
        if m.group("name") and not _named_as_tool(text, m, name):
            continue
        if name.startswith("mcp__") and any(g.startswith(name) or name.startswith(g) for g in granted):
            continue  # `mcp__github` grants every tool of that server; `mcp__github__*` names one it grants
        if _in_other_config(doc, m):
            continue
        if _negated(text, m.start()):
            continue
        reported.add(name)
        yield ctx.report(doc, Span(m.start(), m.end()),
                         f"`{name}` is used here, but the front matter's tool grant (line {grant_line}) does not "
                         "list it: the agent cannot call it; grant it or change the step",
                         tokens_saved=0, related=[grant_span])
    for name, action in _ACTIONS:
        if name in granted or _SAME_TOOL.get(name) in granted or name in reported:
            continue
        for m in action.finditer(text, front.end()):
            span = Span(m.start("act"), m.end("act"))
            if doc.in_code(span) or _negated(text, m.start("act")):
                continue
            reported.add(name)
            yield ctx.report(doc, span,
                             f"\"{m.group('act')}\" needs the {name} tool, but the front matter's tool grant "
                             f"(line {grant_line}) does not list it: the agent cannot do this step; grant {name} or "
                             "change the step", tokens_saved=0, related=[grant_span])
            break
    if _MAPPING.search(_PARENS.sub("", grant_value)):
        return  # function definitions (`- name: get_weather`), not a list of the agent's tools
    for name, kind, span in missing_steps(doc, front.end(), grant_value):
        if name in reported or (name == "WebFetch" and "WebSearch" in reported):
            continue
        reported.add(name)
        step = text[span.start : span.end].strip(" \t*`")
        yield ctx.report(doc, span, _capability_message(kind, step, grant_line), tokens_saved=0,
                         related=[grant_span])


# per kind of step: what it needs, and what the agent does without it
_NEEDS = {
    "fence": ("running these commands needs a shell (the Bash tool)",
              "the agent cannot run them and will skip the step or make up their output"),
    "command": ("running a command needs a shell (the Bash tool)",
                "the agent cannot run it and will skip the step or make up its output"),
    "git": ("reading git history needs a shell (the Bash tool, for `git log`)",
            "the agent cannot read it and will skip the check or guess what changed"),
    "digest": ("computing a digest needs code execution (the Bash tool)",
               "the model cannot compute one in its head and will make it up"),
    "web": ("this needs the web (WebFetch or WebSearch)",
            "the agent cannot look it up and will skip the step or answer from memory"),
    "advisory": ("knowing which CVEs affect a dependency needs an advisory lookup (WebFetch or WebSearch, or Bash for "
                 "`npm audit` or `pip-audit`)", "the agent will cite CVEs from memory: missed, stale or made up"),
}


def _capability_message(kind: str, step: str, grant_line: int) -> str:
    needs, without = _NEEDS[kind]
    return (f"\"{step}\": {needs}, but the front matter's tool grant (line {grant_line}) has no such tool: {without}; "
            "grant the tool or change the step")


def _in_other_config(doc, m: re.Match) -> bool:
    """A mention inside a code block that is itself an agent config (a template for another agent)."""
    for seg in doc.segments_of(SegmentKind.CODE):
        if seg.span.start <= m.start() < seg.span.end:
            return bool(_GRANT.search(doc.text, seg.span.start, seg.span.end))
    return False


def _named_as_tool(text: str, m: re.Match, name: str) -> bool:
    """`Bash(...)`, "the Write tool"; "use Grep" for a name that is no English word."""
    if _TOOL_AFTER.match(text, m.end()):
        return True
    before = text[max(0, m.start() - 30) : m.start()]
    return name not in _WORDS and bool(_USE_BEFORE.search(before))


def _negated(text: str, pos: int) -> bool:
    """A sentence that forbids the tool before naming it ("Never use Bash", "do not call the Write tool")."""
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    starts = list(_SENTENCE_START.finditer(before))
    if starts:
        before = before[starts[-1].end() :]
    return negated(before)


def _grant_value(text: str, grant: re.Match, front_end: int) -> str:
    """The grant as one comma-separated string (a block list's items joined)."""
    value = grant.group(1).strip()
    if value.startswith(("'", '"')) and value.endswith(("'", '"')):
        value = value[1:-1]
    if value.startswith("["):
        value = value.strip("[]")
    elif not value:  # a block list on the lines below
        items = []
        for line in text[grant.end() + 1 : front_end].split("\n"):
            item = _BLOCK_ITEM.match(line)
            if not item:
                break
            items.append(item.group(1))
        value = ",".join(items)
    return value


def _granted(value: str) -> set[str] | None:
    if "*" in value.replace(":*", "") or "{" in value or "$" in value:
        return None
    names = set()
    for entry in re.split(r"[,\s]+(?![^()]*\))", value):
        m = _ENTRY.match(entry.strip())
        if m:
            names.add(m.group(1))
    return names
