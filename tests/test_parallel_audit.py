"""A large tree is audited in several processes; the report must not change, nor its order."""

from __future__ import annotations

from pathlib import Path

from promptopt.config import Config
from promptopt.engine import audit_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"


def _summary(result):
    return [(str(f.path), f.tokens, f.error, [(x.code, x.location.line, x.location.column, x.message, x.tokens_saved)
                                             for x in f.findings]) for f in result.files]


def _three_copies(tmp_path: Path) -> None:
    for copy in range(3):
        folder = tmp_path / f"copy{copy}"
        folder.mkdir()
        for prompt in FIXTURES.iterdir():
            (folder / prompt.name).write_bytes(prompt.read_bytes())


def test_two_processes_give_the_same_report_in_the_same_order(tmp_path):
    _three_copies(tmp_path)
    (tmp_path / "copy1" / "broken.json").write_text("{not json")
    serial = audit_paths([tmp_path], Config(), jobs=1)
    parallel = audit_paths([tmp_path], Config(), jobs=2)
    assert _summary(parallel) == _summary(serial)
    assert any(f.error for f in parallel.files) and parallel.exit_code == serial.exit_code == 2


def test_without_documents_the_report_is_the_same_and_no_prompt_is_sent_back(tmp_path):
    """The CLI asks workers not to send the parsed prompts back (the report reads none): same findings."""
    _three_copies(tmp_path)
    kept = audit_paths([tmp_path], Config(), jobs=2)
    light = audit_paths([tmp_path], Config(), jobs=2, keep_documents=False)
    assert _summary(light) == _summary(kept)
    assert all(f.documents for f in kept.files if not f.error)
    assert not any(f.documents for f in light.files)
