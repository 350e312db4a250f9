"""blake2b for cache keys, without importing hashlib.

`import hashlib` loads OpenSSL (`_hashlib`): 11 million instructions, 2-3 ms of CPU in a cold two-file
hook run, though the cache keys only ever ask for blake2b, which CPython builds in (`_blake2`; hashlib's
own `blake2b` is that same function, never OpenSSL's).
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # a Python built without it
    from hashlib import blake2b

__all__ = ["blake2b"]
