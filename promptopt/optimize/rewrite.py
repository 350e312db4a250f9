"""The rewrite lever: a provider model condenses the instructions; the guard, then the eval, decide.

The model gets the prompt's text with its few-shot examples taken out (they are kept as they are and
put back), and is asked to say the same in fewer words. The guard (`promptopt.guard`, with the
sentence-scope checks model rewrites need) refuses a rewrite that loses a constraint, a number, a
placeholder, a negation or a literal; a rewrite it accepts is only a candidate: the eval decides.
Never the offline default: a 135M model cannot rewrite instructions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .levers import examples_of

REWRITE_INSTRUCTION = """Rewrite the prompt below so that it says exactly the same in fewer words.
Keep every rule, constraint, number, negation, label, placeholder ({{...}}) and quoted text exactly.
Drop repetition, filler and background the task does not need. Keep the last line as it is.
Answer with the rewritten prompt only, no commentary.

PROMPT:
"""
EXAMPLES_MARK = "[[EXAMPLES]]"


class RewriteError(RuntimeError):
    """The rewrite model could not be called (bad key, server down); one line for the user."""


@dataclass
class Rewrite:
    text: str  # the rewritten prompt, examples put back ("" when the call failed)
    refused: str | None  # the guard's reason, or None when it accepted the rewrite


def _split_examples(text: str) -> tuple[str, str]:
    """The text with its examples replaced by one mark, and the examples block (as written)."""
    found = examples_of(text)
    if not found:
        return text, ""
    start = text.rfind("\n", 0, found[0].span.start) + 1
    end = found[-1].span.end
    return text[:start] + EXAMPLES_MARK + text[end:], text[start:end]


def rewrite_instructions(text: str, model: str, params: dict[str, Any] | None = None,
                         completion: Any = None) -> Rewrite:  # fmt: skip
    from ..evaluation.runner import _import_litellm, describe_error
    from ..guard import check_rewrite

    body, examples = _split_examples(text)
    completion = completion or _import_litellm().completion
    prompt = REWRITE_INSTRUCTION + body
    if examples:
        prompt += f"\n\n(Keep the line {EXAMPLES_MARK} where it is: it stands for the examples.)"
    try:
        response = completion(model=model, messages=[{"role": "user", "content": prompt}], temperature=0,
                              max_tokens=max(256, len(body)), **(params or {}))  # fmt: skip
        new_body = response.choices[0].message.content or ""
    except Exception as exc:  # litellm maps every provider's error to its own classes
        raise RewriteError(f"rewrite model {model}: {describe_error(exc)[0]}") from None
    new_body = new_body.strip("\n")
    if text.endswith("\n"):
        new_body += "\n"
    if examples and new_body.count(EXAMPLES_MARK) != 1:
        return Rewrite(new_body, "the rewrite did not keep the examples' place")
    new_text = new_body.replace(EXAMPLES_MARK, examples)
    return Rewrite(new_text, check_rewrite(text, new_text, scope=True))
