#!/usr/bin/env bash
# Packs build/bench/gpuembed_bench with every shared library it loads, the dynamic loader included, into the ignored
# folder .devcpu/ for bench/cpu_on_device.sh (the GPU machine's host may have another glibc and no oneDNN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ex=$(git rev-parse --git-common-dir)/info/exclude
grep -qx '/.devcpu/' "$ex" 2>/dev/null || echo '/.devcpu/' >> "$ex"
bin=build/bench/gpuembed_bench
[ -x "$bin" ] || { echo "pack_cpu_carry: build $bin first (scripts/build.sh)" >&2; exit 1; }
t=$(mktemp -d) && mkdir -p "$t/bin" "$t/lib"
cp "$bin" "$t/bin/"
ldd "$bin" | awk '/=> \//{print $3} /ld-linux/ && !/=>/{print $1}' | while read -r lib; do cp -L "$lib" "$t/lib/"; done
rm -rf .devcpu && mkdir -p .devcpu
tar -C "$t" -cf - bin lib | xz -T0 -6 > .devcpu/bin.tar.xz
rm -rf "$t"
echo "pack_cpu_carry: .devcpu/bin.tar.xz $(($(stat -c %s .devcpu/bin.tar.xz) / 1024)) KiB" >&2
