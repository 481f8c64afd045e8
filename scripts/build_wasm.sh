#!/usr/bin/env bash
# Builds the WebAssembly module (build-wasm/gpuembed.mjs + gpuembed.wasm), its threaded twin (gpuembed-mt.mjs +
# .wasm + .worker.js; cmake/wasm_threads.cmake), the relaxed-SIMD twins of both (gpuembed-relaxed.*,
# gpuembed-mt-relaxed.*; cmake/wasm_relaxed.cmake) and the WebGPU kernel harness (build-wasm/gpuembed_ops.mjs) with
# Debian's Emscripten 3.1.6. Installs what it needs with apt-get when missing (emscripten, nlohmann-json3-dev, a Java
# runtime) and the Closure compiler from npm into .cache/closure-<version>. Idempotent.
#   BUILD_DIR=build-wasm-debug GPUEMBED_WASM_OPT=-O1 scripts/build_wasm.sh   # other folder / flags
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build-wasm}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
need=()
command -v emcmake >/dev/null 2>&1 || need+=(emscripten)
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
# wabt checks the relaxed-SIMD modules' opcode rewrite (scripts/wasm_relaxed_madd.mjs, cmake/wasm_relaxed.cmake).
command -v wasm-objdump >/dev/null 2>&1 || need+=(wabt)
if [ ${#need[@]} -gt 0 ]; then
  echo "build_wasm: apt-get install ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# Closure (ADVANCED) minifies gpuembed.mjs's JS glue (cmake/wasm.cmake). Debian's Emscripten calls a closure-compiler
# that Debian ships too old to take Emscripten's options, so the build brings its own, pinned: the release Emscripten's
# package.json pinned from late 2021 (20220104.0.0 writes the same bytes), as the jar alone (google-closure-compiler-java;
# the native-image flavour, which the google-closure-compiler package also pulls in on Linux, is a 78 MB download).
closure_version=20211006.0.0
closure_jar=$root/.cache/closure-$closure_version/compiler.jar
if [ ! -f "$closure_jar" ]; then
  echo "build_wasm: npm pack google-closure-compiler-java@$closure_version" >&2
  t=$(mktemp -d)
  (cd "$t" && npm pack --silent "google-closure-compiler-java@$closure_version" >/dev/null && tar -xzf ./*.tgz)
  mkdir -p "$(dirname "$closure_jar")" && mv "$t/package/compiler.jar" "$closure_jar"
  rm -rf "$t"
fi

# Emscripten 3.1.6's JS optimizer needs Debian's node-acorn, which a NodeSource node does not see by default.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
# The Emscripten toolchain restricts find_package to its sysroot: point CMake at the host's header-only json.
json_dir=$(dirname "$(find /usr/share/cmake /usr/lib/cmake /usr/lib/x86_64-linux-gnu/cmake -name nlohmann_jsonConfig.cmake 2>/dev/null | head -1)")
. scripts/ccache_env.sh
emcmake cmake -S . -B "$build" "${GPUEMBED_CCACHE_ARGS[@]}" -DCMAKE_BUILD_TYPE=Release -Dnlohmann_json_DIR="$json_dir" \
  -DGPUEMBED_WASM_CLOSURE_JAR="$closure_jar" \
  ${GPUEMBED_WASM_OPT:+-DGPUEMBED_WASM_OPT=$GPUEMBED_WASM_OPT} >/dev/null
cmake --build "$build" -j"$(nproc)"
js=$(gzip -9c "$build/gpuembed.mjs" | wc -c); wasm=$(gzip -9c "$build/gpuembed.wasm" | wc -c)
echo "gpuembed WASM: $build/gpuembed.mjs $(wc -c < "$build/gpuembed.mjs") B, $build/gpuembed.wasm $(wc -c < "$build/gpuembed.wasm") B;" \
     "gzipped $js + $wasm = $((js + wasm)) B (budget 409600 B = 400 KB)"
if [ -f "$build/gpuembed-mt.wasm" ]; then
  mjs=$(gzip -9c "$build/gpuembed-mt.mjs" | wc -c); mwasm=$(gzip -9c "$build/gpuembed-mt.wasm" | wc -c)
  mworker=$(gzip -9c "$build/gpuembed-mt.worker.js" | wc -c)
  echo "gpuembed threaded WASM: $build/gpuembed-mt.mjs $(wc -c < "$build/gpuembed-mt.mjs") B, gpuembed-mt.wasm" \
       "$(wc -c < "$build/gpuembed-mt.wasm") B, gpuembed-mt.worker.js $(wc -c < "$build/gpuembed-mt.worker.js") B;" \
       "gzipped $mjs + $mwasm + $mworker = $((mjs + mwasm + mworker)) B (downloaded instead of the single-threaded module)"
fi
for v in relaxed mt-relaxed; do
  [ -f "$build/gpuembed-$v.wasm" ] || continue
  rjs=$(gzip -9c "$build/gpuembed-$v.mjs" | wc -c); rwasm=$(gzip -9c "$build/gpuembed-$v.wasm" | wc -c)
  echo "gpuembed $v WASM: gpuembed-$v.mjs $(wc -c < "$build/gpuembed-$v.mjs") B, gpuembed-$v.wasm" \
       "$(wc -c < "$build/gpuembed-$v.wasm") B; gzipped $rjs + $rwasm = $((rjs + rwasm)) B (downloaded instead where the engine has relaxed SIMD)"
done
