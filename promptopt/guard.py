"""The fidelity guard: every rewrite (a rule's fix, a whitespace clean-up, LLMLingua's output) is
checked here before it is accepted.

What must survive a rewrite
- template placeholders and Jinja blocks: the same multiset (a variable used twice stays twice);
- fenced code blocks and embedded JSON examples: byte for byte, the same multiset;
- every number, negation, modal, URL, declared label and capitalised name: still present;
- every secret PO801 finds: byte for byte (a sentence-case fix must not lowercase a key);
- quoted text and inline code (`Never say "please"`, `` `exact output` ``): each one still present, byte
  for byte; a model is told to reproduce or avoid exactly these words;
- lines of an embedded document (HTML/XML tags, program code outside fences): the same multiset, so a
  "duplicate" `</script>` or `const { page } = useData()` line in an example document stays.

Words are compared as sets, not counts: deleting a duplicate sentence legitimately lowers how often
"never" occurs, but the prompt must not lose the word altogether. Placeholders and code are compared
as multisets because removing one changes what the template renders.

`check_rewrite` is the hook `fixes.fix_to_fixed_point` calls for every fix, so it is fast: one regex
pass per feature, and the features of a text are cached (the same "before" is checked against many
candidate fixes in a round).
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .numbering import marker_free
from .placeholders import find_placeholders
from .redact import secrets_in

# besides Jinja, Mustache, Handlebars and semantic-kernel {{$x}} (`placeholders.find_placeholders`,
# linear on unclosed braces): ${x} and str.format / LangChain {x}
# every placeholder in one pattern (compressors/protect.py), each Jinja part at most 1,000 characters so
# that unclosed braces cost linear time
PLACEHOLDER = re.compile(
    r"\{\{.{0,1000}?\}\}|\{%.{0,1000}?%\}|\{#.{0,1000}?#\}"
    r"|\$\{[^{}\n]*\}"
    r"|(?<![{\w])\{[A-Za-z_][\w.]*(?:\[[^\]\n{}]{0,100}\][\w.]*)*(?:![rsa])?(?::[^{}\n]*)?\}(?!\})",
    re.S,
)
# str.format fields index too: {order[id]}, {items[0].name}
SIMPLE_PLACEHOLDER = re.compile(
    r"\$\{[^{}\n]*\}|(?<![{\w])\{[A-Za-z_][\w.]*(?:\[[^\]\n{}]{0,100}\][\w.]*)*(?:![rsa])?(?::[^{}\n]*)?\}(?!\})"
)
FENCED_CODE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\"'`]+[^\s<>()\"'`.,;:!?]")
NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
    million billion once twice half""".split()
)
NEGATIONS = frozenset(
    """not no never none nor neither nothing nobody nowhere without cannot don't doesn't didn't isn't aren't
    wasn't weren't can't couldn't won't wouldn't shouldn't mustn't haven't hasn't hadn't""".split()
)
MODALS = frozenset({"must", "always", "only", "never", "should", "shall", "required"})
WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")
CAPITALISED = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-ÞĀ-Ž](?:[\w'’-]*\w)?")
# quoted text and inline code, one line at most; a single quote opens only after a non-word character,
# so the apostrophes of "don't" and "users'" pair with nothing
QUOTED = re.compile(
    r'"[^"\n]{1,400}"|“[^”\n]{1,400}”|‘[^’\n]{1,400}’'
    r"|(?<![\w'])'[^'\n]{1,400}'(?![\w'])"
    r"|(?<!`)`[^`\n]{1,400}`(?!`)"
)
# a line of markup or program code: a tag, a declaration, a line of brackets, a statement ending in { or ;
EMBEDDED_LINE = re.compile(
    r"^[ \t]*(?:</?[A-Za-z][\w:.-]*(?:[ \t][^\n]*)?>?"
    r"|(?:import|export|const|let|var|function|def|class)[ \t][^\n]*[=({;:'\"][^\n]*"
    r"|[{}()\[\]<>;,/]{2,}"
    r"|[^\n]*(?:[)\]][ \t]*[{;]|=[ \t]*\{|\S[<(\[]?[(\[{])"
    r")[ \t]*$",
    re.M,
)
# an object opens with a key or closes at once; an array with a value
JSON_START = re.compile(r"\{(?=\s*[\"}])|\[(?=\s*[\"\[{\-\d\]]|\s*(?:true|false|null)\b)")
# A failed decode costs the length of the text before it (the error counts lines), so candidates are
# decoded within a window first; only a few may retry on the whole text (a JSON example longer than it)
_JSON_WINDOW = 8192
_JSON_FULL_RETRIES = 16
# before a word, these mean it starts a sentence, a line, a bullet or a heading (not a name)
_SENTENCE_LEAD = re.compile(r"(?:^|[.!?:;]|\n)[\s\"'(\[*_#>|+-]*(?:\d{1,3}[.)])?[\s\"'(\[*_]*$")


@dataclass(frozen=True)
class Features:
    placeholders: Counter
    code_blocks: Counter
    json_examples: Counter
    whole_json: bool
    numbers: frozenset[str]
    negations: frozenset[str]
    modals: frozenset[str]
    urls: frozenset[str]
    names: frozenset[str]
    lowered_words: frozenset[str]
    secrets: frozenset[str]
    quoted: frozenset[str]
    embedded_lines: Counter


@dataclass
class GuardVerdict:
    """All the reasons a rewrite was rejected (empty: accepted)."""

    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict:
        return {"accepted": self.accepted, "reasons": list(self.reasons)}


def check_rewrite(before: str, after: str, *, labels: Iterable[str] = (), quotes: bool = True,
                  scope: bool = False) -> str | None:
    """None when `after` keeps everything that matters in `before`; else the first reason why not.

    `quotes=False` for a YAML or JSON file's source, where quotes delimit the values themselves:
    `quoted_changes` then checks the prompts' texts instead. `scope`: also check, sentence by sentence,
    that negations and modals keep what they govern and quoted literals and code-like spans stay
    (`compressors.scope`), as model rewrites need."""
    if before == after:
        return None
    return next(_problems(before, after, tuple(labels), quotes, scope), None)


def verify(before: str, after: str, *, labels: Iterable[str] = (), scope: bool = False) -> GuardVerdict:
    """Every reason (for reports); `check_rewrite` stops at the first."""
    if before == after:
        return GuardVerdict()
    return GuardVerdict(list(_problems(before, after, tuple(labels), True, scope)))


def quoted_changes(before: str, after: str) -> str | None:
    """The first quoted text or inline code of `before` that `after` no longer holds, as a reason."""
    lost = features(before).quoted - features(after).quoted
    return f"changed quoted text or inline code {_short(min(lost))}" if lost else None


def reason_kind(reason: str) -> str:
    """The category of a reason ("lost number '14'" -> "lost number"), for counting rejections."""
    return re.split(r" ['{`\"(]| \d", reason, maxsplit=1)[0]


def _problems(before: str, after: str, labels: tuple[str, ...], quotes: bool = True,
              scope: bool = False) -> Iterator[str]:
    old, new = features(before), features(after)
    yield from _multiset_changes("placeholder", old.placeholders, new.placeholders)
    yield from _multiset_changes("code block", old.code_blocks, new.code_blocks)
    yield from _multiset_changes("embedded document line", old.embedded_lines, new.embedded_lines)
    if quotes and not old.whole_json:  # in a JSON file, quotes delimit the values
        for quoted in sorted(old.quoted - new.quoted):
            yield f"changed quoted text or inline code {_short(quoted)}"
    if old.whole_json and not new.whole_json:
        yield "no longer valid JSON"
    yield from _multiset_changes("JSON example", old.json_examples, new.json_examples)
    for kind, lost in (
        ("number", old.numbers - new.numbers),
        ("negation", old.negations - new.negations),
        ("modal", old.modals - new.modals),
        ("URL", old.urls - new.urls),
    ):
        for item in sorted(lost):
            yield f"lost {kind} '{item}'"
    for secret in sorted(old.secrets - new.secrets):
        yield f"changed a secret ('{secret[:4]}…')"  # reasons are printed: 4 characters, never the secret
    for label in labels:
        needle = label.strip().lower()
        if needle and _has_label(before.lower(), old, needle) and not _has_label(after.lower(), new, needle):
            yield f"lost label '{label.strip()}'"
    for name in sorted(old.names - new.names):
        # a name that now starts a sentence is still there, in another position
        if name.lower() not in new.lowered_words:
            yield f"lost name '{name}'"
    if scope:
        from .compressors.scope import scope_problems  # imports this module: load it late

        yield from scope_problems(before, after)


def _has_label(lowered_text: str, feats: Features, label: str) -> bool:
    if " " not in label and WORD.fullmatch(label):
        return label in feats.lowered_words
    return re.search(rf"(?<!\w){re.escape(label)}(?!\w)", lowered_text) is not None


def _multiset_changes(kind: str, old: Counter, new: Counter) -> Iterator[str]:
    if old == new:
        return
    for item in sorted(set(old) | set(new), key=lambda s: (old[s] == new[s], s)):
        if old[item] != new[item]:
            shown = _short(item)
            if not new[item]:
                yield f"{kind} {shown} removed"
            elif not old[item]:
                yield f"{kind} {shown} added"
            else:
                yield f"{kind} {shown} changed (count {old[item]} -> {new[item]})"


def _short(item: str) -> str:
    flat = " ".join(item.split())
    return flat if len(flat) <= 40 else f"'{flat[:37]}...'"


@functools.lru_cache(maxsize=64)
def features(text: str) -> Features:
    code_spans = [(m.start(), m.end()) for m in FENCED_CODE.finditer(text)]
    whole_json = _is_whole_json(text)
    json_examples = Counter() if whole_json else Counter(text[s:e] for s, e in json_spans(text, code_spans))
    placeholders = _placeholders(text)
    lowered = frozenset(w.lower().replace("’", "'") for w in set(WORD.findall(text)))
    # a list's item markers are its order, not numbers it states (a deleted item renumbers the rest)
    numbers = set(NUMBER.findall(marker_free(text))) | (lowered & NUMBER_WORDS)
    names = {m.group(0) for m in CAPITALISED.finditer(text) if _is_name(text, m.start(), m.group(0))}
    return Features(
        placeholders=placeholders,
        code_blocks=Counter(text[s:e] for s, e in code_spans),
        json_examples=json_examples,
        whole_json=whole_json,
        numbers=frozenset(numbers),
        negations=lowered & NEGATIONS,
        modals=lowered & MODALS,
        urls=frozenset(URL.findall(text)),
        names=frozenset(names),
        lowered_words=lowered,
        secrets=frozenset(secrets_in(text)),
        quoted=frozenset(m.group(0) for m in QUOTED.finditer(text)),
        embedded_lines=Counter(m.group(0).strip() for m in EMBEDDED_LINE.finditer(_without(text, code_spans))),
    )


def _placeholders(text: str) -> Counter:
    templated = find_placeholders(text, allow_format=False)
    spans = [(p.span.start, p.span.end) for p in templated]
    found = Counter(p.raw for p in templated)
    for m in SIMPLE_PLACEHOLDER.finditer(text):
        i = bisect.bisect_right(spans, (m.start(), len(text)))
        if not (i and spans[i - 1][1] > m.start()):
            found[m.group(0)] += 1
    return found


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans (fenced code, already kept whole) blanked."""
    if not spans:
        return text
    parts, cursor = [], 0
    for start, end in spans:
        parts.append(text[cursor:start])
        cursor = end
    parts.append(text[cursor:])
    return "\n".join(parts)


def _is_name(text: str, start: int, word: str) -> bool:
    """A capitalised word that does not merely start a sentence, line, bullet or heading."""
    if not word[0].isupper() or word == "I":
        return False
    if any(c.isupper() for c in word[1:]):
        return True  # OpenAI, JSON, iPhone-like: capitals inside the word are never sentence case
    return _SENTENCE_LEAD.search(text, max(0, start - 12), start) is None


def _is_whole_json(text: str) -> bool:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return False
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):
        return False
    return True


def json_spans(text: str, skip: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Spans outside `skip` that parse as a JSON object or array with at least one separator."""
    decoder = json.JSONDecoder()
    spans: list[tuple[int, int]] = []
    position = 0
    retries = [_JSON_FULL_RETRIES]
    while (match := JSON_START.search(text, position)) is not None:
        start = match.start()
        inside = next((e for s, e in skip if s <= start < e), None)
        if inside is not None:
            position = inside
            continue
        try:
            end = _decode_at(decoder, text, start, retries)
        except RecursionError:  # nested past the recursion limit: no example, and nor is what it encloses
            position = start + _JSON_WINDOW
            continue
        except ValueError:
            position = start + 1
            continue
        if any(sep in text[start:end] for sep in ":,\n"):
            spans.append((start, end))
            position = end
        else:
            position = start + 1
    return spans


def _decode_at(decoder: json.JSONDecoder, text: str, start: int, retries: list[int]) -> int:
    """The end of the JSON value at `start` (ValueError if there is none), in time bounded by the window."""
    window = text[start : start + _JSON_WINDOW]
    try:
        return start + decoder.raw_decode(window)[1]
    except (ValueError, RecursionError):
        if len(window) < _JSON_WINDOW or retries[0] <= 0:
            raise
    retries[0] -= 1
    return decoder.raw_decode(text, start)[1]


__all__ = ["GuardVerdict", "check_rewrite", "verify", "features", "quoted_changes", "reason_kind"]
