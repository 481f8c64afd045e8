#!/usr/bin/env bash
# attention_sgmat.wgsl on the lent GPU (fp16 on subgroup matrices, Dawn toggles vulkan_enable_f16_on_nvidia and
# allow_unsafe_apis), in about 6 minutes, with the work folder of bench/run_gpu.sh (made here with --setup-only when
# missing):
#   here:         scripts/build_wasm.sh && scripts/pack_gpu_carry.sh
#   device tool:  run(command="bash bench/gpu/sgattn_device_check.sh", timeout_s=480,
#                     carry=[".gpucarry", "build-wasm/gpuembed.mjs", "build-wasm/gpuembed.wasm",
#                            "build-wasm/gpuembed_ops.mjs", "build-wasm/gpuembed_ops.wasm"])
#  1. the op tests (tests/wasm/ops.test.mjs, ops_families.test.mjs) with subgroup matrices on: attention_sgmat.wgsl
#     and matmul_sgmat.wgsl on the matrix units against the float64 references ($OUT/ops.log);
#  2. bench/gpu/kernel_profile.mjs, fp16 + subgroup matrices, attention forced to each kernel: MiniLM (head dim 32)
#     b256x128 with tiled / simple / sgmat, then Qwen3-Embedding-0.6B and EmbeddingGemma-300m at full size (random
#     weights, tools/gen_family_models.py --full, head dims 128 and 256) s512x8 with tiled / sgmat
#     ($OUT/profile_<model>_<kernel>.txt; the attention rows and the kernels' totals are printed);
#  3. bench/gpu/precision.mjs --subgroup-matrix --golden all: fp32 and fp16 (matmul_sgmat + attention_sgmat) against
#     the MiniLM golden file ($OUT/precision_golden.json, log .log).
# Dawn in Node aborts at random on that machine (../shared/notes/gpu-device.md): a step killed by a signal is run
# once more. SGATTN_STEPS=ops,profile,golden picks steps; SGATTN_FULL=0 leaves out the full-size families.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
OUT=${OUT:-/tmp/gpuembed-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/sgattn_device_check.log") 2>&1
T0=$(date +%s)
step() { echo "== [$(( $(date +%s) - T0 )) s] $*"; }
[ -f "$W/.complete" ] || GPUEMBED_GPU_REUSE=0 bash bench/run_gpu.sh --setup-only > "$OUT/setup.log" 2>&1 ||
  { tail -20 "$OUT/setup.log"; exit 1; }
export PATH=$W/bin:$PATH XDG_RUNTIME_DIR=/tmp GPUEMBED_VK=system GPUEMBED_SHARED_DIR=$W/shared
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then for f in .gpucarry/gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
mkdir -p node_modules .cache
[ -e node_modules/webgpu ] || ln -s "$W/node_modules/webgpu" node_modules/webgpu
[ -e .cache/models ] || ln -s "$W/models" .cache/models
[ -f "$W/models/.complete" ] || touch "$W/models/.complete"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
TOGGLES=vulkan_enable_f16_on_nvidia,allow_unsafe_apis
STEPS=",${SGATTN_STEPS:-ops,profile,golden},"
failed=0
attempt() {  # attempt LOG TIMEOUT COMMAND...: once more when killed by a signal
  local log=$1 t=$2 rc; shift 2
  for try in 1 2; do
    timeout "$t" "$@" > "$log" 2>&1
    rc=$?
    [ $rc -lt 128 ] && break
    echo "   (try $try died: rc $rc; $(grep -a -m1 -E 'Error|Abort|terminate|Segmentation' "$log" | cut -c1-160))"
  done
  [ $rc -eq 0 ] || { failed=$((failed + 1)); echo "   FAILED: rc $rc ($log)"; }
  return $rc
}

if [[ $STEPS == *,ops,* ]]; then
  step "1. op tests, subgroup matrices on"
  attempt "$OUT/ops.log" 200 env GPUEMBED_DAWN_TOGGLES=$TOGGLES node --test tests/wasm/ops.test.mjs tests/wasm/ops_families.test.mjs
  grep -a -E '# ops harness|attention_sgmat|matmul_sgmat [0-9]|^not ok|^# (pass|fail)' "$OUT/ops.log" | sed 's/^# \\#/  /' | cut -c1-170
fi

profile() {  # profile NAME MODEL CASES KERNEL
  local log="$OUT/profile_$1_$4.txt"
  attempt "$log" 100 node bench/gpu/kernel_profile.mjs --model "$2" --webgpu-dir "$W/node_modules/webgpu" \
    --precision fp16 --subgroup-matrix --gpu-toggles "$TOGGLES" --attention "$4" --cases "$3"
  echo "-- $1 $3 attention $4:"
  grep -a -E "^attention|^kernels' total|ERROR" "$log" | cut -c1-200 | sed 's/^/   /'
}
if [[ $STEPS == *,profile,* ]]; then
  step "2. kernel_profile A/B, fp16 + subgroup matrices"
  for k in tiled simple sgmat; do profile minilm "$W/models/minilm-l6-random" b256x128:5 "$k"; done
  if [ "${SGATTN_FULL:-1}" = 1 ]; then
    F=$W/sgattn-full  # not families_full.sh's folder: that one expects all six families
    step "full-size Qwen3 and Gemma3 (random weights) into $F"
    [ -f "$F/gemma3-full/model.safetensors" ] || python3 -c 'import sys; sys.path.insert(0, "tools")
import gen_family_models as g
g.FULL = True
for make in (g.qwen3, g.gemma3): make(sys.argv[1])' "$F" > "$OUT/gen_full.log" 2>&1 || { tail -5 "$OUT/gen_full.log"; failed=$((failed + 1)); }
    for m in qwen3-full gemma3-full; do
      for k in tiled sgmat; do profile "$m" "$F/$m" s512x8:3 "$k"; done
    done
  fi
fi

if [[ $STEPS == *,golden,* ]]; then
  step "3. golden, fp16 on subgroup matrices"
  attempt "$OUT/precision_golden.log" 120 node bench/gpu/precision.mjs --model "$W/models/minilm-l6-random" \
    --webgpu-dir "$W/node_modules/webgpu" --gpu-toggles "$TOGGLES" --subgroup-matrix --golden all --warmup 0
  grep -a -E '^\[precision\]' "$OUT/precision_golden.log" | sed 's/^/   /'
  grep -a '^{' "$OUT/precision_golden.log" | tail -1 | tee "$OUT/precision_golden.json" | node -e 'let s = "";
process.stdin.on("data", (d) => { s += d; }).on("end", () => { try { const j = JSON.parse(s);
console.log("   golden:", JSON.stringify(j.golden), "kernels:", JSON.stringify(j.precisions));
if (j.precisions?.fp16?.attention_kernel !== "attention_sgmat") { console.log("   fp16 did not run attention_sgmat"); process.exitCode = 1; }
} catch (e) { console.log("   no JSON:", e.message); process.exitCode = 1; } });' || failed=$((failed + 1))
fi
step "sgattn_device_check: $failed step(s) failed"
exit $failed
