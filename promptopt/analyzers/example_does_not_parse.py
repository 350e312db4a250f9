"""A JSON or YAML example that does not parse: the model copies the broken syntax.

An example or output template written as JSON (a ```json fence, or a block that starts with `{` or
`[` in an example or output section) or as YAML (a ```yaml fence) is what the model imitates; a missing
comma, a stray quote or a trailing comma there comes back in its answers, and the program that parses
them fails. Read: blocks whose text does not parse, when they are concrete data: schema notation
and templates (`...`, `<name>`, `{{ var }}`, `{var}`, bare type names such as `string`, comments) are
descriptions, not examples, and are left alone; so are a string wrapped over lines for the reader and
a block that holds a whole object and then more (an unclosed fence running on). The message gives the
parser's error and its line. It has no fix: only the author knows what the example meant.

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
# notation that makes a block a description or a template, not data to copy
_TEMPLATE = lazy_compile(
    r"\.\.\.|…|<[A-Za-z_][^<>\n]{0,40}>|\{\{|\{%|\{\s*[A-Za-z_][\w.]*\s*\}|\$\{?\w|//|/\*|#\s|\[\[|"
    r":\s*(?:string|number|integer|int|float|boolean|bool|str|array|object|null\s*\|)\b|\|\s*(?:string|null)\b"
    r"|\b(?:true|false)\s*/\s*(?:true|false)\b|\"\s*\|\s*\"|'[^'\n]*'\s*:", re.I)


def check(doc, ctx):
    text = doc.text
    if "{" not in text and "[" not in text and ":" not in text:
        return  # no JSON and no YAML here: no pattern compiled
    model = document_model(doc)
    for m in _FENCE.finditer(text) if ("```" in text or "~~~" in text) else ():
        lang, body = m.group(2).lower(), m.group(3)
        start = m.start(3)
        if lang in ("json", "jsonc", "json5") or (not lang and body.lstrip()[:1] in ("{", "[")):
            if lang in ("jsonc", "json5"):
                continue  # comments and trailing commas are allowed there
            yield from _check_json(doc, ctx, body, start)
        elif lang in ("yaml", "yml"):
            yield from _check_yaml(doc, ctx, body, start)
    for block in model.blocks:
        if block.kind != "paragraph" or block.role not in (Role.EXAMPLE, Role.OUTPUT):
            continue
        body = text[block.span.start : block.span.end]
        stripped = body.strip()
        if _LOOKS_JSON.match(stripped) and stripped[-1:] in ("}", "]") and not doc.in_code(block.span):
            yield from _check_json(doc, ctx, body, block.span.start)


def _check_json(doc, ctx, body: str, start: int):
    if not body.strip() or _TEMPLATE.search(body):
        return
    try:
        json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        if not isinstance(exc, json.JSONDecodeError):
            return  # a 5,000-digit number or 10,000 `[`: over a parser's bound, not a typo to correct
        if exc.msg.startswith(_NOT_BROKEN):
            return
        pos = exc.pos
        line = doc.line_col(doc.locate(start + pos))[0]
        reason = exc.msg
        yield ctx.report(doc, _first_line(doc.text, start), f"this JSON example does not parse ({reason} at line "
                         f"{line}): the model copies it; correct it", tokens_saved=0)


# "Extra data": a whole object and then more (an unclosed fence ran on into the text after it);
# "Invalid control character": a long string wrapped over lines for the reader
_NOT_BROKEN = ("Extra data", "Invalid control character")
# an unfenced block that opens like JSON data: `{`, or `[` before an object, a string or a number
_LOOKS_JSON = lazy_compile(r"\{|\[\s*[{\"\d-]")


def _check_yaml(doc, ctx, body: str, start: int):
    if not body.strip() or _TEMPLATE.search(body):
        return
    import yaml  # only when a prompt has a YAML example: the import costs more than a small audit

    front = _FRONT_MATTER.match(body)
    if front:  # `---` front matter and the document after it (a skill file, a prompty): only the YAML part
        body = front.group(1)
    try:
        # a YAML stream may hold several `---` documents; the bounded reader's limits hold here too (an
        # alias bomb in an example is not expanded)
        roots = [root for root in yaml.compose_all(body, Loader=bounded.yaml_loader()) if root is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = doc.line_col(doc.locate(start))[0] + (mark.line if mark is not None else 0)
        reason = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        yield ctx.report(doc, _first_line(doc.text, start), f"this YAML example does not parse ({reason} at line "
                         f"{line}): the model copies it; correct it", tokens_saved=0)
        return
    except RecursionError:
        return  # nested past the parser's bound: not a typo to correct
    try:
        bounded.check_nodes(roots)
        bounded.construct(roots)
    except LoadError:
        return  # over a limit (an alias bomb, a 5,000-digit number) or an odd tag: nothing the model copies


# front matter fenced by `---` lines, and whatever document follows it
_FRONT_MATTER = lazy_compile(r"\A\s*---[ \t]*\n(.*?)^---[ \t]*$", re.M | re.S)


def _first_line(text: str, start: int) -> Span:
    end = text.find("\n", start)
    return Span(start, len(text) if end == -1 else end)
