"""Plain text, Markdown, Jinja and semantic-kernel `skprompt.txt`: the whole file is the prompt."""

from __future__ import annotations

from pathlib import Path

from ..core import PromptDocument
from .build import finish, identity_origins


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    doc = PromptDocument(path, source, source, fmt, line_origins=identity_origins(source))
    return [finish(doc)]
