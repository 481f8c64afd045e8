#!/usr/bin/env bash
# Builds the Python package into its private venv (scripts/python_env.sh) and runs its pytest suite: outputs
# against recorded sentence-transformers references (tests/golden), errors, the GIL, the index.
#   scripts/test_python.sh [--live-st] [pytest args]
# --live-st also runs sentence-transformers itself in the same tests (the reference venv of scripts/pyref_env.sh
# torch: CUDA torch from PyPI, several GB, so not in the default run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=$(scripts/python_env.sh)
if [ "${1:-}" = --live-st ]; then
  shift
  ref=$(scripts/pyref_env.sh torch)  # separate statement: a failed install must fail this script
  export GPUEMBED_REFERENCE_PYTHON=$ref
fi
"$py" -m pytest -q -s -p no:cacheprovider python/tests "$@"
