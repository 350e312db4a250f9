"""The ecosystem check (as ruff's): every finding the default rule set reports on the shared corpus of
real prompts, each with a verdict from a reader who did not write the rule.

The snapshot (`tests/ecosystem/snapshot.json`) holds one entry per finding: where it is, what it says,
what it claims to save, and the reader's verdict (`right` / `wrong`, with a one-line reason) under the
brief in `../shared/notes/judging.md`. `python scripts/ecosystem.py` audits the corpus again and shows
what a rule change did: findings gained (no verdict yet), lost, and changed, and the judged precision
per rule. The test fails on a finding with no verdict or a precision under 90%.

Findings are matched by rule, file, prompt and a fingerprint of the offending text (as baselines
are), never by line number; a second copy of the same text is a second finding.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .baseline import fingerprint
from .config import Config
from .core import Finding

PRECISION_TARGET = 0.9
Key = tuple[str, str, str, str, int]  # (path, code, document, fingerprint, occurrence)


@dataclass
class Comparison:
    current: dict[Key, dict]  # what the audit reports now, with the snapshot's verdicts where known
    gained: list[Key] = field(default_factory=list)  # in the audit, not in the snapshot
    lost: list[Key] = field(default_factory=list)  # in the snapshot, no longer reported
    changed: list[Key] = field(default_factory=list)  # same finding, other message or saving

    @property
    def unjudged(self) -> list[Key]:
        return [k for k, e in self.current.items() if e.get("verdict") not in ("right", "wrong")]

    def precision(self) -> tuple[int, int]:
        judged = [e for e in self.current.values() if e.get("verdict") in ("right", "wrong")]
        return sum(e["verdict"] == "right" for e in judged), len(judged)

    def per_rule(self) -> dict[str, tuple[int, int]]:
        table: dict[str, list[int]] = {}
        for entry in self.current.values():
            if entry.get("verdict") in ("right", "wrong"):
                row = table.setdefault(f"{entry['code']} {entry['name']}", [0, 0])
                row[0] += entry["verdict"] == "right"
                row[1] += 1
        return {rule: (right, total) for rule, (right, total) in sorted(table.items())}


def audit_corpus(corpus: Path) -> list[Finding]:
    """The default rule set's findings on the corpus, as a new user gets them (no config file)."""
    from .engine import audit_paths

    result = audit_paths([corpus], Config(root=corpus))
    errors = [f"{r.path}: {r.error}" for r in result.errors]
    if errors:
        raise RuntimeError("the corpus did not audit cleanly: " + "; ".join(errors))
    return result.findings


def entries(findings: list[Finding], corpus: Path) -> dict[Key, dict]:
    seen: Counter = Counter()
    out: dict[Key, dict] = {}
    for f in findings:
        rel = Path(f.path).resolve().relative_to(corpus.resolve()).as_posix()
        base = (rel, f.code, f.document, fingerprint(f.code, f.snippet, rel))
        seen[base] += 1
        key = (*base, seen[base])
        out[key] = {"path": rel, "code": f.code, "name": f.name, "document": f.document, "line": f.location.line,
                    "message": f.message, "tokens_saved": f.tokens_saved, "fingerprint": base[3],
                    "occurrence": seen[base]}
    return out


def load_snapshot(path: Path) -> dict[Key, dict]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {_key(e): e for e in data["findings"]}


def _key(entry: dict) -> Key:
    return entry["path"], entry["code"], entry["document"], entry["fingerprint"], entry["occurrence"]


def compare(current: dict[Key, dict], snapshot: dict[Key, dict]) -> Comparison:
    merged: dict[Key, dict] = {}
    comparison = Comparison(merged)
    for key, entry in current.items():
        old = snapshot.get(key)
        if old is None:
            comparison.gained.append(key)
            merged[key] = dict(entry, verdict=None, reason="")
            continue
        if (old["message"], old["tokens_saved"]) != (entry["message"], entry["tokens_saved"]):
            comparison.changed.append(key)
        merged[key] = dict(entry, verdict=old.get("verdict"), reason=old.get("reason", ""))
    comparison.lost = [k for k in snapshot if k not in current]
    return comparison


def write_snapshot(path: Path, current: dict[Key, dict]) -> None:
    from .atomic import write_atomic

    rows = sorted(current.values(), key=lambda e: (e["path"], e["line"], e["code"], e["occurrence"]))
    body = ",\n".join("    " + json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)
    write_atomic(path, '{\n  "corpus": "../shared/corpus/prompts",\n  "findings": [\n' + body + "\n  ]\n}\n")
