#!/usr/bin/env bash
# Sets up what the WebGPU tests need in Node on a machine without a GPU (idempotent):
#   - npm `webgpu` (Dawn for Node) from package.json;
#   - a software Vulkan driver for Dawn:
#       * Mesa 25 lavapipe from bookworm-backports, unpacked (not installed) into .cache/lavapipe25 (~5x faster than
#         SwiftShader); skipped with GPUEMBED_NO_LAVAPIPE=1 or when the download fails;
#       * SwiftShader from Debian's chromium package (/usr/lib/chromium/vk_swiftshader_icd.json) as the fallback.
# Prints nothing on success beyond progress lines; tests/wasm/gpu_env.mjs picks the driver (GPUEMBED_VK=lavapipe|swiftshader).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

if [ ! -f node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  echo "setup_webgpu_node: npm install (webgpu)" >&2
  npm install --no-audit --no-fund >&2
fi

need_apt=()
dpkg -s libvulkan1 >/dev/null 2>&1 || need_apt+=(libvulkan1)
[ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup_webgpu_node: apt-get install ${need_apt[*]}" >&2
  $SUDO apt-get update -qq >&2 || true
  $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
fi

lvp=$root/.cache/lavapipe25
if [ "${GPUEMBED_NO_LAVAPIPE:-0}" != 1 ] && ! ldconfig -p | grep -q 'libLLVM-15.so.1 '; then
  # Mesa 25's lavapipe from bookworm-backports links bookworm's LLVM 15
  $SUDO apt-get install -y -qq libllvm15 >&2 || echo "setup_webgpu_node: libllvm15 not installed" >&2
fi
if [ "${GPUEMBED_NO_LAVAPIPE:-0}" != 1 ] && [ ! -f "$lvp/.complete" ]; then
  echo "setup_webgpu_node: fetching Mesa 25 lavapipe from bookworm-backports into $lvp" >&2
  rm -rf "$lvp.tmp" && mkdir -p "$lvp.tmp/apt/lists/partial" "$lvp.tmp/apt/sources" "$lvp.tmp/debs"
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || echo http://deb.debian.org/debian)
  cat > "$lvp.tmp/apt/sources/backports.sources" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  aptopts=(-o "Dir::Etc::SourceParts=$lvp.tmp/apt/sources" -o "Dir::Etc::SourceList=/dev/null"
           -o "Dir::State::Lists=$lvp.tmp/apt/lists" -o "Dir::Cache::archives=$lvp.tmp/debs")
  if apt-get "${aptopts[@]}" update -qq >&2 &&
     (cd "$lvp.tmp/debs" && apt-get "${aptopts[@]}" download -t bookworm-backports mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 >&2); then
    for d in "$lvp.tmp/debs"/*.deb; do dpkg -x "$d" "$lvp.tmp/root"; done
    cat > "$lvp.tmp/lvp_icd.json" <<ICD
{ "file_format_version": "1.0.0",
  "ICD": { "library_path": "$lvp/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so", "api_version": "1.4.305" } }
ICD
    rm -rf "$lvp.tmp/apt" && rm -rf "$lvp" && mv "$lvp.tmp" "$lvp" && touch "$lvp/.complete"
  else
    echo "setup_webgpu_node: lavapipe download failed; tests will use SwiftShader" >&2
    rm -rf "$lvp.tmp"
  fi
fi
echo "setup_webgpu_node: ok" >&2
