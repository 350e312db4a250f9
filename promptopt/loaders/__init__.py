"""Read a prompt file into `PromptDocument`s: one loader module per format, chosen by file name.

`read_text` turns every kind of bad input (binary, invalid UTF-8, empty, huge, unreadable, a
symlink loop) into a `LoadError` whose message names the reason; the audit reports it and goes on.
"""

from __future__ import annotations

import errno
from pathlib import Path

from ..core import LoadError, PromptDocument

DEFAULT_MAX_BYTES = 10 * 1024 * 1024



class _Lazy:
    """A loader module's `load`, imported on first use: a run that only reads cached results, or
    only Markdown, does not import the YAML, JSON and Python loaders (and their parsers)."""

    def __init__(self, module: str):
        self.module = module
        self._load = None

    def __call__(self, path: Path, source: str, fmt: str) -> list[PromptDocument]:
        if self._load is None:
            from importlib import import_module

            self._load = import_module(f"{__name__}.{self.module}").load
        return self._load(path, source, fmt)


_text = _Lazy("text")
_yaml = _Lazy("yaml_prompts")
# suffix -> (format name, loader)
LOADERS = {
    ".txt": ("text", _text),
    ".prompt": ("text", _text),
    ".md": ("markdown", _text),
    ".markdown": ("markdown", _text),
    ".j2": ("jinja", _text),
    ".jinja": ("jinja", _text),
    ".jinja2": ("jinja", _text),
    ".prompty": ("prompty", _Lazy("prompty")),
    ".chatml": ("chatml", _Lazy("chatml")),
    ".json": ("json", _Lazy("chat_json")),
    ".yaml": ("yaml", _yaml),
    ".yml": ("yaml", _yaml),
    ".py": ("python", _Lazy("python_module")),
    ".csv": ("csv", _Lazy("csv_prompts")),
    ".xml": ("xml", _Lazy("xml_prompts")),  # a library of named prompts (`<constants><a_prompt>...`)
}
# what discovery audits in a folder: XML is read only when a path names it (most XML is not prompts)
PROMPT_SUFFIXES = frozenset(LOADERS) - {".xml"}


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


# byte order marks: a file that starts with one is text in that encoding (Notepad saves UTF-16 so)
BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def bom_encoding(data: bytes) -> tuple[bytes, str] | None:
    """(BOM, codec) of a UTF-16/32 file, None for anything else."""
    return next(((bom, codec) for bom, codec in BOMS if data.startswith(bom)), None)


def decode(data: bytes) -> str:
    if not data.strip():
        raise LoadError("empty file")
    marked = bom_encoding(data)
    if marked is not None:
        bom, codec = marked
        try:
            text_ = data[len(bom):].decode(codec)
        except UnicodeDecodeError as exc:
            raise LoadError(f"invalid {codec.upper()} at byte {exc.start + len(bom)}") from None
        if not text_.strip():
            raise LoadError("empty file")
        if not _reads_as_text(text_):  # a BOM in front of binary bytes decodes, as nonsense
            raise LoadError("binary file (NUL bytes)")
        return text_
    if b"\x00" in data:  # anywhere, not only in the first 8 KB
        if _looks_utf16(data):
            raise LoadError("UTF-16 without a byte order mark: save it as UTF-8 (or UTF-16 with a BOM)")
        raise LoadError("binary file (NUL bytes)")
    try:
        text_ = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"invalid UTF-8 at byte {exc.start}") from None
    return text_.removeprefix("\ufeff")


def _reads_as_text(text_: str) -> bool:
    """Text has spaces or line breaks, and no control characters but tab, CR and LF."""
    if not any(c in text_ for c in " \n\t\u3000"):
        return False
    return not any(ord(c) < 32 and c not in "\t\r\n" for c in text_)


def _looks_utf16(data: bytes) -> bool:
    """Mostly ASCII text in UTF-16: every other byte is NUL."""
    sample = data[:4096]
    return len(sample) >= 4 and (sample[1::2].count(0) > 0.9 * len(sample) // 2
                                 or sample[0::2].count(0) > 0.9 * len(sample) // 2)


def load_source(path: Path, source: str) -> list[PromptDocument]:
    """Documents of a file whose text is already read (from disk or from a git ref)."""
    fmt, loader = LOADERS.get(path.suffix.lower(), ("text", _text))
    if path.name == "skprompt.txt":
        fmt = "skprompt"
    documents = loader(path, source, fmt)
    for doc in documents:
        doc.siblings = documents  # file-wide rules (a variable used by any prompt is used) read them
    return documents


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[PromptDocument]:
    return load_source(path, read_text(path, max_bytes))
