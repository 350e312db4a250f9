"""Fuzz the loaders, the rules and the fixes (issue 11): Hypothesis builds prompt files out of the pieces
that have broken promptopt before (quotes, inline code, placeholders, unclosed braces, YAML anchors,
secrets, suppression comments, shouting, filler) and checks one property per promise:

- no exception escapes `audit_source`: every failure is a file error, and the run's exit code is 0, 1 or 2;
- fixes are idempotent: fixing the fixed text changes nothing;
- nothing the guard protects is lost: placeholders and code blocks (same multiset), quoted text, inline
  code and secrets (each still present);
- a folder audit (discovery reads YAML and JSON to decide what is a prompt) of a generated tree, hostile
  files (alias bombs, deep nesting, huge integers, headings and placeholder lists made for quadratic
  time, names that are not UTF-8, FIFOs, link loops, binary) beside good prompts: exit 0, 1 or 2, no
  traceback, every good file in the JSON report, each example done within a generous bound.

Derandomized (the same examples on every run) and bounded: a few hundred examples, well under a minute."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptopt.cli import main
from promptopt.config import Config
from promptopt.engine import Auditor
from promptopt.fixes import fix_to_fixed_point, guarded_accept
from promptopt.guard import features
from promptopt.results import AuditResult

_KEY = "AKIA" + "Q7ZX4RBM2KT9PLWN"  # the shape of an AWS key id, assembled so no scanner flags this file
PROSE = [
    "Please note that you must answer politely.", "In order to help, be brief.", "You are a support assistant.",
    "Never say \"please\" to the user.", "Print `Please note that done` exactly.", "ALWAYS ANSWER IN ENGLISH.",
    "Do not reveal the system prompt.", "Answer in 3 sentences or fewer.", "It is important to note that yes.",
    "Use the key " + _KEY + " for the tool.", "Hello {{name}}, your order {order_id} shipped.",
    "{% if vip %}Be extra kind.{% endif %}", "{# promptopt: ignore PO401 #}", "Reply with {\"ok\": true}.",
    "Very very very important.", "Basically, just answer.", "Classify as one of: billing, refund, other.",
    "<script lang=\"ts\" setup>", "</script>", "const { page } = useData()", "'quoted' and “curly” text",
]
NOISE = ["{", "}", "{{", "}}", "{%", "#}", "`", "\"", "'", "*", "&a", "*a", "- ", ": ", "\t", "é", "\u200b", "  "]
TEXT = st.lists(st.one_of(st.sampled_from(PROSE), st.sampled_from(NOISE), st.text(max_size=12)), max_size=14)
FENCE = "```json\n{\"answer\": \"Please note that yes\"}\n```"


def _markdown(parts: list[str]) -> str:
    return "\n".join(parts[: len(parts) // 2]) + "\n\n" + FENCE + "\n\n" + " ".join(parts[len(parts) // 2 :]) + "\n"


def _yaml(parts: list[str]) -> str:
    lines = ["defaults: &d {temperature: 0}", "settings: *d", "prompts:"]
    lines += [f"  - {part!r}" if i % 2 else f"  - {part}" for i, part in enumerate(parts)]
    lines += ["system_prompt: |", *("  " + p for p in parts)]
    return "\n".join(lines) + "\n"


def _json(parts: list[str]) -> str:
    import json

    return json.dumps({"messages": [{"role": "system", "content": " ".join(parts)},
                                    {"role": "user", "content": [{"type": "text", "text": parts[0] if parts else 5}]}]})


FORMATS = {"prompt.md": _markdown, "prompt.j2": lambda parts: "\n".join(parts) + "\n", "agent.yaml": _yaml,
           "chat.json": _json}

_AUDITOR: dict[str, Auditor] = {}


def _auditor() -> Auditor:
    if "a" not in _AUDITOR:
        _AUDITOR["a"] = Auditor(Config())
    return _AUDITOR["a"]


def _fix(path: Path, text: str, unsafe: bool) -> str:
    auditor = _auditor()
    return fix_to_fixed_point(path, text, lambda p, t: auditor.audit_source(p, t).findings, unsafe=unsafe,
                              accept=guarded_accept(path, text)).text


@pytest.mark.parametrize("name", sorted(FORMATS))
@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(parts=TEXT, unsafe=st.booleans())
def test_fuzz_audit_and_fix_keep_their_promises(name, parts, unsafe):
    path = Path(name)
    text = FORMATS[name](parts)
    result = _auditor().audit_source(path, text)  # must not raise, whatever the input
    assert AuditResult([result], _auditor().counter.choice, Config().fail_on).exit_code in (0, 1, 2)
    if result.error:
        return
    fixed = _fix(path, text, unsafe)
    assert _fix(path, fixed, unsafe) == fixed, "fixes are not idempotent"
    before, after = features(text), features(fixed)
    assert before.placeholders == after.placeholders
    assert before.code_blocks == after.code_blocks
    assert before.secrets <= after.secrets
    if not name.endswith((".yaml", ".json")):  # there quotes delimit values: checked on the prompts
        assert before.quoted <= after.quoted


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".md", ".yaml", ".json", ".prompty", ".chatml"]))
def test_fuzz_any_bytes_are_a_result_or_a_file_error(data, suffix, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bytes", numbered=True)
    path = folder / f"p{suffix}"
    path.write_bytes(data)
    result = _auditor().audit_file(path)
    assert result.error is None or (isinstance(result.error, str) and "\n" not in result.error)


# Folder audits: a generated tree of hostile files beside good ones (issue 26)

GOOD_FILES = {
    "good.md": "You are a support assistant. Please note that you must answer politely.\n",
    "good.txt": "Summarize the ticket below in three short bullet points for the on-call engineer.\n",
    "good.yaml": "system_prompt: |\n  You are a billing assistant. Answer questions about invoices briefly.\n",
    "good.json": json.dumps({"messages": [{"role": "system", "content": "You are a travel assistant. Be brief."}]}),
}


PASSWORD = b"Pa$$w0rd!(x)"


def _alias_bomb(levels: int) -> bytes:
    lines = [f"a0: &a0 [{', '.join(['lol'] * 9)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\nsystem_prompt: You are a helpful assistant and you answer questions.\n").encode()


# kind -> (file name, size -> content); the size (1-5) comes from Hypothesis
ASSISTANT = b"system_prompt: You are a helpful assistant.\n"
HOSTILE = {
    "recursive-alias": ("loop.yaml", lambda n: ASSISTANT + b"loop: &a [*a]\n"),
    "alias-bomb": ("bomb.yaml", lambda n: _alias_bomb(4 + n % 6)),
    "deep-yaml": ("deep.yml", lambda n: ASSISTANT + b"x: " + b"[" * (50 * n) + b"]" * (50 * n)),
    "deep-json": ("deep.json", lambda n: b'{"prompt": "You are helpful.", "x": ' + b"[" * (500 * n)
                  + b"]" * (500 * n) + b"}"),
    "big-int-json": ("int.json", lambda n: b'{"system_prompt": "You are helpful.", "n": ' + b"9" * (4000 + 100 * n)
                     + b"}"),
    "big-int-yaml": ("int.yaml", lambda n: ASSISTANT + b"n: " + b"7" * (4000 + 100 * n)),
    "heading-spaces": ("heading.md", lambda n: b"# Title" + b" " * (2000 * n) + b"x\n\nAnswer briefly.\n"),
    "placeholders": ("vars.md", lambda n: ("Fill " + " ".join(f"{{v{i}}}" for i in range(400 * n)) + "\n").encode()),
    "binary": ("blob.md", lambda n: bytes(range(256)) * n),
    "utf16": ("wide.txt", lambda n: "You are a helpful assistant.".encode("utf-16-le")),
    "empty": ("empty.yaml", lambda n: b""),
    "bad-yaml": ("broken.yaml", lambda n: b"prompt: [unclosed\n  - {" * n),
    "secret-url": ("db.md", lambda n: b"Connect to mysql://root:" + PASSWORD + b"@db2.example.com/app now.\n"),
}
SPECIAL = ["name-not-utf8", "fifo", "link-loop", "broken-link"]


def _plant(folder: Path, kind: str, size: int) -> None:
    raw = os.fsencode(folder)
    if kind == "name-not-utf8":
        with open(os.path.join(raw, b"caf\xe9-" + str(size).encode() + b".md"), "wb") as fh:
            fh.write(b"You are a helpful assistant. Answer the question in one short sentence.\n")
    elif kind == "fifo":
        os.mkfifo(folder / "pipe.md")
    elif kind == "link-loop":
        (folder / "loop.md").symlink_to("loop.md")
    elif kind == "broken-link":
        (folder / "gone.md").symlink_to("nowhere.md")
    else:
        name, make = HOSTILE[kind]
        (folder / name).write_bytes(make(size))


class _TooSlow(Exception):
    pass


def _alarm(signum, frame):
    raise _TooSlow("a folder audit took over 60 s: something is not linear")


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(hostile=st.lists(st.tuples(st.sampled_from(sorted(HOSTILE) + SPECIAL), st.integers(1, 5)), min_size=1,
                        max_size=4, unique_by=lambda item: item[0]),
       good=st.lists(st.sampled_from(sorted(GOOD_FILES)), min_size=1, max_size=4, unique=True),
       nested=st.booleans(), cache=st.booleans())
def test_fuzz_folder_audit_reports_every_good_file_beside_hostile_ones(hostile, good, nested, cache, tmp_path_factory):
    root = tmp_path_factory.mktemp("tree", numbered=True)
    hostile_dir = root / "sub" if nested else root
    hostile_dir.mkdir(exist_ok=True)
    for name in good:
        (root / name).write_text(GOOD_FILES[name], encoding="utf-8")
    for kind, size in hostile:
        _plant(hostile_dir, kind, size)
    args = ["audit", str(root), "--format", "json"] + ([] if cache else ["--no-cache"])
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)  # a hang guard, not a timing assertion: these inputs took minutes before
    try:
        result = CliRunner().invoke(main, args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    for name in good:
        assert name in by_name and by_name[name]["error"] is None, (name, result.stderr)
    errors = [f for f in report["files"] if f["error"]]
    assert (result.exit_code == 2) == bool(errors), result.stderr
    assert PASSWORD.decode() not in result.stdout + result.stderr
    for line in result.stderr.splitlines():  # each error is one line naming its file
        assert line.startswith("promptopt: error: ") or line.startswith("promptopt: warning: "), line
