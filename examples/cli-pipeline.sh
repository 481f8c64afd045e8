#!/usr/bin/env bash
# Native CLI pipeline: embed a file of passages to NumPy, build and save a search index, query it twice (from the
# corpus and from the saved index) and check that both answers agree and that a passage finds itself first.
#   examples/cli-pipeline.sh [MODEL_DIR]        (default: the generated .cache/models/minilm-l6-random)
# Expected output: "passages.npy: 24 x 384 float32", then two JSON lines with the same ranking (the second from the
# float16 index file, so its scores differ in the 4th decimal) whose first hit is
# {"id": 2, "score": 1.0, "text": "A sourdough starter is ..."}, then "cli pipeline: ok".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x build/gpuembed ] || scripts/build.sh >&2
model=${1:-${GPUEMBED_MODEL:-.cache/models/minilm-l6-random}}
[ -d "$model" ] || scripts/gen_models.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
corpus=examples/data/passages.txt
query=$(sed -n 3p "$corpus")

build/gpuembed embed --model "$model" --input "$corpus" --output "$tmp/passages.npy" --no-progress
rows=$(wc -l < "$corpus")
echo "passages.npy: $rows x $(build/gpuembed info --model "$model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dimension"])') float32"

build/gpuembed search --model "$model" --corpus "$corpus" -q "$query" -k 3 --save-index "$tmp/passages.gpeidx" \
  --storage f16 | tee "$tmp/a.json"
build/gpuembed search --model "$model" --corpus "$corpus" --index "$tmp/passages.gpeidx" -q "$query" -k 3 | tee "$tmp/b.json"

python3 - "$tmp/a.json" "$tmp/b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["hits"][0]["id"] == 2 and abs(a["hits"][0]["score"] - 1) < 1e-5, a
# The saved index is float16: same ranking, scores within f16 rounding.
assert [h["id"] for h in a["hits"]] == [h["id"] for h in b["hits"]], (a, b)
assert all(abs(x["score"] - y["score"]) < 2e-3 for x, y in zip(a["hits"], b["hits"])), (a, b)
PY
echo "cli pipeline: ok"
