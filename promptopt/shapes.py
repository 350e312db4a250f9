"""Is a YAML, JSON or text file a prompt file? Its shape says so, and the verdict carries the reason.

A `.txt` file is a prompt unless it is a word list (20 lines or more, nine in ten of them one word, no
sentence: a stop-word list or a tokenizer's data that a package ships beside its prompts).

Stricter than the loaders' value detection (`loaders/structured.py`), which runs only on files
taken here. A file is a prompt file when it holds
- an OpenAI chat `messages` array (role and content), or a promptfoo `prompts` list, or
- a CrewAI agent (role, goal, backstory) or task (description, expected_output), or
- a value of three words or more under a key that names a prompt (prompt, template, instruction,
  system, persona, preamble, backstory, lm-eval's doc_to_text); `message`/`content` count beside a `role`.
A long string under any other key (a description, a CI `run:` script) is not enough. Known shapes
that are never prompts are named first: CI workflows, GitHub actions, pre-commit files, OpenAPI,
JSON Schema, Kubernetes, Compose, package manifests, lint-rule definitions and the like.
"""

from __future__ import annotations

import re

from . import bounded
from .core import LoadError
from .loaders.structured import dotted, is_prompt_value

Verdict = tuple[bool, str]

STRONG_KEY = ("prompt", "template", "instruction", "system", "persona", "preamble", "backstory", "doc_to_text")
VALE_CHECKS = {"existence", "substitution", "occurrence", "repetition", "consistency", "conditional",
               "capitalization", "metric", "readability", "spelling", "sequence", "script"}


def yaml_verdict(source: str) -> Verdict | None:
    """None when the text is not valid YAML or is over a limit of `bounded` (an alias bomb, deep
    nesting): the file is then audited, and the loader, reading through the same limits, says why."""
    try:
        roots = [r for r in bounded.load_yaml(source) if r is not None]
    except LoadError:
        return None
    return verdict(roots)


def json_verdict(source: str) -> Verdict | None:
    try:
        return verdict([bounded.load_json(source)])
    except LoadError:
        return None


WORD_LIST_LINES = 20  # a data file (a stop-word list, a tokenizer's abbreviations) has many of them
WORD_LIST_SHARE = 0.9


def text_verdict(source: str) -> Verdict:
    """A text file is a prompt unless it is a word list: 20+ lines, nine in ten a single word, and not
    one sentence (a prompt that lists labels still asks something: "Which intent is this query?")."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    single = sum(1 for line in lines if len(line.split()) == 1)
    sentence = any(len(line.split()) >= 4 for line in lines)
    if len(lines) >= WORD_LIST_LINES and single >= WORD_LIST_SHARE * len(lines) and not sentence:
        return False, f"a word list ({single} of {len(lines)} lines are one word), data rather than a prompt"
    return True, "a text prompt"


def verdict(roots: list) -> Verdict:
    for root in roots:
        kind = known_kind(root)
        if kind:
            return False, kind
    found: list[tuple[list[str], str]] = []
    for root in roots:
        _prompts_in(root, [], found)
    if not found:
        return False, "no value is shaped like a prompt"
    key_path, why = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    where = f"`{dotted(key_path)}`" if key_path else "the document"
    return True, f"{where} {why}{more}"


def known_kind(root) -> str | None:
    """The kind of a YAML/JSON document known not to be a prompt, or None."""
    if isinstance(root, list):
        if root and all(isinstance(x, dict) and "id" in x and "entry" in x for x in root):
            return "pre-commit hook definitions"
        return None
    if not isinstance(root, dict):
        return None
    keys = {str(k) for k in root}
    if "jobs" in keys and ("on" in keys or "True" in keys):  # YAML 1.1 reads `on:` as true
        return "a GitHub Actions workflow"
    if isinstance(root.get("runs"), dict) and "using" in root["runs"]:
        return "a GitHub action definition"
    if "stages" in keys or any(isinstance(v, dict) and "script" in v for v in root.values()):
        return "a CI definition (jobs with `script`)"
    if isinstance(root.get("repos"), list) and all(isinstance(r, dict) and "repo" in r for r in root["repos"]):
        return "a pre-commit configuration"
    if "openapi" in keys or "swagger" in keys:
        return "an OpenAPI definition"
    schema = root.get("$schema")
    if (isinstance(schema, str) and "json-schema" in schema) or (
        root.get("type") == "object" and isinstance(root.get("properties"), dict)
    ):
        return "a JSON Schema"
    if "apiVersion" in keys and "kind" in keys:
        return "a Kubernetes manifest"
    services = root.get("services")
    if isinstance(services, dict) and any(isinstance(s, dict) and ("image" in s or "build" in s)
                                          for s in services.values()):
        return "a Docker Compose file"
    if "site_name" in keys:
        return "a documentation site configuration"
    if "channels" in keys and "dependencies" in keys:
        return "a conda environment"
    if {"name", "version"} <= keys and keys & {"dependencies", "devDependencies", "scripts"}:
        return "a package manifest"
    if "compilerOptions" in keys:
        return "a compiler configuration"
    if root.get("extends") in VALE_CHECKS:
        return f"a lint rule definition (extends: {root['extends']})"
    if "AWSTemplateFormatVersion" in keys:
        return "a CloudFormation template"
    if "updates" in keys and "version" in keys:
        return "a dependency-update configuration"
    body = root.get("body")
    if isinstance(body, list) and body and all(isinstance(b, dict) and "type" in b for b in body):
        return "an issue form"
    if "rule" in keys and "cases" in keys:
        return "rule test cases"
    return None


def _prompts_in(node, key_path: list[str], found: list[tuple[list[str], str]]) -> None:
    if isinstance(node, list):
        if node and all(isinstance(m, dict) and "role" in m and "content" in m for m in node):
            found.append((key_path, "is a chat messages array (role and content)"))
            return
        for i, item in enumerate(node):
            if isinstance(item, str):
                why = _why_prompt(key_path + [str(i)], item, set())
                if why:
                    found.append((key_path + [str(i)], why))
            else:
                _prompts_in(item, key_path + [str(i)], found)
        return
    if not isinstance(node, dict):
        return
    keys = {str(k) for k in node}
    if {"role", "goal", "backstory"} <= keys:
        found.append((key_path, "is a CrewAI agent (role, goal, backstory)"))
        return
    if {"description", "expected_output"} <= keys:
        found.append((key_path, "is a CrewAI task (description, expected_output)"))
        return
    for key, value in node.items():
        path = key_path + [str(key)]
        if isinstance(value, str):
            why = _why_prompt(path, value, keys)
            if why:
                found.append((path, why))
        else:
            _prompts_in(value, path, found)


# A prompt kept once per language (`summary_system: {en: ..., zh: ...}`): the language is the last key,
# the key above it names the prompt.
_LANGUAGE_KEY = re.compile(r"(?:en|zh|cn|ja|jp|ko|kr|fr|de|es|it|pt|ru|ar|hi|vi|th|tr|nl|pl|id|uk|sv|he|fa)"
                           r"(?:[-_][a-z]{2,4})?")


def _naming_key(key_path: list[str]) -> str:
    key = key_path[-1].lower()
    if len(key_path) > 1 and _LANGUAGE_KEY.fullmatch(key):
        return key_path[-2].lower()
    return key


def _why_prompt(key_path: list[str], value: str, siblings: set[str]) -> str | None:
    if value.startswith("file://"):
        return None
    if "prompts" in key_path and is_prompt_value(key_path, value):
        return "is an item of `prompts`"
    if len(value.split()) < 3:
        return None
    key = _naming_key(key_path)
    if any(word in key for word in STRONG_KEY):
        return "has a key that names a prompt"
    if key in ("content", "message") and "role" in siblings:
        return "is a chat turn (role and content)"
    return None
