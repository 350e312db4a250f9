"""The "saving on offer" part of `promptopt diff` in Markdown, text and JSON: what the fixes would still save
in the prompts the pull request touched, the findings worth most, and the verified compression, if any."""

from __future__ import annotations

import shlex

from .diff import DiffReport, PromptChange
from .figures import count, money, plural
from .offer import FindingWorth, SavingOffer
from .verified import CHOSEN, FAILED, NONE_HELD, NOT_RUN, Verification

NO_SUITE = ("no eval suite is mapped to these prompts (`eval-suites` in the config), so no eval ran and no "
            "compression was verified")


def fix_command(report: DiffReport, unsafe: bool) -> str | None:
    """One `promptopt audit --fix` over every prompt with something to take, run at the repository's root."""
    paths = [o.path for o in report.offers if (o.unsafe_tokens if unsafe else o.safe_tokens) > 0]
    if not paths:
        return None
    parts = ["promptopt", "audit", "--fix", *(["--unsafe-fixes"] if unsafe else [])]
    if report.config_arg:
        parts += ["--config", report.config_arg]
    return shlex.join([*parts, *paths])


def _tokens_and_money(tokens: int, monthly: float | None) -> str:
    text = f"{count(-tokens, signed=True) if tokens else '0'} tokens/request"
    return text + (f", {money(monthly)}/month" if monthly is not None and tokens else "")


def _headline(report: DiffReport) -> str:
    """"$285 per month with the safe fixes, $540 more needing review" (in tokens when no $ is known)."""
    priced = report.safe_monthly is not None and report.unsafe_monthly is not None
    safe = f"{money(report.safe_monthly)} per month" if priced else f"{plural(report.safe_tokens, 'token')} per request"
    if not report.unsafe_tokens:
        return f"{safe} with the safe fixes"
    if not report.safe_tokens:
        unsafe = (f"{money(report.unsafe_monthly)} per month" if priced
                  else f"{plural(report.unsafe_tokens, 'token')} per request")
        return f"{unsafe}, with fixes that need review"
    more = money(report.unsafe_monthly) if priced else f"{report.unsafe_tokens:,}"
    return f"{safe} with the safe fixes, {more} more needing review"


def _finding_text(f: FindingWorth) -> str:
    kind = "unsafe fix: needs review" if f.unsafe else "safe fix"
    return f"{_tokens_and_money(f.tokens_saved, f.monthly_saving)} ({kind})"


def _where(f: FindingWorth, report: DiffReport) -> str:
    url = report.link(f.path, f.line)
    label = f"`{f.path}` line {f.line}"
    return f"[{label}]({url})" if url else label


def _verification_line(v: Verification, markdown: bool) -> str:
    code = (lambda text: f"`{text}`") if markdown else (lambda text: text)
    head = f"{code(v.path)} against {code(v.suite)}"
    if v.status == NOT_RUN:
        return f"{head}: mapped, not run (`promptopt diff --verify` runs it); no compression verified"
    if v.status == FAILED:
        return f"{head}: the eval did not complete, nothing verified: {v.reason}"
    ran = f"{head} ({plural(v.cases, 'case')} on {code(v.model)})"
    if v.status == NONE_HELD:
        return f"{ran}: no compression kept: {v.reason}"
    saved = v.tokens_before - (v.tokens_after or 0)
    share = f" ({-100 * saved / v.tokens_before:+.1f}%)" if v.tokens_before else ""
    monthly = f", {money(v.monthly_saving)}/month" if v.monthly_saving is not None else ""
    scores = ""
    if v.score_before is not None and v.score_after is not None:
        scores = (f": score {v.score_before:.3f} → {v.score_after:.3f}, {plural(v.lost, 'case')} lost, "
                  f"{v.gained:,} gained")
    paired = ("" if v.eval_verdict in ("", "pass") else
              f"; on {plural(v.cases, 'case')} the paired test is {v.eval_verdict}: it cannot rule out a drop")
    apply = f" Apply it: {code(v.command)}"
    return (f"{ran}: {code(v.candidate)} ({v.description}), {v.tokens_before:,} → {v.tokens_after:,} tokens per "
            f"request{share}{monthly}; verdict pass{scores}{paired}.{apply}")


def _evals_ran(report: DiffReport) -> bool:
    """An eval that ran (`--verify`) is reported even when the offer is under `--min-saving`."""
    return any(v.status != NOT_RUN for v in report.verifications)


def offer_markdown(report: DiffReport) -> list[str]:
    if not report.offers:
        return []
    if not report.show_offer:
        return _verification_markdown(report) if _evals_ran(report) else []
    lines: list[str] = []
    offered = [o for o in report.offers if o.safe_tokens or o.unsafe_tokens]
    if not offered:
        lines += ["No fix on offer in the changed prompts.", *(f"No figure for `{o.path}`: {o.error}"
                                                            for o in report.offers if o.error), ""]
    else:
        lines += [f"#### Saving on offer: {_headline(report)}", "",
                  "| Prompt | Safe fixes | Unsafe fixes (need review) |", "| --- | ---: | ---: |"]
        for o in offered:
            lines.append(f"| `{o.path}` | {_tokens_and_money(o.safe_tokens, o.safe_monthly)} | "
                         f"{_tokens_and_money(o.unsafe_tokens, o.unsafe_monthly)} |")
        lines.append("")
        safe, unsafe = fix_command(report, False), fix_command(report, True)
        if safe:
            lines.append(f"- Apply the safe fixes: `{safe}`")
        if unsafe:
            review = unsafe.replace(" --fix ", " --diff ", 1)
            lines.append(f"- The unsafe fixes change what a prompt says: read them with `{review}`, "
                         f"then apply with `{unsafe}`")
        for o in report.offers:
            if o.error:
                lines.append(f"- No figure for `{o.path}`: {o.error}")
        if report.offer_unpriced:
            lines.append(f"- No monthly figure for {', '.join(f'`{p}`' for p in report.offer_unpriced)}: "
                         "no price or no volume (`[tool.promptopt.usage]`)")
        top = report.top_findings
        if top:
            lines += ["", f"Worth most ({plural(len(top), 'finding')}, each fix measured alone):"]
            lines += [f"{i}. `{f.code}` {f.name}, {_where(f, report)}: {_finding_text(f)}"
                      for i, f in enumerate(top, 1)]
        lines.append("")
    lines += _verification_markdown(report)
    return lines


def _verification_markdown(report: DiffReport) -> list[str]:
    shown = report.verifications
    if not shown:
        return [f"**Verified compression:** none: {NO_SUITE}.", ""]
    if len(shown) == 1:
        return [f"**Verified compression:** {_verification_line(shown[0], True)}", ""]
    return ["**Verified compression:**", *(f"- {_verification_line(v, True)}" for v in shown), ""]


def offer_text(report: DiffReport) -> list[str]:
    if not report.offers or not (report.show_offer or _evals_ran(report)):
        return []
    lines = _saving_text(report) if report.show_offer else []
    shown = report.verifications
    if not shown:
        lines.append(f"Verified compression: none: {NO_SUITE.replace('`', '')}")
    lines += [f"Verified compression: {_verification_line(v, False)}" for v in shown]
    return lines


def _saving_text(report: DiffReport) -> list[str]:
    offered = [o for o in report.offers if o.safe_tokens or o.unsafe_tokens]
    if not offered:
        return ["No fix on offer in the changed prompts.",
                *(f"  no figure for {o.path}: {o.error}" for o in report.offers if o.error)]
    lines = [f"Saving on offer: {_headline(report)}"]
    for o in offered:
        lines.append(f"  {o.path}: safe fixes {_tokens_and_money(o.safe_tokens, o.safe_monthly)}; "
                     f"unsafe fixes {_tokens_and_money(o.unsafe_tokens, o.unsafe_monthly)} (need review)")
    for label, unsafe in (("apply", False), ("after review", True)):
        command = fix_command(report, unsafe)
        if command:
            lines.append(f"  {label}: {command}")
    lines += [f"  worth most: {f.code} {f.name} {f.path}:{f.line} {_finding_text(f)}" for f in report.top_findings]
    lines += [f"  no figure for {o.path}: {o.error}" for o in report.offers if o.error]
    return lines


# ---------------------------------------------------------------- json: unknown figures are null


def _finding_json(f: FindingWorth, report: DiffReport) -> dict:
    return {"path": f.path, "line": f.line, "url": report.link(f.path, f.line), "code": f.code, "name": f.name,
            "fix": f.title, "applicability": "unsafe" if f.unsafe else "safe", "tokens_saved": f.tokens_saved,
            "saving_per_request": f.saving_per_request, "monthly_saving": f.monthly_saving}


def change_offer_json(change: PromptChange) -> dict | None:
    o: SavingOffer | None = change.offer
    if o is None:
        return None
    return {"tokens_per_request": o.tokens,
            "safe": {"tokens_saved": o.safe_tokens, "saving_per_request": o.safe_per_request,
                     "monthly_saving": o.safe_monthly},
            "unsafe": {"tokens_saved": o.unsafe_tokens, "saving_per_request": o.unsafe_per_request,
                       "monthly_saving": o.unsafe_monthly, "needs_review": True},
            "error": o.error}


def verification_json(v: Verification | None) -> dict | None:
    if v is None:
        return None  # no suite mapped: nothing ran
    ran = v.status in (CHOSEN, NONE_HELD)
    return {"suite": v.suite, "status": v.status, "model": v.model or None, "cases": v.cases if ran else None,
            "tokens_before": v.tokens_before if ran else None, "chosen": v.candidate or None,
            "description": v.description or None, "tokens_after": v.tokens_after,
            "saving_per_request": v.saving_per_request, "monthly_saving": v.monthly_saving,
            "score_before": v.score_before, "score_after": v.score_after,
            "lost": v.lost if v.status == CHOSEN else None, "gained": v.gained if v.status == CHOSEN else None,
            "paired_verdict": v.eval_verdict or None, "reason": v.reason or None,
            "command": v.command if v.status == CHOSEN else None}


def offer_json(report: DiffReport) -> dict:
    return {
        "shown": report.show_offer,
        "safe": {"tokens_saved": report.safe_tokens, "monthly_saving": report.safe_monthly,
                 "command": fix_command(report, False)},
        "unsafe": {"tokens_saved": report.unsafe_tokens, "monthly_saving": report.unsafe_monthly,
                   "command": fix_command(report, True), "needs_review": True},
        "monthly_saving": report.offer_monthly,
        "percent": report.offer_percent,
        "prompts_without_monthly_saving": report.offer_unpriced,
        "top_findings": [_finding_json(f, report) for f in report.top_findings],
        "verified": [v.path for v in report.verifications if v.status == CHOSEN],
        "eval_suites_mapped": len(report.verifications),
    }


__all__ = ["change_offer_json", "fix_command", "offer_json", "offer_markdown", "offer_text",
           "verification_json"]
