#!/usr/bin/env bash
# Peer side of the gpuembed benchmarks: install the pinned peers, build the model folder, run the peer engines on the
# shared inputs (bench/inputs.json) and print ONE JSON object on stdout (progress goes to stderr).
#
#   bench/run_peers.sh [--engines tjs-cpu,ort-web-wasm[,tjs-webgpu]] [--cases short,b32x128|all] [--threads 2[,1]]
#                      [--repeats R] [--warmup W] [--golden N] [--wait-idle S] [--timeout-s S]
#                      [--model DIR] [--out FILE] [--reinstall] [--nice N]
#
# Defaults: engines tjs-cpu,ort-web-wasm; cases short,b32x128; threads 2; per-case repeats from run_peer.mjs
# (a case may carry its own repeats: b256x128:2). --threads takes a list: each CPU engine runs once per value
# (tjs-webgpu runs once). Each engine run is a fresh Node process (its cold start is measured there).
# --wait-idle S: before cold start and each case wait up to S s for other processes to leave the CPUs
# (< 0.25 cores busy); each case reports other_cpu_util (cores used by other processes while it was timed).
# --nice N: run each engine in its own session (setsid) whose scheduler autogroup gets nice N, and under nice -n N
# (N < 0 needs root). With kernel.sched_autogroup_enabled=1 a plain `nice` only ranks processes inside one session,
# so on a machine shared with other people's builds only the autogroup nice keeps the timed process on the CPUs;
# each result records host.nice and host.autogroup. Use the same setting for our side of a comparison.
# Needs: node >= 20, npm, xz, sha256sum; ../shared beside the repo (or GPUEMBED_SHARED_DIR).
# Install: ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts (onnxruntime-node's postinstall would only try to
# fetch CUDA binaries; its CPU + WebGPU linux-x64 binaries are in the npm tarball). Re-installs only when
# bench/peer/package-lock.json changed (stamp in node_modules) or with --reinstall.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER="$REPO/bench/peer"
ENGINES="tjs-cpu,ort-web-wasm"
CASES="short,b32x128"
THREADS="2"
MODEL="$REPO/.cache/peer-model"
OUT=""
REINSTALL=0
NICE=""
PASS=()

log() { echo "run_peers: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --engines) ENGINES="$2"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --model) MODEL="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --reinstall) REINSTALL=1; shift ;;
    --nice) NICE="$2"; shift 2 ;;
    --repeats|--warmup|--golden|--wait-idle|--timeout-s) PASS+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n "2,24p" "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

command -v node >/dev/null || die "node not found (need Node >= 20)"
command -v npm >/dev/null || die "npm not found"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || die "Node >= 20 needed, have $(node -v)"

# 1. install the pinned peers (cached by the lockfile's hash)
STAMP="$PEER/node_modules/.gpuembed-install-stamp"
WANT="$(cat "$PEER/package-lock.json" | sha256sum | cut -d' ' -f1) node$NODE_MAJOR"
if [ "$REINSTALL" = 1 ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  log "installing peers (npm ci) in bench/peer"
  (cd "$PEER" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund >&2)
  (cd "$PEER" && node -e '
    const ort = require("onnxruntime-node");
    const b = ort.listSupportedBackends().filter((x) => x.bundled).map((x) => x.name);
    if (!b.includes("cpu")) throw new Error("onnxruntime-node has no bundled cpu backend here");
    console.error("run_peers: onnxruntime-node bundled backends: " + b.join(", "));') >&2 \
    || die "onnxruntime-node's prebuilt binary does not load on $(uname -sm)"
  echo "$WANT" > "$STAMP"
else
  log "peers already installed (bench/peer/node_modules matches package-lock.json)"
fi

# 2. the transformers.js model folder
MODEL="$("$PEER/prepare_model.sh" "$MODEL")"

# 3. the shared inputs: bench/inputs.json is what both sides read; warn if the generator now gives something else
TMPIN="$(mktemp)"
trap 'rm -f "$TMPIN"' EXIT
(cd "$REPO" && node bench/peer/inputs.mjs --write "$TMPIN" >/dev/null 2>&1) || die "bench/peer/inputs.mjs failed"
if [ ! -f "$REPO/bench/inputs.json" ]; then
  cp "$TMPIN" "$REPO/bench/inputs.json"
  log "wrote bench/inputs.json"
elif ! cmp -s "$TMPIN" "$REPO/bench/inputs.json"; then
  log "WARNING: bench/inputs.json differs from what bench/peer/inputs.mjs generates now (using the file as is)"
fi

# 4. run the engines, one process each
RESULTS=()
IFS=',' read -r -a ENG_LIST <<< "$ENGINES"
IFS=',' read -r -a THR_LIST <<< "$THREADS"
for e in "${ENG_LIST[@]}"; do
  thr=("${THR_LIST[@]}")
  [ "$e" = "tjs-webgpu" ] && thr=("${THR_LIST[0]}")
  for t in "${thr[@]}"; do
    log "engine $e, threads $t, cases $CASES"
    PRE=()
    if [ -n "$NICE" ]; then
      # new session => new autogroup; set its nice, then exec the engine at that nice too
      PRE=(setsid -w bash -c 'echo "$0" > /proc/$$/autogroup 2>/dev/null || echo "run_peers: cannot set autogroup nice $0" >&2; exec nice -n "$0" "$@"' "$NICE")
    fi
    R="$(cd "$REPO" && ${PRE[@]+"${PRE[@]}"} node bench/peer/run_peer.mjs --engine "$e" --threads "$t" --model "$MODEL" --cases "$CASES" ${PASS[@]+"${PASS[@]}"})" \
      || R="{\"engine\":\"$e\",\"threads\":$t,\"ok\":false,\"error\":\"run_peer.mjs exited with an error (see stderr)\"}"
    RESULTS+=("$R")
  done
done

JSON="$(printf '%s\n' "${RESULTS[@]}" | node -e '
  const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
  const os = require("os");
  const doc = { generated_by: "bench/run_peers.sh", date: new Date().toISOString(), host: os.hostname(),
    cpus: os.cpus().length, cpu_model: os.cpus()[0] && os.cpus()[0].model, inputs: "bench/inputs.json",
    results: lines.map((l) => JSON.parse(l)) };
  process.stdout.write(JSON.stringify(doc) + "\n");')"
[ -n "$OUT" ] && printf '%s\n' "$JSON" > "$OUT"
printf '%s\n' "$JSON"
