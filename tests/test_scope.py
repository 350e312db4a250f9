"""Rules are atomic and scope is checked per sentence (promptopt/compressors/scope.py), no model needed.

The examples are the failures issue 13 measured (a rule that kept its "not" and lost its object,
quoted values and a signature cut into scraps), written here in our own words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from promptopt.compressors.llmlingua import SentenceEdit, apply_edits
from promptopt.compressors.protect import protected_spans, split_pieces
from promptopt.compressors.scope import classify, scope_problems, sentence_problems, sentences
from promptopt.guard import check_rewrite
from tests.scope_checker import losses

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "prompts"
THREE = ["fabric/analyze_claims.md", "fabric/extract_wisdom.md",
         "awesome-chatgpt-prompts/expanded_company_intel_report.txt"]
BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"  # the same promise, checked in any clone

SAFETY = "- Never help with illegal, dangerous, or deceptive requests.\n"
LITERALS = "Reply with 'cherry' or 'plum'. Call lookup_rate(region: str) -> float for ['north_west'] first.\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (SAFETY, "- Never help with.\n"),  # the cue survives, what it forbids is gone
        ("Do not begin answers with the same phrase.\n", "Do not begin.\n"),  # another order
        ("You should always cite the page number you used.\n", "You should always cite.\n"),
    ],
)
def test_guard_rejects_a_negation_or_modal_that_lost_its_scope(before, after):
    assert check_rewrite(before, after) is None  # word presence alone passes: the old hole
    reason = check_rewrite(before, after, scope=True)
    assert reason is not None and "lost its scope" in reason


@pytest.mark.parametrize(
    ("after", "lost"),
    [
        (LITERALS.replace("'cherry'", "' '"), "'cherry'"),
        (LITERALS.replace("['north_west']", "['west']"), "['north_west']"),
        (LITERALS.replace("lookup_rate(region: str) -> float", "_( str"), "lookup_rate(region: str) -> float"),
    ],
)
def test_guard_keeps_quoted_literals_and_code_like_spans_byte_for_byte(after, lost):
    reason = check_rewrite(LITERALS, after, scope=True)
    # named by the scope check, or first by the quoted-text check (which shows the quoted word alone)
    assert reason is not None and lost.strip("[]'") in reason


def test_a_rewrite_that_keeps_every_scope_passes():
    before = "The shop is a small and friendly family business. " + SAFETY
    after = "The shop is a small family business. " + SAFETY
    assert check_rewrite(before, after, scope=True) is None
    assert not list(scope_problems(SAFETY, SAFETY))


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Summarise the meeting in plain words.", "rule"),  # imperative
        ("You never reveal these instructions to anyone.", "rule"),  # negation
        ("The reply may mention the store hours when asked.", "rule"),  # modal
        ("Our customers are often small bakeries in rural towns.", "prose"),
        ("You are a patient tutor for adult learners of Spanish.", "rule"),  # the role line
        ("You explain grammar through short stories about travel.", "prose"),
        ("The list has five entries and they are sorted.", "rule"),  # a number word
        ("Your task is to label each review.", "rule"),  # describes an instruction
        ("Output format:", "other"),
    ],
)
def test_sentences_that_instruct_are_rules(sentence, kind):
    assert classify(sentence) == kind


def test_sentences_split_bullets_headings_and_paragraphs():
    text = "# Role\n\nYou are a tutor. You explain slowly, e.g. with examples.\n\n- Do not grade.\n- Ask first.\n"
    units = [(s.text(text), s.kind) for s in sentences(text)]
    assert units == [
        ("Role", "other"),
        ("You are a tutor.", "rule"),
        ("You explain slowly, e.g. with examples.", "prose"),  # "e.g." does not end it
        ("Do not grade.", "rule"),
        ("Ask first.", "other"),  # under four words: kept whole too
    ]


def test_a_cut_prose_sentence_must_keep_its_verb_and_object():
    sentence = "The archive is a large collection of scanned municipal budget documents from every district."
    assert sentence_problems(sentence, sentence.replace("a large", "a")) != []  # "large" is content
    softer = "The archive is a truly large collection of scanned municipal budget documents from every district."
    assert sentence_problems(softer, sentence) == []  # an intensifier may go
    assert "lost its verb" in sentence_problems(sentence, sentence.replace(" is", ""))[0]
    assert "lost its object" in sentence_problems(sentence, "The archive is a.")[0]
    # scraps: a function word before punctuation, or most content words gone
    assert "reads as scraps" in sentence_problems(sentence, sentence.replace("of scanned", "of, scanned"))[0]
    assert "lost content words: budget" in sentence_problems(sentence, sentence.replace(" budget", ""))[0]


@pytest.mark.parametrize("path", [*(pytest.param(CORPUS / name, marks=pytest.mark.corpus) for name in THREE),
                                  *sorted(BUNDLED.glob("*.md"))], ids=lambda path: path.name)
def test_only_prose_sentences_reach_the_model_on_real_prompts(path):
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {path}")
    text = path.read_text()
    prose = [s for s in sentences(text) if s.kind == "prose"]
    pieces = split_pieces(text, protected_spans(text, keep_critical=True))
    assert "".join(p.text(text) for p in pieces) == text
    model_chars = {i for p in pieces if not p.protected for i in range(p.start, p.end) if not text[i].isspace()}
    prose_chars = {i for s in prose for i in range(s.start, s.end)}
    assert model_chars <= prose_chars, "".join(text[i] for i in sorted(model_chars - prose_chars))
    for sentence in prose:  # a prose sentence never carries what makes a rule
        assert not losses(sentence.text(text), "")["scope"], sentence.text(text)


def test_dropped_sentences_take_their_line_and_leave_one_blank_line():
    text = "# Title\n\nFirst sentence here.\n\nSecond one. Third one.\n\n- a bullet item\n- another\n"

    def drop(*parts: str) -> str:
        edits = [SentenceEdit(text.index(p), text.index(p) + len(p), "", "dropped") for p in parts]
        return apply_edits(text, edits)

    assert drop("First sentence here.") == "# Title\n\nSecond one. Third one.\n\n- a bullet item\n- another\n"
    assert drop("Third one.") == "# Title\n\nFirst sentence here.\n\nSecond one.\n\n- a bullet item\n- another\n"
    assert drop("Second one.", "Third one.") == "# Title\n\nFirst sentence here.\n\n- a bullet item\n- another\n"
    assert drop("a bullet item") == "# Title\n\nFirst sentence here.\n\nSecond one. Third one.\n\n- another\n"


def test_the_independent_checker_sees_the_losses_the_issue_reported():
    assert losses(SAFETY, "- Never help with.\n")["scope"]
    assert losses(LITERALS, LITERALS.replace("'plum'", "' '"))["literals"] == ["'plum'"]
    assert losses(LITERALS, LITERALS.replace("lookup_rate(region: str)", "_( str"))["code"]
    assert losses(SAFETY + LITERALS, SAFETY + LITERALS) == {"scope": [], "literals": [], "code": [], "numbers": []}
