#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with -fsanitize=fuzzer,address,undefined) and runs each for N seconds.
#   scripts/fuzz.sh [seconds-per-target] [target...]     default 30 s per target, nproc targets at a time
# Targets: fuzz_safetensors fuzz_model_spec fuzz_tokenizer_json fuzz_vocab fuzz_tokenize fuzz_charsmap.
# Corpora grow in build-fuzz/corpus/<target> (seeded from tests/golden by fuzz/make_seeds.py); a crash, leak, timeout or
# OOM leaves its reproducer in build-fuzz/artifacts/<target>/ and makes the script exit 1 with the path printed.
# Reproduce one:  build-fuzz/fuzz/<target> <reproducer>
# Summary per target (executions, cov, ft, corpus) in build-fuzz/fuzz-summary.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_safetensors fuzz_model_spec fuzz_tokenizer_json fuzz_vocab fuzz_tokenize
                                     fuzz_charsmap)
build=${FUZZ_BUILD_DIR:-build-fuzz}

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
need=()
command -v clang++ >/dev/null 2>&1 || need+=(clang)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null || need+=(libclang-rt-14-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "fuzz.sh: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq "${need[@]}" >&2 || { $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq "${need[@]}" >&2; }
fi
scripts/install_deps.sh
[ -f .cache/models/tiny-bert-cls/model.safetensors ] || scripts/gen_models.sh

. scripts/ccache_env.sh
CC=clang CXX=clang++ cmake -S . -B "$build" "${GPUEMBED_CCACHE_ARGS[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPUEMBED_FUZZ=ON \
  -DGPUEMBED_BUILD_TESTS=OFF -DGPUEMBED_WITH_DNNL=OFF -DGPUEMBED_WITH_OPENMP=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)"

python3 fuzz/make_seeds.py "$build/seeds" --shared tests --models .cache/models >/dev/null
summary="$build/fuzz-summary.txt"
printf '%-20s %8s %12s %8s %8s %14s %s\n' target seconds executions cov ft corpus result > "$summary"
# One target per core at a time: each still gets its full `secs` of fuzzing, the stage takes less wall time.
run_target() {
  local t=$1 corpus="$build/corpus/$1" art="$build/artifacts/$1" log="$build/logs/$1.log" line="$build/logs/$1.summary"
  mkdir -p "$corpus" "$art" "$build/logs"
  local extra=()
  case "$t" in
    fuzz_tokenize) extra=(-max_len=8192) ;;
    fuzz_safetensors) extra=(-max_len=16384) ;;
    *) extra=(-dict=fuzz/json.dict) ;;
  esac
  echo "=== $t: ${secs} s"
  local rc=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$art/" "${extra[@]}" "$corpus" "$build/seeds/$t" >"$log" 2>&1 || rc=$?
  local execs last cov ft corp
  execs=$(grep -Eo '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov:' | tail -1 || true)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last"); ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
  if [ $rc -ne 0 ]; then
    local repro
    repro=$(grep -Eo "Test unit written to [^ ]+" "$log" | sed 's/Test unit written to //' | tail -1)
    printf '%-20s %8s %12s %8s %8s %14s %s\n' "$t" "$secs" "$execs" "$cov" "$ft" "$corp" "FAILED rc=$rc ${repro:-}" >"$line"
    echo "fuzz.sh: $t FAILED (rc=$rc); reproducer: ${repro:-see $log}; rerun: $build/fuzz/$t ${repro:-}" >&2
    grep -E 'ERROR|FUZZ_CHECK|runtime error|terminate|what\(\)' "$log" | head -5 >&2 || true
    return 1
  fi
  printf '%-20s %8s %12s %8s %8s %14s %s\n' "$t" "$secs" "$execs" "$cov" "$ft" "$corp" ok >"$line"
}
failed=0
pids=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 1; done
  run_target "$t" & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
for t in "${targets[@]}"; do cat "$build/logs/$t.summary" >>"$summary"; done
cat "$summary"
exit $failed
