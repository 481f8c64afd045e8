#!/usr/bin/env bash
# Generates the deterministic random-weight models from ../shared once and caches them in .cache/models.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${GPUEMBED_SHARED_DIR:-$root/../shared}
out=$root/.cache/models
# The sentence-transformers feature folders (prompts, Dense, pooling modes, shards) built from tiny-bert-cls in under
# a second; redone whenever tools/gen_st_models.py changes.
st_models() {
  local stamp=$out/.st-$(cat "$root/tools/gen_st_models.py" "$root"/tests/golden/st-dense-bin/2_Dense/* | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && return 0
  GPUEMBED_SHARED_DIR=$shared python3 "$root/tools/gen_st_models.py" "$out/tiny-bert-cls" "$out" >&2
  rm -f "$out"/.st-* && touch "$stamp"
}
if [ -f "$out/minilm-l6-random/model.safetensors" ] && [ -f "$out/tiny-bert-cls/model.safetensors" ] \
   && [ -f "$out/.complete" ]; then
  st_models
  exit 0
fi
echo "gpuembed: generating random-weight models into $out (about 30 s)..." >&2
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
python3 "$shared/tools/gen_model.py" "$shared/models/all-MiniLM-L6-v2" "$out.tmp" >&2
rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.complete"
st_models
