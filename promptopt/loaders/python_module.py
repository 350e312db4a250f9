"""Python modules that keep prompts as string constants (`SYSTEM_PROMPT = \"\"\"...\"\"\"`), as many
teams do (MetaGPT, LangChain apps).

A string assigned to a name is a prompt when the name says so (prompt, template, instruction, system,
message, persona, preamble; the same test as YAML keys) and it has three words or more, or when it
spans several lines, is 200 characters or longer and reads as prose (at most 30% of its lines read as
code: a script kept in a string is not a prompt). Module and class level assignments are read;
docstrings, function bodies and other strings are not. Each prompt is one document named after its
variable (`SALES_ASSISTANT`, `Prompts.SYSTEM`). A list or dict of messages assigned to a name that
says prompt or message (`example_messages = [dict(role="user", content="...")]`) is read too: each
`content`-like string is a document (`example_messages[0].content`).

`str.format` placeholders (`{name}`) are protected, and so are an f-string's `{expression}` parts:
the document's text is the literal as written between its quotes. A literal whose text stands in the
file as it reads (no backslash escapes, one literal, not implicitly concatenated) maps line for line,
so findings point at the right line and fixes edit inside the literal. A literal with backslash escapes
(`\\n`, a line continuation `\\` at the end of a line) is decoded piece by piece so that findings still
point at the line they are on, but it gets no fixes (an edit in the text is not an edit in the source);
an implicitly concatenated literal is reported at its first line without fixes.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from ..core import LoadError, PromptDocument
from ..lazyre import lazy_compile
from ..segment import code_share
from .build import finish, identity_origins
from .structured import PROMPT_KEY, is_prompt_value

MAX_CODE_SHARE = 0.3
# Python statements, which the markup/code test of `segment` (braces, tags, semicolons) does not see
_PY_STATEMENT = lazy_compile(
    r"^\s*(?:(?:import|from|def|class|if|elif|else|for|while|try|except|finally|with|return|raise)\b.*"
    r"|[\w.\[\]\"', ]+\s*[-+*/]?=\s*\S.*|\w[\w.]*\(.*\)\s*)$")

_PREFIX = lazy_compile(r"[rRbBuUfF]{0,2}")


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    return [finish(doc) for doc in _documents(path, source, fmt)]


def count_prompts(path: Path, source: str) -> int:
    """How many prompts the module holds, without segmenting them (discovery asks this of every .py)."""
    return len(_documents(path, source, "python"))


def _documents(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise LoadError(f"invalid Python: line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(f"invalid Python: {exc}") from None
    starts = identity_origins(source)
    found = (_document(path, source, fmt, starts, name, node) for name, node in _assignments(tree))
    return [doc for doc in found if doc is not None]


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
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                continue
            name = f"{owner}{targets[0].id}"
            if isinstance(value, (ast.Constant, ast.JoinedStr)):
                yield name, value
            elif PROMPT_KEY.search(targets[0].id):
                yield from _strings_in(value, name)  # MESSAGES = [{"role": "system", "content": "..."}]
    yield from walk(tree.body, "")


def _strings_in(node: ast.expr, name: str, depth: int = 0):
    """(name, string node) inside a list, tuple or dict literal (or `dict(...)`) of prompt messages."""
    if depth > 4:
        return
    if isinstance(node, (ast.Constant, ast.JoinedStr)) and depth:
        yield name, node
    elif isinstance(node, (ast.List, ast.Tuple)):
        for i, item in enumerate(node.elts):
            yield from _strings_in(item, f"{name}[{i}]", depth + 1)
    elif isinstance(node, ast.Dict):
        for key, item in zip(node.keys, node.values, strict=False):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield from _strings_in(item, f"{name}.{key.value}", depth + 1)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        for kw in node.keywords:
            if kw.arg:
                yield from _strings_in(kw.value, f"{name}.{kw.arg}", depth + 1)


def _document(path: Path, source: str, fmt: str, starts: list[int], name: str,
              node: ast.expr) -> PromptDocument | None:
    if isinstance(node, ast.Constant) and not isinstance(node.value, str):
        return None
    start = starts[node.lineno - 1] + _char_col(source, starts[node.lineno - 1], node.col_offset)
    end = starts[node.end_lineno - 1] + _char_col(source, starts[node.end_lineno - 1], node.end_col_offset)
    literal = source[start:end]
    body_start, body = _body(literal)
    anchors: list[tuple[int, int]] = []
    glued: list[int] = []
    if body is None:  # implicit concatenation or a form we do not take apart
        if not isinstance(node, ast.Constant):
            return None
        text, origins = node.value, None
        anchors, glued = _pieces(literal, start, node.value)
    elif isinstance(node, ast.Constant) and body != node.value:  # escapes: the model sees other text
        text, origins = node.value, None
        anchors = _escape_anchors(body, start + body_start, node.value)
    else:
        text, origins = body, identity_origins(body, start + body_start)
    short = name.rsplit(".", 1)[-1]
    if not is_prompt_value([short], text):
        return None
    if not PROMPT_KEY.search(short) and _code_like(text) > MAX_CODE_SHARE:
        return None  # a long string taken by its shape alone must read as prose: RUNNER = """import sys..."""
    return PromptDocument(path, source, text, fmt, name=name, line_origins=origins, fallback_offset=start,
                          anchors=anchors, glued=glued)


def _pieces(literal: str, offset: int, value: str) -> tuple[list[tuple[int, int]], list[int]]:
    """For `"a" "b"` (implicit concatenation): where each piece starts (text offset, source offset), and
    the text offsets where two pieces meet glued (a word or a sentence end against a word, no space)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(literal).readline) if t.type == tokenize.STRING]
        parts = [(t, ast.literal_eval(t.string)) for t in tokens]
    except (tokenize.TokenError, SyntaxError, ValueError):
        return [], []
    if not all(isinstance(v, str) for _, v in parts) or "".join(v for _, v in parts) != value:
        return [], []
    line_starts = identity_origins(literal)
    anchors, glued, out = [], [], 0
    for n, (tok, piece) in enumerate(parts):
        row, col = tok.start
        anchors.append((out, offset + line_starts[row - 1] + col))
        if n and out and _GLUED.match(value[out - 1 : out + 1]):
            glued.append(out)
        out += len(piece)
    return anchors, glued


# a sentence end or a word against the next word with no space: "stopwords.-----", "output.If", "Example:Text"
_GLUED = lazy_compile(r"[.!?:;,][A-Za-z0-9{(=-]|[a-z})][A-Z]")


_ESCAPE = lazy_compile(r"\\(?:\n|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[0-7]{1,3}|.)", re.S)
_SINGLE = set("\\'\"abfnrtv")


def _escape_anchors(body: str, offset: int, value: str) -> list[tuple[int, int]]:
    """(text offset, source offset) of the start of each line of the decoded text, so a finding on an
    escaped literal points at its line; [] when the decoding here does not reproduce Python's."""
    anchors, out, pos = [(0, offset)], 0, 0
    for m in _ESCAPE.finditer(body):
        out, pos = _plain(body, pos, m.start(), out, offset, anchors), m.end()
        seq = m.group(0)
        if seq == "\\\n":
            continue  # a line continuation: nothing reaches the text
        out += 1 if (seq[1] in _SINGLE or seq[1] in "xuUN01234567") else len(seq)
        if seq == "\\n":
            anchors.append((out, offset + m.end()))
    out = _plain(body, pos, len(body), out, offset, anchors)
    return anchors if out == len(value) else []


def _plain(body: str, start: int, end: int, out: int, offset: int, anchors: list[tuple[int, int]]) -> int:
    """Copy body[start:end] (no escapes in it) to the text count, anchoring each line it starts."""
    for i in range(start, end):
        out += 1
        if body[i] == "\n":
            anchors.append((out, offset + i + 1))
    return out


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
