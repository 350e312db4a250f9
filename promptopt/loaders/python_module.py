"""Python modules that keep prompts in code (`SYSTEM_PROMPT = \"\"\"...\"\"\"`), as many teams do
(MetaGPT, LangChain apps, camel-ai, LightRAG, gpt-researcher).

A string assigned to a name is a prompt when the name says so (prompt, template, instruction, system,
message, persona, preamble; the same test as YAML keys) and it has three words or more, or when it
spans several lines, is 200 characters or longer and reads as prose (at most 30% of its lines read as
code: a script kept in a string is not a prompt). Where it is read:
- module- and class-level assignments to a name, or to a string key of a dict (`PROMPTS["system"] = ...`:
  the key decides, or the dict's name when the key says nothing);
- in a function whose name says prompt (prompt, template, instruction, persona, preamble, backstory),
  what it returns; in any function, a variable whose name says so (`reference_prompt = f"..."`).
  `message` and `content` do not count inside functions: they name the error and log messages code builds.
The value may be a literal, an f-string, implicitly concatenated literals, a `+` join (an operand that
is not a literal stands as the placeholder `{operand}`), `"...".format(...)`, `"..." % x`, `.strip()`,
`dedent("...")` (the dedented text), or the first argument or `template=`/`content=`/`text=`... of a
call, when the call or the target names a prompt (`TextPrompt("...")`, `PromptTemplate(template=...)`,
`ChatPromptTemplate.from_template("...")`, `SystemMessage(content=...)`). Docstrings, log calls,
`raise` messages and other strings are never read. Each prompt is one document named after where it
stands (`SALES_ASSISTANT`, `Prompts.SYSTEM`, `PROMPTS.entity_extraction`, `Family.report_prompt()`). A
list or dict of messages assigned to a name that says prompt or message
(`example_messages = [dict(role="user", content="...")]`) is read too: each `content`-like string is a
document (`example_messages[0].content`).

`str.format` placeholders (`{name}`) are protected, and so are an f-string's `{expression}` parts:
the document's text is the literal as written between its quotes. A literal whose text stands in the
file as it reads (no backslash escapes, one literal, not implicitly concatenated) maps line for line,
so findings point at the right line and fixes edit inside the literal. A literal with backslash escapes
(`\\n`, a line continuation `\\` at the end of a line) is decoded piece by piece so that findings still
point at the line they are on, but it gets no fixes (an edit in the text is not an edit in the source);
an implicitly concatenated literal, a `+` join or a dedented literal is placed by anchors at each piece
and line, without fixes. Implicitly concatenated pieces may be f-strings (`f"..." f"..."`, mixed with
plain pieces): each piece's escapes are decoded, its fields and doubled braces stay as written.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass
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
    docs: list[PromptDocument] = []
    seen: dict[str, int] = {}
    for name, key, node in _candidates(tree):
        doc = _document(path, source, fmt, starts, name, key, node)
        if doc is None:
            continue
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # a function with several returns, a key assigned twice
            doc.name = f"{name}#{seen[name]}"
        docs.append(doc)
    return docs


# a function or a local variable is read when its name says prompt: narrower than PROMPT_KEY, whose
# `message` and `content` also name the error and log messages a function builds
_FUNCTION_KEY = lazy_compile(r"prompt|template|instruction|persona|preamble|backstory|system_message", re.I)
# wrappers that hand a string on as it is (`str.format`, `.strip()`): the literal is the prompt
_TEXT_METHODS = frozenset({"format", "format_map", "strip", "lstrip", "rstrip"})
# keyword arguments that carry a prompt's text into a constructor (`PromptTemplate(template=...)`)
_TEXT_ARGS = frozenset({"template", "content", "text", "prompt", "system_prompt", "instructions",
                        "instruction", "message", "system_message", "system"})


def _candidates(tree: ast.Module):
    """(dotted name, key that decides, value node) of each assignment or return that may hold a prompt:
    module- and class-level assignments to a name or to a string key (`PROMPTS["system"] = ...`), and in
    functions whose name or variable says prompt, returned strings and assigned ones."""
    def walk(body: list[ast.stmt], owner: str):
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                yield from walk(stmt.body, f"{owner}{stmt.name}.")
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from _in_function(stmt, owner)
            else:
                yield from _assigned(stmt, owner, PROMPT_KEY)
    yield from walk(tree.body, "")


def _assigned(stmt: ast.stmt, owner: str, key_test):
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
        targets, value = [stmt.target], stmt.value
    if len(targets) != 1:
        return
    target = targets[0]
    if isinstance(target, ast.Name):
        name = key = target.id
    elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
          and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str)):
        name, key = f"{target.value.id}.{target.slice.value}", target.slice.value
        if not key_test.search(key) and key_test.search(target.value.id):
            key = target.value.id  # PROMPTS["entity_extraction"]: the dict says what its values are
    else:
        return
    if key_test is not PROMPT_KEY and not key_test.search(key):
        return
    yield from _valued(f"{owner}{name}", key, value, bool(PROMPT_KEY.search(key)))


def _in_function(fn: ast.FunctionDef | ast.AsyncFunctionDef, owner: str):
    """A function whose name says prompt: what it returns; any function: variables named for a prompt."""
    named = bool(_FUNCTION_KEY.search(fn.name))
    for stmt in _statements(fn.body):
        if isinstance(stmt, ast.Return) and stmt.value is not None and named:
            yield from _valued(f"{owner}{fn.name}()", fn.name, stmt.value, True)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            yield from _assigned(stmt, f"{owner}{fn.name}().", _FUNCTION_KEY)


def _statements(body: list[ast.stmt]):
    """Statements of a function body, inside `if`/`for`/`with`/`try` too, but not of nested functions
    or classes (their names say what they hold)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield stmt
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, field_name, None)
            if isinstance(inner, list):
                yield from _statements([s for s in inner if isinstance(s, ast.stmt)] +
                                       [s for h in inner if isinstance(h, ast.ExceptHandler) for s in h.body])


def _valued(name: str, key: str, value: ast.expr, named: bool):
    text = _unwrap(value, named)
    if text is None:
        if named:
            # [{"role": ..., "content": ...}]: each string decided by its own key, as in a YAML file
            yield from ((n, n.rsplit(".", 1)[-1], node) for n, node in _strings_in(value, name))
        return
    node, callee = text
    if callee and not PROMPT_KEY.search(key):
        key = callee  # TextPrompt("..."): the wrapper says it is a prompt
    yield name, key, node


def _callee(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _unwrap(node: ast.expr, named: bool, depth: int = 0) -> tuple[ast.expr, str] | None:
    """The string expression a value carries, and the prompt-naming callee it came through ('' if none):
    a literal, `"a" + B + f"c"`, `"...".format(...)`, `"..." % x`, `dedent("...")`, `TextPrompt("...")`,
    `PromptTemplate(template="...")`. None for anything else (a call that computes text, a name)."""
    if depth > 4:
        return None
    if _is_literal(node):
        return node, ""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add) and any(_is_literal(leaf) for leaf in _add_leaves(node)):
            return node, ""
        if isinstance(node.op, ast.Mod) and _is_literal(node.left):
            return node.left, ""
        return None
    if not isinstance(node, ast.Call):
        return None
    callee = _callee(node.func)
    if isinstance(node.func, ast.Attribute) and callee in _TEXT_METHODS:
        return _unwrap(node.func.value, named, depth + 1)
    if callee == "dedent" and len(node.args) == 1:
        inner = _unwrap(node.args[0], named, depth + 1)
        return (ast.Call(func=node.func, args=[inner[0]], keywords=[]), inner[1]) if inner else None
    says = bool(PROMPT_KEY.search(callee))
    if not (named or says):
        return None
    arg = node.args[0] if node.args else next((kw.value for kw in node.keywords if kw.arg in _TEXT_ARGS), None)
    if arg is None:
        return None
    inner = _unwrap(arg, named or says, depth + 1)
    if inner is None:
        return None
    return inner[0], inner[1] or (callee if says else "")


def _add_leaves(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _add_leaves(node.left) + _add_leaves(node.right)
    return [node]


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


@dataclass
class _Text:
    """A prompt's text and how it maps to the source: line for line (`origins`) or by anchors."""

    text: str
    origins: list[int] | None
    anchors: list[tuple[int, int]]
    glued: list[int]
    offset: int  # source offset of the expression


def _document(path: Path, source: str, fmt: str, starts: list[int], name: str, key: str,
              node: ast.expr) -> PromptDocument | None:
    if _is_literal(node):
        found = _literal(source, starts, node)
    else:
        found = _composite(source, starts, node)
    if found is None:
        return None
    text = found.text
    if not is_prompt_value([key], text):
        return None
    if not PROMPT_KEY.search(key) and _code_like(text) > MAX_CODE_SHARE:
        return None  # a long string taken by its shape alone must read as prose: RUNNER = """import sys..."""
    return PromptDocument(path, source, text, fmt, name=name, line_origins=found.origins,
                          fallback_offset=found.offset, anchors=found.anchors, glued=found.glued)


def _span(source: str, starts: list[int], node: ast.expr) -> tuple[int, int]:
    start = starts[node.lineno - 1] + _char_col(source, starts[node.lineno - 1], node.col_offset)
    end = starts[node.end_lineno - 1] + _char_col(source, starts[node.end_lineno - 1], node.end_col_offset)
    return start, end


def _literal(source: str, starts: list[int], node: ast.expr) -> _Text | None:
    start, end = _span(source, starts, node)
    literal = source[start:end]
    body_start, body = _body(literal)
    anchors: list[tuple[int, int]] = []
    glued: list[int] = []
    if body is None:  # implicit concatenation or a form we do not take apart
        if not isinstance(node, ast.Constant):
            return _fstring_pieces(literal, start, node)
        text, origins = node.value, None
        anchors, glued = _pieces(literal, start, node.value)
    elif isinstance(node, ast.Constant) and body != node.value:  # escapes: the model sees other text
        text, origins = node.value, None
        anchors = _escape_anchors(body, start + body_start, node.value)
    else:
        text, origins = body, identity_origins(body, start + body_start)
    return _Text(text, origins, anchors, glued, start)


def _composite(source: str, starts: list[int], node: ast.expr) -> _Text | None:
    """`a + b` joins and `dedent(...)`: the text the model gets, placed by anchors (no fixes: an edit of
    the text is not an edit of the source). An operand that is not a literal stands as `{operand}`."""
    if isinstance(node, ast.Call):  # dedent(...), as _unwrap rebuilt it
        inner = node.args[0]
        found = _literal(source, starts, inner) if _is_literal(inner) else _composite(source, starts, inner)
        return _dedented(found) if found else None
    parts: list[_Text] = []
    literal: list[bool] = []
    for leaf in _add_leaves(node):
        inner = _unwrap(leaf, False)
        part = _literal(source, starts, inner[0]) if inner is not None and _is_literal(inner[0]) else None
        literal.append(part is not None)
        if part is None:
            start, _ = _span(source, starts, leaf)
            part = _Text("{" + ast.unparse(leaf) + "}", None, [], [], start)
        parts.append(part)
    text, anchors, glued = "", [], []
    for n, part in enumerate(parts):
        # glued only between two literals: an operand's own text (`{BASE}`) is not known here
        if n and literal[n - 1] and literal[n] and _GLUED.match(text[-1:] + part.text[:1]):
            glued.append(len(text))
        anchors.extend((len(text) + t, s) for t, s in _anchors_of(part))
        glued.extend(len(text) + g for g in part.glued)
        text += part.text
    return _Text(text, None, anchors, glued, parts[0].offset)


def _anchors_of(part: _Text) -> list[tuple[int, int]]:
    if part.origins is not None:
        return list(zip(identity_origins(part.text), part.origins, strict=True))
    return part.anchors or [(0, part.offset)]


def _dedented(part: _Text) -> _Text:
    """textwrap.dedent's text, each line anchored where its text starts in the source."""
    text = textwrap.dedent(part.text)
    old_lines, new_lines = part.text.split("\n"), text.split("\n")
    if len(old_lines) != len(new_lines):
        return _Text(text, None, [(0, part.offset)], [], part.offset)
    starts: list[tuple[int, int, int]] = []  # (old line start, new line start, indentation removed)
    old_at = new_at = 0
    for old, new in zip(old_lines, new_lines, strict=True):
        starts.append((old_at, new_at, len(old) - len(new)))
        old_at, new_at = old_at + len(old) + 1, new_at + len(new) + 1
    anchors = []
    for text_offset, source_offset in _anchors_of(part):
        index = bisect.bisect_right([old for old, _, _ in starts], text_offset) - 1
        old, new, removed = starts[index]
        if text_offset == old:  # a line start: its text begins after the indentation dedent removed
            anchors.append((new, source_offset + removed))
        else:
            anchors.append((new + max(0, text_offset - old - removed), source_offset))
    return _Text(text, None, anchors, [], part.offset)


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


def _fstring_pieces(literal: str, offset: int, node: ast.expr) -> _Text | None:
    """For `f"a{x}." f"b"` (implicit concatenation with f-strings among the pieces): the text, each
    piece's start and the glued joins, as `_pieces` finds them for plain literals. A piece's escapes are
    decoded (the model gets a line break for `\\n`); its `{expression}` fields and doubled braces stay
    as written, as in a single f-string's text. A join where either side is a field is not evidence of
    glued text (the field's value may start or end with a space), so it is never reported."""
    try:
        spans = _piece_spans(literal)
        line_starts = identity_origins(literal)
        pieces = [_rendered(literal[line_starts[a[0] - 1] + a[1] : line_starts[b[0] - 1] + b[1]]) for a, b in spans]
    except (tokenize.TokenError, SyntaxError, ValueError, IndexError):
        return None
    if not pieces or any(p is None for p in pieces) or "".join(p[3] for p in pieces) != _model_text(node):
        return None
    text, anchors, glued = "", [], []
    field_last = False  # the text so far ends with a field
    for ((row, col), _), (piece, field_first, field_at_end, _) in zip(spans, pieces, strict=True):
        if not piece:
            continue
        if text and not field_last and not field_first and _GLUED.match(text[-1] + piece[0]):
            glued.append(len(text))
        anchors.append((len(text), offset + line_starts[row - 1] + col))
        text += piece
        field_last = field_at_end
    return _Text(text, None, anchors, glued, offset)


def _piece_spans(literal: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (row, column) of each string literal among the tokens: a STRING token, or on
    Python 3.12+ an f-string from FSTRING_START to its FSTRING_END (strings nested in its fields skipped)."""
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    spans, depth, opened = [], 0, (0, 0)
    for tok in tokenize.generate_tokens(io.StringIO(literal).readline):
        if fstring_start is not None and tok.type == fstring_start:
            depth += 1
            if depth == 1:
                opened = tok.start
        elif fstring_end is not None and tok.type == fstring_end:
            depth -= 1
            if depth == 0:
                spans.append((opened, tok.end))
        elif tok.type == tokenize.STRING and depth == 0:
            spans.append((tok.start, tok.end))
    return spans


def _rendered(piece_source: str) -> tuple[str, bool, bool, str] | None:
    """One literal's text for the document, whether it starts and ends with a field, and the text with
    single braces (to check the pieces against the whole expression); None for bytes."""
    value = ast.parse(piece_source.strip(), mode="eval").body
    if isinstance(value, ast.Constant):  # a plain piece: its `{name}` is a str.format field, filled later
        if not isinstance(value.value, str):
            return None
        text = value.value
        return text, bool(_FIELD_FIRST.match(text)), bool(_FIELD_LAST.search(text)), text
    if not isinstance(value, ast.JoinedStr):
        return None
    parts = [(_braces_doubled(v.value), v.value) if isinstance(v, ast.Constant) else (_field(v),) * 2
             for v in value.values]
    fields = [not isinstance(v, ast.Constant) for v in value.values]
    return ("".join(p[0] for p in parts), bool(fields) and fields[0], bool(fields) and fields[-1],
            "".join(p[1] for p in parts))


_FORMAT_FIELD = r"\{[A-Za-z_][\w.\[\]]*(?:![rsa])?(?::[^{}\n]*)?\}"
_FIELD_FIRST = lazy_compile(_FORMAT_FIELD)
_FIELD_LAST = lazy_compile(r"(?<!\{)" + _FORMAT_FIELD + r"\Z")


def _model_text(node: ast.expr) -> str:
    """The text of a string expression with each field as `{expression}`, braces single."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(v.value if isinstance(v, ast.Constant) else _field(v) for v in node.values)


def _field(value: ast.expr) -> str:
    return "{" + ast.unparse(value.value) + "}" if isinstance(value, ast.FormattedValue) else "{}"


def _braces_doubled(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


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
        if seq == "\\\n":  # a line continuation: nothing reaches the text, which goes on on the next line
            anchors.append((out, offset + m.end()))
            continue
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
