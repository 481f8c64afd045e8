#!/usr/bin/env bash
# Sustained load through the CLI with RSS sampled every second.
#   scripts/load_test.sh [N]      N texts (default 10,000; 100,000 with GPUEMBED_SLOW=1)
# Generates N short texts (4-12 words, 6-20 tokens), runs `build/gpuembed embed --model .cache/models/minilm-l6-random
# --output OUT.npy` on them, samples VmRSS of the process from /proc/PID/status every second, then checks:
#  - the .npy holds N rows of `dimension` float32, every (n/2000)-th row L2-normalized, and rows 0, N/2, N-1 equal (within 1e-6) the
#    embeddings of the same texts embedded alone;
#  - memory is bounded and flat: the peak RSS stays under LOAD_RSS_MAX_MIB (default 400 MiB) and exceeds the RSS at
#    2/3 of the run by at most LOAD_RSS_GROWTH_MIB (default 32 MiB; the first part is warm-up of the caches below). What it may reach: the model (mmap, ~87 MiB for minilm) + one chunk
#    of texts and outputs + the oneDNN engine's per-row-count primitive cache (at most 257 entries per Linear, cleared
#    when full: measured ~66 MiB for minilm's 36 Linears at 254 row counts; the packed AVX-512 engine has none).
# Results (texts/s, RSS samples, bound) are printed and written to build-load/summary.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${GPUEMBED_SLOW:-0}" = 1 ]; then n=${1:-100000}; else n=${1:-10000}; fi
growth_mib=${LOAD_RSS_GROWTH_MIB:-32}
max_mib=${LOAD_RSS_MAX_MIB:-400}
model=${LOAD_MODEL:-.cache/models/minilm-l6-random}
cli=${GPUEMBED_CLI:-build/gpuembed}
[ -x "$cli" ] || scripts/build.sh
[ -f "$model/model.safetensors" ] || scripts/gen_models.sh
work=${LOAD_WORK:-build-load}
mkdir -p "$work"
python3 - "$n" "$work/texts.txt" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1234)
words = ("the a quick brown fox jumps over lazy dog river bank money loan weather sunny rain cat sat on mat "
         "embedding vector search engine model token sentence meaning text data cloud server memory thread "
         "quantum physics music guitar piano coffee morning evening city mountain ocean ship train road").split()
with open(path, "w") as f:
    for i in range(n):
        k = rng.randint(4, 12)
        f.write(" ".join(rng.choice(words) for _ in range(k)) + (" #%d" % i) + "\n")
PY
rm -f "$work/out.npy" "$work/rss.txt"
start=$(date +%s.%N)
"$cli" embed --model "$model" --input "$work/texts.txt" --output "$work/out.npy" --no-progress &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(date +%s.%N) $rss" >>"$work/rss.txt"
  sleep 1
done
wait "$pid"
end=$(date +%s.%N)
python3 - "$n" "$work" "$start" "$end" "$growth_mib" "$max_mib" "$cli" "$model" <<'PY'
import json, struct, subprocess, sys
n, work, start, end, growth_mib, max_mib, cli, model = sys.argv[1:]
n, start, end, growth_mib, max_mib = int(n), float(start), float(end), float(growth_mib), float(max_mib)
import array
with open(f"{work}/out.npy", "rb") as f:
    magic = f.read(6); assert magic == b"\x93NUMPY", magic
    major = f.read(2)[0]
    hlen = struct.unpack("<H" if major == 1 else "<I", f.read(2 if major == 1 else 4))[0]
    header = f.read(hlen).decode()
    data = array.array("f"); data.frombytes(f.read())
info = json.loads(subprocess.run([cli, "info", "--model", model], capture_output=True, text=True, check=True).stdout)
dim = info["dimension"]
shape = eval(header)["shape"]
assert shape == (n, dim), (shape, n, dim)
texts = open(f"{work}/texts.txt").read().split("\n")[:n]
bad = 0
step = max(1, n // 2000)  # pure Python: every step-th row (2,000 rows), plus the last
for i in list(range(0, n, step)) + [n - 1]:
    row = data[i * dim:(i + 1) * dim]
    norm = sum(x * x for x in row) ** 0.5
    if (info["normalize"] and abs(norm - 1) > 1e-4) or norm != norm: bad += 1
assert bad == 0, f"{bad} rows not unit length (or NaN)"
check = [0, n // 2, n - 1]
single = subprocess.run([cli, "embed", "--model", model, "--input", "-"], input="\n".join(texts[i] for i in check) + "\n",
                        capture_output=True, text=True, check=True).stdout.splitlines()
worst = 0.0
for line, i in zip(single, check):
    v = json.loads(line)["embedding"]
    worst = max(worst, max(abs(a - b) for a, b in zip(v, data[i * dim:(i + 1) * dim])))
assert worst <= 1e-6, f"rows differ from single-call embeddings by {worst}"
samples = [tuple(map(float, l.split())) for l in open(f"{work}/rss.txt")]
secs = end - start
t_rss = [(t - start, r / 1024) for t, r in samples]
ref_t = 2 * secs / 3
after = [r for t, r in t_rss if t >= ref_t] or [t_rss[-1][1]]
ref, peak = after[0], max(r for _, r in t_rss)
lines = [f"load_test: {n} texts in {secs:.1f} s ({n / secs:.0f} texts/s), {len(samples)} RSS samples (1/s)",
         f"  RSS MiB: first {t_rss[0][1]:.1f}, at 2/3 of the run ({ref_t:.0f} s) {ref:.1f}, peak {peak:.1f}, last {t_rss[-1][1]:.1f}",
         f"  growth in the last third: {peak - ref:.1f} MiB (bound {growth_mib:.0f} MiB); peak bound {max_mib:.0f} MiB",
         f"  output {shape[0]}x{shape[1]} float32, sampled rows finite" + (" and unit length" if info["normalize"] else "") + f", rows {check} match single calls (max diff {worst:.2e})",
         "  RSS samples (s: MiB): " + " ".join(f"{t:.0f}:{r:.0f}" for t, r in t_rss[:: max(1, len(t_rss) // 40)])]
print("\n".join(lines))
open(f"{work}/summary.txt", "w").write("\n".join(lines) + "\n")
ok = peak - ref <= growth_mib and peak <= max_mib
if not ok:
    print("load_test: FAILED: memory not flat", file=sys.stderr); sys.exit(1)
PY
