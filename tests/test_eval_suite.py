"""Eval suites, prompt files, assertions and the paired statistics: no model involved."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.evaluation.assertions import Assertion, check, evaluate
from promptopt.evaluation.cli import eval_command
from promptopt.evaluation.prompts import fill, load_prompt, parse_prompt_text
from promptopt.evaluation.similarity import similarity
from promptopt.evaluation.suite import SuiteError, load_suite

CORPUS_PROMPTS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "prompts"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- prompt files ---------------------------------------------------------------------------


def test_placeholders_in_all_three_styles_take_vars_and_json_braces_stay():
    text = 'Hi {{name}}, {{ $topic }} and {lang}. Reply as {"answer": "..."}; {{unknown}} stays.'
    out = fill(text, {"name": "Ann", "topic": "tax", "lang": "French"})
    assert out == 'Hi Ann, tax and French. Reply as {"answer": "..."}; {{unknown}} stays.'


def test_plain_text_is_one_user_message(tmp_path):
    template = load_prompt(write(tmp_path, "p.txt", "Classify: {{text}}\n"))
    assert template.render({"text": "hello"}) == [{"role": "user", "content": "Classify: hello"}]


def test_system_file_is_prepended(tmp_path):
    template = load_prompt(write(tmp_path, "p.md", "Q: {{q}}"), system="Be brief.")
    assert [m.role for m in template.messages] == ["system", "user"]


def test_prompty_role_markers_become_messages():
    text = "---\nname: x\n---\nsystem:\nYou help {{firstName}}.\n\nuser:\n{{question}}\n"
    template = parse_prompt_text(text, ".prompty")
    assert template.render({"firstName": "Jo", "question": "Why?"}) == [
        {"role": "system", "content": "You help Jo."},
        {"role": "user", "content": "Why?"},
    ]


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_PROMPTS.is_dir(), reason=f"shared corpus not found at {CORPUS_PROMPTS}")
def test_real_chatml_few_shot_file_keeps_its_turns():
    template = load_prompt(CORPUS_PROMPTS / "cot-hub" / "few_shot_cot.chatml")
    roles = [m.role for m in template.messages]
    assert roles[0] == "system" and roles[1:3] == ["user", "assistant"]
    assert all("<|im_" not in m.content for m in template.messages)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_PROMPTS.is_dir(), reason=f"shared corpus not found at {CORPUS_PROMPTS}")
def test_real_prompty_file_has_system_and_user():
    template = load_prompt(CORPUS_PROMPTS / "prompty" / "basic.prompty")
    assert [m.role for m in template.messages] == ["system", "user"]
    assert template.placeholders() == {"firstName", "lastName", "question"}


# --- assertions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "output", "passed"),
    [
        ("equals", "card_arrival", " card_arrival\n", True),
        ("equals", "card_arrival", "Card_arrival", False),
        ("contains", "refund", "a refund is due", True),
        ("icontains", "REFUND", "a refund is due", True),
        ("regex", r"^\d+ days$", "14 days", True),
        ("starts-with", "Yes", "Yes, because", True),
        ("one-of", ["a", "b"], "b", True),
        ("one-of", ["a", "b"], "c", False),
        ("is-json", None, '```json\n{"a": 1}\n```', True),
        ("is-json", None, "{'a': 1}", False),
        ("json-keys", ["intent", "slots"], '{"intent": "x", "slots": {}}', True),
        ("json-keys", ["intent", "slots"], '{"intent": "x"}', False),
        ("json-schema", {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
         '{"n": "3"}', False),
    ],
)  # fmt: skip
def test_assertion_types_and_their_negation(kind, value, output, passed):
    assert check(Assertion(kind, value), output, {}).passed is passed
    assert check(Assertion(kind, value, negate=True), output, {}).passed is (not passed)


def test_assertion_value_takes_vars():
    assert check(Assertion("equals", "{{expected}}"), "GetWeather", {"expected": "GetWeather"}).passed


def test_similarity_is_offline_and_orders_texts_sensibly():
    ref = "Your refund will arrive within 14 days."
    assert similarity(ref, ref) == 1.0
    close = similarity(ref, "The refund arrives within 14 days.")
    far = similarity(ref, "Please reset your password from the settings page.")
    assert close > 0.6 > far
    assert check(Assertion("similar", ref, threshold=0.6), "The refund arrives within 14 days.", {}).passed


def test_weights_and_threshold_decide_a_test():
    asserts = [Assertion("contains", "a", weight=3), Assertion("contains", "zzz", weight=1)]
    assert evaluate(asserts, "abc", {}, threshold=None).passed is False  # all must pass by default
    outcome = evaluate(asserts, "abc", {}, threshold=0.7)
    assert outcome.score == 0.75 and outcome.passed


# --- suites ---------------------------------------------------------------------------------


def test_dataset_suite_resolves_paths_against_its_folder(tmp_path):
    write(tmp_path, "data/items.jsonl", "".join(json.dumps({"id": f"r{i}", "q": f"item {i}", "gold": "x"}) + "\n"
                                                for i in range(10)))  # fmt: skip
    write(tmp_path, "labels.json", '["x", "y"]')
    write(tmp_path, "p.txt", "Label: {{question}}")
    suite_path = write(tmp_path, "evals/suite.yaml", """\
        prompt: ../p.txt
        dataset:
          path: ../data/items.jsonl
          vars: {question: q}
          expected: gold
          shuffle: 3
          limit: 4
        defaultTest:
          assert:
            - {type: one-of, value: ../labels.json}
        """)
    suite = load_suite(suite_path)
    assert len(suite.cases) == 4
    case = suite.cases[0]
    assert case.vars["expected"] == "x" and case.vars["question"].startswith("item ")
    assert case.assertions[0].value == ["x", "y"]
    assert [c.id for c in suite.cases] == [c.id for c in load_suite(suite_path).cases]  # fixed seed


def test_promptfoo_config_tests_are_read(tmp_path):
    write(tmp_path, "capital.txt", "Output the capital of {{location}}")
    path = write(tmp_path, "promptfooconfig.yaml", """\
        prompts: [file://capital.txt]
        providers: [openai:gpt-4o-mini]
        defaultTest:
          assert:
            - type: not-icontains
              value: sorry
        tests:
          - vars: {location: France}
            assert:
              - type: icontains
                value: paris
                weight: 2
          - description: Germany
            vars: {location: Germany}
            threshold: 0.5
            assert:
              - {type: similar, value: Berlin, threshold: 0.8}
        """)
    suite = load_suite(path)
    assert suite.model == "openai/gpt-4o-mini"
    assert [len(c.assertions) for c in suite.cases] == [2, 2]
    assert suite.cases[0].assertions[0].label == "not-icontains"
    assert suite.cases[1].threshold == 0.5 and suite.cases[1].id == "Germany"
    assert suite.prompt.render(suite.cases[0].vars)[0]["content"] == "Output the capital of France"


@pytest.mark.parametrize(
    ("suite_text", "message"),
    [
        ("prompt: p.txt\ntests: [{vars: {}, assert: [{type: sounds-like, value: x}]}]", "unknown assertion type"),
        ("prompt: missing.txt\ntests: []", "prompt file not found"),
        ("prompt: p.txt\ntests: [\n", "invalid YAML"),
        ("prompt: p.txt\n", "no tests"),
        ("prompt: p.txt\ntests: [{vars: {a: 1}, assert: [{type: cost}]}]", "cost needs a `threshold`"),
        ("prompt: p.txt\ndataset: {path: nope.jsonl}", "cannot read"),
        ("prompt: p.txt\ntests: [{assert: [{type: one-of, value: bad.json}]}]", "invalid JSON"),
        # over the bounded reader's limits (promptopt/bounded.py): yaml.safe_load expanded or overflowed these
        ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 10) + "]\n" for n in range(7)),
         "aliases expand"),
        ("prompt: p.txt\ntests: " + "[" * 500 + "]" * 500, "nested deeper"),
    ],
)
def test_bad_suite_is_one_clear_line_and_exit_2(tmp_path, suite_text, message):
    write(tmp_path, "p.txt", "Say {{a}}")
    write(tmp_path, "bad.json", "[oops")
    suite_path = write(tmp_path, "suite.yaml", suite_text)
    with pytest.raises(SuiteError, match=message):
        load_suite(suite_path)
    result = CliRunner().invoke(eval_command, [str(suite_path)])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
