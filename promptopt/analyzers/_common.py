"""Helpers the Python rules share: normalising sentences, content words, lookup lemmas, deletions."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

from ..core import Edit, PromptDocument, Segment, SegmentKind, Span
from ..lazyre import lazy_compile

WORD = lazy_compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:[.,]\d+)*")
LIST_MARKER = lazy_compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_EMPHASIS = lazy_compile(r"[*_`]+")
_SPACES = lazy_compile(r"\s+")
STOPWORDS = frozenset(
    """a an the and or but if then of to in on at by for with from as is are was were be been being it its this
    that these those you your yours we our i me my he she they them their his her not no do does did so such than
    too very can will just should would could may might must shall into onto over under about above below up down
    out off again further once here there when where why how all any both each few more most other some own same
    only also what which who whom whose while during before after between through because until against""".split()
)
NEGATIONS = frozenset({"not", "no", "never", "don't", "dont", "doesn't", "do not", "without", "none", "nor",
                       "cannot", "can't", "won't", "shouldn't", "mustn't", "isn't", "aren't", "avoid"})


def normalize(text: str) -> str:
    """Case, spacing, list markers and trailing punctuation do not make a sentence different."""
    text = LIST_MARKER.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _SPACES.sub(" ", text).strip().lower()
    return text.rstrip(" .!;:")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


@functools.lru_cache(maxsize=1)
def _lemma_table():
    """English lookup lemmas from spacy-lookups-data, read directly: no spaCy import, no pipeline
    (looked up a word at a time: promptopt/lookup_table.py)."""
    from ..lookup_table import open_table

    spec = importlib.util.find_spec("spacy_lookups_data")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "en_lemma_lookup.json.gz"
    return open_table("en-lemmas", path, _read_lemmas)


def _read_lemmas(path: Path) -> dict[str, str]:
    try:
        import gzip  # only for a gzipped word list, not on every run

        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    except OSError:
        return {}


def lemma(word: str) -> str:
    return _lemma_table().get(word, word)


def content_lemmas(text: str) -> frozenset[str]:
    return frozenset(lemma(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)


def negated(text: str) -> bool:
    lowered = f" {text.lower()} "
    return any(f" {n} " in lowered for n in NEGATIONS) or "n't " in lowered


def whole_unit(doc: PromptDocument, span: Span, holder: Segment) -> bool:
    """Is the sentence the whole bullet or paragraph, or a prose line of its own (one instruction per
    line, as many prompts are written), rather than one sentence of several?"""
    if covers(doc.text, holder, span):
        return True
    return holder.kind == SegmentKind.PROSE and _own_line(doc.text, span)


_MARKER = lazy_compile(r"\s*(?:[-*+•]|\d{1,3}[.)])\s+")


def covers(text: str, holder: Segment, span: Span) -> bool:
    """Is the sentence all of its bullet or paragraph, but for the list marker, emphasis and end marks?"""
    start = holder.span.start
    if holder.kind == SegmentKind.LIST_ITEM:
        marker = _MARKER.match(text, start)
        if marker:
            start = marker.end()
    return not (text[start : span.start] + text[span.end : holder.span.end]).strip(" \t\n*_`.!;:")


def _own_line(text: str, span: Span) -> bool:
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = text.find("\n", span.end)
    line_end = len(text) if line_end == -1 else line_end
    return not text[line_start : span.start].strip() and not text[span.end : line_end].strip()


def whole_lines(text: str, start: int, end: int) -> Span:
    """The whole lines from `start` to `end` as one deletion that leaves the text tidy: a blank line
    between blocks goes along (no double blank line is left), and at the end of the text the line breaks
    before it go too, so the text ends as it did (one newline, or none in a YAML `|-` scalar)."""
    start = text.rfind("\n", 0, start) + 1
    if end < len(text) and (end == 0 or text[end - 1] != "\n"):
        end = text.find("\n", end)
        end = len(text) if end == -1 else end + 1
    if end < len(text) and text[end] == "\n" and (start == 0 or text[start - 2 : start] == "\n\n"):
        end += 1
    if end >= len(text):
        keep_final_newline = text.endswith("\n")
        while start > 0 and text[start - 1] == "\n":
            start -= 1
        if keep_final_newline and start > 0:
            start += 1
        return Span(start, len(text))
    return Span(start, end)


def delete_unit(doc: PromptDocument, span: Span, holder: Segment) -> list[Edit]:
    """Edits that remove a sentence; when it is the whole bullet or paragraph, remove its line(s)."""
    text = doc.text
    whole = covers(text, holder, span)
    if whole or (holder.kind == SegmentKind.PROSE and _own_line(text, span)):
        unit = holder.span if whole else span
        return [Edit(whole_lines(text, unit.start, unit.end), "")]
    start, end = span.start, span.end
    while end < len(text) and text[end] in " \t":
        end += 1
    if end == len(text) or text[end] == "\n":  # the line's last sentence: the space before it goes
        while start > 0 and text[start - 1] in " \t":
            start -= 1
    return [Edit(Span(start, end), "")]
