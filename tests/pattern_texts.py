"""Texts to check a pattern shortcut against `re` on: every prompt of the shared corpus (when present) and
of `fixtures/prompts`, plus text built from the patterns' own words with letters that trip case folding
(İ, ı, ſ, the Kelvin sign) and random capitals, once as written and once upper-cased."""

from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "prompts"
_ODD = {"k": "\u212a", "s": "\u017f", "i": "\u0131", "I": "\u0130", "K": "\u212a"}
_JOINS = [" ", "  ", ", ", ".\n", "-", " 3 ", " 12 ", ": ", ":\n", "\n- ", " `"]


def pattern_texts(patterns: list, seed: int = 5, pieces: int = 4000) -> list[str]:
    folders = [f for f in (CORPUS, ROOT / "fixtures" / "prompts") if f.is_dir()]
    found = [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.rglob("*"))
             if p.is_file()]
    rng = random.Random(seed)
    words = re.findall(r"[a-z]{2,}|[^\x00-\x7f]{2,}", " ".join(p.pattern for p in patterns))
    built = []
    for _ in range(pieces):
        word = "".join(_ODD.get(c, c) if rng.random() < 0.2 else c.upper() if rng.random() < 0.3 else c
                       for c in rng.choice(words))
        built.append(word + rng.choice(_JOINS))
    return [*found, "".join(built), "".join(built).upper()]
