#!/usr/bin/env bash
# Builds the Python package into its private venv (scripts/python_env.sh) and runs its pytest suite: outputs
# against sentence-transformers (run in the reference venv of scripts/pyref_env.sh torch), errors, the GIL, the index.
#   scripts/test_python.sh [pytest args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=$(scripts/python_env.sh)
export GPUEMBED_REFERENCE_PYTHON=$(scripts/pyref_env.sh torch)
"$py" -m pytest -q -s -p no:cacheprovider python/tests "$@"
