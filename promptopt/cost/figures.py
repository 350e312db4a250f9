"""How the cost reports write figures: dollars, counts, percentages and plurals."""

from __future__ import annotations

import math

NONE = "–"  # an unknown figure: never shown as $0


def money(value: float | None, signed: bool = False) -> str:
    """$1,240 above $100, $12.34 above $0.10, and three significant digits below that."""
    if value is None:
        return NONE
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    amount = abs(value)
    if amount == 0:
        text = "0"
    elif amount >= 100:
        text = f"{amount:,.0f}"
    elif amount >= 1:
        text = f"{amount:,.2f}"
    elif amount >= 0.1:
        text = f"{amount:.2f}"
    else:  # per-request figures: three significant digits
        decimals = min(10, -math.floor(math.log10(amount)) + 2)
        text = f"{amount:.{decimals}f}"
    return f"{sign}${text}"


def count(value: float | None, signed: bool = False) -> str:
    if value is None:
        return NONE
    text = f"{value:+,.0f}" if signed else f"{value:,.0f}"
    return text


def percent(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:+.0f}%" if abs(value) >= 1 or value == 0 else f"{value:+.1f}%"


def plural(number: int, word: str, plural_word: str | None = None) -> str:
    """"1 prompt", "2 prompts": as infracost's comment reads, never "prompt(s)"."""
    return f"{number:,} {word if number == 1 else (plural_word or word + 's')}"
