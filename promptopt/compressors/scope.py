"""Sentences of a prompt, which of them instruct, and whether a rewrite kept what each one says.

Shared by the splitter (``protect.py``: what a model-based compressor may touch) and the guard
(``guard.check_rewrite(..., scope=True)``: what a rewrite must keep), so both read one definition:

- ``QUOTED`` and ``CODE_LIKE`` spans (quoted literals, calls, signatures, paths, identifiers) come
  back byte for byte;
- a sentence that instructs (an imperative, a negation, a modal, a number) is a rule: kept whole;
- only ``prose`` sentences (a subject and a verb describing background, a persona's story, an
  explanation; not the role line "You are a ...") may be compressed, and a compressed one must
  keep its verb, the words after it that carry its object, and read as a sentence
  (``sentence_problems``);
- a negation or modal keeps what it governs: its clause's content words, in order, after the cue
  (``scope_problems``).

No model and no tagger: regexes and word lists, so this stays fast and runs on the hook path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from ..guard import MODALS, NEGATIONS, NUMBER_WORDS

# 'apple', "safe bet", “curly”, ['election_voting']: a literal the model must not touch. Single quotes
# need a non-word character outside them, so apostrophes (don't, users') never open a literal.
QUOTED = re.compile(
    r"\[\s*(?:'[^'\n]*'|\"[^\"\n]*\")(?:\s*,\s*(?:'[^'\n]*'|\"[^\"\n]*\"))*\s*\]"
    r"|\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”|‘[^’\n]{1,200}’"
    r"|(?<![\w'’])'[^'\n]{1,100}'(?![\w'’])"
)
# get_policy(category: str) -> str, os.path.join(a, b), src/app/main.py, --max-tokens, snake_case,
# camelCase, dotted.names: a model cuts these into scraps ("_( str").
CODE_LIKE = re.compile(
    r"\b[A-Za-z_][\w.]*\([^()\n]*\)(?:\s*->\s*[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?)?"  # call or signature
    r"|(?<![\w/])(?:~|\.{1,2})?/?[\w.-]+(?:/[\w.-]+)+/?"  # a path
    r"|(?<![\w-])--?[A-Za-z][\w-]*(?:=\S+)?"  # a command-line flag
    r"|\b[A-Za-z]\w*_\w+\b"  # snake_case
    r"|\b[a-z]+[A-Z]\w*\b"  # camelCase
    r"|\b[A-Za-z_]\w+(?:\.[A-Za-z_]\w+)+(?:\(\))?(?=\W|$)"  # dotted.name, file.ext (not e.g.)
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
LIST_MARKER = re.compile(r"^[ \t]*(?:(?:#{1,6}|[-*+]|\d+[.)]|>)[ \t]+)+")
# a list marker, heading marker or quote marker at the start of a line; also bold/italic openers
LINE_LEAD = re.compile(r"^[ \t]*(?:(?:#{1,6}|[-*+]|\d+[.)]|>)[ \t]+)*(?:\*\*|__|[*_\"'“(])?")
# a sentence ends at . ! ? before a capital, and at any line that ends with . ! ? or : (a label line)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*[^\S\n]+(?=[\"'“(\[*_]*[A-Z0-9])|(?<=[.!?:])[^\S\n]*\n\s*")
ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|Mr|Mrs|Ms|Dr|St|No|Fig|approx|incl)\.$|\b[A-Z]\.$")

MODAL_CUES = MODALS | {"may", "might", "can", "could", "will", "would", "need", "needs", "ensure", "required",
                       "mandatory", "important", "please", "avoid", "prefer"}
SCOPE_CUES = NEGATIONS | MODALS | {"may", "might", "can", "could", "need", "needs", "ensure"}
# A descriptive sentence opens with its subject. Anything else (an imperative, "If ..., do ...",
# "In a section called X, give ...") is treated as an instruction and kept whole.
SUBJECTS = frozenset("""you i we they he she it this that these those the a an our my your their its his her
    there each every many most some such""".split())
PRONOUNS = frozenset("you i we they he she it".split())
# "Your task is to ..." describes an instruction: kept whole as one.
TASK_NOUNS = re.compile(r"\b(?:task|job|goal|role|objective|mission|aim|purpose)s?\s+(?:is|are|will be)\s+to\b", re.I)
# The role line ("You are a ...", "Act as ...", "Your name is ...") sets who answers: kept like a rule.
ROLE_LINE = re.compile(r"^\W*(?:you\s+are\s+(?:a|an|the)\b|you['’]re\s+(?:a|an|the)\b|your\s+name\s+is\b"
                       r"|(?:i\s+want\s+you\s+to\s+)?act\s+as\b)", re.I)
AUXILIARIES = frozenset("""is are was were be been being am has have had do does did can could will would
    shall should may might must""".split())
ADVERBS = frozenset("also often always just then usually now still only really currently mainly primarily".split())
STOPWORDS = frozenset("""a an the of to in on at by for with from into onto about as and or but so if then than
    that this these those it its is are was were be been being am do does did has have had i you we they he she
    me him her us them my your our their his which who whom whose what when where while any all each every
    some such own same other very just also""".split())
INTENSIFIERS = frozenset("very really quite rather truly highly extremely incredibly deeply fairly pretty".split())
CLAUSE_BREAK = re.compile(r"[.;:!?\n]|\s[-–—]\s")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    kind: str  # "rule" (instructs: kept whole), "prose" (may be compressed), "other" (heading, label...)

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def sentences(text: str) -> list[Sentence]:
    """Every sentence, bullet and heading of ``text``, with what it is; markers stay outside the spans.

    A list item or heading is a unit of its own; consecutive plain lines form a paragraph that is
    split at sentence ends (abbreviations such as "e.g." do not end one).
    """
    units: list[Sentence] = []
    for start, end in _segments(text):
        cursor = start
        for m in SENTENCE_END.finditer(text, start, end):
            if ABBREVIATION.search(text, cursor, m.start()):
                continue
            units.append(_unit(text, cursor, m.start()))
            cursor = m.end()
        units.append(_unit(text, cursor, end))
    return [u for u in units if u.end > u.start]


def _segments(text: str) -> Iterator[tuple[int, int]]:
    """Spans of list items, headings and runs of plain lines, without their line markers."""
    run: tuple[int, int] | None = None
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        stripped = line.strip()
        marker = LIST_MARKER.match(line)
        if not stripped or marker or stripped.startswith("#"):
            if run:
                yield run
                run = None
            if stripped:
                yield line_start + (marker.end() if marker else 0), line_start + len(line.rstrip())
            continue
        content = (line_start + len(line) - len(line.lstrip()), line_start + len(line.rstrip()))
        run = (run[0], content[1]) if run else content
    if run:
        yield run


def _unit(text: str, start: int, end: int) -> Sentence:
    segment = text[start:end]
    start += len(segment) - len(segment.lstrip())
    end -= len(segment) - len(segment.rstrip())
    return Sentence(start, end, classify(text[start:end]))


def classify(sentence: str) -> str:
    """"rule" when it instructs, "prose" when it only describes, "other" for headings and labels."""
    words = [w.lower().replace("’", "'") for w in WORD.findall(sentence)]
    lead = LINE_LEAD.sub("", sentence.lstrip(), count=1)
    first = WORD.match(lead)
    if sentence.rstrip().endswith(":") or sentence.lstrip().startswith("#"):
        return "other"
    if (
        set(words) & (NEGATIONS | MODAL_CUES | NUMBER_WORDS)
        or re.search(r"\d", sentence)
        or "make sure" in " ".join(words)
        or TASK_NOUNS.search(sentence)
        or ROLE_LINE.search(sentence)
        or QUOTED.search(sentence)
        or CODE_LIKE.search(sentence)
    ):
        return "rule"
    if len(words) < 4:
        return "other"
    if (
        first is None
        or first.group(0).lower() not in SUBJECTS
        or main_verb(words) is None
    ):
        return "rule"
    return "prose"


def main_verb(words: list[str]) -> int | None:
    """Index of the sentence's verb: the word after a pronoun subject, or the first auxiliary."""
    if words and words[0] in PRONOUNS:
        for i, word in enumerate(words[1:4], start=1):
            if word not in ADVERBS:
                return i
        return None
    return next((i for i, word in enumerate(words[:12]) if word in AUXILIARIES), None)


def head_end(sentence: str) -> int | None:
    """Where the sentence's subject and verb end ("You are", "This list is"): a compressor keeps
    that head whole, so what it cuts is modifiers, never the predicate. None without a verb."""
    matches = list(WORD.finditer(sentence))
    verb = main_verb([m.group(0).lower().replace("’", "'") for m in matches])
    return None if verb is None else matches[verb].end()


def literals(text: str) -> Counter:
    """Quoted literals and code-like spans, as a multiset."""
    return Counter(m.group(0) for m in QUOTED.finditer(text)) + Counter(m.group(0) for m in CODE_LIKE.finditer(text))


def content_words(text: str) -> list[str]:
    return [w for w in (x.lower().replace("’", "'") for x in WORD.findall(text)) if w not in STOPWORDS]


def sentence_problems(before: str, after: str) -> list[str]:
    """Why a compressed prose sentence is not acceptable (empty: it is): lost its verb, its object,
    a literal or a code-like span. Compares one sentence with its own compressed form."""
    problems = [f"lost literal {item!r}" for item in sorted((literals(before) - literals(after)).elements())]
    old = [w.lower().replace("’", "'") for w in WORD.findall(before)]
    new = [w.lower().replace("’", "'") for w in WORD.findall(after)]
    verb = main_verb(old)
    if verb is None:
        return [*problems, "no verb found: kept whole"]
    if old[verb] not in new:
        return [*problems, f"lost its verb '{old[verb]}'"]
    after_verb = new[new.index(old[verb]) + 1 :]
    objects = [w for w in old[verb + 1 :] if w not in STOPWORDS]
    kept = [w for w in objects if w in after_verb]
    if objects and len(kept) < min(2, len(objects)):
        problems.append(f"lost its object (kept {len(kept)} of {len(objects)} words after '{old[verb]}')")
    return problems + unreadable(before, after)


# what a token-level cut leaves behind when it is no longer a sentence: "the, of, its on,,,, and."
DANGLING = re.compile(r"\b(?:the|a|an|of|in|on|at|to|for|with|by|from|and|or|its|their|as)\s*[,.;:!?]"
                      r"|[,;:]\s*[,.;:!?]|\w-\s", re.I)


def unreadable(before: str, after: str) -> list[str]:
    """A cut that reads as scraps (a function word left before punctuation, punctuation runs, a
    dangling hyphen) or that lost a content word: only glue words, intensifiers and -ly adverbs
    may go. Measured with SmolLM2, LLMLingua drops the predictable end of a phrase ("strengths
    and weaknesses" -> "key and"), which no share of kept words would catch."""
    fresh = [m.group(0) for m in DANGLING.finditer(after) if m.group(0) not in before]
    if fresh:
        return [f"reads as scraps: {fresh[0].strip()!r}"]
    lost = Counter(content_words(before)) - Counter(content_words(after))
    lost_content = sorted(w for w in lost if not (w.endswith("ly") or w in INTENSIFIERS))
    if lost_content:
        return [f"lost content words: {', '.join(lost_content[:5])}"]
    return []


def scope_problems(before: str, after: str) -> Iterator[str]:
    """Per sentence of ``before``: literals and code-like spans kept, and every negation or modal
    still followed, in one sentence of ``after``, by the content words of its clause in order."""
    for item in sorted((literals(before) - literals(after)).elements()):
        yield f"lost literal {item!r}"
    after_sentences = [_words(s.text(after)) for s in sentences(after)]
    for sentence in sentences(before):
        text = sentence.text(before)
        for cue, governed in governed_words(text):
            if not any(_in_order([cue, *governed], words) for words in after_sentences):
                yield f"{cue!r} lost its scope: '{cue} {' '.join(governed)}'"


def governed_words(sentence: str) -> Iterator[tuple[str, list[str]]]:
    """(cue, content words of its clause after it) for each negation or modal in ``sentence``."""
    for m in WORD.finditer(sentence):
        cue = m.group(0).lower().replace("’", "'")
        if cue not in SCOPE_CUES:
            continue
        end = CLAUSE_BREAK.search(sentence, m.end())
        clause = sentence[m.end() : end.start() if end else len(sentence)]
        yield cue, [w for w in content_words(clause) if w not in SCOPE_CUES][:12]


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def _in_order(needles: list[str], words: list[str]) -> bool:
    position = 0
    for needle in needles:
        try:
            position = words.index(needle, position) + 1
        except ValueError:
            return False
    return True


__all__ = ["CODE_LIKE", "QUOTED", "Sentence", "classify", "scope_problems", "sentence_problems", "sentences"]
