"""The audit's result cache, as ruff's `.ruff_cache`: a file whose text has not changed is not audited
again. An unchanged file costs a hash and a read.

An entry holds one file's token count and findings. It is found by the settings key (promptopt's
version and a fingerprint of its own code and rule files, the effective config) and the file's path,
and used only when the file's content hash matches the one stored with it, so it is never stale.
Entries are JSON (a cache folder may come from anyone: nothing in it is ever executed) written to a
temp file and renamed, so concurrent runs each see a whole entry or none.

Where: `cache-dir` in the config, else `$PROMPTOPT_CACHE_DIR`, else `.promptopt_cache` beside the config
(or in the current folder); audit entries go in its `audit/` folder. `--no-cache` turns it off.
"""

from __future__ import annotations

import json
import os
from dataclasses import astuple
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .core import Applicability, Edit, Finding, Fix, Location, Severity, Span, printable
from .digest import blake2b
from .numbering import Renumber
from .results import FileResult
from .tokenmap import SectionTokens

CACHE_ENV = "PROMPTOPT_CACHE_DIR"
DEFAULT_CACHE_DIR = ".promptopt_cache"
# Bump when the entry layout changes.
ENTRY_FORMAT = 1


def cache_root(config: Config) -> Path:
    """The cache folder for this config: env var first (as RUFF_CACHE_DIR), then `cache-dir`, then the default."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])  # as for eval's cache: relative to the working folder
    return config.root / (config.cache_dir or DEFAULT_CACHE_DIR)  # an absolute cache-dir stays as it is


class ResultCache:
    """Per-file audit results under one settings key."""

    def __init__(self, config: Config, root: Path | None = None):
        self.root = root or cache_root(config)
        self.key = settings_key(config)
        self.folder = self.root / "audit" / self.key[:24]
        self._ready = False

    @staticmethod
    def digest(source: str) -> str:
        return blake2b(source.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _entry(self, path: Path) -> Path:
        # the name's bytes as the OS gave them (a name that is not UTF-8 arrives as lone surrogates)
        name = blake2b(os.fsencode(path), digest_size=16).hexdigest()
        return self.folder / f"{name}.json"

    def get(self, path: Path, digest: str) -> FileResult | None:
        """The stored result of this path with exactly this content, or None."""
        try:
            entry = json.loads(self._entry(path).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != self.key or entry.get("digest") != digest \
                or entry.get("path") != printable(path):
            return None
        try:
            return FileResult(path, tokens=entry["tokens"], findings=[_finding(path, f) for f in entry["findings"]],
                              sections=[SectionTokens(*s) for s in entry.get("sections", [])])
        except (KeyError, TypeError, ValueError, IndexError):
            return None  # a damaged entry is a miss; the audit rewrites it

    def put(self, path: Path, digest: str, result: FileResult) -> None:
        """Store a file's result; a run that cannot write (read-only folder, full disk) just has no cache."""
        if result.error is not None:
            return
        entry = {"key": self.key, "path": printable(path), "digest": digest, "tokens": result.tokens,
                 "findings": [_finding_json(f) for f in result.findings],
                 "sections": [astuple(s) for s in result.sections]}
        target = self._entry(path)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            self._prepare()
            tmp.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, target)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass

    def _prepare(self) -> None:
        if self._ready:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # as ruff: the cache folder keeps itself out of git and out of backups
        for name, text in ((".gitignore", "# Automatically created by promptopt.\n*\n"),
                           ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")):
            marker = self.root / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")
        self._ready = True


def settings_key(config: Config) -> str:
    """Everything a file's result depends on besides its path and text."""
    settings = {
        "format": ENTRY_FORMAT,
        "version": __version__,
        "code": code_fingerprint(),
        "config": _config_fields(config),
    }
    blob = json.dumps(settings, sort_keys=True, default=str)
    return blake2b(blob.encode("utf-8"), digest_size=20).hexdigest()


def _config_fields(config: Config) -> dict[str, Any]:
    # the effective values (CLI overrides are applied to these, not to `raw`); `root` places
    # per-file-ignores. Fields that only choose files or the exit code are harmless extra key parts.
    skipped = {"raw", "path", "cache_dir", "force_exclude"}
    return {name: value for name, value in vars(config).items() if name not in skipped}


_fingerprint: str | None = None


def code_fingerprint() -> str:
    """Name, size and modification time of every file of promptopt and its built-in rules: an edited
    rule (a development checkout, a reinstall) changes the key without a version bump, and nothing
    is imported to find out."""
    global _fingerprint
    if _fingerprint is None:
        from .registry import builtin_rules_dir

        _fingerprint = fingerprint_of([Path(__file__).resolve().parent, builtin_rules_dir()])
    return _fingerprint


def fingerprint_of(folders: list[Path]) -> str:
    stats: list[str] = []
    for folder in folders:
        _stat_tree(folder, folder, stats)
    return blake2b("\n".join(sorted(stats)).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _stat_tree(base: Path, folder: Path, out: list[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__" or entry.name.endswith((".pyc", ".tmp")):
            continue
        if entry.is_dir(follow_symlinks=False):
            _stat_tree(base, Path(entry.path), out)
        else:
            try:
                info = entry.stat()
            except OSError:
                continue
            out.append(f"{os.path.relpath(entry.path, base)}\t{info.st_size}\t{info.st_mtime_ns}")


def _span(pair: list[int]) -> Span:
    return Span(int(pair[0]), int(pair[1]))


def _edits_json(edits: tuple[Edit, ...]) -> list:
    # a list's renumbering is marked: fixes applied together renumber once (promptopt/numbering.py)
    return [[e.span.start, e.span.end, e.replacement, *([1] if isinstance(e, Renumber) else [])] for e in edits]


def _edits(raw: list) -> tuple[Edit, ...]:
    return tuple((Renumber if len(e) > 3 and e[3] else Edit)(_span(e[:2]), str(e[2])) for e in raw)


def _location_json(loc: Location) -> list[int]:
    return [loc.line, loc.column, loc.end_line, loc.end_column]


def _finding_json(f: Finding) -> dict[str, Any]:
    fix = None
    if f.fix is not None:
        fix = {"edits": _edits_json(f.fix.edits), "applicability": f.fix.applicability.value,
               "title": f.fix.title, "scope": f.fix.scope}
    return {"code": f.code, "name": f.name, "severity": int(f.severity), "location": _location_json(f.location),
            "message": f.message, "tokens_saved": f.tokens_saved, "fix": fix, "snippet": f.snippet,
            "document": f.document, "related": [_location_json(r) for r in f.related],
            "text_edits": _edits_json(f.text_edits)}


def _finding(path: Path, raw: dict[str, Any]) -> Finding:
    fix = raw["fix"]
    return Finding(
        code=raw["code"], name=raw["name"], severity=Severity(raw["severity"]), path=path,
        location=Location(*raw["location"]), message=raw["message"], tokens_saved=raw["tokens_saved"],
        fix=None if fix is None else Fix(_edits(fix["edits"]), Applicability(fix["applicability"]), fix["title"],
                                         fix["scope"]),
        snippet=raw["snippet"], document=raw["document"], related=[Location(*r) for r in raw["related"]],
        text_edits=_edits(raw["text_edits"]),
    )
