#!/usr/bin/env bash
# The Ray Data example (examples/ray/embed_corpus.py) on a local 2-CPU Ray cluster: output rows equal the
# single-process embeddings, and the output is complete after an embedder actor is killed mid-run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=$(scripts/python_env.sh ray)
RAY_USAGE_STATS_ENABLED=0 "$py" -m pytest -q -s -p no:cacheprovider examples/ray/test_embed_corpus.py "$@"
