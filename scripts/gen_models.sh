#!/usr/bin/env bash
# Generates the deterministic random-weight models (tools/gen_model.py with the real all-MiniLM-L6-v2 tokenizer and
# configs of tests/models/) once and caches them in .cache/models.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${GPUEMBED_SHARED_DIR:-$root/tests}
out=$root/.cache/models
if [ -f "$out/minilm-l6-random/model.safetensors" ] && [ -f "$out/tiny-bert-cls/model.safetensors" ] \
   && [ -f "$out/.complete" ]; then
  exit 0
fi
echo "gpuembed: generating random-weight models into $out (about 30 s)..." >&2
tmp=$out/.gen.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
python3 "$root/tools/gen_model.py" "$shared/models/all-MiniLM-L6-v2" "$tmp" >&2
# folder by folder: .cache/models also holds the real models of scripts/get_models.sh
for m in minilm-l6-random tiny-bert-cls; do rm -rf "${out:?}/$m" && mv "$tmp/$m" "$out/$m"; done
rm -rf "$tmp" && touch "$out/.complete"
