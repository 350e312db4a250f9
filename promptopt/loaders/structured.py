"""Which string values of a YAML or JSON file are prompts.

A string value is taken as a prompt when
- it stands under a `prompts` key (promptfoo: a string, or a mapping's `raw`/`content`), or
- its key names a prompt: the key contains prompt, template, instruction, system, message, content,
  persona, preamble or backstory (CrewAI), or is goal or expected_output (CrewAI) or doc_to_text
  (lm-eval), and the value has at least three words, or
- it is the `description` of a CrewAI task (beside `expected_output`), or
- it spans several lines and is at least 200 characters long (agent configs' templates).
Keys, ids, file paths, model names and short labels are not prompts.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ..lazyre import lazy_compile

PROMPT_KEY = lazy_compile(
    r"prompt|template|tmpl|instruction|system|message|content|persona|preamble|backstory|^goal$|^expected_output$"
    r"|^doc_to_text$", re.I)


def is_prompt_value(key_path: list[str], value: str, siblings: Collection[str] = ()) -> bool:
    """`siblings`: the other keys of the mapping the value stands in."""
    if value.startswith("file://"):
        return False
    key = key_path[-1] if key_path else ""
    if "prompts" in key_path:
        # a string item of the list, or an item's `raw`/`content`; not its `id` or `label`
        below = key_path[len(key_path) - key_path[::-1].index("prompts") :]
        if all(part.isdigit() for part in below) or (key in ("raw", "content") and
                                                      all(part.isdigit() for part in below[:-1])):
            return bool(value.strip())
    if PROMPT_KEY.search(key) and len(value.split()) >= 3:
        return True
    if key == "description" and "expected_output" in siblings and len(value.split()) >= 3:
        return True
    return "\n" in value.strip() and len(value) >= 200


def dotted(key_path: list[str]) -> str:
    out = ""
    for part in key_path:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out
