"""`python` and `javascript` assertions and `transform`s, each run in a subprocess.

The code sees `output` and `context` (`context.vars`, `context.prompt`) as in promptfoo. A value is an
expression (``output.length < 500``), a function body with ``return``, or ``file://check.py`` /
``file://check.js`` (optionally ``:function_name``; by default promptfoo's ``get_assert`` in Python
and the module's export in JavaScript). JavaScript needs Node.js on the PATH; without it the
assertion is skipped out loud. A script that fails or times out fails the assertion with its error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT_TIMEOUT = 30.0

PYTHON_RUNNER = r"""
import importlib.util, json, sys, textwrap
job = json.load(sys.stdin)
output, context, code = job["output"], job["context"], job["code"]
if job.get("file"):
    spec = importlib.util.spec_from_file_location("promptopt_assert", job["file"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = getattr(module, job.get("function") or "get_assert")(output, context)
elif "\n" in code.strip() or code.lstrip().startswith("return "):
    scope = {}
    exec("def _check(output, context):\n" + textwrap.indent(code, "    "), scope)
    result = scope["_check"](output, context)
else:
    result = eval(code, {"output": output, "context": context})
json.dump({"result": result}, sys.stdout, default=str)
"""

JS_RUNNER = r"""
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const { output, context, code } = job;
  let result;
  if (job.file) {
    const mod = require(job.file);
    const fn = job.function ? mod[job.function] : (typeof mod === 'function' ? mod : mod.default || mod);
    result = await fn(output, context);
  } else if (/\breturn\b/.test(code)) {
    result = await (new Function('output', 'context', code))(output, context);
  } else {
    const expression = code.trim().replace(/;+$/, '');
    result = await (new Function('output', 'context', 'return (' + expression + ');'))(output, context);
  }
  process.stdout.write(JSON.stringify({ result: result === undefined ? null : result }));
});
"""


class ScriptError(RuntimeError):
    """The script failed; the message is one line."""


def node_path() -> str | None:
    return shutil.which("node")


def run_script(language: str, code: str, output: Any, context: dict[str, Any], base: Path) -> Any:
    """Run a promptfoo-style check or transform; returns what it returned (JSON-decoded)."""
    job: dict[str, Any] = {"output": output, "context": context, "code": code}
    if code.startswith("file://"):
        ref, _, function = code[len("file://") :].partition(":")
        job["file"] = str((base / ref).resolve())
        job["function"] = function or None
        if not Path(job["file"]).is_file():
            raise ScriptError(f"{ref} not found")
    if language == "python":
        command = [sys.executable, "-c", PYTHON_RUNNER]
    else:
        node = node_path()
        if node is None:
            raise ScriptError("Node.js is not on the PATH")
        command = [node, "-e", JS_RUNNER]
    try:
        done = subprocess.run(
            command, input=json.dumps(job, default=str), capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
            cwd=base,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ScriptError(f"{language} check ran longer than {SCRIPT_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ScriptError(f"{language} check failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])["result"]
    except (ValueError, IndexError, KeyError):
        raise ScriptError(f"{language} check printed something other than its result") from None


def grading_result(result: Any) -> tuple[bool, float, str]:
    """promptfoo's return values: a bool, a score (0 = fail), or {pass, score, reason}."""
    if isinstance(result, bool):
        return result, float(result), "" if result else "returned false"
    if isinstance(result, int | float):
        return result > 0, max(0.0, min(1.0, float(result))), "" if result > 0 else f"score {result}"
    if isinstance(result, dict) and ("pass" in result or "pass_" in result or "score" in result):
        passed = bool(result.get("pass", result.get("pass_", (result.get("score") or 0) > 0)))
        score = result.get("score")
        score = float(passed) if not isinstance(score, int | float) else max(0.0, min(1.0, float(score)))
        return passed, score, "" if passed else str(result.get("reason") or "failed")
    if isinstance(result, str):  # promptfoo reads a returned string as a reason for failure
        return False, 0.0, result[:200]
    raise ScriptError(f"the check returned {type(result).__name__}, not a bool, a score or a grading result")
