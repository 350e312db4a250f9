"""How alike two instructions are in meaning: wordllama sentence embeddings, loaded on first use.

wordllama (PyPI) ships its weights (16 MB of token embeddings distilled from Llama 2) and its
tokenizer inside its wheel, so it runs offline. Its `WordLlama.load()` looks for the tokenizer under
`wordllama/tokenizer/` while the wheel puts it in `wordllama/tokenizers/`, and then tries the Hugging
Face hub: it is loaded here with the package folder as its cache folder (where it looks in
`tokenizers/`) and downloads turned off, so it never touches the network.

Importing wordllama (numpy, requests, its config) and loading the weights costs about 0.3-0.8 s of a
cold run, so nothing here is imported until a rule asks for a similarity: the audit's and the hook's
import path never load it unless a rule that needs it is selected.

When wordllama is not installed, `cosine_matrix` returns None and the caller falls back to content-word
overlap (measured as the weaker judge of restatement: docs/restated.md).
"""

from __future__ import annotations

import functools
import logging


@functools.lru_cache(maxsize=1)
def _model():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        return None
    finally:
        # wordllama's __init__ calls logging.basicConfig(level=INFO): undo it, or every library's INFO
        # lines would reach the user's terminal
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    logging.getLogger("wordllama").setLevel(logging.WARNING)
    from pathlib import Path

    try:
        return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    except (OSError, ValueError, KeyError):  # a damaged install: fall back rather than fail the audit
        return None


def available() -> bool:
    return _model() is not None


def cosine_matrix(texts: list[str]) -> list[list[float]] | None:
    """Cosine similarity of every pair of texts, or None when wordllama is not there."""
    model = _model()
    if model is None:
        return None
    vectors = model.embed(texts, norm=True)
    return (vectors @ vectors.T).tolist()
