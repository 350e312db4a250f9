"""A tool the prompt tells the model to call that its own list of allowed tools does not name.

Agent prompts list the tools the model may use ("You may only use these tools: ...") and then, in a
workflow written later, call another one: a tool that was renamed, dropped or never granted. The model
either calls a tool that does not exist (an error on every run) or breaks the rule that limits it to
the list. Read: a restrictive list of tools ("only", "allowed", "available", "可用", "只能" near
"tools"/"工具", then the tool names, `code`-quoted or snake_case, on the lines that follow), and every
snake_case name elsewhere in the instructions that starts with the same verb as a listed tool
(`get_`, `create_`, `check_`...) but is not on the list. A template variable (`{{tool_calls}}`) is an
input the program fills in, not a call; a list item that explains one quoted value of a field (`-
"skipped": no tools were available`) is not a list of tools. A name is called only where the text calls
it: after "call", "use", "invoke", "run", "with" or "使用" ("check it with get_tracking"), before "(" or
"tool" (`get_tracking(id)`, "the get_tracking tool"), or opening a workflow step ("3. get_stats - fetch
the yearly figures"); a section or key of a JSON or YAML document the prompt describes ("refer to the
"financial_data" section of the plan") is not a call. It has no fix: add the tool to the list or
change the step.

Bad:

    You handle refunds. You may only call these tools:
    - `get_orders`, `get_customer`
    - `create_refund`

    1. Look the order up with get_orders.
    2. Check the delivery with get_tracking.

Good:

    You handle refunds. You may only call these tools:
    - `get_orders`, `get_customer`
    - `create_refund`, `get_tracking`

    1. Look the order up with get_orders.
    2. Check the delivery with get_tracking.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..gates import finditer, requires
from ..lazyre import lazy_compile
from ..segment import LIST_LINE
from ._examples import instruction_text

CODE = "PO605"
NAME = "tool-not-listed"
SEVERITY = Severity.WARNING
KIND = "risk"  # a workflow that calls a missing tool fails at run time; it is not a token saving
OPTIONS: dict = {}

_LIST_INTRO = lazy_compile(
    r"(?:\b(?:only|allowed|permitted|available)\b[^\n]{0,60}\btools?\b|\btools?\b[^\n]{0,40}\b(?:only|allowed|"
    r"permitted|available)\b|(?:只能|仅能|仅可|可用|允许)[^\n]{0,30}工具)[^\n]*$", re.I | re.M, guard=True)
# every finding follows a match of _LIST_INTRO in the prompt's text with its examples blanked to spaces
GATE = requires(_LIST_INTRO, blanked=True)
# ASCII boundaries: a name runs straight into CJK text ("使用create_simulation工具"); not a file name
_TOOL_NAME = lazy_compile(r"(?<![A-Za-z0-9_./-])([a-z][a-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9])(?![A-Za-z0-9_/-]|\.[A-Za-z])")
_QUOTED_NAME = lazy_compile(r"`([A-Za-z][\w.-]*)`")
# a list item that explains one quoted value of a field (`- "completed": ...`, a status or a label)
_VALUE_ITEM = lazy_compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+[\"'`][^\"'`\n]{1,40}[\"'`][ \t]*:")
# what closes a template variable (`{{tool_calls}}`, `{ tool_calls }`)
_TEMPLATE_SLOT = lazy_compile(r"[ \t]*\}")


def check(doc, ctx):
    text = instruction_text(doc)
    # every intro holds "tool" (no letter beyond ASCII folds to t, o or l) or 工具: most prompts have neither
    if "工具" not in text and "tool" not in text.lower():
        return
    for intro in finditer(_LIST_INTRO, text):  # = _LIST_INTRO.finditer(text)
        line_start = text.rfind("\n", 0, intro.start()) + 1
        if _VALUE_ITEM.match(text, line_start):
            continue  # `- "skipped": no tools were available`: one value of a field explained, not a tool list
        listed, end = _listed_tools(text, intro)
        if len(listed) < 3:
            continue
        verbs = {name.split("_", 1)[0] for name in listed if "_" in name}
        reported: set[str] = set()
        for m in _TOOL_NAME.finditer(text):
            name = m.group(1)
            span = Span(m.start(1), m.end(1))
            if (intro.start() <= m.start() < end or name in listed or name in reported
                    or name.split("_", 1)[0] not in verbs or doc.in_code(span)
                    or _in_template_slot(text, m) or not _called(text, m)):
                continue  # `{{tool_calls}}`: an input filled in by the program, not a call
            reported.add(name)
            list_span = Span(intro.start(), intro.end())
            yield ctx.report(doc, span,
                             f"`{name}` is called here, but the list of allowed tools (line "
                             f"{ctx.location(doc, list_span).line}) does not name it: add it to the list or use a "
                             "listed tool", tokens_saved=0, related=[list_span])
        return  # one list per prompt: a second list is another agent's


# what calls a name: a verb of calling right before it, "(" or "tool" right after it, or a workflow step
# that opens with it and says what it does
_CALL_BEFORE = lazy_compile(
    r"(?:\b(?:call|calls|calling|called|use|uses|using|invoke|invokes|invoking|run|runs|running|execute|executes|"
    r"executing|with|via|through|trigger|triggers)\s+(?:the\s+|a\s+|an\s+)?|调用|使用|用|通过|利用|执行)[`'\"]?$", re.I)
_CALL_AFTER = lazy_compile(r"[`'\"]?\s*(?:\(|(?:tools?|functions?)\b|工具|函数)", re.I)
_STEP_OPENING = lazy_compile(r"\s*(?:[-*+•]|\d{1,3}[.)])\s*[`'\"]?$")
_STEP_SAYS = lazy_compile(r"[`'\"]?\s*(?:[-–—]\s|[\u4e00-\u9fff])")


def _called(text: str, m: re.Match) -> bool:
    """Whether the text calls the name there, rather than naming a section, a key or a file."""
    before = text[text.rfind("\n", 0, m.start(1)) + 1 : m.start(1)]
    if _CALL_BEFORE.search(before) or _CALL_AFTER.match(text, m.end(1)):
        return True
    return bool(_STEP_OPENING.fullmatch(before)) and bool(_STEP_SAYS.match(text, m.end(1)))


def _in_template_slot(text: str, m: re.Match) -> bool:
    opened = text[max(m.start(1) - 4, 0) : m.start(1)].rstrip().endswith("{")
    return opened and bool(_TEMPLATE_SLOT.match(text, m.end(1)))


def _listed_tools(text: str, intro: re.Match) -> tuple[set[str], int]:
    """The tool names on the intro line and the list lines right after it; where the list ends."""
    names = _names(intro.group(0))
    pos = intro.end() + 1
    for line in text[pos:].split("\n"):
        if not LIST_LINE.match(line) and not (line.startswith((" ", "\t")) and line.strip()):
            break
        names |= _names(line)
        pos += len(line) + 1
    return names, pos


def _names(line: str) -> set[str]:
    quoted = set(_QUOTED_NAME.findall(line))
    return quoted | {m.group(1) for m in _TOOL_NAME.finditer(line)}
