#!/usr/bin/env bash
# The bounded reliability checks CI runs (scripts/test.sh calls this once); figures and longer runs: RELIABILITY.md.
#   1. scripts/fuzz.sh 30       every libFuzzer target for 30 s (FUZZ_SECONDS overrides), crash -> exit 1
#   2. scripts/test_tsan.sh     golden + concurrency tests under ThreadSanitizer
#   3. scripts/load_test.sh     10,000 texts through the CLI with RSS sampled (100,000 with GPUEMBED_SLOW=1)
# The reliability_* GoogleTest suites (limits, regressions, load/destroy cycles, concurrency) run with the others in
# the native and ASan+UBSan ctest steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
echo "--- fuzz (${FUZZ_SECONDS:-30} s per target)"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
echo "--- ThreadSanitizer ($(( $(date +%s) - start )) s)"
scripts/test_tsan.sh
echo "--- sustained load ($(( $(date +%s) - start )) s)"
scripts/load_test.sh
echo "--- reliability checks passed in $(( $(date +%s) - start )) s"
