"""Python modules that keep prompts as string constants (`SYSTEM_PROMPT = \"\"\"...\"\"\"`), as many
teams do (MetaGPT, LangChain apps).

A string assigned to a name is a prompt when the name says so (prompt, template, instruction, system,
message, persona, preamble; the same test as YAML keys) and it has three words or more, or when it
spans several lines, is 200 characters or longer and reads as prose (at most 30% of its lines read as
code: a script kept in a string is not a prompt). Module and class level assignments are read;
docstrings, function bodies and other strings are not. Each prompt is one document named after its
variable (`SALES_ASSISTANT`, `Prompts.SYSTEM`).

`str.format` placeholders (`{name}`) are protected, and so are an f-string's `{expression}` parts:
the document's text is the literal as written between its quotes. A literal whose text stands in the
file as it reads (no backslash escapes, one literal, not implicitly concatenated) maps line for line,
so findings point at the right line and fixes edit inside the literal; any other literal is reported at
its first line without fixes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ..core import LoadError, PromptDocument
from ..segment import code_share
from .build import finish, identity_origins
from .structured import PROMPT_KEY, is_prompt_value

MAX_CODE_SHARE = 0.3
# Python statements, which the markup/code test of `segment` (braces, tags, semicolons) does not see
_PY_STATEMENT = re.compile(
    r"^\s*(?:(?:import|from|def|class|if|elif|else|for|while|try|except|finally|with|return|raise)\b.*"
    r"|[\w.\[\]\"', ]+\s*[-+*/]?=\s*\S.*|\w[\w.]*\(.*\)\s*)$")

_PREFIX = re.compile(r"[rRbBuUfF]{0,2}")


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise LoadError(f"invalid Python: line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(f"invalid Python: {exc}") from None
    starts = identity_origins(source)
    docs: list[PromptDocument] = []
    for name, node in _assignments(tree):
        doc = _document(path, source, fmt, starts, name, node)
        if doc is not None:
            docs.append(finish(doc))
    return docs


def _assignments(tree: ast.Module):
    """(dotted name, value node) of each module- and class-level assignment of a string."""
    def walk(body: list[ast.stmt], owner: str):
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                yield from walk(stmt.body, f"{owner}{stmt.name}.")
                continue
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            if isinstance(value, (ast.Constant, ast.JoinedStr)) and len(targets) == 1:
                target = targets[0]
                if isinstance(target, ast.Name):
                    yield f"{owner}{target.id}", value
    yield from walk(tree.body, "")


def _document(path: Path, source: str, fmt: str, starts: list[int], name: str,
              node: ast.expr) -> PromptDocument | None:
    if isinstance(node, ast.Constant) and not isinstance(node.value, str):
        return None
    start = starts[node.lineno - 1] + _char_col(source, starts[node.lineno - 1], node.col_offset)
    end = starts[node.end_lineno - 1] + _char_col(source, starts[node.end_lineno - 1], node.end_col_offset)
    literal = source[start:end]
    body_start, body = _body(literal)
    if body is None:  # implicit concatenation or a form we do not take apart
        if not isinstance(node, ast.Constant):
            return None
        text, origins = node.value, None
    elif isinstance(node, ast.Constant) and body != node.value:  # escapes: the model sees other text
        text, origins = node.value, None
    else:
        text, origins = body, identity_origins(body, start + body_start)
    short = name.rsplit(".", 1)[-1]
    if not is_prompt_value([short], text):
        return None
    if not PROMPT_KEY.search(short) and _code_like(text) > MAX_CODE_SHARE:
        return None  # a long string taken by its shape alone must read as prose: RUNNER = """import sys..."""
    return PromptDocument(path, source, text, fmt, name=name, line_origins=origins, fallback_offset=start)


def _body(literal: str) -> tuple[int, str | None]:
    """Offset and text between the quotes of one string literal; None when it is several literals."""
    prefix = _PREFIX.match(literal).group(0)
    rest = literal[len(prefix):]
    for quote in ('"""', "'''", '"', "'"):
        if rest.startswith(quote) and rest.endswith(quote) and len(rest) >= 2 * len(quote):
            inner = rest[len(quote) : len(rest) - len(quote)]
            if quote in inner:
                return 0, None  # "a" "b": two literals joined
            return len(prefix) + len(quote), inner
    return 0, None


def _char_col(source: str, line_start: int, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; offsets here count characters."""
    line_end = source.find("\n", line_start)
    line = source[line_start : len(source) if line_end == -1 else line_end]
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _code_like(text: str) -> float:
    lines = [line for line in text.split("\n") if line.strip()]
    python = sum(bool(_PY_STATEMENT.match(line)) for line in lines) / len(lines) if lines else 0.0
    return max(python, code_share(text))
