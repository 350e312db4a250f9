"""`promptopt cost`: audit prompt files, then price each at its configured volume, before and after fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..engine import Auditor, audit_paths
from ..reporters.base import display_path
from ..results import FileResult
from ..tokenmap import token_map
from ..tokens import TokenCounter, choose_encoding
from .prices import PriceTable, load_price_table
from .projection import CostReport, Measure, PromptCost, measure_documents, price_prompt, relative_to
from .usage import UsageConfig, Volume, parse_pricing, parse_usage
from .verified import parse_eval_suites


@dataclass
class CostSettings:
    config: Config
    usage: UsageConfig
    prices: PriceTable
    eval_suites: dict[str, Path] = field(default_factory=dict)  # prompt glob -> eval suite (`diff --verify`)

    @property
    def root(self) -> Path:
        return self.config.root


def cost_settings(config: Config, volume: Volume | None = None) -> CostSettings:
    """Usage and prices from the config; `volume` (from the command line) overrides the usage defaults."""
    usage = parse_usage(config.raw.get("usage"))
    if volume is not None:
        usage.defaults = volume.over(usage.defaults)
    pricing = parse_pricing(config.raw.get("pricing"), config.root)
    suites = parse_eval_suites(config.raw.get("eval-suites"), config.root)
    return CostSettings(config, usage, load_price_table(pricing.file, pricing.models), suites)


def _source_of(result: FileResult) -> str | None:
    return result.documents[0].source if result.documents else None


def measure_result(result: FileResult, counter: TokenCounter, config: Config) -> Measure:
    # the audit counted with the config's model; reuse its figure when the encoding is the same
    same = counter.choice.encoding == choose_encoding(config.model).encoding
    return measure_documents(result.documents, counter, result.tokens if same else None)


def measure_after_fixes(result: FileResult, counter: TokenCounter, auditor: Auditor) -> Measure | None:
    """The file's measure once the safe fixes are applied to a fixed point, as `audit --fix` would;
    None when no safe fix changes it."""
    from ..fixes import FixLoopError, fix_to_fixed_point, guarded_accept

    source = _source_of(result)
    if source is None or not any(f.fix for f in result.findings):
        return None
    try:
        outcome = fix_to_fixed_point(
            result.path, source, lambda p, t: auditor.audit_source(p, t).findings, unsafe=False,
            accept=guarded_accept(result.path, source),
        )
    except FixLoopError:
        return None
    if outcome.text == source:
        return None
    after = auditor.audit_source(result.path, outcome.text)
    if after.error:
        return None
    return measure_result(after, counter, auditor.config)


def cost_of_result(
    result: FileResult,
    settings: CostSettings,
    auditor: Auditor,
    relative_path: str | None = None,
    with_fixes: bool = True,
) -> PromptCost:
    rel = relative_path or relative_to(result.path, settings.root)
    usage = settings.usage.for_path(rel, settings.config.model)
    if result.error:
        return PromptCost(rel, usage.model, choose_encoding(usage.model).label, error=result.error)
    counter = TokenCounter(usage.model)
    measure = measure_result(result, counter, settings.config)
    after = measure_after_fixes(result, counter, auditor) if with_fixes else None
    cost = price_prompt(rel, measure, after, usage, settings.prices)
    cost.findings = len(result.findings)
    same = counter.choice.encoding == choose_encoding(settings.config.model).encoding
    cost.sections = result.sections if same else token_map(result.documents, counter)
    return cost


def estimate_paths(paths: list[Path], settings: CostSettings) -> CostReport:
    audit = audit_paths(paths, settings.config)
    auditor = Auditor(settings.config)
    report = CostReport(price_source=settings.prices.source)
    for result in audit.files:
        cost = cost_of_result(result, settings, auditor)  # usage globs match paths from the config's folder
        cost.path = display_path(result.path, None)  # shown as `audit` shows it: from the current folder
        report.prompts.append(cost)
    return report
