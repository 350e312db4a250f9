"""The audit's result cache, as ruff's `.ruff_cache`: a file whose text has not changed is not audited
again. An unchanged file costs a hash and a read.

An entry holds one file's token count and findings. It is found by the settings key (promptopt's
version and a fingerprint of its own code and rule files, the effective config) and the file's path,
and used only when the file's content hash matches the one stored with it, so it is never stale.
Entries are JSON (a cache folder may come from anyone: nothing in it is ever executed), kept in 64
pack files per settings key, each written to a temp file and renamed, so concurrent runs each see a
whole pack or none.

Where: `cache-dir` in the config, else `$PROMPTOPT_CACHE_DIR`, else `.promptopt_cache` beside the config
(or in the current folder); audit entries go in its `audit/` folder. `--no-cache` turns it off.
"""

from __future__ import annotations

import json
import os
import time
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
ENTRY_FORMAT = 2  # 2: packs of entries


def cache_root(config: Config) -> Path:
    """The cache folder for this config: env var first (as RUFF_CACHE_DIR), then `cache-dir`, then the default."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])  # as for eval's cache: relative to the working folder
    return config.root / (config.cache_dir or DEFAULT_CACHE_DIR)  # an absolute cache-dir stays as it is


class ResultCache:
    """Per-file audit results under one settings key, in BUCKETS pack files (`00.json` ... `3f.json`): a
    path's entry lives in the pack its name's hash picks. One file per entry cost this ext4 a new inode
    and a rename each: 3-5 s of system time on the first run of a 4,700-file tree, the largest share of
    it. Packs are read once per run and written once per run, by `flush`, each merged with what another
    run wrote meanwhile and replaced whole (a temp file renamed): a reader sees the old pack or the new
    one. Two runs flushing one pack at once keep one's entries: the other's are misses, audited again.
    A flush drops the pack's entries written more than KEEP_DAYS days ago."""

    BUCKETS = 64

    def __init__(self, config: Config, root: Path | None = None):
        self.root = root or cache_root(config)
        self.key = settings_key(config)
        self.folder = self.root / "audit" / self.key[:24]
        self._ready = False
        self._packs: dict[int, dict[str, Any]] = {}  # bucket -> its entries as read this run
        self._pending: dict[int, dict[str, Any]] = {}  # bucket -> entries put this run, not yet written

    @staticmethod
    def digest(source: str) -> str:
        return blake2b(source.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _bucket(self, path: Path) -> int:
        # the name's bytes as the OS gave them (a name that is not UTF-8 arrives as lone surrogates)
        return int(blake2b(os.fsencode(path), digest_size=2).hexdigest(), 16) % self.BUCKETS

    def _pack_file(self, bucket: int) -> Path:
        return self.folder / f"{bucket:02x}.json"

    def _read_pack(self, bucket: int) -> dict[str, Any]:
        """The pack's entries; an absent, damaged or other-key pack holds none."""
        try:
            pack = json.loads(self._pack_file(bucket).read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(pack, dict) or pack.get("key") != self.key or not isinstance(pack.get("entries"), dict):
            return {}
        return pack["entries"]

    def get(self, path: Path, digest: str) -> FileResult | None:
        """The stored result of this path with exactly this content, or None."""
        bucket = self._bucket(path)
        if bucket not in self._packs:
            self._packs[bucket] = self._read_pack(bucket)
        entry = self._packs[bucket].get(printable(path))
        if not isinstance(entry, dict) or entry.get("digest") != digest:
            return None
        try:
            return FileResult(path, tokens=entry["tokens"], findings=[_finding(path, f) for f in entry["findings"]],
                              sections=[SectionTokens(*s) for s in entry.get("sections", [])])
        except (KeyError, TypeError, ValueError, IndexError):
            return None  # a damaged entry is a miss; the audit rewrites it

    def put(self, path: Path, digest: str, result: FileResult) -> None:
        """Keep a file's result for `flush`."""
        if result.error is not None:
            return
        entry = {"digest": digest, "day": _today(), "tokens": result.tokens,
                 "findings": [_finding_json(f) for f in result.findings],
                 "sections": [[s.section, s.line, s.end_line, s.tokens, s.document, s.role] for s in result.sections]}
        self._pending.setdefault(self._bucket(path), {})[printable(path)] = entry

    def flush(self) -> None:
        """Write the packs that got entries; a run that cannot write (read-only folder, full disk) just
        has no cache."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            self._prepare()
        except OSError:
            return
        oldest = _today() - KEEP_DAYS
        for bucket, entries in pending.items():
            # what another run wrote meanwhile stays; an entry written more than KEEP_DAYS ago goes (a file
            # renamed or deleted leaves its entry behind, and a pack is read whole: packs do not grow
            # forever; a file unchanged that long is audited once more)
            kept = {name: entry for name, entry in self._read_pack(bucket).items()
                    if isinstance(entry, dict) and isinstance(entry.get("day"), int) and entry["day"] >= oldest}
            merged = {**kept, **entries}
            target = self._pack_file(bucket)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
            try:
                tmp.write_text(json.dumps({"key": self.key, "entries": merged}, ensure_ascii=False,
                                          separators=(",", ":")), encoding="utf-8")
                os.replace(tmp, target)
            except OSError:
                try:
                    tmp.unlink()
                except OSError:
                    pass
            self._packs[bucket] = merged

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


KEEP_DAYS = 30


def _today() -> int:
    return int(time.time() // 86400)


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
