#!/usr/bin/env bash
# Runs every default test suite: native (GoogleTest via ctest), the same suite under ASan+UBSan, and the
# WebAssembly / WebGPU suites in Node. Slow suites (full software-GPU golden runs) need GPUEMBED_SLOW=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
# Free disk is printed with each stage: the CI machine's disk is small and a full one fails in odd places.
step() { echo; echo "=== $* ($(( $(date +%s) - start )) s; $(df -h --output=avail . | tail -1 | tr -d ' ') free)"; }

mkdir -p .cache
scripts/prefetch_deps.sh > .cache/prefetch.log 2>&1 &
prefetch=$!
wait_prefetch() {  # before the first use of what it installs; a failure only means the stage installs it itself
  [ -z "$prefetch" ] && return 0
  wait "$prefetch" || { echo "prefetch_deps.sh failed (the stages install what they need themselves):"; tail -5 .cache/prefetch.log; }
  prefetch=""
}

step "native build + tests"
scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)")
examples/cli-pipeline.sh
wait_prefetch
scripts/test_tokenizer_diff.sh  # ids against HF tokenizers on fresh random texts, every tokenizer shape

step "native tests under AddressSanitizer + UndefinedBehaviorSanitizer"
# WebGPU-in-Node's set-up (npm, chromium and lavapipe downloads) overlaps the sanitizer build; apt is free by now
# (the sanitizer build's install_deps.sh finds everything installed).
scripts/setup_webgpu_node.sh > .cache/setup_webgpu.log 2>&1 &
setup_webgpu=$!
BUILD_DIR=build-asan CMAKE_ARGS="-DGPUEMBED_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPUEMBED_BUILD_BENCH=OFF" \
  scripts/build.sh
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$(nproc)")
# On CI (.ci/run: a fresh clone, nothing to reuse) the sanitizer build's objects only take disk from the later stages.
if [ "${GPUEMBED_CI_CLEAN:-}" = 1 ]; then rm -rf build-asan; fi

wait "$setup_webgpu" || { echo "setup_webgpu_node.sh failed in the background (test_wasm.sh runs it again):"; tail -5 .cache/setup_webgpu.log; }
if [ -x scripts/test_wasm.sh ]; then
  step "WebAssembly + WebGPU tests (Node)"
  scripts/test_wasm.sh
fi
step "Python package, Rust crate, Ray (scripts/test_python.sh, test_rust.sh, test_ray.sh)"
scripts/test_python.sh
scripts/test_rust.sh
scripts/test_ray.sh

step "reliability: fuzzing (30 s/target), ThreadSanitizer, sustained load (RELIABILITY.md)"
scripts/test_reliability.sh
step "all tests passed"
