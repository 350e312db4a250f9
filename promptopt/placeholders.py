"""Template placeholders of the syntaxes prompts use, found so they can be protected.

Jinja ``{{ x }}`` / ``{% ... %}`` / ``{# ... #}``, Mustache/Handlebars ``{{x}}`` ``{{#each}}``, semantic-kernel
``{{$x}}`` and ``{{plugin.fn $x}}``, prompty (Jinja) and Python ``str.format`` ``{x}``.
``str.format`` fields are only looked for in files that use no double-brace syntax, and only as identifiers,
so JSON examples (``{"a": 1}``) are not taken for placeholders.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from .core import Placeholder, Span
from .lazyre import lazy_compile

# `{` not after another `{`, checked once the `{` is matched (`(?<!\{\{)`), not before it: a pattern that
# opens with its `{` makes `re` skip to the next brace instead of trying every position of the text
_FORMAT_FIELD = lazy_compile(
    r"\{(?<!\{\{)([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_]\w*|\[[^\]\n{}]{0,100}\])*(?:![rsa])?"
    # a format spec as Python writes one ({x:>10}, {x:.2f}); `{event:1453}` in prose is literal text
    r"(?::(?:[^{}]?[<>=^])?[+\- ]?#?0?\d{0,2}[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?)?\}(?!\})"
)
_IDENT = lazy_compile(r"[A-Za-z_][\w.]*")

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


def delimited(text: str, opener: str, closer: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each `opener ... closer`, the shortest, left to right, without overlaps: what
    `re.finditer(opener + ".*?" + closer, re.S)` finds, in linear time. The regex retries from every
    opener to the end of the text when no closer follows (50 KB of `{` took minutes); here the first
    opener without a closer ends the search, since no later one has a closer either."""
    position = 0
    while (start := text.find(opener, position)) != -1:
        end = text.find(closer, start + len(opener))
        if end == -1:
            return
        position = end + len(closer)
        yield start, position


def _inner(raw: str) -> str:
    """`{{- name | upper -}}` -> `name | upper`."""
    return raw[2:-2].removeprefix("-").strip().removesuffix("-").strip()


class _Taken:
    """Non-overlapping spans, sorted: an overlap test in log time (a template has thousands)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        before = i > 0 and self.ends[i - 1] > start
        after = i < len(self.starts) and self.starts[i] < end
        return before or after

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def find_placeholders(text: str, allow_format: bool = True) -> list[Placeholder]:
    found: list[Placeholder] = []
    taken = _Taken()
    for opener, closer, syntax in (("{#", "#}", "jinja-comment"), ("{%", "%}", "jinja-block"), ("{{", "}}", "")):
        for start, end in delimited(text, opener, closer):
            if taken.overlaps(start, end):
                continue
            raw = text[start:end]
            if syntax:
                found.append(Placeholder("", Span(start, end), syntax, raw))
            else:
                inner = _inner(raw)
                found.append(Placeholder(_expr_name(inner), Span(start, end), "sk" if "$" in inner else "jinja", raw))
            taken.add(start, end)
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
