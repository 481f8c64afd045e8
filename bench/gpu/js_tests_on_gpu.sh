#!/usr/bin/env bash
# The JS / WASM suites that want a real GPU, on the lent machine (device tool), with the work folder of
# bench/run_gpu.sh (made here with --setup-only when missing):
#   run(command="bash bench/gpu/js_tests_on_gpu.sh", timeout_s=560,
#       carry=[".gpucarry", "build-wasm/gpuembed.mjs", "build-wasm/gpuembed.wasm"])
#   - tests/js/index_gpu.test.mjs: GPU vector search = CPU search = brute force;
#   - tests/wasm/webgpu_golden.test.mjs with GPUEMBED_SLOW=1: all 80 golden sentences of both models;
#   - the fp16 suites (tests/wasm/ + tests/js/webgpu_fp16.test.mjs, all sentences) with Dawn's
#     vulkan_enable_f16_on_nvidia (NVIDIA's Vulkan driver hides shader-f16 without it);
#   - tests/js/load.test.mjs: GPUEMBED_LOAD_CALLS (default 10,000) embed calls on WebGPU, figures in $OUT/load.json;
#   - tests/wasm/real_webgpu.test.mjs with GPUEMBED_SLOW=1 (all golden sentences + the whole evaluation set, fp32 and
#     fp16) when the real all-MiniLM-L6-v2 was put together there (bench/gpu/real_parts.sh; it is too big for one call).
#   - tests/wasm/families_webgpu.test.mjs (GPUEMBED_SLOW=1): every model family's reduced random-weight folder on the
#     GPU, fp32 and fp16, all golden sentences (tests/wasm/families.test.mjs: their WASM CPU path);
#   - the WebGPU kernel harnesses (tests/wasm/ops*.test.mjs) when build-wasm/gpuembed_ops.{mjs,wasm} were carried;
# GPUEMBED_GPU_SUITES=a,b runs only the named suites (index_gpu, ops, golden_fp32, fp16, load, families, real).
# Dawn in Node aborts at random on that machine (../shared/notes/gpu-device.md): a suite that dies by a signal is
# run once more, and both outcomes are printed.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
OUT=${OUT:-/tmp/gpuembed-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/js_tests_on_gpu.log") 2>&1
[ -f "$W/.complete" ] || GPUEMBED_GPU_REUSE=0 bash bench/run_gpu.sh --setup-only || exit 1
export PATH=$W/bin:$PATH XDG_RUNTIME_DIR=/tmp GPUEMBED_VK=system  # goldens: the repo's tests/golden
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then for f in .gpucarry/gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
mkdir -p node_modules .cache
[ -e node_modules/webgpu ] || ln -s "$W/node_modules/webgpu" node_modules/webgpu
[ -e .cache/models ] || ln -s "$W/models" .cache/models
touch "$W/models/.complete"
# the model-family folders (stdlib Python; numpy there makes them in seconds)
[ -f "$W/models/gemma3-random/model.safetensors" ] || python3 tools/gen_family_models.py "$W/models" >/dev/null
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
failed=0
suite() {  # suite NAME ENV... -- COMMAND...
  local name=$1; shift
  if [ -n "${GPUEMBED_GPU_SUITES:-}" ] && [[ ",$GPUEMBED_GPU_SUITES," != *",$name,"* ]]; then return 0; fi
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  for try in 1 2; do
    echo "== $name (try $try): ${envs[*]} $*"
    env "${envs[@]}" "$@"
    local rc=$?
    echo "== $name: rc $rc"
    [ $rc -eq 0 ] && return 0
    [ $rc -lt 128 ] && break  # a failed assertion is not retried; only a process killed by a signal is
  done
  failed=$((failed + 1))
}
suite index_gpu GPUEMBED_SLOW=0 -- node --test tests/js/index_gpu.test.mjs
if [ -f build-wasm/gpuembed_ops.wasm ]; then  # carry build-wasm/gpuembed_ops.{mjs,wasm} for the kernel harnesses
  # the f16 toggle and Dawn's unsafe APIs (subgroup matrices) so the fp16 kernels, matmul_sgmat.wgsl included, run
  suite ops GPUEMBED_DAWN_TOGGLES=vulkan_enable_f16_on_nvidia,allow_unsafe_apis -- \
    node --test tests/wasm/ops.test.mjs tests/wasm/ops_families.test.mjs
fi
suite golden_fp32 GPUEMBED_SLOW=1 -- node --test tests/wasm/webgpu_golden.test.mjs
suite fp16 GPUEMBED_SLOW=1 GPUEMBED_DAWN_TOGGLES=vulkan_enable_f16_on_nvidia -- \
  node --test tests/wasm/webgpu_fp16.test.mjs tests/js/webgpu_fp16.test.mjs
suite load GPUEMBED_LOAD_CALLS="${GPUEMBED_LOAD_CALLS:-10000}" GPUEMBED_LOAD_BACKENDS=webgpu \
  GPUEMBED_LOAD_JSON="$OUT/load.json" -- node tests/js/load.test.mjs
suite families GPUEMBED_SLOW=1 GPUEMBED_DAWN_TOGGLES=vulkan_enable_f16_on_nvidia -- \
  node --test tests/wasm/families_webgpu.test.mjs tests/wasm/families.test.mjs
if [ -f "$W/models/.real-complete" ]; then
  suite real GPUEMBED_SLOW=1 GPUEMBED_DAWN_TOGGLES=vulkan_enable_f16_on_nvidia -- node --test tests/wasm/real_webgpu.test.mjs
else
  echo "== real: skipped (no real model assembled in $W/models: bench/gpu/real_parts.sh)"
fi
echo "== js_tests_on_gpu: $failed suite(s) failed"
exit $failed
