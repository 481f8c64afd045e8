#!/usr/bin/env bash
# On the lent GPU machine: puts the real model back together from the parts scripts/pack_gpu_real.sh made here.
#   bash bench/gpu/real_parts.sh stash DIR     # keeps DIR's parts in /tmp/gpuembed-real (outlives the call while warm)
#   bash bench/gpu/real_parts.sh assemble      # -> $GPUEMBED_GPU_WORK/models/<name> (what .cache/models links to
#                                              #    in bench/gpu/js_tests_on_gpu.sh), sizes + sha256 checked
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
P=/tmp/gpuembed-real
W=${GPUEMBED_GPU_WORK:-/tmp/gpuembed-gpu}
case "${1:-}" in
  stash) mkdir -p "$P" && cp "$2"/* "$P"/ && ls -l "$P" ;;
  assemble)
    name=$(cat "$P/NAME")
    mkdir -p "$W/models" && rm -rf "$W/models/$name"
    cat "$P"/part.* | tar -C "$W/models" -xf -
    python3 - "$REPO/models/real-models.json" "$W/models/$name" "$name" <<'PY'
import hashlib, json, os, sys
files = json.load(open(sys.argv[1]))["models"][sys.argv[3]]["files"]
for rel, want in files.items():
    p = os.path.join(sys.argv[2], rel)
    if not os.path.exists(p) and want.get("optional"):
        continue
    data = open(p, "rb").read()
    assert len(data) == want["size"] and hashlib.sha256(data).hexdigest() == want["sha256"], f"{rel} differs"
print(f"real_parts: {sys.argv[3]}: {len(files)} files verified (size + sha256)")
PY
    touch "$W/models/.real-complete" ;;
  *) echo "usage: real_parts.sh stash DIR | assemble" >&2; exit 2 ;;
esac
