#!/usr/bin/env bash
# Build the transformers.js model folder for the peer benchmarks:
#   OUTDIR/onnx/model.onnx   (minilm-l6-random ONNX export, reassembled from ../shared/models/*.xz.part0*)
#   OUTDIR/{config.json,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt}
# Usage: bench/peer/prepare_model.sh [OUTDIR]     (default: <repo>/.cache/peer-model)
# Shared dir: $GPUEMBED_SHARED_DIR, else <repo root>/../shared.
# Idempotent: an existing model.onnx with the right sha256 is kept; prints OUTDIR on stdout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SHARED="${GPUEMBED_SHARED_DIR:-$REPO/../shared}"
[ -d "$SHARED" ] && SHARED="$(cd "$SHARED" && pwd)"
OUT="${1:-$REPO/.cache/peer-model}"
SHA=6663cc8e9dab314fd07aaf9636081ec8cf612c60a38c0e71e0868f4f8fbb9a95
TOKDIR="$SHARED/models/all-MiniLM-L6-v2"
FILES="config.json tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt"

log() { echo "prepare_model: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -d "$SHARED/models" ] || die "shared dir not found: $SHARED (set GPUEMBED_SHARED_DIR)"
[ -d "$TOKDIR" ] || die "tokenizer folder not found: $TOKDIR"
ls "$SHARED"/models/minilm-l6-random.onnx.xz.part0* >/dev/null 2>&1 || die "no $SHARED/models/minilm-l6-random.onnx.xz.part0*"
command -v xz >/dev/null || die "xz not installed (apt-get install xz-utils)"
command -v sha256sum >/dev/null || die "sha256sum not found"

mkdir -p "$OUT/onnx"
OUT="$(cd "$OUT" && pwd)"

for f in $FILES; do
  if ! cmp -s "$TOKDIR/$f" "$OUT/$f" 2>/dev/null; then
    cp "$TOKDIR/$f" "$OUT/$f.tmp.$$" && chmod 644 "$OUT/$f.tmp.$$" && mv -f "$OUT/$f.tmp.$$" "$OUT/$f"
  fi
done

M="$OUT/onnx/model.onnx"
STAMP="$OUT/onnx/model.onnx.sha256"
# Cache check: the stamp records sha256 + size + mtime of a verified file, so re-runs skip hashing 90 MB.
sig() { stat -c '%s %Y' "$1"; }
if [ -f "$M" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SHA $(sig "$M")" ]; then
  log "cached $M"
else
  if [ -f "$M" ] && [ "$(sha256sum "$M" | cut -d' ' -f1)" = "$SHA" ]; then
    log "verified existing $M"
  else
    log "building $M from $SHARED/models/minilm-l6-random.onnx.xz.part0*"
    TMP="$M.tmp.$$"
    trap 'rm -f "$TMP"' EXIT
    cat "$SHARED"/models/minilm-l6-random.onnx.xz.part0* | xz -dc > "$TMP"
    GOT="$(sha256sum "$TMP" | cut -d' ' -f1)"
    [ "$GOT" = "$SHA" ] || die "sha256 mismatch for model.onnx: got $GOT, want $SHA"
    mv -f "$TMP" "$M"
    trap - EXIT
  fi
  echo "$SHA $(sig "$M")" > "$STAMP"
fi
echo "$OUT"
