#!/usr/bin/env bash
# Installs dependencies, generates the random-weight test models, installs the real ones (PyPI), builds the native library, CLI and tests.
#   BUILD_DIR=build-asan CMAKE_ARGS="-DGPUEMBED_SANITIZE=ON" scripts/build.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install_deps.sh
scripts/gen_models.sh
scripts/get_models.sh
build=${BUILD_DIR:-build}
# One compiler cache for every clone on this machine (CI builds a fresh clone each time): paths are hashed
# relative to the checkout, so the same sources hit the cache wherever they are cloned.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
