"""What a cold `promptopt audit` pays for: loading the rules compiles none of their patterns (they
compile on first use, `promptopt/lazyre.py`), and a pattern compiled late finds what `re.compile`'s does.
Checked in a fresh interpreter, where nothing is compiled yet."""

from __future__ import annotations

import json
import re
import subprocess
import sys

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
