#!/usr/bin/env bash
# Installs the Debian 12 packages the native build and tests need (only what is missing).
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
pkgs=(g++ cmake make pkg-config python3 libgtest-dev libutf8proc-dev nlohmann-json3-dev curl libdnnl-dev libcli11-dev ccache python3-numpy "$@")
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "gpuembed: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq "${missing[@]}" >&2 || { $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq "${missing[@]}" >&2; }
fi
