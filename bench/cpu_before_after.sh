#!/usr/bin/env bash
# Same-run native CPU comparison of two builds of ours and transformers.js: each round runs the OLD build's
# gpuembed_bench, this tree's (build/bench/gpuembed_bench), then transformers.js on onnxruntime-node (fp32, and q8
# with Q8=1), one process each, so the drift of a shared machine hits every side of a round alike. Prints one line
# per process and, per round, this build's ratio to the old build and to transformers.js.
#   OLD_BENCH=/path/to/old/build/bench/gpuembed_bench [R=3] [T=2] [PRECS="fp32 int8"] [Q8=1] bench/cpu_before_after.sh
# Needs: the peers (bench/run_peers.sh installs them; bench/peer/prepare_model.sh, quantize_q8.sh for Q8=1) and
# .cache/models/minilm-l6-random (scripts/gen_models.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
R=${R:-3}; T=${T:-2}; PRECS=${PRECS:-fp32}
old=${OLD_BENCH:?OLD_BENCH: gpuembed_bench of the older build}
new=build/bench/gpuembed_bench
model=.cache/models/minilm-l6-random
grep -m1 'model name' /proc/cpuinfo
summary() {  # stdin: gpuembed_bench / run_peer.mjs JSON; prints "backend case median min ..." on one line
  python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d.get("backend", ""), " ".join("%s %.2f %.2f" % (k, v["median_ms"], v["min_ms"]) for k, v in sorted(d["cases"].items())))'
}
log=$(mktemp)
for r in $(seq "$R"); do
  for side in old new; do
    bin=$old; [ $side = new ] && bin=$new
    for p in $PRECS; do
      echo "round $r $side $p $("$bin" --model $model --inputs bench/inputs.json --cases short,b32x128 --threads "$T" \
        --precision "$p" | summary)" | tee -a "$log"
    done
  done
  for eng in tjs-cpu ${Q8:+tjs-cpu-q8}; do
    echo "round $r $eng - $(node bench/peer/run_peer.mjs --engine $eng --threads "$T" --model .cache/peer-model \
      --cases short,b32x128 --inputs bench/inputs.json 2>/dev/null | summary)" | tee -a "$log"
  done
done
# ours: "round R side precision backend b32x128 median min short median min"; the peers: "round R engine - b32x128 ..."
echo "ratios per round (medians; > 1: this build faster):"
awk '
  $4 != "-" { t[$2 " " $3 " " $4] = $7; s[$2 " " $3 " " $4] = $10; next }
  { pt[$2 " " $3] = $6; ps[$2 " " $3] = $9 }
  END {
    for (k in t) { split(k, a, " "); if (a[2] != "new") continue
      o = a[1] " old " a[3]; q = (a[3] == "int8" && ((a[1] " tjs-cpu-q8") in pt)) ? "tjs-cpu-q8" : "tjs-cpu"
      printf "round %s %s: 32x128 vs old %.2fx, vs %s %.2fx; short vs old %.2fx, vs %s %.2fx\n", a[1], a[3],
        t[o] / t[k], q, pt[a[1] " " q] / t[k], s[o] / s[k], q, ps[a[1] " " q] / s[k] } }' "$log" | sort
rm -f "$log"
