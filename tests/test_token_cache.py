"""The merge-table cache that speeds up cold runs must never change a count."""

from __future__ import annotations

import subprocess
import sys

TEXT = "Write the IDEAS bullets as exactly 16 words. Ne jamais répondre en majuscules !"


def _count_in_fresh_process(cache_home) -> int:
    code = (
        "from promptopt.tokens import get_encoding\n"
        f"print(len(get_encoding('o200k_base').encode_ordinary({TEXT!r})))"
    )
    env = {"XDG_CACHE_HOME": str(cache_home), "PATH": "/usr/bin:/bin", "HOME": str(cache_home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return int(done.stdout)


def _reference() -> int:
    """tiktoken's own loader, no cache involved."""
    import os

    import tiktoken

    from promptopt.tokens import bundled_bpe_dir

    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(bundled_bpe_dir()))
    return len(tiktoken.get_encoding("o200k_base").encode_ordinary(TEXT))


def test_cold_warm_and_damaged_cache_give_tiktokens_count(tmp_path):
    expected = _reference()
    assert _count_in_fresh_process(tmp_path) == expected  # cold: builds the cache
    cached = list((tmp_path / "promptopt" / "tiktoken").glob("*.marshal"))
    assert len(cached) == 1
    assert _count_in_fresh_process(tmp_path) == expected  # warm: reads it
    cached[0].write_bytes(b"\x00garbage")
    assert _count_in_fresh_process(tmp_path) == expected  # damaged: rebuilt
    assert cached[0].stat().st_size > 1_000_000
