"""An XML file of named prompts: a root element whose children each hold one prompt.

    <constants>
      <json_suffix_prompt>Return a valid JSON object ...</json_suffix_prompt>
      <xml_prefix_prompt>Given below is XML that describes ...</xml_prefix_prompt>
    </constants>

A library of constants is sent one entry at a time, so each child is a prompt of its own, named by its
tag (two entries that share a sentence are two prompts, not a repeat). Any other XML (one element, text
beside the children, attributes, a document that does not close) is one prompt, read as text. The file
is matched, never parsed: no entity is expanded, and the text of each entry keeps its place in the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import PromptDocument
from ..lazyre import lazy_compile
from .build import finish, identity_origins

_ROOT = lazy_compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<([A-Za-z_][\w.-]*)>(.*)</\1>\s*\Z", re.S)
_CHILD = lazy_compile(r"<([A-Za-z_][\w.-]*)>(.*?)</\1>", re.S)
_BETWEEN = lazy_compile(r"(?:\s|<!--.*?-->)*", re.S)  # only space and comments between entries


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    entries = _entries(source)
    if len(entries) < 2:
        return [finish(PromptDocument(path, source, source, "text", line_origins=identity_origins(source)))]
    documents = []
    for name, start, end in entries:
        text = source[start:end]
        documents.append(finish(PromptDocument(path, source, text, fmt, name=name,
                                               line_origins=identity_origins(text, start))))
    return documents


def _entries(source: str) -> list[tuple[str, int, int]]:
    """(tag, start, end) of each child's text, when the root holds children and nothing else."""
    root = _ROOT.match(source)
    if root is None:
        return []
    entries, last = [], root.start(2)
    for child in _CHILD.finditer(source, root.start(2), root.end(2)):
        if not _BETWEEN.fullmatch(source, last, child.start()):
            return []  # text beside the entries: one document, not a library
        entries.append((child.group(1), child.start(2), child.end(2)))
        last = child.end()
    if not _BETWEEN.fullmatch(source, last, root.end(2)):
        return []
    return entries
