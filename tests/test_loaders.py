"""Loaders on the formats prompts live in: what becomes a prompt, its segments, its placeholders, and
where a finding or a fix lands in the file (line, column, indentation kept)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptopt.config import Config
from promptopt.core import PromptDocument, SegmentKind
from promptopt.engine import Auditor
from promptopt.fixes import fix_to_fixed_point
from promptopt.loaders import load_file
from promptopt.placeholders import find_placeholders


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(source: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `needle` in `source`."""
    offset = source.index(needle)
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _audit(path: Path, code: str):
    return Auditor(Config(select=[code], min_tokens=0)).audit_file(path)


def _fixed(path: Path, code: str) -> str:
    auditor = Auditor(Config(select=[code], min_tokens=0))
    source = path.read_text(encoding="utf-8")
    return fix_to_fixed_point(path, source, lambda p, t: auditor.audit_source(p, t).findings, unsafe=True).text


def _kinds(doc: PromptDocument) -> list[str]:
    return [s.kind.value for s in doc.segments]


def _segment_line(doc: PromptDocument, kind: SegmentKind, index: int = 0) -> int:
    seg = doc.segments_of(kind)[index]
    return doc.line_col(doc.locate(seg.span.start))[0]


# --- plain text, Markdown, Jinja ---------------------------------------------------------------------


def test_markdown_segments_know_their_kind_and_line(tmp_path):
    source = (
        "# ROLE\n"
        "You are a support agent for Lumen Bank.\n"
        "\n"
        "# RULES\n"
        "- Never share account numbers.\n"
        "- Answer in the customer's language.\n"
        "\n"
        "```json\n"
        '{"reply": "..."}\n'
        "```\n"
        "\n"
        "# OUTPUT FORMAT\n"
        "Reply with one JSON object.\n"
        "Put the answer in `reply`.\n"
    )
    (doc,) = load_file(_write(tmp_path, "bank.md", source))
    assert doc.format == "markdown" and doc.text == source
    assert [s.text for s in doc.segments_of(SegmentKind.HEADING)] == ["# ROLE", "# RULES", "# OUTPUT FORMAT"]
    assert [s.text for s in doc.segments_of(SegmentKind.LIST_ITEM)] == [
        "- Never share account numbers.", "- Answer in the customer's language."]
    assert _segment_line(doc, SegmentKind.LIST_ITEM, 1) == 6
    assert _segment_line(doc, SegmentKind.CODE) == 8
    (spec,) = doc.segments_of(SegmentKind.OUTPUT_SPEC)
    assert spec.section == "OUTPUT FORMAT" and "Put the answer" in spec.text
    assert all(s.section == "RULES" for s in doc.segments_of(SegmentKind.LIST_ITEM))


def test_few_shot_records_have_input_and_output(tmp_path):
    source = (
        "Classify the ticket.\n\n"
        "Ticket: I was charged twice.\nCategory: billing\n\n"
        "Ticket: The parcel is late.\nCategory: shipping\n\n"
        "Ticket: {{ticket}}\nCategory:\n"
    )
    (doc,) = load_file(_write(tmp_path, "tickets.txt", source))
    examples = doc.segments_of(SegmentKind.EXAMPLE)
    assert len(examples) == 2, "the unanswered query is not an example"
    outputs = [doc.text[e.parts["output"].start : e.parts["output"].end].strip() for e in examples]
    inputs = [doc.text[e.parts["input"].start : e.parts["input"].end] for e in examples]
    assert outputs == ["billing", "shipping"]
    assert inputs == ["Ticket: I was charged twice.", "Ticket: The parcel is late."]
    assert _segment_line(doc, SegmentKind.EXAMPLE, 1) == 6


def test_jinja_placeholders_and_no_format_fields(tmp_path):
    source = (
        "{# owner: support #}\n"
        "Hello {{ user.name | title }}.\n"
        "{% for item in items %}- {{ item }}\n{% endfor %}\n"
        'Return {"status": "ok"} or {status} as literal text.\n'
    )
    (doc,) = load_file(_write(tmp_path, "hello.j2", source))
    assert doc.format == "jinja"
    syntaxes = [(p.syntax, p.name) for p in doc.placeholders]
    assert syntaxes == [("jinja-comment", ""), ("jinja", "user"), ("jinja-block", ""), ("jinja", "item"),
                        ("jinja-block", "")]
    assert all(doc.text[p.span.start : p.span.end] == p.raw for p in doc.placeholders)


def test_jinja_placeholder_is_protected_and_kept_by_fixes(tmp_path):
    path = _write(tmp_path, "greet.j2", "{% if kindly %}In order to help {{ name }}, ask one question.{% endif %}\n")
    assert [f.code for f in _audit(path, "PO401").findings] == [], "a word inside {% %} is template code"
    assert _fixed(path, "PO403") == "{% if kindly %}To help {{ name }}, ask one question.{% endif %}\n"


# --- prompty and semantic-kernel ------------------------------------------------------------------------

PROMPTY = """---
name: support
model:
  api: chat
inputs:
  - name: firstName
    kind: string
  - name: question
    kind: string
sample:
  context: Order 1182 shipped on Monday.
---
system:
You are a support agent. Please answer {{firstName}} in two sentences.

Context: {{context}}

user:
{{question}}
"""


def test_prompty_inputs_are_variables_and_body_lines_match_the_file(tmp_path):
    path = _write(tmp_path, "support.prompty", PROMPTY)
    (doc,) = load_file(path)
    assert doc.format == "prompty"
    assert doc.variables_defined == {"firstName", "question", "context"}
    assert doc.text.startswith("system:\n"), "front matter is not part of the prompt"
    assert [s.text for s in doc.segments_of(SegmentKind.ROLE_MARKER)] == ["system:", "user:"]
    (finding,) = _audit(path, "PO401").findings
    assert (finding.location.line, finding.location.column) == _line_of(PROMPTY, "Please")
    fixed = _fixed(path, "PO401")
    assert "You are a support agent. Answer {{firstName}} in two sentences." in fixed
    assert fixed.startswith(PROMPTY[: PROMPTY.index("system:")]), "front matter untouched"


def test_prompty_inputs_as_mapping(tmp_path):
    source = "---\ninputs:\n  request:\n    type: string\n---\nuser:\n{{request}}\n"
    (doc,) = load_file(_write(tmp_path, "m.prompty", source))
    assert doc.variables_defined == {"request"}


def test_skprompt_variables_and_function_calls(tmp_path):
    folder = tmp_path / "Summarize"
    folder.mkdir()
    source = "{{ConversationSummaryPlugin.SummarizeConversation $history}}\nSummarize {{$input}} for {{$audience}}.\n"
    (doc,) = load_file(_write(folder, "skprompt.txt", source))
    assert doc.format == "skprompt"
    assert [(p.syntax, p.name) for p in doc.placeholders] == [("sk", "history"), ("sk", "input"), ("sk", "audience")]


# --- ChatML and JSON ----------------------------------------------------------------------------------------

CHATML = """<|im_start|>system
Label the message as spam or ham.<|im_end|>
<|im_start|>user
Win a free cruise now!<|im_end|>
<|im_start|>assistant
spam<|im_end|>
<|im_start|>user
Lunch at noon?<|im_end|>
<|im_start|>assistant
ham<|im_end|>
<|im_start|>user
{{message}}<|im_end|>
"""


def test_chatml_turn_pairs_are_examples(tmp_path):
    (doc,) = load_file(_write(tmp_path, "spam.chatml", CHATML))
    examples = doc.segments_of(SegmentKind.EXAMPLE)
    pairs = [(doc.text[e.parts["input"].start : e.parts["input"].end].strip(),
              doc.text[e.parts["output"].start : e.parts["output"].end].strip()) for e in examples]
    assert pairs == [("Win a free cruise now!", "spam"), ("Lunch at noon?", "ham")]
    assert len(doc.segments_of(SegmentKind.ROLE_MARKER)) == 12
    assert _segment_line(doc, SegmentKind.EXAMPLE, 1) == 8


def test_json_messages_array(tmp_path):
    source = (
        '{"model": "gpt-4o",\n'
        ' "messages": [\n'
        '  {"role": "system", "content": "Reply in French. Please keep it short."},\n'
        '  {"role": "user", "content": "Hello"},\n'
        '  {"role": "assistant", "content": "Bonjour"},\n'
        '  {"role": "user", "content": [{"type": "text", "text": "{{question}}"}]}\n'
        " ]}\n"
    )
    path = _write(tmp_path, "chat.json", source)
    (doc,) = load_file(path)
    assert doc.format == "json-messages" and doc.name == "messages"
    assert "system:\nReply in French." in doc.text and "user:\n{{question}}" in doc.text
    (example,) = doc.segments_of(SegmentKind.EXAMPLE)
    assert doc.text[example.parts["output"].start : example.parts["output"].end] == "Bonjour"
    (finding,) = _audit(path, "PO401").findings
    assert finding.location.line == 3, "the finding points at the message that holds the text"
    assert finding.fix is None, "JSON strings carry escapes: reported, not rewritten"


def test_bare_messages_list(tmp_path):
    source = '[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]'
    (doc,) = load_file(_write(tmp_path, "bare.json", source))
    assert doc.format == "json-messages" and doc.text == "system:\nBe brief.\n\nuser:\nHi"


def test_json_prompt_strings(tmp_path):
    source = (
        "{\n"
        '  "0": {"system_prompt": "In order to help, summarise the text in 3 lines.", "model": "gpt-4o"},\n'
        '  "1": {"user_prompt": "Compress the text:\\n{text}\\nThe compressed text is:", "id": "c1"}\n'
        "}\n"
    )
    path = _write(tmp_path, "instructions.json", source)
    docs = load_file(path)
    assert [d.text for d in docs] == ["In order to help, summarise the text in 3 lines.",
                                      "Compress the text:\n{text}\nThe compressed text is:"], "ids and models are not"
    assert [d.name.split(".")[-1] for d in docs] == ["system_prompt", "user_prompt"]
    assert [p.name for p in docs[1].placeholders] == ["text"]
    assert docs[0].mappable and not docs[1].mappable, "an escaped string cannot be edited in place"
    (finding,) = _audit(path, "PO403").findings
    assert (finding.location.line, finding.location.column) == _line_of(source, "In order to")
    assert '"system_prompt": "To help, summarise the text in 3 lines."' in _fixed(path, "PO403")


# --- YAML ---------------------------------------------------------------------------------------------------

AGENT = """agent:
  model: gpt-4o
  templates:
    system_template: |-
      You are a careful software engineer.
      In order to test, run pytest after every edit.

      - Never delete files you did not create.
    instance_template: >
      Solve the issue. In order to check, run the tests.
    next_step_template: "The command printed: {{observation}}"
  id: swe-main
"""


def test_yaml_templates_found_by_key_and_mapped_back(tmp_path):
    path = _write(tmp_path, "agent.yaml", AGENT)
    docs = {d.name: d for d in load_file(path)}
    assert set(docs) == {"agent.templates.system_template", "agent.templates.instance_template",
                         "agent.templates.next_step_template"}
    assert docs["agent.templates.system_template"].text.startswith("You are a careful software engineer.\n")
    assert docs["agent.templates.system_template"].mappable
    assert not docs["agent.templates.instance_template"].mappable, "folded scalars are not edited in place"
    findings = _audit(path, "PO403").findings
    literal = [f for f in findings if f.document == "agent.templates.system_template"]
    folded = [f for f in findings if f.document == "agent.templates.instance_template"]
    assert (literal[0].location.line, literal[0].location.column) == _line_of(AGENT, "In order to test")
    assert literal[0].fix is not None and folded and folded[0].fix is None
    assert folded[0].location.line in (_line_of(AGENT, "instance_template")[0], _line_of(AGENT, "Solve the issue")[0])


def test_yaml_fix_in_a_block_scalar_keeps_indentation(tmp_path):
    path = _write(tmp_path, "agent.yaml", AGENT)
    fixed = _fixed(path, "PO403")
    assert "      To test, run pytest after every edit.\n" in fixed
    assert "In order to check" in fixed, "the folded scalar is reported, not rewritten"
    assert fixed.replace("To test", "In order to test") == AGENT, "nothing else changed"


def test_promptfoo_prompts_list(tmp_path):
    source = (
        "prompts:\n"
        "  - 'Kindly answer: {{question}}'\n"
        "  - id: verbose\n"
        "    label: Verbose answer\n"
        "    raw: |\n"
        "      Please answer the question below.\n"
        "      {{question}}\n"
        "  - file://prompts/other.txt\n"
        "providers: [openai:gpt-4o-mini]\n"
    )
    path = _write(tmp_path, "promptfooconfig.yaml", source)
    docs = load_file(path)
    assert [d.name for d in docs] == ["prompts[0]", "prompts[1].raw"], "ids and labels are not prompts"
    findings = sorted(_audit(path, "PO401").findings, key=lambda f: f.location.line)
    assert [(f.location.line, f.location.column) for f in findings] == [
        _line_of(source, "Kindly"), _line_of(source, "Please")]
    fixed = _fixed(path, "PO401")
    assert "  - 'Answer: {{question}}'\n" in fixed and "      Answer the question below.\n" in fixed


# --- placeholders of every syntax -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "allow_format", "expected"),
    [
        ("Hi {{ name }}!", False, [("jinja", "name")]),
        ("{{- user.email | lower -}}", False, [("jinja", "user")]),
        ("{% if vip %}VIP{% endif %}", False, [("jinja-block", ""), ("jinja-block", "")]),
        ("{# note #}text", False, [("jinja-comment", "")]),
        ("Dear {name}, your total is {total:.2f} ({items[0]}).", True,
         [("format", "name"), ("format", "total"), ("format", "items")]),
        ('Reply as {"answer": 1} with {{"{"}} kept.', True, [("jinja", "")]),
        ('Reply as {"answer": 1}.', True, []),
        ("{{#each items}}{{this}}{{/each}}", False, [("jinja", ""), ("jinja", "this"), ("jinja", "")]),
        ("{{> header}}Hello {{user_name}}", False, [("jinja", ""), ("jinja", "user_name")]),
        ("Summarize {{$input}} in {{$language}}.", False, [("sk", "input"), ("sk", "language")]),
        ("{{time.Now}} {{Plugin.Fn $topic}}", False, [("jinja", "time"), ("sk", "topic")]),
        ("{name} stays literal in a Jinja file", False, []),
    ],
)
def test_placeholder_syntaxes(text, allow_format, expected):
    found = find_placeholders(text, allow_format=allow_format)
    assert [(p.syntax, p.name) for p in found] == expected
    assert all(text[p.span.start : p.span.end] == p.raw for p in found)


@pytest.mark.parametrize(
    ("text", "names"),
    [("{price:.2f} and {width:>10}", ["price", "width"]), ("born in {event:1453}", []), ('{"a": 1}', [])],
)
def test_format_fields_need_a_format_spec_python_would_accept(text, names):
    from promptopt.placeholders import find_placeholders

    assert [p.name for p in find_placeholders(text)] == names


# --- prompts in Python code, in the shapes libraries keep them ---------------------------------------

CODE_PROMPTS = '''"""Prompt texts of the travel agent (a module docstring is never a prompt)."""
import logging
from textwrap import dedent

log = logging.getLogger(__name__)
PROMPTS: dict[str, str] = {}
PROMPTS["DEFAULT_SEPARATOR"] = "<|sep|>"
PROMPTS["itinerary_system_prompt"] = """You plan trips for {traveller}.
List each day with its city and one activity.
Keep every day under eight hours of travel.
"""


class TravelPrompts(TextPromptDict):
    """Prompts of the planner; this docstring is not one."""

    PLAN_DAYS = TextPrompt(
        """Plan {days} days in {city}.
Name one museum per day."""
    )
    PACKING = PromptTemplate(input_variables=["weather"], template="Write a packing list for {weather} weather.")


def build_packing_prompt(weather: str) -> str:
    """Return the packing prompt for the weather."""
    if not weather:
        raise ValueError("The weather is missing, the packing list cannot be written without it.")
    log.info("Building the packing prompt for %s weather and the current traveller", weather)
    return f"""You pack for {weather} weather.
Bring one coat and two pairs of shoes.
"""


def checklist_prompt(city):
    return dedent(
        """\\
        Check the visa rules for {city}.
        Check the opening hours of each museum.
        """
    ).format(city=city)


GREETING_PROMPT = "Greet the traveller by name. " + "Offer three destinations."
REMINDER_TEMPLATE = "Remind %s to check in online before the flight leaves." % "the traveller"
'''


def test_python_prompts_in_calls_subscripts_and_functions_are_read_on_their_lines(tmp_path):
    path = _write(tmp_path, "travel_prompts.py", CODE_PROMPTS)
    docs = {d.name: d for d in load_file(path)}
    assert set(docs) == {"PROMPTS.itinerary_system_prompt", "TravelPrompts.PLAN_DAYS", "TravelPrompts.PACKING",
                         "build_packing_prompt()", "checklist_prompt()", "GREETING_PROMPT", "REMINDER_TEMPLATE"}
    # no docstring, log line, error message or short separator became a prompt
    every = "".join(d.text for d in docs.values())
    assert "docstring" not in every and "missing" not in every and "Building" not in every

    def line_of_text(doc, needle):
        return doc.line_col(doc.locate(doc.text.index(needle)))[0]

    for name, needle in [("PROMPTS.itinerary_system_prompt", "Keep every day"),
                         ("TravelPrompts.PLAN_DAYS", "Name one museum"),
                         ("build_packing_prompt()", "Bring one coat"),
                         ("checklist_prompt()", "Check the opening hours")]:
        assert line_of_text(docs[name], needle) == _line_of(CODE_PROMPTS, needle)[0], name
    assert docs["PROMPTS.itinerary_system_prompt"].mappable  # a plain literal keeps its fixes
    # dedent: the model gets the text without the code's indentation, and without fixes
    checklist = docs["checklist_prompt()"]
    assert checklist.text == "Check the visa rules for {city}.\nCheck the opening hours of each museum.\n"
    assert not checklist.mappable
    first = "Check the visa rules"
    assert checklist.line_col(checklist.locate(0))[0] == _line_of(CODE_PROMPTS, first)[0]  # after the `\`
    assert docs["GREETING_PROMPT"].text == "Greet the traveller by name. Offer three destinations."
    assert [p.name for p in docs["PROMPTS.itinerary_system_prompt"].placeholders] == ["traveller"]


def test_a_joined_prompt_keeps_the_other_operand_as_a_placeholder(tmp_path):
    source = ('BASE_PROMPT = """You answer questions about the garden shop.\\nBe brief."""\n'
              'ORDER_PROMPT = BASE_PROMPT + """\\nAsk for the order number first.\\nNever promise a date.\\n"""\n')
    docs = {d.name: d for d in load_file(_write(tmp_path, "shop.py", source))}
    order = docs["ORDER_PROMPT"]
    assert order.text.startswith("{BASE_PROMPT}\nAsk for the order number")
    assert [p.name for p in order.placeholders] == ["BASE_PROMPT"]
    assert order.line_col(order.locate(order.text.index("Never promise")))[0] == 2


def test_a_joined_operand_whose_text_is_unknown_is_not_called_glued(tmp_path):
    source = ('INTRO = "You are a careful editor."\n'
              'EDIT_PROMPT = INTRO + "Fix the spelling of the text below and keep its meaning."\n'
              'CHECK_PROMPT = "Check every date in the text." + "Report each wrong one."\n')
    docs = {d.name: d for d in load_file(_write(tmp_path, "editor.py", source))}
    assert docs["EDIT_PROMPT"].glued == []  # INTRO's last character is not known to the loader
    assert docs["CHECK_PROMPT"].glued == [len("Check every date in the text.")]  # "text.Report"


def test_joined_f_string_pieces_are_one_prompt_with_its_glued_joins_at_their_lines(tmp_path):
    source = ('def build_scan_prompt(width: int) -> str:\n'
              '    return (\n'
              '        f"Attached is one scanned page of a contract."\n'
              '        "Return its clauses as plain text.\\n"\n'
              '        rf"Keep \\d+ clause numbers; the page is {width} px wide."\n'
              '        f"Mark unreadable words with [?]\\n"\n'
              '    )\n')
    docs = {d.name: d for d in load_file(_write(tmp_path, "scan.py", source))}
    scan = docs["build_scan_prompt()"]
    assert scan.text == ("Attached is one scanned page of a contract.Return its clauses as plain text.\n"
                         "Keep \\d+ clause numbers; the page is {width} px wide.Mark unreadable words with [?]\n")
    # each glued join is reported at the line where its second piece starts
    assert [scan.line_col(scan.locate(at))[0] for at in scan.glued] == [4, 6]
    assert [p.name for p in scan.placeholders] == ["width"]

XML_LIBRARY = """<constants>

<summary_suffix>
Return a valid JSON object with the fields the schema names. If you are unsure of a value, enter 'None'.
</summary_suffix>

<!-- the same rule, for XML output -->
<xml_summary_suffix>
Return valid XML with the tags the schema names. If you are unsure of a value, enter 'None'.
</xml_summary_suffix>
</constants>
"""


def test_an_xml_library_of_prompts_is_one_document_per_entry(tmp_path):
    """Before: the file was one prompt, so a sentence the two entries share was a 'duplicate' whose removal
    broke the second prompt (each entry is sent alone)."""
    path = tmp_path / "constants.xml"
    path.write_text(XML_LIBRARY, encoding="utf-8")
    docs = load_file(path)
    assert [d.name for d in docs] == ["summary_suffix", "xml_summary_suffix"]
    second = docs[1]
    line, _ = second.line_col(second.locate(second.text.index("Return valid XML")))
    assert line == XML_LIBRARY.splitlines().index(
        "Return valid XML with the tags the schema names. If you are unsure of a value, enter 'None'.") + 1
    result = Auditor(Config(select=["PO101"], min_tokens=0)).audit_file(path)
    assert not result.findings


def test_xml_with_text_beside_its_elements_is_one_prompt(tmp_path):
    path = tmp_path / "prompt.xml"
    path.write_text("<prompt>\nYou sort tickets.\n<rules>Be brief.</rules>\n<format>One word.</format>\n</prompt>\n",
                    encoding="utf-8")
    docs = load_file(path)
    assert len(docs) == 1 and "You sort tickets." in docs[0].text


def test_a_prompt_shared_through_a_yaml_alias_reports_its_problem_once(tmp_path):
    """Before: the same broken JSON example, reached as `executor_prompt` and again through `*shared`,
    was two identical findings (same line, same message), which a reader counted as noise."""
    path = tmp_path / "agents.yaml"
    path.write_text(
        "prompts:\n"
        "  executor_prompt: &shared |\n"
        "    Reply with JSON only, like this:\n"
        "\n"
        "    ```json\n"
        '    {"intent": "refund", "order_id": "A-1043" "urgent": true}\n'
        "    ```\n"
        "agents:\n"
        "  - role: executor\n"
        "    prompt: *shared\n", encoding="utf-8")
    assert len(load_file(path)) == 2
    findings = Auditor(Config()).audit_file(path).findings
    assert [f.code for f in findings] == ["PO211"]
