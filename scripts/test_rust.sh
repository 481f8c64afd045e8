#!/usr/bin/env bash
# The Rust crate (rust/): cargo test against the golden files, the search_folder example on a folder of text files,
# and the browser binding (rust/wasm-example) built for wasm32-unknown-unknown and checked against js/gpuembed.d.ts.
#   scripts/test_rust.sh                          # links the C++ library of build/ (built here if needed)
#   GPUEMBED_BUILD_DIR= scripts/test_rust.sh      # let the crate build the C++ library itself (the `cmake` crate)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v cargo >/dev/null || { echo "test_rust.sh: cargo not found (install Rust with rustup)" >&2; exit 1; }
scripts/install_deps.sh
scripts/gen_models.sh
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
if [ -z "${GPUEMBED_BUILD_DIR+set}" ]; then
  [ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)" --target gpuembed >/dev/null
  export GPUEMBED_BUILD_DIR=$root/build
fi
[ -n "$GPUEMBED_BUILD_DIR" ] || unset GPUEMBED_BUILD_DIR

echo "--- cargo test (rust/)"
(cd rust && cargo test --locked -- --nocapture 2>&1 | grep -v '^\s*Compiling ')

echo "--- example: search_folder"
docs=$(mktemp -d)
trap 'rm -rf "$docs"' EXIT
cp examples/data/passages.txt "$docs/passages.txt"
printf 'Bread needs flour, water and yeast.\n\nThe river flows to the sea.\n' > "$docs/notes.txt"
out=$(cd rust && cargo run --locked -q --example search_folder -- "$root/.cache/models/minilm-l6-random" "$docs" \
  "The river flows to the sea." 2)
echo "$out"
# The query is one of the passages, so it must come first with cosine 1.
head -1 <<<"$out" | grep -Eq '^(1\.0000|0\.9999)  notes\.txt#2  The river flows to the sea\.$' \
  || { echo "search_folder: the passage equal to the query is not the first hit" >&2; exit 1; }

echo "--- browser binding (rust/wasm-example)"
(cd rust/wasm-example && cargo test --locked 2>&1 | grep -E '^test |test result|panicked|error')
if rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  (cd rust/wasm-example && cargo build --locked -q --target wasm32-unknown-unknown)
  wasm=rust/wasm-example/target/wasm32-unknown-unknown/debug/gpuembed_wasm_example.wasm
  for name in gpuembed loadModel embedBatchFlat; do
    grep -q "$name" "$wasm" || { echo "$wasm: no import of $name" >&2; exit 1; }
  done
  echo "wasm32-unknown-unknown build: $(stat -c %s "$wasm") bytes, imports GpuEmbedder from the gpuembed module"
else
  echo "wasm32-unknown-unknown target not installable here: type-checked on the host only" >&2
  (cd rust/wasm-example && cargo check --locked -q)
fi
