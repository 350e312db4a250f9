"""What a cold `promptopt audit` pays for: loading the rules compiles none of their patterns (they
compile on first use, `promptopt/lazyre.py`), and a pattern compiled late finds what `re.compile`'s does.
Checked in a fresh interpreter, where nothing is compiled yet."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from promptopt.lazyre import lazy_compile

PROBE = """
import json, sys
from re import _compiler
real, ours = _compiler.compile, []

def counting(pattern, flags):
    frame = sys._getframe(1)
    while frame and "/re/" in frame.f_code.co_filename:
        frame = frame.f_back
    if frame and "promptopt" in frame.f_code.co_filename:
        ours.append(str(pattern)[:60])
    return real(pattern, flags)

_compiler.compile = counting
from promptopt.registry import all_rules
rules = all_rules()
print(json.dumps({"rules": len(rules), "compiled": ours}))
"""


def test_loading_every_rule_compiles_none_of_their_patterns():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["rules"] > 40
    assert outcome["compiled"] == []


def test_a_lazy_pattern_answers_as_the_compiled_one():
    text = "Write between three and 5 bullets.\nNEVER add more than 120 words. Ticket: {ticket}"
    source, flags = r"\b(?P<word>[A-Z]{2,}|\d+)\b", re.I
    lazy, real = lazy_compile(source, flags), re.compile(source, flags)
    assert lazy.pattern == real.pattern
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert lazy.sub("#", text) == real.sub("#", text)
    assert lazy.search(text).group("word") == real.search(text).group("word")
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (real.flags, real.groups, real.groupindex)
    assert lazy.findall(text) == real.findall(text) and lazy.split(text) == real.split(text)


# Every lazy pattern promptopt defines, with what it finds in the bundled prompts, in a fresh process
PATTERNS_PROBE = """
import gc, json, sys
from pathlib import Path
from promptopt.registry import all_rules
import promptopt.segment, promptopt.placeholders, promptopt.light_tokens
import promptopt.lazyre
from promptopt.lazyre import LazyPattern
parsed, parse = [], promptopt.lazyre._compile_arguments
promptopt.lazyre._compile_arguments = lambda *a: (parsed.append(a[0]), parse(*a))[1]
all_rules()
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[1]).iterdir())]
found = {}
for lazy in [o for o in gc.get_objects() if isinstance(o, LazyPattern)]:
    key = f"{lazy.pattern}\\t{int(lazy._flags)}"
    found[key] = [lazy.flags, lazy.groups, sorted(lazy.groupindex.items()),
                  [[m.span() for m in lazy.finditer(t)] for t in texts]]
print(json.dumps(found))
print(len(parsed))
"""


def test_patterns_compiled_from_kept_code_find_what_re_compile_finds(tmp_path):
    """The first run compiles and keeps the code; the second builds every pattern from it; a damaged
    cache file is compiled past. All three find, with every pattern, what `re.compile`'s finds."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "prompts"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = []
    for damage in (False, False, True):
        if damage:
            for kept in (tmp_path / "promptopt" / "regex").iterdir():
                kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])
        done = subprocess.run([sys.executable, "-c", PATTERNS_PROBE, str(fixtures)], capture_output=True,
                              text=True, env=env, check=True)
        found, parsed = done.stdout.splitlines()[-2:]
        runs.append(json.loads(found))
        assert list((tmp_path / "promptopt" / "regex").iterdir())
        assert (int(parsed) == 0) == (len(runs) == 2)  # the second run parsed none of the patterns
    texts = [p.read_text(encoding="utf-8") for p in sorted(fixtures.iterdir())]
    expected = {}
    for key in runs[0]:
        pattern, flags = key.rsplit("\t", 1)
        real = re.compile(pattern, int(flags))
        expected[key] = [real.flags, real.groups, sorted(map(list, real.groupindex.items())),
                         [[list(m.span()) for m in real.finditer(t)] for t in texts]]
    assert len(expected) > 100
    assert all(run == expected for run in runs)


def test_kept_code_merges_what_other_runs_added_and_starts_again_when_full(tmp_path, monkeypatch):
    """Two runs keep code at once: each writes back the union, not only what it read (the merge used to
    count shared entries twice and keep only its own past half the limit); a full file starts again."""
    from promptopt import lazyre

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(lazyre, "MAX_KEPT", 10)
    monkeypatch.setattr(lazyre, "_CACHE", lazyre._CodeCache())
    for i in range(5):
        lazyre.compile_kept(f"first{i}")
    lazyre._CACHE.save()
    mine = lazyre._CodeCache()  # a run that read the file's 5 entries
    monkeypatch.setattr(lazyre, "_CACHE", mine)
    lazyre.compile_kept("mine")
    other = lazyre._CodeCache()  # another run, meanwhile, adds 3 and writes first
    monkeypatch.setattr(lazyre, "_CACHE", other)
    for i in range(3):
        lazyre.compile_kept(f"other{i}")
    other.save()
    mine.save()
    import marshal

    kept = marshal.loads(Path(mine.path).read_bytes())
    assert {p for p, _ in kept} == {*(f"first{i}" for i in range(5)), "mine", *(f"other{i}" for i in range(3))}
    assert re.compile("mine").search("a mine") and lazyre.compile_kept("mine").search("a mine")
    full = lazyre._CodeCache()
    monkeypatch.setattr(lazyre, "_CACHE", full)
    lazyre.compile_kept("new0")  # 9 known + 1: at the limit
    lazyre.compile_kept("new1")  # over it: the cache starts again instead of freezing
    assert ("new1", 0) in full.known and len(full.known) == 1


def test_a_python_whose_sre_differs_compiles_as_re_does(monkeypatch):
    from promptopt import lazyre

    monkeypatch.setattr(lazyre.sys, "implementation", type("Impl", (), {"name": "graalpy", "cache_tag": "x"})())
    monkeypatch.setattr(lazyre, "_CACHE", lazyre._CodeCache())
    assert lazyre.compile_kept(r"\bcat\b").search("a cat") and lazyre._CACHE.known is None  # no cache read
