"""The cuts `optimize` tries, each one lever on a prompt's text (pure functions: text in, text out).

None of these is safe on its own: each removes something a model may need. That is why every one
is a candidate for the eval, never a fix applied on faith.

- examples: keep k of n few-shot examples, the most informative first (one per label, then the ones
  whose words differ most from those kept, as PO205 picks them), down to zero-shot;
- restated rules: the audit's fixes for rules said twice (PO101-PO104, PO302), unsafe ones included,
  each checked by the guard;
- pasted material: the stretch PO503 flags, dropped, or trimmed to its first third;
- prose: LLMLingua at sentence level on the descriptive prose (rule sentences are kept whole);
- brevity: one sentence asking for the shortest answer, placed before the examples;
- answer cap: ``max_tokens`` from the observed answers (the shortest prefix of each passing answer
  that still passes).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import Segment, SegmentKind

RESTATED_RULE_CODES = frozenset({"PO101", "PO102", "PO103", "PO104", "PO302"})
MATERIAL_CODE = "PO503"
BREVITY_SENTENCE = "Keep the answer as short as possible: no explanation, no repetition of the question."
ANSWER_CAP_MARGIN = 2  # tokens past the longest answer the cases need, so a slightly longer one still fits
_LINES = re.compile(r"lines (\d+)-(\d+)")


def _document(text: str, path: Path):
    from ..loaders import load_source

    documents = load_source(path, text)
    return documents[0] if documents else None


def examples_of(text: str, path: Path = Path("prompt.txt")) -> list[Segment]:
    doc = _document(text, path)
    return doc.segments_of(SegmentKind.EXAMPLE) if doc is not None else []


def informative_order(text: str, path: Path = Path("prompt.txt")) -> list[str]:
    """The examples' texts, most informative first: the labels (short answers) take turns, so any
    first k keep the labels balanced (a 135M model copies the majority label of its examples);
    within a label, PO205's order (the ones whose words differ most from those kept first)."""
    from ..analyzers._examples import part
    from ..analyzers.too_many_examples import diverse_subset

    doc = _document(text, path)
    if doc is None:
        return []
    found = doc.segments_of(SegmentKind.EXAMPLE)
    diverse: list[int] = []
    for limit in range(1, len(found) + 1):  # diverse_subset(k) grows by one example per step
        diverse += sorted(diverse_subset(doc, found, limit) - set(diverse))
    by_label: dict[str, list[int]] = {}
    for i in diverse:
        answer = part(doc, found[i], "output").lower()
        by_label.setdefault(answer if len(answer.split()) <= 3 else f"#{i}", []).append(i)
    order: list[int] = []
    while any(by_label.values()):
        for queue in by_label.values():
            if queue:
                order.append(queue.pop(0))
    return [found[i].text for i in order]


def keep_examples(text: str, keep: list[str], path: Path = Path("prompt.txt")) -> str:
    """The text with only the examples whose text is in ``keep`` (in their original order)."""
    from ..analyzers.duplicate_example import _delete_example

    doc = _document(text, path)
    if doc is None:
        return text
    wanted = set(keep)
    edits = [_delete_example(doc, ex) for ex in doc.segments_of(SegmentKind.EXAMPLE) if ex.text not in wanted]
    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        text = text[: edit.span.start] + edit.replacement + text[edit.span.end :]
    return text


def _audit(text: str, path: Path):
    from ..config import for_rewriting, load_config
    from ..engine import Auditor

    config = for_rewriting(load_config(path.parent if path.parent != Path() else Path.cwd()))
    return Auditor(config).audit_source(path, text)


def without_restated_rules(text: str, path: Path = Path("prompt.txt")) -> tuple[str, list[str]]:
    """The audit's fixes for restated rules, applied where the guard accepts them: (text, codes)."""
    from ..fixes import apply_once, guarded_accept

    result = _audit(text, path)
    findings = [f for f in result.findings if f.code in RESTATED_RULE_CODES and f.fix is not None]
    if not findings:
        return text, []
    new, applied, _rejected = apply_once(text, findings, unsafe=True, accept=guarded_accept(path, text))
    return new, sorted({f.code for f in applied})


def material_cuts(text: str, path: Path = Path("prompt.txt")) -> list[tuple[str, str]]:
    """(name, text) for each stretch of pasted material PO503 flags: dropped, and trimmed to a third."""
    lines = text.split("\n")
    cuts = []
    for finding in _audit(text, path).findings:
        match = _LINES.search(finding.message) if finding.code == MATERIAL_CODE else None
        if not match:
            continue
        first, last = int(match.group(1)) - 1, int(match.group(2))
        kept = max(1, (last - first) // 3)
        cuts.append((f"material lines {first + 1}-{last} trimmed to {kept}",
                     "\n".join(lines[: first + kept] + lines[last:])))  # fmt: skip
        cuts.append((f"material lines {first + 1}-{last} dropped", "\n".join(lines[:first] + lines[last:])))
    return cuts


def compressed_prose(text: str, rate: float = 0.5) -> tuple[str, int]:
    """LLMLingua at sentence level on the prose sentences: (text, sentences dropped)."""
    from ..compressors.llmlingua import compress_with_llmlingua

    result = compress_with_llmlingua(text, rate=rate, level="sentence", progress=lambda _message: None)
    return result.compressed, sum(e.status == "dropped" for e in result.edits)


def with_brevity(text: str, path: Path = Path("prompt.txt")) -> str:
    """One sentence asking for a short answer, before the first example (or at the end of the
    instructions when there is none): a completion-style prompt keeps its final cue last."""
    found = examples_of(text, path)
    if found:
        at = text.rfind("\n", 0, found[0].span.start) + 1
        return text[:at] + BREVITY_SENTENCE + "\n\n" + text[at:]
    paragraphs = text.rstrip("\n").split("\n\n")
    if len(paragraphs) > 1 and text.rstrip().endswith(":"):  # keep the cue (`Answer:`) last
        paragraphs.insert(len(paragraphs) - 1, BREVITY_SENTENCE)
        return "\n\n".join(paragraphs) + text[len(text.rstrip("\n")) :]
    return text.rstrip("\n") + "\n\n" + BREVITY_SENTENCE + "\n"


def needed_answer_tokens(answer: str, passes, count) -> int:
    """Tokens of the shortest prefix of ``answer`` (whole words) that still ``passes``."""
    words = re.findall(r"\S+\s*", answer)
    leading = answer[: len(answer) - len(answer.lstrip())]
    prefix = leading
    for word in words:
        prefix += word
        if passes(prefix):
            return count(prefix.rstrip())
    return count(answer)


def answer_cap(needed: list[int]) -> int | None:
    """max_tokens for answers that need at most these many tokens; None without any passing answer."""
    return max(needed) + ANSWER_CAP_MARGIN if needed else None
