"""One `promptopt optimize` run set up from a prompt and its suite, for callers other than the CLI
(`promptopt diff --optimize`): the same model choice, generation caps, answer cache and search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..evaluation.compare import DEFAULT_MAX_DROP
from .search import DEFAULT_HOLDOUT, OptimizeError, Optimizer, OptimizeResult

LOCAL_PRICE_MODEL = "gpt-4o-mini"  # the local model is free: its tokens are priced as this model's


def run_optimize(prompt: Path, suite_path: Path, *, model: str | None = None, max_drop: float = DEFAULT_MAX_DROP,
                 confidence: float = 0.95, holdout: float = DEFAULT_HOLDOUT, price_model: str | None = None,
                 rewrite_model: str | None = None, cheaper_models: tuple[str, ...] = (), lingua: bool = True,
                 cache_dir: Path | None = None, use_cache: bool = True, timeout: float = 60.0, retries: int = 3,
                 show_progress: bool = False, progress: Callable[[str], None] | None = None,
                 ) -> OptimizeResult:  # fmt: skip
    """Optimize `prompt` with `suite_path`: what `promptopt optimize PROMPT --suite SUITE` and
    `promptopt diff --optimize` run. Raises the eval's errors (SuiteError, EvalRunError...) or OptimizeError."""
    from ..evaluation.cache import ResponseCache
    from ..evaluation.runner import Runner, check_credentials, resolve_model
    from ..evaluation.session import generation_settings
    from ..evaluation.suite import load_suite

    suite = load_suite(suite_path)
    if suite.prompt_path is None or not prompt.is_file() or prompt.resolve() != suite.prompt_path.resolve():
        raise OptimizeError(f"{prompt} is not the prompt of suite {suite_path} "
                            f"({suite.prompt_path or 'an inline prompt'}): optimize needs the suite that runs it")
    if rewrite_model and rewrite_model.startswith("local/"):
        raise OptimizeError("--rewrite-model must be a provider model: the offline model cannot rewrite prompts")
    provider = suite.providers[0] if suite.providers and not model else None
    chosen = model or (provider.model if provider else None) or resolve_model(None)[0]
    for name in (chosen, *cheaper_models, *([rewrite_model] if rewrite_model else [])):
        check_credentials(name, provider.params if provider and name == chosen else None)
    cache = ResponseCache(cache_dir, enabled=use_cache)

    def runner_for(name: str, max_tokens: int | None) -> Runner:
        capped, stop = generation_settings(suite, name)
        params = dict(provider.params) if provider and name == chosen else {}
        # the suite's own cap leaves the extra params either way: a lever's cap must be the one sent
        suite_cap = params.pop("max_tokens", None)
        if max_tokens:
            params.pop("max_completion_tokens", None)
        return Runner(name, max_tokens=max_tokens or int(suite_cap or capped), stop=stop, timeout=timeout,
                      max_retries=retries, cache=cache, extra_params=params, show_progress=show_progress)

    pricing = price_model or (LOCAL_PRICE_MODEL if chosen.startswith("local/") else chosen)
    optimizer = Optimizer(suite, runner_for, chosen, max_drop=max_drop, confidence=confidence, holdout=holdout,
                          price_model=pricing, cheaper_models=cheaper_models, rewrite_model=rewrite_model,
                          lingua=lingua, progress=progress)  # fmt: skip
    return optimizer.run()
