"""Does a fix leave its sentence whole and saying the same thing? Deterministic checks, no parser.

Every safe fix passes through `problem` (from `Context.report`): a fix that fails a check is offered as
unsafe (ruff's model: `--fix` leaves it, `--unsafe-fixes` applies it) with the reason in its title.
The checks look at the words either side of each edit, within its sentence; each one answers a way a
deletion or a swap was seen to break a real sentence (issue 23, the shared corpus):

- a removed conjunct: "you should kindly and gently explain" -> "you should and gently explain"
  ("gently and kindly explain" too; "answer and kindly use the FAQ" is fine);
- a removed verb: "it is important to keep in mind that our policy" -> "it is important to our policy",
  "please note the following:" -> "the following:", "you should note that X" -> "you should X",
  "be brief and please note that X" -> "be brief and X", "if you please," -> "if you,";
- a removed manner adverb: "answer kindly." -> "answer.";
- punctuation left dangling: "Please note: X" -> ": X";
- a swap that needs other words: "the majority of the session" -> "most the session" (most of),
  "to have the ability to" -> "to can";
- a swap that changes the sense: "need in order to rein in" (needed for) -> "need to rein in" (must),
  "Differentiate f with respect to x" -> "Differentiate f about x" (a relation, not a topic).

spaCy would see more, but its import costs most of a second and the audit and the hook stay light; the
measure of these checks is tests/test_sentence_check.py over every safe fix in the shared corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .core import Edit

_WORD = re.compile(r"[A-Za-z][\w'’-]*|[^\sA-Za-z]")
_BOUNDARY = re.compile(r"[.!?](?=\s)|\n\s*\n|\n\s*(?:[-*+]|\d+[.)])\s")

_WINDOW = 2000  # characters either side: a sentence is shorter, and a long file is not rescanned per fix

COORDINATORS = frozenset({"and", "or", "nor", "but"})
MODALS = frozenset({"to", "can", "could", "may", "might", "must", "shall", "should", "will", "would",
                    "do", "does", "did", "don't", "doesn't", "didn't", "not", "never", "cannot", "won't"})
SUBJECTS = frozenset({"i", "we", "you", "they", "he", "she", "it", "one"})
# words that open a noun phrase or a clause: after "to"/a modal they mean the verb has gone
NOUN_STARTS = frozenset({"the", "a", "an", "this", "that", "these", "those", "our", "your", "my", "their",
                         "his", "her", "its", "some", "any", "every", "each", "all", "no", "them", "him",
                         "us", "me", "it", "i", "we", "you", "they", "he", "she", "everyone", "anyone"})
# verbs and adjectives whose "to" is a complement, not a purpose: "need in order to X" != "need to X"
TO_COMPLEMENT = frozenset("""need needs needed want wants wanted have has had like likes liked try tries tried
    ought used going able about plan plans planned hope hopes hoped seem seems seemed appear appears decide
    decides decided choose chooses chose expect expects expected intend intends intended agree agrees
    refuse refuses learn learns manage manages fail fails failed prefer prefers wish wishes required
    allowed asked told forced enough ready willing""".split())
# "with respect to" and "in relation to" mean "about" only where they name a topic; before a variable
# or after these words they name a relation ("differentiate with respect to x", "small in relation to")
RELATIONAL = ("with respect to", "in relation to")
TOPIC_OPENERS = frozenset({"is", "are", "was", "were", "be", "been", "being"} | {
    "question", "questions", "information", "policy", "policies", "concerns", "concern", "views", "view",
    "guidance", "advice", "decisions", "rules", "requirements", "details", "issues", "issue", "comments",
    "feedback", "answers", "answer", "knowledge", "opinion", "opinions", "instructions", "discussion"})
VERBS_TAKING_OBJECT = frozenset({"note", "mind", "remember", "consider", "notice"})


def problem(text: str, edits: Sequence[Edit]) -> str | None:
    """Why applying `edits` (offsets into `text`) may break or change a sentence; None if all checks pass."""
    for edit in edits:
        reason = edit_problem(text, edit.span.start, edit.span.end, edit.replacement)
        if reason:
            return reason
    return None


def edit_problem(text: str, start: int, end: int, replacement: str) -> str | None:
    old = text[start:end]
    if not old.strip():  # an insertion or whitespace: no word of a sentence changes
        return None
    if not replacement.strip() and _whole_sentences(text, start, end):
        return None  # whole sentences, lines or items go: none is left half
    if "\n" in old.strip():
        return "the edit spans lines without taking them whole: its sentences cannot be checked"
    left = _words(_sentence_before(text, start))
    right = _words(_sentence_after(text, end))
    removed = [w.lower() for w in _words(old)]
    added = [w.lower() for w in _words(replacement)]
    prev = left[-1].lower() if left else ""
    nxt = right[0].lower() if right else ""
    if added:
        return _swap_problem(removed, added, prev, nxt, right)
    # "in order to" -> "to" may arrive as deleting "in order": the same swap, seen with its neighbour
    after_next = right[1].lower() if len(right) > 1 else ""
    reason = _deletion_problem(removed, left, prev, nxt, right)
    if reason is None and nxt:
        reason = _swap_problem(removed + [nxt], [nxt], prev, after_next, right[1:])
    return reason


def _deletion_problem(removed: list[str], left: list[str], prev: str, nxt: str, right: list[str]) -> str | None:
    words = [w for w in removed if w[0].isalpha()]
    if not words:
        return None
    said = " ".join(words)
    if nxt in COORDINATORS:
        return f"'{said}' is joined to what follows by '{nxt}': removing it leaves '{nxt}' without a first half"
    before_coordinator = left[-2].lower() if len(left) > 1 else ""
    if prev in COORDINATORS and (not nxt or not nxt[0].isalpha()
                                 or words[-1].endswith("ly") and before_coordinator.endswith("ly")):
        return f"'{said}' is the second half of '{prev} ...': removing it leaves '{prev}' dangling"
    if len(words) == 1 and words[0].endswith("ly") and (not nxt or not nxt[0].isalpha()):
        return f"'{said}' says how to do what comes before it: removing it changes the instruction"
    closes = not nxt or not nxt[0].isalpha() or not removed[-1][0].isalpha()  # "please," takes its comma
    if prev in MODALS and (closes or nxt in NOUN_STARTS):
        return f"'{prev} {said}': '{said}' is the verb after '{prev}', and the sentence would lose it"
    if prev in SUBJECTS and closes:  # "if you please," is a verb
        return f"'{prev} {said}': '{said}' is the verb after '{prev}', and the sentence would lose it"
    if words[-1] == "that" and (prev in MODALS or prev in SUBJECTS or prev in COORDINATORS and words[0] != "it"):
        return f"'{prev} {said}': the clause after '{prev}' would have no verb"
    if words[-1] in VERBS_TAKING_OBJECT and nxt and nxt[0].isalpha():
        return f"'{said}' takes '{' '.join(right[:3])}' as its object: removing it leaves the object stranded"
    if removed[-1] in (",", ";") and nxt in (",", ";", ".", "!", "?", ""):
        return None  # a parenthetical with its comma: the sentence closes as before
    if not left and nxt in (":", ";", ",", ")"):
        return f"removing '{said}' leaves the sentence starting with '{nxt}'"
    return None


def _swap_problem(removed: list[str], added: list[str], prev: str, nxt: str, right: list[str]) -> str | None:
    old, new = " ".join(removed), " ".join(added)
    if added[-1] == "most" and nxt in NOUN_STARTS:
        return f"'{new} {nxt}' needs 'of': '{old}' cannot simply become '{new}' here"
    if added[0] in ("can", "must") and prev in MODALS | {"be", "being", "been"}:
        return f"'{prev} {new}' is not English: '{old}' after '{prev}' cannot become '{new}'"
    if old == "in order to" and prev in TO_COMPLEMENT:
        return f"'{prev} in order to' (needed for) would read '{prev} to' (a different verb phrase)"
    if old in RELATIONAL:
        if _variable(right):
            return f"'{old} {right[0]}' is a relation to a variable, not a topic: 'about' changes the meaning"
        if prev and prev not in TOPIC_OPENERS and prev not in (",", ";", ":", "("):
            return f"'{prev} {old}' may be a relation ('relative to'), not a topic: 'about' cannot be checked"
    return None


def _whole_sentences(text: str, start: int, end: int) -> bool:
    """`text[start:end]` starts where a sentence (or line) starts and ends where one ends."""
    before = text[max(0, start - _WINDOW):start].rstrip(" \t")
    starts = not before or before[-1] in ".!?:\n" or re.search(r"(^|\n)\s*(?:[-*+>]|\d+[.)])$", before) is not None
    removed, after = text[start:end].rstrip(), text[end:end + _WINDOW].lstrip(" \t")
    ends = removed[-1:] in (".", "!", "?") or not after or after[0] == "\n"
    return starts and ends


def _variable(words: list[str]) -> bool:
    """A math variable: a single letter or a symbol-led term ($x$, θ, f(x))."""
    if not words:
        return False
    first = words[0]
    return (len(first) == 1 and first.isalpha() and first.lower() not in ("a", "i")) or first in ("$", "\\")


def _sentence_before(text: str, start: int) -> str:
    head = text[max(0, start - _WINDOW):start]
    cut = 0
    for m in _BOUNDARY.finditer(head):
        cut = m.end()
    line = head.rfind("\n") + 1
    piece = head[max(cut, line):]
    return re.sub(r"^\s*(?:[-*+>#]+|\d+[.)])\s+", "", piece)  # a list marker is not a word of the sentence


def _sentence_after(text: str, end: int) -> str:
    tail = text[end:end + _WINDOW]
    m = _BOUNDARY.search(tail)
    stop = m.start() + 1 if m else len(tail)
    line = tail.find("\n")
    if line != -1:
        stop = min(stop, line)
    return tail[:stop]


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


__all__ = ["problem", "edit_problem"]
