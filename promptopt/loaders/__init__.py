"""Read a prompt file into `PromptDocument`s: one loader module per format, chosen by file name.

`read_text` turns every kind of bad input (binary, invalid UTF-8, empty, huge, unreadable, a
symlink loop) into a `LoadError` whose message names the reason; the audit reports it and goes on.
"""

from __future__ import annotations

import errno
from pathlib import Path

from ..core import LoadError, PromptDocument
from . import chat_json, chatml, csv_prompts, prompty, python_module, text, yaml_prompts

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# suffix -> (format name, loader)
LOADERS = {
    ".txt": ("text", text.load),
    ".prompt": ("text", text.load),
    ".md": ("markdown", text.load),
    ".markdown": ("markdown", text.load),
    ".j2": ("jinja", text.load),
    ".jinja": ("jinja", text.load),
    ".jinja2": ("jinja", text.load),
    ".prompty": ("prompty", prompty.load),
    ".chatml": ("chatml", chatml.load),
    ".json": ("json", chat_json.load),
    ".yaml": ("yaml", yaml_prompts.load),
    ".yml": ("yaml", yaml_prompts.load),
    ".py": ("python", python_module.load),
    ".csv": ("csv", csv_prompts.load),
}
PROMPT_SUFFIXES = frozenset(LOADERS)


def format_of(path: Path) -> str | None:
    entry = LOADERS.get(path.suffix.lower())
    return entry[0] if entry else None


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise LoadError("not a regular file")
        if size > max_bytes:
            raise LoadError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (max-file-size)")
        data = path.read_bytes()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError("symbolic link loop") from None
        raise LoadError(exc.strerror or str(exc)) from None
    return decode(data)


def decode(data: bytes) -> str:
    if not data.strip():
        raise LoadError("empty file")
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (NUL bytes)")
    try:
        text_ = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"invalid UTF-8 at byte {exc.start}") from None
    return text_.removeprefix("\ufeff")


def load_source(path: Path, source: str) -> list[PromptDocument]:
    """Documents of a file whose text is already read (from disk or from a git ref)."""
    fmt, loader = LOADERS.get(path.suffix.lower(), ("text", text.load))
    if path.name == "skprompt.txt":
        fmt = "skprompt"
    documents = loader(path, source, fmt)
    for doc in documents:
        doc.siblings = documents  # file-wide rules (a variable used by any prompt is used) read them
    return documents


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[PromptDocument]:
    return load_source(path, read_text(path, max_bytes))
