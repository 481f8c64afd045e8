#!/usr/bin/env bash
# The main job on the embedded default: build, generate the random-weight MiniLM-shaped model, embed the
# sample sentences and print them with their cosine-similarity matrix. Extra arguments are texts to embed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/build.sh >&2
exec build/gpuembed similarity --model .cache/models/minilm-l6-random "$@"
