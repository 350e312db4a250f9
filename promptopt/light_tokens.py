"""Exact o200k_base token counts for small jobs, without building tiktoken's encoder.

Building the encoder puts 200k merge ranks into tiktoken's Rust core: 0.3-0.4 s per process, most of
a cold pre-commit run that counts a few hundred tokens. For ASCII text this module counts as tiktoken
does, step for step: the same pre-tokenizing pattern (written for `re`, exact on ASCII) and the same
byte-pair merge (`_byte_pair_merge` in tiktoken's src/lib.rs), reading ranks one at a time from an
SQLite copy of the merge table (built once per BPE file, keyed by its SHA-256, beside the marshal cache).
Any other text, or a larger job, goes to tiktoken itself (`tokens.TokenCounter`). Tests hold the two
equal on the corpus and on generated text.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .lazyre import lazy_compile

ENCODING = "o200k_base"
# tiktoken's o200k_base pattern, as its definition spells it: the light path runs only while it is this
O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
# The same on ASCII: \p{L} is A-Z a-z (\p{Lt}, \p{Lm}, \p{Lo}, \p{M} hold no ASCII), \p{N} is 0-9, and \s
# is Unicode White_Space, which in ASCII is tab, LF, VT, FF, CR and space (Python's \s adds \x1c-\x1f).
_S = r"\t\n\x0b\x0c\r "
_CONTRACTION = r"(?:'[sStTmMdD]|'[rR][eE]|'[vV][eE]|'[lL][lL])?"
ASCII_PATTERN = lazy_compile("|".join([
    rf"[^\r\nA-Za-z0-9]?[A-Z]*[a-z]+{_CONTRACTION}",
    rf"[^\r\nA-Za-z0-9]?[A-Z]+[a-z]*{_CONTRACTION}",
    r"[0-9]{1,3}",
    rf" ?[^{_S}A-Za-z0-9]+[\r\n/]*",
    rf"[{_S}]*[\r\n]+",
    rf"[{_S}]+(?![^{_S}])",
    rf"[{_S}]+",
]))
NO_RANK = 1 << 62
# Longer pieces (a rule of 300 "=") take tiktoken: the merge below is quadratic in a piece's length.
MAX_PIECE = 256


class NotLight(Exception):
    """This text is for tiktoken: a piece too long, or the table could not be read."""


class LightCounter:
    """Counts ASCII text with ranks read on demand; pieces and ranks are remembered for the process."""

    def __init__(self, table: Path):
        self._db = sqlite3.connect(f"file:{table}?mode=ro", uri=True, check_same_thread=False)
        self._ranks: dict[bytes, int] = {}
        self._pieces: dict[str, int] = {}

    def count(self, text: str) -> int:
        """tiktoken's `len(encode_ordinary(text))` for ASCII text."""
        total = 0
        pieces = self._pieces
        for piece in ASCII_PATTERN.findall(text):
            n = pieces.get(piece)
            if n is None:
                if len(piece) > MAX_PIECE:
                    raise NotLight(f"a piece of {len(piece)} characters")
                n = pieces[piece] = self._piece_tokens(piece.encode("ascii"))
            total += n
        return total

    def _rank(self, key: bytes) -> int:
        rank = self._ranks.get(key)
        if rank is None:
            try:
                row = self._db.execute("SELECT rank FROM ranks WHERE piece = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                raise NotLight(f"the rank table cannot be read: {exc}") from None
            rank = self._ranks[key] = NO_RANK if row is None else row[0]
        return rank

    def _piece_tokens(self, piece: bytes) -> int:
        if len(piece) == 1 or self._rank(piece) != NO_RANK:
            return 1
        # tiktoken's _byte_pair_merge: merge the adjacent pair of lowest rank (the first on a tie)
        # until no pair is a token; parts[i] = [start offset, rank of the pair starting there]
        parts = [[i, self._rank(piece[i:i + 2])] for i in range(len(piece) - 1)]
        parts.append([len(piece) - 1, NO_RANK])
        parts.append([len(piece), NO_RANK])

        def rank_after_merge(i: int) -> int:
            return self._rank(piece[parts[i][0]:parts[i + 3][0]]) if i + 3 < len(parts) else NO_RANK

        while True:
            lowest, at = NO_RANK, -1
            for i in range(len(parts) - 1):
                if parts[i][1] < lowest:
                    lowest, at = parts[i][1], i
            if lowest == NO_RANK:
                return len(parts) - 1
            if at > 0:
                parts[at - 1][1] = rank_after_merge(at - 1)
            parts[at][1] = rank_after_merge(at)
            del parts[at + 1]


def light_counter() -> LightCounter | None:
    """A counter for o200k_base, or None when tiktoken's definition differs from the one this module
    mirrors or the table cannot be built (then tiktoken counts everything)."""
    from .tokens import TokenizerUnavailable, cached_ranks, encoding_params, offline_bpe_files, rank_cache_dir

    definition = _definition()
    if definition is None or definition[0] != O200K_PATTERN:
        return None
    table = rank_cache_dir() / f"{definition[1]}.sqlite3"
    for _ in range(2):
        if table.is_file():
            try:
                counter = LightCounter(table)
                if counter._rank(b" the") != NO_RANK:  # a whole table answers; a damaged one is rebuilt
                    return counter
            except (sqlite3.Error, NotLight):
                pass
        try:
            offline_bpe_files()
            ranks = encoding_params(ENCODING, cached_ranks)["mergeable_ranks"]
        except (TokenizerUnavailable, Exception):
            return None
        if not _build_table(table, ranks):
            return None
    return None


def _definition() -> tuple[str, str] | None:
    """(pattern, BPE file hash) of tiktoken's o200k_base. Read from tiktoken's own definition, which
    imports tiktoken (a tenth of a cold hook run), once per installed copy of it: the answer is kept
    beside the tables, keyed by the definition file's path, size and modification time."""
    import importlib.util
    import json

    from .tokens import encoding_params, rank_cache_dir

    try:
        spec = importlib.util.find_spec("tiktoken_ext.openai_public")
        origin = spec.origin if spec else None
        info = os.stat(origin) if origin else None
    except (ImportError, OSError, ValueError):
        return None
    if info is None:
        return None
    key = f"{origin}\t{info.st_size}\t{info.st_mtime_ns}"
    marker = rank_cache_dir() / f"{ENCODING}-definition.json"
    try:
        known = json.loads(marker.read_text(encoding="utf-8"))
        if known["key"] == key:
            return known["pattern"], known["hash"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    seen: dict[str, str | None] = {}

    def note_hash(blobpath: str, expected_hash: str | None = None) -> dict:
        seen["hash"] = expected_hash
        return {}

    try:
        params = encoding_params(ENCODING, note_hash)  # the pattern and the table's hash, nothing loaded
    except Exception:
        return None
    if params is None or not isinstance(params.get("pat_str"), str) or not seen.get("hash"):
        return None
    definition = (params["pat_str"], str(seen["hash"]))
    from .tokens import _write_quietly

    _write_quietly(marker, json.dumps({"key": key, "pattern": definition[0], "hash": definition[1]}).encode())
    return definition


def _build_table(path: Path, ranks: dict[bytes, int]) -> bool:
    """Write the merge table as SQLite, atomically (a concurrent run sees the whole table or none)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)  # left by a run that died here
        with sqlite3.connect(tmp) as db:
            db.execute("CREATE TABLE ranks (piece BLOB PRIMARY KEY, rank INTEGER NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO ranks VALUES (?, ?)", ranks.items())
        db.close()
        os.replace(tmp, path)
        return True
    except (OSError, sqlite3.Error):
        try:
            tmp.unlink()
        except OSError:
            pass
        return False
