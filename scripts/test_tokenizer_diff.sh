#!/usr/bin/env bash
# Differential test of the tokenizers against HF tokenizers 0.23.2: 10,000 fresh random texts per tokenizer in
# tests/data/tokenizers (and all-MiniLM-L6-v2's from ../shared when present), 0 mismatches required. Needs the
# native build (build/tests/tokenize_lines) and the pinned Python reference tools (scripts/pyref_env.sh).
#   scripts/test_tokenizer_diff.sh [--n N] [--seed S]      (the seed of a failing run is printed to replay it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=$(scripts/pyref_env.sh)
tokenizers=(tests/data/tokenizers/*.json)
minilm=../shared/models/all-MiniLM-L6-v2/tokenizer.json
[ -f "$minilm" ] && tokenizers+=("$minilm")
"$py" tools/tokenizer_diff.py --n 10000 "$@" "${tokenizers[@]}"
# Truncation counts the template's specials as HF's does.
"$py" tools/tokenizer_diff.py --n 2000 --max-length 12 "$@" tests/data/tokenizers/xlmr.json tests/data/tokenizers/qwen3.json
[ -f "$minilm" ] && "$py" tools/tokenizer_diff.py --n 2000 --max-length 512 "$@" "$minilm"
# Every other option (tools/tokenizer_variants.py), fewer texts each.
variants=$(mktemp -d)
trap 'rm -rf "$variants"' EXIT
"$py" tools/tokenizer_variants.py "$variants"
"$py" tools/tokenizer_diff.py --n 1000 "$@" "$variants"/*.json
