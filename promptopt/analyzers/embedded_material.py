"""A long stretch of pasted material (a transcript, an essay, a book summary, a site's source code)
sent with every request.

Prompts collect material: an article "for background", a podcast transcript left in from testing, the
source of a website "just to show you". The model reads it on every request and every request pays
for it, while the instructions that use it are a few lines. Flagged: consecutive sections (split at
headings) of at least `min-tokens` tokens in which fewer than `max-instruction-share` of the lines
instruct (an imperative, a modal, a "you must"), when they are at least `min-share` of the prompt;
a rule, however it is written (an imperative after a bold label, "- **Tone**: Keep it calm"), instructs
and rule text is instructions whatever its size; few-shot examples are by design and not counted as
material, and a run with no instruction of the prompt
around it (outside examples and quoted or reference blocks, only headings, an intro line, samples) is
either the whole prompt written as prose (a spec) or a string that is the material itself, handed to a
prompt elsewhere (a `{research_summary}` slot the instructions tell the model to cite): not material
pasted into a prompt. The finding
names the lines and their tokens; it has no fix, since only a person can tell what of the material
the prompt needs (trim it, summarise it once, or retrieve it per request).

Material is found two ways: runs of sections in which few lines instruct, and runs of blocks the
document model (`promptopt.document`) reads as reference material or noise (a pasted guide, a
documentation page, a changelog). Long samples (an example section of two or more samples averaging
`min-sample-tokens` or more: three essays pasted as style samples) are material too, and carry an
unsafe fix: keep the first sample. Each finding names the tokens, the share, the cost at the configured
volume (`[tool.promptopt.usage]`, else per 1,000 requests) and the levers with their own figures:
keep one sample, retrieve the material per request, or prompt caching when the material sits in the
static prefix above the provider's minimum (priced at the cached rate of litellm's price map).

Bad (a transcript pasted as a sample: the line marked × 120 stands for 120 lines of it):

    # IDENTITY
    You extract insights from podcasts.
    # EXAMPLE INPUT
    So how did the company start? In a garage in 2009, with two laptops and a borrowed van. (× 120)
    # OUTPUT
    - Ten insights, one line each.

Good:

    # IDENTITY
    You extract insights from podcasts.
    # EXAMPLE
    (a 300-token excerpt, or none: the transcript is the user's input)
"""

from __future__ import annotations

import re

from ..core import Applicability, Edit, SegmentKind, Severity, Span
from ..document import Role, data_spans, document_model, is_imperative
from ..lazyre import lazy_compile, word_trie
from ..segment import heading_title
from ._examples import examples
from ._money import levers

CODE = "PO503"
NAME = "embedded-material"
SEVERITY = Severity.WARNING
FIXABLE = "unsafe"
DEFAULT = False  # opt-in: 1 of 9 right on prompts nobody tuned for; its wrong ones claimed large savings
OPTIONS = {"min-tokens": 1500, "max-instruction-share": 0.25, "min-share": 0.25, "min-sample-tokens": 300}

# the verbs as a prefix tree (`word_trie`): one alternation of 55 words tried in turn cost more than the
# rest of this rule; only whether a line matches is read
_IMPERATIVE = lazy_compile(
    r"^\s*(?:[-*•]|\d{1,3}[.)])?\s*(?:\*\*)?(?:please\s+)?" + word_trie(
        "do not|don't|never|always|make sure|ensure|use|write|output|include|avoid|give|list|extract|create|return|"
        "respond|answer|provide|keep|focus|think|consider|follow|read|identify|summarise|summarize|generate|explain|"
        "describe|add|remove|only|start|end|put|place|format|limit|ask|reply|check|note|remember|take|do|rate|"
        "determine|analyse|analyze|select|find|translate".split("|")) + r"\b", re.I)
_MODAL = lazy_compile(r"\b(?:you (?:must|should|will|need|are to|may not|cannot)|must|should|do not|don't|never)\b",
                    re.I, guard=True)
_EXAMPLE_SHARE = 0.4  # a run mostly made of few-shot examples is the prompt's design, not material


def check(doc, ctx):
    min_tokens = int(ctx.options["min-tokens"])
    if ctx.doc_tokens < min_tokens:
        return
    reported: list[Span] = []
    for finding, span in _by_roles(doc, ctx, min_tokens, reported):
        reported.append(span)
        yield finding
    for finding, span in _by_sections(doc, ctx, min_tokens):
        if not any(r.overlaps(span) for r in reported):
            yield finding


def _dominates(ctx, tokens: int, min_tokens: int) -> bool:
    return tokens >= min_tokens and tokens >= ctx.doc_tokens * float(ctx.options["min-share"])


def _by_roles(doc, ctx, min_tokens: int, reported: list[Span]):
    """Runs of reference material or noise, and sections of long samples."""
    model = document_model(doc)
    for span in model.spans(Role.REFERENCE, Role.NOISE):
        tokens = ctx.counter.count(doc.text[span.start : span.end])
        if not _dominates(ctx, tokens, min_tokens) or any(r.overlaps(span) for r in reported):
            continue
        if _output_schema(doc.text, span):
            continue  # the answer's required shape (a JSON schema after "Return ... this structure:"): instructions
        what = "reference material" if model.role_at(span) is Role.REFERENCE else "material the model has no use for"
        yield _report(doc, ctx, span, tokens, what), span
    for samples in _sample_sections(model):
        span = Span(samples[0].start, samples[-1].end)
        tokens = ctx.counter.count(doc.text[span.start : span.end])
        sizes = [ctx.counter.count(doc.text[s.start : s.end]) for s in samples]
        if (not _dominates(ctx, tokens, min_tokens) or sum(sizes) / len(sizes) < int(ctx.options["min-sample-tokens"])
                or any(r.overlaps(span) for r in reported)):
            continue
        edits = [Edit(Span(s.start, _line_after(doc.text, s.end)), "") for s in samples[1:]]
        yield _report(doc, ctx, span, tokens, f"{len(samples)} long samples", edits=edits,
                      keep_one=tokens - sizes[0]), span


def _sample_sections(model) -> list[list[Span]]:
    """Each run of example blocks cut into samples at its headings, tags and rules (`---`); a sample's
    span starts at the boundary that opens it, so removing it leaves no empty heading behind."""
    runs: list[list[Span]] = []
    samples: list[Span] | None = None
    boundary: int | None = None  # where the heading, tag or rule opening the next sample starts
    for block in model.blocks:
        if block.role is not Role.EXAMPLE:
            if samples:
                runs.append(samples)
            samples, boundary = None, None
            continue
        if samples is None:
            samples = []
        if block.kind in ("heading", "tag", "rule"):
            boundary = block.span.start if boundary is None else boundary
            continue
        if boundary is not None or not samples:
            samples.append(Span(block.span.start if boundary is None else boundary, block.span.end))
            boundary = None
        else:
            samples[-1] = Span(samples[-1].start, block.span.end)
    if samples:
        runs.append(samples)
    return [run for run in runs if len(run) >= 2]


def _line_after(text: str, end: int) -> int:
    """The end of the sample's last line and the blank lines after it."""
    while end < len(text) and text[end] == "\n":
        end += 1
    return end


def _report(doc, ctx, span: Span, tokens: int, what: str, edits: list[Edit] | None = None,
            keep_one: int | None = None):
    first, last = _line(doc, span.start), _line(doc, max(span.start, span.end - 1))
    line_end = doc.text.find("\n", span.start)
    return ctx.report(
        doc, Span(span.start, span.end if line_end == -1 else min(line_end, span.end)),
        f"lines {first}-{last} are {tokens:,} tokens of {what} ({tokens / ctx.doc_tokens:.0%} of the prompt), "
        + levers(ctx, doc, span, tokens, keep_one), edits=edits, applicability=Applicability.UNSAFE,
        fix_title="Keep the first sample", fix_scope="examples", tokens_saved=0 if not edits else None)


def _by_sections(doc, ctx, min_tokens: int):
    share = float(ctx.options["max-instruction-share"])
    for span, tokens in _material_runs(doc, ctx, share):
        if tokens < min_tokens or tokens < ctx.doc_tokens * float(ctx.options["min-share"]):
            continue  # material that does not dominate the prompt is its business
        if _rules_share(doc.text[span.start : span.end]) >= share:
            continue  # numbered rules ("3.1 A type name is global...") and the answer's schema: instructions
        if _example_share(doc, span) >= _EXAMPLE_SHARE:
            continue
        if not _text_around(doc, span):
            continue  # nothing around it: the whole prompt reads this way (a spec in prose), not pasted
        yield _report(doc, ctx, span, tokens, "material with almost no instructions"), span


def instructing_share(text: str) -> float:
    """The share of a text's non-blank lines that instruct (an imperative or a modal)."""
    lines = [line for line in text.split("\n") if line.strip()]
    return sum(bool(_IMPERATIVE.match(line) or _MODAL.search(line) or is_imperative(line.strip()))
               for line in lines) / max(1, len(lines))


# a numbered rule, however it is worded ("8.1 Every node type should...", "9. UNIQUENESS (optional):")
_NUMBERED_RULE = lazy_compile(r"\s*\d{1,3}(?:\.\d{1,3})*[.)]?\s+\S")
# a line of a JSON or YAML structure: a brace, a bracket, a quoted key, an ellipsis standing for more
_STRUCTURE_LINE = lazy_compile(r"\s*(?:[{}\[\]\"]|\.\.\.|…)")
_OUTPUT_LEAD = lazy_compile(r"\b(?:return|output|respond|answer|structure|schema|format)\b[^\n]*:\s*$", re.I)


def _rules_share(text: str) -> float:
    """The share of a run's lines that instruct, numbered rules counted as instructions and the lines of a
    structure (the answer's schema) left out: a rules section with its output schema is what the prompt
    asks, however few of its lines open with a verb."""
    lines = [line for line in text.split("\n") if line.strip() and not _STRUCTURE_LINE.match(line)]
    return sum(bool(_NUMBERED_RULE.match(line)) or instructing_share(line) > 0 for line in lines) / max(1, len(lines))


def _output_schema(text: str, span: Span) -> bool:
    """A structure (mostly brace, bracket and quoted-key lines) that a line announcing the answer's shape
    leads into ("Return a valid JSON object that follows this structure:"): the output specification."""
    lines = [line for line in text[span.start : span.end].split("\n") if line.strip()]
    if not lines or sum(bool(_STRUCTURE_LINE.match(line)) for line in lines) < 0.6 * len(lines):
        return False
    before = [line for line in text[: span.start].split("\n")[-3:] if line.strip()]
    lead = lines[0] if _OUTPUT_LEAD.search(lines[0]) else (before[-1] if before else "")
    return bool(_OUTPUT_LEAD.search(lead))


def _material_runs(doc, ctx, share: float):
    """(span, tokens) of each run of consecutive heading sections that barely instruct."""
    starts = sorted({0, *(s.span.start for s in doc.segments_of(SegmentKind.HEADING))})
    bounds = starts + [len(doc.text)]
    run_start = run_end = None
    for start, end in zip(bounds, bounds[1:], strict=False):
        lines = [line for line in doc.text[start:end].split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) > 2 and instructing_share(doc.text[start:end]) < share:
            run_start = start if run_start is None else run_start
            run_end = end
            continue
        if run_start is not None:
            yield Span(run_start, run_end), ctx.counter.count(doc.text[run_start:run_end])
            run_start = None
    if run_start is not None:
        yield Span(run_start, run_end), ctx.counter.count(doc.text[run_start:run_end])


_TO_THE_MODEL = lazy_compile(r"\b(?:you|your)\b", re.I)  # "You extract insights": the prompt's own line


def _text_around(doc, span: Span) -> bool:
    """Whether the prompt has instructions of its own outside the run: a line that instructs or speaks to
    the model, not in an example, quoted or reference block. A string that holds only material and its
    samples is the material itself, handed to a prompt elsewhere (a `{research_summary}` slot), not a
    prompt carrying it."""
    data = data_spans(doc)
    offset = 0
    own = []
    for line in doc.text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if (line.strip() and not span.start <= start < span.end and heading_title(line) is None
                and not any(d.start <= start < d.end for d in data)):
            own.append(line)
    return instructing_share("\n".join(own)) > 0 or any(_TO_THE_MODEL.search(line) for line in own)


def _example_share(doc, span: Span) -> float:
    covered = sum(min(e.span.end, span.end) - max(e.span.start, span.start)
                  for e in examples(doc) if e.span.overlaps(span))
    return covered / max(1, span.end - span.start)


def _line(doc, offset: int) -> int:
    return doc.line_col(doc.locate(offset))[0]
