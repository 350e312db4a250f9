"""`promptopt eval`'s options and modes do what they say, end to end through litellm over real HTTP.

The OpenAI-compatible server on 127.0.0.1 is tests/test_eval_http.py's (the model `subject` answers
"Paris ..." when the prompt names France, here also "Madrid ..." for Spain; models named `judge...`
grade in JSON), here also counting the calls in flight. A missing key must stop a run before any
call; a flag must reach the calls it names (--provider, --cache-dir, --concurrency, --confidence,
--max-drop, --rate, the grader's room to answer); errors end in one line on stderr and exit 2.
In-process (CliRunner), so that mutation testing sees them (docs/mutation.md). Nothing here stands
in for a model except where a real one cannot fail on demand (Ctrl-C while a compressor loads, a
local model that cannot load) or needs a local model (--compress llmlingua).
"""

from __future__ import annotations

import io
import json
import signal
import sys
import textwrap
import threading
import time
import types
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_eval_http import FakeOpenAI, by_model, make_handler

from promptopt.evaluation.cli import eval_command
from promptopt.evaluation.grading import GRADER_MAX_TOKENS
from promptopt.evaluation.runner import DEFAULT_MODELS_BY_KEY


class Server(FakeOpenAI):
    """FakeOpenAI that also counts the calls in flight and can be slowed or hooked per request."""

    def __init__(self):
        super().__init__()
        self.delay = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self.on_request = None

    def answer(self, body: dict) -> str:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.on_request is not None:
                self.on_request(body)
            time.sleep(self.delay)
            if body["model"].startswith("judge"):
                return super().answer({**body, "model": "judge"})
            if "Spain" in body["messages"][-1]["content"]:
                return "Madrid is the capital of Spain."
            return super().answer(body)
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def server(monkeypatch):
    for key, _model in DEFAULT_MODELS_BY_KEY:  # each test says which keys are set
        monkeypatch.delenv(key, raising=False)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    fake = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield fake
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def openai_env(server, monkeypatch):
    """OPENAI_API_KEY set and the OpenAI endpoint pointed at the server: models named without config reach it."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_BASE", server.url)
    return server


def write(tmp_path: Path, text: str, name: str = "promptfooconfig.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def run(suite: str, tmp_path: Path, *extra: str):
    args = [suite, "--cache-dir", str(tmp_path / "cache"), *extra]
    return CliRunner().invoke(eval_command, args)


def subject(url: str, label: str = "", **config) -> str:
    settings = ", ".join(f"{k}: {v}" for k, v in {"apiBaseUrl": f'"{url}"', "apiKey": "k", **config}.items())
    return f"{{id: openai:chat:subject{', label: ' + label if label else ''}, config: {{{settings}}}}}"


CASES = """\
tests:
  - vars: {country: France}
    assert: [{type: icontains, value: paris}]
  - vars: {country: Spain}
    assert: [{type: icontains, value: madrid}]
"""
ONE_PROMPT = "prompts:\n  - 'What is the capital of {{country}}? One sentence.'\n"
TWO_PROMPTS = """\
prompts:
  - {raw: 'Capital of {{country}}?', label: short}
  - {raw: 'What is the capital city of {{country}}? Answer in one sentence.', label: long}
"""
GRADED = """\
tests:
  - vars: {country: France}
    assert:
      - {type: llm-rubric, value: names Paris as the capital}
"""


# --- a missing key stops the run before any call ---------------------------------------------------


@pytest.mark.parametrize("prompts", [ONE_PROMPT, TWO_PROMPTS], ids=["models", "matrix"])
def test_a_provider_without_its_key_stops_every_mode_before_any_call_and_is_named(server, tmp_path, prompts):
    # the first provider brings its own key; the second needs OPENAI_API_KEY, which is not set
    suite = write(tmp_path, f"{prompts}providers:\n  - {subject(server.url)}\n  - openai:chat:gpt-4o-mini\n{CASES}")
    result = run(suite, tmp_path, "--format", "json", "--retries", "0")
    assert result.exit_code == 2
    assert result.stderr == "promptopt eval: error: missing API key for openai/gpt-4o-mini: set OPENAI_API_KEY\n"
    assert server.requests == []


def test_comparing_two_prompts_on_one_provider_needs_only_that_providers_key(server, tmp_path):
    keyless = "openai:chat:gpt-4o-mini"  # OPENAI_API_KEY is not set
    suite = write(tmp_path, f"{TWO_PROMPTS}providers:\n  - {subject(server.url, 'a')}\n  - {keyless}\n{CASES}")
    result = run(suite, tmp_path, "--candidate-prompt", "long", "--provider", "a", "--format", "json")
    assert result.exit_code == 1, result.output  # 2 cases cannot rule out a drop: inconclusive, not an error
    assert json.loads(result.stdout)["comparison"]["verdict"] == "inconclusive"
    assert len(server.requests) == 4

def test_a_grader_without_its_key_stops_the_run_before_any_call(server, tmp_path):
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{GRADED}")
    result = run(suite, tmp_path, "--grader", "openai:gpt-4o-mini", "--retries", "0")
    assert result.exit_code == 2
    assert result.stderr == "promptopt eval: error: missing API key for openai/gpt-4o-mini: set OPENAI_API_KEY\n"
    assert server.requests == []
    # a suite with nothing model-graded needs no grader, so no grader key either
    plain = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}", "plain.yaml")
    result = run(plain, tmp_path, "--grader", "openai:gpt-4o-mini", "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 2


def test_the_suites_grader_with_its_own_key_judges_with_room_for_its_verdict(server, tmp_path):
    # no OPENAI_API_KEY: the grader's config has its key; the subject is capped at 5 tokens, the grader is not
    judge = f'{{id: openai:chat:judge, config: {{apiBaseUrl: "{server.url}", apiKey: k}}}}'
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url, max_tokens=5)}\n"
                            f"defaultTest:\n  options:\n    provider: {judge}\n{GRADED}")  # fmt: skip
    result = run(suite, tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["max_tokens"] for r in by_model(server, "subject")] == [5]
    assert [r["max_tokens"] for r in by_model(server, "judge")] == [GRADER_MAX_TOKENS]
    assert "model-graded assertions judged by openai/judge: 1 grader call(s)" in json.loads(result.stdout)["notes"]


def test_the_grader_flag_replaces_the_suites_grader(openai_env, tmp_path):
    judge = f'{{id: openai:chat:judge, config: {{apiBaseUrl: "{openai_env.url}", apiKey: k}}}}'
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(openai_env.url)}\n"
                            f"defaultTest:\n  options:\n    provider: {judge}\n{GRADED}")  # fmt: skip
    result = run(suite, tmp_path, "--grader", "openai:chat:judge-b", "--format", "json")
    assert result.exit_code == 0, result.output
    assert by_model(openai_env, "judge") == [] and len(by_model(openai_env, "judge-b")) == 1


# --- flags reach the calls they name ---------------------------------------------------------------


def test_two_models_on_one_prompt_are_compared_with_the_given_confidence_and_max_drop(server, tmp_path):
    two = f"providers:\n  - {subject(server.url, 'a')}\n  - {subject(server.url, 'b', temperature=0.5)}\n"
    result = run(write(tmp_path, ONE_PROMPT + two + CASES), tmp_path, "--format", "json", "--confidence", "0.8",
                 "--max-drop", "0.3")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["passed"] for m in data["models"]] == [2, 2]  # a table of the two models, not a matrix
    assert data["models"][0]["comparison"] is None
    compared = data["models"][1]["comparison"]
    assert (compared["confidence"], compared["max_drop"], compared["n"]) == (0.8, 0.3, 2)
    assert sorted(r.get("temperature") for r in server.requests) == [0, 0, 0.5, 0.5]  # each model ran


def test_the_pair_compared_is_the_one_named_with_the_given_confidence_and_max_drop(server, tmp_path):
    two = f"providers:\n  - {subject(server.url, 'a')}\n  - {subject(server.url, 'b', temperature=0.5)}\n"
    suite = write(tmp_path, TWO_PROMPTS + two + CASES)
    result = run(suite, tmp_path, "--format", "json", "--baseline-prompt", "long", "--candidate-prompt", "short",
                 "--provider", "b", "--confidence", "0.8", "--max-drop", "0.3", "--allow-inconclusive")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["variants"]["original"]["source"].startswith("What is the capital city")  # the baseline named
    assert data["variants"]["candidate"]["source"] == "Capital of {{country}}?"
    c = data["comparison"]
    assert (c["confidence"], c["max_drop"], c["n"], c["allow_inconclusive"]) == (0.8, 0.3, 2, True)
    assert [r["temperature"] for r in server.requests] == [0.5] * 4  # all on provider b


def test_the_suites_max_tokens_and_stop_reach_every_call_and_repeat_multiplies_them(openai_env, tmp_path):
    write(tmp_path, "What is the capital of {{country}}?\n", "capital.txt")
    suite = write(tmp_path, """\
        prompt: capital.txt
        model: openai/subject
        max_tokens: 7
        stop: ["###"]
        tests:
          - vars: {country: France}
            assert: [{type: icontains, value: paris}]
    """, "suite.yaml")  # fmt: skip
    result = run(suite, tmp_path, "--format", "json", "--repeat", "3")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["repeat"] == 3
    assert [(r["max_tokens"], r["stop"]) for r in openai_env.requests] == [(7, ["###"])] * 3


def test_the_report_says_why_its_model_was_chosen(openai_env, tmp_path):
    suite = write(tmp_path, ONE_PROMPT + CASES)  # no model named; OPENAI_API_KEY is set
    data = json.loads(run(suite, tmp_path, "--format", "json").stdout)
    assert (data["model"], data["model_reason"]) == ("gpt-4o-mini", "no model named; OPENAI_API_KEY is set")
    data = json.loads(run(suite, tmp_path, "--format", "json", "--model", "openai/subject").stdout)
    assert (data["model"], data["model_reason"]) == ("openai/subject", "named")

def test_answers_are_kept_in_the_cache_dir_and_not_at_all_with_no_cache(server, tmp_path):
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}")
    assert run(suite, tmp_path, "--no-cache").exit_code == 0
    assert not (tmp_path / "cache").exists() and len(server.requests) == 2
    assert run(suite, tmp_path, "--no-cache").exit_code == 0
    assert len(server.requests) == 4  # nothing was kept: asked again
    assert run(suite, tmp_path).exit_code == 0
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2  # one answer per case, where it was told
    assert run(suite, tmp_path).exit_code == 0
    assert len(server.requests) == 6  # the second run read them back


def test_concurrency_is_the_most_calls_in_flight(server, tmp_path):
    server.delay = 0.2
    cases = "tests:\n" + "".join(f"  - vars: {{country: C{i}}}\n" for i in range(6))
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{cases}")
    assert run(suite, tmp_path, "--no-cache", "--concurrency", "1").exit_code == 0
    assert server.most_in_flight == 1 and len(server.requests) == 6
    server.most_in_flight = 0
    assert run(suite, tmp_path, "--no-cache", "--concurrency", "3").exit_code == 0
    assert server.most_in_flight > 1


@pytest.mark.parametrize("pid", ["''", "'litellm:'"])
def test_a_provider_id_naming_no_model_is_an_error_naming_the_entry(server, tmp_path, pid):
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n  - {pid}\n{CASES}")
    result = run(suite, tmp_path, "--dry-run")
    assert result.exit_code == 2
    assert result.stderr == f"promptopt eval: error: {suite}: provider #2: {pid} names no model\n"
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{GRADED}", "graded.yaml")
    result = run(suite, tmp_path, "--grader", "litellm:")
    assert (result.exit_code, result.stderr) == (2, "promptopt eval: error: 'litellm:' names no model\n")
    assert server.requests == []


def test_two_ways_to_name_a_candidate_is_an_error_naming_both_flags(tmp_path):
    suite = write(tmp_path, f"{TWO_PROMPTS}providers: [openai:gpt-4o-mini]\n{CASES}")
    result = run(suite, tmp_path, "--candidate", suite, "--candidate-prompt", "short")
    assert result.exit_code == 2
    assert result.stderr == "promptopt eval: error: give one of --candidate, --candidate-prompt, not several\n"


# --- what a dry run plans -------------------------------------------------------------------------


def dry_run(suite: str, tmp_path: Path, *extra: str) -> dict:
    result = run(suite, tmp_path, "--dry-run", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_dry_run_prices_each_provider_at_its_own_max_tokens(server, tmp_path):
    two = f"providers:\n  - {subject(server.url, 'a', max_tokens=40)}\n  - {subject(server.url, 'b', max_tokens=9)}\n"
    plans = dry_run(write(tmp_path, ONE_PROMPT + two + CASES), tmp_path)["providers"]
    assert [(len(p["planned"]), p["max_output_tokens"]) for p in plans] == [(2, 80), (2, 18)]  # every model planned
    alone = write(tmp_path, f"{ONE_PROMPT}providers: [{subject(server.url, max_tokens=40)}]\n{CASES}", "one.yaml")
    assert dry_run(alone, tmp_path)["max_output_tokens"] == 80  # one provider: the same ceiling
    assert server.requests == []


def test_a_dry_run_plans_the_candidate_file_too(server, tmp_path):
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}")
    candidate = write(tmp_path, "Capital of {{country}}?\n", "candidate.txt")
    planned = dry_run(suite, tmp_path, "--candidate", candidate)["planned"]
    assert sorted((c["variant"], c["case"]) for c in planned) == [
        ("candidate", "test-1"), ("candidate", "test-2"), ("original", "test-1"), ("original", "test-2")]


def test_the_local_smoke_test_model_is_capped_at_what_the_assertions_accept(server, tmp_path):
    # no provider and no key: the in-process model, whose long answers would only cost time
    exact = "tests:\n  - vars: {country: France}\n    assert: [{type: equals, value: Paris}]\n"
    plain = write(tmp_path, f"{ONE_PROMPT}{exact}")
    local = dry_run(plain, tmp_path)
    named = dry_run(plain, tmp_path, "--model", "openai/subject")
    assert local["model"] == "local/smollm2" and named["model"] == "openai/subject"
    assert named["max_output_tokens"] == 256  # the suite's default
    assert 0 < local["max_output_tokens"] < 16  # "Paris": a few tokens, not 256


@pytest.mark.parametrize("how", ["--model", "key"])
def test_the_matrix_names_the_provider_chosen_by_model_or_by_key(openai_env, tmp_path, how):
    suite = write(tmp_path, TWO_PROMPTS + CASES)
    args = ["--model", "openai/subject"] if how == "--model" else []
    result = run(suite, tmp_path, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["cells"]
    expected = "openai/subject" if how == "--model" else "gpt-4o-mini"
    assert {c["provider"] for c in cells} == {expected}


# --- what reaches stderr -------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """eval_command with stdout and stderr on a terminal (CliRunner's streams are not one)."""
    out, err = Terminal(), Terminal()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        with pytest.raises(SystemExit) as stopped:
            eval_command.main(args, prog_name="eval", standalone_mode=False)
    finally:
        sys.stdout, sys.stderr = saved
    return stopped.value.code, out.getvalue(), err.getvalue()


def test_progress_goes_to_a_terminals_stderr_with_the_text_report_only(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    server.delay = 0.3  # long enough for the bar to be drawn
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}")
    code, out, err = run_on_a_terminal([suite, "--no-cache", "--concurrency", "1"])
    assert code == 0 and "eval openai/subject" in err and "eval openai/subject" not in out
    code, out, err = run_on_a_terminal([suite, "--no-cache", "--format", "json"])
    assert code == 0 and err == "" and json.loads(out)["exit_code"] == 0
    piped = run(suite, tmp_path, "--no-cache")  # text report, stderr not a terminal: nothing there
    assert piped.exit_code == 0 and piped.stderr == ""


def test_ctrl_c_during_the_run_reports_what_arrived_and_exits_2(server, tmp_path, monkeypatch):
    import os

    def exit_now(code):  # os._exit would end pytest itself; the calls in flight are left to finish
        raise SystemExit(code)

    monkeypatch.setattr(os, "_exit", exit_now)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job ignores SIGINT
    server.delay = 0.5

    def press_ctrl_c(body):
        if len(server.requests) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    server.on_request = press_ctrl_c
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}")
    try:
        result = run(suite, tmp_path, "--format", "json", "--concurrency", "1")
    finally:
        signal.signal(signal.SIGINT, handler)  # eval makes a second Ctrl-C end the process at once
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["stats"]["interrupted"] is True
    assert result.stderr == "promptopt eval: error: interrupted (partial results above)\n"


# --- --compress llmlingua: a stand-in compressor (the real one needs a local model: slow tests) -----------


def stand_in_llmlingua(monkeypatch, compress) -> list[float]:
    """`promptopt.compressors.llmlingua` replaced by a module whose compressor is `compress`."""
    rates: list[float] = []

    def compress_with_llmlingua(text, *, rate=None, **_options):
        rates.append(rate)
        return compress(text, rate)

    module = types.ModuleType("promptopt.compressors.llmlingua")
    module.compress_with_llmlingua = compress_with_llmlingua
    monkeypatch.setitem(sys.modules, "promptopt.compressors.llmlingua", module)
    return rates


def test_rate_reaches_the_compressor_and_the_compressed_prompt_is_compared(server, tmp_path, monkeypatch):
    def keep_the_first_words(text: str, rate: float) -> str:
        return " ".join(text.split()[: round(len(text.split()) * rate)])

    rates = stand_in_llmlingua(monkeypatch, keep_the_first_words)
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}")
    result = run(suite, tmp_path, "--compress", "llmlingua", "--rate", "0.5", "--format", "json")
    assert result.exit_code == 1, result.output  # 2 cases cannot rule out a drop: inconclusive
    assert rates == [0.5]
    data = json.loads(result.stdout)
    assert data["variants"]["candidate"]["source"].endswith("compressed (llmlingua, rate 0.5)")
    sent = {r["messages"][-1]["content"] for r in server.requests}
    assert "What is the capital of France? One sentence." in sent and "What is the capital" in sent


def test_ctrl_c_while_the_compressor_loads_is_one_line_and_exit_2(server, tmp_path, monkeypatch):
    def interrupted(text, rate):
        raise KeyboardInterrupt

    stand_in_llmlingua(monkeypatch, interrupted)
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n{CASES}")
    result = run(suite, tmp_path, "--compress", "llmlingua")
    assert result.exit_code == 2
    assert result.stderr == "promptopt eval: error: interrupted before any answer arrived\n"
    assert server.requests == []


def test_a_local_model_that_cannot_load_is_one_line_naming_the_error(server, tmp_path, monkeypatch):
    from promptopt.evaluation import local_provider

    words = " ".join(f"word{i}" for i in range(80))  # 560 characters once on one line
    message = f"cannot load local/smollm2:\n  {words}\n\tcheck the cache folder"

    def cannot_load():
        raise OSError(message)

    monkeypatch.setattr(local_provider, "load_model", cannot_load)
    result = run(write(tmp_path, ONE_PROMPT + CASES), tmp_path)  # no provider and no key: the local model
    assert result.exit_code == 2
    one_line = " ".join(message.split())
    assert result.stderr == f"promptopt eval: error: OSError: {one_line[:300]}\n"


# --- the matrix of prompts x providers: exit codes and errors --------------------------------------------


def graded_matrix(tmp_path: Path, url: str) -> str:
    judge = f'{{id: openai:chat:judge, config: {{apiBaseUrl: "{url}", apiKey: k}}}}'
    return write(tmp_path, f"""\
        {TWO_PROMPTS.replace(chr(10), chr(10) + ' ' * 8)}providers: [{subject(url)}]
        defaultTest:
          options:
            provider: {judge}
        tests:
          - vars: {{country: France}}
            assert: [{{type: llm-rubric, value: names Paris as the capital}}]
          - vars: {{country: Atlantis}}
            assert: [{{type: llm-rubric, value: names Paris as the capital}}]
          - vars: {{country: Spain}}
    """)  # fmt: skip


def test_a_matrix_with_a_failing_cell_exits_1_and_says_who_graded(server, tmp_path):
    suite = graded_matrix(tmp_path, server.url)
    result = run(suite, tmp_path)
    assert result.exit_code == 1, result.output  # Atlantis fails its rubric in both cells
    assert result.stdout.endswith("\n") and not result.stdout.endswith("\n\n") and result.stderr == ""
    assert "model-graded assertions judged by openai/judge: 4 grader call(s)" in result.stdout
    data = json.loads(run(suite, tmp_path, "--format", "json").stdout)
    assert [(c["passed"], c["completed"]) for c in data["cells"]] == [(1, 2), (1, 2)]
    assert any("reported unscored" in n for n in data["notes"])  # the suite's own notes stay


def test_a_provider_that_fails_for_good_in_a_matrix_is_exit_2_after_the_partial_results(server, tmp_path):
    server.faults["subject"] = ["500"] * 20
    result = run(graded_matrix(tmp_path, server.url), tmp_path, "--format", "json", "--retries", "0")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["exit_code"] == 2  # the partial matrix is still reported
    assert result.stderr.startswith("promptopt eval: error: ") and result.stderr.endswith(" (partial results above)\n")
    assert "boom" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_grader_that_fails_in_a_matrix_is_exit_2_naming_its_first_error(server, tmp_path):
    server.faults["judge"] = ["prose", "garbage"]  # the first verdict is prose, the second call gets no JSON body
    result = run(graded_matrix(tmp_path, server.url), tmp_path, "--format", "json", "--retries", "0")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["cells"]
    first = "the grader's reply is not a JSON object: 'Sure! Here you go.'"
    assert result.stderr == f"promptopt eval: error: {first} (partial results above)\n"
    assert result.stderr.endswith(" (partial results above)\n") and len(result.stderr.splitlines()) == 1


def test_one_run_keeps_the_suites_notes_with_the_graders_and_ends_with_one_line_break(server, tmp_path):
    judge = f'{{id: openai:chat:judge, config: {{apiBaseUrl: "{server.url}", apiKey: k}}}}'
    suite = write(tmp_path, f"{ONE_PROMPT}providers:\n  - {subject(server.url)}\n"
                            f"defaultTest:\n  options:\n    provider: {judge}\n{GRADED}"
                            "  - vars: {country: Spain}\n")  # fmt: skip
    result = run(suite, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n") and not result.stdout.endswith("\n\n")
    assert "judged by openai/judge" in result.stdout and "reported unscored" in result.stdout
