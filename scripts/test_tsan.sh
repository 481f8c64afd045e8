#!/usr/bin/env bash
# The multi-threaded CPU path under ThreadSanitizer.
#   scripts/test_tsan.sh                   # concurrency tests + tiny-bert-cls golden tests (CI)
#   GPUEMBED_SLOW=1 scripts/test_tsan.sh   # all golden tests of both models, longer concurrency rounds
# Why this configuration: natively parallel_for runs on OpenMP (libgomp) and fp32 matmuls on oneDNN/libgomp where the
# CPU lacks AVX-512; libgomp is not TSan-instrumented, so its barriers are invisible to TSan and every parallel
# region would be reported as a race (false positives). This build therefore turns OpenMP and oneDNN off and defines
# GPUEMBED_STD_THREAD_POOL=1, which makes parallel_for use its std::thread pool (the WASM-pthreads pool; its mutexes
# and condition variables are intercepted by TSan). The matmuls run the packed kernels (AVX-512 where the CPU has it,
# else the portable one), compiled with -fsanitize=thread like everything else in the library. Threads: the tests
# ask for 3 pool threads, so work is split across threads even on a 2-core machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install_deps.sh
[ -f .cache/models/minilm-l6-random/model.safetensors ] || scripts/gen_models.sh
build=${BUILD_DIR:-build-tsan}
. scripts/ccache_env.sh
cmake -S . -B "$build" "${GPUEMBED_CCACHE_ARGS[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGPUEMBED_TSAN=ON -DGPUEMBED_WITH_DNNL=OFF \
  -DGPUEMBED_WITH_OPENMP=OFF -DCMAKE_CXX_FLAGS="-DGPUEMBED_STD_THREAD_POOL=1" >/dev/null
cmake --build "$build" --target gpuembed_tests -j"$(nproc)"
# Default (CI): the concurrency tests, the thread pool, all golden tests of tiny-bert-cls and minilm's token embeddings.
# GPUEMBED_SLOW=1: every golden test of both models and the other multi-threaded tests (~16 min on a loaded 2-core box).
quick='ReliabilityConcurrency.*:ParallelForTest.*:LinearTest.ConcurrentForwardCalls:Models/GoldenTest.*/tiny_bert_cls:Models/GoldenTest.TokenEmbeddingsMatch/*:InputEdges.ThreadCountDoesNotChangeResults'
full='Models/GoldenTest.*:ReliabilityConcurrency.*:ParallelForTest.*:LinearTest.ConcurrentForwardCalls:LinearTest.OneAndTwoThreadsAgree:InputEdges.ThreadCountDoesNotChangeResults:InputEdges.BatchOrderIsInputOrderAcrossBuckets'
if [ "${GPUEMBED_SLOW:-0}" = 1 ]; then filter=${TSAN_FILTER:-$full}; else filter=${TSAN_FILTER:-$quick}; fi
log="$build/tsan.log"
rm -f "$build"/tsan-report*
set +e
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 log_path=$build/tsan-report" \
  "$build/tests/gpuembed_tests" --gtest_filter="$filter" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if compgen -G "$build/tsan-report*" >/dev/null; then
  echo "test_tsan.sh: ThreadSanitizer reports:" >&2
  cat "$build"/tsan-report* >&2
  exit 1
fi
[ "$rc" -eq 0 ] || { echo "test_tsan.sh: tests failed (rc=$rc)" >&2; exit "$rc"; }
grep -E '^\[  PASSED  \]|^\[concurrency\]' "$log" || true
echo "test_tsan.sh: no ThreadSanitizer reports"
