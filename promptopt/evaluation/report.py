"""Eval results as text, JSON or Markdown (a PR comment)."""

from __future__ import annotations

import json
from typing import Any

from .compare import INCONCLUSIVE, PASS, REGRESSION, CaseScore, Comparison, VariantScore
from .models import ModelRun, ModelsResult
from .session import REQUESTS_FOR_SAVING, DryRun, EvalResult

FORMATS = ("text", "json", "markdown")
MAX_CASE_LINES = 20


def verdict_word(result: EvalResult) -> str:
    if result.stats.partial:
        return "ERROR"
    if result.comparison is None:
        return "FAIL" if result.failed_cases else "PASS"
    return result.comparison.verdict.upper()


def points(value: float) -> str:
    """A difference of mean score (0..1) in points (0..100)."""
    return f"{value * 100:+.1f}"


def verdict_reason(cmp: Comparison) -> str:
    """Why the verdict is what it is, in terms of the interval and the allowed drop."""
    low, high = cmp.ci
    allowed = f"the allowed drop of {cmp.max_drop * 100:g} points"
    if cmp.verdict == PASS:
        return f"the interval starts at {points(low)} points, above {allowed}: a larger drop is ruled out"
    if cmp.verdict == REGRESSION:
        return f"the interval ends at {points(high)} points, below {allowed}: the candidate is worse"
    return (f"the interval ({points(low)} .. {points(high)} points) straddles {allowed}: "
            "this suite cannot tell; it is not a pass")  # fmt: skip


def power_sentence(cmp: Comparison) -> str:
    """What a suite of this size can show, and the size that would show max_drop."""
    p = cmp.power
    rate = "no case changes" if p.changed_rate == 0 else f"{p.changed_rate:.0%} of cases change"
    text = (f"{p.n} cases can rule out a drop of {p.ruled_out * 100:.1f} points at best "
            f"(if the candidate is as good and, as here, {rate})")  # fmt: skip
    if p.cases_needed is None:
        return text + f"; a drop of {cmp.max_drop * 100:g} points can never be ruled out: raise --max-drop"
    if p.cases_needed <= p.n:
        return text + f"; {p.cases_needed} would do for {cmp.max_drop * 100:g} points"
    return text + f"; ruling out {cmp.max_drop * 100:g} points needs about {p.cases_needed} cases"


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole}"


def _fmt_score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _dollars(value: float | None) -> str:
    if value is None:
        return "unknown price"
    return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"


def _short(text: str | None, limit: int = 40) -> str:
    if text is None:
        return "(no answer)"
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 3] + "...")


def _case_summary(case: CaseScore) -> str:
    if not case.complete:
        return "not run"
    status = "pass" if case.passed else "fail"
    if case.repeats > 1:
        status += f" {case.pass_rate:.0%}"
    return status


def _stats_line(result: EvalResult | ModelsResult) -> str:
    s = result.stats
    line = (
        f"calls: {s.real_calls} to the model, {s.cache_hits} from cache, {s.retries} retries, "
        f"{s.failed} failed · {s.seconds:.1f} s"
    )
    if s.not_run:
        line += f" · {s.not_run} not run"
    return line


def _variant_line(v: VariantScore, cases: int) -> str:
    return f"{v.name:<10} passed {_pct(v.passed, v.completed):>7}   mean score {_fmt_score(v.mean_score)}"


def _stop_reason(result: EvalResult | ModelsResult) -> str | None:
    s = result.stats
    if s.interrupted:
        return "interrupted (Ctrl-C): results so far are shown"
    if s.error:
        return f"stopped: {s.error}; results so far are shown"
    return None


def render_text(result: EvalResult) -> str:
    n = len(result.suite.cases)
    lines = [
        f"eval {result.suite.path}",
        f"model: {result.model} ({result.model_reason}) · {n} cases x {result.repeat} repeat(s)",
        _stats_line(result),
    ]
    if result.model.startswith("local/"):
        lines.append("note: the local model is a smoke test of the pipeline, not a judge of prompt quality")
    lines += [f"note: {note}" for note in result.notes]
    lines.append("")
    lines.append(_variant_line(result.original, n))
    cmp = result.comparison
    if cmp is not None and result.candidate is not None:
        lines.append(_variant_line(result.candidate, n))
        low, high = cmp.ci
        lines.append(
            f"difference: {cmp.difference:+.3f} ({cmp.confidence:.0%} CI {low:+.3f} .. {high:+.3f}, "
            f"paired score interval, n={len(cmp.paired)}) · lost {cmp.lost}, gained {cmp.gained} · "
            f"McNemar p={cmp.p_value:.4f}"
        )
        lines.append(f"evidence: {power_sentence(cmp)}")
    if result.tokens is not None:
        t = result.tokens
        lines.append(
            f"tokens: {t.original} -> {t.candidate} (saved {t.saved}, {t.percent:.1f}%, {t.encoding}) · "
            f"{_dollars(t.dollars_per_1k_requests)} saved per {REQUESTS_FOR_SAVING:,} requests"
        )
    verdict = verdict_word(result)
    detail = verdict_reason(cmp) if cmp is not None else f"{result.failed_cases} failing case(s)"
    lines.append(f"verdict: {verdict} ({detail})")
    if cmp is not None and cmp.verdict == INCONCLUSIVE:
        allowed = "exit 0: --allow-inconclusive" if result.allow_inconclusive else "exit 1; --allow-inconclusive"
        lines.append(f"note: inconclusive fails unless allowed ({allowed})")
    stop = _stop_reason(result)
    if stop:
        lines.append(stop)
    lines += _case_lines(result)
    return "\n".join(lines) + "\n"


def _case_lines(result: EvalResult) -> list[str]:
    if result.comparison is not None:
        changed = result.comparison.changed
        title = f"changed cases ({len(changed)}):"
        rows = [
            f"  {d.case_id}: {_case_summary(d.original)} -> {_case_summary(d.candidate)}  "
            f"{_short(d.original.outputs[0])} -> {_short(d.candidate.outputs[0])}"
            for d in changed
        ]
    else:
        failing = [c for c in result.original.cases.values() if c.complete and not c.passed]
        title = f"failing cases ({len(failing)}):"
        rows = [f"  {c.case_id}: {c.reason}" for c in failing]
    if not rows:
        return []
    more = [f"  ... and {len(rows) - MAX_CASE_LINES} more"] if len(rows) > MAX_CASE_LINES else []
    return ["", title, *rows[:MAX_CASE_LINES], *more]


def _case_json(case: CaseScore) -> dict[str, Any]:
    return {
        "score": case.score,
        "pass_rate": case.pass_rate,
        "passed": case.passed,
        "outputs": case.outputs,
        "reason": case.reason,
    }


def render_json(result: EvalResult) -> str:
    s = result.stats
    data: dict[str, Any] = {
        "suite": str(result.suite.path),
        "model": result.model,
        "model_reason": result.model_reason,
        "repeat": result.repeat,
        "verdict": verdict_word(result).lower(),
        "exit_code": result.exit_code,
        "stats": {
            "real_calls": s.real_calls, "cache_hits": s.cache_hits, "retries": s.retries, "failed": s.failed,
            "not_run": s.not_run, "seconds": round(s.seconds, 3), "interrupted": s.interrupted, "error": s.error,
        },
        "notes": result.notes,
    }  # fmt: skip
    variants = [result.original] + ([result.candidate] if result.candidate else [])
    data["variants"] = {
        v.name: {
            "source": v.source,
            "passed": v.passed,
            "completed": v.completed,
            "mean_score": v.mean_score,
            "cases": {cid: _case_json(c) for cid, c in v.cases.items()},
        }
        for v in variants
    }
    if result.comparison is not None:
        c = result.comparison
        data["comparison"] = {
            "difference": c.difference, "ci": list(c.ci), "confidence": c.confidence, "n": len(c.paired),
            "lost": c.lost, "gained": c.gained, "mcnemar_p": c.p_value, "max_drop": c.max_drop,
            "verdict": c.verdict, "regression": c.regression, "allow_inconclusive": result.allow_inconclusive,
            "power": {"changed_rate": c.power.changed_rate, "ruled_out_drop": c.power.ruled_out,
                      "cases_needed": c.power.cases_needed},
        }  # fmt: skip
    if result.tokens is not None:
        t = result.tokens
        data["tokens"] = {
            "original": t.original, "candidate": t.candidate, "saved": t.saved, "encoding": t.encoding,
            "dollars_saved_per_1k_requests": t.dollars_per_1k_requests,
        }  # fmt: skip
    return json.dumps(data, indent=2) + "\n"


def render_markdown(result: EvalResult) -> str:
    verdict = verdict_word(result)
    icon = {"PASS": "✅", "REGRESSION": "❌", "INCONCLUSIVE": "❔", "FAIL": "❌", "ERROR": "⚠️"}[verdict]
    lines = [f"### {icon} promptopt eval: {verdict}", "", f"`{result.suite.path}` on `{result.model}`", ""]
    lines += ["| | passed | mean score |", "|---|---:|---:|"]
    for v in [result.original] + ([result.candidate] if result.candidate else []):
        lines.append(f"| {v.name} | {_pct(v.passed, v.completed)} | {_fmt_score(v.mean_score)} |")
    cmp = result.comparison
    if cmp is not None:
        low, high = cmp.ci
        lines += [
            "",
            f"Difference **{cmp.difference:+.3f}** ({cmp.confidence:.0%} CI {low:+.3f} .. {high:+.3f}, "
            f"n={len(cmp.paired)}); lost {cmp.lost}, gained {cmp.gained}; McNemar p={cmp.p_value:.4f}.",
            "",
            f"**{verdict.capitalize()}**: {verdict_reason(cmp)}. Evidence: {power_sentence(cmp)}.",
        ]
    if result.tokens is not None:
        t = result.tokens
        lines.append(
            f"Tokens {t.original} → {t.candidate} (**{t.saved} saved**, {t.percent:.1f}%): "
            f"{_dollars(t.dollars_per_1k_requests)} per {REQUESTS_FOR_SAVING:,} requests."
        )
    stop = _stop_reason(result)
    if stop:
        lines += ["", f"**{stop}**"]
    case_lines = _case_lines(result)
    if case_lines:
        lines += ["", "<details><summary>Cases</summary>", "", "```", *case_lines[1:], "```", "</details>"]
    lines += ["", _stats_line(result)]
    if result.model.startswith("local/"):
        lines.append("The local model is a smoke test of the pipeline, not a judge of prompt quality.")
    return "\n".join(lines) + "\n"


def render(result: EvalResult, fmt: str) -> str:
    return {"text": render_text, "json": render_json, "markdown": render_markdown}[fmt](result)


def render_dry_run(dry: DryRun, fmt: str) -> str:
    todo = dry.to_make
    if fmt == "json":
        return json.dumps(
            {
                "model": dry.model,
                "calls": len(todo),
                "cache_hits": len(dry.calls) - len(todo),
                "prompt_tokens": dry.prompt_tokens,
                "max_output_tokens": dry.max_output_tokens,
                "max_dollars": dry.max_dollars,
                "encoding": dry.encoding,
                "planned": [
                    {"variant": c.call.variant, "case": c.call.case_id, "repeat": c.call.repeat,
                     "prompt_tokens": c.prompt_tokens, "cached": c.cached}
                    for c in dry.calls
                ],  # fmt: skip
            },
            indent=2,
        ) + "\n"
    lines = [f"dry run: model {dry.model} ({dry.model_reason}); nothing was sent"]
    for c in todo[:MAX_CASE_LINES]:
        where = f"{c.call.variant} / {c.call.case_id} #{c.call.repeat + 1}"
        lines.append(f"  call {where}: {c.prompt_tokens} prompt tokens")
    if len(todo) > MAX_CASE_LINES:
        lines.append(f"  ... and {len(todo) - MAX_CASE_LINES} more calls")
    lines.append(
        f"{len(todo)} calls to make, {len(dry.calls) - len(todo)} answered from cache; "
        f"{dry.prompt_tokens:,} prompt tokens ({dry.encoding}), at most {dry.max_output_tokens:,} output tokens"
    )
    cost = "free (in-process model)" if dry.model.startswith("local/") else f"at most {_dollars(dry.max_dollars)}"
    lines.append(f"estimated cost: {cost}")
    return "\n".join(lines) + "\n"


# --- several models on one suite (models.py) ----------------------------------------------------


def _money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:,.6f}" if abs(value) < 0.01 else _dollars(value)


def model_sentence(result: ModelsResult, run: ModelRun) -> str:
    """'MODEL holds quality on this suite (DIFF points, 95% CI LO .. HI): -$X/month', or why not."""
    cmp = run.comparison
    assert cmp is not None
    low, high = cmp.ci
    figures = f"({points(cmp.difference)} points, {cmp.confidence:.0%} CI {points(low)} .. {points(high)})"
    saving, unit = result.monthly_saving(run), "month"
    if saving is None and None not in (run.dollars_per_request, result.reference.dollars_per_request):
        saving, unit = result.reference.dollars_per_request - run.dollars_per_request, "request"  # type: ignore[operator]
    money = "cost unknown" if saving is None else f"{'-' if saving >= 0 else '+'}{_money(abs(saving))}/{unit}"
    if cmp.verdict == PASS:
        return f"{run.model} holds quality on this suite {figures}: {money}"
    if cmp.verdict == REGRESSION:
        return f"{run.model} loses quality on this suite {figures}: {money} at a loss of quality"
    needed = f"; ruling out {cmp.max_drop * 100:g} points needs about {cmp.power.cases_needed} cases" \
        if cmp.power.cases_needed else ""
    return f"{run.model} is not shown to hold quality on this suite {figures}: {money} if it did{needed}"


def _model_rows(result: ModelsResult) -> list[tuple[str, ...]]:
    rows = []
    for run in result.runs:
        v = run.scores
        tokens = f"{run.prompt_tokens:,.0f} + {run.output_tokens:,.1f}" + ("*" if run.estimate else "")
        role = "reference" if run is result.reference else (run.comparison.verdict if run.comparison else "")
        rows.append((run.model, f"{v.passed}/{v.completed}", _fmt_score(v.mean_score), tokens,
                     _money(run.dollars_per_request), _money(run.dollars_per_month), role))  # fmt: skip
    return rows


MODEL_HEADER = ("model", "passed", "score", "tokens in + out", "$/request", "$/month", "verdict")


def render_models_text(result: ModelsResult) -> str:
    n = len(result.suite.cases)
    lines = [f"eval {result.suite.path}: {len(result.runs)} models, {n} cases x {result.repeat} repeat(s)",
             _stats_line(result)]
    if any(r.model.startswith("local/") for r in result.runs):
        lines.append("note: the local model is a smoke test of the pipeline, not a judge of prompt quality")
    lines += [f"note: {note}" for note in result.notes]
    rows = [MODEL_HEADER, *_model_rows(result)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(MODEL_HEADER))]
    lines.append("")
    for row in rows:
        cells = [c.ljust(w) if i in (0, 6) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    if any(r.estimate for r in result.runs):
        lines.append("* tokens counted with o200k_base: an estimate for this model")
    lines.append("")
    for run in result.runs[1:]:
        lines.append(model_sentence(result, run))
        lines.append(f"  evidence: {power_sentence(run.comparison)}")
    stop = _stop_reason(result)
    if stop:
        lines.append(stop)
    return "\n".join(lines) + "\n"


def render_models_json(result: ModelsResult) -> str:
    def comparison(run: ModelRun) -> dict[str, Any] | None:
        c = run.comparison
        if c is None:
            return None
        return {"verdict": c.verdict, "difference": c.difference, "ci": list(c.ci), "n": len(c.paired),
                "confidence": c.confidence, "max_drop": c.max_drop, "lost": c.lost, "gained": c.gained,
                "mcnemar_p": c.p_value, "power": {"changed_rate": c.power.changed_rate,
                "ruled_out_drop": c.power.ruled_out, "cases_needed": c.power.cases_needed},
                "monthly_saving": result.monthly_saving(run)}  # fmt: skip

    s = result.stats
    data = {
        "suite": str(result.suite.path),
        "reference": result.reference.model if result.runs else None,
        "repeat": result.repeat,
        "exit_code": result.exit_code,
        "stats": {"real_calls": s.real_calls, "cache_hits": s.cache_hits, "failed": s.failed,
                  "seconds": round(s.seconds, 3), "error": s.error, "interrupted": s.interrupted},
        "notes": result.notes,
        "models": [
            {"model": r.model, "passed": r.scores.passed, "completed": r.scores.completed,
             "mean_score": r.scores.mean_score, "prompt_tokens": round(r.prompt_tokens, 1),
             "output_tokens": round(r.output_tokens, 1), "tokens_estimate": r.estimate,
             "dollars_per_request": r.dollars_per_request, "requests_per_month": r.requests_per_month,
             "dollars_per_month": r.dollars_per_month, "comparison": comparison(r),
             "cases": {cid: _case_json(c) for cid, c in r.scores.cases.items()}}
            for r in result.runs
        ],
    }  # fmt: skip
    return json.dumps(data, indent=2) + "\n"


def render_models_markdown(result: ModelsResult) -> str:
    holds = [r for r in result.runs[1:] if r.comparison and r.comparison.verdict == PASS]
    others = len(result.runs) - 1
    title = f"{len(holds)} of {others} model(s) hold quality against `{result.reference.model}`"
    lines = [f"### promptopt eval: {title}", "", f"`{result.suite.path}`", ""]
    lines += ["| " + " | ".join(MODEL_HEADER) + " |", "|---|---:|---:|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(f"`{c}`" if i == 0 else c for i, c in enumerate(row)) + " |"
              for row in _model_rows(result)]  # fmt: skip
    lines.append("")
    for run in result.runs[1:]:
        lines.append(f"- **{model_sentence(result, run)}**. {power_sentence(run.comparison)}.")
    stop = _stop_reason(result)
    if stop:
        lines += ["", f"**{stop}**"]
    lines += ["", _stats_line(result)]
    if any(r.model.startswith("local/") for r in result.runs):
        lines.append("The local model is a smoke test of the pipeline, not a judge of prompt quality.")
    return "\n".join(lines) + "\n"


def render_models(result: ModelsResult, fmt: str) -> str:
    return {"text": render_models_text, "json": render_models_json, "markdown": render_models_markdown}[fmt](result)
