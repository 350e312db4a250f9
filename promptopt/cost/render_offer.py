"""The "saving on offer" part of `promptopt diff` in Markdown, text and JSON: what the fixes would still save
in the prompts the pull request touched, the findings worth most, and the verified compression, if any."""

from __future__ import annotations

import shlex

from .diff import DiffReport, PromptChange
from .figures import count, money, plural
from .offer import FindingWorth, SavingOffer
from .optimized import FAILED as OPT_FAILED
from .optimized import VERIFIED as OPT_VERIFIED
from .optimized import LeverFigure, Optimization
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
    return any(v.status != NOT_RUN for v in report.verifications) or bool(report.optimizations)


def offer_markdown(report: DiffReport) -> list[str]:
    if not report.offers:
        return []
    if not report.show_offer:
        return [*_verification_markdown(report), *optimize_markdown(report)] if _evals_ran(report) else []
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
    lines += optimize_markdown(report)
    return lines


def _shown_verifications(report: DiffReport) -> list[Verification]:
    """The `--verify` lines, less "mapped, not run" for a prompt `--optimize` ran its suite on."""
    optimized = {o.path for o in report.optimizations}
    return [v for v in report.verifications if not (v.status == NOT_RUN and v.path in optimized)]


def _verification_markdown(report: DiffReport) -> list[str]:
    shown = _shown_verifications(report)
    if not shown and report.optimizations:
        return []
    if not shown:
        return [f"**Verified compression:** none: {NO_SUITE}.", ""]
    if len(shown) == 1:
        return [f"**Verified compression:** {_verification_line(shown[0], True)}", ""]
    return ["**Verified compression:**", *(f"- {_verification_line(v, True)}" for v in shown), ""]


def offer_text(report: DiffReport) -> list[str]:
    if not report.offers or not (report.show_offer or _evals_ran(report)):
        return []
    lines = _saving_text(report) if report.show_offer else []
    shown = _shown_verifications(report)
    if not shown and not report.optimizations:
        lines.append(f"Verified compression: none: {NO_SUITE.replace('`', '')}")
    lines += [f"Verified compression: {_verification_line(v, False)}" for v in shown]
    return lines + optimize_text(report)


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
        "verified_levers": verified_levers_json(report),
    }




# ---------------------------------------------------------------- `--optimize`: the levers an eval verified


def _saved(tokens: float) -> str:
    return "0" if round(tokens) == 0 else count(-tokens, signed=True)


def _lever_cells(f: LeverFigure) -> str:
    return f"{_saved(f.input_saved)} | {_saved(f.output_saved)} | {money(f.monthly_saved)}"


def _held_out(o: Optimization, code) -> str:
    """"verified by `evals/x.yaml` on 24 held-out cases: +0.0 points (95% interval -4.1..+4.1, ...)"."""
    what = f"verified by {code(o.suite)} on {plural(o.held_out_cases, 'held-out case')}"
    if o.interval is None:
        return what
    low, high = o.interval
    return (f"{what}: score {100 * o.difference:+.1f} points ({100 * o.confidence:.0f}% interval "
            f"{100 * low:+.1f}..{100 * high:+.1f}, allowed drop {100 * o.max_drop:g})")


def _together(o: Optimization, code) -> str:
    monthly = f", {money(o.monthly_saved)}/month" if o.monthly_saved is not None else ""
    settings = "".join(f", {k} {v}" for k, v in o.settings.items())
    return (f"{_saved(o.input_saved)} input and {_saved(o.output_saved)} output tokens/request{monthly}; "
            f"{_held_out(o, code)}. Apply it: {code(o.command)}"
            + (f" (it writes the settings too: {settings[2:]})" if settings else ""))


def _not_verified(o: Optimization, code) -> list[str]:
    return [f"{code(f.lever)} {f.name}: {f.why}" for f in o.not_verified]


def _optimization_markdown(o: Optimization) -> list[str]:
    code = lambda text: f"`{text}`"  # noqa: E731
    head = f"`{o.path}` against `{o.suite}`"
    if o.status == OPT_FAILED:
        return [f"**Verified levers:** {head}: the eval did not complete, nothing verified: {o.reason}", ""]
    ran = f"{o.pick_cases:,} cases to pick levers, {o.held_out_cases:,} held out, on `{o.model}`"
    if o.status == OPT_VERIFIED:
        total = f"{money(o.monthly_saved)} per month" if o.monthly_saved is not None else \
            f"{_saved(o.input_saved)} input tokens per request"
        lines = [f"#### Verified levers: {total} in `{o.path}` (`{o.suite}`, "
                 f"{plural(o.held_out_cases, 'held-out case')})", "",
                 f"`promptopt optimize` with `{o.suite}` ({ran}). Each lever alone, on the picking cases:", "",
                 "| Lever | Change | Input tokens/request | Output tokens/request | $/month |",
                 "| --- | --- | ---: | ---: | ---: |"]
        lines += [f"| `{f.lever}` | {f.name} | {_lever_cells(f)} |" for f in o.verified]
        lines += ["", f"Together: {_together(o, code)}"]
    else:
        lines = [f"**Verified levers:** none in {head} ({ran}): {o.reason}; the saving above has no eval-verified "
                 "part."]
    missed = _not_verified(o, code)
    if missed:
        lines += ["", "Tried, not verified (not counted in any saving):", *(f"- {m}" for m in missed)]
    if o.not_tried:
        lines += ["", "Not tried (see `promptopt optimize --help`): " + "; ".join(o.not_tried)]
    return [*lines, ""]


def optimize_markdown(report: DiffReport) -> list[str]:
    return [line for o in report.optimizations for line in _optimization_markdown(o)]


def optimize_text(report: DiffReport) -> list[str]:
    code = lambda text: text  # noqa: E731
    lines = []
    for o in report.optimizations:
        head = f"{o.path} against {o.suite}"
        if o.status == OPT_FAILED:
            lines.append(f"Verified levers: {head}: the eval did not complete, nothing verified: {o.reason}")
            continue
        if o.status == OPT_VERIFIED:
            lines.append(f"Verified levers: {head}: " + "; ".join(f"{f.lever} ({f.name})" for f in o.verified))
            lines.append(f"  together: {_together(o, code)}")
        else:
            lines.append(f"Verified levers: none in {head}: {o.reason}")
        lines += [f"  tried, not verified: {m}" for m in _not_verified(o, code)]
        lines += [f"  not tried: {n}" for n in o.not_tried]
    return lines


def _lever_json(f: LeverFigure) -> dict:
    return {"lever": f.lever, "name": f.name, "verdict": f.verdict, "input_tokens_saved": round(f.input_saved, 1),
            "output_tokens_saved": round(f.output_saved, 2), "monthly_saving": f.monthly_saved,
            "why_not_verified": f.why or None}


def optimization_json(o: Optimization | None) -> dict | None:
    if o is None:
        return None
    verified = o.status == OPT_VERIFIED
    return {"suite": o.suite, "status": o.status, "model": o.model or None, "pick_cases": o.pick_cases,
            "held_out_cases": o.held_out_cases, "verified_levers": [_lever_json(f) for f in o.verified],
            "not_verified_levers": [_lever_json(f) for f in o.not_verified], "not_tried": o.not_tried,
            "input_tokens_saved": round(o.input_saved, 1) if verified else None,
            "output_tokens_saved": round(o.output_saved, 2) if verified else None,
            "monthly_saving": o.monthly_saved if verified else None,
            "held_out": None if o.interval is None else {
                "n": o.held_out_cases, "difference": o.difference, "ci": list(o.interval),
                "confidence": o.confidence, "max_drop": o.max_drop, "verdict": o.held_out_verdict},
            "settings": o.settings, "reason": o.reason or None, "command": o.command if verified else None}


def verified_levers_json(report: DiffReport) -> dict:
    verified = [o for o in report.optimizations if o.status == OPT_VERIFIED]
    monthly = [o.monthly_saved for o in verified if o.monthly_saved is not None]
    return {"prompts": [o.path for o in verified], "monthly_saving": sum(monthly) if monthly else None,
            "suites_run": len(report.optimizations)}


__all__ = ["change_offer_json", "fix_command", "offer_json", "offer_markdown", "offer_text", "optimization_json",
           "verification_json"]
