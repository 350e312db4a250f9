"""`promptopt compress`: rewrite prompts with the rules or LLMLingua, every rewrite guard-checked.

Registered on the main group by promptopt/cli.py. Imports stay light here: the engine, the rules
and (for `--method llmlingua`) torch are imported when the command runs.

Exit codes: 0 done, 1 with --diff when a file would change, 2 promptopt could not do its job.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

LINGUA_CODE = "LLMLINGUA"  # rejections of a model rewrite are reported under this code
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")


def _fail(message: str) -> None:
    click.echo(f"promptopt: error: {message}", err=True)
    sys.exit(2)


@dataclass
class Target:
    path: Path
    output: Path | None  # where -o sends it


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(["rules", "llmlingua"]), default="rules", show_default=True,
              help="Deterministic rule fixes, or LLMLingua on the prose (needs `promptopt setup`).")
@click.option("--rate", type=float, help="llmlingua: fraction of prose tokens to keep (default 0.5).")
@click.option("--target-tokens", type=int, help="llmlingua: token budget per prompt instead of a rate.")
@click.option("--lingua-model", help="llmlingua: Hugging Face model name or local folder (default SmolLM2-135M).")
@click.option("--lingua-level", type=click.Choice(["token", "sentence"]), default=None,
              help="llmlingua: delete tokens inside prose sentences (token, default) or drop whole "
                   "low-information prose sentences (sentence). Rules are never touched.")
@click.option("--unsafe", is_flag=True, help="rules: apply unsafe fixes too (prune examples, merge near-duplicates).")
@click.option("--write", is_flag=True, help="Rewrite the files in place (atomically).")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path),
              help="Write the result here instead (a file for one input, else a folder).")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; exit 1 when a file would change.")
@click.option("--side-by-side", is_flag=True, help="Show changes side by side instead of as a unified diff.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--model", help="Model whose tokenizer counts tokens; overrides the config.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this config file instead of the closest one.")
@click.option("--no-color", is_flag=True, help="Plain text output.")
@click.option("--verify", "verify_suite", type=click.Path(path_type=Path), metavar="SUITE",
              help="Keep the strongest compression whose eval on SUITE shows no regression.")
@click.option("--rates", help="--verify: LLMLingua rates to try on top of the rule result, e.g. 0.8,0.6,0.4.")
@click.option("--max-drop", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="--verify: largest allowed drop of the mean score.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="--verify: confidence of the regression test.")
@click.option("--repeat", type=click.IntRange(min=1), help="--verify: calls per case (default: the suite's).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="--verify: eval answer cache folder.")
@click.option("--no-cache", is_flag=True, help="--verify: neither read nor write the eval answer cache.")
def compress_command(paths, method, rate, target_tokens, lingua_model, unsafe, write, output, show_diff,
                     side_by_side, fmt, model, config_file, no_color, verify_suite=None, rates=None,
                     max_drop=0.0, confidence=0.95, repeat=None, cache_dir=None, no_cache=False,
                     lingua_level=None):
    """Rewrite prompts to use fewer tokens without changing what they say.

    Every rewrite is checked by the fidelity guard (placeholders, code, JSON, numbers, negations,
    modals, URLs, labels, names); a rejected one is reported with its reason and the text stays.
    With --method llmlingua only descriptive prose is compressed: a sentence that instructs
    (imperative, negation, modal, number) is kept whole. Without --write, -o or --diff nothing is
    written: the changes are shown. -o always writes (the original text when nothing was accepted).
    """
    from ..config import ConfigError, for_rewriting, load_config

    if sum(bool(x) for x in (write, output, show_diff)) > 1:
        _fail("choose one of --write, -o/--output and --diff")
    if method == "rules" and (rate is not None or target_tokens is not None or lingua_model or lingua_level):
        _fail("--rate, --target-tokens, --lingua-model and --lingua-level apply to --method llmlingua")
    if rate is not None and target_tokens is not None:
        _fail("give --rate or --target-tokens, not both")
    if rate is not None and not 0 < rate <= 1:
        _fail(f"--rate must be in (0, 1], got {rate}")
    if target_tokens is not None and target_tokens < 1:
        _fail("--target-tokens must be at least 1")
    if verify_suite is not None and lingua_level:
        _fail("--lingua-level applies without --verify")
    if verify_suite is not None:
        _verify(verify_suite, paths, method, rate, rates, target_tokens, lingua_model, unsafe, write, output,
                show_diff, fmt, model, config_file, max_drop, confidence, repeat, cache_dir, no_cache)
        return
    if rates or repeat or cache_dir or no_cache:
        _fail("--rates, --repeat, --cache-dir and --no-cache apply to --verify")
    paths = paths or (Path("."),)
    try:
        config = for_rewriting(load_config(paths[0], {"model": model}, config_file))
    except ConfigError as exc:
        _fail(str(exc))
    targets, errors = _targets(paths, config, output)
    color = fmt == "text" and not no_color and sys.stdout.isatty()
    from ..engine import Auditor

    auditor = Auditor(config)  # one per run: rules, options and the tokenizer are shared by every file
    results = []
    for target in targets:
        try:
            result = _compress_one(target.path, auditor, method, unsafe, rate, target_tokens, lingua_model,
                                   lingua_level or "token")
        except Exception as exc:  # one line, no traceback: a bad file, a missing model, a loop
            errors.append(f"{target.path}: {_one_line(exc)}")
            continue
        results.append(result)
        if output is not None:  # always: a script expects the file, changed or not
            result.written_to = target.output or target.path
            _write(result.written_to, result.text, errors)
        elif result.changed and write:
            result.written_to = target.path
            _write(target.path, result.text, errors)
    for error in errors:
        click.echo(f"promptopt: error: {error}", err=True)
    if fmt == "json":
        from ..redact import redact

        click.echo(redact(json.dumps(_json_report(results, method, unsafe), indent=2)))
    else:
        _text_report(results, show_diff, side_by_side, color, wrote=bool(write or output))
    if errors:
        sys.exit(2)
    sys.exit(1 if show_diff and any(r.changed for r in results) else 0)


def _verify(suite_path, paths, method, rate, rates, target_tokens, lingua_model, unsafe, write, output,
            show_diff, fmt, model, config_file, max_drop, confidence, repeat, cache_dir, no_cache) -> None:
    """`--verify SUITE`: every candidate is tried (safe, unsafe, per rule family, LLMLingua rates), so
    --unsafe is implied; exit 0 whether a candidate was kept or the original stays, 2 on errors."""
    from ..config import ConfigError, for_rewriting, load_config
    from ..evaluation.prompts import PromptFileError
    from ..evaluation.runner import EvalRunError
    from ..evaluation.suite import SuiteError
    from .verify import DEFAULT_RATES, VerifyError, VerifyRequest, parse_rates, run_verify

    if len(paths) > 1:
        _fail("--verify takes one prompt file (the suite's prompt)")
    if target_tokens is not None:
        _fail("--verify tries LLMLingua rates (--rates), not --target-tokens")
    try:
        chosen_rates = parse_rates(rates)
        if not chosen_rates and method == "llmlingua":
            chosen_rates = (rate,) if rate is not None else DEFAULT_RATES
        path = paths[0] if paths else None
        config = for_rewriting(load_config(path or suite_path.parent, {"model": model}, config_file))
        request = VerifyRequest(suite_path, path, config, chosen_rates, lingua_model, max_drop, confidence,
                                repeat, cache_dir, no_cache, write, output, show_diff, fmt)
        from ..redact import redact

        run_verify(request, lambda text: click.echo(redact(text), nl=False), _progress_printer())
    except (VerifyError, SuiteError, PromptFileError, EvalRunError, ConfigError) as exc:
        _fail(_one_line(exc))
    except KeyboardInterrupt:
        _fail("interrupted")
    except Exception as exc:  # the local model or LLMLingua failing to load: still one line
        _fail(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    if sys.stderr.isatty():
        click.echo("\r\033[K", err=True, nl=False)  # clear the progress line
    sys.exit(0)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _targets(paths, config, output: Path | None) -> tuple[list[Target], list[str]]:
    from ..engine import discover

    targets: list[Target] = []
    errors: list[str] = []
    for root in paths:
        for entry in discover([root], config):
            if isinstance(entry, tuple):
                errors.append(f"{entry[0]}: {entry[1]}")
                continue
            targets.append(Target(entry, None))
            if output is not None:
                base = root if root.is_dir() else root.parent
                targets[-1].output = output / entry.relative_to(base)
    if output is not None and len(targets) == 1 and not output.is_dir() and not paths[0].is_dir():
        targets[0].output = output  # one file in, one file out
    return targets, errors


def _write(path: Path, text: str, errors: list[str]) -> None:
    from ..atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as exc:
        errors.append(f"{path}: cannot write: {exc.strerror or exc}")


def _compress_one(path: Path, auditor, method: str, unsafe: bool, rate, target_tokens, lingua_model,
                  lingua_level: str = "token"):
    from ..loaders import read_text
    from .rules import compress_rules

    config = auditor.config
    source = read_text(path, config.max_file_size)
    if method == "rules":
        return compress_rules(path, source, config, unsafe, auditor=auditor)
    return compress_with_lingua(path, source, auditor, config, rate=rate, target_tokens=target_tokens,
                                model=lingua_model, level=lingua_level)


def compress_with_lingua(path: Path, source: str, auditor, config, *, rate=None, target_tokens=None,
                         model=None, progress=None, level="token"):
    """LLMLingua on the prose of each prompt of the file whose text sits in the file as is; the guard
    then checks each block (paragraph), so a block it rejects keeps its original text and the others
    are still used. ``result.paragraphs`` says what happened to each one."""
    from ..core import LoadError
    from ..engine import Auditor
    from ..fixes import declared_labels_of
    from ..loaders import load_source
    from .rules import CompressResult, Rejection, count_tokens

    auditor = auditor or Auditor(config)
    try:
        documents = load_source(path, source)
    except LoadError as exc:
        raise ValueError(str(exc)) from None
    labels = declared_labels_of(path, source)
    result = CompressResult(path, source, source, count_tokens(auditor, path, source), 0)
    replacements: list[tuple[int, int, str]] = []
    for doc in documents:
        start = _verbatim_start(doc)
        if start is None:
            result.rejected.append(Rejection(LINGUA_CODE, 1, doc.name,
                                             "prompt text is escaped in the file: not rewritten"))
            continue
        new_text = _lingua_document(doc, start, labels, result, rate, target_tokens, model, progress, level)
        if new_text != doc.text:
            replacements.append((start, start + len(doc.text), new_text))
    text = source
    for start, end, new in sorted(replacements, reverse=True):
        text = text[:start] + new + text[end:]
    result.text = text
    result.tokens_after = count_tokens(auditor, path, text)
    return result


def _verbatim_start(doc) -> int | None:
    """Where the prompt's text starts in the file, when it is there character for character."""
    if not doc.line_origins:
        return None
    start = doc.line_origins[0]
    return start if doc.source[start : start + len(doc.text)] == doc.text else None


def _lingua_document(doc, file_start, labels, result, rate, target_tokens, model, progress, level) -> str:
    """One LLMLingua pass over the prompt (rules kept whole, prose sentences cut or dropped), then the
    guard per paragraph: a paragraph whose edits it rejects keeps its text, the others are used."""
    from ..compressors.llmlingua import compress_with_llmlingua
    from ..guard import check_rewrite
    from .rules import Rejection

    text = doc.text
    report = progress or _progress_printer()
    report(f"{doc.path}: LLMLingua ({level} level)")
    edits = compress_with_llmlingua(text, rate=rate, target_tokens=target_tokens, model=model, level=level,
                                    progress=report).edits
    out: list[str] = []
    cursor = 0
    for start, end in _blocks(text):
        out.append(text[cursor:start])
        block = text[start:end]
        mine = [e for e in edits if start <= e.start < end]
        line = doc.line_col(file_start + start)[0]
        new_block = _apply_in_block(block, start, mine)
        reason = check_rewrite(block, new_block, labels=labels, scope=True)
        for edit in mine:
            if edit.status == "rejected":
                edit_line = doc.line_col(file_start + edit.start)[0]
                result.rejected.append(Rejection(LINGUA_CODE, edit_line, text[edit.start:edit.end][:60], edit.reason))
        if reason is not None:
            result.rejected.append(Rejection(LINGUA_CODE, line, block[:60], reason))
            new_block = block
        result.paragraphs.append(_paragraph_report(line, block, new_block, mine, reason))
        if new_block.strip():
            out.append(new_block)
        elif len(out) > 1:  # every sentence of it was dropped: its separator goes too
            out.pop()
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _apply_in_block(block: str, offset: int, edits) -> str:
    from dataclasses import replace

    from ..compressors.llmlingua import apply_edits

    return apply_edits(block, [replace(e, start=e.start - offset, end=e.end - offset) for e in edits])


def _paragraph_report(line: int, block: str, new_block: str, edits, guard_reason: str | None) -> dict:
    """What happened to one paragraph: its prose sentences kept, cut, dropped or rejected."""
    counts = {status: 0 for status in ("kept", "cut", "dropped", "rejected")}
    for edit in edits:
        counts[edit.status] += 1
    if guard_reason is not None:  # the guard refused the paragraph: every change in it is undone
        counts["rejected"] += counts["cut"] + counts["dropped"]
        counts["cut"] = counts["dropped"] = 0
    status = "rejected" if guard_reason else ("cut" if new_block != block else "kept")
    reasons = [e.reason for e in edits if e.status == "rejected"] + ([guard_reason] if guard_reason else [])
    return {"line": line, "status": status, "prose_sentences": counts, "chars_before": len(block),
            "chars_after": len(new_block), "reasons": reasons}


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans (between blank lines), skipping whitespace-only ones."""
    spans, cursor = [], 0
    for m in _BLOCK_BREAK.finditer(text):
        spans.append((cursor, m.start()))
        cursor = m.end()
    spans.append((cursor, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _progress_printer():
    """A one-line status on a terminal; silent otherwise (logs stay clean)."""
    if not sys.stderr.isatty():
        return lambda _message: None

    def show(message: str) -> None:
        click.echo(f"\r\033[K{message[:120]}", err=True, nl=False)

    return show


def _json_report(results, method: str, unsafe: bool) -> dict:
    files = []
    for r in results:
        files.append({
            "path": str(r.path),
            "tokens_before": r.tokens_before,
            "tokens_after": r.tokens_after,
            "saved_percent": round(100 * r.saved_fraction, 1),
            "changed": r.changed,
            "applied": [{"code": c.code, "line": c.line, "title": c.title} for c in r.applied],
            "rejected": [x.to_json() for x in r.rejected],
            "written": str(r.written_to) if r.written_to else None,
            **({"paragraphs": r.paragraphs} if method == "llmlingua" else {}),
        })
    before = sum(r.tokens_before for r in results)
    after = sum(r.tokens_after for r in results)
    return {"method": method, "unsafe": unsafe, "files": files,
            "totals": {"files": len(results), "changed": sum(r.changed for r in results),
                       "tokens_before": before, "tokens_after": after,
                       "saved_percent": round(100 * (before - after) / before, 1) if before else 0.0}}


def _text_report(results, show_diff: bool, side_by_side: bool, color: bool, wrote: bool) -> None:
    console = None
    if color:
        from rich.console import Console

        console = Console(highlight=False)
    summary_to_stderr = show_diff and not side_by_side
    for r in results:
        if r.changed and (not wrote or side_by_side):
            if side_by_side:
                _side_by_side(r, console)
            else:
                _unified(r, console)
        lines = [_summary_line(r)]
        lines += [f"  line {x.line}: {x.code} rejected by the guard: {x.reason}" for x in r.rejected]
        for line in lines:
            if summary_to_stderr:
                click.echo(line, err=True)
            elif console is not None:
                console.print(line, style="bold" if line is lines[0] else "yellow", markup=False)
            else:
                click.echo(line)
    before = sum(r.tokens_before for r in results)
    after = sum(r.tokens_after for r in results)
    if len(results) > 1:
        saved = f"{100 * (before - after) / before:.1f}%" if before else "0.0%"
        click.echo(f"total: {before:,} -> {after:,} tokens ({saved} saved) in {len(results)} files, "
                   f"{sum(r.changed for r in results)} changed", err=summary_to_stderr)


def _summary_line(r) -> str:
    if r.written_to is not None:
        verb = f"written to {r.written_to}" + ("" if r.changed else " (unchanged: the original text)")
    else:
        verb = "would change" if r.changed else "unchanged"
    return (f"{r.path}: {r.tokens_before:,} -> {r.tokens_after:,} tokens ({100 * r.saved_fraction:.1f}% saved), "
            f"{len(r.applied)} rewrite(s), {len(r.rejected)} rejected, {verb}")


def _unified(r, console) -> None:
    from ..redact import redact_pair

    original, text = redact_pair(r.original, r.text)
    diff = "".join(difflib.unified_diff(original.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=str(r.path), tofile=str(r.path)))
    if not diff.endswith("\n"):
        diff += "\n"
    if console is None:
        click.echo(diff, nl=False)
        return
    from rich.syntax import Syntax

    console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default", word_wrap=True))


def _side_by_side(r, console) -> None:
    """Changed lines only, old on the left and new on the right, with their line numbers."""
    from ..redact import redact_pair

    old, new = (side.splitlines() for side in redact_pair(r.original, r.text))
    rows: list[tuple[str, str, str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            left = (str(i1 + k + 1), old[i1 + k]) if i1 + k < i2 else ("", "")
            right = (str(j1 + k + 1), new[j1 + k]) if j1 + k < j2 else ("", "")
            rows.append((*left, *right))
    if console is not None:
        from rich.table import Table

        table = Table(title=str(r.path), show_lines=False, expand=True)
        table.add_column("#", justify="right", style="dim")
        table.add_column("before", style="red", overflow="fold", ratio=1)
        table.add_column("#", justify="right", style="dim")
        table.add_column("after", style="green", overflow="fold", ratio=1)
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    width = 60
    click.echo(f"=== {r.path}")
    for ln, left, rn, right in rows:
        click.echo(f"{ln:>5} {left[:width]:<{width}} | {rn:>5} {right[:width]}")


__all__ = ["compress_command", "compress_with_lingua"]
