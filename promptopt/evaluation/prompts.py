"""Prompt files as chat messages, and placeholder filling.

Supported shapes (the rest of a file's syntax is sent as is):
- plain text (.txt, .md, anything else): one user message;
- ChatML (``<|im_start|>role ... <|im_end|>``, any extension): one message per block;
- ``.prompty``: YAML front matter is dropped, ``system:`` / ``user:`` / ``assistant:`` lines on their
  own start a message (text before the first marker is a system message);
- ``.json``: a list of ``{"role", "content"}`` objects (promptfoo's chat prompt format).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("system", "user", "assistant")
CHATML_BLOCK = re.compile(r"<\|im_start\|>\s*(\w+)\s*\n(.*?)<\|im_end\|>", re.S)
PROMPTY_MARKER = re.compile(r"^(system|user|assistant)\s*:\s*$", re.M | re.I)
# {{name}}, {{ name }}, {{$name}}, {{ vars.name }} and {name}; single braces only when the name is a var,
# so JSON in a prompt (`{"intent": ...}`) is left alone.
DOUBLE_BRACE = re.compile(r"\{\{\s*\$?(?:vars\.)?([A-Za-z_][\w.-]*)\s*\}\}")
SINGLE_BRACE = re.compile(r"(?<!\{)\{([A-Za-z_]\w*)\}(?!\})")


class PromptFileError(ValueError):
    pass


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt as the model sees it, before the test's vars are filled in."""

    messages: tuple[Message, ...]
    source: str  # where it came from: a path, or a description such as "compressed (rules)"

    @property
    def text(self) -> str:
        return "\n\n".join(m.content for m in self.messages)

    def placeholders(self) -> set[str]:
        return {m.group(1) for msg in self.messages for m in DOUBLE_BRACE.finditer(msg.content)}

    def render(self, variables: dict[str, object]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": fill(m.content, variables)} for m in self.messages]

    def with_contents(self, contents: list[str], source: str) -> PromptTemplate:
        """The same roles with new texts (a compressed variant)."""
        return PromptTemplate(
            tuple(Message(m.role, c) for m, c in zip(self.messages, contents, strict=True)), source
        )


def fill(text: str, variables: dict[str, object]) -> str:
    """Replace placeholders whose name is a var; leave every other brace alone."""

    def value(name: str, original: str) -> str:
        if name in variables:
            return stringify(variables[name])
        return original

    text = DOUBLE_BRACE.sub(lambda m: value(m.group(1), m.group(0)), text)
    return SINGLE_BRACE.sub(lambda m: value(m.group(1), m.group(0)), text)


def stringify(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_prompt_text(text: str, suffix: str = "", source: str = "") -> PromptTemplate:
    suffix = suffix.lower()
    if suffix == ".json":
        return PromptTemplate(tuple(_json_messages(text)), source)
    if "<|im_start|>" in text:
        blocks = [Message(role.lower(), body.strip("\n")) for role, body in CHATML_BLOCK.findall(text)]
        if not blocks:
            raise PromptFileError("ChatML markers found but no complete <|im_start|>...<|im_end|> block")
        _check_roles(blocks)
        return PromptTemplate(tuple(blocks), source)
    if suffix == ".prompty":
        return PromptTemplate(tuple(_prompty_messages(text)), source)
    return PromptTemplate((Message("user", text.strip("\n")),), source)


def load_prompt(path: Path, system: str | None = None) -> PromptTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptFileError(f"cannot read prompt file {path}: {exc.strerror or exc}") from None
    template = parse_prompt_text(text, path.suffix, str(path))
    if system is not None:
        template = PromptTemplate((Message("system", system), *template.messages), template.source)
    return template


def _json_messages(text: str) -> list[Message]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PromptFileError(f"prompt JSON is invalid: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) for m in data
    ):
        raise PromptFileError('a JSON prompt must be a list of {"role": ..., "content": ...} objects')
    messages = [Message(str(m.get("role", "user")), m["content"]) for m in data]
    _check_roles(messages)
    return messages


def _prompty_messages(text: str) -> list[Message]:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end == -1:
            raise PromptFileError("prompty front matter has no closing ---")
        text = text[text.index("\n", end + 1) + 1 :] if "\n" in text[end + 1 :] else ""
    markers = list(PROMPTY_MARKER.finditer(text))
    messages: list[Message] = []
    head = text[: markers[0].start()] if markers else text
    if head.strip():
        messages.append(Message("system" if markers else "user", head.strip("\n")))
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        body = text[marker.end() : following.start() if following else len(text)]
        messages.append(Message(marker.group(1).lower(), body.strip("\n")))
    if not messages:
        raise PromptFileError("the prompty file has no prompt text after its front matter")
    return messages


def _check_roles(messages: list[Message]) -> None:
    for m in messages:
        if m.role not in ROLES:
            raise PromptFileError(f"unknown message role {m.role!r} (expected one of {', '.join(ROLES)})")
