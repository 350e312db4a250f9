"""What the offline default model is asked for: completion or chat, how many tokens, where to stop.

No model is loaded here: these are the decisions taken before a call (the real generations are in
test_eval_local.py and bench/local_eval.py).
"""

from __future__ import annotations

from pathlib import Path

from promptopt.evaluation.local_provider import completion_style, completion_text, cut_at_stop
from promptopt.evaluation.session import answer_budget, generation_settings
from promptopt.evaluation.suite import load_suite

SNIPS = Path(__file__).resolve().parents[1] / "fixtures" / "evals" / "snips"


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_a_few_shot_prompt_ending_on_its_cue_is_completed_as_text():
    prompt = (SNIPS / "intent_fewshot.txt").read_text(encoding="utf-8").replace("{{text}}", "play jazz")
    assert completion_style(user(prompt))
    assert completion_text(user(prompt)).endswith("Request: play jazz\nIntent:")  # the file's last newline goes
    assert not completion_style(user("Summarise this article in three sentences."))
    assert not completion_style([*user("Label: "), {"role": "assistant", "content": "ok"}, *user("Review:")])


def test_stop_strings_cut_the_answer_but_not_a_leading_newline():
    assert cut_at_stop(" GetWeather\n\nRequest: next", ["\n"]) == " GetWeather"
    assert cut_at_stop("\nGetWeather\nmore", ["\n"]) == "\nGetWeather"
    assert cut_at_stop("no stop here", ["\n", "###"]) == "no stop here"


def write(tmp_path: Path, assertions: str, extra: str = "") -> Path:
    (tmp_path / "p.txt").write_text("Intent of {{text}}:\n", encoding="utf-8")
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"prompt: p.txt\n{extra}tests:\n  - vars: {{text: hi, expected: Greeting}}\n    assert: {assertions}\n",
        encoding="utf-8",
    )
    return path


def test_the_local_model_generates_only_what_the_assertions_can_accept(tmp_path):
    labels = '[{type: one-of, value: [Greeting, SearchScreeningEvent]}]'
    suite = load_suite(write(tmp_path, labels))
    assert answer_budget(suite.cases) == 12  # 20 bytes at most 10 tokens, and a margin of 2
    assert generation_settings(suite, "local/smollm2") == (12, ["\n"])
    assert generation_settings(suite, "openai/gpt-4o-mini") == (256, [])  # a provider's model: as written

    equals = load_suite(write(tmp_path, '[{type: equals, value: "{{expected}}"}]'))
    assert answer_budget(equals.cases) == 6  # the var filled in: "Greeting"
    explicit = load_suite(write(tmp_path, labels, "max_tokens: 40\nstop: ['###']\n"))
    assert generation_settings(explicit, "local/smollm2") == (40, ["###"])  # the suite's own values win


def test_no_cap_when_some_case_accepts_open_ended_answers(tmp_path):
    for assertions in ('[{type: icontains, value: hello}]', '[{type: not-equals, value: "x"}]'):
        suite = load_suite(write(tmp_path, assertions))
        assert answer_budget(suite.cases) is None
        assert generation_settings(suite, "local/smollm2") == (256, [])
