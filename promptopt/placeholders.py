"""Template placeholders of the syntaxes prompts use, found so they can be protected.

Jinja ``{{ x }}`` / ``{% ... %}`` / ``{# ... #}``, Mustache/Handlebars ``{{x}}`` ``{{#each}}``, semantic-kernel
``{{$x}}`` and ``{{plugin.fn $x}}``, prompty (Jinja) and Python ``str.format`` ``{x}``.
``str.format`` fields are only looked for in files that use no double-brace syntax, and only as identifiers,
so JSON examples (``{"a": 1}``) are not taken for placeholders.
"""

from __future__ import annotations

import re

from .core import Placeholder, Span

_JINJA_EXPR = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_JINJA_BLOCK = re.compile(r"\{%-?\s*(.*?)\s*-?%\}", re.S)
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_FORMAT_FIELD = re.compile(
    r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_]\w*|\[[^\]]*\])*(?:![rsa])?"
    # a format spec as Python writes one ({x:>10}, {x:.2f}); `{event:1453}` in prose is literal text
    r"(?::(?:[^{}]?[<>=^])?[+\- ]?#?0?\d{0,2}[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?)?\}(?!\})"
)
_IDENT = re.compile(r"[A-Za-z_][\w.]*")

# Jinja keywords and filters that are not variables a caller provides.
_NOT_VARIABLES = {"loop", "true", "false", "none", "True", "False", "None", "range", "not", "and", "or", "in", "is"}


def _expr_name(expr: str) -> str:
    """The variable an expression reads: `$input` -> input, `user.name | upper` -> user."""
    expr = expr.strip()
    if expr.startswith(("#", "/", "^", "!", ">", "else")):  # mustache sections, partials, comments
        return ""
    if expr.startswith("$"):
        return expr[1:].split()[0] if expr[1:].split() else ""
    # `{{plugin.function $arg}}`: semantic-kernel call; the argument is the variable
    sk_arg = re.search(r"\s\$(\w+)", expr)
    if sk_arg:
        return sk_arg.group(1)
    match = _IDENT.match(expr)
    if not match:
        return ""
    name = match.group(0).split(".")[0]
    return "" if name in _NOT_VARIABLES else name


def find_placeholders(text: str, allow_format: bool = True) -> list[Placeholder]:
    found: list[Placeholder] = []
    taken: list[Span] = []
    for match in _JINJA_COMMENT.finditer(text):
        span = Span(match.start(), match.end())
        found.append(Placeholder("", span, "jinja-comment", match.group(0)))
        taken.append(span)
    for match in _JINJA_BLOCK.finditer(text):
        span = Span(match.start(), match.end())
        if any(t.overlaps(span) for t in taken):
            continue
        found.append(Placeholder("", span, "jinja-block", match.group(0)))
        taken.append(span)
    for match in _JINJA_EXPR.finditer(text):
        span = Span(match.start(), match.end())
        if any(t.overlaps(span) for t in taken):
            continue
        inner = match.group(1)
        syntax = "sk" if "$" in inner else "jinja"
        found.append(Placeholder(_expr_name(inner), span, syntax, match.group(0)))
        taken.append(span)
    if allow_format and not found:
        for match in _FORMAT_FIELD.finditer(text):
            found.append(Placeholder(match.group(1), Span(match.start(), match.end()), "format", match.group(0)))
    found.sort(key=lambda p: p.span.start)
    return found


def variable_names(placeholders: list[Placeholder]) -> set[str]:
    return {p.name for p in placeholders if p.name}


def block_variables(placeholders: list[Placeholder]) -> set[str]:
    """Names bound inside the template (`{% for x in xs %}`, `{% set y = ... %}`): not inputs."""
    bound: set[str] = set()
    for p in placeholders:
        if p.syntax != "jinja-block":
            continue
        body = p.raw.strip("{%-} ")
        m = re.match(r"for\s+([\w\s,]+?)\s+in\s", body)
        if m:
            bound.update(n.strip() for n in m.group(1).split(","))
        m = re.match(r"(?:set|macro)\s+(\w+)", body)
        if m:
            bound.add(m.group(1))
    return bound
