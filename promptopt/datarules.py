"""Rules as data (`rules/*.yaml`), in the manner of Vale: each file `extends` a check type.

Check types
  existence     flag each match of `tokens` (regexes); `action: remove` deletes it,
                `action: lowercase` rewrites it in sentence case (acronyms kept)
  substitution  flag each key of `swap` and offer its value as the replacement
  occurrence    flag when `tokens` match more than `max` times in a prompt
Keys: code, name, extends, level (info|warning|error), message (``%s`` is the match), summary,
description, example-bad, example-good, ignorecase (default true), scope (instructions | all),
action (remove | replace | none), applicability (safe | unsafe), max (occurrence), default (false: the
rule is opt-in, selected only by `select`/`extend-select`), unsafe (a map of regex -> reason: a match it
fully matches gets an unsafe fix, e.g. "feel free to", whose removal turns a permission into an order),
negated-by (existence: a regex; a match whose clause has it just before, up to three words between, is
not reported: "so do not restate the task" is no request to restate it).
A safe fix also passes `sentence_check` (via `Context.report`), or it is offered as unsafe.
Scope `instructions` skips code blocks, few-shot examples, placeholders, role markers and the data a
prompt carries (`segment.data_spans`: tagged documents, pasted markup, samples after "E.g.:");
`sentences` skips headings too; `all` checks everything.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .core import Applicability, Edit, PromptDocument, SegmentKind, Severity, Span
from .document import data_spans
from .gates import finditer, folded_text, requires
from .lazyre import lazy_compile
from .registry import Rule, kind_of

CHECK_TYPES = ("existence", "substitution", "occurrence")
RULE_KEYS = {
    "code", "name", "extends", "level", "message", "summary", "description", "example-bad", "example-good",
    "ignorecase", "scope", "action", "applicability", "max", "tokens", "swap", "default", "unsafe", "kind",
    "negated-by",
}
_PROTECTED = (SegmentKind.CODE, SegmentKind.EXAMPLE, SegmentKind.PLACEHOLDER, SegmentKind.ROLE_MARKER,
              SegmentKind.FRONT_MATTER)


class RuleFileError(Exception):
    pass


def load_rule_files(folder: Path) -> list[Rule]:
    return [load_rule_file(p) for p in sorted(folder.glob("*.yaml"))]


def load_rule_file(path: Path) -> Rule:
    spec = _read_spec(path)
    unknown = set(spec) - RULE_KEYS
    if unknown:
        raise RuleFileError(f"{path}: unknown key(s) {sorted(unknown)}")
    if spec.get("extends") not in CHECK_TYPES:
        raise RuleFileError(f"{path}: 'extends' must be one of {CHECK_TYPES}")
    check, pattern = _make_check(spec)
    action = spec.get("action", "none")
    fixable = "" if action == "none" else spec.get("applicability", "safe")
    return Rule(
        code=spec["code"],
        name=spec["name"],
        severity=Severity.parse(spec.get("level", "warning")),
        summary=spec["summary"],
        docs=_docs(spec),
        check=check,
        options={},
        source=_package_relative(path),
        fixable=fixable,
        default=bool(spec.get("default", True)),
        kind=spec.get("kind", kind_of(spec["code"])),
        gate=requires(pattern),  # every finding of every check type is a match of the rule's pattern
    )


def _package_relative(path: Path) -> str:
    """`rules/X.yaml` in a checkout, `promptopt/_builtin_rules/X.yaml` in an installed package: the path
    from the folder that holds `promptopt/` (`registry.rule_file` finds it again)."""
    home = Path(__file__).resolve().parent.parent
    try:
        return path.resolve().relative_to(home).as_posix()
    except ValueError:  # a rule file elsewhere
        return str(path)


def _read_spec(path: Path) -> Any:
    """The rule file's YAML, parsed. Rules load on every run, and importing a YAML parser costs more than
    the rest: a parse is kept as JSON in the user's cache, keyed by the file's text."""
    import json

    from .digest import blake2b
    from .tokens import _write_quietly, rank_cache_dir

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"{path}: {exc}") from None
    memo = rank_cache_dir().parent / "rules" / f"{blake2b(text.encode(), digest_size=20).hexdigest()}.json"
    try:
        return json.loads(memo.read_bytes())
    except (OSError, ValueError):
        pass
    import yaml

    try:
        spec = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path}: {exc}") from None
    try:
        kept = json.dumps(spec)
    except (TypeError, ValueError):
        return spec
    if json.loads(kept) == spec:  # only what JSON keeps as it is (no dates, no number keys)
        _write_quietly(memo, kept.encode())
    return spec


def _docs(spec: dict[str, Any]) -> str:
    parts = [spec["summary"], "", spec.get("description", "").strip()]
    if spec.get("example-bad"):
        parts += ["", "Bad:", "", "    " + spec["example-bad"].strip().replace("\n", "\n    ")]
    if spec.get("example-good"):
        parts += ["", "Good:", "", "    " + spec["example-good"].strip().replace("\n", "\n    ")]
    return "\n".join(parts).strip()


def _pattern(alternatives: list[str], ignorecase: bool, trailing_comma: bool = False) -> re.Pattern:
    body = "|".join(f"(?:{a})" for a in sorted(alternatives, key=len, reverse=True))
    tail = r",?" if trailing_comma else ""
    return lazy_compile(rf"(?<![\w-])(?:{body})(?![\w-]){tail}", re.I if ignorecase else 0, guard=True)


def protected_spans(doc: PromptDocument) -> list[Span]:
    return [s.span for s in doc.segments if s.kind in _PROTECTED]


def _in_scope(span: Span, protected: list[Span], scope: str) -> bool:
    return scope == "all" or not any(p.overlaps(span) for p in protected)


def _protected_for(doc: PromptDocument, scope: str) -> list[Span]:
    spans = protected_spans(doc) + data_spans(doc)  # examples, tagged documents, pasted markup: data
    if scope == "sentences":  # headings are labels, not sentences
        spans += [s.span for s in doc.segments if s.kind == SegmentKind.HEADING]
    return spans


def _matches(doc: PromptDocument, pattern: re.Pattern, scope: str):
    """(match, span) of each match of the rule's pattern inside its scope."""
    protected = None
    for m in finditer(pattern, doc.text, folded_text(doc)):  # = pattern.finditer(doc.text)
        span = Span(m.start(), m.end())
        if protected is None:
            protected = _protected_for(doc, scope)  # the data spans are read only for a match
        if _in_scope(span, protected, scope):
            yield m, span


def _make_check(spec: dict[str, Any]):
    kind = spec["extends"]
    ignorecase = spec.get("ignorecase", True)
    scope = spec.get("scope", "instructions")
    message = spec["message"]
    applicability = Applicability(spec.get("applicability", "safe"))
    action = spec.get("action", "none")
    unsafe_when = [(lazy_compile(k, re.I if ignorecase else 0), v) for k, v in (spec.get("unsafe") or {}).items()]

    def applicability_of(matched: str, title: str) -> tuple[Applicability, str]:
        for pattern, reason in unsafe_when:
            if pattern.fullmatch(matched.rstrip(",")):
                return Applicability.UNSAFE, f"{title} (unsafe: {reason})"
        return applicability, title

    if kind == "substitution":
        swap: dict[str, str] = spec["swap"]
        lookup = {k.lower(): v for k, v in swap.items()}
        pattern = _pattern(list(swap), ignorecase)

        def check(doc: PromptDocument, ctx):
            for m, span in _matches(doc, pattern, scope):
                replacement = _match_case(m.group(0), _lookup(lookup, m.group(0)))
                edits = [Edit(span, replacement)] if action == "replace" else None
                fix_applicability, title = applicability_of(m.group(0), f"Replace '{m.group(0)}' with '{replacement}'")
                yield ctx.report(doc, span, message.replace("%s", m.group(0), 1).replace("%s", replacement),
                                 edits=edits, applicability=fix_applicability, fix_title=title,
                                 tokens_saved=None if edits else ctx.counter.saved(m.group(0), replacement))

        return check, pattern

    pattern = _pattern(spec["tokens"], ignorecase, trailing_comma=action == "remove")
    # `negated-by`: a pattern that, ending the clause just before a match, turns the request into its
    # opposite ("do not restate the task" asks for less output, not more)
    negation = spec.get("negated-by")
    negated = lazy_compile(rf"(?:{negation})\s+(?:[\w'-]+,?\s+){{0,3}}$", re.I) if negation else None

    def is_negated(text: str, start: int) -> bool:
        if negated is None:
            return False
        clause = re.split(r"[.;:!?\n]", text[max(0, start - 80):start])[-1]
        return bool(negated.search(clause))

    if kind == "existence":
        def check(doc: PromptDocument, ctx):
            for m, span in _matches(doc, pattern, scope):
                if is_negated(doc.text, span.start):
                    continue
                edits, title = None, ""
                if action == "remove":
                    edits, title = _removal(doc.text, span), f"Remove '{m.group(0).rstrip(',')}'"
                elif action == "lowercase":
                    edits, title = [Edit(span, _sentence_case(doc.text, span))], "Write it in sentence case"
                fix_applicability, title = applicability_of(m.group(0), title)
                yield ctx.report(doc, span, message.replace("%s", m.group(0).rstrip(",")), edits=edits,
                                 applicability=fix_applicability, fix_title=title,
                                 tokens_saved=None if edits else 0)

        return check, pattern

    limit = int(spec.get("max", 1))

    def check(doc: PromptDocument, ctx):  # occurrence
        matches = [m for m, _ in _matches(doc, pattern, scope)]
        if len(matches) > limit:
            first, extra = matches[0], matches[limit:]
            span = Span(extra[0].start(), extra[0].end())
            cost = sum(ctx.counter.count(m.group(0)) for m in extra)
            yield ctx.report(doc, span, message.replace("%s", f"{len(matches)}"), tokens_saved=cost,
                             related=[Span(first.start(), first.end())])

    return check, pattern


def _lookup(table: dict[str, str], key: str) -> str:
    lowered = re.sub(r"\s+", " ", key.lower())
    if lowered in table:
        return table[lowered]
    for pattern, value in table.items():  # keys may be regexes
        if re.fullmatch(pattern, lowered):
            return value
    return key


ACRONYMS = frozenset("""API JSON URL URLS SQL HTML CSS XML YAML CSV PDF ID IDS AI LLM HTTP HTTPS UI UX CLI OS AWS GPT
    USA UK EU FAQ PII SSN UTC ISO CEO CTO PR CI CD SDK JWT SSH DNS IP TCP UDP GDPR HIPAA""".split())


def _sentence_case(text: str, span: Span) -> str:
    """`THE EDIT COMMAND REQUIRES PROPER JSON` -> `the edit command requires proper JSON`; capital
    first letter when the run starts a sentence."""
    words = re.split(r"(\W+)", text[span.start : span.end])
    out = "".join(w if w.strip("'") in ACRONYMS else w.lower() for w in words)
    before = text[: span.start].rstrip(" \t\"'*_(")
    if not before or before[-1] in ".!?:\n":
        out = out[:1].upper() + out[1:]
    return out


def _match_case(original: str, replacement: str) -> str:
    if replacement and original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _removal(text: str, span: Span) -> list[Edit]:
    """Delete a match and the space after it; keep the sentence's capital letter; a line left
    empty goes too."""
    end = span.end
    while end < len(text) and text[end] in " \t":
        end += 1
    line_start = text.rfind("\n", 0, span.start) + 1
    ends_line = end == len(text) or text[end] == "\n"
    if not text[line_start : span.start].strip() and ends_line:
        return [Edit(Span(line_start, min(end + 1, len(text))), "")]
    if ends_line and text[span.end - 1] in ".!?":  # a closing "thanks in advance!": keep the line's end mark
        start = span.start
        while start > line_start and text[start - 1] in " \t,;":
            start -= 1
        mark = "" if text[start - 1 : start] in (".", "!", "?") else text[span.end - 1]
        return [Edit(Span(start, end), mark)]
    before = text[: span.start].rstrip(" \t")
    sentence_start = not before or before[-1] in ".!?:\n-*" or re.search(r"(^|\n)\s*(\d+[.)]|[-*+])$", before)
    if sentence_start and end < len(text) and text[end] in ".!?":
        return [_sentence_removal(text, span.start, end + 1)]  # the filler is the whole sentence
    if sentence_start and end < len(text) and text[end].islower() and text[span.start].isupper():
        return [Edit(Span(span.start, end + 1), text[end].upper())]
    if not sentence_start and span.start > 0 and text[span.start - 1] == " " and end == span.end:
        # the match ends the sentence: drop the space before, and a comma that set it off ("..., please.")
        start = span.start - 1
        if start > 0 and text[start - 1] == "," and (end == len(text) or not text[end].isalnum()):
            start -= 1
        return [Edit(Span(start, span.end), "")]
    return [Edit(Span(span.start, end), "")]


def _sentence_removal(text: str, start: int, stop: int) -> Edit:
    """Delete a whole sentence; its line too when nothing else is on it."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", stop)
    line_end = len(text) if line_end == -1 else line_end
    if not text[line_start:start].strip() and not text[stop:line_end].strip():
        return Edit(Span(line_start, min(line_end + 1, len(text))), "")
    if start > 0 and text[start - 1] == " ":
        return Edit(Span(start - 1, stop), "")
    while stop < len(text) and text[stop] in " \t":
        stop += 1
    return Edit(Span(start, stop), "")
