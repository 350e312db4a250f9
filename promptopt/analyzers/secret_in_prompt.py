"""A secret in a prompt file: an API key, a token, a private key or a password in a connection string.

The whole file is scanned, not only its prompts. A prompt file is committed, shared, pasted into
tickets and sent to a provider on every request: a key in it leaks to everyone who can read any of
those. Keys of OpenAI (`sk-`, `sk-proj-`), Anthropic
(`sk-ant-`), AWS (`AKIA...`), Google (`AIza...`), GitHub (`ghp_`, `github_pat_`), Slack (`xox?-`),
Stripe (`sk_live_`), Hugging Face (`hf_`), JSON Web Tokens (`eyJ...`), PEM private key blocks and
`scheme://user:password@host` are found. The message shows the secret masked (its prefix and last 4
characters), never in full, and no output prints it (`promptopt.redact` masks every report and diff).
Obvious placeholders (`sk-xxxx...`, `sk-your-key-here`, `${PASSWORD}`, `{{password}}`) are not flagged.
Remove the secret, load it from the environment, and rotate it.

Bad:

    Call the billing tool with the key sk-ant-api03-R2Vu3ZXJhdGVkLWZha2Uta2V5LWZvci10ZXN0cy1vbmx5LTk4NzY1NDMyMTA-Xy3QAA.

Good:

    Call the billing tool; the application adds its key (ANTHROPIC_API_KEY) to the request.
"""

from __future__ import annotations

import re

from ..core import Severity, Span
from ..lazyre import lazy_compile

CODE = "PO801"
NAME = "secret-in-prompt"
SEVERITY = Severity.ERROR
FIXABLE = ""
OPTIONS: dict = {}
SCOPE = "file"  # the whole file: front matter, config values and comments hold secrets too

# (provider, pattern, length of the prefix shown when masking); the first matching pattern wins.
_KEYS: list[tuple[str, re.Pattern, int]] = [
    ("Anthropic API key", lazy_compile(r"sk-ant-[a-z]{3,6}\d{0,2}-[A-Za-z0-9_-]{32,}"), 7),
    ("OpenAI API key", lazy_compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}"), 8),
    ("OpenAI API key", lazy_compile(r"sk-[A-Za-z0-9]{32,}"), 3),
    ("AWS access key id", lazy_compile(r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"), 4),
    ("Google API key", lazy_compile(r"AIza[0-9A-Za-z_-]{35}"), 4),
    ("GitHub token", lazy_compile(r"gh[pousr]_[A-Za-z0-9]{36,}"), 4),
    ("GitHub token", lazy_compile(r"github_pat_[A-Za-z0-9_]{40,}"), 11),
    ("Slack token", lazy_compile(r"xox[bpasr]-[A-Za-z0-9-]{20,}"), 5),
    ("Stripe secret key", lazy_compile(r"(?:sk|rk)_live_[A-Za-z0-9]{20,}"), 8),
    ("Hugging Face token", lazy_compile(r"hf_[A-Za-z0-9]{34,}"), 3),
    ("JSON Web Token", lazy_compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"), 3),
]
# a literal every match of the pattern holds: a text without it is not searched
_KEYS_NEEDING = [(provider, pattern, shown, needed) for (provider, pattern, shown), needed in zip(_KEYS, (
    "sk-ant-", "sk-", "sk-", "A", "AIza", "gh", "github_pat_", "xox", "_live_", "hf_", "eyJ"), strict=True)]
_AWS_SECRET = lazy_compile(r"aws_secret_access_key\s*[=:]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", re.I)
_PEM = lazy_compile(
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----|(?:\r?\n[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*)*)",
    re.S,
)
# userinfo as URL syntax allows it (RFC 3986: letters, digits, -._~, %XX, !$&'()*+,;= and `:` in the
# password), and what people paste besides (`/`, a raw `@`): anything but space, `"`, `<`, `>`
_CONNECTION = lazy_compile(r"\b([a-z][a-z0-9+.-]{1,20})://([^\s:/@'\"<>]+):([^\s\"<>@]+(?:@[^\s\"<>@]+)*?)@[\w.-]+")
_PLACEHOLDER_PASSWORD = lazy_compile(
    r"^(?:\$\{?\w+\}?|\{\{?.*\}?\}|<[^>]*>|\[[^\]]*\]|%\(?\w+\)?s?|\*+|x+|\.{3}|password|passwd|pass|pwd|secret|"
    r"changeme|your[-_]?password|mypassword|example)$",
    re.I,
)
_BOUNDARY = lazy_compile(r"[A-Za-z0-9_-]")


def mask(secret: str, prefix_len: int) -> str:
    """`sk-ant-…Xy3Q`: the kind of key is visible, the key is not."""
    prefix = secret[:prefix_len]
    return f"{prefix}…{secret[-4:]}" if len(secret) > prefix_len + 8 else f"{prefix}…"


def looks_fake(body: str) -> bool:
    """Documentation placeholders: `sk-xxxxxxxx...`, `sk-your-api-key-here`, `AKIAEXAMPLE...`."""
    lowered = body.lower()
    if any(word in lowered for word in ("xxxx", "your", "example", "placeholder", "dummy", "redacted", "0000000")):
        return True
    return len(set(body)) < 8


def find_secrets(text: str) -> list[tuple[Span, str]]:
    """(span, message) of each secret in `text`, the message carrying only the masked secret."""
    return [(span, message) for span, message, _ in scan(text)]


def scan(text: str) -> list[tuple[Span, str, str]]:
    """(span, message, masked form) of each secret in `text`, in text order. The masked form is what
    `promptopt.redact` prints in place of the secret. A file's text is scanned by this rule, then by
    the audit masking its findings' messages: the last text's answer is kept for the second."""
    global _last
    if _last is not None and _last[0] is text:
        return list(_last[1])
    found = _scan(text)
    _last = (text, found)
    return list(found)


_last: tuple[str, list[tuple[Span, str, str]]] | None = None


def _scan(text: str) -> list[tuple[Span, str, str]]:
    found: list[tuple[Span, str, str]] = []
    taken: list[Span] = []

    def add(span: Span, message: str, masked: str) -> None:
        if not any(t.overlaps(span) for t in taken):
            taken.append(span)
            found.append((span, message, masked))

    for m in _PEM.finditer(text):
        header = m.group(0).split("-----", 2)[1]
        add(Span(m.start(), m.end()), "private key (PEM block) in a prompt file: remove it and rotate the key",
            f"-----{header}-----…(redacted)")
    for provider, pattern, shown, needed in _KEYS_NEEDING:
        if needed not in text:
            continue  # every match holds it: the search would find nothing
        for m in pattern.finditer(text):
            if m.start() > 0 and _BOUNDARY.match(text[m.start() - 1]):
                continue
            if m.end() < len(text) and _BOUNDARY.match(text[m.end()]):
                continue
            secret = m.group(0)
            if looks_fake(secret[shown:]):
                continue
            masked = mask(secret, shown)
            add(Span(m.start(), m.end()),
                f"{provider} {masked} in a prompt file: remove it, load it from the environment, and rotate it",
                masked)
    # re.I: on ASCII text the lowered text holds the name whenever the pattern matches (beyond ASCII,
    # case folding has more letters than lower(): searched as it is)
    aws_secrets = () if text.isascii() and "aws_secret_access_key" not in text.lower() else _AWS_SECRET.finditer(text)
    for m in aws_secrets:
        if not looks_fake(m.group(1)):
            masked = mask(m.group(1), 0)
            add(Span(m.start(1), m.end(1)),
                f"AWS secret access key {masked} in a prompt file: remove it and rotate it", masked)
    for m in _CONNECTION.finditer(text) if "://" in text else ():
        scheme, user, password = m.groups()
        # a variable stands in for the password (`$DB_PASS`, `${DB_PASS}`, `$(pass show db)`, `{{pw}}`); a
        # `$` inside a password (`Pa$$w0rd`) is part of it
        if _PLACEHOLDER_PASSWORD.match(password) or "{" in password or "$(" in password:
            continue
        add(Span(m.start(3), m.end(3)),
            f"password in a connection string {scheme}://{user}:****@… in a prompt file: remove it and rotate it",
            "****")
    found.sort(key=lambda item: item[0].start)
    return found


def check(doc, ctx):
    # Run once per file on its whole text (SCOPE): prompts, code blocks, examples, front matter and
    # config values alike. A real key is a leak wherever it is.
    for span, message in find_secrets(doc.text):
        yield ctx.report(doc, span, message, tokens_saved=0)
