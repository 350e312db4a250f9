"""JSON prompt files: OpenAI chat `messages` arrays (bare, or under `messages`), and any JSON whose
string values are prompts (see `structured`).

A messages array becomes one document, `role:` lines between the turns, so that rules see the whole
conversation and user/assistant pairs before the last user turn count as few-shot examples. JSON
strings carry escapes, so these documents are reported without fixes; locations point at the string.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import bounded
from ..core import PromptDocument, Segment, SegmentKind, Span
from .build import finish, identity_origins
from .chatml import turn_examples
from .structured import dotted, is_prompt_value


def load(path: Path, source: str, fmt: str) -> list[PromptDocument]:
    data = bounded.load_json(source)  # nesting and integers bounded there
    messages = data.get("messages") if isinstance(data, dict) else data
    if _is_messages(messages):
        return [_messages_document(path, source, messages)]
    docs: list[PromptDocument] = []
    _walk(data, [], path, source, docs)
    return docs


def _is_messages(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and "role" in m and "content" in m for m in value)
    )


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _messages_document(path: Path, source: str, messages: list[dict]) -> PromptDocument:
    pieces, anchors, turns, markers = [], [], [], []
    pos = 0
    search_from = 0
    for message in messages:
        role, content = str(message["role"]), _content_text(message["content"])
        header = f"{role}:\n"
        markers.append(Segment(SegmentKind.ROLE_MARKER, Span(pos, pos + len(role) + 1), header[:-1]))
        found = source.find(json.dumps(content, ensure_ascii=False)[1:-1][:40], search_from)
        if found != -1:
            anchors.append((pos + len(header), found))
            search_from = found
        turns.append((role.lower(), Span(pos + len(header), pos + len(header) + len(content))))
        pieces.append(header + content)
        pos += len(header) + len(content) + 2
    text = "\n\n".join(pieces)
    doc = PromptDocument(path, source, text, "json-messages", name="messages", line_origins=None, anchors=anchors)
    doc.role_spans = [m.span for m in markers]
    return finish(doc, extra=markers + turn_examples(text, turns))


def _walk(node, key_path: list[str], path: Path, source: str, out: list[PromptDocument],
          siblings: frozenset[str] = frozenset()) -> None:
    if isinstance(node, dict):
        keys = frozenset(map(str, node))
        for key, value in node.items():
            _walk(value, key_path + [str(key)], path, source, out, keys)
    elif isinstance(node, list):
        for idx, item in enumerate(node):
            _walk(item, key_path + [str(idx)], path, source, out)
    elif isinstance(node, str) and is_prompt_value(key_path, node, siblings):
        raw = json.dumps(node, ensure_ascii=False)
        at = source.find(raw)
        unescaped = raw[1:-1] == node and at != -1
        doc = PromptDocument(
            path, source, node, "json", name=dotted(key_path),
            line_origins=identity_origins(node, at + 1) if unescaped else None,
            fallback_offset=max(at, 0),
        )
        out.append(finish(doc))
