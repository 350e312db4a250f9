"""Prompt files as chat messages, and placeholder filling.

Supported shapes (the rest of a file's syntax is sent as is):
- plain text (.txt, .md, anything else): one user message;
- ChatML (``<|im_start|>role ... <|im_end|>``, any extension): one message per block;
- ``.prompty``: YAML front matter is dropped, ``system:`` / ``user:`` / ``assistant:`` lines on their
  own start a message (text before the first marker is a system message);
- ``.json``, ``.yaml``/``.yml``: a list of ``{"role", "content"}`` objects, or ``{messages: [...]}``
  (promptfoo's chat prompt format); a content given as parts keeps the text parts;
- a template with nunjucks syntax (``{% ... %}``, filters such as ``{{ x | load }}``, expressions) is
  rendered with Jinja, which reads the same syntax; a chat JSON file with ``{% for %}`` is rendered
  first, then parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import LoadError

ROLES = ("system", "user", "assistant")
CHATML_BLOCK = re.compile(r"<\|im_start\|>\s*(\w+)\s*\n(.*?)<\|im_end\|>", re.S)
PROMPTY_MARKER = re.compile(r"^(system|user|assistant)\s*:\s*$", re.M | re.I)
# {{name}}, {{ name }}, {{$name}}, {{ vars.name }} and {name}; single braces only when the name is a var,
# so JSON in a prompt (`{"intent": ...}`) is left alone.
DOUBLE_BRACE = re.compile(r"\{\{\s*\$?(?:vars\.)?([A-Za-z_][\w.-]*)\s*\}\}")
SINGLE_BRACE = re.compile(r"(?<!\{)\{([A-Za-z_]\w*)\}(?!\})")
# Anything a plain placeholder cannot express: tags, comments, filters, attribute or index access...
NUNJUCKS = re.compile(r"\{%|\{#|\{\{(?!\s*\$?(?:vars\.)?[A-Za-z_][\w.-]*\s*\}\})")
CHAT_SUFFIXES = (".json", ".yaml", ".yml")


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
    label: str = ""  # promptfoo's prompt label; defaults to the source
    config: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # prompt-level params
    chat_source: str | None = None  # a chat JSON/YAML file with template logic: rendered, then parsed
    filters: dict[str, Callable[..., Any]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def text(self) -> str:
        return "\n\n".join(m.content for m in self.messages)

    def placeholders(self) -> set[str]:
        return {m.group(1) for msg in self.messages for m in DOUBLE_BRACE.finditer(msg.content)}

    @property
    def name(self) -> str:
        return self.label or self.source

    def render(self, variables: dict[str, object]) -> list[dict[str, str]]:
        if self.chat_source is not None:
            text = render_nunjucks(self.chat_source, {"_conversation": [], **variables}, self.filters)
            return [{"role": m.role, "content": m.content} for m in chat_messages(text, ".json")]
        return [{"role": m.role, "content": fill(m.content, variables, self.filters)} for m in self.messages]

    def with_contents(self, contents: list[str], source: str) -> PromptTemplate:
        """The same roles with new texts (a compressed variant)."""
        return PromptTemplate(
            tuple(Message(m.role, c) for m, c in zip(self.messages, contents, strict=True)), source,
            self.label, self.config, filters=self.filters,
        )  # fmt: skip


def fill(text: str, variables: dict[str, object], filters: dict[str, Callable[..., Any]] | None = None) -> str:
    """Replace placeholders whose name is a var; leave every other brace alone.

    A text with nunjucks syntax beyond plain placeholders goes through Jinja instead.
    """
    if NUNJUCKS.search(text):
        return render_nunjucks(text, variables, filters)

    def value(name: str, original: str) -> str:
        if name in variables:
            return stringify(variables[name])
        return original

    text = DOUBLE_BRACE.sub(lambda m: value(m.group(1), m.group(0)), text)
    return SINGLE_BRACE.sub(lambda m: value(m.group(1), m.group(0)), text)


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _environment(filters: dict[str, Callable[..., Any]] | None):
    import jinja2

    env = jinja2.Environment(keep_trailing_newline=True, autoescape=False)
    env.filters.update({"load": _load, "dump": lambda v: json.dumps(v, ensure_ascii=False)})
    env.filters.update(filters or {})
    return env


def check_nunjucks(text: str, filters: dict[str, Callable[..., Any]] | None = None) -> None:
    """Raise PromptFileError when Jinja cannot compile the template (an unknown filter, bad syntax)."""
    if not NUNJUCKS.search(text):
        return
    import jinja2

    try:
        _environment(filters).from_string(text)
    except jinja2.TemplateError as exc:
        raise PromptFileError(f"nunjucks template cannot be rendered with Jinja: {exc}") from None


def render_nunjucks(text: str, variables: dict[str, object], filters: dict[str, Callable[..., Any]] | None) -> str:
    import jinja2

    try:
        return _environment(filters).from_string(text).render(**variables)
    except jinja2.TemplateError as exc:
        raise PromptFileError(f"nunjucks template failed: {exc}") from None


def stringify(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_prompt_text(text: str, suffix: str = "", source: str = "") -> PromptTemplate:
    suffix = suffix.lower()
    if suffix in CHAT_SUFFIXES:
        if NUNJUCKS.search(text) and "{%" in text:  # template logic around the JSON: render per test
            check_nunjucks(text)
            return PromptTemplate((Message("user", text),), source, chat_source=text)
        return PromptTemplate(tuple(chat_messages(text, suffix)), source)
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


def split_prompts(text: str) -> list[str]:
    """promptfoo's prompt files hold several prompts separated by a line `---`."""
    parts = re.split(r"^---[ \t]*$", text, flags=re.M)
    return [p.strip("\n") for p in parts if p.strip()]


def chat_messages(text: str, suffix: str) -> list[Message]:
    """A chat prompt: a JSON or YAML list of {role, content}, or a mapping with `messages`."""
    from ..bounded import load_data

    try:
        data = load_data(text, suffix)
    except LoadError as exc:
        raise PromptFileError(f"chat prompt: {' '.join(str(exc).split())}") from None
    return messages_from_data(data)


def messages_from_data(data: Any) -> list[Message]:
    if isinstance(data, dict) and "messages" in data:
        data = data["messages"]
    if not isinstance(data, list) or not data or not all(isinstance(m, dict) and "content" in m for m in data):
        raise PromptFileError('a chat prompt must be a list of {"role": ..., "content": ...} objects')
    messages = [Message(str(m.get("role", "user")), _content_text(m["content"])) for m in data]
    _check_roles(messages)
    return messages


def _content_text(content: Any) -> str:
    """A message content: a string, or parts of which the text parts are kept (in order)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type", "text") == "text"]
        if len(texts) == len(content) and all(isinstance(t, str) for t in texts):
            return "\n".join(texts)  # type: ignore[arg-type]
        raise PromptFileError("a message has non-text parts (images, audio): only text prompts are supported")
    raise PromptFileError(f"a message content must be text, got {type(content).__name__}")


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
