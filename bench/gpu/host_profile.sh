#!/usr/bin/env bash
# On the lent GPU machine, after bench/run_gpu.sh --setup-only: V8 CPU profiles (node --cpu-prof) of many short
# WebGPU requests, on this tree and on an older one (issue 11's host-side regression: where the host time of a
# launch-bound request goes, our JS/WASM or Dawn's native calls). Profiles land in $OUT/prof-<side>/; summarize
# them here with bench/gpu/cpuprof_top.mjs.
#   bash bench/gpu/host_profile.sh [BEFORE_DIR] [CASE] [REPEATS]
# BEFORE_DIR: a checkout of the older commit with its build-wasm/ (run's carry of .gpucarry-pre unpacked to it).
# GPUEMBED_PROFILE_WASM_BUILD=DIR: this tree's module from DIR instead of build-wasm/ (a build linked with
# --profiling-funcs names the WASM functions in the profile).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
OUT=${OUT:-/tmp/gpuembed-out}
export PATH=$W/bin:$PATH XDG_RUNTIME_DIR=/tmp GPUEMBED_VK=system
CASE=${2:-short}; REPEATS=${3:-400}
sides=("after=$REPO"); [ -n "${1:-}" ] && sides=("before=$1" "after=$REPO")
for s in "${sides[@]}"; do
  name=${s%%=*}; dir=${s#*=}
  for try in 1 2 3; do  # Dawn in Node dies at random on that machine (gpu-device.md)
    rm -rf "$OUT/prof-$name"
    (cd "$dir" && timeout 180 node --cpu-prof --cpu-prof-dir="$OUT/prof-$name" bench/wasm/ours.mjs --backend webgpu \
      --model "$W/models/minilm-l6-random" --webgpu-dir "$W/node_modules/webgpu" --cases "$CASE" --repeats "$REPEATS" \
      --warmup 50 ${GPUEMBED_PROFILE_WASM_BUILD:+$([ "$name" = after ] && echo "--wasm-build $GPUEMBED_PROFILE_WASM_BUILD")} \
      2>&1 | tail -2) && break
  done
done
