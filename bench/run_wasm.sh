#!/usr/bin/env bash
# Our WASM CPU path vs onnxruntime-web's wasm backend in Node, same inputs (bench/inputs.json), end to end, with
# cold start; prints a table (our ms, theirs, ratio) and writes JSON. One documented command:
#
#   bench/run_wasm.sh [--cases short,b32x128] [--rounds 3] [--threads 1,2] [--peer-threads 1,2] [--nice -15] [--out FILE] ...
#   bench/run_wasm.sh --relaxed 1,2 ...   # also the relaxed-SIMD modules (Node 20: run with --experimental-wasm-relaxed-simd)
#
# (every option goes to bench/wasm/bench_wasm.mjs; see its header). Defaults: cases short,b32x128, 3 rounds,
# ours and the peer at 1 and 2 threads (ours: 1 = gpuembed.mjs, 2 = the threaded gpuembed-mt.mjs),
# --nice -15 when root (each process in its own session with autogroup nice -15, as bench/run_peers.sh --nice;
# both sides alike), JSON to .cache/bench-wasm-<date>.json.
# Needs: node >= 20, build-wasm/gpuembed.{mjs,wasm} (scripts/build_wasm.sh), the generated models
# (scripts/gen_models.sh), the peers (bench/run_peers.sh installs them; here: npm ci in bench/peer) and the ONNX
# model folder (bench/peer/prepare_model.sh).
# GPUEMBED_WASM_BUILD=DIR: another build folder (e.g. a snapshot taken while others rebuild build-wasm/).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
log() { echo "run_wasm: $*" >&2; }
build=${GPUEMBED_WASM_BUILD:-$REPO/build-wasm}
[ -s "$build/gpuembed.wasm" ] && [ -f "$build/gpuembed.mjs" ] && [ -s "$build/gpuembed-mt.wasm" ] || { log "building the WASM module"; scripts/build_wasm.sh >&2; }
[ -f .cache/models/minilm-l6-random/model.safetensors ] || scripts/gen_models.sh >&2
if [ ! -f bench/peer/node_modules/onnxruntime-web/package.json ]; then
  log "installing the peers (npm ci in bench/peer)"
  (cd bench/peer && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
PEER_MODEL="$(bench/peer/prepare_model.sh)"
args=("$@")
has() { for x in "${args[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
has --nice || { [ "$(id -u)" = 0 ] && args+=(--nice -15); }
has --out || { mkdir -p .cache; args+=(--out ".cache/bench-wasm-$(date -u +%Y%m%d-%H%M).json"); }
has --wasm-build || args+=(--wasm-build "$build")
log "node $(node --version), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec node bench/wasm/bench_wasm.mjs --peer-model "$PEER_MODEL" "${args[@]}"
