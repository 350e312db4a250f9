"""A JSON or YAML example that does not parse: the model copies the broken syntax.

An example or output template written as JSON or YAML is what the model imitates; a missing comma, a
stray quote or a trailing comma there comes back in its answers, and the program that parses them fails.
Read as JSON: a ```json fence; a block that starts with `{"` or `[` in an example or output section, or
below a label line ("Example Response:", even over a blank line); a JSON value that opens on the line
after a label inside a paragraph or list item ("response:" then `{` ... `}`, up to the line that closes
it at the same indentation); a one-line object after a label (`Output: {"a": 1,}`). As YAML: a ```yaml
fence. Reported when the text does not parse and is concrete data: schema notation and templates
(`{{ var }}`, and outside string values `<name>`, a slot such as `<1-5>` or `<0 or 1>`, a key's whole value
written `<string, what it holds>` however long, `...`, `. . .` or
a vertical ellipsis (lone `.` on lines of their own: "the list goes on"), `{var}`,
`$var`, a key with an empty slot for its value (`"analysis":,`), bare type names such as `string`,
comments) are descriptions, not examples, and are left alone, as are a Python dict (`True`, `None`, a
triple-quoted `'''{text}'''` string: a block written in Python on purpose), an object whose keys are all
bare (JavaScript; bare keys beside quoted ones are a typo), a string wrapped over lines for the reader
and a block that holds a whole object and then more (an unclosed fence running on). Words in a string
value ("Well... see that spark?", a URL) are text, not notation. A sample the model reads rather than
writes is left alone: JSON under a label that names an input ("Example Messages:", "The input looks
like:") and not an output; a broken input teaches no output. One finding per example, at its first
error; one problem, one finding: the same error on the same text (string contents aside) in sibling
examples of one prompt is one finding at the first, naming every line. The message gives the parser's
error and its lines. A format template's unquoted slot (`"score": Your score (between 0 and 5)`,
`"confidence": confidence`) is fine where a number or a boolean goes: filled, it parses, and the rest of
the template is checked with the slot filled; an unquoted slot where a string goes (`"thought": your
thought`) is the defect, and the message names its keys. A fence with no language is read as JSON only
when it opens like JSON data (`{"`, `[{`): `{code contents}` in a plain-text format is a placeholder.
A `[`-block is read as JSON only when it opens like JSON data (a string, an object, a nested array, a number
or `true`/`false`/`null` ending at a comma or the bracket): a bracketed line of prose in a Markdown template
(`[1-2 sentence overview of the approach]`, `[List of risks]`) is a fill-in slot, not an array.
A slot inside a string (`"<a passage quoted from the policy>"`) is a string the model fills: the
JSON around it must still parse. It has no fix: only the author knows what the example meant.

Bad:

    Reply with JSON only, like this:

    ```json
    {"intent": "refund", "order_id": "A-1043" "urgent": true}
    ```

Good:

    Reply with JSON only, like this:

    ```json
    {"intent": "refund", "order_id": "A-1043", "urgent": true}
    ```
"""

from __future__ import annotations

import json
import re

from .. import bounded
from ..core import LoadError, Severity, Span
from ..document import Role, document_model
from ..lazyre import lazy_compile

CODE = "PO211"
NAME = "example-does-not-parse"
SEVERITY = Severity.WARNING
KIND = "risk"  # the model copies broken syntax
OPTIONS: dict = {}

_FENCE = lazy_compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)
# notation that makes a block a description or a template, not data to copy, wherever it stands...
# (`<name>`, and a slot that opens with a number or a range: `<1-5>`, `<0 or 1>`)
# A `<...>` that is a key's whole value is a slot the model fills, however long its description
# (`"key": <string, a concise title of the value field>,`, `"score": <1 if done, 0 if not, null if skipped>`).
_TEMPLATE = lazy_compile(r"\{\{|\{%|\[\[|\"\s*\|\s*\"")
# A `<...>` slot makes a block notation only outside string values: `"<Exact passage from the policy>"` is a
# string the model fills, and the block around it is JSON that must still parse.
_SLOT = lazy_compile(r"<[A-Za-z_][^<>\n]{0,40}>|<\d[^<>\n]{0,80}>|:[ \t]*<[^<>\n]{1,600}>[ \t]*(?:,|\}|$)",
                     re.I | re.M)
# ...and outside string values only: "it's not all that great...", a URL's `//`, "costs $5" or code's
# `f\"{name}\"` inside a string is text
_TEMPLATE_OUTSIDE = lazy_compile(
    r"\.\.\.|…|\.[ \t]+\.[ \t]+\.|(?m:^[ \t]*\.[ \t]*\n[ \t]*\.[ \t]*$)|"  # `. . .`, a vertical ellipsis
    r"//|/\*|#\s|\{\s*[A-Za-z_][\w.]*\s*\}|\$\{?\w|'[^'\n]*'\s*:|"
    r":\s*(?:string|number|integer|int|float|boolean|bool|str|array|object|null\s*\|)\b|\|\s*(?:string|null)\b"
    r"|\b(?:true|false)\s*/\s*(?:true|false)\b"
    r"|\"\s*:\s*[,}]", re.I)  # `"analysis":,`: a key with an empty slot for its value, a skeleton to fill
# a Python dict, not JSON gone wrong: Python's constants, or its triple-quoted strings (`"""{text}"""`),
# which JSON has no form for: a block written on purpose in Python
_PYTHON_LITERAL = lazy_compile(r"[:\[,]\s*(?:True|False|None)\b|\"\"\"|'''")
# a string value that holds words (not `"..."`, which stands for any value)
_PROSE_STRING = lazy_compile(r'"(?:[^"\\\n]|\\.)*[A-Za-z0-9](?:[^"\\\n]|\\.)*"')
_QUOTED_KEY = lazy_compile(r'"[^"\n]*"\s*:')
_BARE_KEY = lazy_compile(r"[{,]\s*[A-Za-z_]\w*\s*:")


def check(doc, ctx):
    yield from _one_per_error(doc, ctx, _errors(doc))


def _errors(doc):
    """(start of the example, parser's message, offset of the error, kind) of each example that does
    not parse."""
    text = doc.text
    if "{" not in text and "[" not in text and ":" not in text:
        return  # no JSON and no YAML here: no pattern compiled
    model = document_model(doc)
    for m in _FENCE.finditer(text) if ("```" in text or "~~~" in text) else ():
        lang, body = m.group(2).lower(), m.group(3)
        start = m.start(3)
        if lang in ("json", "jsonc", "json5") or (not lang and _LOOKS_JSON.match(body.lstrip())):
            if lang in ("jsonc", "json5") or _input_label(_label_before(text, m.start())):
                continue  # comments and trailing commas are allowed there; an input sample is read, not copied
            yield from _check_json(body, start)
        elif lang in ("yaml", "yml"):
            yield from _check_yaml(doc, body, start)
    for block in model.blocks:
        if block.kind not in ("paragraph", "list_item"):
            continue
        body = text[block.span.start : block.span.end]
        if "{" not in body and "[" not in body:
            continue  # no JSON value opens in it (each test below needs a `{` or `[`): before the code lookup
        if doc.in_code(block.span):
            continue
        stripped = body.strip()
        if (block.kind == "paragraph" and _LOOKS_JSON.match(stripped) and stripped[-1:] in ("}", "]")
                and (block.role in (Role.EXAMPLE, Role.OUTPUT) or _after_label(text, block.span.start))):
            if not _input_label(_label_before(text, block.span.start)):
                yield from _check_json(body, block.span.start)
            continue
        for start, end in _labelled_json(body):  # "Example JSON:" / "response:" and the object below it
            if not _input_label(_label_before(body, start)):
                yield from _check_json(body[start:end], block.span.start + start)


def _check_json(body: str, start: int):
    if not body.strip() or _is_notation(body) or not _opens_like_data(body):
        return
    try:
        json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        if not isinstance(exc, json.JSONDecodeError):
            return  # a 5,000-digit number or 10,000 `[`: over a parser's bound, not a typo to correct
        if exc.msg.startswith(_NOT_BROKEN):
            return
        if exc.msg.startswith("Expecting value"):
            slots = _bare_slots(body)
            if slots:  # a format template: a slot is a defect only where a string goes
                text_slots = [m for m in slots if not _NUMERIC_SLOT.search(m.group(1) + " " + m.group(2))]
                if not text_slots:  # `"score": Your score (1-5)` reads `"score": 4` once filled
                    yield from _check_filled(body, start, slots)
                    return
                m = text_slots[0]
                names = ", ".join(f'"{s.group(1)}"' for s in text_slots)
                verb = "holds" if len(text_slots) == 1 else "hold"
                yield (start, f"{names} {verb} unquoted text where a string goes ({m.group(2).strip()!r})",
                       start + m.start(2), "JSON")
                return
        yield start, exc.msg, start + exc.pos, "JSON"


# what a `[`-block must open with to be read as JSON data: `]`, a string, an object, a nested array, or a
# number, true, false or null that ends at a comma or the bracket. A bracketed line of prose in a Markdown
# template (`[1-2 sentence overview of the approach]`, `[List of risks]`) is a fill-in slot, not an array.
_ARRAY_DATA = lazy_compile(r'\[\s*(?:[\]"{\[]|(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\s*[,\]])')


def _opens_like_data(body: str) -> bool:
    stripped = body.lstrip()
    return not stripped.startswith("[") or bool(_ARRAY_DATA.match(stripped))


# `"key": words the model fills in`: a slot written bare where a JSON value goes (not a string, a number,
# an object, an array, true, false or null)
_BARE_SLOT = lazy_compile(r'"([^"\n]{1,60})"\s*:[ \t]*(?![\s"{\[\d-]|(?:true|false|null)\b)([^,\n}\]]{1,120})')
# a slot that stands for a number or a boolean: `"score": Your numerical score (between 0 and 5)`,
# `"confidence": confidence`; filled, it is JSON as it stands
_NUMERIC_SLOT = lazy_compile(
    r"\b(?:scores?|ratings?|numbers?|numerical|numeric|integer|int|float|counts?|confidence|probability|"
    r"percent(?:age)?|grades?|rank|true|false|boolean|bool)\b|\d+\s*(?:-|to|and)\s*\d+", re.I)


def _check_filled(body: str, start: int, slots: list[re.Match]):
    """The template with each number slot filled (`0`): what is left wrong is a real error."""
    filled, last = [], 0
    for m in slots:
        filled += [body[last : m.start(2)], "0"]
        last = m.end(2)
    filled.append(body[last:])
    text = "".join(filled)
    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError) and not exc.msg.startswith(_NOT_BROKEN):
            line_start = _line_offset(body, text.count("\n", 0, exc.pos))  # filling keeps the lines
            yield start, exc.msg, start + line_start, "JSON"


def _bare_slots(body: str) -> list[re.Match]:
    return list(_BARE_SLOT.finditer(body))


def _one_per_error(doc, ctx, errors):
    """One finding per problem: the same error (the same message on the same text, string contents
    aside) in sibling examples is one finding at the first, naming every line."""
    groups: dict[tuple, list[tuple[int, str, int, str]]] = {}
    for error in errors:
        start, reason, pos, kind = error
        groups.setdefault((kind, reason, _error_shape(doc.text, pos)), []).append(error)
    for (kind, reason, _), found in groups.items():
        start, _, pos, _ = found[0]
        lines = [doc.line_col(doc.locate(p))[0] for _, _, p, _ in found]
        where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"
        what = f"this {kind} example does not parse" if len(found) == 1 else (
            f"{len(found)} {kind} examples do not parse, each with the same error")
        yield ctx.report(doc, _first_line(doc.text, start), f"{what} ({reason} at {where}): the model copies "
                         f"{'it' if len(found) == 1 else 'them'}; correct {'it' if len(found) == 1 else 'each'}",
                         tokens_saved=0, related=[_first_line(doc.text, s) for s, _, _, _ in found[1:]])


_ANY_STRING = lazy_compile(r'"(?:[^"\\\n]|\\.)*"')


def _error_shape(text: str, pos: int) -> str:
    """The error's line and the line before it, string contents blanked: `"notes": "",` then `}` is the
    same trailing comma whatever the notes said."""
    line_start = text.rfind("\n", 0, pos) + 1
    prev_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    line_end = text.find("\n", pos)
    return _ANY_STRING.sub('""', text[prev_start : len(text) if line_end == -1 else line_end]).strip()


def _is_notation(body: str) -> bool:
    """A template, a schema, or another language's literal (`{name: 'x'}` in JavaScript, `True` in Python):
    not JSON gone wrong. Keys all bare is another language; bare keys beside quoted ones are a typo."""
    if _TEMPLATE.search(body):
        return True
    outside = _PROSE_STRING.sub('""', body)
    if _SLOT.search(outside) or _TEMPLATE_OUTSIDE.search(outside) or _PYTHON_LITERAL.search(outside):
        return True
    return bool(_BARE_KEY.search(outside)) and not _QUOTED_KEY.search(body)


# a line that ends in a label ("Example JSON:", "response:", "The input looks like:"), then a line that
# opens a JSON object or array; the value runs to the line that closes it at the same indentation
_LABEL_THEN_JSON = lazy_compile(r"^[^\n]{0,80}:[ \t]*\n([ \t]*)([{\[])[ \t]*(?:\n|(?=\"))", re.M)


# a label naming what the model is given, not what it answers
_INPUT_WORD = lazy_compile(r"\b(?:inputs?|messages?|conversations?|context|documents?|quer(?:y|ies)|questions?|"
                           r"requests?|transcripts?|data)\b", re.I)
_OUTPUT_WORD = lazy_compile(r"\b(?:outputs?|responses?|answers?|repl(?:y|ies)|results?|returns?|verdicts?|format)\b",
                            re.I)


def _label_before(text: str, start: int) -> str:
    """The last non-blank line before `start` (up to the line `start` is on), when it is a label."""
    line_start = text.rfind("\n", 0, start) + 1
    own = text[line_start:start]
    if own.strip():  # `Output: {...}`: the label is on the same line
        return own
    before = text[:line_start].rstrip()
    line = before[before.rfind("\n") + 1 :].strip()
    return line if line.endswith(":") and len(line) <= 80 else ""


def _input_label(label: str) -> bool:
    return bool(_INPUT_WORD.search(label)) and not _OUTPUT_WORD.search(label)


def _after_label(text: str, start: int) -> bool:
    """The last non-blank line before `start` is a label: "Example Response:" over a blank line."""
    before = text[:start].rstrip()
    line = before[before.rfind("\n") + 1 :]
    return line.endswith(":") and len(line) <= 80


def _labelled_json(body: str):
    """(start, end) in `body` of each JSON value that follows a label line."""
    for m in _LABEL_THEN_JSON.finditer(body):
        indent, opener = m.group(1), m.group(2)
        closer = "}" if opener == "{" else "]"
        close = re.compile(rf"^{re.escape(indent)}{re.escape(closer)}[ \t]*,?[ \t]*$", re.M).search(body, m.end())
        if close is None:
            continue
        end = close.end()
        if body[end - 1] == ",":
            end -= 1  # an item of a list that goes on: the comma is the list's, not the example's
        yield m.start(2), end
    for m in _LABEL_AND_JSON.finditer(body):  # Output: {"label": "spam",}
        yield m.start(1), m.end(1)


# a label and a one-line JSON object after it, on the same line
_LABEL_AND_JSON = lazy_compile(r"^[^\n{}\[\]\"]{1,60}:[ \t]*(\{\s*\"[^\n]*\})[ \t]*$", re.M)


# "Extra data": a whole object and then more (an unclosed fence ran on into the text after it);
# "Invalid control character": a long string wrapped over lines for the reader
_NOT_BROKEN = ("Extra data", "Invalid control character")
# an unfenced block that opens like JSON data: `{` before a key (not `{expression}`), or `[` before an
# object, a string or a number
_LOOKS_JSON = lazy_compile(r"\{\s*[\"}]|\[\s*[{\"\d-]")


def _check_yaml(doc, body: str, start: int):
    if not body.strip() or _TEMPLATE.search(body) or _SLOT.search(body) or _TEMPLATE_OUTSIDE.search(body):
        return
    import textwrap

    import yaml  # only when a prompt has a YAML example: the import costs more than a small audit

    # a fence inside a list item is indented as the item is: the example is the text without that indent
    # (line numbers stay, so an error's line maps back to the prompt)
    original = body
    body = textwrap.dedent(body)
    front = _FRONT_MATTER.match(body)
    first_line = 0
    if front:  # `---` front matter and the document after it (a skill file, a prompty): only the YAML part
        first_line = body.count("\n", 0, front.start(1))
        body = front.group(1)
    try:
        # a YAML stream may hold several `---` documents; the bounded reader's limits hold here too (an
        # alias bomb in an example is not expanded)
        roots = [root for root in yaml.compose_all(body, Loader=bounded.yaml_loader()) if root is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        offset = _line_offset(original, first_line + (mark.line if mark is not None else 0))
        reason = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        yield start, reason, start + offset, "YAML"
        return
    except RecursionError:
        return  # nested past the parser's bound: not a typo to correct
    try:
        bounded.check_nodes(roots)
        bounded.construct(roots)
    except LoadError:
        return  # over a limit (an alias bomb, a 5,000-digit number) or an odd tag: nothing the model copies


def _line_offset(body: str, line: int) -> int:
    """The offset in `body` where its line number `line` (from 0) starts."""
    offset = 0
    for _ in range(line):
        nl = body.find("\n", offset)
        if nl == -1:
            break
        offset = nl + 1
    return offset


# front matter fenced by `---` lines, and whatever document follows it
_FRONT_MATTER = lazy_compile(r"\A\s*---[ \t]*\n(.*?)^---[ \t]*$", re.M | re.S)


def _first_line(text: str, start: int) -> Span:
    end = text.find("\n", start)
    return Span(start, len(text) if end == -1 else end)
