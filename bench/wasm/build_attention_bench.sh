#!/usr/bin/env bash
# Builds bench/wasm/attention_bench.cpp three ways into build-wasm-cpu-bench/: ab.cjs (SIMD128, as the module),
# ab-relaxed.cjs (relaxed SIMD, as the -relaxed modules: -mrelaxed-simd -DGPUEMBED_WASM_FMA, then the opcode
# rewrite of scripts/wasm_relaxed_madd.mjs) and ab-native (g++ -O3, the ISA-dispatched native path).
# A name suffix (first argument, optional) keeps builds of two revisions side by side.
set -euo pipefail
cd "$(dirname "$0")/../.."
sfx=${1:-}
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
out=build-wasm-cpu-bench
mkdir -p "$out"
srcs=(bench/wasm/attention_bench.cpp src/backend/cpu/gemm_packed.cpp src/backend/cpu/ops.cpp
  src/backend/cpu/attention_wasm.cpp src/backend/cpu/cpu_features.cpp)
wasm() {  # name, extra flags
  local name=$1; shift
  em++ -O3 -msimd128 -std=c++17 -Isrc -Iinclude -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node "$@" "${srcs[@]}" \
    -o "$out/$name.js"
  sed "s/$name\.js/$name.cjs/" "$out/$name.js" > "$out/$name.cjs" && rm "$out/$name.js"
}
wasm "ab$sfx"
wasm "ab-relaxed$sfx" -mrelaxed-simd -DGPUEMBED_WASM_FMA
node scripts/wasm_relaxed_madd.mjs "$out/ab-relaxed$sfx.wasm" "$out/ab-relaxed$sfx.wasm"
# (gemm_avx2.cpp: gemm_packed.cpp calls its GELU on x86)
g++ -O3 -std=c++20 -Isrc -Iinclude "${srcs[@]}" src/backend/cpu/gemm_avx2.cpp -o "$out/ab-native$sfx"
