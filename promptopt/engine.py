"""Run the rules: paths -> files (`discovery`) -> documents -> findings, in input order.

Nothing here imports the CLI, litellm, spaCy or torch: this is the path the pre-commit hook takes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .config import Config
from .context import Context
from .core import Finding, LoadError, PromptDocument
from .discovery import discover
from .loaders import load_source, read_text
from .loaders.build import identity_origins
from .registry import Rule, all_rules
from .results import AuditResult, FileResult
from .savings import apply_floor, settle
from .tokens import TokenCounter

# `{# promptopt: ignore PO101 PO205 #}` (Jinja) or `# promptopt: ignore PO101` (YAML): comments that
# never reach the model. It covers its own line and the next; `ignore-file` covers the whole file.
__all__ = ["Auditor", "audit_paths", "discover"]  # discover: promptopt.discovery, re-exported

# The codes are read from the rest of the line in Python: the former single pattern had three
# quantifiers that could all match the same spaces (cubic: 4,000 spaces took minutes).
_SUPPRESS = re.compile(r"(?:\{#-?|#)[ \t]*promptopt:[ \t]*(ignore-file|ignore)\b([^\n]*)")
_CODE_LIST = re.compile(r"[ \w,]*")


class Auditor:
    """Holds what a run shares across files: config, the token counter, the selected rules."""

    def __init__(self, config: Config, rules: dict[str, Rule] | None = None):
        self.config = config
        self.counter = TokenCounter(config.model)
        self.rules = [r for r in (rules or all_rules()).values() if config.is_selected(r.code)]
        self.rules_by_code = {r.code: r for r in self.rules}
        self.options = {r.code: r.resolve_options(self._configured(r)) for r in self.rules}
        self.document_rules = [r for r in self.rules if r.scope == "document"]
        self.file_rules = [r for r in self.rules if r.scope == "file"]

    def _configured(self, rule: Rule) -> dict | None:
        opts = self.config.rule_options
        return opts.get(rule.code) or opts.get(rule.name)

    def audit_file(self, path: Path) -> FileResult:
        try:
            source = read_text(path, self.config.max_file_size)
        except LoadError as exc:
            return FileResult(path, error=str(exc))
        return self.audit_source(path, source)

    def audit_source(self, path: Path, source: str) -> FileResult:
        try:
            return self._audit_source(path, source)
        except LoadError as exc:
            return FileResult(path, error=str(exc))
        except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            # a rule or loader that trips on hostile input: this file is an error (exit 2, named),
            # never a traceback that reads as "findings" and skips the other files
            return FileResult(path, error=f"promptopt could not analyse this file ({type(exc).__name__}: {exc})")

    def _audit_source(self, path: Path, source: str) -> FileResult:
        documents = load_source(path, source)
        result = FileResult(path, documents=documents)
        per_document = []
        suppressions = _suppressions(source)
        for doc in documents:
            tokens = self.counter.count(doc.text)
            result.tokens += tokens
            found = _suppress(suppressions, self.check(doc, tokens))
            found = apply_floor(doc, found, self.rules_by_code, self.config.min_tokens, self.counter)
            per_document.append((doc, found))
        settle(path, source, per_document, self.counter, documents)
        result.findings = [f for _, found in per_document for f in found]
        if self.file_rules:
            whole = PromptDocument(path, source, source, "file", line_origins=identity_origins(source))
            result.findings.extend(_suppress(suppressions, self.check(whole, 0, self.file_rules)))
        _mask_messages(source, result.findings)
        result.findings.sort(key=lambda f: f.sort_key)
        return result

    def check(self, doc: PromptDocument, tokens: int, rules: list[Rule] | None = None) -> list[Finding]:
        findings: list[Finding] = []
        for rule in self.document_rules if rules is None else rules:
            if not self.config.is_selected(rule.code, doc.path):
                continue
            ctx = Context(self.counter, self.config, self.options[rule.code], rule, tokens)
            findings.extend(rule.check(doc, ctx))
        return findings


def _mask_messages(source: str, findings: list[Finding]) -> None:
    """A rule's message may quote a line holding a key, perhaps cut short: mask it where it is made
    (whether or not PO801 itself is selected)."""
    if not findings:
        return
    from .redact import redact, secrets_in

    known = secrets_in(source)
    if not known:
        return
    for f in findings:
        f.message = redact(f.message, known)


Suppressions = tuple[set[str], dict[int, set[str]]]  # (whole file, per line) codes


def _suppressions(source: str) -> Suppressions | None:
    """The file's suppression comments, read once per file (None: there are none)."""
    if "promptopt:" not in source:
        return None
    by_line: dict[int, set[str]] = {}
    whole_file: set[str] = set()
    line, counted = 1, 0
    for m in _SUPPRESS.finditer(source):
        rest = m.group(2).rstrip()
        if rest.endswith("#}"):
            rest = rest[:-2].removesuffix("-")
        if not _CODE_LIST.fullmatch(rest):
            continue
        codes = set(re.findall(r"[A-Z]+\d+", rest.upper())) or {"ALL"}
        if m.group(1) == "ignore-file":
            whole_file |= codes
        else:
            line += source.count("\n", counted, m.start())
            counted = m.start()
            by_line.setdefault(line, set()).update(codes)
            by_line.setdefault(line + 1, set()).update(codes)
    return whole_file, by_line


def _suppress(suppressions: Suppressions | None, findings: list[Finding]) -> list[Finding]:
    if suppressions is None:
        return findings
    whole_file, by_line = suppressions

    def suppressed(f: Finding) -> bool:
        codes = whole_file | by_line.get(f.location.line, set())
        return "ALL" in codes or f.code in codes

    return [f for f in findings if not suppressed(f)]


# Below this much text, a second process costs more than it saves.
PARALLEL_MIN_BYTES = 2_000_000


def audit_paths(paths: list[Path], config: Config, jobs: int | None = None) -> AuditResult:
    """Audit every prompt file under the paths; results come back in input order.

    A large tree is split across processes (`jobs`, default: the CPU count, at most 4, once the files
    add up to PARALLEL_MIN_BYTES; `PROMPTOPT_JOBS` overrides)."""
    auditor = Auditor(config)
    entries = list(dict.fromkeys(discover(paths, config)))  # a file named twice is audited once
    readable = [e for e in entries if not isinstance(e, tuple)]
    jobs = jobs or _default_jobs(readable)
    by_path: dict[Path, FileResult] = {}
    if jobs > 1 and len(readable) > jobs:
        auditor.counter.count("warm")  # load the tokenizer once here; forked workers inherit it
        by_path = dict(zip(readable, _audit_in_processes(auditor, readable, jobs), strict=True))
    files = []
    for entry in entries:
        if isinstance(entry, tuple):
            files.append(FileResult(entry[0], error=entry[1]))
        else:
            files.append(by_path.get(entry) or auditor.audit_file(entry))
    return AuditResult(files, auditor.counter.choice, config.fail_on)


def _default_jobs(files: list[Path]) -> int:
    if "PROMPTOPT_JOBS" in os.environ:
        value = os.environ["PROMPTOPT_JOBS"]
        if not value.strip().isdigit():
            raise ValueError(f"PROMPTOPT_JOBS must be a whole number of processes, got {value!r}")
        return max(1, int(value))
    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:
            pass
        if total >= PARALLEL_MIN_BYTES:
            return min(os.cpu_count() or 1, 4)
    return 1


_worker_auditor: Auditor | None = None


def _audit_in_processes(auditor: Auditor, files: list[Path], jobs: int) -> list[FileResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _worker_auditor
    _worker_auditor = auditor  # inherited by forked workers, tokenizer loaded
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    config = None if method == "fork" else auditor.config
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                             initargs=(config, os.getpid())) as pool:
        return list(pool.map(_audit_one, files, chunksize=max(1, len(files) // (jobs * 8))))


def _init_worker(config: Config | None, parent: int) -> None:
    global _worker_auditor
    if config is not None:  # spawn: nothing inherited
        _worker_auditor = Auditor(config)
    _die_with(parent)


def _die_with(parent: int, every: float = 0.5) -> None:
    """A worker whose parent is gone (kill -9, a crash) exits instead of waiting on its queue forever."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="promptopt-parent-watch", daemon=True).start()


def _audit_one(path: Path) -> FileResult:
    return _worker_auditor.audit_file(path)
