#!/usr/bin/env bash
# Generates the deterministic random-weight models (tools/gen_model.py with the real all-MiniLM-L6-v2 tokenizer and
# configs of tests/models/) once and caches them in .cache/models.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${GPUEMBED_SHARED_DIR:-$root/tests}
out=$root/.cache/models
# The generators are stdlib Python; with numpy they make the same bytes in seconds instead of ~45 s. Debian's python3
# has it (python3-numpy, scripts/install_deps.sh) where another python3 comes first on PATH.
py=python3
$py -c 'import numpy' 2>/dev/null || { /usr/bin/python3 -c 'import numpy' 2>/dev/null && py=/usr/bin/python3; } || true
# The sentence-transformers feature folders (prompts, Dense, pooling modes, shards) built from tiny-bert-cls in under
# a second; redone whenever tools/gen_st_models.py changes.
st_models() {
  local stamp=$out/.st-$(cat "$root/tools/gen_st_models.py" "$root"/tests/golden/st-dense-bin/2_Dense/* | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && return 0
  $py "$root/tools/gen_st_models.py" "$out/tiny-bert-cls" "$out" >&2
  rm -f "$out"/.st-* && touch "$stamp"
}
# The other families' random-weight folders (tools/gen_family_models.py, about 15 s); redone when the generator or
# the tokenizers it copies change.
family_models() {
  local stamp=$out/.families-$(cat "$root"/tools/gen_family_models.py "$root"/tools/gen_model.py \
    "$root"/tests/data/tokenizers/xlmr*.json "$root"/tests/data/tokenizers/modernbert.json "$root"/tests/data/tokenizers/qwen3.json "$root"/tests/data/tokenizers/gemma.json "$root"/tests/models/all-mpnet-base-v2/* "$root"/tests/models/all-MiniLM-L6-v2/tokenizer.json | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && return 0
  echo "gpuembed: generating the model-family folders into $out..." >&2
  $py "$root/tools/gen_family_models.py" "$out" >&2
  rm -f "$out"/.families-* && touch "$stamp"
}
if [ -f "$out/minilm-l6-random/model.safetensors" ] && [ -f "$out/tiny-bert-cls/model.safetensors" ] \
   && [ -f "$out/.complete" ]; then
  st_models
  family_models
  exit 0
fi
echo "gpuembed: generating random-weight models into $out ..." >&2
tmp=$out/.gen.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
$py "$root/tools/gen_model.py" "$shared/models/all-MiniLM-L6-v2" "$tmp" >&2
# folder by folder: .cache/models also holds the real models of scripts/get_models.sh
for m in minilm-l6-random tiny-bert-cls; do rm -rf "${out:?}/$m" && mv "$tmp/$m" "$out/$m"; done
rm -rf "$tmp" && touch "$out/.complete"
st_models
family_models
