"""Reporters: golden files for every format, plus the behaviour each format promises its reader.

The audit result is built by hand from findings on a small prompt written here; token counts are
tiktoken's (o200k_base for gpt-4o), not invented. ``UPDATE_GOLDEN=1 pytest tests/test_reporters.py``
rewrites the golden files after an intended change: review the diff before committing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

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
from promptopt.reporters import REPORTERS, ReportOptions, render
from promptopt.reporters.github import escape_data, escape_property
from promptopt.results import AuditResult, FileResult
from promptopt.tokens import TokenCounter, choose_encoding

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "json-format.md"
SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"
EXTENSIONS = {"text": "txt", "concise": "txt", "json": "json", "github": "txt", "sarif": "sarif"}

MODEL = "gpt-4o"
PRICE_PER_TOKEN = 2.5e-06  # the test's input price per token for MODEL, passed as the CLI would
FAKE_KEY = "sk-proj-" + "Zq7Lm2Xv9Rt4Wb8Nc1Hd5Kf3" + "Gs6Jp0Ty"  # split so scanners skip this file
PROMPT = (
    "You are a support assistant for Acme Bank.\n"
    "Please kindly answer the customer's question in a polite way.\n"
    "Always answer in English.\n"
    "Always answer in English.\n"
    "IMPORTANT!!! Never share account numbers.\n"
    f"Lookup tool key: {FAKE_KEY}\n"
    "\n"
    "Customer question: {{question}}\n"
)
CLEAN_PROMPT = "Summarize the ticket in one sentence.\n\nTicket: {{ticket}}\n"


def _locate(doc: PromptDocument, start: int, end: int) -> Location:
    line, column = doc.line_col(start)
    end_line, end_column = doc.line_col(end)
    return Location(line, column, end_line, end_column)


def _span_of(text: str, needle: str, occurrence: int = 1) -> Span:
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    return Span(start, start + len(needle))


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter(MODEL)


@pytest.fixture(scope="module")
def result(counter: TokenCounter) -> AuditResult:
    path = Path("prompts/support.md")
    doc = PromptDocument(path=path, source=PROMPT, text=PROMPT, format="markdown")

    def finding(code, name, severity, span, message, saved, fix=None, related=()):
        return Finding(
            code=code,
            name=name,
            severity=severity,
            path=path,
            location=_locate(doc, span.start, span.end),
            message=message,
            tokens_saved=saved,
            fix=fix,
            snippet=PROMPT[span.start : span.end],
            related=list(related),
        )

    first = _span_of(PROMPT, "Always answer in English.\n", 1)
    duplicate = _span_of(PROMPT, "Always answer in English.\n", 2)
    kindly = _span_of(PROMPT, "kindly ")
    polite = _span_of(PROMPT, "in a polite way")
    shout = _span_of(PROMPT, "IMPORTANT!!! ")
    key = _span_of(PROMPT, FAKE_KEY)
    polite_line = "Please kindly answer the customer's question in a polite way."
    findings = [
        finding(
            "PO101",
            "duplicate-instruction",
            Severity.WARNING,
            Span(duplicate.start, duplicate.end - 1),
            'Instruction "Always answer in English." repeats line 3',
            counter.count(PROMPT[duplicate.start : duplicate.end]),
            Fix((Edit(duplicate, ""),), Applicability.SAFE, "Remove the repeated instruction"),
            related=[_locate(doc, first.start, first.end - 1)],
        ),
        finding(
            "PO401",
            "filler-word",
            Severity.INFO,
            Span(kindly.start, kindly.end - 1),
            'Filler word "kindly" adds tokens, not meaning',
            counter.saved(polite_line, polite_line.replace("kindly ", "")),
            Fix((Edit(kindly, ""),), Applicability.UNSAFE, 'Remove "kindly"'),
        ),
        finding(
            "PO402",
            "wordy-phrase",
            Severity.INFO,
            polite,
            'Wordy phrase "in a polite way": write "politely"',
            counter.saved(polite_line, polite_line.replace("in a polite way", "politely")),
            Fix((Edit(polite, "politely"),), Applicability.SAFE, 'Replace with "politely"'),
        ),
        finding(
            "PO405",
            "shouting",
            Severity.INFO,
            Span(shout.start, shout.end - 1),
            'Shouting "IMPORTANT!!!": models follow plain instructions as well',
            counter.saved("IMPORTANT!!! Never share account numbers.", "Never share account numbers."),
        ),
        finding(
            "PO701",
            "secret-in-prompt",
            Severity.ERROR,
            key,
            f"OpenAI API key in a prompt file: {FAKE_KEY[:7]}…{FAKE_KEY[-4:]}",
            0,
        ),
    ]
    clean_path = Path("prompts/summarize.j2")
    return AuditResult(
        files=[
            FileResult(path, [doc], counter.count(PROMPT), findings),
            FileResult(
                Path("prompts/broken.yaml"),
                error="invalid YAML: mapping values are not allowed here (line 3)",
            ),
            FileResult(clean_path, [], counter.count(CLEAN_PROMPT), []),
        ],
        encoding=choose_encoding(MODEL),
    )


def _rule_docs(code: str):
    """A stand-in for the rule registry: what SARIF's rule metadata is made of."""
    known = {
        "PO101": ("duplicate-instruction", Severity.WARNING, "An instruction appears twice."),
        "PO701": ("secret-in-prompt", Severity.ERROR, "A credential is written into a prompt file."),
    }
    if code not in known:
        return None
    name, severity, summary = known[code]
    return SimpleNamespace(code=code, name=name, severity=severity, summary=summary, docs=f"{summary} Why...")


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


def test_text_report_tells_the_reader_what_to_do(result: AuditResult, counter: TokenCounter) -> None:
    output = render("text", result, _options())
    lines = output.splitlines()
    duplicate = next(line for line in lines if " PO101 " in line)
    saved = counter.count("Always answer in English.\n")
    assert duplicate.startswith("prompts/support.md:4:1: PO101 [*] [warning] ")
    assert duplicate.endswith(f"(-{saved} tokens) (see also 3:1)")
    # each finding links to its docs; fixable findings are counted like ruff counts them
    assert output.count("= docs: promptopt rules ") == len(result.findings)
    assert "[*] 2 fixable with `promptopt audit --fix`." in output
    assert "(1 hidden fix can be enabled with `--unsafe-fixes`.)" in output
    assert f"{counter.count(PROMPT)} tokens per request" in output
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


def test_json_round_trips_with_the_documented_keys(result: AuditResult, counter: TokenCounter) -> None:
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
    assert support["tokens"] == counter.count(PROMPT)
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
    edit = by_code["PO402"]["fix"]["edits"][0]
    fixed = PROMPT[: edit["start"]] + edit["replacement"] + PROMPT[edit["end"] :]
    assert "question politely.\n" in fixed
    assert by_code["PO405"]["fix"] is None
    summary = report["summary"]
    assert summary["findings"] == 5 and summary["by_severity"] == {"error": 1, "warning": 1, "info": 3}
    assert summary["exit_code"] == 2  # a file could not be read
    assert summary["fixable"] == {"safe": 2, "unsafe": 1}
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
    assert levels == [
        "notice",
        "notice",
        "warning",
        "notice",
        "error",
        "error",
    ]  # by line, then the broken file


def _sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SCHEMAS / "sarif-schema-2.1.0.json"
    if not schema_path.exists():
        pytest.skip(f"SARIF schema not found at {schema_path} (the shared folder is absent)")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
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
    assert levels["PO701"] == "error" and levels["PO405"] == "note"
    assert run["invocations"][0]["executionSuccessful"] is False
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"prompts/support.md"}


def test_sarif_rule_metadata_comes_from_the_registry(result: AuditResult) -> None:
    rules = json.loads(render("sarif", result, _options()))["runs"][0]["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["PO701"]["shortDescription"]["text"] == "A credential is written into a prompt file."
    assert by_id["PO701"]["defaultConfiguration"]["level"] == "error"
    # a rule the registry does not know still gets a valid entry, from its findings
    assert by_id["PO405"]["name"] == "shouting"


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
    assert lines[-2:] == ["Found 5 findings.", "[*] 2 fixable with `promptopt audit --fix`."]
    empty = AuditResult([FileResult(Path("a.md"), [], 3, [])], encoding=result.encoding)
    assert render("concise", empty, _options()) == "All checks passed!\n"


def test_model_without_public_tokenizer_is_marked_estimate(result: AuditResult) -> None:
    claude = AuditResult(result.files, encoding=choose_encoding("claude-3-5-sonnet-20241022"))
    options = _options(model="claude-3-5-sonnet-20241022", price_per_token=None)
    text = render("text", claude, options)
    assert "Tokens per request: 92 (estimate: o200k_base stands in for claude-3-5-sonnet-20241022)" in text
    assert json.loads(render("json", claude, options))["estimate"] is True


def test_real_audit_renders_in_every_format(tmp_path: Path, counter: TokenCounter) -> None:
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
    assert by_path["support.md"]["tokens"] == counter.count(PROMPT)
    assert by_path["binary.txt"]["error"]
    assert report["summary"]["findings"] == len(audit.findings)
    assert "binary.txt" in outputs["text"] and "support.md" in outputs["text"]
    for output in outputs.values():
        assert FAKE_KEY not in output
    validator = _sarif_validator()
    assert not list(validator.iter_errors(json.loads(outputs["sarif"])))
