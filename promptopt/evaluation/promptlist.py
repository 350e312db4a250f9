"""A suite's `prompts:` in every form promptfoo reads, as labelled templates.

- inline text (``'Translate {{text}}'``), inline JSON chat (``'[{"role": ...}]'``);
- ``file://prompt.txt`` (a line ``---`` separates several prompts), ``file://chat.json|yaml``, globs;
  a bare path that names an existing file is read as a file, as promptfoo does;
- ``{raw: ..., label: ..., config: {...}}``, ``{id: file://..., label: ...}``, a list of chat messages,
  and promptfoo's mapping ``{path: label}``.

A prompt written as a Python or JavaScript function cannot be rendered here: it is skipped out loud.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .prompts import (
    CHAT_SUFFIXES,
    Message,
    PromptFileError,
    PromptTemplate,
    check_nunjucks,
    messages_from_data,
    parse_prompt_text,
    split_prompts,
)
from .providers import ProviderError, provider_params
from .testdata import DataError, expand_paths, read_text, strip_file

FUNCTION_SUFFIXES = (".py", ".js", ".ts", ".mjs", ".cjs")
LABEL_CHARS = 50
FILE_NAME = re.compile(r"[\w./-]+\.(txt|md|json|ya?ml|j2|jinja2?|prompty|chatml|tmpl)")


class PromptListError(ValueError):
    pass


def load_prompt_list(
    spec: Any, base: Path, where: str, notes: list[str], filters: dict[str, Any]
) -> tuple[list[PromptTemplate], Path | None]:
    """The prompts, and the file of the first one when it is a whole single-prompt file (for --compress)."""
    if isinstance(spec, dict) and not ({"raw", "id", "label"} & spec.keys()):  # {path: label}
        spec = [{"id": key, "label": label} for key, label in spec.items()]
    entries = spec if isinstance(spec, list) else [spec]
    if entries and all(isinstance(e, dict) and "role" in e for e in entries):  # one chat prompt as messages
        entries = [{"raw": entries}]
    prompts: list[PromptTemplate] = []
    first_file: Path | None = None
    for index, entry in enumerate(entries, 1):
        got, file = _entry(entry, base, f"{where} #{index}", notes, filters)
        if index == 1 and file is not None and len(got) == 1:
            first_file = file
        prompts += got
    if not prompts:
        raise PromptListError(f"{where}: no prompt that can run here")
    return _unique_labels(prompts), first_file


def _entry(
    entry: Any, base: Path, where: str, notes: list[str], filters: dict[str, Any]
) -> tuple[list[PromptTemplate], Path | None]:
    label, config = "", {}
    if isinstance(entry, dict):
        label = str(entry.get("label") or "")
        try:
            config = provider_params(entry.get("config") or {}, base, f"{where} config", notes)
        except ProviderError as exc:
            raise PromptListError(str(exc)) from None
        if "raw" in entry:
            return [_inline(entry["raw"], label, config, where, filters)], None
        entry = entry.get("id")
        if not isinstance(entry, str):
            raise PromptListError(f"{where}: a prompt mapping needs `raw` (the text) or `id` (a file://)")
    elif isinstance(entry, list):
        return [_inline(entry, label, config, where, filters)], None
    if not isinstance(entry, str) or not entry.strip():
        raise PromptListError(f"{where}: a prompt is text, a file:// path, or a mapping with `raw` or `id`")
    ref = entry.strip()
    if ref.startswith("file://") or ("\n" not in ref and _is_path(base, ref)):
        return _from_files(ref, label, config, base, where, notes, filters)
    if FILE_NAME.fullmatch(ref):  # one word ending in a prompt file's suffix: a missing file, not a prompt
        raise PromptListError(f"{where}: prompt file not found: {base / ref}")
    return [_inline(entry, label, config, where, filters)], None


def _is_path(base: Path, ref: str) -> bool:
    try:
        return (base / ref).is_file() or (any(c in ref for c in "*?[") and bool(expand_paths(ref, base, "")))
    except (DataError, OSError):
        return False


def _inline(raw: Any, label: str, config: dict[str, Any], where: str, filters: dict[str, Any]) -> PromptTemplate:
    try:
        if isinstance(raw, list):
            messages = messages_from_data(raw)
        elif isinstance(raw, str) and raw.lstrip().startswith("[") and _json_list(raw):
            messages = messages_from_data(json.loads(raw))
        elif isinstance(raw, str):
            messages = [Message("user", raw.strip("\n"))]
        else:
            raise PromptFileError("`raw` must be text or a list of chat messages")
        for m in messages:
            check_nunjucks(m.content, filters)
    except PromptFileError as exc:
        raise PromptListError(f"{where}: {exc}") from None
    text = " ".join(" ".join(m.content for m in messages).split())
    source = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 3] + "..."
    return PromptTemplate(tuple(messages), source, label, dict(config), filters=filters)


def _json_list(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        return False


def _from_files(
    ref: str, label: str, config: dict[str, Any], base: Path, where: str, notes: list[str], filters: dict[str, Any]
) -> tuple[list[PromptTemplate], Path | None]:
    name, _, function = strip_file(ref).partition(":")
    if name.lower().endswith(FUNCTION_SUFFIXES):
        notes.append(f"{where}: prompt {ref} is a {Path(name).suffix} function: skipped (not rendered here)")
        return [], None
    try:
        paths = expand_paths(name, base, where)
    except DataError as exc:
        raise PromptListError(str(exc).replace("file not found", "prompt file not found")) from None
    prompts: list[PromptTemplate] = []
    for path in paths:
        try:
            text = read_text(path, where)
        except DataError as exc:
            raise PromptListError(str(exc)) from None
        suffix = path.suffix.lower()
        if suffix in CHAT_SUFFIXES and "cache_control" in text:
            notes.append(f"{where}: {path.name}: cache_control marks are provider caching hints; they are not sent")
        parts = [text] if suffix in (*CHAT_SUFFIXES, ".prompty") or "<|im_start|>" in text else split_prompts(text)
        shown = path.relative_to(base) if path.is_relative_to(base) else path
        for number, part in enumerate(parts, 1):
            source = str(shown) if len(parts) == 1 else f"{shown} #{number}"
            try:
                template = parse_prompt_text(part, suffix, source)
                for m in template.messages:
                    check_nunjucks(m.content, filters)
            except PromptFileError as exc:
                raise PromptListError(f"{where}: prompt {source}: {exc}") from None
            own_label = label if len(paths) == 1 and len(parts) == 1 else (f"{label} #{number}" if label else "")
            prompts.append(PromptTemplate(template.messages, source, own_label, dict(config),
                                          template.chat_source, filters))  # fmt: skip
    only = paths[0] if len(paths) == 1 and len(prompts) == 1 and not prompts[0].chat_source else None
    return prompts, only


def _unique_labels(prompts: list[PromptTemplate]) -> list[PromptTemplate]:
    seen: dict[str, int] = {}
    unique = []
    for p in prompts:
        name = p.name
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            p = PromptTemplate(p.messages, p.source, f"{name} ({seen[name]})", p.config, p.chat_source, p.filters)
        unique.append(p)
    return unique
