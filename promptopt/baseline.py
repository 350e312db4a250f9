"""Baselines: accept today's findings so a team can adopt promptopt and fail only on new ones.

A finding is identified by a fingerprint of its rule code, its offending text (``Finding.snippet``
with whitespace collapsed) and its file's path relative to the baseline file (posix), never by line
number: editing or moving text elsewhere in a file does not make old findings look new. Each
fingerprint carries a count, so a second copy of the same offending text is new. Fingerprints are
hashes, so a baseline never stores a secret a finding is about.

File format (JSON, sorted, stable, one entry per line of the list)::

    {"version": 1, "tool": "promptopt",
     "findings": [{"path": "prompts/a.md", "code": "PO101", "fingerprint": "3f2a...", "count": 1}, ...]}
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .atomic import write_atomic
from .core import Finding
from .results import AuditResult

VERSION = 1
Key = tuple[str, str, str]  # (path, code, fingerprint)


def _relative_path(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).resolve().as_posix()


def fingerprint(code: str, snippet: str, rel_path: str) -> str:
    normalized = " ".join(snippet.split())
    digest = hashlib.sha256(f"{code}\0{normalized}\0{rel_path}".encode()).hexdigest()
    return digest[:20]


def key_of(finding: Finding, root: Path) -> Key:
    rel = _relative_path(finding.path, root)
    return rel, finding.code, fingerprint(finding.code, finding.snippet, rel)


def write(path: Path, findings: Iterable[Finding]) -> int:
    """Record the findings in `path`; returns how many were recorded."""
    path = Path(path)
    root = path.resolve().parent
    counts = Counter(key_of(f, root) for f in findings)
    entries = [{"path": p, "code": c, "fingerprint": h, "count": n} for (p, c, h), n in sorted(counts.items())]
    lines = ",\n".join("    " + json.dumps(entry, sort_keys=True, ensure_ascii=False) for entry in entries)
    body = f'{{\n  "findings": [\n{lines}\n  ],\n  "tool": "promptopt",\n  "version": {VERSION}\n}}\n'
    if not entries:
        body = f'{{\n  "findings": [],\n  "tool": "promptopt",\n  "version": {VERSION}\n}}\n'
    write_atomic(path, body)
    return sum(counts.values())


def load(path: Path) -> Counter[Key]:
    """The accepted findings of a baseline file; ValueError names what is wrong with a bad one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a promptopt baseline (invalid JSON: {exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ValueError("not a promptopt baseline (not UTF-8 text)") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError("not a promptopt baseline (no 'findings' list)")
    if data.get("version") != VERSION:
        raise ValueError(f"baseline version {data.get('version')!r} is not supported (expected {VERSION})")
    accepted: Counter[Key] = Counter()
    for index, entry in enumerate(data["findings"]):
        try:
            key = (str(entry["path"]), str(entry["code"]), str(entry["fingerprint"]))
            count = int(entry.get("count", 1))
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"baseline entry {index} needs 'path', 'code', 'fingerprint' and a numeric 'count'") \
                from None
        accepted[key] += count
    return accepted


def new_findings(path: Path, findings: list[Finding], accepted: Counter[Key] | None = None) -> list[Finding]:
    """The findings not covered by the baseline at `path` (each accepted key absorbs `count` findings).

    `accepted` (from `load`) is consumed: pass the same counter for every file of one run."""
    path = Path(path)
    remaining = accepted if accepted is not None else load(path)  # consumed as findings match
    root = path.resolve().parent
    fresh = []
    for finding in findings:
        key = key_of(finding, root)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            fresh.append(finding)
    return fresh


def filter_new(path: Path, result: AuditResult) -> None:
    """Remove from each file's findings those the baseline accepts; raises ValueError on a bad baseline."""
    accepted = load(path)
    for file in result.files:
        fresh = new_findings(path, file.findings, accepted)
        result.suppressed += len(file.findings) - len(fresh)
        file.findings = fresh
