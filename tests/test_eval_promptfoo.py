"""promptfoo configs as teams write them: prompt forms, providers, test sources, vars, assertions.

Fixtures are small files in promptfoo's shape written by the tests; no model is called here (the
HTTP path is in test_eval_http.py).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptopt.evaluation.assertions import Assertion, bleu, check, evaluate, rouge_n
from promptopt.evaluation.cli import eval_command
from promptopt.evaluation.outputs import ModelOutput
from promptopt.evaluation.providers import litellm_model, load_provider
from promptopt.evaluation.runner import Runner
from promptopt.evaluation.suite import SuiteError, load_suite


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def dry_run_json(suite: Path, tmp_path: Path, *extra: str) -> dict:
    args = [str(suite), "--dry-run", "--format", "json", "--cache-dir", str(tmp_path / "cache"), *extra]
    result = CliRunner().invoke(eval_command, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- prompts --------------------------------------------------------------------------------------


def test_every_prompt_form_becomes_its_own_labelled_prompt(tmp_path):
    write(tmp_path, "two.txt", "Translate to {{lang}}: {{text}}\n---\nSay {{text}} in {{lang}}, casually.\n")
    write(tmp_path, "chat.yaml", """\
        messages:
          - role: system
            content:
              - {type: text, text: Be concise}
          - role: user
            content: 'Translate: {{text}}'
    """)
    suite = write(tmp_path, "promptfooconfig.yaml", """\
        prompts:
          - 'Inline: {{text}} -> {{lang}}'
          - file://two.txt
          - file://chat.yaml
          - label: strict-json
            raw: 'Answer in JSON: {{text}}'
            config: {temperature: 0.3, response_format: {type: json_object}}
          - '[{"role": "system", "content": "You translate."}, {"role": "user", "content": "{{text}}"}]'
        providers: [openai:gpt-4o-mini]
        tests:
          - vars: {text: hello, lang: French}
            assert: [{type: icontains, value: bonjour}]
    """)
    loaded = load_suite(suite)
    names = [p.name for p in loaded.prompts]
    assert len(names) == 6 and len(set(names)) == 6
    assert names[1:3] == ["two.txt #1", "two.txt #2"] and names[4] == "strict-json"
    rendered = [p.render({"text": "hello", "lang": "French"}) for p in loaded.prompts]
    assert rendered[2] == [{"role": "user", "content": "Say hello in French, casually."}]
    assert rendered[3] == [{"role": "system", "content": "Be concise"}, {"role": "user", "content": "Translate: hello"}]
    assert [m["role"] for m in rendered[5]] == ["system", "user"]
    assert loaded.prompts[4].config == {"temperature": 0.3, "response_format": {"type": "json_object"}}


def test_nunjucks_logic_is_rendered_with_jinja(tmp_path):
    write(tmp_path, "p.txt", "Tone: {{ (style | load).tone }}. {% if formal %}Dear reader,{% endif %} {{body | upper}}")
    write(tmp_path, "chat.json", """\
        [{"role": "system", "content": "{{ system_message }}"},
         {% for turn in _conversation %}{"role": "user", "content": "{{ turn.input }}"},{% endfor %}
         {"role": "user", "content": "{{ question }}"}]
    """)
    suite = write(tmp_path, "s.yaml", """\
        prompts: [file://p.txt, file://chat.json]
        providers: [openai:gpt-4o-mini]
        tests:
          - vars:
              style: '{"tone": "formal"}'
              formal: true
              body: hi
              system_message: Help
              question: Why?
    """)
    loaded = load_suite(suite)
    variables = loaded.cases[0].vars
    assert loaded.prompts[0].render(variables)[0]["content"] == "Tone: formal. Dear reader, HI"
    assert loaded.prompts[1].render(variables) == [
        {"role": "system", "content": "Help"},
        {"role": "user", "content": "Why?"},
    ]


def test_a_filter_jinja_does_not_know_is_a_clear_error(tmp_path):
    write(tmp_path, "p.txt", "Rephrase {{ body | allcaps }}")
    suite = write(tmp_path, "s.yaml", "prompts: [p.txt]\nproviders: [openai:gpt-4o-mini]\ntests: [{vars: {body: x}}]\n")
    with pytest.raises(SuiteError, match="allcaps"):
        load_suite(suite)


def test_a_missing_prompt_file_is_not_sent_as_text(tmp_path):
    suite = write(tmp_path, "s.yaml", "prompts: [prompt.txt]\ntests: [{vars: {}}]\n")
    with pytest.raises(SuiteError, match="prompt file not found"):
        load_suite(suite)


# --- providers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("promptfoo_id", "expected"),
    [
        ("openai:gpt-4o", "openai/gpt-4o"),
        ("openai:chat:gpt-4o-mini", "openai/gpt-4o-mini"),
        ("openai:responses:gpt-4.1", "openai/responses/gpt-4.1"),
        ("openai:completion:gpt-3.5-turbo-instruct", "text-completion-openai/gpt-3.5-turbo-instruct"),
        ("anthropic:messages:claude-3-5-sonnet-20241022", "anthropic/claude-3-5-sonnet-20241022"),
        ("anthropic:claude-3-5-sonnet-20241022", "anthropic/claude-3-5-sonnet-20241022"),
        ("azure:chat:my-deployment", "azure/my-deployment"),
        ("vertex:gemini-2.5-pro", "vertex_ai/gemini-2.5-pro"),
        ("google:gemini-2.5-flash", "gemini/gemini-2.5-flash"),
        ("bedrock:converse:anthropic.claude-3-haiku", "bedrock/converse/anthropic.claude-3-haiku"),
        ("bedrock:anthropic.claude-3-haiku", "bedrock/anthropic.claude-3-haiku"),
        ("groq:llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile"),
        ("ollama:chat:llama3.1", "ollama_chat/llama3.1"),
        ("replicate:meta/llama-2-7b-chat:2d19859", "replicate/meta/llama-2-7b-chat:2d19859"),
        ("huggingface:text-generation:mistralai/Mistral-7B", "huggingface/mistralai/Mistral-7B"),
        ("openrouter:meta-llama/llama-3-8b", "openrouter/meta-llama/llama-3-8b"),
        ("openai/gpt-4o-mini", "openai/gpt-4o-mini"),
    ],
)
def test_provider_ids_map_to_litellm_names_litellm_accepts(promptfoo_id, expected):
    import litellm

    assert litellm_model(promptfoo_id) == expected
    model, provider, *_ = litellm.get_llm_provider(expected)
    assert provider and model


def test_provider_config_becomes_litellm_parameters(tmp_path):
    write(tmp_path, "tools.yaml", """\
        - name: get_weather
          description: Weather for a city
          input_schema: {type: object, properties: {city: {type: string}}, required: [city]}
    """)
    entry = {
        "id": "openai:responses:gpt-4.1",
        "label": "json",
        "config": {
            "temperature": 0.7, "max_tokens": 99, "apiBaseUrl": "http://127.0.0.1:9/v1", "tools": "file://tools.yaml",
            "response_format": {"type": "json_schema", "name": "event", "schema": {"type": "object"}},
            "store": True,
        },
    }  # fmt: skip
    provider = load_provider(entry, tmp_path, "test")
    assert provider.params["temperature"] == 0.7 and provider.params["max_tokens"] == 99
    assert provider.params["api_base"] == "http://127.0.0.1:9/v1"
    assert provider.params["tools"][0]["function"]["parameters"]["required"] == ["city"]  # Anthropic shape converted
    assert provider.params["response_format"]["json_schema"]["name"] == "event"  # Responses shape nested
    assert any("store" in n for n in provider.notes)  # an unknown key is said, not dropped silently
    runner = Runner(provider.model, extra_params=provider.params)
    call = runner.plan({"p": load_suite_prompt(tmp_path)}, [], 1)
    assert call == []
    assert runner.call_params(_planned({"temperature": 0.1}))["temperature"] == 0.1  # the prompt's config wins


def load_suite_prompt(tmp_path):
    from promptopt.evaluation.prompts import Message, PromptTemplate

    return PromptTemplate((Message("user", "hi"),), "hi")


def _planned(params):
    from promptopt.evaluation.runner import PlannedCall

    return PlannedCall("p", "c", 0, [], "k", params)


def test_n_prompts_by_m_providers_plans_every_cell_and_honours_provider_prompt_filters(tmp_path):
    write(tmp_path, "a.txt", "Poem about {{topic}}")
    write(tmp_path, "b.txt", "Four words about {{topic}}")
    suite = write(tmp_path, "s.yaml", """\
        prompts:
          - {id: file://a.txt, label: poem}
          - {id: file://b.txt, label: words}
        providers:
          - openai:gpt-4o-mini
          - {id: anthropic:messages:claude-3-5-haiku-20241022, prompts: [poem]}
          - file://my_provider.py
        tests:
          - vars: {topic: [bananas, the sea]}
            assert: [{type: not-icontains, value: sorry}]
          - vars: {topic: rain}
    """)
    data = dry_run_json(suite, tmp_path)
    planned = {p["model"]: p["planned"] for p in data["providers"]}
    assert len(planned["openai/gpt-4o-mini"]) == 6  # 2 prompts x 3 cases (the array made two)
    assert {c["variant"] for c in planned["anthropic/claude-3-5-haiku-20241022"]} == {"poem"}
    assert any("my_provider.py skipped" in n for n in data["notes"])
    assert any("1 test(s) have no assertion that can run" in n for n in data["notes"])


def test_cli_flags_pick_the_pair_to_compare(tmp_path):
    suite = write(tmp_path, "s.yaml", """\
        prompts: [{raw: 'Long prompt about {{x}}', label: long}, {raw: 'Short {{x}}', label: short}]
        providers: [openai:gpt-4o-mini, openai:gpt-4.1]
        tests: [{vars: {x: a}, assert: [{type: contains, value: a}]}]
    """)
    data = dry_run_json(suite, tmp_path, "--candidate-prompt", "short", "--provider", "openai:gpt-4.1")
    assert data["model"] == "openai/gpt-4.1" and {c["variant"] for c in data["planned"]} == {"original", "candidate"}
    result = CliRunner().invoke(eval_command, [str(suite), "--dry-run", "--candidate-prompt", "nope"])
    assert result.exit_code == 2 and "none of the suite's prompts" in result.stderr


# --- tests and vars -------------------------------------------------------------------------------


def test_csv_expected_prefixes_threshold_and_description(tmp_path):
    write(tmp_path, "p.txt", "Tell me about {{topic}}")
    write(tmp_path, "tests.csv", textwrap.dedent('''\
        topic,__expected1,__expected2,__expected3,__description,__threshold,__metadata:category
        cats,icontains: whiskers,grade: is about cats,fn: output.length < 500,cat test,0.5,animals
        dogs,"contains-any: bark,woof",similar(0.6): dogs are loyal,not-regex: ^Sorry,,,
        fish,levenshtein(3): fish,rouge-n: fish swim,plain answer,,,
    '''))
    suite = write(tmp_path, "s.yaml", "prompts: [file://p.txt]\nproviders: [openai:gpt-4o-mini]\ntests: file://tests.csv\n")
    cases = load_suite(suite).cases
    kinds = [[a.label for a in c.assertions] for c in cases]
    assert kinds == [
        ["icontains", "llm-rubric", "javascript"],
        ["contains-any", "similar", "not-regex"],
        ["levenshtein", "rouge-n", "equals"],
    ]
    assert cases[0].assertions[0].value == "whiskers" and cases[0].assertions[2].value == "output.length < 500"
    assert cases[0].threshold == 0.5 and cases[0].description == "cat test" and "category" not in cases[0].vars
    assert cases[1].assertions[0].value == ["bark", "woof"] and cases[1].assertions[1].threshold == 0.6
    assert cases[2].assertions[0].threshold == 3 and cases[2].assertions[2].value == "plain answer"


def test_test_files_globs_jsonl_yaml_and_refs(tmp_path):
    write(tmp_path, "p.txt", "Q: {{q}}")
    write(tmp_path, "cases/a.yaml", "- vars: {q: one}\n  assert: [{type: contains, value: '1'}]\n")
    write(tmp_path, "cases/b.json", '[{"vars": {"q": "two"}}]')
    write(tmp_path, "more.jsonl", '{"vars": {"q": "three"}, "description": "third"}\n\n{"vars": {"q": "four"}}\n')
    suite = write(tmp_path, "s.yaml", """\
        definitions:
          short: {type: javascript, value: output.length < 20}
        prompts: [file://p.txt]
        providers: [openai:gpt-4o-mini]
        tests:
          - file://cases/*
          - file://more.jsonl
          - vars: {q: five}
            assert: [{$ref: '#/definitions/short'}]
    """)
    cases = load_suite(suite).cases
    assert [c.vars["q"] for c in cases] == ["one", "two", "three", "four", "five"]
    assert cases[2].id == "third" and cases[4].assertions[0].type == "javascript"


def test_var_files_globs_and_arrays_expand_as_promptfoo_does(tmp_path):
    write(tmp_path, "p.txt", "Summarize {{article}} for {{reader}} ({{meta}})")
    for n in (1, 2, 3):
        write(tmp_path, f"articles/{n}.txt", f"Article {n}. " + "Budget talks went on. " * 200)
    write(tmp_path, "meta.yaml", "source: wire\n")
    suite = write(tmp_path, "s.yaml", """\
        prompts: [file://p.txt]
        providers: [openai:gpt-4o-mini]
        tests:
          - vars: {article: file://articles/*, reader: [child, expert], meta: file://meta.yaml}
            assert: [{type: not-contains, value: AI language model}]
    """)
    cases = load_suite(suite).cases
    assert len(cases) == 6 and {c.vars["reader"] for c in cases} == {"child", "expert"}
    assert cases[0].vars["article"].startswith("Article 1.") and cases[0].vars["meta"] == {"source": "wire"}
    data = dry_run_json(suite, tmp_path)
    assert min(c["prompt_tokens"] for c in data["planned"]) > 800  # the article's text, not its path


def test_unrunnable_assertions_are_skipped_out_loud_in_the_dry_run(tmp_path, monkeypatch):
    suite = write(tmp_path, "s.yaml", """\
        prompts: ['Answer {{q}}']
        providers: [openai:gpt-4o-mini]
        tests:
          - vars: {q: a}
            assert:
              - {type: context-faithfulness, threshold: 0.9}
              - {type: javascript, value: output.length > 1}
              - {type: contains, value: a}
    """)
    monkeypatch.setattr("promptopt.evaluation.scripts.shutil.which", lambda name: None)
    loaded = load_suite(suite)
    assert [a.skip != "" for a in loaded.cases[0].assertions] == [True, True, False]
    result = CliRunner().invoke(eval_command, [str(suite), "--dry-run", "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0
    assert "2 assertion(s) skipped, not scored" in result.stdout and "needs Node.js" in result.stdout


# --- assertions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "output", "passed"),
    [
        ("contains-any", ["fire", "flame"], "It is a flame.", True),
        ("contains-all", ["fire", "flame"], "It is a flame.", False),
        ("icontains-any", ["FIRE", "Flame"], "a flame", True),
        ("icontains-all", ["paris", "FRANCE"], "Paris, France", True),
        ("contains-json", None, 'Here it is: {"a": 1} hope that helps', True),
        ("is-json", None, 'Here it is: {"a": 1} hope that helps', False),
        ("contains-json", None, "no json here", False),
        ("levenshtein", "kitten", "sitting", True),
        ("starts-with", "Sure", "Sure, here", True),
    ],
)
def test_deterministic_assertions(kind, value, output, passed):
    assert check(Assertion(kind, value), output, {}).passed is passed


def test_levenshtein_threshold_rouge_and_bleu_scores():
    assert check(Assertion("levenshtein", "kitten", threshold=2), "sitting", {}).passed is False
    assert rouge_n("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(1.0)
    assert 0 < rouge_n("a cat sat", "the cat sat on the mat") < 1
    assert bleu("the cat sat on the mat", ["the cat sat on the mat"]) == pytest.approx(1.0)
    assert bleu("the dog ran", ["the cat sat on the mat"]) < 0.3
    assert check(Assertion("rouge-n", "the cat sat on the mat"), "a dog barked", {}).passed is False


def test_function_and_tool_calls_are_checked_against_what_was_offered():
    functions = [{"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                        "required": ["city"]}}]  # fmt: skip
    good = ModelOutput("", tool_payload={"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                       params={"functions": functions})  # fmt: skip
    bad = ModelOutput("", tool_payload={"name": "get_weather", "arguments": '{"town": "Oslo"}'},
                      params={"functions": functions})  # fmt: skip
    assert check(Assertion("is-valid-openai-function-call"), good, {}).passed
    assert "city" in check(Assertion("is-valid-openai-function-call"), bad, {}).reason
    tools = [{"type": "function", "function": functions[0]}]
    call = [{"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]
    assert check(Assertion("is-valid-openai-tools-call"), ModelOutput("", tool_payload=call, params={"tools": tools}),
                 {}).passed  # fmt: skip
    assert not check(Assertion("is-valid-openai-tools-call"), "plain text", {}).passed


def test_cost_and_latency_read_the_measured_call():
    output = ModelOutput("ok", latency_ms=1200.0, cost=0.004)
    assert check(Assertion("latency", threshold=3000), output, {}).passed
    assert not check(Assertion("cost", threshold=0.002), output, {}).passed
    unpriced = check(Assertion("cost", threshold=0.002), ModelOutput("ok"), {})
    assert unpriced.skipped and "no price" in unpriced.reason


def test_python_assertions_run_in_a_subprocess(tmp_path):
    write(tmp_path, "check.py", "def get_assert(output, context):\n    return {'pass': 'Oslo' in output, 'score': .9}")
    expression = Assertion("python", "context['vars']['city'] in output")
    body = Assertion("python", "if len(output) > 3:\n    return 0.5\nreturn 0")
    from_file = Assertion("python", "file://check.py", base=tmp_path)
    assert check(expression, "Oslo is cold", {"city": "Oslo"}).passed
    assert check(body, "long enough", {}).score == 0.5 and not check(body, "no", {}).passed
    assert check(from_file, "Oslo", {}).score == 0.9
    crash = check(Assertion("python", "1/0"), "x", {})
    assert not crash.passed and "ZeroDivisionError" in crash.reason


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not on the PATH: javascript checks skip")
def test_javascript_assertions_and_transforms_run_with_node(tmp_path):
    write(tmp_path, "assert.js", "module.exports = (output) => ({pass: output.includes('banana'), score: 0.5});")
    assert check(Assertion("javascript", "output.length < 10"), "short", {}).passed
    assert check(Assertion("javascript", "file://assert.js", base=tmp_path), "a banana", {}).score == 0.5
    payload = {"name": "get_weather", "arguments": '{"location": "Boston, MA"}'}
    output = ModelOutput(json.dumps(payload), tool_payload=payload)
    transform = Assertion("equals", "get_weather", transform="output.name")
    assert check(transform, output, {}).passed
    assert check(Assertion("javascript", "JSON.parse(output.arguments).location === 'Boston, MA'"), output, {}).passed
    as_json = ModelOutput('{"color": "yellow"}', params={"response_format": {"type": "json_object"}})
    is_object = Assertion("javascript", "typeof output === 'object' && output.color === 'yellow';")
    assert check(is_object, as_json, {}).passed  # JSON output was requested: the script gets the object
    body = Assertion("javascript", "if (output.length > 3) {\n  return 0.25;\n}\nreturn 0;")
    assert check(body, "long", {}).score == 0.25


def test_skipped_assertions_do_not_count_in_the_score():
    outcome = evaluate([Assertion("contains", "a"), Assertion("moderation", skip="needs a moderation API")], "a", {},
                       None)  # fmt: skip
    assert outcome.passed and outcome.score == 1.0 and outcome.scored
    assert not evaluate([Assertion("moderation", skip="x")], "a", {}, None).scored


def test_a_provider_prompt_filter_that_matches_nothing_is_an_error(tmp_path):
    suite = write(tmp_path, "s.yaml", """\
        prompts: [{raw: 'Hi {{x}}', label: greet}]
        providers: [{id: openai:gpt-4o-mini, prompts: [greeting]}]
        tests: [{vars: {x: a}}]
    """)
    with pytest.raises(SuiteError, match="match none of the prompts"):
        load_suite(suite)
