#!/usr/bin/env bash
# On the lent GPU machine, after bench/run_gpu.sh --setup-only (its work folder, Node, Dawn, Vulkan loader):
# every model family at its real model's depth and width (`tools/gen_family_models.py --full`, random weights,
# ~2.7 GB), checked against sentence-transformers (CPU float32) and timed against PyTorch on CUDA, same run.
#   run(command="bash bench/gpu/families_full.sh", carry=[build-wasm/gpuembed.{mjs,wasm}])
# GPUEMBED_FULL_MODELS="qwen3-full ..." runs only those; GPUEMBED_FULL_SENTENCES (default 24) reference sentences.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
OUT=${OUT:-/tmp/gpuembed-out}
D=$W/full
mkdir -p "$OUT"
export PATH=$W/bin:$PATH XDG_RUNTIME_DIR=/tmp GPUEMBED_VK=system
# tests/wasm/env.mjs imports the bare name 'webgpu': the work folder's copy, where this checkout has none
[ -e node_modules/webgpu ] || { mkdir -p node_modules && ln -s "$W/node_modules/webgpu" node_modules/webgpu; }
[ -f "$D/qwen3-full/model.safetensors" ] || python3 tools/gen_family_models.py --full "$D" > /dev/null || exit 1
PYTHONUNBUFFERED=1 python3 bench/gpu/families_full_ref.py "$D" "${GPUEMBED_FULL_SENTENCES:-24}" 2>&1 | grep -v Warning
fail=0
for m in ${GPUEMBED_FULL_MODELS:-xlmr-full mpnet-full nomic-full modernbert-full qwen3-full gemma3-full}; do
  [ -f "$D/$m.ref.json" ] || { echo "$m: no reference"; fail=$((fail + 1)); continue; }
  for try in 1 2; do  # Dawn in Node dies at random on that machine (gpu-device.md): a crash is retried once
    line=$(timeout 300 node bench/gpu/families_full.mjs "$D" "$m" 2> "$OUT/$m.stderr" | tail -1); rc=${PIPESTATUS[0]}
    [ $rc -lt 128 ] && break
  done
  # a process that died (an exception outside the script's own catch, a Dawn crash) prints no JSON: say how it ended
  case "$line" in "{"*) ;; *)
    why=$(grep -a -m1 -E '^[A-Za-z.]*(Error|Exception)\b|^Aborted|^terminate' "$OUT/$m.stderr" | cut -c1-200)
    [ -n "$why" ] || why=$(grep -a -v '^\s*$' "$OUT/$m.stderr" | tail -1 | cut -c1-200)
    line=$(node -e 'console.log(JSON.stringify({ model: process.argv[1], ok: false, error: `exit ${process.argv[2]}: ${process.argv[3]}` }))' "$m" "$rc" "$why")
    [ $rc -ne 0 ] || rc=1 ;;
  esac
  echo "$line" | tee -a "$OUT/families_full.jsonl"
  [ $rc -eq 0 ] || fail=$((fail + 1))
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
console.log("| model | max abs error (sentences) | ours b32x128 ms | PyTorch CUDA ms | ratio |\n| --- | --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.model} | ${r.max_abs_error !== undefined ? `${r.max_abs_error.toExponential(1)} (${r.sentences})` : r.error} | ${r.ours_b32x128_ms?.toFixed(2)} | ${r.torch_b32x128_ms?.toFixed(2)} | ${(r.torch_b32x128_ms / r.ours_b32x128_ms).toFixed(2)}x |`);
' "$OUT/families_full.jsonl"
echo "families_full: $fail model(s) failed"
exit $fail
