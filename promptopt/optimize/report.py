"""The optimize report: one table row per candidate, the choice, and its confirmation (text or JSON)."""

from __future__ import annotations

import json

from .search import Candidate, OptimizeResult


def _dollars(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _interval(c: Candidate) -> str:
    if c.comparison is None:
        return "-"
    low, high = c.comparison.ci
    return f"{100 * c.comparison.difference:+.1f} ({100 * low:+.1f}..{100 * high:+.1f})"


def _row(c: Candidate, original: Candidate) -> list[str]:
    saved = 100 * (original.input_tokens - c.input_tokens) / original.input_tokens if original.input_tokens else 0
    verdict = c.verdict if c.comparison else c.note or c.verdict
    n = len(c.comparison.paired) if c.comparison else 0
    return [c.lever, c.name, f"{c.input_tokens:.0f} ({-saved:+.0f}%)", f"{c.output_tokens:.1f}",
            _dollars(c.dollars_per_month), _interval(c), f"{verdict}" + (f" [{c.cases} {n}]" if n else "")]


def text_report(result: OptimizeResult, seconds: float, written: str | None = None) -> str:
    o = result.original
    lines = [f"promptopt optimize: {result.suite.path} on {result.model}",
             f"cases: {result.pick_cases} to pick levers with, {result.holdout_cases} held out to confirm "
             f"(max drop {100 * (o_max_drop(result)):.0f} points, interval in points of mean score)"]  # fmt: skip
    if result.model.startswith("local/"):
        lines.append("note: the local 135M model is a smoke test of the pipeline, not a judge of prompt quality")
    per_month = result.requests_per_month
    lines.append(f"$/month at {result.price_model} prices" + (f", {per_month:,.0f} requests/month" if per_month
                                                               else " (no volume configured: see docs/cost.md)"))
    header = ["lever", "candidate", "input tokens", "output", "$/month", "difference (CI)", "verdict [cases n]"]
    rows = [["original", "the suite's prompt", f"{o.input_tokens:.0f}", f"{o.output_tokens:.1f}",
             _dollars(o.dollars_per_month), "", ""]]  # fmt: skip
    rows += [_row(c, o) for c in result.candidates]
    stopped = [c for c in result.candidates if c.comparison and c.note]
    if result.combination is not None and result.combination.comparison is not None:
        rows.append(_row(result.combination, o))
    if result.confirmed is not None:
        rows.append(_row(result.confirmed, result.original_held or o))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    widths[1] = min(widths[1], 60)
    for r in [header, *rows]:
        lines.append("  ".join(_cell(v, w) for v, w in zip(r, widths, strict=True)).rstrip())
    lines.append("")
    lines += _conclusion(result)
    lines += [f"note: {c.name}: {c.note}" for c in stopped]
    lines += [f"note: {n}" for n in result.notes]
    stats = result.stats
    per_case = stats.seconds / stats.real_calls if stats.real_calls else 0.0
    lines.append(f"{stats.real_calls} model call(s), {stats.cache_hits} from the cache; "
                 f"{stats.seconds:.1f} s in calls ({per_case:.3f} s per case called); {seconds:.1f} s in all")
    if written:
        lines.append(written)
    return "\n".join(lines) + "\n"


def o_max_drop(result: OptimizeResult) -> float:
    for c in [result.confirmed, result.combination, *result.candidates]:
        if c is not None and c.comparison is not None:
            return c.comparison.max_drop
    return 0.0


def _cell(value: str, width: int) -> str:
    return (value[: width - 1] + "…" if len(value) > width else value).ljust(width)


def _conclusion(result: OptimizeResult) -> list[str]:
    o, confirmed = result.original_held or result.original, result.confirmed
    if confirmed is None:
        return ["result: no verified saving; keep the original prompt"]
    saved_in = 100 * (o.input_tokens - confirmed.input_tokens) / o.input_tokens if o.input_tokens else 0.0
    saved_out = o.output_tokens - confirmed.output_tokens
    money = ""
    if o.dollars_per_month is not None and confirmed.dollars_per_month is not None:
        money = f", {_dollars(o.dollars_per_month - confirmed.dollars_per_month)}/month"
    settings = _settings(confirmed)
    what = (f"{confirmed.name}: input {o.input_tokens:.0f} -> {confirmed.input_tokens:.0f} tokens "
            f"({saved_in:.1f}% saved), output {o.output_tokens:.1f} -> {confirmed.output_tokens:.1f} "
            f"tokens ({saved_out:+.1f} saved){money}{settings}")  # fmt: skip
    comparison = confirmed.comparison
    if result.verified:
        return [f"result: verified on {len(comparison.paired)} held-out cases: {what} (tokens: means over "
                "the held-out cases, original and chosen alike)"]
    lines = [f"result: not verified on the {len(comparison.paired)} held-out cases ({comparison.verdict}): {what}"]
    power = comparison.power
    if comparison.verdict != "regression" and power.cases_needed:
        share = result.holdout_cases / max(1, result.pick_cases + result.holdout_cases)
        lines.append(f"{power.n} held-out cases can rule out a drop of {100 * power.ruled_out:.1f} points at best; "
                     f"ruling out {100 * comparison.max_drop:.0f} points needs about {power.cases_needed} held-out "
                     f"cases (about {round(power.cases_needed / max(0.01, share))} in the suite)")
    return lines


def _settings(c: Candidate) -> str:
    parts = []
    if c.max_tokens is not None:
        parts.append(f"max_tokens {c.max_tokens}")
    if c.model is not None:
        parts.append(f"model {c.model}")
    return f"; settings: {', '.join(parts)}" if parts else ""


def json_report(result: OptimizeResult, seconds: float, written: str | None = None) -> str:
    def candidate(c: Candidate | None) -> dict | None:
        if c is None:
            return None
        comparison = c.comparison
        return {
            "lever": c.lever, "name": c.name, "levers": c.parts if c.lever == "combination" else [c.lever],
            "input_tokens": round(c.input_tokens, 1), "output_tokens": round(c.output_tokens, 2),
            "dollars_per_month": None if c.dollars_per_month is None else round(c.dollars_per_month, 4),
            "max_tokens": c.max_tokens, "model": c.model, "note": c.note or None, "cases": c.cases,
            "verdict": c.verdict,
            "comparison": None if comparison is None else {
                "n": len(comparison.paired), "difference": comparison.difference, "ci": list(comparison.ci),
                "lost": comparison.lost, "gained": comparison.gained, "max_drop": comparison.max_drop,
                "confidence": comparison.confidence, "cases_needed": comparison.power.cases_needed,
            },
        }  # fmt: skip

    stats = result.stats
    data = {
        "suite": str(result.suite.path), "model": result.model, "price_model": result.price_model,
        "pick_cases": result.pick_cases, "holdout_cases": result.holdout_cases,
        "requests_per_month": result.requests_per_month, "verified": result.verified,
        "original": candidate(result.original), "candidates": [candidate(c) for c in result.candidates],
        "combination": candidate(result.combination), "confirmed": candidate(result.confirmed),
        "original_held_out": candidate(result.original_held),
        "chosen_text": result.confirmed.template.text if result.verified else None,
        "notes": result.notes, "written": written,
        "stats": {"real_calls": stats.real_calls, "cache_hits": stats.cache_hits,
                  "seconds_in_calls": round(stats.seconds, 2), "seconds": round(seconds, 2)},
    }  # fmt: skip
    return json.dumps(data, indent=2) + "\n"
