"""Mask secrets in anything promptopt prints: reports, diffs, PR comments, JSON.

One function for every output, driven by the patterns rule PO801 (secret-in-prompt) uses, so what the
rule flags is exactly what no output shows. A secret keeps its kind and last 4 characters
(`sk-ant-…Xy3Q`), which is enough to find and rotate it.

`known` secrets (found in the source a text was cut from) are also masked where a report quotes only
part of one: a quote truncated in the middle of a key no longer matches a key pattern, but still
starts with its first characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# a truncated quote of a known secret: at least this many of its first characters (more than the
# longest prefix a masked key keeps, `github_pat_`, so a masked key is not masked twice)
_MIN_PREFIX = 12


def redact(text: str, known: Iterable[str] = ()) -> str:
    """`text` with every secret masked."""
    from .analyzers.secret_in_prompt import scan

    found = scan(text)
    if found:
        parts: list[str] = []
        cursor = 0
        for span, _message, masked in found:
            parts.append(text[cursor : span.start])
            parts.append(masked)
            cursor = span.end
        parts.append(text[cursor:])
        text = "".join(parts)
    for secret in known:
        text = _mask_known(text, secret)
    return text


def secrets_in(text: str) -> list[str]:
    """The secrets in `text` as strings (a PEM block as its lines), for `redact(..., known=...)`."""
    from .analyzers.secret_in_prompt import scan

    secrets: list[str] = []
    for span, _message, _masked in scan(text):
        secret = text[span.start : span.end]
        if secret.startswith("-----BEGIN"):
            secrets.extend(line.strip() for line in secret.splitlines()[1:] if len(line.strip()) >= 16)
        else:
            secrets.append(secret)
    return secrets


def _mask_known(text: str, secret: str) -> str:
    """Mask `secret`, in any case, and any quote of its first characters cut short by a report."""
    if len(secret) < _MIN_PREFIX:  # a short password: only where it stands whole
        return re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", "****", text, flags=re.I) if secret else text
    head = re.escape(secret[:_MIN_PREFIX])
    # the prefix and whatever of the secret's alphabet follows it
    pattern = re.compile(head + r"[^\s\"'`<>|]*", re.I)
    shown = f"{secret[:4]}…(redacted)" if len(secret) >= 24 else "****"
    return pattern.sub(shown, text)


def redact_pair(before: str, after: str) -> tuple[str, str]:
    """Both sides of a diff masked alike, before the diff is made (a diff cuts a PEM block into lines
    and a side-by-side view wraps a long key, so masking the diff's text afterwards is too late)."""
    known = dict.fromkeys(secrets_in(before) + secrets_in(after))
    return redact(before, known), redact(after, known)
