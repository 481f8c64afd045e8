#!/usr/bin/env bash
# The native CPU benchmark (bench/run_cpu.mjs: ours fp32/bf16/int8 vs transformers.js on onnxruntime-node, fp32 and
# q8) on the lent GPU machine's host CPU, which is quiet (the development machines are shared and busy), at 2 threads
# and at all its cores. Run from the repo root there:
#   here:        scripts/build.sh && scripts/pack_gpu_carry.sh && bench/pack_cpu_carry.sh
#   device tool: run(command="bash bench/cpu_on_device.sh", carry=[".gpucarry", ".devcpu"])
# When the two with the working tree pass the carry limit (64 MiB), two calls on the same warm machine, back to back:
#   run(command="bash bench/run_gpu.sh --setup-only", carry=[".gpucarry/node.xz", ".gpucarry/tjs.tar.xz",
#       ".gpucarry/webgpu.tar.xz", ".gpucarry/models", ".gpucarry/golden.json.xz"])
#   run(command="bash bench/cpu_on_device.sh", carry=[".devcpu"])   # reuses the work folder the first call made
# The native benchmark binary travels with its shared libraries and this machine's dynamic loader (.devcpu/), so it
# runs whatever the host's glibc is. The q8 model is made there with the host's onnxruntime (Python), as
# bench/peer/quantize_q8.sh does here.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
OUT=${OUT:-/tmp/gpuembed-out}
mkdir -p "$OUT"
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
if [ -f "$W/.complete" ]; then echo "cpu_on_device: reusing $W"; else bash bench/run_gpu.sh --setup-only || exit 1; fi
export PATH=$W/bin:$PATH
D=$REPO/.devcpu
mkdir -p /tmp/devcpu && tar -xJf "$D/bin.tar.xz" -C /tmp/devcpu || exit 1
cat > /tmp/devcpu/gpuembed_bench <<SH
#!/bin/sh
exec /tmp/devcpu/lib/ld-linux-x86-64.so.2 --library-path /tmp/devcpu/lib /tmp/devcpu/bin/gpuembed_bench "\$@"
SH
chmod +x /tmp/devcpu/gpuembed_bench
python3 - "$W/peer-model/onnx/model.onnx" "$W/peer-model/onnx/model_quantized.onnx" <<'PY'
import sys, onnxruntime
from onnxruntime.quantization import QuantType, quantize_dynamic
quantize_dynamic(sys.argv[1], sys.argv[2], weight_type=QuantType.QUInt8, per_channel=False)
print("q8 model made with onnxruntime", onnxruntime.__version__)
PY
lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/Flags:.*\(avx512_bf16\|amx\).*/Flags: (has avx512_bf16\/amx)/' | head -3
export GPUEMBED_SHARED_DIR=$W/shared GPUEMBED_BENCH_BIN=/tmp/devcpu/gpuembed_bench \
  GPUEMBED_MODEL_DIR=$W/models/minilm-l6-random GPUEMBED_PEER_DIR=$W/peer/bench/peer GPUEMBED_PEER_MODEL=$W/peer-model
mkdir -p .cache
# Where the time of one short sentence goes at all cores (oneDNN's own per-primitive times), per precision.
for p in fp32 bf16 int8; do
  DNNL_VERBOSE=1 /tmp/devcpu/gpuembed_bench --model "$GPUEMBED_MODEL_DIR" --inputs bench/inputs.json --cases short \
    --threads "$(nproc)" --precision $p > /tmp/verbose-$p.txt 2>&1
  echo "short, $(nproc) threads, $p: $(grep -c '^onednn_verbose,exec' /tmp/verbose-$p.txt) oneDNN executions," \
    "$(grep '^onednn_verbose,exec' /tmp/verbose-$p.txt | awk -F, '{s+=$NF} END {printf "%.1f ms", s}') inside them;" \
    "impls: $(grep '^onednn_verbose,exec' /tmp/verbose-$p.txt | cut -d, -f4,5 | sort | uniq -c | sort -rn | head -3 | tr '\n' ' ')"
  grep '"median_ms"' /tmp/verbose-$p.txt | head -1
done
# The small-M rule (src/backend/cpu/small_m_rule.h) on and off, interleaved, one short sentence at all cores.
for r in 1 2 3; do
  for p in fp32 bf16 int8; do
    for rows in 0 16; do
      echo "small-M rule rows=$rows (0: off), round $r, $p, $(nproc) threads, short: $(GPUEMBED_SMALL_M_ROWS=$rows \
        /tmp/devcpu/gpuembed_bench --model "$GPUEMBED_MODEL_DIR" --inputs bench/inputs.json --cases short \
        --threads "$(nproc)" --precision $p | grep -m1 '"median_ms"')"
    done
  done
done
for t in ${CPU_THREADS:-2 $(nproc)}; do
  echo "== threads $t"
  node bench/run_cpu.mjs --threads "$t" --rounds "${ROUNDS:-3}" --cases short,b32x128 2>&1 | tee "$OUT/cpu-$t.txt"
done
cp .cache/bench-cpu-*.json "$OUT/" 2>/dev/null
