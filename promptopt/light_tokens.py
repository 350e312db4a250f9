"""Exact o200k_base and cl100k_base token counts for small jobs, without building tiktoken's encoder.

Building the encoder puts 100-200k merge ranks into tiktoken's Rust core: 0.3-0.5 s per process, most of
a cold pre-commit run that counts a few hundred tokens. This module counts as tiktoken does, step for
step: the same pre-tokenizing pattern and the same byte-pair merge (`_byte_pair_merge` in tiktoken's
src/lib.rs), reading ranks one at a time from an SQLite copy of the merge table (built once per BPE
file, keyed by its SHA-256, beside the marshal cache); ranks of tokens with a non-ASCII byte come from
small dicts instead (CJK text asks for about one a byte: 61 -> 17 ms of CPU on a 3,500-character
Chinese prompt).

Pre-tokenizing. tiktoken's patterns use Unicode classes (\\p{L}, \\p{Lu}, \\p{N}, \\p{M}, \\s) from its
Rust regex crate, whose Unicode version is not Python's (`unicodedata` 14.0 on Python 3.11 misses 9,485
letters, digits and marks that tiktoken 0.14's tables hold). So the classes are read from tiktoken
itself, once per installed copy: a throwaway `tiktoken.Encoding` with one class as its pattern and
single bytes as its ranks returns exactly the characters of that class (`_probe_classes`). Each
non-ASCII character is then replaced by an ASCII-range stand-in of its class ("A" for Lu/Lt, "a" for Ll,
"ª" for Lm/Lo, U+0300 for marks, "0" for numbers, a tab for other white space; punctuation and symbols
stay as they are) and one `re` pattern per encoding, written over those stand-ins, splits the text;
the pieces are cut from the original text at the same offsets.

Any text this cannot do exactly (a piece too long, a table that cannot be read), or a larger job, goes
to tiktoken itself (`tokens.TokenCounter`). Tests hold the two equal on the corpus and on generated
text in many scripts.
"""

from __future__ import annotations

import bisect
import functools
import marshal
import os
import sqlite3
from pathlib import Path

from .lazyre import lazy_compile

# tiktoken's patterns, as its definitions spell them: the light path runs only while they are these
PATTERNS = {
    "o200k_base": "|".join([
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]),
    "cl100k_base": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
}
O200K_PATTERN = PATTERNS["o200k_base"]

# The stand-ins. In ASCII, \p{L} is A-Z a-z (Lt, Lm, Lo and M hold no ASCII), \p{N} is 0-9, and \s is
# Unicode White_Space: tab, LF, VT, FF, CR and space (Python's \s adds \x1c-\x1f, hence no \s below).
UPPER, LOWER, OTHER_LETTER, MARK, NUMBER, SPACE = "A", "a", "\u00aa", "\u0300", "0", "\t"
_S = r"\t\n\x0b\x0c\r "
_L = f"A-Za-z{OTHER_LETTER}"
_UP = f"A-Z{OTHER_LETTER}{MARK}"  # [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
_LO = f"a-z{OTHER_LETTER}{MARK}"  # [\p{Ll}\p{Lm}\p{Lo}\p{M}]
# (?i:...) folds Unicode-wide ("ſ" is an "s" there): such letters stand in as their ASCII letter
_CONTRACTION = r"(?:'[sStTmMdD]|'[rR][eE]|'[vV][eE]|'[lL][lL])?"
# Possessive quantifiers (cl100k) match here what greedy ones do: nothing after them can take a
# character back. `$` is the end of the text in Rust's regex; Python's `$` also matches before a last \n.
STAND_IN_PATTERNS = {
    "o200k_base": "|".join([
        rf"[^\r\n{_L}0-9]?[{_UP}]*[{_LO}]+{_CONTRACTION}",
        rf"[^\r\n{_L}0-9]?[{_UP}]+[{_LO}]*{_CONTRACTION}",
        r"[0-9]{1,3}",
        rf" ?[^{_S}{_L}0-9]+[\r\n/]*",
        rf"[{_S}]*[\r\n]+",
        rf"[{_S}]+(?![^{_S}])",
        rf"[{_S}]+",
    ]),
    "cl100k_base": "|".join([
        r"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])",
        rf"[^\r\n{_L}0-9]?[{_L}]+",
        r"[0-9]{1,3}",
        rf" ?[^{_S}{_L}0-9]+[\r\n]*",
        rf"[{_S}]+\Z",
        rf"[{_S}]*[\r\n]",
        rf"[{_S}]+(?![^{_S}])",
        rf"[{_S}]",
    ]),
}
_COMPILED = {name: lazy_compile(pattern) for name, pattern in STAND_IN_PATTERNS.items()}
ASCII_PATTERN = _COMPILED["o200k_base"]  # on ASCII text the stand-in pattern is tiktoken's
NO_RANK = 1 << 62
# Longer pieces (a rule of 300 "=", a paragraph of CJK with no punctuation) take tiktoken: the merge
# below is quadratic in a piece's length in bytes.
MAX_PIECE = 256
# Pieces up to this many bytes that are no token have all their inner parts read at once (at most 119);
# SQLite takes at most 999 values in a query before 3.32.
PREFETCH_PARTS = 16
BATCH = 900


class NotLight(Exception):
    """This text is for tiktoken: a piece too long, or a table that could not be read."""


class LightCounter:
    """Counts text with ranks read on demand; pieces and ranks are remembered for the process."""

    def __init__(self, table: Path, encoding: str = "o200k_base"):
        self.encoding = encoding
        self._pattern = _COMPILED[encoding]
        self._db = sqlite3.connect(f"file:{table}?mode=ro", uri=True, check_same_thread=False)
        self._ranks: dict[bytes, int] = {}
        # tokens with a non-ASCII byte, by their first such byte, one small file each: CJK text asks
        # for about a rank per byte, cheaper from a dict than from SQLite; loaded when first needed
        self._shards_dir = table.with_name(f"{table.stem}-non-ascii")
        self._shards: dict[int, dict[bytes, int]] = {}
        self._pieces: dict[str, int] = {}
        self._classes: CharClasses | None = None
        self.queries_left: int | None = None  # rank lookups allowed before NotLight (None: no limit)

    def count(self, text: str) -> int:
        """tiktoken's `len(encode_ordinary(text))`."""
        if text.isascii():
            found = self._pattern.findall(text)
        else:
            found = [text[m.start():m.end()] for m in self._pattern.finditer(self._stand_ins(text))]
        pieces = self._pieces
        new = {piece for piece in found if piece not in pieces}
        if new:
            self._prefetch(new)
        total = 0
        for piece in found:
            n = pieces.get(piece)
            if n is None:
                n = pieces[piece] = self._tokens_of(piece)
            total += n
        return total

    def _prefetch(self, pieces: set[str]) -> None:
        """Read the ranks the merge of these new pieces will ask for in a few queries instead of one
        each (~10 us a query, ~2 us a key in a batch): the whole pieces, then every inner part of the
        short ones that are not a token. Parts of longer pieces are read one at a time, when asked."""
        wanted = []
        for piece in pieces:
            data = piece.encode("utf-8", "surrogatepass")
            if 1 < len(data) <= MAX_PIECE:
                wanted.append(data)
        self._fetch(wanted)
        inner = set()
        for data in wanted:
            if len(data) <= PREFETCH_PARTS and self._ranks.get(data, NO_RANK) == NO_RANK:
                inner.update(data[i:j] for i in range(len(data) - 1) for j in range(i + 2, len(data) + (i > 0)))
        self._fetch(inner)

    def _fetch(self, keys) -> None:
        """Ranks of the ASCII keys not yet known, from SQLite in batches; the rest come on demand."""
        ranks = self._ranks
        todo = [key for key in keys if key.isascii() and key not in ranks]
        if not todo:
            return
        if self.queries_left is not None:
            if len(todo) > self.queries_left:
                self.queries_left = 0
                raise NotLight("the job outgrew the light counter: tiktoken's encoder is faster now")
            self.queries_left -= len(todo)
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            try:
                found = dict(self._db.execute(
                    f"SELECT piece, rank FROM ranks WHERE piece IN ({','.join('?' * len(batch))})", batch))
            except sqlite3.Error as exc:
                raise NotLight(f"the rank table cannot be read: {exc}") from None
            for key in batch:
                ranks[key] = found.get(key, NO_RANK)

    def _stand_ins(self, text: str) -> str:
        """`text` with each non-ASCII letter, number, mark and space replaced by its class's stand-in."""
        if self._classes is None:
            self._classes = char_classes()
        table = {}
        for char in set(text):
            if char > "\x7f":
                stand_in = self._classes.stand_in(char)
                if stand_in is not None:
                    table[ord(char)] = stand_in
        return text.translate(table)

    def _tokens_of(self, piece: str) -> int:
        try:
            data = piece.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: tiktoken replaces it, we do not
            raise NotLight("a lone surrogate") from None
        if len(data) > MAX_PIECE:
            raise NotLight(f"a piece of {len(data)} bytes")
        return self._piece_tokens(data)

    def _rank(self, key: bytes) -> int:
        rank = self._ranks.get(key)
        if rank is None and not key.isascii():
            rank = self._ranks[key] = self._shard(next(b for b in key if b >= 0x80)).get(key, NO_RANK)
        if rank is None:
            if self.queries_left is not None:
                if self.queries_left <= 0:
                    raise NotLight("the job outgrew the light counter: tiktoken's encoder is faster now")
                self.queries_left -= 1
            try:
                row = self._db.execute("SELECT rank FROM ranks WHERE piece = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                raise NotLight(f"the rank table cannot be read: {exc}") from None
            rank = self._ranks[key] = NO_RANK if row is None else row[0]
        return rank

    def _shard(self, lead: int) -> dict[bytes, int]:
        shard = self._shards.get(lead)
        if shard is None:
            shard = self._shards[lead] = self._read_shard(lead)
        return shard

    def _read_shard(self, lead: int) -> dict[bytes, int]:
        """{token: rank} of the tokens whose first non-ASCII byte is `lead`, from its file beside the
        table; the files are written from the merge table the first time (all of it read once: ~50 ms)."""
        for _ in range(2):
            try:
                shard = marshal.loads((self._shards_dir / f"{lead:02x}.marshal").read_bytes())
                if isinstance(shard, dict):
                    return shard
            except FileNotFoundError:
                if (self._shards_dir / "complete").is_file():
                    return {}  # no token has this byte first
            except (OSError, EOFError, ValueError, TypeError):
                pass  # damaged: all written again
            self._write_shards()
        raise NotLight("the table of non-ASCII tokens cannot be written")

    def _write_shards(self) -> None:
        from .tokens import _write_quietly, cached_ranks, encoding_params, offline_bpe_files

        try:
            offline_bpe_files()
            ranks = encoding_params(self.encoding, cached_ranks)["mergeable_ranks"]
        except Exception as exc:
            raise NotLight(f"the merge table cannot be read: {exc}") from None
        by_lead: dict[int, dict[bytes, int]] = {}
        for token, rank in ranks.items():
            if not token.isascii():
                by_lead.setdefault(next(b for b in token if b >= 0x80), {})[token] = rank
        try:
            (self._shards_dir / "complete").unlink(missing_ok=True)
        except OSError:  # a read-only cache: the shards stay as they are, and the counter still answers
            pass
        for lead, tokens in by_lead.items():
            _write_quietly(self._shards_dir / f"{lead:02x}.marshal", marshal.dumps(tokens))
        _write_quietly(self._shards_dir / "complete", b"")  # last: every file above is whole

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


class CharClasses:
    """The stand-in of every non-ASCII code point, as runs: `starts` ascending, `stand_ins[i]` for the
    code points from starts[i] to the next start (None: punctuation, symbols, unassigned: kept)."""

    def __init__(self, starts: list[int], stand_ins: list[str | None]):
        self.starts = starts
        self.stand_ins = stand_ins

    def stand_in(self, char: str) -> str | None:
        return self.stand_ins[bisect.bisect_right(self.starts, ord(char)) - 1]


def light_counter(encoding: str = "o200k_base") -> LightCounter | None:
    """A counter for `encoding`, or None when tiktoken's definition differs from the one this module
    mirrors or the table cannot be built (then tiktoken counts everything)."""
    from .tokens import TokenizerUnavailable, cached_ranks, encoding_params, offline_bpe_files, rank_cache_dir

    if encoding not in PATTERNS:
        return None
    definition = _definition(encoding)
    if definition is None or definition[0] != PATTERNS[encoding]:
        return None
    table = rank_cache_dir() / f"{definition[1]}.sqlite3"
    for _ in range(2):
        if table.is_file():
            try:
                counter = LightCounter(table, encoding)
                if counter._rank(b" the") != NO_RANK:  # a whole table answers; a damaged one is rebuilt
                    return counter
            except (sqlite3.Error, NotLight):
                pass
        try:
            offline_bpe_files()
            ranks = encoding_params(encoding, cached_ranks)["mergeable_ranks"]
        except (TokenizerUnavailable, Exception):
            return None
        if not _build_table(table, ranks):
            return None
    return None


@functools.lru_cache(maxsize=1)  # asked by the definition and the character classes in one run
def _tiktoken_key() -> str | None:
    """Names the installed tiktoken (its definitions and its compiled core), found without importing it:
    an import is a tenth of a cold hook run."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("tiktoken_ext.openai_public")
        origin = spec.origin if spec else None
        package = importlib.util.find_spec("tiktoken")
        folder = Path(package.origin).parent if package and package.origin else None
        if origin is None or folder is None:
            return None
        files = [origin, *sorted(str(p) for p in folder.iterdir() if p.name.startswith("_tiktoken"))]
        return "\t".join(f"{f}:{(s := os.stat(f)).st_size}:{s.st_mtime_ns}" for f in files)
    except (ImportError, OSError, ValueError, TypeError):
        return None


def _definition(encoding: str = "o200k_base") -> tuple[str, str] | None:
    """(pattern, BPE file hash) of tiktoken's `encoding`, read from tiktoken's own definition once per
    installed copy of it: the answer is kept beside the tables, keyed by `_tiktoken_key`."""
    import json

    from .tokens import _write_quietly, encoding_params, rank_cache_dir

    key = _tiktoken_key()
    if key is None:
        return None
    marker = rank_cache_dir() / f"{encoding}-definition-v2.json"  # v1 keyed by one file only
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
        params = encoding_params(encoding, note_hash)  # the pattern and the table's hash, nothing loaded
    except Exception:
        return None
    if params is None or not isinstance(params.get("pat_str"), str) or not seen.get("hash"):
        return None
    definition = (params["pat_str"], str(seen["hash"]))
    _write_quietly(marker, json.dumps({"key": key, "pattern": definition[0], "hash": definition[1]}).encode())
    return definition


def char_classes() -> CharClasses:
    """The stand-ins, from the cache when it was probed from this tiktoken; NotLight when they cannot
    be had (the text then goes to tiktoken)."""
    from .tokens import _write_quietly, rank_cache_dir

    key = _tiktoken_key()
    if key is None:
        raise NotLight("tiktoken's files were not found")
    path = rank_cache_dir() / "char-classes.marshal"
    try:
        known_key, starts, stand_ins = marshal.loads(path.read_bytes())
        if known_key == key:
            return CharClasses(starts, stand_ins)
    except (OSError, EOFError, ValueError, TypeError):
        pass  # none yet, damaged, or from another tiktoken: probed again
    try:
        starts, stand_ins = _probe_classes()
    except Exception as exc:  # tiktoken refused the probe: counting goes to tiktoken itself
        raise NotLight(f"tiktoken's character classes could not be read: {exc}") from None
    _write_quietly(path, marshal.dumps((key, starts, stand_ins)))
    return CharClasses(starts, stand_ins)


def _probe_classes() -> tuple[list[int], list[str | None]]:
    """Ask tiktoken's regex which code points each class holds: a pattern of one class and single-byte
    ranks make `encode_ordinary` keep exactly the characters of that class (unmatched text yields no
    token). About half a second, once per installed tiktoken."""
    import tiktoken

    ranks = {bytes([i]): i for i in range(256)}
    everything = "".join(map(chr, [*range(0x80, 0xD800), *range(0xE000, 0x110000)]))

    def members(pattern: str, text: str = everything) -> set[str]:
        probe = tiktoken.Encoding(name="promptopt-class-probe", pat_str=pattern, mergeable_ranks=ranks,
                                  special_tokens={})
        return set(probe.decode_bytes(probe.encode_ordinary(text)).decode("utf-8"))

    stand_in: dict[str, str] = {}
    classes = [(UPPER, r"[\p{Lu}\p{Lt}]+"), (LOWER, r"\p{Ll}+"), (OTHER_LETTER, r"[\p{Lm}\p{Lo}]+"),
               (MARK, r"\p{M}+"), (NUMBER, r"\p{N}+"), (SPACE, r"\s+")]
    for name, pattern in classes:
        for char in members(pattern):
            if char in stand_in:
                raise ValueError(f"U+{ord(char):04X} is in two classes")
            stand_in[char] = name
    if members(r"\p{L}+") != {c for c, s in stand_in.items() if s in (UPPER, LOWER, OTHER_LETTER)}:
        raise ValueError("\\p{L} is not Lu, Ll, Lt, Lm and Lo")
    if stand_in.get(OTHER_LETTER) != OTHER_LETTER or stand_in.get(MARK) != MARK:
        raise ValueError("a stand-in is not of its own class")
    folding = "".join(members(r"(?i:[sdmtlvre])+"))
    for char in folding:  # "ſ": a contraction's "s" under case folding
        letter = next(a for a in "sdmtlvre" if char in members(f"(?i:{a})+", folding))
        case = stand_in.get(char)
        if case not in (UPPER, LOWER):
            raise ValueError(f"U+{ord(char):04X} folds to {letter} but is no cased letter")
        stand_in[char] = letter.upper() if case == UPPER else letter
    starts: list[int] = [0x80]
    stand_ins: list[str | None] = [stand_in.get("\x80")]
    for point in range(0x81, 0x110000):
        value = stand_in.get(chr(point))
        if value != stand_ins[-1]:
            starts.append(point)
            stand_ins.append(value)
    return starts, stand_ins


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
