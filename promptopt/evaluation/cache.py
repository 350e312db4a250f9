"""On-disk cache of model answers, keyed by model, messages and parameters: a rerun costs nothing."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_ENV = "PROMPTOPT_CACHE_DIR"


def default_cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV)
    return Path(root) / "eval" if root else Path.cwd() / ".promptopt_cache" / "eval"


def cache_key(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, folder: Path | None = None, enabled: bool = True):
        self.folder = folder or default_cache_dir()
        self.enabled = enabled

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        try:
            return json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if not self.enabled:
            return
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a run killed mid-write never leaves a truncated entry behind.
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entry, handle, ensure_ascii=False)
        os.replace(tmp, target)
