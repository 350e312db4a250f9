"""Reporters: golden files for every format, plus the behaviour each format promises its reader.

The audit result is built by hand from findings on a small prompt written here: real registry rules
(codes, names and severities as `promptopt rules` lists them), the rules' own messages and places, and
token counts by tiktoken itself (o200k_base for gpt-4o), not by promptopt's counter. A test checks
that the real audit reports the same findings. ``UPDATE_GOLDEN=1 pytest tests/test_reporters.py``
rewrites the golden files after an intended change: review the diff before committing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from promptopt.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    Location,
    PromptDocument,
    Severity,
    Span,
)
from promptopt.registry import get_rule
from promptopt.reporters import REPORTERS, ReportOptions, render
from promptopt.reporters.github import escape_data, escape_property
from promptopt.results import AuditResult, FileResult
from promptopt.tokenmap import WHOLE, SectionTokens
from promptopt.tokens import choose_encoding

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "json-format.md"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"  # OASIS's, bundled: see data/README.md
EXTENSIONS = {"text": "txt", "concise": "txt", "json": "json", "github": "txt", "sarif": "sarif"}

MODEL = "gpt-4o"
PRICE_PER_TOKEN = 2.5e-06  # the test's input price per token for MODEL, passed as the CLI would
FAKE_KEY = "sk-proj-" + "Zq7Lm2Xv9Rt4Wb8Nc1Hd5Kf3" + "Gs6Jp0Ty"  # split so scanners skip this file
PROMPT = (
    "You are a support assistant for Acme Bank.\n"
    "Answer the customer's question and kindly make use of the FAQ.\n"
    "Always answer in English.\n"
    "Always answer in English.\n"
    "When unsure, NEVER GUESS ANY ACCOUNT DETAILS and ask instead.\n"
    f"Lookup tool key: {FAKE_KEY}\n"
    "\n"
    "Customer question: {{question}}\n"
)
CLEAN_PROMPT = "Summarize the ticket in one sentence.\n\nTicket: {{ticket}}\n"
# The rules behind the findings below, as `promptopt rules` lists them (checked against the registry).
RULES = {
    "PO101": ("duplicate-instruction", Severity.WARNING),
    "PO401": ("filler-phrase", Severity.WARNING),
    "PO403": ("wordy-phrase", Severity.WARNING),
    "PO404": ("shouting", Severity.INFO),
    "PO801": ("secret-in-prompt", Severity.ERROR),
}


def _locate(doc: PromptDocument, start: int, end: int) -> Location:
    line, column = doc.line_col(start)
    end_line, end_column = doc.line_col(end)
    return Location(line, column, end_line, end_column)


def _span_of(text: str, needle: str, occurrence: int = 1) -> Span:
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    return Span(start, start + len(needle))


def _fixed(text: str, fix: Fix) -> str:
    for edit in sorted(fix.edits, key=lambda e: e.span.start, reverse=True):
        text = text[: edit.span.start] + edit.replacement + text[edit.span.end :]
    return text


@pytest.fixture(scope="module")
def count(o200k) -> Callable[[str], int]:
    """gpt-4o's token count, by tiktoken itself (not promptopt's counter)."""
    return lambda text: len(o200k.encode(text))


@pytest.fixture(scope="module")
def result(count) -> AuditResult:
    """What `promptopt audit --select PO101,PO401,PO403,PO404,PO801` reports on PROMPT today, written
    out by hand so the reporters are tested apart from the rules: messages and places as the rules
    give them, tokens saved = tiktoken's count of the file before minus after the finding's fix."""
    path = Path("prompts/support.md")
    doc = PromptDocument(path=path, source=PROMPT, text=PROMPT, format="markdown")

    def finding(code, span, message, fix=None, related=()):
        name, severity = RULES[code]
        return Finding(
            code=code,
            name=name,
            severity=severity,
            path=path,
            location=_locate(doc, span.start, span.end),
            message=message,
            tokens_saved=count(PROMPT) - count(_fixed(PROMPT, fix)) if fix else 0,
            fix=fix,
            snippet=PROMPT[span.start : span.end],
            related=list(related),
        )

    first = _span_of(PROMPT, "Always answer in English.\n", 1)
    duplicate = _span_of(PROMPT, "Always answer in English.\n", 2)
    kindly = _span_of(PROMPT, "kindly ")
    wordy = _span_of(PROMPT, "make use of")
    shout = _span_of(PROMPT, "NEVER GUESS ANY ACCOUNT DETAILS")
    key = _span_of(PROMPT, FAKE_KEY)
    findings = [
        finding(
            "PO401",
            Span(kindly.start, kindly.end - 1),
            "'kindly' is filler: remove it",
            Fix((Edit(kindly, ""),), Applicability.SAFE, "Remove 'kindly'"),
        ),
        finding(
            "PO403",
            wordy,
            "'make use of' is wordy: use 'use'",
            Fix((Edit(wordy, "use"),), Applicability.SAFE, "Replace 'make use of' with 'use'"),
        ),
        finding(
            "PO101",
            Span(duplicate.start, duplicate.end - 1),
            "duplicate of the instruction at line 3: remove it",
            Fix((Edit(duplicate, ""),), Applicability.SAFE, "Remove the duplicate"),
            related=[_locate(doc, first.start, first.end - 1)],
        ),
        finding(
            "PO404",
            shout,
            "'NEVER GUESS ANY ACCOUNT DETAILS' is shouting: write it in sentence case",
            Fix((Edit(shout, "never guess any account details"),), Applicability.UNSAFE, "Write it in sentence case"),
        ),
        finding(
            "PO801",
            key,
            f"OpenAI API key {FAKE_KEY[:8]}…{FAKE_KEY[-4:]} in a prompt file: remove it, load it from the "
            "environment, and rotate it",
        ),
    ]
    clean_path = Path("prompts/summarize.j2")
    return AuditResult(
        files=[
            # no heading: the token map is the whole prompt, as the real audit maps it (a test below)
            FileResult(path, [doc], count(PROMPT), findings, sections=[SectionTokens(WHOLE, 1, 8, count(PROMPT))]),
            FileResult(
                Path("prompts/broken.yaml"),
                error="invalid YAML: mapping values are not allowed here (line 3)",
            ),
            FileResult(
                clean_path, [], count(CLEAN_PROMPT), [], sections=[SectionTokens(WHOLE, 1, 3, count(CLEAN_PROMPT))]
            ),
        ],
        encoding=choose_encoding(MODEL),
    )


def test_the_fixture_findings_are_registry_rules():
    for code, (name, severity) in RULES.items():
        rule = get_rule(code)
        assert rule is not None, code
        assert (rule.name, rule.severity) == (name, severity), code


def _rule_docs(code: str):
    """The rule registry, as the CLI passes it to the reporters (SARIF's rule metadata)."""
    return get_rule(code)


def _options(**overrides) -> ReportOptions:
    base = dict(
        color=False,
        show_fixes=True,
        model=MODEL,
        tool_version="0.1.0",
        rule_docs=_rule_docs,
        price_per_token=PRICE_PER_TOKEN,
    )
    return ReportOptions(**{**base, **overrides})


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_output_matches_golden_file(fmt: str, result: AuditResult) -> None:
    output = render(fmt, result, _options())
    golden = GOLDEN / f"audit.{fmt}.{EXTENSIONS[fmt]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output, encoding="utf-8")
    assert golden.exists(), f"{golden} missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert output == golden.read_text(encoding="utf-8")


def test_registry_has_every_format_and_rejects_unknown(result: AuditResult) -> None:
    assert set(REPORTERS) == {"text", "concise", "json", "github", "sarif"}
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", result, _options())


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_format_prints_the_secret_snippet(fmt: str, result: AuditResult) -> None:
    output = render(fmt, result, _options())
    assert FAKE_KEY not in output
    assert "…" + FAKE_KEY[-4:] in output  # the masked message is shown


def test_text_report_tells_the_reader_what_to_do(result: AuditResult, count) -> None:
    output = render("text", result, _options())
    lines = output.splitlines()
    duplicate = next(line for line in lines if " PO101 " in line)
    saved = count(PROMPT) - count(PROMPT.replace("Always answer in English.\n", "", 1))
    assert saved > 0
    assert duplicate.startswith("prompts/support.md:4:1: PO101 [*] [warning] ")
    assert duplicate.endswith(f"(-{saved} tokens) (see also 3:1)")
    # each finding links to its docs; fixable findings are counted like ruff counts them
    assert output.count("= docs: promptopt rules ") == len(result.findings)
    assert "[*] 3 fixable with `promptopt audit --fix`." in output
    assert "(1 hidden fix can be enabled with `--unsafe-fixes`.)" in output
    assert f"{count(PROMPT)} tokens per request" in output
    # the unreadable file is listed with its reason
    assert "prompts/broken.yaml: invalid YAML: mapping values are not allowed here (line 3)" in output
    # findings of a file are ordered by line
    finding_lines = [int(m.group(1)) for m in re.finditer(r"^prompts/support\.md:(\d+):", output, re.M)]
    assert finding_lines == sorted(finding_lines) and len(finding_lines) == 5


def test_text_has_no_ansi_without_color_and_ignores_environment(result, monkeypatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "40")
    plain = render("text", result, _options(color=False))
    assert "\x1b" not in plain
    colored = render("text", result, _options(color=True))
    assert "\x1b[" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


def test_dollars_are_unknown_without_a_price_never_zero(result: AuditResult) -> None:
    for price in (None, 0.0):
        text = render("text", result, _options(price_per_token=price))
        assert f"Input cost per 1k requests: unknown (no price for {MODEL})" in text
        assert "$0" not in text
        summary = json.loads(render("json", result, _options(price_per_token=price)))["summary"]
        assert summary["dollars_saved_per_1k_requests"] is None
        assert summary["price_per_token"] is None


def test_dollars_follow_tokens_and_price(result: AuditResult) -> None:
    summary = json.loads(render("json", result, _options()))["summary"]
    assert summary["dollars_saved_per_1k_requests"] == pytest.approx(
        result.tokens_saved * PRICE_PER_TOKEN * 1000
    )
    assert summary["dollars_per_1k_requests"] == pytest.approx(result.tokens * PRICE_PER_TOKEN * 1000)


def _documented_keys() -> set[str]:
    return set(re.findall(r"^\s*[-|]\s*`([a-z0-9_$]+)`", DOCS.read_text(encoding="utf-8"), re.M))


def _keys(value, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            _keys(item, found)
    elif isinstance(value, list):
        for item in value:
            _keys(item, found)
    return found


def test_json_round_trips_with_the_documented_keys(result: AuditResult, count) -> None:
    report = json.loads(render("json", result, _options()))
    assert set(report) == {
        "version",
        "promptopt_version",
        "model",
        "encoding",
        "estimate",
        "files",
        "summary",
    }
    assert (report["version"], report["model"], report["encoding"], report["estimate"]) == (
        1,
        MODEL,
        "o200k_base",
        False,
    )
    support, broken, clean = report["files"]
    assert support["tokens"] == count(PROMPT)
    assert support["tokens_saved"] == result.files[0].tokens_saved
    assert broken["error"].startswith("invalid YAML") and broken["findings"] == []
    assert clean["findings"] == [] and clean["error"] is None
    by_code = {f["code"]: f for f in support["findings"]}
    assert set(by_code) == {f.code for f in result.findings}
    for original in result.findings:
        emitted = by_code[original.code]
        assert emitted["severity"] == str(original.severity)
        assert (emitted["line"], emitted["column"], emitted["end_line"], emitted["end_column"]) == (
            original.location.line,
            original.location.column,
            original.location.end_line,
            original.location.end_column,
        )
        assert emitted["tokens_saved"] == original.tokens_saved
    # a fix's edits, applied to the file, give the fixed prompt
    edit = by_code["PO403"]["fix"]["edits"][0]
    fixed = PROMPT[: edit["start"]] + edit["replacement"] + PROMPT[edit["end"] :]
    assert "and kindly use the FAQ.\n" in fixed
    assert by_code["PO403"]["tokens_saved"] == count(PROMPT) - count(fixed) > 0
    assert by_code["PO801"]["fix"] is None and by_code["PO404"]["fix"]["applicability"] == "unsafe"
    summary = report["summary"]
    assert summary["findings"] == 5 and summary["by_severity"] == {"error": 1, "warning": 3, "info": 1}
    assert summary["exit_code"] == 2  # a file could not be read
    assert summary["fixable"] == {"safe": 3, "unsafe": 1}
    # every key the report emits is documented in docs/json-format.md
    assert _keys(report, set()) - {"error", "warning", "info"} <= _documented_keys()


def test_github_escaping_follows_the_toolkit() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations(result: AuditResult) -> None:
    path = Path("odd, dir/a:b.md")
    tricky = Finding(
        code="PO101",
        name="duplicate-instruction",
        severity=Severity.ERROR,
        path=path,
        location=Location(2, 1, 3, 5),
        message="100% repeated:\nsecond line, too",
        tokens_saved=1,
    )
    odd = AuditResult([FileResult(path, [], 10, [tricky])], encoding=result.encoding)
    (line,) = render("github", odd, _options()).splitlines()
    assert line == (
        "::error file=odd%2C dir/a%3Ab.md,line=2,col=1,endLine=3,endColumn=5,"
        "title=PO101 duplicate-instruction::100%25 repeated:%0Asecond line, too (-1 token per request)"
    )
    levels = [m.group(1) for m in re.finditer(r"^::(\w+) ", render("github", result, _options()), re.M)]
    assert levels == ["warning", "warning", "warning", "notice", "error", "error"]  # by line, then the broken file


def _sarif_validator():
    import jsonschema  # a dependency of promptopt itself

    # no skip: the schema ships with the tests, so SARIF output is validated in every clone
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize("rule_docs", [_rule_docs, None], ids=["with-registry", "without-registry"])
def test_sarif_validates_against_the_schema(result: AuditResult, rule_docs) -> None:
    validator = _sarif_validator()
    log = json.loads(render("sarif", result, _options(rule_docs=rule_docs)))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["PO801"] == "error" and levels["PO404"] == "note"
    assert run["invocations"][0]["executionSuccessful"] is False
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"prompts/support.md"}


def test_sarif_rule_metadata_comes_from_the_registry(result: AuditResult) -> None:
    rules = json.loads(render("sarif", result, _options()))["runs"][0]["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert set(by_id) == set(RULES)
    assert by_id["PO801"]["shortDescription"]["text"] == get_rule("PO801").summary
    assert by_id["PO801"]["defaultConfiguration"]["level"] == "error"
    # a rule the registry does not know still gets a valid entry, from its findings
    unknown = json.loads(render("sarif", result, _options(rule_docs=lambda c: None if c == "PO404" else get_rule(c))))
    by_id = {r["id"]: r for r in unknown["runs"][0]["tool"]["driver"]["rules"]}
    assert by_id["PO404"]["name"] == "shouting" and by_id["PO801"]["name"] == "secret-in-prompt"


def test_absolute_paths_are_shown_relative_to_the_root(result: AuditResult, tmp_path: Path) -> None:
    absolute = tmp_path / "prompts" / "a.md"
    moved = Finding(
        "PO101", "duplicate-instruction", Severity.WARNING, absolute, Location(1, 1, 1, 5), "dup", 2
    )
    audit = AuditResult([FileResult(absolute, [], 10, [moved])], encoding=result.encoding)
    options = _options(root=tmp_path)
    assert render("concise", audit, options).startswith("prompts/a.md:1:1: PO101 dup (-2 tokens)\n")
    assert json.loads(render("json", audit, options))["files"][0]["path"] == "prompts/a.md"
    sarif = json.loads(render("sarif", audit, options))
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "prompts/a.md"
    }
    outside = json.loads(render("sarif", audit, _options(root=tmp_path / "elsewhere")))
    uri = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == absolute.as_uri()


def test_concise_is_one_line_per_finding(result: AuditResult) -> None:
    lines = render("concise", result, _options()).splitlines()
    finding_lines = [line for line in lines if re.match(r"^\S+:\d+:\d+: PO\d{3} ", line)]
    assert len(finding_lines) == len(result.findings)
    assert "prompts/broken.yaml: error: invalid YAML: mapping values are not allowed here (line 3)" in lines
    assert lines[-2:] == ["Found 5 findings.", "[*] 3 fixable with `promptopt audit --fix`."]
    empty = AuditResult([FileResult(Path("a.md"), [], 3, [])], encoding=result.encoding)
    assert render("concise", empty, _options()) == "All checks passed!\n"


def test_model_without_public_tokenizer_is_marked_estimate(result: AuditResult, count) -> None:
    claude = AuditResult(result.files, encoding=choose_encoding("claude-3-5-sonnet-20241022"))
    options = _options(model="claude-3-5-sonnet-20241022", price_per_token=None)
    text = render("text", claude, options)
    tokens = count(PROMPT) + count(CLEAN_PROMPT)
    assert f"Tokens per request: {tokens} (estimate: o200k_base stands in for claude-3-5-sonnet-20241022)" in text
    assert json.loads(render("json", claude, options))["estimate"] is True


def test_real_audit_renders_in_every_format(tmp_path: Path, count) -> None:
    """The real pipeline (loaders, registry, engine) into every reporter, unreadable file included."""
    from promptopt.config import Config
    from promptopt.engine import audit_paths
    from promptopt.registry import get_rule

    (tmp_path / "support.md").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x01 not text")
    audit = audit_paths([tmp_path], Config(model=MODEL))
    options = _options(rule_docs=get_rule, root=tmp_path)
    outputs = {fmt: render(fmt, audit, options) for fmt in REPORTERS}

    report = json.loads(outputs["json"])
    by_path = {f["path"]: f for f in report["files"]}
    assert by_path["support.md"]["tokens"] == count(PROMPT)
    assert by_path["binary.txt"]["error"]
    assert report["summary"]["findings"] == len(audit.findings)
    assert "binary.txt" in outputs["text"] and "support.md" in outputs["text"]
    for output in outputs.values():
        assert FAKE_KEY not in output
    validator = _sarif_validator()
    assert not list(validator.iter_errors(json.loads(outputs["sarif"])))


def test_the_fixture_is_what_the_real_rules_report(tmp_path: Path, result: AuditResult) -> None:
    """The hand-written findings above are the real audit's on the same prompt: same rules, places,
    fixes and savings (messages are the rules' own business and may be reworded)."""
    from promptopt.config import Config
    from promptopt.engine import audit_paths

    (tmp_path / "support.md").write_text(PROMPT, encoding="utf-8")
    audit = audit_paths([tmp_path / "support.md"], Config(model=MODEL, select=list(RULES), min_tokens=0))
    real = audit.findings
    assert audit.files[0].sections == result.files[0].sections

    def summary(findings):
        return sorted(
            (f.code, f.name, f.severity, f.location.line, f.location.column, f.tokens_saved,
             f.fix.applicability if f.fix else None, [(e.span.start, e.span.end, e.replacement) for e in f.fix.edits]
             if f.fix else [])
            for f in findings
        )  # fmt: skip

    assert summary(real) == summary(result.findings)
