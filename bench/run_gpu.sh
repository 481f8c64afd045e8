#!/usr/bin/env bash
# The GPU benchmark, run ON the lent GPU machine from the repo root (no internet, no Node, no Vulkan loader there):
#
#   here, once:   scripts/build_wasm.sh && scripts/pack_gpu_carry.sh        # fills the ignored .gpucarry/ (~46 MiB)
#   device tool:  run(command="bash bench/run_gpu.sh", timeout_s=540,
#                     carry=[".gpucarry", "build-wasm/gpuembed.mjs", "build-wasm/gpuembed.wasm"])
#   dry run here (CPU only, SwiftShader, tiny cases):
#                 GPUEMBED_VK_ICD=/usr/lib/chromium/vk_swiftshader_icd.json OUT=/tmp/gpu-dry bench/run_gpu.sh --quick
#
# Steps: unpack .gpucarry into a work folder ($GPUEMBED_GPU_WORK, default /tmp/gpuembed-gpu; nothing in the repo is
# touched), the Vulkan loader .debs into / when `ldconfig -p` has no libvulkan.so.1 (the device README's recipe),
# ldconfig, XDG_RUNTIME_DIR=/tmp; regenerate the random-weight models with ../shared's gen_model.py (~20-30 s, sha256
# checked) and refill the ONNX export's weights from them (sha256 checked); then bench/gpu/bench_gpu.mjs: a 5-process
# canary of the exact Node + dawn.node configuration, the golden check on the GPU, and per case (short, b32x128,
# b256x128, s512x{1..32}) our WebGPU path, transformers.js device:'webgpu' and PyTorch sentence-transformers CUDA fp32,
# one process per measurement with a timeout (Dawn ones with retries). Table on stdout; JSON + log under $OUT.
# GPUEMBED_GPU_REUSE=1 keeps an earlier complete work folder (skips unpacking and model generation; for dry runs).
# --setup-only: stop after the set-up (bench/gpu/js_tests_on_gpu.sh uses it). Other options go to bench_gpu.mjs (--quick, --cases a,b, --no-peer, --no-torch, --canary N, --tries N, --timeout-s S).
# fp16 (the opt-in precision: 'fp16' path) against fp32 on our WebGPU path, with the min cosine of fp16 vs fp32 per
# case and both against the golden file; Dawn's toggle vulkan_enable_f16_on_nvidia is passed for those processes:
#   run(command="bash bench/run_gpu.sh --precision fp16 --no-ours --no-peer --no-torch --no-phases
#                --cases short,b32x128,b256x128,s512x32", timeout_s=540, carry=[as above])
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
OUT=${OUT:-/tmp/gpuembed-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run_gpu.log") 2>&1
C=$REPO/.gpucarry
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
T0=$(date +%s)
step() { echo "== [$(( $(date +%s) - T0 )) s] $*"; }
die() { echo "run_gpu: ERROR: $*"; exit 1; }
step "gpuembed GPU benchmark $(date -u +%FT%TZ) on $(hostname), $(nproc) CPUs"
[ -f "$C/node.xz" ] || die "$C missing: run scripts/pack_gpu_carry.sh here and name .gpucarry in carry"
[ "${1:-}" = --setup-only ] || { [ -s build-wasm/gpuembed.wasm ] && [ -f build-wasm/gpuembed.mjs ]; } ||
  die "build-wasm/gpuembed.{mjs,wasm} missing: carry them"
cat "$C/PACKED.txt" 2>/dev/null
echo "wasm module: $(stat -c '%s B %y' build-wasm/gpuembed.wasm)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi (dry run?)"

REUSE=0
if [ "${GPUEMBED_GPU_REUSE:-0}" = 1 ] && [ -f "$W/.complete" ]; then REUSE=1; step "reusing $W (GPUEMBED_GPU_REUSE=1)"; else
step "unpack"
rm -rf "$W" && mkdir -p "$W/bin" "$W/node_modules" "$W/models" "$W/shared/golden" "$W/shared/models" \
  "$W/peer/bench/peer/node_modules" "$W/peer-model/onnx"
xz -dc "$C/node.xz" > "$W/bin/node" && chmod +x "$W/bin/node" || die "node"
tar -xJf "$C/webgpu.tar.xz" -C "$W/node_modules" || die "webgpu"
# transformers.js may be left out of the carry (64 MiB cap) by runs that do not time the peer
if [ -f "$C/tjs.tar.xz" ]; then tar -xJf "$C/tjs.tar.xz" -C "$W/peer/bench/peer/node_modules" || die "transformers.js tree"
else echo "run_gpu: no $C/tjs.tar.xz in the carry: the transformers.js peer cannot run"; fi
tar -xJf "$C/models/all-MiniLM-L6-v2.tar.xz" -C "$W/shared/models" || die "tokenizer files"
xz -dc "$C/golden.json.xz" > "$W/shared/golden/minilm-l6-random.shared.json"
[ -f "$C/golden-tiny.json.xz" ] && xz -dc "$C/golden-tiny.json.xz" > "$W/shared/golden/tiny-bert-cls.shared.json"
cp "$C/PACKED.txt" "$W/" 2>/dev/null
fi
export PATH=$W/bin:$PATH
echo "node $(node --version)"
if ldconfig -p | grep -q 'libvulkan.so.1 '; then
  echo "Vulkan loader present: $(ldconfig -p | grep 'libvulkan.so.1 ' | head -1)"
else
  for f in "$C"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  echo "Vulkan loader unpacked: $(ldconfig -p | grep 'libvulkan.so.1 ' | head -1)"
fi
export XDG_RUNTIME_DIR=/tmp
if [ -n "${GPUEMBED_VK_ICD:-}" ]; then export VK_ICD_FILENAMES=$GPUEMBED_VK_ICD; echo "VK_ICD_FILENAMES=$VK_ICD_FILENAMES"; fi
ls /usr/local/nvidia/share/vulkan/icd.d/ /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | tr '\n' ' '; echo

if [ $REUSE = 0 ]; then
step "regenerate the models (gen_model.py) and refill the ONNX weights"
python3 "$C/models/gen_model.py" "$W/shared/models/all-MiniLM-L6-v2" "$W/models" "$C/models/minilm_header.json" | tee "$W/gen.txt"
grep -q '^minilm-l6-random 90868376 5dc6bacdab686fc1f80eb360323097fe8d885420f78e3f92c6b971fa00ffd308$' "$W/gen.txt" \
  || die "minilm-l6-random sha256 differs from ../shared/golden/README.md"
python3 bench/gpu/onnx_weights.py refill "$C/models/onnx.recipe.json.xz" "$W/models/minilm-l6-random/model.safetensors" \
  "$W/peer-model/onnx/model.onnx" 6663cc8e9dab314fd07aaf9636081ec8cf612c60a38c0e71e0868f4f8fbb9a95 || die "ONNX refill"
for f in config.json tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt; do
  cp "$W/shared/models/all-MiniLM-L6-v2/$f" "$W/peer-model/"
done
touch "$W/.complete"
fi
# the peer runner as in this checkout, in a mirror whose node_modules is the carried transformers.js tree
cp bench/peer/run_peer.mjs bench/peer/inputs.mjs bench/peer/package.json "$W/peer/bench/peer/"
cp bench/common.mjs "$W/peer/bench/common.mjs"
cp bench/inputs.json "$W/peer/bench/inputs.json"
python3 -c 'import torch, sentence_transformers; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "sentence-transformers", sentence_transformers.__version__)' 2>&1 | tail -1

if [ "${1:-}" = "--setup-only" ]; then step "set up (--setup-only)"; exit 0; fi
step "benchmark"
node bench/gpu/bench_gpu.mjs --work "$W" --out "$OUT" "$@"
rc=$?
step "done (rc $rc)"
exit $rc
