"""CSV prompt libraries: a header row, then one prompt per row (awesome-chatgpt-prompts' `act,prompt`).

The prompt column is the one whose header names a prompt (prompt, template, instruction, system,
message, content, persona, preamble; the same test as YAML keys). Each row's prompt is one document
named `row N` (with the row's first column when that is a short title, `row 12 (Linux Terminal)`),
located at the row's line. A field whose text stands in the file as it reads (unquoted, or quoted
without doubled `""` quotes) maps line for line and can be fixed in place; any other field is reported
at its first line without fixes. A CSV with no prompt column holds no prompts: it is audited as
0 tokens, never skipped silently.
"""

from __future__ import annotations

from pathlib import Path

from ..core import LoadError, PromptDocument
from .build import finish, identity_origins
from .structured import PROMPT_KEY


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    rows = list(_rows(source))
    if not rows:
        return []
    header = [source[s:e].strip().strip('"') for s, e, _ in rows[0]]
    column = next((i for i, name in enumerate(header) if PROMPT_KEY.search(name.lower())), None)
    if column is None:
        return []
    docs = []
    for number, row in enumerate(rows[1:], start=1):
        if column >= len(row):
            continue
        start, end, quoted = row[column]
        raw = source[start:end]
        text = raw.replace('""', '"') if quoted else raw
        if not text.strip():
            continue
        origins = identity_origins(text, start) if text == raw else None
        title = source[row[0][0] : row[0][1]].replace('""', '"') if column != 0 else ""
        name = f"row {number} ({title})" if title and len(title) <= 60 and "\n" not in title else f"row {number}"
        docs.append(finish(PromptDocument(path, source, text, fmt, name=name, line_origins=origins,
                                          fallback_offset=start)))
    return docs


def _rows(source: str):
    """Rows of (content start, content end, quoted) per field, in file offsets (RFC 4180)."""
    pos, n = 0, len(source)
    row: list[tuple[int, int, bool]] = []
    while pos < n:
        if source[pos] == '"':
            start = pos + 1
            pos = start
            while True:
                close = source.find('"', pos)
                if close == -1:
                    raise LoadError(f"invalid CSV: a quoted field opened at offset {start - 1} never closes")
                if source.startswith('""', close):
                    pos = close + 2
                    continue
                break
            row.append((start, close, True))
            pos = close + 1
        else:
            start = pos
            while pos < n and source[pos] not in ',\r\n':
                pos += 1
            row.append((start, pos, False))
        if pos < n and source[pos] == ",":
            pos += 1
            if pos == n:
                row.append((pos, pos, False))
            continue
        if source.startswith("\r\n", pos):
            pos += 2
        elif pos < n and source[pos] in "\r\n":
            pos += 1
        elif pos < n:
            raise LoadError(f"invalid CSV: unexpected {source[pos]!r} after a quoted field at offset {pos}")
        yield row
        row = []
    if row:
        yield row
