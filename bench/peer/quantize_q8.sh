#!/usr/bin/env bash
# transformers.js `dtype: 'q8'` model for the int8 comparison: OUTDIR/onnx/model_quantized.onnx made from
# OUTDIR/onnx/model.onnx with ONNX Runtime's dynamic quantization (MatMul weights 8-bit, activations quantized at run
# time: what transformers.js' own conversion script does for q8), in a private venv (.cache/pyquant, pinned).
#   bench/peer/quantize_q8.sh [OUTDIR]      (default: <repo>/.cache/peer-model; runs prepare_model.sh first)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT=$("$REPO/bench/peer/prepare_model.sh" "${1:-$REPO/.cache/peer-model}")
Q="$OUT/onnx/model_quantized.onnx"
[ -f "$Q" ] && [ "$Q" -nt "$OUT/onnx/model.onnx" ] && { echo "$OUT"; exit 0; }
venv=$REPO/.cache/pyquant
if [ ! -f "$venv/.complete" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check onnxruntime==1.23.2 onnx==1.19.1 >&2
  touch "$venv/.complete"
fi
"$venv/bin/python" - "$OUT/onnx/model.onnx" "$Q.tmp" >&2 <<'PY'
import sys
from onnxruntime.quantization import QuantType, quantize_dynamic
quantize_dynamic(sys.argv[1], sys.argv[2], weight_type=QuantType.QUInt8, per_channel=False)
print("quantize_q8: wrote", sys.argv[2])
PY
mv -f "$Q.tmp" "$Q"
echo "$OUT"
