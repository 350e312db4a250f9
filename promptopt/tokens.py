"""Exact token counts, offline.

tiktoken downloads its BPE files on first use; litellm's wheel ships them, named the way tiktoken's
cache expects. We point ``TIKTOKEN_CACHE_DIR`` at that folder, found without importing litellm
(an import costs seconds). Models with no public tiktoken encoding get a stand-in, marked estimate.
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import marshal
import os
import sys
from dataclasses import dataclass
from pathlib import Path

O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss")
CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada-002")


@dataclass(frozen=True)
class EncodingChoice:
    model: str
    encoding: str
    estimate: bool  # True when the model's own tokenizer is not public (Claude, Llama, Gemini...)

    @property
    def label(self) -> str:
        return f"{self.encoding} (estimate for {self.model})" if self.estimate else self.encoding


def choose_encoding(model: str) -> EncodingChoice:
    """The tiktoken encoding for a model name, with or without a provider prefix."""
    bare = model.split("/")[-1].lower()
    if bare.startswith(O200K_PREFIXES):
        return EncodingChoice(model, "o200k_base", False)
    if bare.startswith(CL100K_PREFIXES):
        return EncodingChoice(model, "cl100k_base", False)
    if bare.startswith(("text-davinci", "code-davinci")):
        return EncodingChoice(model, "p50k_base", False)
    # Claude, Llama, Gemini, Mistral...: their tokenizers are not tiktoken's. o200k_base is the
    # closest modern BPE; the count is an estimate and says so.
    return EncodingChoice(model, "o200k_base", True)


def bundled_bpe_dir() -> Path | None:
    """litellm's folder of tiktoken BPE files, located without importing litellm."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    return folder if folder.is_dir() else None


class TokenizerUnavailable(RuntimeError):
    pass


@functools.lru_cache(maxsize=4)
def get_encoding(name: str):
    """Load a tiktoken encoding from the bundled BPE files; never from the network."""
    offline_bpe_files()
    import tiktoken

    try:
        return _load_with_rank_cache(name) or tiktoken.get_encoding(name)
    except Exception as exc:  # tiktoken raises requests/OSError when it would download
        raise TokenizerUnavailable(f"cannot load tiktoken encoding {name} offline: {exc}") from exc


def offline_bpe_files() -> None:
    """Point tiktoken at the BPE files litellm's wheel ships (unless the user chose a folder)."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ and "DATA_GYM_CACHE_DIR" not in os.environ:
        folder = bundled_bpe_dir()
        if folder is None:
            raise TokenizerUnavailable(
                "tiktoken's BPE files were not found: install litellm (it ships them) "
                "or set TIKTOKEN_CACHE_DIR to a folder that holds them"
            )
        os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)


def rank_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "promptopt" / "tiktoken"


def _load_with_rank_cache(name: str):
    """Build the encoding from tiktoken's own definition, with its merge table read from a marshal
    cache: parsing the 200k-line BPE file is the largest part of a cold run (the pre-commit hook's
    floor). The cache is keyed by the BPE file's SHA-256, so it can never serve another table."""
    import tiktoken

    params = encoding_params(name, cached_ranks)
    return None if params is None else tiktoken.Encoding(**params)


def encoding_params(name: str, load_ranks) -> dict | None:
    """tiktoken's definition of an encoding (name, pattern, ranks, special tokens), with its merge
    table loaded by `load_ranks(blobpath, expected_hash)`; None for an encoding it does not define."""
    import tiktoken_ext.openai_public as public

    constructor = getattr(public, name, None)
    if constructor is None:
        return None
    original = public.load_tiktoken_bpe
    public.load_tiktoken_bpe = load_ranks
    try:
        return constructor()
    finally:
        public.load_tiktoken_bpe = original


def cached_ranks(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """A merge table, from the marshal cache when it holds this hash's table."""
    from tiktoken.load import load_tiktoken_bpe

    path = rank_cache_dir() / f"{expected_hash}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    if expected_hash and path.is_file():
        try:
            return marshal.loads(path.read_bytes())
        except (EOFError, ValueError, TypeError, OSError):
            pass  # a damaged cache is rebuilt below
    ranks = load_tiktoken_bpe(blobpath, expected_hash=expected_hash)
    if expected_hash:
        _write_quietly(path, marshal.dumps(ranks))
    return ranks


def _write_quietly(path: Path, data: bytes) -> None:
    """Atomic write; a read-only home just means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass


# Where a text may be cut into paragraphs whose counts add up to the whole text's: after a blank line,
# or before a heading or a tag, when the next line starts with neither white space nor "/" (no piece of
# o200k_base's or cl100k_base's pre-tokenizer spans such a point: see savings.EditWindows). Sections of
# a prompt (a token map, a budget's largest section) then reuse the counts of their paragraphs.
_PARAGRAPH_START = None


def _paragraph_starts():
    global _PARAGRAPH_START
    if _PARAGRAPH_START is None:
        from .lazyre import lazy_compile

        _PARAGRAPH_START = lazy_compile(r"\n\r?\n(?=[^\s/])|\n(?=[#<])")
    return _PARAGRAPH_START


class TokenCounter:
    """Counts tokens for one model; caches counts of repeated strings (bullets, sentences).

    A small job (the pre-commit hook on a few files) is counted without building tiktoken's encoder,
    which costs more than the whole audit: by `light_tokens` (exact, same counts, any script) until
    `light_limit` characters or `light_queries` rank lookups; a text it cannot count, or anything past
    a limit, loads the encoder, which counts everything after."""

    light_limit = 50_000  # characters (~0.1 s of light counting of English); past this, the encoder pays
    # rank lookups in SQLite (~10 us each): text of rare strings (identifiers, base64) needs several per
    # word, so characters alone would let such a job run past what building the encoder (~0.5 s) costs
    light_queries = 10_000
    cache_limit = 200_000  # remembered strings (bullets, sentences, paragraphs); past this, forgotten
    texts_cut = 64  # texts whose paragraph cuts are remembered (a file's prompts, for its token map)

    def __init__(self, model: str):
        self.choice = choose_encoding(model)
        self._encoding = None
        self._cache: dict[str, int] = {}
        self._cuts: dict[str, tuple[list[int], list[int]]] = {}  # see `count_between`
        self._light = None  # light_tokens.LightCounter, False when unavailable
        self._light_left = self.light_limit

    def plan(self, size: int) -> None:
        """The job will count about `size` characters: past `light_limit`, the encoder counts from the
        start (light counting up to the limit first would only add to building it)."""
        if size > self.light_limit:
            self._light_left = 0

    @property
    def encoding(self):
        if self._encoding is None:
            self._encoding = get_encoding(self.choice.encoding)
        return self._encoding

    def count(self, text: str) -> int:
        if not text:
            return 0
        if len(text) < 512:
            cached = self._cache.get(text)
            if cached is None:
                cached = self._cache[text] = self._count(text)
            return cached
        return self._count(text)

    def _count(self, text: str) -> int:
        if self._encoding is None and self._light_left >= len(text):
            light = self._light_counter()
            if light is not None:
                from .light_tokens import NotLight

                try:
                    tokens = light.count(text)
                except NotLight:
                    if light.queries_left == 0:
                        self._light_left = 0  # the rest of the job goes to the encoder
                else:
                    self._light_left -= len(text)
                    return tokens
        if len(text) < 1024:
            return len(self.encoding.encode_ordinary(text))
        return self._count_paragraphs(text)

    def _count_paragraphs(self, text: str) -> int:
        """The sum of the text's paragraphs' counts, each remembered: exact (the cuts are where no
        pre-tokenizer piece spans), and a section counted after its prompt costs dictionary lookups."""
        encode = self.encoding.encode_ordinary
        cache = self._cache
        if len(cache) > self.cache_limit:
            cache.clear()
        total = start = 0
        cuts, sums = [0], [0]  # where each paragraph starts, and the tokens before it
        for cut in _paragraph_starts().finditer(text):
            paragraph = text[start:cut.end()]
            tokens = cache.get(paragraph)
            if tokens is None:
                tokens = cache[paragraph] = len(encode(paragraph))
            total += tokens
            start = cut.end()
            cuts.append(start)
            sums.append(total)
        paragraph = text[start:]
        tokens = cache.get(paragraph)
        if tokens is None:
            tokens = cache[paragraph] = len(encode(paragraph))
        cuts.append(len(text))
        sums.append(total + tokens)
        if len(self._cuts) >= self.texts_cut:
            self._cuts.clear()
        self._cuts[text] = (cuts, sums)
        return total + tokens

    def count_between(self, text: str, start: int, end: int) -> int:
        """`count(text[start:end])`. When `text` was counted by paragraphs and both ends are cuts
        between them (a section of a prompt that starts at a `#` heading or a tag, or after a blank
        line), the paragraphs' counts add up to it: two lookups, not a second pass over the text."""
        known = self._cuts.get(text)
        if known is not None:
            cuts, sums = known
            i, j = bisect.bisect_left(cuts, start), bisect.bisect_left(cuts, end)
            if i < len(cuts) and cuts[i] == start and j < len(cuts) and cuts[j] == end:
                return sums[j] - sums[i]
        return self.count(text[start:end])

    def _light_counter(self):
        if self._light is None:
            from .light_tokens import light_counter

            self._light = light_counter(self.choice.encoding) or False
            if self._light:
                self._light.queries_left = self.light_queries
        return self._light or None

    def saved(self, before: str, after: str) -> int:
        """Tokens removed by rewriting `before` into `after` (never negative)."""
        return max(0, self.count(before) - self.count(after))
