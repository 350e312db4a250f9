"""An offline text similarity for the `similar` assertion: no model, no download.

The score is the mean of two cosines, each in [0, 1]:
- word cosine: lower-cased word tokens (letters and digits), counted as a bag of words;
- character cosine: counts of character 3-grams of the lower-cased, space-normalised text.
Words catch shared content, 3-grams catch inflections and spelling variants ("refund"/"refunds").
It measures surface overlap, not meaning: a paraphrase with other words scores low.
"""

from __future__ import annotations

import math
import re
from collections import Counter

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[key] for key, count in a.items() if key in b)
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def _char_ngrams(text: str, n: int = 3) -> Counter[str]:
    normalised = " " + " ".join(text.lower().split()) + " "
    return Counter(normalised[i : i + n] for i in range(max(0, len(normalised) - n + 1)))


def similarity(a: str, b: str) -> float:
    """1.0 for texts equal up to case and spacing, 0.0 for texts sharing no word or 3-gram."""
    if not a.strip() and not b.strip():
        return 1.0
    words = _cosine(Counter(WORD.findall(a.lower())), Counter(WORD.findall(b.lower())))
    chars = _cosine(_char_ngrams(a), _char_ngrams(b))
    return round((words + chars) / 2, 6)
