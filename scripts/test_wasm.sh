#!/usr/bin/env bash
# The WebAssembly / WebGPU / JS API suites (called by scripts/test.sh; runnable alone):
#   1. builds the modules (scripts/build_wasm.sh -> build-wasm/gpuembed.mjs + .wasm and the threaded
#      gpuembed-mt.mjs + .wasm + .worker.js; prints the gzipped sizes),
#   2. sets up WebGPU in Node (scripts/setup_webgpu_node.sh: npm webgpu, a software Vulkan driver, chromium),
#   3. generates the test models (scripts/gen_models.sh) and installs the real ones (scripts/get_models.sh),
#   4. runs `node --test tests/wasm/ tests/js/` (as tests/run_node_tests.mjs, the longest files first): golden checks
#      on the WASM CPU path (both modules; 1 and 2 threads: tests/wasm/threads.test.mjs) and WebGPU (Dawn on a
#      software adapter), the JS API (errors, device loss, reloads, HTTP loading, vector index, npm package; in Node
#      it runs the threaded module), and headless Chromium (playwright-core) pages (the threaded module on a
#      COOP/COEP page: tests/js/browser_threads.test.mjs).
# Default run: about 10 minutes on 2 cores. GPUEMBED_SLOW=1 adds the long runs (whole golden sets on the software GPU).
#   GPUEMBED_SKIP_BUILD=1   use the existing build (no scripts/build_wasm.sh)
#   BUILD_DIR=build-wasm-x  build into / test another folder
#   TEST_FILTER="tests/js/"  run only these test paths
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { echo "--- test_wasm: $* ($(( $(date +%s) - start )) s)"; }

# BUILD_DIR (scripts/build_wasm.sh's) picks the build folder; the tests read $GPUEMBED_WASM_BUILD.
build=${BUILD_DIR:-build-wasm}
export GPUEMBED_WASM_BUILD=${GPUEMBED_WASM_BUILD:-$root/$build}
if [ "${GPUEMBED_SKIP_BUILD:-0}" != 1 ]; then
  step "build the WebAssembly module"
  scripts/build_wasm.sh
fi
step "WebGPU for Node (Dawn + software Vulkan), chromium"
scripts/setup_webgpu_node.sh
if [ ! -d node_modules/playwright-core ] || [ ! -f node_modules/webgpu/package.json ]; then
  npm install --no-audit --no-fund
fi
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
step "test models"
scripts/gen_models.sh
scripts/get_models.sh

step "node --test ${TEST_FILTER:-tests/wasm/ tests/js/}${GPUEMBED_SLOW:+ (GPUEMBED_SLOW=$GPUEMBED_SLOW)}"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# Two test files at a time (Node's default on 2 cores is one): most of them wait on one thread (WASM) or on the
# software GPU, so the second core would otherwise idle. GPUEMBED_TEST_CONCURRENCY=1 runs them one by one.
# tests/run_node_tests.mjs is `node --test` with the longest files started first.
# shellcheck disable=SC2086
node tests/run_node_tests.mjs --concurrency="${GPUEMBED_TEST_CONCURRENCY:-2}" ${TEST_FILTER:-tests/wasm/ tests/js/}
step "done"
