#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the modules that carry promptopt's promises, with the fast tests.
#
#   scripts/mutation.sh                       every module below, one mutmut run
#   scripts/mutation.sh promptopt/guard.py    one module (a spec below, or MODULE[:FUNC,FUNC])
#
# It works on a scratch copy of the checkout (the worktree stays clean) and prints the score per
# module (scripts/mutation_score.py); survivors are listed, and `cd $MUTATION_DIR && mutmut show NAME`
# prints a survivor's diff. Not part of the CI test command: the whole run takes hours with one worker
# (docs/mutation.md has the figures); scripts/mutation_recheck.py re-tests one run's survivors.
#
# Environment: PYTHON (default: .venv/bin/python, else python3), MUTATION_WORKERS (default 1: CI and
# shared machines have few cores), MUTATION_DIR (scratch folder, default: a new temporary one),
# MUTATION_TESTS (pytest arguments selecting the tests, default: the fast suite below).
# Needs: pip install '.[test,mutation]'
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || command -v python3)}"
WORKERS="${MUTATION_WORKERS:-1}"

# The promises: the CLI's fix and exit paths, exit levels, findings' savings (a rule's estimate, which
# the value floor reads, then the measured saving: savings.py), fixes, the guard, eval's verdict and
# exit code (session.py maps the verdict to the exit code), cost's projection.
DEFAULT_SPECS=(
  "promptopt/cli.py:audit,_apply_fixes,fail"
  "promptopt/results.py"
  "promptopt/context.py:saving,report,location"
  "promptopt/savings.py"
  "promptopt/fixes.py"
  "promptopt/guard.py"
  "promptopt/evaluation/compare.py"
  "promptopt/evaluation/cli.py:eval_command,_fail"
  "promptopt/evaluation/session.py:exit_code,run_eval"
  "promptopt/cost/projection.py"
)
# Fast tests only (seconds each): no local model (slow), no corpus-wide loops, no subprocess-only
# tests (a `python -m promptopt` subprocess cannot see which mutant is on: it cannot kill one, and
# mutmut's trampolines fail outside the scratch folder).
DEFAULT_TESTS="tests/test_promises.py tests/test_eval_cli.py tests/test_rules_command.py tests/test_reporters.py
  tests/test_projection.py tests/test_compare.py tests/test_guard_labels.py tests/test_force_exclude.py
  tests/test_fix_loop.py tests/test_value_floor.py tests/test_cli_paths.py tests/test_discovery.py
  tests/test_eval_verdict.py tests/test_verdict_interval.py
  tests/test_eval_cli_paths.py tests/test_eval_http.py tests/test_eval_promptfoo.py tests/test_eval_models_http.py
  tests/test_eval_cli_options.py
  tests/test_hardening_input.py::test_a_file_that_cannot_be_written_is_reported_and_the_others_are_fixed
  tests/test_guard.py tests/test_fixes.py tests/test_cost.py tests/test_config.py tests/test_baseline.py
  tests/test_compress.py tests/test_compress_verify.py tests/test_eval_runner.py tests/test_eval_suite.py
  tests/test_rule_cases.py tests/test_loaders.py tests/test_security.py tests/test_result_cache.py
  tests/test_hardening_meaning.py
  --deselect tests/test_compress.py::test_killed_compress_process_leaves_the_original_intact
  --deselect tests/test_eval_runner.py::test_eval_cli_imports_neither_litellm_nor_torch
  --deselect tests/test_discovery.py::test_the_hook_audits_the_prompts_alone
  --deselect tests/test_result_cache.py::test_concurrent_runs_share_the_cache_safely
  -m 'not slow' -k 'not corpus and not precommit' -p no:cacheprovider"

specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=("${DEFAULT_SPECS[@]}")
"$PYTHON" -c "import mutmut" 2>/dev/null || { echo "mutmut is not installed: pip install '.[mutation]'" >&2; exit 2; }

WORK="${MUTATION_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/promptopt-mutation.XXXXXX")}"
mkdir -p "$WORK"
echo "mutation: scratch copy in $WORK" >&2
# tracked and new files as they are on disk (uncommitted changes included), nothing ignored
(cd "$ROOT" && git ls-files -co --exclude-standard -z) | (cd "$ROOT" && xargs -0 cp --parents -t "$WORK")
# tests find the shared corpus and schemas at ../shared from the checkout: mutmut runs in mutants/
if [ -d "$ROOT/../shared" ]; then
  ln -sfn "$(cd "$ROOT/../shared" && pwd)" "$WORK/shared"
fi

only_mutate=()
names=()
for spec in "${specs[@]}"; do
  module="${spec%%:*}"
  [ -f "$ROOT/$module" ] || { echo "mutation: no such module $module" >&2; exit 2; }
  only_mutate+=("$module")
  dotted="${module%.py}"; dotted="${dotted//\//.}"
  if [[ "$spec" == *:* ]]; then
    IFS=, read -ra funcs <<< "${spec#*:}"
    # functions are x_NAME, methods xǁCLASSǁNAME; a pattern that matches nothing is an error in mutmut
    for f in "${funcs[@]}"; do
      if grep -qE "^def ${f}\(" "$ROOT/$module"; then names+=("$dotted.x_${f}__mutmut_*"); fi
      if grep -qE "^    def ${f}\(" "$ROOT/$module"; then names+=("$dotted.xǁ*ǁ${f}__mutmut_*"); fi
    done
  else
    names+=("$dotted.*")
  fi
done

eval "test_args=(${MUTATION_TESTS:-$DEFAULT_TESTS})"
{
  echo "[mutmut]"
  echo "source_paths = promptopt"
  echo "only_mutate ="; printf '    %s\n' "${only_mutate[@]}"
  echo "also_copy ="; printf '    %s\n' fixtures rules docs examples bench
  echo "pytest_add_cli_args_test_selection ="; printf '    %s\n' "${test_args[@]}"
  # a mutant that hangs (a timeout or retry count mutated) costs this many times its tests' time
  echo "timeout_multiplier = 4.0"
} > "$WORK/setup.cfg"
# mutmut reads [tool.mutmut] from pyproject.toml before setup.cfg: make sure there is none
"$PYTHON" - "$WORK/pyproject.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text))
PY

cd "$WORK"
# mutmut skips decorated functions (the click commands, the properties): make them plain, here only
"$PYTHON" "$ROOT/scripts/mutation_undecorate.py" "${only_mutate[@]}"
# the mutated copy must be the one imported: no PYTHONPATH pointing at a checkout
env -u PYTHONPATH HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LITELLM_LOCAL_MODEL_COST_MAP=True \
  "$PYTHON" -m mutmut run --max-children "$WORKERS" "${names[@]}" > "$WORK/mutmut.log" 2>&1 || {
  echo "mutation: mutmut failed, see $WORK/mutmut.log" >&2; tail -20 "$WORK/mutmut.log" >&2; exit 2; }
"$PYTHON" "$ROOT/scripts/mutation_score.py" mutants "${specs[@]}" --survivors
