"""Text, JSON and Markdown for `promptopt cost` and `promptopt diff` (the pull-request comment)."""

from __future__ import annotations

import json

from ..redact import redact
from .diff import DiffReport, PromptChange
from .figures import NONE, count, money, percent, plural
from .projection import CostReport, PromptCost
from .render_offer import (
    change_offer_json,
    offer_json,
    offer_markdown,
    offer_text,
    optimization_json,
    verification_json,
)

MARKER = "<!-- promptopt-diff -->"
UNKNOWN = "unknown"


# ---------------------------------------------------------------- cost


def _cost_fields(p: PromptCost) -> dict:
    return {
        "path": p.path,
        "model": p.model,
        "encoding": p.encoding,
        "price_entry": p.price_key or None,
        "tokens_per_request": p.tokens,
        "cached_tokens_per_request": p.cached_tokens,
        "output_tokens_per_request": p.output_tokens,
        "cost_per_request": p.cost_per_request,
        "requests_per_month": p.requests_per_month,
        "monthly_cost": p.monthly_cost,
        "findings": p.findings,
        "tokens_saved_by_safe_fixes": p.tokens_saved,
        "saving_per_request": p.saving_per_request,
        "monthly_saving": p.monthly_saving,
        "unknown": p.unknown or None,
        "error": p.error,
        "sections": [
            {"section": s.section, "document": s.document or None, "line": s.line, "end_line": s.end_line,
             "tokens": s.tokens, "share": round(s.tokens / p.tokens, 4) if p.tokens else None,
             "monthly_cost": p.section_monthly(s.tokens), "role": s.role}
            for s in p.sections
        ],
        "caching": _caching_json(p),
    }


def _caching_json(p: PromptCost) -> dict | None:
    c = p.caching
    if not c.status:
        return None
    return {"status": c.status, "static_prefix_tokens": c.static_prefix_tokens, "minimum_tokens": c.minimum_tokens}


def _per_million(rate: float | None) -> str:
    return f"${(rate or 0.0) * 1e6:,.4g}"


def _listed(items: list[str], most: int = 5) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _caching_notes(report: CostReport) -> list[str]:
    """What `caching = true` did: the prompts it prices at the cached rate, and why it caches nothing in
    the others (a static prefix under the provider's minimum, a variable first, no cached rate)."""
    prompts = [p for p in report.prompts if p.caching.status and not p.error]
    notes = []
    for p in prompts:
        c = p.caching
        if c.status == "cached":
            notes.append(f"caching: {p.path}: {count(c.static_prefix_tokens)} of {count(p.tokens)} tokens (the "
                         f"static prefix) at the cached rate, {_per_million(c.cached_rate)} instead of "
                         f"{_per_million(c.input_rate)} per 1M input tokens")
        elif c.status == "no-discount":
            notes.append(f"caching: {p.path}: no cached rate known for {p.model}: its static prefix is priced at "
                         "the full input rate")
    under = [p for p in prompts if p.caching.status == "under-minimum"]
    for model, minimum in sorted({(p.model, p.caching.minimum_tokens) for p in under}):
        small = [f"{p.path} (static prefix {count(p.caching.static_prefix_tokens)} tokens)" for p in under
                 if (p.model, p.caching.minimum_tokens) == (model, minimum)]
        notes.append(f"caching: nothing cached in {_listed(small)}: under {model}'s caching minimum of "
                     f"{count(minimum)} tokens (the static prefix is the text before the first variable)")
    first = [p.path for p in prompts if p.caching.status == "no-prefix"]
    if first:
        notes.append(f"caching: nothing cached in {_listed(first)}: the prompt starts with a template variable, "
                     "so no prefix is the same on every request (rule PO502)")
    return notes


def cost_json(report: CostReport) -> str:
    data = {
        "prompts": [_cost_fields(p) for p in report.prompts],
        "totals": {
            "tokens_per_request": report.tokens,
            "tokens_saved_by_safe_fixes": report.tokens_saved,
            "monthly_cost": report.monthly_cost,
            "monthly_saving": report.monthly_saving,
            "prompts_without_monthly_cost": [p.path for p in report.unpriced],
        },
        "price_source": report.price_source,
    }
    return json.dumps(data, indent=2) + "\n"


def _cost_rows(report: CostReport) -> list[list[str]]:
    rows = []
    for p in report.prompts:
        if p.error:
            rows.append([p.path, p.model, "error", "", "", "", p.error])
            continue
        saving = f"{count(p.tokens_saved)} tok"
        if p.monthly_saving:
            saving += f" ({money(p.monthly_saving)}/mo)"
        rows.append(
            [
                p.path,
                p.model,
                count(p.tokens),
                money(p.cost_per_request) if p.cost_per_request is not None else UNKNOWN,
                count(p.requests_per_month),
                money(p.monthly_cost),
                saving,
            ]
        )
    return rows


_COST_HEAD = ["prompt", "model", "tokens/req", "$/req", "req/month", "$/month", "safe-fix saving"]


def _notes(report: CostReport) -> list[str]:
    notes = [f"{p.path}: {p.unknown}" for p in report.prompts if p.unknown and not p.error]
    no_volume = [
        p.path for p in report.prompts if not p.error and not p.unknown and p.requests_per_month is None
    ]
    if no_volume:
        notes.append(
            f"no volume configured for {plural(len(no_volume), 'prompt')}: set requests-per-day in "
            "[tool.promptopt.usage] (see docs/cost.md)"
        )
    notes.extend(_caching_notes(report))
    notes.append(f"prices: {report.price_source}")
    return notes


def _total_cost(report: CostReport) -> str:
    """A total over prompts with no volume is unknown, not $0."""
    if all(p.monthly_cost is None for p in report.prompts):
        return NONE
    return money(report.monthly_cost)


def cost_text(report: CostReport) -> str:
    rows = [_COST_HEAD, *_cost_rows(report)]
    total = [
        "total",
        "",
        count(report.tokens),
        "",
        "",
        _total_cost(report),
        f"{count(report.tokens_saved)} tok"
        + (f" ({money(report.monthly_saving)}/mo)" if report.monthly_saving else ""),
    ]
    rows.append(total)
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COST_HEAD))]
    right = {2, 3, 4, 5}
    lines = []
    for index, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0 or index == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    lines.extend(f"note: {n}" for n in _notes(report))
    return "\n".join(lines) + "\n"


def cost_markdown(report: CostReport) -> str:
    lines = [
        "| Prompt | Model | Tokens/request | $/request | Requests/month | $/month | Safe-fix saving |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in _cost_rows(report):
        row[0] = f"`{row[0]}`"
        lines.append("| " + " | ".join(row) + " |")
    lines.append(
        f"| **Total** | | **{count(report.tokens)}** | | | **{_total_cost(report)}** | "
        f"**{count(report.tokens_saved)} tok** |"
    )
    lines.append("")
    lines.extend(f"- {n}" for n in _notes(report))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- diff


def headline(report: DiffReport) -> str:
    if report.priced and (report.monthly_before or report.monthly_after):
        delta = report.monthly_delta
        if round(delta, 2) == 0:
            return "Projected monthly cost unchanged"
        direction = "up" if delta > 0 else "down"
        pct = f" ({percent(report.monthly_percent)})" if report.monthly_percent is not None else ""
        return f"Projected monthly cost {direction} {money(abs(delta))}{pct}"
    delta_tokens = report.tokens_after - report.tokens_before
    if delta_tokens == 0:
        return "Prompt tokens per request unchanged"
    direction = "up" if delta_tokens > 0 else "down"
    pct = f" ({percent(report.token_percent)})" if report.token_percent is not None else ""
    return f"Prompt tokens per request {direction} {abs(delta_tokens):,}{pct}"


def _arrow(before: str, after: str, change: PromptChange) -> str:
    if change.status == "added":
        return after
    if change.status == "removed":
        return f"~~{before}~~"
    return f"{before} → {after}"


def _secrets(change: PromptChange) -> list[str]:
    """What PO801 found in a change: another rule's quote of the same line must not show it either."""
    found = change.introduced + change.fixed + [f for pair in change.changed for f in pair if f is not None]
    return [f.snippet for f in found if f.code == "PO801" and f.snippet]


def _quote(f, known: list[str]) -> str:
    """A finding's snippet as reports show it: masked before it is cut short, a secret never whole."""
    return redact(f.snippet, known)


def _finding_line(kind: str, f, known: list[str] = ()) -> str:
    snippet = " ".join(_quote(f, list(known)).split())
    if len(snippet) > 80:
        snippet = snippet[:77] + "..."
    quoted = f': "{snippet}"' if snippet else ""
    return f"- {kind} `{f.code}` {f.name} (line {f.location.line}){quoted}"


MAP_TOP = 3


def _token_map_lines(c: PromptChange) -> list[str]:
    """Where the head side's tokens go: its costliest sections, with their change since the base."""
    side = c.after
    if side is None or side.error or len(side.sections) < 2 or not side.tokens:
        return []
    from ..tokenmap import display_name, largest

    before = {}
    if c.before is not None and not c.before.error:
        for s in c.before.sections:
            before[display_name(s)] = before.get(display_name(s), 0) + s.tokens
    parts = []
    top = largest(side.sections, MAP_TOP)
    for s in top:
        figures = [f"{s.tokens / side.tokens:.0%}"]
        monthly = side.section_monthly(s.tokens)
        if monthly is not None:
            figures.append(f"{money(monthly)}/month")
        name = display_name(s)
        if name in before and before[name] != s.tokens:
            figures.append(f"{count(s.tokens - before[name], signed=True)} tokens")
        elif name not in before and c.before is not None:
            figures.append("new")
        parts.append(f"`{name}` {count(s.tokens)} tokens ({', '.join(figures)})")
    if len(top) < len(side.sections):
        rest = max(side.tokens - sum(s.tokens for s in top), 0)
        parts.append(f"{plural(len(side.sections) - len(top), 'other section')} {count(rest)} tokens "
                     f"({rest / side.tokens:.0%})")
    return ["- where the tokens go: " + "; ".join(parts)]
def _was(before, known: list[str]) -> str:
    """What a changed finding was at the base: its old message, or why it is new on unchanged text."""
    if before is None:
        return "on text this change left as it was; not reported at the base"
    return f"was: {redact(before.message, known)}"


def diff_markdown(report: DiffReport) -> str:
    if not report.changes:
        return ""
    lines = [MARKER, f"### promptopt: {headline(report)}", ""]
    summary = (
        f"{plural(len(report.changes), 'prompt')} changed: "
        f"**{report.tokens_before:,} → {report.tokens_after:,}** prompt tokens per request"
    )
    if report.priced:
        summary += f", **{money(report.monthly_before)} → {money(report.monthly_after)}** per month"
    lines += [summary + f" (`{report.base}` → `{report.head}`).", ""]
    lines += [
        "| Prompt | Model | Tokens/request | Monthly cost | Change |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for c in report.changes:
        name = f"`{c.path}`" + (f" ({c.status})" if c.status != "changed" else "")
        if c.error:
            lines.append(f"| {name} | {c.model} | error | | {c.error} |")
            continue
        tokens = _arrow(count(c.tokens_before), count(c.tokens_after), c)
        monthly = _arrow(money(c.monthly_before), money(c.monthly_after), c)
        if c.monthly_delta is not None and c.monthly_before:
            change = (
                f"{money(c.monthly_delta, signed=True)} ({percent(100 * c.monthly_delta / c.monthly_before)})"
            )
        elif c.monthly_delta is not None:
            change = money(c.monthly_delta, signed=True)
        else:
            change = f"{count(c.token_delta, signed=True)} tokens"
        lines.append(f"| {name} | {c.model} | {tokens} | {monthly} | {change} |")
    lines.append("")
    lines += offer_markdown(report)
    lines += [
        "<details>",
        f"<summary>Details: {plural(report.fixed, 'finding')} fixed, {report.introduced:,} introduced"
        + (f", {report.changed:,} changed" if report.changed else "") + "</summary>",
        "",
    ]
    for c in report.changes:
        lines.append(f"#### `{c.path}`")
        side = c.after or c.before
        if side and not side.error:
            per_request = _arrow(
                money(c.before.cost_per_request) if c.before else "",
                money(c.after.cost_per_request) if c.after else "",
                c,
            )
            lines.append(
                f"- {count(c.tokens_before)} → {count(c.tokens_after)} tokens per request "
                f"({count(c.token_delta, signed=True)}); {per_request} per request"
                + (
                    f" at {count(side.requests_per_month)} requests per month"
                    if side.requests_per_month
                    else ""
                )
            )
            if side.unknown:
                lines.append(f"- monthly cost unknown: {side.unknown}")
            elif side.requests_per_month is None:
                lines.append("- monthly cost unknown: no volume configured in `[tool.promptopt.usage]`")
        lines += _token_map_lines(c)
        known = _secrets(c)
        lines += [_finding_line("fixed", f, known) for f in c.fixed]
        lines += [_finding_line("introduced", f, known) for f in c.introduced]
        lines += [f"- changed `{after.code}` {after.name} (line {after.location.line}): "
                  f"{redact(after.message, known)} ({_was(before, known)})" for before, after in c.changed]
        lines.append("")
    lines += [f"Prices: {report.price_source}. Volumes: `[tool.promptopt.usage]`.", "", "</details>", ""]
    return "\n".join(lines)


def diff_text(report: DiffReport) -> str:
    if not report.changes:
        return f"No prompt file changed between {report.base} and {report.head}.\n"
    lines = [headline(report)]
    for c in report.changes:
        if c.error:
            lines.append(f"  {c.path} ({c.status}): error: {c.error}")
            continue
        money_part = ""
        if c.monthly_delta is not None:
            money_part = f", {money(c.monthly_before)} -> {money(c.monthly_after)}/month"
        lines.append(
            f"  {c.path} ({c.status}): {c.tokens_before:,} -> {c.tokens_after:,} tokens/request{money_part}, "
            f"{plural(len(c.fixed), 'finding')} fixed, {len(c.introduced):,} introduced"
            + (f", {len(c.changed):,} changed" if c.changed else "")
        )
        for f in c.introduced:
            lines.append(f"    introduced {f.code} line {f.location.line}: {redact(f.message, _secrets(c))}")
        for before, f in c.changed:
            lines.append(f"    changed {f.code} line {f.location.line}: {redact(f.message, _secrets(c))} "
                         f"({_was(before, _secrets(c))})")
    lines += offer_text(report)
    return "\n".join(lines) + "\n"


def diff_json(report: DiffReport) -> str:
    def finding(f, known: list[str]) -> dict:
        return {
            "code": f.code,
            "name": f.name,
            "line": f.location.line,
            "message": redact(f.message, known),
            "snippet": _quote(f, known),
        }

    data = {
        "base": report.base,
        "head": report.head,
        "headline": headline(report) if report.changes else "",
        "tokens_before": report.tokens_before,
        "tokens_after": report.tokens_after,
        "monthly_before": report.monthly_before,
        "monthly_after": report.monthly_after,
        "monthly_delta": report.monthly_delta,
        "monthly_percent": report.monthly_percent,
        "changes": [
            {
                "path": c.path,
                "old_path": c.old_path,
                "status": c.status,
                "before": _cost_fields(c.before) if c.before else None,
                "after": _cost_fields(c.after) if c.after else None,
                "monthly_delta": c.monthly_delta,
                "introduced": [finding(f, _secrets(c)) for f in c.introduced],
                "fixed": [finding(f, _secrets(c)) for f in c.fixed],
                "changed": [{**finding(f, _secrets(c)), "was": redact(b.message, _secrets(c)) if b else None}
                            for b, f in c.changed],
                "offer": change_offer_json(c),
                "verification": verification_json(c.verification),
                "optimization": optimization_json(c.optimization),
            }
            for c in report.changes
        ],
        "offer": offer_json(report),
        "price_source": report.price_source,
    }
    return json.dumps(data, indent=2) + "\n"
