"""Personal data in a prompt file: an email address, a phone number or a payment card number.

A prompt is sent to a model provider on every request and is read by everyone with access to the
repository: a real person's contact details or card number should not be in it. Card numbers are
checked with the Luhn checksum, so order numbers and ids are not taken for cards. Reserved example
domains (`example.com`, `.test`, `.invalid`), no-reply addresses and obvious placeholders are not
flagged. Use a placeholder filled in at run time, or a made-up value on a reserved domain.

Bad:

    If the user asks for a refund, tell them to write to jane.doe@gmail.com or call +1 415 555 0134.

Good:

    If the user asks for a refund, tell them to write to {{support_email}}.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO802"
NAME = "personal-data"
DEFAULT = False  # opt-in: see the precision table in docs/precision.md
SEVERITY = Severity.WARNING
FIXABLE = ""
OPTIONS: dict = {}

_EMAIL = lazy_compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w@-])")
_RESERVED_DOMAIN = lazy_compile(r"(?:^|\.)(?:example\.(?:com|org|net)|[\w-]+\.(?:test|example|invalid|localhost)|"
                              r"domain\.com|email\.com|company\.com|acme\.com|yourcompany\.com|test\.com)$", re.I)
_PLACEHOLDER_USER = lazy_compile(r"^(?:no-?reply|user|username|name|your[._-]?\w*|email|someone|john\.?doe|jane\.?doe|"
                               r"first\.?last|firstname\.?lastname|x+|test)$", re.I)
# international (+44 20 7946 0958) or North American ((415) 555-0134, 415-555-0134) forms, with separators
_PHONE = lazy_compile(
    r"(?<![\w+/.-])(?:\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]\d{2,4}){2,4}"
    r"|\(\d{3}\)\s?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})"
    r"(?![\w/.-]*\d)"
)
_CARD = lazy_compile(r"(?<![\w-])(?:\d{4}[ -]){3}\d{1,7}(?![\w-])|(?<![\w-])\d{13,19}(?![\w-])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find_personal_data(text: str) -> list[tuple[Span, str]]:
    found: list[tuple[Span, str]] = []
    for m in _EMAIL.finditer(text):
        user, domain = m.group(0).rsplit("@", 1)
        if _RESERVED_DOMAIN.search(domain) or _PLACEHOLDER_USER.match(user):
            continue
        found.append((Span(m.start(), m.end()), "email address in a prompt file: use a placeholder or a reserved "
                      "example domain"))
    cards: list[Span] = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and len(set(digits)) > 2 and luhn_ok(digits):
            cards.append(Span(m.start(), m.end()))
            found.append((cards[-1], f"payment card number (…{digits[-4:]}, passes the Luhn check) in a prompt file"))
    for m in _PHONE.finditer(text):
        span = Span(m.start(), m.end())
        digits = re.sub(r"\D", "", m.group(0))
        if any(c.overlaps(span) for c in cards) or not 9 <= len(digits) <= 15 or len(set(digits)) < 4:
            continue
        found.append((span, "phone number in a prompt file: use a placeholder"))
    found.sort(key=lambda item: item[0].start)
    return found


def check(doc, ctx):
    for span, message in find_personal_data(doc.text):
        yield ctx.report(doc, span, message, tokens_saved=0)
