"""Run the rules: paths -> files (`discovery`) -> documents -> findings, in input order.

Nothing here imports the CLI, litellm, spaCy or torch: this is the path the pre-commit hook takes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .core import Finding, LoadError, PromptDocument
from .discovery import discover
from .lazyre import lazy_compile
from .loaders import read_text
from .results import AuditResult, FileResult
from .tokens import TokenCounter, choose_encoding

if TYPE_CHECKING:
    from .cache import ResultCache
    from .registry import Rule

# `{# promptopt: ignore PO101 PO205 #}` (Jinja) or `# promptopt: ignore PO101` (YAML): comments that
# never reach the model. It covers its own line and the next; `ignore-file` covers the whole file.
__all__ = ["Auditor", "audit_paths", "discover"]  # discover: promptopt.discovery, re-exported

# The codes are read from the rest of the line in Python: the former single pattern had three
# quantifiers that could all match the same spaces (cubic: 4,000 spaces took minutes).
_SUPPRESS = lazy_compile(r"(?:\{#-?|#)[ \t]*promptopt:[ \t]*(ignore-file|ignore)\b([^\n]*)")
_CODE_LIST = lazy_compile(r"[ \w,]*")


class Auditor:
    """Holds what a run shares across files: config, the token counter, the selected rules."""

    def __init__(self, config: Config, rules: dict[str, Rule] | None = None):
        # the rules, loaders and fix machinery load here, not at import: a run whose files are all
        # in the result cache never builds an Auditor
        from .registry import all_rules

        self.config = config
        self.counter = TokenCounter(config.model)
        known = rules or all_rules()
        self.rules = [r for r in known.values() if config.is_selected(r.code)]
        self.rules_by_code = {r.code: r for r in self.rules}
        self.options = {r.code: r.resolve_options(self._configured(r)) for r in self.rules}
        # options set for a rule the run does not select (an opt-in rule) are checked too: a typo in
        # `[tool.promptopt.rules.PO205]` is a config error whether or not PO205 is on
        for rule in known.values():
            if rule.code not in self.options and self._configured(rule):
                rule.resolve_options(self._configured(rule))
        self.document_rules = [r for r in self.rules if r.scope == "document"]
        self.file_rules = [r for r in self.rules if r.scope == "file"]
        self._selection: tuple[Path | None, dict[str, bool]] = (None, {})  # the last path's answers

    def _selected(self, code: str, path: Path) -> bool:
        # asked for every rule and prompt: the answer for a file's path is the same for all its prompts
        last_path, answers = self._selection
        if last_path != path:
            answers = {}
            self._selection = (path, answers)
        if code not in answers:
            answers[code] = self.config.is_selected(code, path)
        return answers[code]

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
        from .loaders import load_source
        from .loaders.build import identity_origins
        from .savings import apply_floor, settle
        from .tokenmap import token_map

        documents = load_source(path, source)
        result = FileResult(path, documents=documents)
        per_document = []
        counts = []
        suppressions = _suppressions(source)
        for doc in documents:
            tokens = self.counter.count(doc.sent_text())  # template comments never reach the model
            counts.append(tokens)
            result.tokens += tokens
            found = _suppress(suppressions, self.check(doc, tokens))
            found = apply_floor(doc, found, self.rules_by_code, self.config.min_tokens, self.counter)
            per_document.append((doc, found))
        settle(path, source, per_document, self.counter, documents)
        result.sections = token_map(documents, self.counter, counts)
        result.findings = [f for _, found in per_document for f in found]
        if self.file_rules:
            whole = PromptDocument(path, source, source, "file", line_origins=identity_origins(source))
            result.findings.extend(_suppress(suppressions, self.check(whole, 0, self.file_rules)))
        _mask_messages(source, result.findings)
        result.findings = _once(result.findings)
        result.findings.sort(key=lambda f: f.sort_key)
        return result

    def check(self, doc: PromptDocument, tokens: int, rules: list[Rule] | None = None) -> list[Finding]:
        from .context import Context

        findings: list[Finding] = []
        per_file = bool(self.config.per_file_ignores)  # without them, every rule of self.rules is selected
        for rule in self.document_rules if rules is None else rules:
            if per_file and not self._selected(rule.code, doc.path):
                continue
            if rule.gate is not None and not rule.gate.allows(doc):
                continue  # the prompt lacks what every finding of the rule needs (promptopt/gates.py)
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


def audit_paths(paths: list[Path], config: Config, jobs: int | None = None,
                cache: ResultCache | None = None, keep_documents: bool = True) -> AuditResult:
    """Audit every prompt file under the paths; results come back in input order.

    With a `cache` (promptopt/cache.py), a file whose text and settings are unchanged is not audited
    again, and nothing the audit needs (rules, tokenizer) is loaded unless some file is new.
    A large tree is split across processes (`jobs`, default: the CPU count, at most 4, once the files
    to audit add up to PARALLEL_MIN_BYTES; `PROMPTOPT_JOBS` overrides). `keep_documents=False`: results
    come back without their parsed prompts (`FileResult.documents` empty, as from the cache), which a
    report does not read, which cost more to send back from other processes than the findings, and which
    in one process would be kept alive (and scanned by the garbage collector) until the run ends."""
    entries = list(dict.fromkeys(discover(paths, config)))  # a file named twice is audited once
    readable = [e for e in entries if not isinstance(e, tuple)]
    by_path: dict[Path, FileResult] = {}
    sources: dict[Path, str] = {}  # files read to look them up, not found in the cache
    digests: dict[Path, str] = {}  # their content hashes, for storing their results
    if cache is not None:
        by_path, sources, digests = _from_cache(readable, config, cache)
    todo = [p for p in readable if p not in by_path]
    auditor = Auditor(config) if todo else None
    jobs = jobs or _default_jobs(todo)
    if auditor is not None and jobs > 1 and len(todo) > jobs:
        auditor.counter.encoding.encode_ordinary("warm")  # load the tokenizer here; forked workers inherit it
        texts = [sources.get(p) for p in todo]
        by_path.update(zip(todo, _audit_in_processes(auditor, todo, jobs, texts, keep_documents), strict=True))
    else:
        if auditor is not None:
            auditor.counter.plan(_total_size(todo, sources, auditor.counter.light_limit + 1))
        for path in todo:
            text = sources.get(path)
            result = auditor.audit_file(path) if text is None else auditor.audit_source(path, text)
            if not keep_documents:
                # as from a worker: a tree's parsed prompts kept to the end cost memory and, above all, the
                # garbage collector's full passes over them (15% of a 20 MB one-process audit's CPU)
                result.documents = []
            by_path[path] = result
    if cache is not None:
        for path in sources:
            cache.put(path, digests[path], by_path[path])
        cache.flush()
    files = [FileResult(e[0], error=e[1]) if isinstance(e, tuple) else by_path[e] for e in entries]
    return AuditResult(files, choose_encoding(config.model), config.fail_on)


def _from_cache(files: list[Path], config: Config, cache: ResultCache) -> tuple[dict[Path, FileResult],
                                                                                dict[Path, str], dict[Path, str]]:
    """(results found in the cache or unreadable, texts of the files still to audit, their digests)."""
    found: dict[Path, FileResult] = {}
    texts: dict[Path, str] = {}
    digests: dict[Path, str] = {}
    for path in files:
        try:
            text = read_text(path, config.max_file_size)
        except LoadError as exc:
            found[path] = FileResult(path, error=str(exc))
            continue
        digest = cache.digest(text)
        hit = cache.get(path, digest)
        if hit is not None:
            found[path] = hit
        else:
            texts[path], digests[path] = text, digest
    return found, texts, digests


def _total_size(files: list[Path], texts: dict[Path, str], enough: int) -> int:
    """The files' size (characters of those read, bytes of the others), counted up to `enough`."""
    total = 0
    for path in files:
        if path in texts:
            total += len(texts[path])
        else:
            try:
                total += path.stat().st_size
            except OSError:
                pass
        if total >= enough:
            break
    return total


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
_worker_keeps_documents = True


def _audit_in_processes(auditor: Auditor, files: list[Path], jobs: int, texts: list[str | None] | None = None,
                        keep_documents: bool = True) -> list[FileResult]:
    """`texts[i]`: the text of `files[i]` already read (and hashed for the cache), None to read it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _worker_auditor, _worker_keeps_documents
    _worker_auditor = auditor  # inherited by forked workers, tokenizer loaded
    _worker_keeps_documents = keep_documents
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    config = None if method == "fork" else auditor.config
    texts = texts or [None] * len(files)
    try:
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(config, os.getpid())) as pool:
            results = list(pool.map(_audit_one, files, texts, chunksize=max(1, len(files) // (jobs * 8))))
    finally:
        _worker_keeps_documents = True
    return results


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


def _audit_one(path: Path, text: str | None) -> FileResult:
    # the text the parent read and hashed, so a file edited during the run is never cached wrongly
    result = _worker_auditor.audit_file(path) if text is None else _worker_auditor.audit_source(path, text)
    if not _worker_keeps_documents:
        result.documents = []
    return result


def _once(findings: list[Finding]) -> list[Finding]:
    """One finding per problem: two prompts of a file that are the same text at the same place (a YAML
    alias, `key: *shared`) would report it once for each name."""
    seen: set[tuple] = set()
    kept = []
    for finding in findings:
        key = (finding.code, finding.location.line, finding.location.column, finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
