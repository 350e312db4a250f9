"""`.prompty`: YAML front matter (model, inputs, sample) and a body with `system:` / `user:` markers."""

from __future__ import annotations

import re
from pathlib import Path

from .. import bounded
from ..core import LoadError, PromptDocument
from ..lazyre import lazy_compile
from .build import finish, identity_origins

_FRONT = lazy_compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    match = _FRONT.match(source)
    meta: dict = {}
    body_start = 0
    if match:
        try:
            documents = bounded.load_yaml(match.group(1))
        except LoadError as exc:
            raise LoadError(f"front matter: {exc}") from None
        meta = documents[0] if documents else {}
        if not isinstance(meta, dict):
            raise LoadError("front matter is not a YAML mapping")
        body_start = match.end()
    body = source[body_start:]
    doc = PromptDocument(path, source, body, fmt, line_origins=identity_origins(body, body_start))
    doc.variables_defined = declared_inputs(meta)
    return [finish(doc, role_markers=True)]


def declared_inputs(meta: dict) -> set[str] | None:
    """Names the front matter provides: `inputs` as a list of {name:} or a mapping, and `sample`."""
    names: set[str] = set()
    inputs = meta.get("inputs")
    if isinstance(inputs, dict):
        names.update(str(k) for k in inputs)
    elif isinstance(inputs, list):
        names.update(str(i["name"]) for i in inputs if isinstance(i, dict) and "name" in i)
    sample = meta.get("sample")
    if isinstance(sample, dict):
        names.update(str(k) for k in sample)
    return names if (inputs is not None or sample is not None) else None
