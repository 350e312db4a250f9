"""A large read-only string table (English lemmas) looked up a key at a time from SQLite, so a run that
asks for twenty words does not parse 40,000 entries first (a tenth of a cold pre-commit run).

The table is built once from its source file into the user's cache (`~/.cache/promptopt/tables`),
keyed by the source's path, size and modification time, written to a temp file and renamed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from .digest import blake2b


class LookupTable:
    """`get(key, default)` as a dict's, answers remembered for the process."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._known: dict[str, str | None] = {}

    def get(self, key: str, default: str | None = None) -> str | None:
        if key not in self._known:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            self._known[key] = None if row is None else row[0]
        value = self._known[key]
        return default if value is None else value


def open_table(name: str, source: Path, load: Callable[[Path], dict[str, str]]) -> LookupTable | dict[str, str]:
    """The table of `source` (built by `load` on first use); the plain dict when SQLite cannot be used."""
    from .tokens import rank_cache_dir

    try:
        info = source.stat()
    except OSError:
        return {}
    key = blake2b(f"{source.resolve()}\t{info.st_size}\t{info.st_mtime_ns}".encode("utf-8", "surrogatepass"),
                          digest_size=16).hexdigest()
    path = rank_cache_dir().parent / "tables" / f"{name}-{key}.sqlite3"
    if path.is_file():
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT value FROM entries LIMIT 1").fetchall()
            return LookupTable(db)
        except sqlite3.Error:
            pass  # damaged: built again below
    entries = load(source)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
        return entries  # only a table of strings is kept
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        with sqlite3.connect(tmp) as db:
            db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO entries VALUES (?, ?)", entries.items())
        db.close()
        os.replace(tmp, path)
    except (OSError, sqlite3.Error):
        try:
            tmp.unlink()
        except OSError:
            pass
    return entries  # this run already holds the whole table
