#!/usr/bin/env bash
# Builds bench/wasm/cpu_kernels_bench.cpp (per-op timing of the CPU encoder layer) as WASM, the way the module's
# CPU path is compiled (-O3 -msimd128), into build-wasm-cpu-bench/NAME.cjs; extra arguments go to em++
# (e.g. -DGPUEMBED_PORTABLE_MR=4 -DGPUEMBED_PORTABLE_NV=3). Run: node --no-experimental-fetch build-wasm-cpu-bench/NAME.cjs 32 128 2
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:-kb}; shift || true
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
mkdir -p build-wasm-cpu-bench
em++ -O3 -msimd128 -std=c++17 -Isrc -Iinclude -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node "$@" \
  bench/wasm/cpu_kernels_bench.cpp src/backend/cpu/gemm_packed.cpp src/backend/cpu/ops.cpp src/backend/cpu/attention_wasm.cpp \
  src/backend/cpu/layer_norm.cpp -o "build-wasm-cpu-bench/$name.js"
sed "s/$name\.js/$name.cjs/" "build-wasm-cpu-bench/$name.js" > "build-wasm-cpu-bench/$name.cjs" && rm "build-wasm-cpu-bench/$name.js"
